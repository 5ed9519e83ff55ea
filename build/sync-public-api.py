#!/usr/bin/env python3
"""Brings src/Microsoft.ML.Agd/PublicAPI.*.txt in line with the code after a deliberate change of the public surface:
adds what RS0016 reports to PublicAPI.Unshipped.txt and drops what RS0017 reports. Read the diff before committing."""
import re, subprocess, sys
lib = 'src/Microsoft.ML.Agd'
out = subprocess.run(['dotnet', 'build', lib, '-c', 'Release', '--no-incremental'], capture_output=True, text=True).stdout
added = sorted(set(re.findall(r"RS0016: Symbol '(.+?)' is not part of the declared public API", out)))
removed = set(re.findall(r"RS0017: Symbol '(.+?)' is part of the declared API", out))
for name in ['PublicAPI.Shipped.txt', 'PublicAPI.Unshipped.txt']:
    path = f'{lib}/{name}'
    lines = open(path).read().split('\n')
    lines = [l for l in lines if l not in removed]
    if name.endswith('Unshipped.txt'):
        lines = [l for l in lines if l] + added
        lines = [lines[0]] + sorted(set(lines[1:])) if lines and lines[0].startswith('#') else sorted(set(lines))
    open(path, 'w').write('\n'.join(lines).rstrip('\n') + '\n')
print(f'{len(added)} added, {len(removed)} removed')

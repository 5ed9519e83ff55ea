#!/usr/bin/env python3
"""Judges one case from the evidence lib.sh captured in its folder; prints "CLEAN\treason" or "DEFECT\treason".

A defect is, in this order: a hang (the case's timeout), a crash or a kill (134, 137, 139 and other signals), an OOM kill,
a stack trace or .NET or native type name in what it printed, an exit code the expectation does not allow, a message
that does not name what the expectation says it must, an error with no message or a success that printed "error:",
a kept path that changed, an absent path that exists, a model folder left half written, files left in TMPDIR, new
entries in the working folder that the command did not name, and a CHECK that failed.
"""
import os
import re
import sys

C = sys.argv[1]

def read(name, default='', errors='replace'):
    try:
        with open(os.path.join(C, name), encoding='utf-8', errors=errors) as f:
            return f.read()
    except OSError:
        return default

rc = int(read('rc', '-1').strip() or -1)
out, err = read('stdout'), read('stderr')
text = out + '\n' + err
cmd = read('cmd').strip()
expect = read('expect').strip()
reasons = []

def defect(why):
    print(f'DEFECT\t{why}')
    sys.exit(0)

# libtorch's warning that NNPACK does not fit this CPU is printed by every training run: one defect (NOISE-nnpack),
# judged by its own case, not in every row.
noise = re.compile(r'^\[W\d{4} [\d:.]+ NNPACK\.cpp:\d+\] Could not initialize NNPACK! Reason: Unsupported hardware\.$', re.M)
text_clean = noise.sub('', text)

if read('timedout').strip() == '1':
    defect(f'hang: still running at the case timeout of {read("timeout").strip()} s (rc {rc})')
if 'OOM-KILL' in err:
    defect('killed by the kernel for memory (OOM kill in the case cgroup)')
if rc in (134, 139, 132, 135, 136):
    defect(f'crash: exit code {rc} (signal {rc - 128})')

stack = re.search(r'^\s+at [\w.<>`$|]+(\[[^\]]*\])?\(.*\)( in .*)?$', text_clean, re.M) or re.search(r'Unhandled exception', text_clean)
if stack:
    defect(f'stack trace or unhandled exception: {stack.group(0).strip()[:150]}')
types = re.search(r'\bSystem\.[A-Z][\w.`]*|\(Parameter \'[^\']*\'\)|Actual value was|\b\w+Exception\b|\bTorchSharp\.[A-Z]\w*|'
                  r'\bMicrosoft\.ML\.(?!Agd\b)[A-Z]\w*|\bOnnxRuntime\w*Exception|^\[[WE]\d{4} |\b(?:c10|at)::\w+|libtorch_\w+\.so', text_clean, re.M)
if types:
    line = next((l for l in text_clean.splitlines() if types.group(0) in l), types.group(0))
    defect(f'type or native name in output: {line.strip()[:180]}')
if re.search(r'\b(NaN|Infinity|∞)\s*%|\bnan\b %|accuracy:? NaN|log-loss NaN', text_clean, re.I):
    defect('a NaN or infinite figure reported: ' + re.search(r'.{0,60}(NaN|Infinity|∞).{0,40}', text_clean).group(0).strip())

# The expectation.
m = re.match(r'^(ok|err|any|rc[\d,]+)(?:~(.*))?$', expect, re.S)
if not m:
    defect(f'harness: unknown expectation {expect!r}')
kind, pattern = m.group(1), m.group(2)
named = lambda: pattern is None or re.search(pattern, text_clean, re.I | re.S)
errline = re.search(r'^error: .+', err, re.M)

if rc not in (0, 1, 2, 130, 143) and not kind.startswith('rc'):
    defect(f'exit code {rc}: neither 0, 1 (an error), 130 nor 143')
if kind == 'ok':
    if rc != 0:
        first = (errline.group(0) if errline else (err.strip() or out.strip()).splitlines()[-1:] or [''])
        defect(f'expected success, got exit {rc}: {str(first if isinstance(first, str) else first[0])[:200]}')
elif kind == 'err':
    if rc == 0:
        defect('exit 0 where an error was expected (the input was accepted): ' + (out.strip().splitlines() or [''])[-1][:150])
    if rc != 1:
        defect(f'expected a named error (exit 1), got exit {rc}: {(err.strip().splitlines() or [""])[-1][:150]}')
    if not named():
        defect(f'error message does not name /{pattern}/: {(errline.group(0) if errline else err.strip()[:200])[:220]}')
elif kind == 'any':
    if rc not in (0, 1):
        defect(f'expected a run or a named error, got exit {rc}: {(err.strip().splitlines() or [""])[-1][:150]}')
    if rc == 1 and not named():
        defect(f'error message does not name /{pattern}/: {(errline.group(0) if errline else err.strip()[:200])[:220]}')
else:
    allowed = [int(x) for x in kind[2:].split(',')]
    if rc not in allowed:
        defect(f'expected exit {"/".join(map(str, allowed))}, got {rc}: {(errline.group(0) if errline else (err.strip().splitlines() or [""])[-1])[:180]}')
    if rc == 1 and pattern and not named():
        defect(f'output does not name /{pattern}/: {(errline.group(0) if errline else err.strip()[:200])[:220]}')

if rc == 1 and not err.strip() and not out.strip():
    defect('exit 1 with no message at all')
if rc == 1 and not errline and kind != 'rc':
    tail = (err.strip() or out.strip()).splitlines()[-1:] or ['']
    if not re.search(r'error|cannot|not |no |must|refus|invalid|damaged', text_clean, re.I):
        defect(f'exit 1 without a message that says what is wrong: {tail[0][:150]}')
if rc == 0 and errline:
    defect(f'exit 0 but it printed an error: {errline.group(0)[:180]}')

# What it must not have touched or left.
before = dict(l.split(' ', 1) for l in read('keep.before').splitlines() if ' ' in l)
after = dict(l.split(' ', 1) for l in read('keep.after').splitlines() if ' ' in l)
for p, h in before.items():
    if after.get(p) != h:
        defect(f'{p} changed ({h} -> {after.get(p)}) though it had to stay as it was')
found = read('absent.found').split()
if found:
    defect(f'{", ".join(found)} exists after the run, though it must not')
if read('check.rc').strip() not in ('', '0'):
    defect('check failed: ' + ' '.join(read('check.log').split())[:220])
if read('allowtmp').strip() != '1':
    left = [l for l in read('tmp.after').splitlines() if l.strip()]
    if left:
        defect(f'left in TMPDIR: {"; ".join(l[2:] for l in left[:3])}{" ..." if len(left) > 3 else ""}')
# Staging and probe files left anywhere in the case's working folder.
for dirpath, dirnames, filenames in os.walk(os.path.join(C, 'cwd')):
    for n in dirnames + filenames:
        if re.search(r'\.(staging|old)-\d+-[0-9a-f]{32}$|^\.agd-probe-\d+-[0-9a-f]{32}$|^\.(confusion|report)-[0-9a-f]{32}\.', n):
            defect(f'left a staging or probe file: {os.path.relpath(os.path.join(dirpath, n), C)}')
# New entries in the working folder that the command did not name.
# (names compared as bytes: two names that are not UTF-8 must not read as the same U+FFFD)
cwd_before = set(read('cwd.before', errors='surrogateescape').splitlines())
new = [l[2:] for l in read('cwd.after', errors='surrogateescape').splitlines() if l not in cwd_before and l[2:].count('/') == 1]
defaults = ('agd-output', 'agd-compare', 'agd-search', 'agd-lm', 'agd-lm-compare')
def named_in_cmd(p):
    name = p[2:]
    shown = name.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
    return any(n in cmd for n in (shown, shown.replace('?', '\\n'))) or name in read('keep') or name in defaults or name.endswith('.gen.err') \
        or (len(name) >= 255 and name.strip(name[0]) == '')   # a name of 255 repeated letters, made by printf in the command
stray = [p for p in new if not named_in_cmd(p)]
if stray:
    defect(f'wrote outside the folder it owns: {", ".join(ascii(p)[1:-1] for p in stray[:3])}')

why = {0: 'ran', 1: 'named error', 130: 'stopped (130)', 141: 'stopped: its reader had gone (141)', 143: 'stopped (143)'}.get(rc, f'exit {rc}')
msg = errline.group(0)[7:] if errline else ''
print(f'CLEAN\t{why}{": " + msg[:150] if msg else ""}')

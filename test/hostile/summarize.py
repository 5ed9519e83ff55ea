#!/usr/bin/env python3
"""Turns a results TSV (run.sh's) into a table: totals by class and verdict, then every DEFECT row.

usage: summarize.py results.tsv [--all]   (--all lists every row, not only the defects)
"""
import collections
import sys

rows = []
with open(sys.argv[1], encoding='utf-8', errors='replace') as f:
    header = f.readline()
    for line in f:
        parts = line.rstrip('\n').split('\t')
        if len(parts) >= 7:
            rows.append(dict(id=parts[0], cls=parts[1], cmd=parts[2], rc=parts[3], secs=parts[4], verdict=parts[5], reason='\t'.join(parts[6:])))
# A case run again (a rerun appended to the same file) counts once: its last row.
last = {}
for r in rows:
    last[r['id']] = r
rows = list(last.values())
by = collections.defaultdict(collections.Counter)
for r in rows:
    by[r['cls']][r['verdict']] += 1
print('| class | cases | clean | defect | seconds |')
print('|---|---:|---:|---:|---:|')
for cls in sorted(by):
    secs = sum(float(r['secs'] or 0) for r in rows if r['cls'] == cls)
    print(f"| {cls} | {sum(by[cls].values())} | {by[cls]['CLEAN']} | {by[cls]['DEFECT']} | {secs:.0f} |")
total = collections.Counter(r['verdict'] for r in rows)
print(f"| **all** | {len(rows)} | {total['CLEAN']} | {total['DEFECT']} | {sum(float(r['secs'] or 0) for r in rows):.0f} |")
print()
shown = rows if '--all' in sys.argv else [r for r in rows if r['verdict'] == 'DEFECT']
if shown:
    print('| id | exit | s | verdict | reason |')
    print('|---|---:|---:|---|---|')
    for r in shown:
        print(f"| {r['id']} | {r['rc']} | {r['secs']} | {r['verdict']} | {r['reason'].replace('|', '/')[:230]} |")
print(f"\n{len(rows)} cases: {total['CLEAN']} clean, {total['DEFECT']} defect rows.")

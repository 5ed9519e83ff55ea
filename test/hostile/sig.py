#!/usr/bin/env python3
"""Runs a command and sends it signals on a schedule; exits with the command's exit code (128 + N when signal N ended it).

usage: sig.py STEP... -- COMMAND [ARGS...]
  wait:REGEX   wait until the command's stdout or stderr has printed REGEX (60 s at most)
  glob:PATTERN wait until a path matching PATTERN exists (60 s at most)
  sleep:S      wait S seconds
  INT TERM KILL HUP QUIT
               send that signal to the command (the process itself)
  INT@children and the like send it to the command's child processes (mpiexec's ranks: pgrep -P)
The command starts with SIGINT and SIGTERM at their default actions (a shell's background job would have SIGINT ignored),
in the harness's process group (so that the case's timeout ends it too). Its output is passed through as it comes. What was done, and when, goes to $C/sig.log.
"""
import glob
import os
import re
import signal
import subprocess
import sys
import threading
import time

def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = open(f'/proc/{p}/task/{p}/children').read().split()
        except OSError:
            kids = []
        out += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return out

def main():
    args = sys.argv[1:]
    if '--' not in args:
        print(__doc__, file=sys.stderr)
        return 2
    cut = args.index('--')
    steps, command = args[:cut], args[cut + 1:]
    log = open(os.path.join(os.environ.get('C', '.'), 'sig.log'), 'a')
    t0 = time.time()

    def note(text):
        log.write(f'{time.time() - t0:7.2f} {text}\n')
        log.flush()

    def defaults():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=defaults)
    note(f'started pid {child.pid}: {command}')
    seen = []
    lock = threading.Lock()

    def pump(source, sink):
        for chunk in iter(lambda: source.read1(65536) if hasattr(source, 'read1') else source.read(4096), b''):
            with lock:
                seen.append(chunk.decode('utf-8', 'replace'))
            sink.write(chunk)
            sink.flush()

    threads = [threading.Thread(target=pump, args=(child.stdout, sys.stdout.buffer), daemon=True),
               threading.Thread(target=pump, args=(child.stderr, sys.stderr.buffer), daemon=True)]
    for t in threads:
        t.start()

    for step in steps:
        if child.poll() is not None:
            note(f'command ended (rc {child.returncode}) before step {step}')
            break
        if step.startswith('wait:'):
            pattern = re.compile(step[5:])
            deadline = time.time() + 60
            while time.time() < deadline and child.poll() is None:
                with lock:
                    if pattern.search(''.join(seen)):
                        break
                time.sleep(0.05)
            note(f'{step} done')
        elif step.startswith('glob:'):
            deadline = time.time() + 60
            while time.time() < deadline and child.poll() is None and not glob.glob(step[5:]):
                time.sleep(0.02)
            note(f'{step} done ({glob.glob(step[5:])[:3]})')
        elif step.startswith('sleep:'):
            time.sleep(float(step[6:]))
        else:
            name, _, target = step.partition('@')
            number = getattr(signal, 'SIG' + name)
            try:
                if target == 'children':
                    pids = descendants(child.pid)
                    for pid in pids:
                        os.kill(pid, number)
                    note(f'sent SIG{name} to descendants {pids} of {child.pid}')
                elif target.startswith('rank'):
                    # the dotnet process of the Nth rank (the Nth dotnet descendant by pid order)
                    pids = [p for p in descendants(child.pid) if b'dotnet' in open(f'/proc/{p}/cmdline', 'rb').read()]
                    pid = sorted(pids)[int(target[4:])]
                    os.kill(pid, number)
                    note(f'sent SIG{name} to {target} pid {pid} of {pids}')
                else:
                    os.kill(child.pid, number)
                    note(f'sent SIG{name} to {child.pid}')
            except (ProcessLookupError, IndexError, OSError):
                note(f'SIG{name}: process already gone')
    rc = child.wait()
    for t in threads:
        t.join(timeout=5)
    note(f'ended: {rc}')
    return 128 - rc if rc < 0 else rc

if __name__ == '__main__':
    sys.exit(main())

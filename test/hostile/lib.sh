# Helpers of the hostile harness: sourced by run.sh (to define cases) and by each case's shell (to run its command).
# Sourcing defines variables and functions only; it makes and runs nothing.
#
# A case:  c ID CLASS EXPECT 'COMMAND'
#   ID       unique, such as N-train-width-0
#   CLASS    the class of hostility (numeric, paths, special, data, model, signals, outputs, concurrency, mpi, memory, env)
#   EXPECT   what a correct program does (judge.py reads it):
#              ok            exits 0
#              err~REGEX     exits 1 with an "error:" message matching REGEX (extended, case-insensitive)
#              any~REGEX     exits 0, or exits 1 with a message matching REGEX (a named error or a run)
#              rc130 / rc143 exits with that code (a stop)
#              rcN,M~REGEX   exits with one of the codes; REGEX is checked on a non-zero exit
#   COMMAND  bash, eval'd in $C/cwd (the case's working folder) with TMPDIR=$C/tmp; `agd` runs the program under test.
# Knobs, set just before `c` and cleared after it:
#   TO=SECONDS     the case's timeout (default 120); running past it is a defect (a hang)
#   PRE='...'      setup run in $C/cwd before the snapshots (copy a model, mount a file system, ...)
#   KEEP='p q'     paths (relative to $C/cwd) that must be byte for byte the same after the run
#   ABSENT='p q'   paths that must not exist after the run
#   COMPLETE='p'   model folders that must be whole after the run (image: model.zip model.onnx model.json; lm: model.bin model.json)
#   CHECK='...'    a command run in $C/cwd after the run; a non-zero exit is a defect (its output is the reason)
#   NOTE='...'     what the case is about, for the report
#   ALLOWTMP=1     leftovers in TMPDIR are not judged (the case checks them itself)

HOSTILE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${W:=/tmp/hostile8}"
: "${AGD_DLL:=/tmp/agd-cli/agd.dll}"
: "${RES:=$W/results.tsv}"
: "${PY:=/usr/bin/python3}"
FX=$W/fx
CASES=$W/cases
SUB=/work/main/data/fashion-mnist-subset
SHAKE=/work/shared/data/tiny-shakespeare.txt
export W AGD_DLL RES FX CASES SUB SHAKE HOSTILE_DIR PY

# The program under test: $W/bin/agd (run.sh writes it: exec dotnet "$AGD_DLL" "$@"), on PATH so that mpiexec,
# timeout and sig.py start it as they would any program.
PATH=$W/bin:$PATH
export PATH
# Tiny settings that keep a training run to seconds.
TINY="--width 16 --depth 2 -e 1"
LMTINY="--width 16 --layers 1 --heads 1 --context 16 -i 12 --eval-interval 6 --eval-batches 2 -b 4"

# A hash of a folder or file: names, kinds, link targets and contents; ABSENT when nothing is there.
tree_hash() {
    local p=$1
    if [[ ! -e $p && ! -L $p ]]; then echo ABSENT; return; fi
    if [[ -d $p && ! -L $p ]]; then
        (cd "$p" && find . -mindepth 1 \( -type f -printf '%y %p ' -exec sha256sum {} \; \) -o -printf '%y %p %l\n' 2>/dev/null | LC_ALL=C sort) | sha256sum | cut -c1-16
    else
        { stat -c '%F' "$p"; [[ -L $p ]] && readlink "$p"; [[ -f $p ]] && sha256sum <"$p"; } | sha256sum | cut -c1-16
    fi
}

# A file system for a case: a tmpfs at DIR (made), optionally filled by a command, then read-only.
mk_ro() { # DIR [fill command]
    mkdir -p "$1" && mount -t tmpfs -o size=8m tmpfs "$1" || return 1
    if [[ -n ${2:-} ]]; then (cd "$1" && eval "$2"); fi
    mount -o remount,ro "$1"
}
mk_full() { # DIR SIZE: a tmpfs of SIZE, filled to the last byte
    mkdir -p "$1" && mount -t tmpfs -o size="$2" tmpfs "$1" || return 1
    dd if=/dev/zero of="$1/.fill" bs=4k 2>/dev/null; true
}
mk_small() { # DIR SIZE: a small, empty tmpfs
    mkdir -p "$1" && mount -t tmpfs -o size="$2" tmpfs "$1"
}
mk_inodes() { # DIR: a tmpfs whose inodes are all used
    mkdir -p "$1" && mount -t tmpfs -o size=64m,nr_inodes=64 tmpfs "$1" || return 1
    local i=0; while touch "$1/.i$i" 2>/dev/null; do i=$((i + 1)); done
}
mk_noexec() { mkdir -p "$1" && mount -t tmpfs -o size=64m,noexec tmpfs "$1"; }

# Copies of the fixture models, so that a case may damage its own.
cp_model() { cp -a "$FX/models/$1" "${2:-m}"; }

# Runs a command with SIGINT and SIGTERM at their defaults, sending signals on a schedule (sig.py --help).
sig() { "$PY" "$HOSTILE_DIR/sig.py" "$@"; }

# The memory cgroup a case may run in (cgroup v1).
in_cgroup() { # LIMIT CMD...: runs CMD in a fresh memory cgroup of LIMIT; echoes OOM-KILL on stderr when the cgroup killed something
    local cg=/sys/fs/cgroup/memory/hostile8-$$-$RANDOM limit=$1; shift
    mkdir "$cg" || return 99
    echo "$limit" >"$cg/memory.limit_in_bytes"
    echo 0 >"$cg/memory.swappiness" 2>/dev/null
    (echo $BASHPID >"$cg/cgroup.procs"; exec "$@")
    local rc=$?
    if grep -q '^oom_kill [1-9]' "$cg/memory.oom_control" 2>/dev/null; then echo "OOM-KILL in cgroup $limit" >&2; fi
    rmdir "$cg" 2>/dev/null
    return $rc
}

# Mounts under a folder, deepest first (to undo a case's file systems).
umount_under() {
    awk -v p="$1" '$2 ~ "^"p {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}

_reset_knobs() { TO=; PRE=; KEEP=; ABSENT=; COMPLETE=; CHECK=; NOTE=; ALLOWTMP=; }
_reset_knobs

# Which cases run: IDS (an extended regex over ids) narrows them.
_selected() { [[ -z ${IDS:-} || $1 =~ $IDS ]]; }

_listing() { # what a folder holds, recursively, one line each (names and kinds)
    [[ -d $1 ]] && (cd "$1" && find . -mindepth 1 -printf '%y %p\0' 2>/dev/null | tr '\n\0' '?\n' | LC_ALL=C sort)
}

c() {
    local id=$1 cls=$2 exp=$3 cmd=$4
    if ! _selected "$id"; then _reset_knobs; return 0; fi
    if [[ -n ${SEEN[$id]:-} ]]; then echo "harness: duplicate case id $id" >&2; fi
    SEEN[$id]=1
    C=$CASES/$id
    umount_under "$C"
    rm -rf "$C"; mkdir -p "$C/cwd" "$C/tmp"
    export C
    printf '%s\n' "$cmd" >"$C/cmd"
    printf '%s\n' "$exp" >"$C/expect"
    printf '%s\t%s\n' "$id" "$cls" >"$C/id"
    printf '%s\n' "${NOTE:-}" >"$C/note"
    printf '%s\n' "${KEEP:-}" >"$C/keep"; printf '%s\n' "${ABSENT:-}" >"$C/absent"; printf '%s\n' "${COMPLETE:-}" >"$C/complete"
    printf '%s\n' "${ALLOWTMP:-}" >"$C/allowtmp"
    if [[ -n ${PRE:-} ]]; then
        (cd "$C/cwd" && eval "$PRE") >"$C/pre.log" 2>&1 || echo "PRE failed: $?" >>"$C/pre.log"
    fi
    local p
    for p in ${KEEP:-}; do printf '%s %s\n' "$p" "$(cd "$C/cwd" && tree_hash "$p")"; done >"$C/keep.before"
    _listing "$C/tmp" >"$C/tmp.before"
    _listing "$C/cwd" >"$C/cwd.before"
    local start end rc
    start=$(date +%s.%N)
    (cd "$C/cwd" && CMD=$cmd TMPDIR=$C/tmp LIB=$HOSTILE_DIR/lib.sh timeout -k 10 "${TO:-120}" bash -c 'source "$LIB"; eval "$CMD"') >"$C/stdout" 2>"$C/stderr" </dev/null
    rc=$?
    end=$(date +%s.%N)
    echo "$rc" >"$C/rc"
    echo "${TO:-120}" >"$C/timeout"
    awk -v a="$start" -v b="$(date +%s.%N)" -v t="${TO:-120}" 'BEGIN{print ((b-a >= t-0.2) ? 1 : 0)}' >"$C/timedout"
    awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f\n", b-a}' >"$C/secs"
    for p in ${KEEP:-}; do printf '%s %s\n' "$p" "$(cd "$C/cwd" && tree_hash "$p")"; done >"$C/keep.after"
    for p in ${ABSENT:-}; do if [[ -e $C/cwd/$p || -L $C/cwd/$p ]]; then echo "$p"; fi; done >"$C/absent.found"
    _listing "$C/tmp" >"$C/tmp.after"
    _listing "$C/cwd" >"$C/cwd.after"
    if [[ -n ${CHECK:-} ]]; then
        (cd "$C/cwd" && CMD=$CHECK LIB=$HOSTILE_DIR/lib.sh bash -c 'source "$LIB"; eval "$CMD"') >"$C/check.log" 2>&1
        echo $? >"$C/check.rc"
    fi
    umount_under "$C"
    local verdict
    verdict=$("$PY" "$HOSTILE_DIR/judge.py" "$C")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$cls" "$(printf '%s' "$cmd" | tr '\t\n' '  ' | cut -c1-400)" "$rc" "$(cat "$C/secs")" "$verdict" >>"$RES"
    printf '%-44s %-6s %5ss  %s\n' "$id" "$rc" "$(cat "$C/secs")" "$verdict" | cut -c1-200
    _reset_knobs
}
declare -A SEEN 2>/dev/null || true

# Checks a model folder is whole (for CHECK=): image or language model, by what it holds.
whole_model() { # DIR
    local d=$1
    if [[ -f $d/model.bin || -f $d/model.json && $(grep -c '"Tokenizer"' "$d/model.json" 2>/dev/null) -gt 0 ]]; then
        for f in model.bin model.json; do [[ -s $d/$f ]] || { echo "$d/$f missing"; return 1; }; done
        agd lm generate -m "$d" -n 3 >/dev/null 2>"$d.gen.err" || { echo "lm generate fails on $d: $(head -c 300 "$d.gen.err")"; rm -f "$d.gen.err"; return 1; }
        rm -f "$d.gen.err"
    else
        for f in model.zip model.onnx model.json; do [[ -s $d/$f ]] || { echo "$d/$f missing"; return 1; }; done
    fi
    return 0
}
# Checks that nothing is left beside a folder or in TMPDIR by earlier runs (for CHECK= after a kill and a next run).
no_leftovers() { # DIR...
    local bad=0 d
    for d in "$@"; do
        if ls -A "$d" 2>/dev/null | grep -E '\.(staging|old)-[0-9]+-|^\.agd-probe-|^\.confusion-|^\.report-' >/dev/null; then
            echo "leftovers in $d: $(ls -A "$d" | grep -E '\.(staging|old)-|^\.agd-probe-|^\.confusion-|^\.report-' | head -3 | tr '\n' ' ')"; bad=1
        fi
    done
    return $bad
}

# Puts a special file at PATH (replacing what is there): fifo, devzero, urandom, devnull, socket, dir, stdin (a link to
# /dev/stdin, which the case feeds from a pipe that never writes), fifo-link (a link to a FIFO).
plant() { # KIND PATH
    local kind=$1 p=$2
    rm -rf "$p"
    case $kind in
        fifo) mkfifo "$p" ;;
        devzero) ln -s /dev/zero "$p" ;;
        urandom) ln -s /dev/urandom "$p" ;;
        devnull) ln -s /dev/null "$p" ;;
        socket) "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$p" ;;
        dir) mkdir -p "$p"; echo x >"$p/inside" ;;
        stdin) ln -s /dev/stdin "$p" ;;
        fifo-link) mkfifo "$p.fifo" && ln -s "$(basename "$p").fifo" "$p" ;;
        *) echo "plant: unknown kind $kind" >&2; return 1 ;;
    esac
}

# File damage for the model cases.
trunc() { local n; n=$(stat -c %s "$1"); truncate -s $((n / 2)) "$1"; }
flip() { # FILE OFFSET|mid|last: one byte inverted
    "$PY" - "$1" "$2" <<'P'
import sys
p, at = sys.argv[1], sys.argv[2]
b = bytearray(open(p, 'rb').read())
i = len(b) // 2 if at == 'mid' else len(b) - 1 if at == 'last' else int(at)
b[i] ^= 0xFF
open(p, 'wb').write(bytes(b))
P
}
# Edits a JSON file: jset FILE PYTHON-STATEMENT, with j the parsed document (j['Seed'] = 'x'; del j['Ran']); written
# back indented as agd writes it.
jset() {
    "$PY" - "$1" "$2" <<'P'
import json, sys
p = sys.argv[1]
j = json.load(open(p, encoding='utf-8-sig'))
exec(sys.argv[2])
open(p, 'w').write(json.dumps(j, indent=2, ensure_ascii=True))
P
}
# Edits a language model's model.json as text (a sed expression) and writes the checksum agd would have written for
# the edited values, so that what is tested is the edit itself, not the checksum catching it.
lm_forge() { # DIR SED-EXPRESSION
    [[ -n ${2:-} ]] && sed -i -e "$2" "$1/model.json"
    "$PY" - "$1" <<'P'
import hashlib, re, sys
d = sys.argv[1]
text = open(d + '/model.json', encoding='utf-8').read()
blank = re.sub(r'"Checksum": "[0-9a-f]*"', '"Checksum": ""', text)
h = hashlib.sha256(open(d + '/model.bin', 'rb').read() + blank.encode()).hexdigest()
open(d + '/model.json', 'w', encoding='utf-8').write(re.sub(r'"Checksum": "[0-9a-f]*"', f'"Checksum": "{h}"', text))
P
}
# Writes into an image model's model.json the SHA-256 of its model.zip and model.onnx as they are now.
img_forge() { # DIR
    "$PY" - "$1" <<'P'
import hashlib, json, sys
d = sys.argv[1]
j = json.load(open(d + '/model.json'))
j['Sha256'] = {f: hashlib.sha256(open(f'{d}/{f}', 'rb').read()).hexdigest() for f in ('model.zip', 'model.onnx')}
open(d + '/model.json', 'w').write(json.dumps(j, indent=2))
P
}

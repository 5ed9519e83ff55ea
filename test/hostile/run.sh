#!/bin/bash
# The hostile harness: makes its fixtures in a work folder, then runs every case file (or those named), one case at a
# time, and writes one row per case to $RES (results.tsv). README.md says what it covers and how long it takes.
#
#   bash test/hostile/run.sh                         # everything: fixtures, then every cases-*.sh
#   bash test/hostile/run.sh cases-numeric.sh        # one file (fixtures made when missing)
#   IDS='^N-train' bash test/hostile/run.sh          # the cases whose id matches
#   W=/tmp/h RES=/tmp/h/rerun.tsv bash test/hostile/run.sh ...   # another work folder or results file
#   AGD_DLL=/path/to/agd.dll ...                     # the build under test (default /tmp/agd-cli/agd.dll)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"

[[ $(id -u) == 0 ]] || { echo "run.sh needs root (mounts, cgroups)"; exit 2; }
[[ -f $AGD_DLL ]] || { echo "no agd at $AGD_DLL (set AGD_DLL)"; exit 2; }
if ! "$PY" -c 'import PIL, numpy' 2>/dev/null; then
    apt-get install -y -qq python3-pil python3-numpy >/dev/null 2>&1 || { echo "needs python3-pil and python3-numpy"; exit 2; }
fi
command -v mpiexec.mpich >/dev/null || echo "note: mpiexec.mpich is missing; the mpi cases will fail"

mkdir -p "$W/bin" "$CASES"
printf '#!/bin/sh\nexec dotnet "%s" "$@"\n' "$AGD_DLL" >"$W/bin/agd"
chmod +x "$W/bin/agd"

# Fixtures: data (mkfix.py), then small trained folders of each kind, made once per work folder.
if [[ ! -f $FX/.made ]]; then
    echo "making fixtures in $FX"
    rm -rf "$FX"
    "$PY" "$HERE/mkfix.py" "$FX" || exit 1
    mkdir -p "$FX/models" "$FX/tmp"
    (
        cd "$FX/models" || exit 1
        export TMPDIR=$FX/tmp
        set -e
        agd train --data "$FX/idx" $TINY -o fcn >fcn.log 2>&1
        agd train --data "$FX/idx" --width 32 --depth 3 -e 1 --seed 1 -o fcn-w32 >fcn-w32.log 2>&1
        agd train --data "$FX/img" --image-size 8 $TINY -o img8 >img8.log 2>&1
        agd train --data "$FX/img-b" --image-size 8 --grey $TINY -o img8b >img8b.log 2>&1
        agd lm train -t "$FX/text/small.txt" $LMTINY -o lm >lm.log 2>&1
        agd lm train -t "$FX/text/emoji.txt" --width 32 --layers 1 --heads 2 --context 8 -i 12 --eval-interval 6 --eval-batches 2 -b 4 -o lm2 >lm2.log 2>&1
        agd compare --data "$FX/idx" $TINY -o cmp >cmp.log 2>&1
        agd lm compare -t "$FX/text/small.txt" $LMTINY -o lmcmp >lmcmp.log 2>&1
        agd search --data "$FX/idx" --budget 00:00:08 --architectures fcn --depths 2 --widths 16 --trials 2 -o srch >srch.log 2>&1
        agd evaluate -m fcn --data "$FX/idx" -o eval >eval.log 2>&1
        agd train --data "$FX/cifar" $TINY -o cifar >cifar.log 2>&1
        agd train --data "$SUB" $TINY -o fcnsub >fcnsub.log 2>&1
    ) || { echo "fixture models failed: see $FX/models/*.log"; exit 1; }

    touch "$FX/.made"
fi

files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
    files=(cases-numeric.sh cases-paths.sh cases-special.sh cases-data.sh cases-model.sh cases-outputs.sh cases-env.sh cases-signals.sh cases-concurrency.sh cases-memory.sh cases-mpi.sh)
fi
[[ -f $RES ]] || printf 'id\tclass\tcommand\texit\tseconds\tverdict\treason\n' >"$RES"
started=$(date +%s)
for f in "${files[@]}"; do
    echo "== $f"
    source "$HERE/${f##*/}"
done
echo "== done in $(( $(date +%s) - started )) s; results in $RES"
"$PY" "$HERE/summarize.py" "$RES" | tail -5

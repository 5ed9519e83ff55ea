# Signals: SIGINT and SIGTERM at start-up, during data reading, mid-epoch, at the end while writing; a second signal;
# SIGKILL at several points, after which the folder must be the old one whole or the new one whole, and the next run
# must remove what the killed one left (TMPDIR, staging folders beside the output). Every verb that runs long.

# Long runs (tens of seconds) to signal: an image FCN on the shipped subset, a GPT, a comparison, a search.
LONG="agd train --data \$SUB --width 16 --depth 2 -e 300 -o out"
LONGLM="agd lm train -t \$FX/text/small.txt --width 32 --layers 2 --heads 2 --context 32 -i 20000 --eval-interval 100 --eval-batches 2 -b 8 -o out"
LONGCMP="agd compare --data \$SUB --width 64 --depth 3 -e 20 -o out"
LONGSRCH="agd search --data \$SUB --architectures fcn --depths 2 3 --widths 32 64 --trials 4 --budget 00:02:00 -o out"
LONGLMCMP="agd lm compare -t \$FX/text/small.txt --width 32 --layers 2 --heads 2 --context 32 -i 20000 --eval-interval 100 --eval-batches 2 -b 8 -o out"
LONGEVAL="agd evaluate -m m --data \$SUB"   # m: a copy of fcnsub, trained on the subset
LONGGEN="agd lm generate -m \$FX/models/lm -n 1000000"
NEXT="agd predict -m \$FX/models/fcn \$FX/img/a/000.png >/dev/null 2>&1"   # a next run in the same TMPDIR
WHOLE_OR_OLD='whole_model out'

# verb | long command | a copy of an earlier folder of the same kind put at out first | what must be true after a stop
declare -A SG_CMD SG_OWN SG_KEEPS
sgslot() { SG_CMD[$1]=$2; SG_OWN[$1]=$3; SG_KEEPS[$1]=$4; }
sgslot train     "$LONG"      fcn    folder      # a stop keeps whole epochs: the folder is old or new, whole
sgslot lmtrain   "$LONGLM"    lm     folder
sgslot compare   "$LONGCMP"   cmp    old         # a stopped comparison writes nothing: the old folder, byte for byte
sgslot lmcompare "$LONGLMCMP" lmcmp  old
sgslot search    "$LONGSRCH"  srch   folder

# train gets every point; the other verbs a selection (tags as in the case ids).
declare -A SG_SEL=(
    [train]='INT-startup-0.05 INT-startup-0.4 INT-startup-1.5 INT-early INT-mid INT-twice INT-thrice-fast INT-writing TERM-startup-0.4 TERM-mid TERM-twice TERM-writing INT-then-TERM KILL-0.3 KILL-1.2 KILL-run-0.5 KILL-run-3 KILL-staging KILL-staging-file-0.05 KILL-next-other-verb'
    [lmtrain]='INT-startup-0.4 INT-mid INT-twice INT-writing TERM-mid KILL-run-3 KILL-staging'
    [compare]='INT-mid TERM-mid INT-twice KILL-run-3'
    [lmcompare]='INT-mid TERM-early KILL-run-3'
    [search]='INT-mid TERM-mid INT-writing KILL-run-3'
)
want() { [[ " ${SG_SEL[$s]} " == *" $1 "* ]]; }
# The same run made short, for the points at its end (the folder being written).
short() { local x=${1/-e 300/-e 2}; x=${x/-e 20/-e 1}; x=${x/-i 20000/-i 40}; printf '%s' "${x/00:02:00/00:00:30}"; }
for s in train lmtrain compare lmcompare search; do
    cmd=${SG_CMD[$s]} own=${SG_OWN[$s]} keeps=${SG_KEEPS[$s]}
    if [[ $keeps == old ]]; then K=out; CK=''; else K=''; CK="whole_model out || [ ! -e out ]"; fi
    [[ $s == compare || $s == lmcompare ]] && CK='[ -s out/compare.md ]'
    for sg in INT TERM; do
        code=$([[ $sg == INT ]] && echo 130 || echo 143)
        # start-up: before the runtime has handlers, while it loads, and once it runs (by 1.5 s a fast moment of this
        # machine has trained whole epochs of the small runs, which a stop then keeps: the folder is old or new, whole)
        for t in 0.05 0.4 1.5; do
            if [[ $t == 1.5 ]]; then KS=$K; CS=$CK; else KS=out; CS=''; fi
            want "${sg}-startup-${t}" && PRE="cp_model $own out" KEEP=$KS CHECK=$CS TO=90 c "G-$s-$sg-startup-$t" signals "rc$code" "sig sleep:$t $sg -- $cmd; r=\$?; $NEXT; exit \$r"
        done
        want "${sg}-early" && PRE="cp_model $own out" KEEP=$K CHECK=$CK TO=120 c "G-$s-$sg-early" signals "rc$code" "sig wait:'Training|tokens in the vocabulary|Searching|[Cc]omparing' sleep:0.3 $sg -- $cmd"
        want "${sg}-mid" && PRE="cp_model $own out" KEEP=$K CHECK=$CK TO=120 c "G-$s-$sg-mid" signals "rc$code" "sig wait:'Training|tokens in the vocabulary|Searching|[Cc]omparing' sleep:3 $sg -- $cmd"
        want "${sg}-twice" && PRE="cp_model $own out" KEEP=$K CHECK=$CK TO=120 c "G-$s-$sg-twice" signals "rc$code" "sig wait:'Training|tokens in the vocabulary|Searching|[Cc]omparing' sleep:4 $sg sleep:0.2 $sg -- $cmd"
        want "${sg}-thrice-fast" && PRE="cp_model $own out" KEEP=$K CHECK=$CK TO=120 c "G-$s-$sg-thrice-fast" signals "rc$code" "sig wait:'Training|tokens in the vocabulary|Searching|[Cc]omparing' sleep:4 $sg $sg $sg -- $cmd"
        # while the folder is written: the staging folder appears beside it
        want "${sg}-writing" && PRE="cp_model $own out" CHECK="$CK; no_leftovers ." TO=150 c "G-$s-$sg-writing" signals "rc0,$code" "sig glob:'.out.staging-*' $sg -- $(short "$cmd")"
    done
    # the other signal after the first: a second signal of another kind also exits at once
    want "INT-then-TERM" && PRE="cp_model $own out" KEEP=$K CHECK=$CK TO=120 c "G-$s-INT-then-TERM" signals 'rc130,143' "sig wait:'Training|tokens in the vocabulary|Searching|[Cc]omparing' sleep:4 INT sleep:0.3 TERM -- $cmd"
    # SIGKILL: the folder right after the kill is old or new, whole; the next run (the same verb, tiny, to the same -o)
    # removes the staging folder and the TMPDIR leftovers.
    case $s in
        train) next="agd train --data \$FX/idx $TINY -o out" ;;
        lmtrain) next="agd lm train -t \$FX/text/small.txt $LMTINY -o out" ;;
        compare) next="agd compare --data \$FX/idx $TINY -o out" ;;
        lmcompare) next="agd lm compare -t \$FX/text/small.txt $LMTINY -o out" ;;
        search) next="agd search --data \$FX/idx --architectures fcn --depths 2 --widths 16 --trials 2 --budget 00:00:04 -o out" ;;
    esac
    for at in "sleep:0.3" "sleep:1.2" "STARTED sleep:0.5" "STARTED sleep:3" "glob:'.out.staging-*'" "glob:'.out.staging-*/*' sleep:0.05"; do
        tag=$(printf '%s' "$at" | sed "s/STARTED/run/; s/glob:'.out.staging-\*\/\*'/staging-file/; s/glob:'.out.staging-\*'/staging/; s/sleep://g; s/ /-/g")
        at=${at/STARTED/wait:\'Training|tokens in the vocabulary|Searching|[Cc]omparing\'}
        want "KILL-${tag}" && PRE="cp_model $own out" ALLOWTMP=0 TO=180 CHECK="grep -qx 0 killcheck.txt || { echo \"right after the kill: \$(cat killcheck.txt | head -c 200)\"; exit 1; }; no_leftovers ." \
            c "G-$s-KILL-$tag" signals ok "sig $at KILL -- $([[ $at == glob* ]] && short "$cmd" || printf '%s' "$cmd"); (${CK:-whole_model out}; echo \$?) > killcheck.txt 2>&1; $next >/dev/null"
    done
    # after a kill, a run of another verb in the same TMPDIR removes the leftovers too
    want "KILL-next-other-verb" && PRE="cp_model $own out" TO=150 c "G-$s-KILL-next-other-verb" signals ok "sig wait:'Training|tokens in the vocabulary|Searching|[Cc]omparing' sleep:2 KILL -- $cmd; $NEXT"
done
# verbs that cannot stop part-way end at once with the signal's code, removing their temporary files
for sg in INT TERM; do
    code=$([[ $sg == INT ]] && echo 130 || echo 143)
    PRE='cp_model fcnsub m' TO=60 c "G-evaluate-$sg" signals "rc$code" "sig sleep:1.0 $sg -- $LONGEVAL"
    PRE='cp_model fcnsub m' TO=60 c "G-evaluate-$sg-writing" signals "rc0,$code" "sig glob:'m/.confusion-*' $sg -- $LONGEVAL; r=\$?; if ls -A m | grep -q '^\\.'; then echo 'error: a partial file is left in m' >&2; exit 1; fi; exit \$r"
    TO=60 c "G-lmgen-$sg" signals "rc$code" "sig sleep:3 $sg -- $LONGGEN"
    TO=60 c "G-predict-$sg" signals "rc$code" "sig sleep:0.9 $sg -- agd predict -m \$FX/models/fcn \$(for i in \$(seq 1 4000); do printf '%s ' \$FX/img/b/000.png; done)"
done
PRE='cp_model fcnsub m' TO=60 c G-evaluate-KILL signals ok "sig sleep:1.0 KILL -- $LONGEVAL; $NEXT; if ls -A m | grep -q '^\\.'; then echo 'error: a partial file is left in m' >&2; exit 1; fi"
TO=60 c G-lmgen-KILL signals ok "sig sleep:3 KILL -- $LONGGEN; $NEXT"
# hang-up and quit (a closed terminal, Ctrl+\): the folder stays whole; the next run cleans up
PRE='cp_model fcn out' TO=120 CHECK='whole_model out' c G-train-HUP signals 'rc0,129,130,143' "sig wait:Training sleep:3 HUP -- $LONG; $NEXT; exit 129"
PRE='cp_model fcn out' TO=120 CHECK='whole_model out' c G-train-QUIT signals 'rc0,131,130,143' "sig wait:Training sleep:3 QUIT -- $LONG; $NEXT; exit 131"
# a replay of a stopped run stops where it did
PRE='cp_model fcn out' TO=150 CHECK="grep -q '\"StoppedAfterEpoch\": [0-9]' out/run.json || { echo 'run.json does not say where it stopped'; exit 1; }; agd train --config out/run.json -o again >/dev/null 2>&1 && cmp out/model.onnx again/model.onnx" \
    c G-train-stopped-replay signals rc130 "sig wait:Training sleep:3 INT -- $LONG"
PRE='cp_model lm out' TO=150 CHECK="agd lm generate -m out -n 5 >/dev/null" c G-lmtrain-stopped-generate signals rc130 "sig wait:'tokens in the vocabulary' sleep:5 INT -- $LONGLM"
# a signal to a run in a folder that a killed run left staging in (cleanup while stopping)
PRE='cp_model fcn out; mkdir .out.staging-999999-0123456789abcdef0123456789abcdef' TO=120 CHECK='no_leftovers .' c G-train-INT-with-leftover signals rc130 "sig wait:Training sleep:3 INT -- $LONG"

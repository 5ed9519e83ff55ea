# Output folders (-o) of train, compare, search, evaluate, lm train and lm compare: new, empty, the verb's own earlier
# folder (replaced whole), another verb's, a folder of the user's files (refused before any work, nothing changed),
# user files hidden inside an own folder, links, the current folder and its parents, the repo's docs/ and data/, /,
# read-only, full and inode-starved file systems, long and odd names, and leftovers of killed runs beside the folder.

declare -A OS_CMD OS_PRE OS_OWN OS_OTHER OS_WHOLE
oslot() { OS_CMD[$1]=$2; OS_PRE[$1]=$3; OS_OWN[$1]=$4; OS_OTHER[$1]=$5; OS_WHOLE[$1]=$6; }
#      slot       command (@: the folder)                                                                PRE              own    other  whole-check file
oslot train     "agd train --data \$FX/idx $TINY --seed 3 -o @"                                        ''               fcn    lm     model.zip
oslot compare   "agd compare --data \$FX/idx $TINY -o @"                                               ''               cmp    fcn    compare.md
oslot search    "agd search --data \$FX/idx --architectures fcn --depths 2 --widths 16 --trials 2 --budget 00:00:04 -o @" '' srch lmcmp model.zip
oslot evaluate  "agd evaluate -m \$C/cwd/m --data \$FX/idx -o @"                                               'cp_model fcn m' eval   lm     confusion.png
oslot lmtrain   "agd lm train -t \$FX/text/small.txt $LMTINY --seed 3 -o @"                            ''               lm     fcn    model.bin
oslot lmcompare "agd lm compare -t \$FX/text/small.txt $LMTINY -o @"                                   ''               lmcmp  cmp    compare.md

for s in train compare search evaluate lmtrain lmcompare; do
    cmd=${OS_CMD[$s]} pre=${OS_PRE[$s]} own=${OS_OWN[$s]} other=${OS_OTHER[$s]} wf=${OS_WHOLE[$s]}
    at() { printf '%s' "${cmd//@/$1}"; }
    P() { printf '%s' "${pre:+$pre; }$1"; }
    whole() { printf '[ -s %s/%s ] || { echo "%s/%s missing"; exit 1; }' "$1" "$wf" "$1" "$wf"; }
    ext() { [[ $s == train || $s == lmtrain ]]; }   # the extended kinds run on these two slots
    ext1() { [[ $s == train ]]; }                   # and some on train alone
    PRE=$pre CHECK=$(whole out) c "O-$s-new" outputs ok "$(at out)"
    ext && PRE=$pre CHECK=$(whole a/b/c/out) c "O-$s-newdeep" outputs ok "$(at a/b/c/out)"
    ext && PRE=$(P 'mkdir out') CHECK=$(whole out) c "O-$s-empty" outputs ok "$(at out)"
    PRE=$(P "cp_model $own out") CHECK="$(whole out)" c "O-$s-own" outputs ok "$(at out)"
    PRE=$(P "cp_model $other out") KEEP=out c "O-$s-otherverb" outputs 'err~holds|not part' "$(at out)"
    PRE=$(P "mkdir out; echo precious > out/notes.txt; mkdir out/photos; echo x > out/photos/p.jpg") KEEP=out c "O-$s-userfiles" outputs 'err~notes.txt|holds' "$(at out)"
    ext && PRE=$(P "cp_model $own out; echo precious > out/notes.txt") KEEP=out c "O-$s-own-plus-file" outputs 'err~notes.txt|holds' "$(at out)"
    ext && PRE=$(P "cp_model $own out; echo precious > out/.notes") KEEP=out c "O-$s-own-plus-hidden" outputs 'err~\.notes|holds' "$(at out)"
    ext && PRE=$(P "cp_model $own out; mkdir out/.git; echo x > out/.git/HEAD") KEEP=out c "O-$s-own-plus-git" outputs 'err~\.git|holds' "$(at out)"
    first=$(ls "$FX/models/$own" 2>/dev/null | grep -v / | head -1); first=${first:-model.json}
    ext && PRE=$(P "cp_model $own out; echo precious > precious.txt; rm -rf out/$first; ln -s ../precious.txt out/$first") KEEP='out precious.txt' \
        c "O-$s-own-file-is-link" outputs "err~$first|link|holds" "$(at out)"
    ext && PRE=$(P "cp_model $own out; rm -rf out/$first; mkdir out/$first; echo precious > out/$first/keep.txt") KEEP=out \
        c "O-$s-own-name-is-dir" outputs "err~$first|holds" "$(at out)"
    if [[ $s == train || $s == search ]]; then
        # A user's file inside the model's own sub-folders (predict/, train/): replacing the folder whole deletes it.
        PRE=$(P "cp_model $own out; echo precious > out/predict/notes.txt") KEEP=out c "O-$s-file-in-predict" outputs 'err~notes.txt|predict|holds' "$(at out)"
        PRE=$(P "cp_model $own out; mkdir -p out/predict/bin; echo precious > out/predict/bin/mine.dll; echo x > out/train/data.csv") KEEP=out \
            c "O-$s-file-in-train" outputs 'err~data.csv|train|holds|mine' "$(at out)"
        PRE=$(P "cp_model $own out; echo precious > precious.txt; ln -s ../../precious.txt out/predict/link.txt") KEEP='out precious.txt' \
            c "O-$s-link-in-predict" outputs 'err~link|predict|holds' "$(at out)"
    fi
    PRE=$(P 'echo precious > out') KEEP=out c "O-$s-isfile" outputs 'err~file' "$(at out)"
    ext && PRE=$(P 'echo precious > f') KEEP=f c "O-$s-underfile" outputs 'err~file' "$(at f/out)"
    ext && PRE=$(P 'ln -s /nonexistent/x out') KEEP=out c "O-$s-dangling" outputs 'err~link|nonexistent|folder' "$(at out)"
    ext && PRE=$(P 'ln -s out out') c "O-$s-loop" outputs 'err~levels|round to itself|itself|loop' "$(at out)"
    ext1 && PRE=$(P 'ln -s out2 out; ln -s out out2') c "O-$s-loop2" outputs 'err~link|loop|levels' "$(at out)"
    ext && PRE=$(P 'mkdir real; ln -s real out') CHECK="[ -L out ] || { echo 'the link was replaced by a folder'; exit 1; }; $(whole real)" \
        c "O-$s-link-to-empty" outputs ok "$(at out)"
    PRE=$(P "cp_model $own real; ln -s real out") CHECK="[ -L out ] || { echo 'the link was replaced by a folder'; exit 1; }; $(whole real)" \
        c "O-$s-link-to-own" outputs ok "$(at out)"
    ext1 && PRE=$(P "mkdir -p d; ln -s d/ out") CHECK="[ -L out ] || { echo 'link replaced'; exit 1; }" c "O-$s-link-trailing" outputs ok "$(at out/)"
    PRE=$(P 'mkdir -p sub; echo precious > sub/keep.txt') KEEP=sub c "O-$s-dot" outputs 'err~current|holds' "cd sub && $(at .)"
    ext1 && PRE=$(P "cp_model $own sub") KEEP=sub c "O-$s-dot-own" outputs 'err~current' "cd sub && $(at .)"
    ext1 && PRE=$(P "cp_model $own sub") KEEP=sub c "O-$s-pwd-own" outputs 'err~current' "cd sub && $(at '$PWD')"
    ext && PRE=$(P "mkdir -p sub/inner") KEEP=sub c "O-$s-dotdot" outputs 'err~current|holds' "cd sub/inner && $(at ..)"
    ext && PRE=$(P "cp_model $own real; ln -s . lnk") KEEP=real c "O-$s-cwd-via-link" outputs 'err~current' "cd real && $(at ../lnk/real)"
    ext && PRE=$(P "mkdir -p x; cp_model $own x/real; ln -s x lnk") KEEP=x c "O-$s-cwd-via-linked-parent" outputs 'err~current' "cd x/real && $(at "\$OLDPWD/lnk/real")"
    ext && c "O-$s-root" outputs 'err~root|/' "$(at /)"
    PRE=$pre KEEP=/work/main/docs c "O-$s-repo-docs" outputs 'err~holds|docs' "$(at /work/main/docs)"
    ext && PRE=$pre KEEP=/work/main/data c "O-$s-repo-data" outputs 'err~holds|data' "$(at /work/main/data)"
    ext1 && PRE=$pre c "O-$s-tmp" outputs 'err~holds|/tmp' "$(at /tmp)"
    ext1 && PRE=$pre c "O-$s-devnull" outputs 'err~/dev/null|file|device' "$(at /dev/null)"
    ext1 && PRE=$pre c "O-$s-proc" outputs 'err~/proc|cannot|holds|read-only' "$(at /proc/self)"
    ext && PRE=$pre c "O-$s-empty-name" outputs 'err~empty' "$(at "''")"
    ext && PRE=$pre CHECK="$(whole "'my model'")" c "O-$s-space" outputs ok "$(at "'my model'")"
    ext1 && PRE=$pre CHECK="$(whole "\$'my\\nmodel'")" c "O-$s-newline" outputs ok "$(at "\$'my\\nmodel'")"
    ext && PRE=$pre c "O-$s-latin1" outputs 'err~UTF-8' "$(at "\$'caf\\xe9'")"
    ext1 && PRE=$pre c "O-$s-dash" outputs 'any~-x' "$(at -x)"
    ext1 && PRE=$pre CHECK="$(whole "\$(printf 'y%.0s' {1..255})")" c "O-$s-255" outputs ok "$(at "\$(printf 'y%.0s' {1..255})")"
    ext && PRE=$pre c "O-$s-256" outputs 'err~255|long|name' "$(at "\$(printf 'y%.0s' {1..256})")"
    ext1 && PRE=$pre c "O-$s-path4096" outputs 'err~path|long|4095' "$(at "\$(printf 'abcdefghi/%.0s' {1..420})out")"
    PRE=$(P 'mk_ro ro') c "O-$s-readonly" outputs 'err~read-only|cannot be written|refuses' "$(at ro/out)"
    ext && PRE=$(P "mk_ro ro 'cp -a \$FX/models/$own out'") KEEP=ro c "O-$s-readonly-own" outputs 'err~read-only|cannot be written|refuses' "$(at ro/out)"
    ext && PRE=$(P 'mk_full full 1m') c "O-$s-full" outputs 'err~full|space|cannot be written|refuses' "$(at full/out)"
    PRE=$(P "mk_small small 400k; cp -a \$FX/models/$own small/out; dd if=/dev/zero of=small/pad bs=1k count=\$(( \$(df -k --output=avail small | tail -1) - 24 )) 2>/dev/null") \
        KEEP=small/out c "O-$s-nearly-full" outputs 'err~full|space|room|disk|cannot|refuses' "$(at small/out)"
    ext && PRE=$(P 'mk_inodes ino') c "O-$s-inodes" outputs 'err~space|inode|cannot be written|refuses' "$(at ino/out)"
    # Leftovers beside the folder of runs that were killed (a process id that does not run): removed by the next run.
    ext && PRE=$(P "cp_model $own out; mkdir .out.staging-999999-0123456789abcdef0123456789abcdef; echo x > .out.staging-999999-0123456789abcdef0123456789abcdef/model.zip; mkdir .out.old-999998-0123456789abcdef0123456789abcdef") \
        CHECK="no_leftovers . && $(whole out)" c "O-$s-killed-leftovers" outputs ok "$(at out)"
    # The same names with a live process id (this shell's, running): another run's, to be left alone.
    ext1 && PRE=$(P "cp_model $own out; mkdir .out.staging-1-0123456789abcdef0123456789abcdef") \
        CHECK="[ -d .out.staging-1-0123456789abcdef0123456789abcdef ] || { echo 'a live process (pid 1) had its staging folder deleted'; exit 1; }; rmdir .out.staging-1-0123456789abcdef0123456789abcdef" \
        c "O-$s-live-staging" outputs ok "$(at out)"
    ext1 && PRE=$(P "cp_model $own out; echo 1 > out/.agd-probe-999999-0123456789abcdef0123456789abcdef") CHECK="$(whole out)" c "O-$s-probe-leftover" outputs ok "$(at out)"
    ext1 && PRE=$(P "mkdir out; echo precious > out/.agd-probe-mine") KEEP=out c "O-$s-probe-named-user-file" outputs 'err~holds|probe' "$(at out)"
done
# evaluate without -o writes into the model folder: a model folder that cannot be written is named before any work.
PRE="mk_ro ro 'cp -a \$FX/models/fcn m'" c O-evaluate-default-readonly outputs 'err~read-only|cannot be written|refuses' "agd evaluate -m ro/m --data \$FX/idx"
PRE="mk_ro ro 'cp -a \$FX/models/fcn m'" c O-evaluate-readonly-model-o-elsewhere outputs ok "agd evaluate -m ro/m --data \$FX/idx -o ev"
PRE="mk_ro ro 'cp -a \$FX/models/fcn m'" c O-predict-readonly-model outputs ok "agd predict -m ro/m \$FX/img/a/000.png"
PRE="mk_ro ro 'cp -a \$FX/models/lm m'" c O-lmgen-readonly-model outputs ok "agd lm generate -m ro/m -n 5"
PRE="mk_ro ro 'cp -a \$FX/idx idx'" c O-train-readonly-data outputs ok "agd train --data ro/idx $TINY -o out"
PRE='cp_model fcn m' CHECK='[ -s m/confusion.png ] && [ -s m/model.zip ]' c O-evaluate-o-is-model outputs ok "agd evaluate -m m --data \$FX/idx -o m"
PRE='cp_model fcn m; cp_model fcn m2' KEEP=m2 c O-evaluate-o-other-model outputs 'err~holds|model' "agd evaluate -m m --data \$FX/idx -o m2"
PRE='cp_model fcn m' c O-evaluate-o-inside-model outputs 'any~predict|holds' "agd evaluate -m m --data \$FX/idx -o m/predict"
PRE='cp_model fcn m' CHECK='[ -s m/model.zip ] && [ -s m/ev/confusion.png ]' c O-evaluate-o-new-inside-model outputs 'any~ev' "agd evaluate -m m --data \$FX/idx -o m/ev"
PRE='cp_model fcn m' CHECK='[ -s m/model.zip ]' c O-train-o-inside-own-model outputs 'any~holds|inside' "agd train --data \$FX/idx $TINY -o m/predict"
PRE='cp_model fcn m; cp -a $FX/idx m/idx2' KEEP=m c O-train-o-parent-of-data outputs 'err~holds|idx2' "agd train --data m/idx2 $TINY -o m"
PRE='mkdir -p d; cp -a $FX/idx d/idx' KEEP=d c O-train-o-is-data outputs 'err~holds|data|idx' "agd train --data d/idx $TINY -o d/idx"
PRE='cp -a $FX/text/small.txt t.txt; mkdir o; mv t.txt o/' KEEP=o c O-lmtrain-o-holds-text outputs 'err~holds|t\.txt' "agd lm train -t o/t.txt $LMTINY -o o"
PRE='cp_model lm m' c O-lmtrain-o-is-generate-model-text outputs 'any~holds|sample|text' "agd lm train -t m/sample.txt $LMTINY -o m"
PRE='cp_model fcn m' CHECK='[ -s m/model.zip ] && [ -s out/model.zip ]' c O-train-config-o-new outputs ok "agd train --config m/run.json -o out"
PRE='cp_model fcn m' CHECK='[ -s m/model.zip ]' c O-train-config-o-same outputs 'any~run.json|config|m' "agd train --config m/run.json -o m"
PRE='cp_model lm m' CHECK='[ -s m/model.bin ]' c O-lmtrain-config-o-same outputs 'any~run.json|config|m' "agd lm train --config m/run.json -o m"

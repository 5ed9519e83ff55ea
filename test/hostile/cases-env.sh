# The environment: TMPDIR missing, a file, read-only, full, out of inodes, noexec, relative, odd; HOME unset, read-only
# or odd; locales; terminal widths; closed and full standard streams; resource limits. Then the command line itself:
# unknown verbs and options, repeated and abbreviated options, help and version among other words.

declare -A EV_CMD EV_PRE
evslot() { EV_CMD[$1]=$2; EV_PRE[$1]=$3; }
evslot train    "agd train --data \$FX/idx $TINY -o out"              ''
evslot predict  "agd predict -m \$FX/models/fcn \$FX/img/a/000.png"   ''
evslot evaluate "agd evaluate -m m --data \$FX/idx"                   'cp_model fcn m'
evslot lmtrain  "agd lm train -t \$FX/text/small.txt $LMTINY -o out"  ''
evslot lmgen    "agd lm generate -m \$FX/models/lm -n 5"              ''
evslot search   "agd search --data \$FX/idx --architectures fcn --depths 2 --widths 16 --trials 2 --budget 00:00:04 -o out" ''

# TMPDIR on four verbs; HOME, locales and terminals on train; the standard streams on train and lm generate.
for s in train predict evaluate lmgen lmtrain search; do
    cmd=${EV_CMD[$s]} pre=${EV_PRE[$s]}
    P() { printf '%s' "${pre:+$pre; }$1"; }
    tmpk() { [[ $s == train || $s == predict || $s == evaluate || $s == lmgen ]]; }
    homek() { [[ $s == train ]]; }
    streamk() { [[ $s == train || $s == lmgen ]]; }
    tmpk && PRE=$pre ABSENT=/nonexistent-tmp c "E-$s-tmpdir-missing" env 'err~/nonexistent-tmp|TMPDIR|temporary' "TMPDIR=/nonexistent-tmp $cmd; r=\$?; rmdir /nonexistent-tmp 2>/dev/null && echo 'created the missing TMPDIR /nonexistent-tmp (removed by the harness)' >&2; exit \$r"
    tmpk && PRE=$(P 'echo x > tfile') c "E-$s-tmpdir-file" env 'err~tfile|TMPDIR|temporary' "TMPDIR=\$PWD/tfile $cmd"
    tmpk && PRE=$(P 'mk_ro rot') c "E-$s-tmpdir-readonly" env 'err~read-only|TMPDIR|temporary' "TMPDIR=\$PWD/rot $cmd"
    tmpk && PRE=$(P 'mk_full fullt 1m') c "E-$s-tmpdir-full" env "$([[ $s == lmgen ]] && echo 'any' || echo 'err')~full|space|TMPDIR|temporary" "TMPDIR=\$PWD/fullt $cmd"
    PRE=$(P 'mk_small smallt 300k') ALLOWTMP=1 CHECK='[ -z "$(ls -A smallt)" ] || { echo "left in the small TMPDIR: $(ls -A smallt | head -3)"; exit 1; }' \
        c "E-$s-tmpdir-small" env 'any~space|full|TMPDIR|temporary' "TMPDIR=\$PWD/smallt $cmd"
    tmpk && PRE=$(P 'mk_inodes inot') c "E-$s-tmpdir-inodes" env 'err~space|inode|TMPDIR|temporary' "TMPDIR=\$PWD/inot $cmd"
    tmpk && PRE=$(P 'mk_noexec noex') CHECK='[ -z "$(ls -A noex)" ] || { echo "left in TMPDIR: $(ls -A noex | head -3)"; exit 1; }' c "E-$s-tmpdir-noexec" env ok "TMPDIR=\$PWD/noex $cmd"
    tmpk && PRE=$(P 'mkdir reltmp') CHECK='[ -z "$(ls -A reltmp)" ] || { echo "left in TMPDIR: $(ls -A reltmp | head -3)"; exit 1; }' c "E-$s-tmpdir-relative" env ok "TMPDIR=reltmp $cmd"
    homek && PRE=$(P "mkdir 'sp ace'") CHECK='[ -z "$(ls -A "sp ace")" ] || { echo "left in TMPDIR"; exit 1; }' c "E-$s-tmpdir-space" env ok "TMPDIR=\"\$PWD/sp ace\" $cmd"
    homek && PRE=$(P "mkdir \$'nl\\nx'") CHECK="[ -z \"\$(ls -A \$'nl\\nx')\" ] || { echo 'left in TMPDIR'; exit 1; }" c "E-$s-tmpdir-newline" env ok "TMPDIR=\$PWD/\$'nl\\nx' $cmd"
    homek && PRE=$(P "mkdir \$'caf\\xe9'") c "E-$s-tmpdir-latin1" env 'any~UTF-8|TMPDIR' "TMPDIR=\$PWD/\$'caf\\xe9' $cmd"
    homek && PRE=$(P 'mkdir -p lnk-target; ln -s lnk-target tlink') CHECK='[ -z "$(ls -A lnk-target)" ] || { echo "left in TMPDIR"; exit 1; }' c "E-$s-tmpdir-symlink" env ok "TMPDIR=\$PWD/tlink $cmd"
    tmpk && PRE=$(P 'ln -s /nonexistent-x tdang') c "E-$s-tmpdir-dangling" env 'err~tdang|TMPDIR|temporary|exist' "TMPDIR=\$PWD/tdang $cmd"
    homek && PRE=$pre c "E-$s-home-unset" env ok "env -u HOME $cmd"
    homek && PRE=$(P 'mk_ro roh') c "E-$s-home-readonly" env ok "HOME=\$PWD/roh $cmd"
    homek && PRE=$pre c "E-$s-home-missing" env ok "HOME=/nonexistent-home $cmd"
    homek && PRE=$pre c "E-$s-home-devnull" env ok "HOME=/dev/null $cmd"
    homek && PRE=$pre c "E-$s-lang-c" env ok "LANG=C LC_ALL=C $cmd"
    homek && PRE=$pre c "E-$s-lang-de" env ok "LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 $cmd"
    homek && PRE=$pre c "E-$s-lang-tr" env ok "LANG=tr_TR.UTF-8 LC_ALL=tr_TR.UTF-8 $cmd"
    homek && PRE=$pre c "E-$s-columns-1" env ok "COLUMNS=1 $cmd"
    homek && PRE=$pre c "E-$s-columns-0" env ok "COLUMNS=0 $cmd"
    homek && PRE=$pre c "E-$s-columns-bad" env ok "COLUMNS=-5 LINES=abc $cmd"
    homek && PRE=$pre c "E-$s-columns-huge" env ok "COLUMNS=100000 $cmd"
    homek && PRE=$pre c "E-$s-term-dumb" env ok "TERM=dumb NO_COLOR=1 $cmd"
    streamk && PRE=$pre c "E-$s-stdout-closed" env 'err~standard output|closed' "$cmd >&-"
    streamk && PRE=$pre c "E-$s-stderr-closed" env ok "$cmd 2>&-"
    streamk && PRE=$pre c "E-$s-stdin-closed" env ok "$cmd <&-"
    streamk && PRE=$pre c "E-$s-stdout-head" env rc0,141 "$cmd | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}"
    streamk && PRE=$pre c "E-$s-stdout-devfull" env 'any~output|stdout' "$cmd > /dev/full"
    homek && PRE=$pre c "E-$s-fd-limit" env 'any~files|descriptor|limit' "ulimit -n 64; $cmd"
    homek && PRE=$pre c "E-$s-dotnet-invariant" env ok "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 $cmd"
    homek && PRE=$pre c "E-$s-onnx-telemetry-env" env ok "ORT_LOGGING_LEVEL=0 $cmd"
done
# Decimal commas must not be read in a locale that uses them.
c E-lang-de-fraction env ok "LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 agd train --data \$FX/img --image-size 8 --test-fraction 0.5 $TINY -o out && grep -q '\"TestFraction\": 0.5' out/run.json"
c E-lang-de-temperature env ok "LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 agd lm generate -m \$FX/models/lm -n 5 --temperature 0.5"
TO=60 c E-lmgen-head-long env rc141 "agd lm generate -m \$FX/models/lm -n 100000 | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}"
TO=60 c E-lmgen-stdout-closed-long env 'err~standard output|closed' "agd lm generate -m \$FX/models/lm -n 100000 >&-"
c E-nnpack-noise env ok "agd train --data \$FX/idx $TINY -o out 2>err.txt; ! grep -m1 'NNPACK' err.txt >&2"
c E-tty-progress env ok "script -qec 'agd train --data \$FX/idx $TINY -o out' /dev/null > tty.txt; grep -q 'Test accuracy' tty.txt"
c E-tty-columns-1 env ok "COLUMNS=1 script -qec 'stty cols 1; agd train --data \$FX/idx $TINY -o out; echo agd-exit=\$?' /dev/null > tty.txt; grep -q 'agd-exit=0' tty.txt"
c E-tty-lmgen env ok "script -qec 'agd lm generate -m \$FX/models/lm -n 20' /dev/null > tty.txt"

# ---- the command line ----
cl() { c "CLI-$1" cli "$2" "$3"; }
cl no-verb 'rc0,1~agd|verb|command' "agd"
cl unknown-verb 'err~frobnicate|unrecognized|command' "agd frobnicate"
cl unknown-option 'err~--frob' "agd train --frob 1 -o out"
cl abbreviated 'err~--wid' "agd train --data \$FX/idx --wid 16 --depth 2 -e 1 -o out"
cl repeated-width 'any~--width' "agd train --data \$FX/idx --width 8 --width 16 --depth 2 -e 1 -o out"
cl repeated-o 'any~-o|--output' "agd train --data \$FX/idx $TINY -o a -o b"
cl equals-syntax ok "agd train --data=\$FX/idx --width=16 --depth=2 -e=1 -o=out"
cl bundled 'any~-e1|epochs' "agd train --data \$FX/idx --width 16 --depth 2 -e1 -oout"
cl extra-positional 'err~extra|unrecognized|stray' "agd train --data \$FX/idx $TINY -o out stray"
cl dashdash 'any~--|unrecognized' "agd train --data \$FX/idx $TINY -o out -- --width 8"
cl missing-value 'err~-o|--output|argument' "agd train --data \$FX/idx $TINY -o"
cl help-and-options 'rc0' "agd train --width -5 --help"
cl version-with-verb 'any~--version|unrecognized' "agd train --version"
cl version ok "agd --version | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+\+[0-9a-f]{40}$'"
cl response-file 'err~@args|exist|image' "echo '--width 16' > args; agd train --data \$FX/idx @args -o out"
cl lm-generate-extra 'err~extra|unrecognized|hello' "agd lm generate -m \$FX/models/lm hello"
cl grey-bad 'err~--grey|maybe' "agd train --data \$FX/img --image-size 8 --grey maybe $TINY -o out"
cl very-long-arg 'err~exist|long|name' "agd train --data \"\$(head -c 100000 /dev/zero | tr '\\0' x)\" $TINY -o out"
cl many-args 'err~exist|image' "agd predict -m \$FX/models/fcn \$(seq -f 'n%g.png' 1 20000)"
cl search-list-comma 'err~--depths|whole number|separated' "agd search --data \$FX/idx --depths 2,3 --budget 00:00:04 -o out"
cl search-arch-comma 'err~--architectures|separated' "agd search --data \$FX/idx --architectures fcn,resnet18 --budget 00:00:04 -o out"
cl search-repeated-depths 'any~--depths' "agd search --data \$FX/idx --architectures fcn --depths 2 2 2 --widths 16 --trials 2 --budget 00:00:10 -o out"
cl search-resnet50-only 'any~budget' "agd search --data \$FX/idx --architectures resnet50 --base-widths 4 --trials 1 --budget 00:00:10 -o out"

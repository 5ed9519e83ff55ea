# Input paths of every verb (--data, -m, -t, --config, predict's images): missing, empty, the wrong kind (a file for a
# folder and the reverse), a dangling link, a link that loops, a relative link, names with a space, a newline, a leading
# dash, bytes that are not UTF-8, a trailing slash. A good path must run; a bad one must be a named error.

# slot: name | command with @ for the path | PRE | the good input | dir or file
declare -A PS_CMD PS_PRE PS_GOOD PS_KIND
pslot() { PS_CMD[$1]=$2; PS_PRE[$1]=$3; PS_GOOD[$1]=$4; PS_KIND[$1]=$5; }
pslot train-data     "agd train --data @ $TINY -o out"                                  ''                 '$FX/idx'              dir
pslot compare-data   "agd compare --data @ $TINY -o out"                                ''                 '$FX/idx'              dir
pslot search-data    "agd search --data @ --architectures fcn --depths 2 --widths 16 --trials 2 --budget 00:00:04 -o out" '' '$FX/idx' dir
pslot eval-data      "agd evaluate -m m --data @"                                       'cp_model fcn m'   '$FX/idx'              dir
pslot eval-model     "agd evaluate -m @ --data \$FX/idx -o ev"                          ''                 '$FX/models/fcn'       dir
pslot predict-model  "agd predict -m @ \$FX/img/a/000.png"                              ''                 '$FX/models/fcn'       dir
pslot predict-image  "agd predict -m \$FX/models/fcn @"                                 ''                 '$FX/img/a/000.png'    file
pslot lmtrain-text   "agd lm train -t @ $LMTINY -o out"                                 ''                 '$FX/text/small.txt'   file
pslot lmcompare-text "agd lm compare -t @ $LMTINY -o out"                               ''                 '$FX/text/small.txt'   file
pslot lmgen-model    "agd lm generate -m @ -n 5 -p 'the '"                              ''                 '$FX/models/lm'        dir
pslot train-config   "agd train --config @ -o out"                                      ''                 '$FX/models/fcn/run.json' file
pslot lmtrain-config "agd lm train --config @ -o out"                                   ''                 '$FX/models/lm/run.json'  file

# Every slot gets the core kinds; two slots (a data folder, an image file) get every kind.
FULL=' train-data predict-image '
for s in train-data compare-data search-data eval-data eval-model predict-model predict-image lmtrain-text lmcompare-text lmgen-model train-config lmtrain-config; do
    cmd=${PS_CMD[$s]} pre=${PS_PRE[$s]} good=${PS_GOOD[$s]} kind=${PS_KIND[$s]}
    at() { printf '%s' "${cmd//@/$1}"; }
    copy() { printf '%s' "${pre:+$pre; }cp -a $good $1"; }
    full() { [[ $FULL == *" $s "* ]]; }
    PRE=$pre c "P-$s-missing" paths 'err~nope-missing' "$(at nope-missing)"
    PRE=$pre c "P-$s-empty" paths "err~empty|give|''" "$(at "''")"
    if [[ $kind == dir ]]; then
        PRE=$pre c "P-$s-isfile" paths 'err~file|folder' "$(at '$FX/text/small.txt')"
    else
        PRE=$pre c "P-$s-isdir" paths 'err~folder|director|text files' "$(at '$FX/img')"
    fi
    PRE="${pre:+$pre; }ln -s /nonexistent/thing dang" c "P-$s-dangling" paths 'err~dang|nonexistent|link|exist' "$(at dang)"
    PRE="${pre:+$pre; }ln -s lp lp" c "P-$s-loop" paths 'err~levels|round to itself|itself|loop' "$(at lp)"
    PRE=$(copy "\$'caf\\xe9'") c "P-$s-latin1" paths 'err~UTF-8' "$(at "\$'caf\\xe9'")"
    PRE=$(copy "'a b'") c "P-$s-space" paths 'ok' "$(at "'a b'")"
    full || continue
    PRE=$pre c "P-$s-deepmissing" paths 'err~no/such' "$(at no/such/nope)"
    PRE=$pre c "P-$s-blank" paths 'err~empty|give|exist' "$(at "' '")"
    if [[ $kind == dir ]]; then
        PRE=$pre c "P-$s-trailslash" paths 'ok' "$(at "$good/")"
    else
        PRE=$pre c "P-$s-trailslash" paths 'err~folder|director|exist|not' "$(at "$good/")"
    fi
    PRE="${pre:+$pre; }ln -s a b; ln -s b a" c "P-$s-loop2" paths 'err~levels|round to itself|itself|loop' "$(at a)"
    PRE="${pre:+$pre; }mkdir d; ln -s \$(realpath --relative-to=d $good) d/rel" c "P-$s-rellink" paths 'ok' "$(at d/rel)"
    PRE=$(copy "\$'a\\nb'") c "P-$s-newline" paths 'ok' "$(at "\$'a\\nb'")"
    PRE=$(copy "./-g") c "P-$s-dash" paths 'any~-g' "$(at -g)"
    PRE=$(copy "'[red]x'") c "P-$s-markup" paths 'ok' "$(at "'[red]x'")"
    PRE=$(copy "\$(printf 'x%.0s' {1..255})") c "P-$s-255" paths 'ok' "$(at "\$(printf 'x%.0s' {1..255})")"
    PRE=$pre c "P-$s-256" paths "err~exist|long|name" "$(at "\$(printf 'x%.0s' {1..256})")"
    PRE=$pre c "P-$s-devnull" paths 'err~/dev/null|device|file|folder' "$(at /dev/null)"
    PRE="${pre:+$pre; }mkdir -p x/y; cp -a $good x/y/" c "P-$s-dotdot" paths 'ok' "$(at "x/y/../y/\$(basename $good)")"
done
# Relative and absolute forms of the same folder, and paths through links in the middle.
PRE='ln -s $FX fxl' c P-data-linkmiddle paths 'ok' "agd train --data fxl/idx/ $TINY -o out"
c P-data-root paths 'err~/|class|images|folder' "agd train --data / $TINY -o out"
c P-data-proc paths 'err~/proc|class|images|folder' "agd train --data /proc $TINY -o out"
c P-data-dev paths 'err~/dev|class|images|folder' "agd train --data /dev $TINY -o out"
c P-predict-proc-file paths 'err~/proc|decod|image' "agd predict -m \$FX/models/fcn /proc/self/status"
c P-predict-many-missing paths 'err~nope1' "agd predict -m \$FX/models/fcn \$FX/img/a/000.png nope1.png nope2.png"
c P-predict-same-twice paths 'ok' "agd predict -m \$FX/models/fcn \$FX/img/a/000.png \$FX/img/a/000.png"
c P-predict-glob-none paths 'err~\*\.png' "agd predict -m \$FX/models/fcn '*.png'"
c P-predict-at paths 'ok' "cp \$FX/img/a/000.png @home.png; agd predict -m \$FX/models/fcn @home.png"
c P-predict-dashdash paths 'ok' "cp \$FX/img/a/000.png ./-x.png; agd predict -m \$FX/models/fcn -- -x.png"
c P-predict-stdin-file paths ok "agd predict -m \$FX/models/fcn /dev/stdin < \$FX/img/a/000.png"
c P-predict-stdin-pipe paths 'err~stdin|pipe|FIFO' "cat \$FX/img/a/000.png | agd predict -m \$FX/models/fcn /dev/stdin"
c P-predict-noargs paths 'err~image|argument|required' "agd predict -m \$FX/models/fcn"
c P-lmtrain-text-proc paths 'any~/proc|text|UTF' "agd lm train -t /proc/cpuinfo $LMTINY -o out"
c P-lmtrain-text-etcdir paths 'any~/etc|UTF|text' "agd lm train -t /etc/apt $LMTINY -o out"
c P-cwd-deleted paths 'err~working folder|deleted|exist' "mkdir gone && cd gone && rmdir ../gone && agd train --data \$FX/idx $TINY -o out"

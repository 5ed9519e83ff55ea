# Special files where agd reads a file: FIFOs (which must not block), /dev/zero, /dev/urandom, /dev/null, a socket, a
# folder named like the file, /dev/stdin fed by a pipe that never writes, and a link to a FIFO. Each is refused by name
# at once, or (where agd does not need that file) left out; none may hang.

# slot | PRE (copies the good input) | where the special file goes | command
declare -A SP_PRE SP_AT SP_CMD
sslot() { SP_PRE[$1]=$2; SP_AT[$1]=$3; SP_CMD[$1]=$4; }
sslot predict-image   ''                                         x.png                      "agd predict -m \$FX/models/fcn \$FX/img/a/000.png x.png"
sslot class-image     'cp -a $FX/img img'                        img/a/zz.png               "agd train --data img --image-size 8 $TINY -o out"
sslot eval-image      'cp -a $FX/img img; cp_model img8 m'       img/b/zz.png               "agd evaluate -m m --data img"
sslot lm-text         ''                                         t.txt                      "agd lm train -t t.txt $LMTINY -o out"
sslot lm-text-folder  'mkdir tf; cp $FX/text/small.txt tf/a.txt' tf/b.txt                   "agd lm train -t tf $LMTINY -o out"
sslot lmcmp-text      ''                                         t.txt                      "agd lm compare -t t.txt $LMTINY -o out"
sslot model-json      'cp_model fcn m'                           m/model.json               "agd predict -m m \$FX/img/a/000.png"
sslot model-zip       'cp_model fcn m'                           m/model.zip                "agd predict -m m \$FX/img/a/000.png"
sslot model-onnx      'cp_model fcn m'                           m/model.onnx               "agd predict -m m \$FX/img/a/000.png"
sslot eval-model-json 'cp_model fcn m'                           m/model.json               "agd evaluate -m m --data \$FX/idx -o ev"
sslot lm-model-json   'cp_model lm m'                            m/model.json               "agd lm generate -m m -n 5"
sslot lm-model-bin    'cp_model lm m'                            m/model.bin                "agd lm generate -m m -n 5"
sslot run-json        'cp_model fcn m'                           m/run.json                 "agd train --config m/run.json -o out"
sslot lm-run-json     'cp_model lm m'                            m/run.json                 "agd lm train --config m/run.json -o out"
sslot classes-txt     'cp -a $FX/idx d'                          d/classes.txt              "agd train --data d $TINY -o out"
sslot meta-txt        'cp -a $FX/cifar d'                        d/batches.meta.txt         "agd train --data d $TINY -o out"
sslot fine-names      'cp -a $FX/cifar100 d'                     d/fine_label_names.txt     "agd train --data d $TINY -o out"
sslot idx-images      'cp -a $FX/idx d'                          d/train-images-idx3-ubyte.gz "agd train --data d $TINY -o out"
sslot idx-labels-raw  'cp -a $FX/idx d; rm d/t10k-labels-idx1-ubyte.gz' d/t10k-labels-idx1-ubyte "agd train --data d $TINY -o out"
sslot cifar-batch     'cp -a $FX/cifar d'                        d/data_batch_2.bin         "agd train --data d $TINY -o out"
sslot cifar-test      'cp -a $FX/cifar d; cp_model cifar m'                       d/test_batch.bin           "agd evaluate -m \$C/cwd/m --data d" 

# Every slot: a FIFO, /dev/zero and a folder; four slots every kind.
for s in predict-image class-image lm-text lm-text-folder model-json model-zip model-onnx lm-model-json lm-model-bin run-json lm-run-json classes-txt meta-txt fine-names idx-images idx-labels-raw cifar-batch cifar-test; do
    name=$(basename "${SP_AT[$s]}")
    kinds='fifo devzero dir'
    [[ $s == predict-image || $s == lm-text || $s == model-json || $s == idx-images ]] && kinds='fifo devzero urandom devnull socket dir stdin fifo-link'
    for k in $kinds; do
        exp="err~${name//./\\.}|pipe|FIFO|device|socket|folder|regular|damaged|empty"
        cmd=${SP_CMD[$s]}
        # A folder where agd lists files (class folders, a text folder) is not one of them; a missing optional names file is no error.
        case "$s:$k" in
            class-image:dir | lm-text-folder:dir | eval-image:dir | classes-txt:dir) exp='ok' ;;
            lm-text:dir) exp="any~t\\.txt|text" ;;   # a folder given to -t is a folder of texts
            classes-txt:devnull) exp="any~${name//./\\.}|device|names no class|empty" ;;
        esac
        [[ $k == stdin ]] && cmd="sleep 4 | $cmd"
        pre=${SP_PRE[$s]}

        TO=60 PRE="${pre:+$pre; }plant $k ${SP_AT[$s]}" c "S-$s-$k" special "$exp" "$cmd"
    done
done
# Predict's images through links and devices given directly.
for dev in /dev/zero /dev/urandom /dev/null /dev/full /dev/tty /proc/self/fd/0 /dev/stdin; do
    TO=30 c "S-predict-arg-$(basename $dev)" special "err~${dev//\//\\/}|device|pipe|regular|exist|decod" "sleep 10 | agd predict -m \$FX/models/fcn $dev"
done
TO=30 c S-lm-text-devstdin-file special ok "agd lm train -t /dev/stdin $LMTINY -o out < \$FX/text/small.txt"
TO=30 c S-lm-text-procsubst special 'err~pipe|FIFO|/dev/fd|regular' "agd lm train -t <(cat \$FX/text/small.txt) $LMTINY -o out"
TO=30 c S-predict-procsubst special 'err~pipe|FIFO|/dev/fd|regular' "agd predict -m \$FX/models/fcn <(cat \$FX/img/a/000.png)"
TO=30 c S-config-procsubst special 'err~pipe|FIFO|/dev/fd|regular' "agd train --config <(cat \$FX/models/fcn/run.json) -o out"
TO=30 c S-data-devfd special 'err~/dev/fd|folder|exist|pipe' "agd train --data /dev/fd/0 $TINY -o out < \$FX/text/small.txt"

# Model folders: every file of an image model folder and of a language-model folder missing, empty, truncated, with a
# byte flipped at several offsets, or replaced by another model's; JSON fields edited (types, missing and extra fields,
# huge numbers, negative shapes, swapped characters), with and without the checksum forged to match; run.json replays
# with edited fields. A damaged file must be named ("is damaged: ... train the model again") or change nothing.

PIMG='$FX/img/a/000.png'
DAMAGED='err~damaged|not a model folder|model\.(zip|onnx|json)'
# ---- image model: predict and evaluate over each file and damage ----
for f in model.zip model.onnx model.json; do
    for op in missing empty half flip0 flip100 flipmid fliplast other dir; do
        case $op in
            missing) pre="rm m/$f" ;;
            empty) pre=": > m/$f" ;;
            half) pre="trunc m/$f" ;;
            flip0) pre="flip m/$f 0" ;;
            flip100) pre="flip m/$f 100" ;;
            flipmid) pre="flip m/$f mid" ;;
            fliplast) pre="flip m/$f last" ;;
            other) pre="cp \$FX/models/fcn-w32/$f m/$f" ;;
            dir) pre="rm m/$f; mkdir m/$f" ;;
        esac
        exp=$DAMAGED
        # A changed byte of model.json may change nothing the model does (a digit of InputMean, a space): a run is right then.
        [[ $f == model.json && $op == flip* ]] && exp="any~damaged|model.json"
        [[ $f == model.json && $op == other ]] && exp="any~damaged|model.json"
        PRE="cp_model fcn m; $pre" c "M-predict-$f-$op" model "$exp" "agd predict -m m $PIMG"
        [[ $op == missing || $op == flipmid || $op == other ]] && PRE="cp_model fcn m; $pre" c "M-eval-$f-$op" model "$exp" "agd evaluate -m m --data \$FX/idx -o ev"
    done
done
# files predict does not need: damage changes nothing (or is named)
for f in run.json metrics.json layers.txt curves.png report.html; do
    for op in empty dir; do
        case $op in missing) pre="rm m/$f" ;; empty) pre=": > m/$f" ;; flipmid) pre="flip m/$f mid" ;; dir) pre="rm m/$f; mkdir m/$f" ;; esac
        PRE="cp_model fcn m; $pre" c "M-eval-$f-$op" model "any~$f" "agd evaluate -m m --data \$FX/idx -o ev"
    done
    PRE="cp_model fcn m; rm m/$f" c "M-predict-$f-missing" model ok "agd predict -m m $PIMG"
done
PRE='cp_model fcn m; rm -r m/predict m/train' c M-predict-no-projects model ok "agd predict -m m $PIMG"
PRE='cp_model fcn m; cp $FX/models/img8/model.zip $FX/models/img8/model.onnx m/; img_forge m' c M-predict-other-forged model 'err~damaged|3x8x8|different models' "agd predict -m m $PIMG"
PRE='cp_model fcn m; cp $FX/models/fcn-w32/model.zip $FX/models/fcn-w32/model.onnx m/; img_forge m' c M-predict-samekind-forged model 'any~damaged' "agd predict -m m $PIMG"
PRE='cp_model fcn m; cp $FX/models/fcn-w32/model.onnx m/; img_forge m' c M-predict-onnx-other-forged model 'any~model.onnx|damaged|differ' "agd predict -m m $PIMG"
PRE='cp_model fcn m; cp $FX/models/img8/model.json m/' c M-predict-json-of-other model 'err~damaged|model.json' "agd predict -m m $PIMG"
# ---- image model.json edited (its checksums cover model.zip and model.onnx, not itself) ----
je() { PRE="cp_model fcn m; jset m/model.json \"$2\"" c "M-json-$1" model "$3" "agd predict -m m $PIMG"; }
je channels-string "j['Channels']='1'" 'err~Channels|damaged'
je channels-3 "j['Channels']=3" 'err~damaged|3x28x28|reads'
je channels-neg "j['Channels']=-1" 'err~damaged|shape|Channels'
je height-huge "j['Height']=10**20" 'err~Height|damaged'
je height-2e9 "j['Height']=2000000000; j['Width']=2000000000" 'err~damaged|shape|reads'
je classes-reversed "j['ClassNames']=j['ClassNames'][::-1]" 'err~ClassNames|damaged'
je classes-one "j['ClassNames']=['0']" 'err~ClassNames|damaged|two'
je classes-dup "j['ClassNames'][1]=j['ClassNames'][0]" 'err~ClassNames|damaged'
je classes-number "j['ClassNames'][0]=5" 'err~ClassNames|damaged'
je arch-missing "del j['Architecture']" 'err~architecture|damaged'
je arch-banana "j['Architecture']='Banana'" 'any~Architecture|damaged'
je extra-field "j['Extra']=1" 'any~Extra|damaged'
je sha-missing "del j['Sha256']" 'err~SHA-256|damaged'
je sha-number "j['Sha256']['model.zip']=5" 'err~Sha256|damaged'
je mean-string "j['InputMean']=['x']" 'err~InputMean|damaged'
je root-array "j=[j]" 'err~damaged|object'
PRE="cp_model fcn m; printf '%s' \"\$(cat m/model.json)\" | sed 's/}\$/,}/' > m/j && mv m/j m/model.json" c M-json-trailing-comma model 'err~damaged|JSON' "agd predict -m m $PIMG"
PRE="cp_model fcn m; \$PY -c 'print(\"[\"*5000 + \"]\"*5000)' > m/model.json" c M-json-deep model 'err~damaged|deeper' "agd predict -m m $PIMG"
PRE="cp_model fcn m; iconv -f utf-8 -t utf-16 m/model.json > m/j && mv m/j m/model.json" c M-json-utf16 model 'err~damaged|UTF' "agd predict -m m $PIMG"
PRE="cp_model fcn m; printf '\\xef\\xbb\\xbf' > m/j; cat m/model.json >> m/j; mv m/j m/model.json" c M-json-bom model ok "agd predict -m m $PIMG"
PRE="cp_model fcn m; sed -i 's/\"Channels\"/\"channels\"/' m/model.json" c M-json-lowercase-field model 'any~Channels|damaged' "agd predict -m m $PIMG"
PRE="cp_model fcn m; sed -i 's/\"Channels\": 1,/\"Channels\": 1, \"Channels\": 3,/' m/model.json" c M-json-duplicate-field model 'any~Channels|damaged|twice' "agd predict -m m $PIMG"
# ---- image run.json replays with edited fields ----
re_() { PRE="cp_model fcn m; jset m/run.json \"$2\"" c "M-run-$1" model "$3" "agd train --config m/run.json -o out"; }
re_ unedited "pass" ok
re_ format-2 "j['Format']=2" 'err~format 2|newer'
re_ format-string "j['Format']='1'" 'err~Format'
re_ data-missing "j['Data']='/nonexistent/data'" 'err~/nonexistent/data|Data'
re_ fingerprint "j['DataFingerprint']='0'*64" 'err~not the data|SHA-256|changed'
re_ shape-h0 "j['ImageShape']['Height']=0" 'err~Height|ImageShape'
re_ shape-hw "j['ImageShape']['Height']=16" 'err~Height|Width|ImageShape'
re_ shape-c2 "j['ImageShape']['Channels']=2" 'err~Channels|ImageShape'
re_ arch-banana "j['Architecture']='Banana'" 'err~Architecture'
re_ arch-custom "j['Architecture']='Custom'" 'err~Custom'
re_ depth-neg "j['Depth']=-1" 'err~Depth'
re_ width-0 "j['Width']=0" 'err~Width'
re_ epochs-0 "j['NumberOfEpochs']=0" 'err~NumberOfEpochs|epochs'
re_ batch-0 "j['BatchSize']=0" 'err~BatchSize|batch'
re_ batch-neg "j['BatchSize']=-5" 'err~BatchSize|batch'
re_ loss-hinge "j['Loss']='Hinge'" 'err~Loss'
re_ stepnorm-frob "j['StepNorm']='Frobenius'" ok
re_ stepnorm-bad "j['StepNorm']='Bogus'" 'err~StepNorm'
re_ keepbest-string "j['KeepBestEpoch']='yes'" 'err~KeepBestEpoch'
re_ device-cuda "j['Device']='Cuda'" 'err~Cuda|Device'
re_ inmemory-neg "j['InMemoryLimitBytes']=-1" 'any~InMemoryLimitBytes'
re_ inmemory-huge "j['InMemoryLimitBytes']=10**30" 'err~InMemoryLimitBytes'
re_ seed-float "j['Seed']=1.5" 'err~Seed'
re_ seed-changed "j['Seed']=7" 'any~Seed|fingerprint|data'
re_ stopped-0 "j['StoppedAfterEpoch']=0" 'err~StoppedAfterEpoch|epoch'
re_ stopped-beyond "j['StoppedAfterEpoch']=5" 'any~StoppedAfterEpoch|epoch'
re_ ran-null "j['Ran']=None" 'err~Ran'
re_ ran-cpu "j['Ran']['Cpu']='Arm64'" ok
re_ extra "j['Extra']=True" "err~Extra"
re_ testfraction-2 "j['TestFraction']=2" 'err~TestFraction|test fraction'
re_ testfraction-nan "j['TestFraction']=float('nan')" 'err~TestFraction|JSON'
re_ network-nope "j['Network']='nope'" 'err~Network|nope'
re_ root-array "j=[]" 'err~run configuration|object|Format'
re_ lm-file "j=json.load(open('$FX/models/lm/run.json'))" 'err~lm train'
PRE="cp_model fcn m; : > m/run.json" c M-run-empty model 'err~empty|run configuration' "agd train --config m/run.json -o out"
PRE="cp_model fcn m; flip m/run.json mid" c M-run-flipmid model 'err~run configuration|not|changed' "agd train --config m/run.json -o out"
PRE="cp_model fcn m; trunc m/run.json" c M-run-half model 'err~run configuration|JSON' "agd train --config m/run.json -o out"
PRE="cp_model fcn m; iconv -f utf-8 -t utf-16 m/run.json > m/j && mv m/j m/run.json" c M-run-utf16 model 'err~UTF-16' "agd train --config m/run.json -o out"
PRE="cp_model fcn m; sed -i 's/\"Seed\": 0,/\"Seed\": 0, \"Seed\": 5,/' m/run.json" c M-run-dup-seed model 'any~Seed|twice|duplicate' "agd train --config m/run.json -o out"
PRE="cp_model fcn m" c M-run-with-option model 'err~--config|--width' "agd train --config m/run.json --width 8 -o out"
PRE="cp_model lm m" c M-run-lm-to-train model 'err~lm train' "agd train --config m/run.json -o out"
PRE="cp_model fcn m" c M-run-train-to-lm model 'err~agd train' "agd lm train --config m/run.json -o out"
PRE="cp_model img8 m; cp -a \$FX/img d; jset m/run.json \"j['Data']='\$C/cwd/d'\"; rm d/a/000.png" c M-run-data-changed model 'err~not the data|changed|added, removed' "agd train --config m/run.json -o out"
PRE="cp_model srch m" c M-run-search-model model 'any~run.json|config|search' "agd train --config m/run.json -o out"
# ---- language model folder ----
LDAM='err~damaged|not a language-model folder|model\.(bin|json)'
for f in model.bin model.json; do
    for op in missing empty half flip0 flip100 flipmid fliplast other dir; do
        case $op in
            missing) pre="rm m/$f" ;; empty) pre=": > m/$f" ;; half) pre="trunc m/$f" ;; flip0) pre="flip m/$f 0" ;;
            flip100) pre="flip m/$f 100" ;; flipmid) pre="flip m/$f mid" ;; fliplast) pre="flip m/$f last" ;;
            other) pre="cp \$FX/models/lm2/$f m/$f" ;; dir) pre="rm m/$f; mkdir m/$f" ;;
        esac
        PRE="cp_model lm m; $pre" c "L-gen-$f-$op" model "$LDAM" "agd lm generate -m m -n 5"
    done
done
for f in layers.txt curves.png sample.txt run.json report.html; do
    PRE="cp_model lm m; rm m/$f" c "L-gen-$f-missing" model ok "agd lm generate -m m -n 5"
done
PRE='cp_model lm m; cp $FX/models/lm2/model.bin $FX/models/lm2/model.json m/' c L-gen-other-whole model ok "agd lm generate -m m -n 5 -p '🙂'"
# model.json edited, the checksum left as it was (named as damaged), then forged to match (the value itself must be named or harmless)
le() { [[ $1 == heads-3 || $1 == chars-swap || $1 == tokenizer-gpt2 ]] && PRE="cp_model lm m; sed -i -e '$2' m/model.json; cmp -s m/model.json \$FX/models/lm/model.json && echo 'harness: the edit changed nothing'" c "L-json-$1" model "$LDAM" "agd lm generate -m m -n 5"
       PRE="cp_model lm m; lm_forge m '$2'" c "L-forged-$1" model "$3" "agd lm generate -m m -n 5"; }
PRE='cp_model lm m; lm_forge m' c L-forged-noop model ok "agd lm generate -m m -n 5"
le heads-3 's/"Heads": 1,/"Heads": 3,/' 'err~Heads|damaged|divide'
le heads-0 's/"Heads": 1,/"Heads": 0,/' 'err~Heads|damaged'
le layers-2 's/"Layers": 1,/"Layers": 2,/' 'err~Layers|damaged|model.bin'
le layers-neg 's/"Layers": 1,/"Layers": -1,/' 'err~Layers|damaged'
le width-32 's/"Width": 16,/"Width": 32,/' 'err~Width|damaged|model.bin'
le width-huge 's/"Width": 16,/"Width": 2147483647,/' 'err~Width|damaged|memory'
le context-big 's/"Context": 16,/"Context": 100000,/' 'err~Context|damaged|model.bin'
le context-8 's/"Context": 16,/"Context": 8,/' 'err~Context|damaged|model.bin'
le vocab-plus 's/"VocabularySize": \([0-9]*\),/"VocabularySize": 1\1,/' 'err~VocabularySize|tokens|damaged'
le tokenizer-gpt2 's/"Tokenizer": "char"/"Tokenizer": "gpt2"/' 'err~Tokenizer|tokens|damaged|50257'
le tokenizer-bpe 's/"Tokenizer": "char"/"Tokenizer": "bpe"/' 'err~Tokenizer|bpe|damaged'
le chars-dup '0,/"A",/s//"B",/' 'err~Characters|twice|damaged'
le chars-swap 's/"A",/"Q_TMP",/; s/"B",/"A",/; s/"Q_TMP",/"B",/' 'ok'
le chars-multi 's/"A",/"AA",/' 'any~Characters|damaged'
le chars-empty-string 's/"A",/"",/' 'any~Characters|damaged|empty'
le iterations-neg 's/"Iterations": \([0-9]*\),/"Iterations": -1,/' 'any~Iterations|damaged'
le valloss-nan 's/"ValidationLoss": [0-9.e-]*,/"ValidationLoss": "NaN",/' 'any~ValidationLoss|damaged'
le extra-field 's/"Layers": 1,/"Layers": 1, "Extra": 1,/' 'any~Extra|damaged'
PRE="cp_model lm m; \$PY -c \"import json;j=json.load(open('m/model.json'));j['Characters']=None;open('m/model.json','w').write(json.dumps(j,indent=2))\"; lm_forge m" \
    c L-forged-chars-null model 'err~Characters|damaged|tokenizer' "agd lm generate -m m -n 5"
# lm run.json replays with edited fields
lr() { PRE="cp_model lm m; jset m/run.json \"$2\"" c "L-run-$1" model "$3" "agd lm train --config m/run.json -o out"; }
lr unedited "pass" ok
lr text-missing "j['Text']='/nonexistent/t.txt'" 'err~/nonexistent/t.txt|Text'
lr text-folder "j['Text']='$FX/text/folder'" 'err~not the text|changed|SHA-256'
lr fingerprint "j['TextFingerprint']='0'*64" 'err~not the text|changed|SHA-256'
lr tokens-bpe "j['Tokens']='bpe'" 'err~Tokens|bpe'
lr heads-3 "j['Heads']=3" 'err~Heads'
lr context-huge "j['Context']=100000" 'err~Context|at least'
lr iterations-0 "j['Iterations']=0" 'err~Iterations'
lr seed-string "j['Seed']='x'" 'err~Seed'
lr ran-missing "del j['Ran']" 'err~Ran'
lr extra "j['Extra']=1" 'err~Extra'
lr width-huge "j['Width']=2**30" 'err~Width|memory|GPT'
PRE='cp_model lm m; cp $FX/text/small.txt t.txt; jset m/run.json "j[\"Text\"]=\"$C/cwd/t.txt\""; echo more >> t.txt' c L-run-text-changed model 'err~not the text|changed' "agd lm train --config m/run.json -o out"
PRE='cp_model lm m' c L-run-with-option model 'err~--config|--width' "agd lm train --config m/run.json --width 8 -o out"

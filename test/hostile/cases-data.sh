# Damaged and odd data: IDX (gzip and header damage, counts, labels, shapes, classes.txt), image folders (damaged,
# odd and huge images, class folders empty, hidden, repeated, named oddly), CIFAR folders (missing and short batches,
# names files), texts for lm (empty, short, binary, other encodings, odd characters) and prompts.

T="$TINY -o out"
# ---- IDX ----
d() { c "D-$1" data "$2" "agd train --data \$FX/$1 ${3:-$T}"; }
d idx-raw ok
d idx-badmagic 'err~magic|train-images'
d idx-labels-as-images 'err~magic|labels'
d idx-trunc 'err~truncated'
d idx-count-big 'err~promises|memory|truncated'
d idx-count-zero 'err~no images|0'
d idx-neg-dims 'err~dimensions|invalid|-28'
d idx-huge-dims 'err~promises|truncated|memory|65536'
d idx-mismatch 'err~493|labels'
d idx-test-oob 'err~label 12'
d idx-train-gap 'err~label|classes'
d idx-one-class 'err~two classes|label'
d idx-test-shape 'err~20x20|shape'
d idx-1x1 ok
d idx-no-test 'err~t10k'
d idx-no-train-labels 'err~train-labels'
d idx-test-zero 'err~no images|t10k|0'
d idx-trailing 'any~trailing|train-images'
d idx-labels-255 'err~label 255|255'
d idx-gz-trunc 'err~damaged|truncated|gzip'
d idx-gz-flip 'err~damaged|gzip|CRC|checksum'
d idx-gz-crc 'err~damaged|CRC|checksum'
d idx-gz-notgz 'err~gzip|1F 8B'
d idx-gz-empty 'err~empty|truncated|gzip|header'
d idx-gz-concat ok
d idx-both 'any~train-labels|499|both'
CHECK="grep -q '\"class 0\"' out/model.json || { echo 'classes.txt names not used'; exit 1; }" d idx-classes ok
d idx-classes-dup 'err~class 0|lines'
d idx-classes-empty 'err~names no class|classes.txt'
d idx-classes-few 'err~label|classes.txt'
CHECK="grep -q '\"class 0\"' out/model.json && ! grep -qi 'ufeff' out/model.json || { echo 'the BOM became part of a class name'; exit 1; }" d idx-classes-bom ok
CHECK="! grep -q '\\\\r' out/model.json || { echo 'a carriage return is part of a class name'; exit 1; }" d idx-classes-crlf ok
d idx-classes-many 'any~classes|c299'
d idx-classes-ws-dup 'err~class 0|lines'
d idx-classes-utf16 'err~UTF-16|UTF-8'
d idx-classes-latin1 'err~UTF-8'
c D-idx-1x1-resnet18 data 'any~1x1|image|small|size' "agd train --data \$FX/idx-1x1 -a resnet18 --base-width 4 -e 1 -o out"
c D-idx-1x1-resnet50 data 'any~1x1|image|small|size' "agd train --data \$FX/idx-1x1 -a resnet50 --base-width 4 -e 1 -o out"
c D-idx-1x1-vgg data 'any~1x1|image|small|size|vgg' "agd train --data \$FX/idx-1x1 --network vgg16 --base-width 4 -e 1 -o out"
c D-idx-fashion-names data ok "agd train --data \$FX/fashion-small $T && grep -q Trouser out/model.json"
# evaluate on damaged or other data
for s in idx-test-oob idx-test-shape idx-test-zero cifar fashion-small; do
    PRE='cp_model fcn m' c "D-eval-$s" data 'err~t10k|label|shape|no images|classes|truncated|gzip|20x20|3x32x32|1x28x28|train-labels|not trained' "agd evaluate -m m --data \$FX/$s"
done
PRE='cp_model fcn m' c D-eval-idx-1x1 data 'err~1x1|shape|28' "agd evaluate -m m --data \$FX/idx-1x1"
PRE='cp_model img8 m' c D-eval-img8-img data ok "agd evaluate -m m --data \$FX/img"
PRE='cp_model img8 m' c D-eval-img8-img-b-grey data 'any~grey|channel|classes|shape' "agd evaluate -m m --data \$FX/img-b"
PRE='cp_model img8b m' c D-eval-img8b-img data 'err~classes|c\b|not trained' "agd evaluate -m m --data \$FX/img"
PRE='cp_model cifar m' c D-eval-cifar-short-test data 'err~test_batch|truncated' "agd evaluate -m m --data \$FX/cifar-short-test"
PRE='cp_model cifar m' c D-eval-cifar-notest data 'err~test_batch' "agd evaluate -m m --data \$FX/cifar-notest"
PRE='cp_model cifar m' c D-eval-cifar-meta-few data 'err~label|names' "agd evaluate -m m --data \$FX/cifar-meta-few"

# ---- image folders ----
I="--image-size 8 $TINY -o out"
i() { c "D-$1${4:+-$4}" data "$2" "agd train --data \$FX/$1 ${3:-$I}"; }
i img ok
i img-jpg ok
i img-one 'err~class|at least 2|one'
i img-1each 'any~test|image|one|class'
i img-2each ok
i img-trainval ok
i img-val-extra "err~val|'c'"
i img-val-only 'err~class|no images|x'
i img-trainval-file 'err~train.*file|file'
i img-empty-class "err~'.*/d'|no images"
i img-case 'any~cat|case'
CHECK="! grep -qE 'MACOSX|ipynb|\\.git|\"z\"' out/model.json || { echo 'a hidden tool folder became a class'; exit 1; }" i img-hidden ok
i img-hidden-only 'err~class'
i img-trunc-png 'err~zz.png|truncated'
i img-trunc-jpg 'err~zz.jpg|truncated'
i img-crc-png 'err~zz.png|damaged'
i img-bmp-huge 'err~zz.bmp|60000|million'
i img-bmp-100m 'err~zz.bmp|truncated|damaged|million'
i img-bmp-zero 'err~zz.bmp'
i img-png-huge-header 'err~zz.png'
i img-zero-size 'err~zz.png'
i img-text-png 'err~zz.png'
i img-html-jpg 'err~zz.jpg'
i img-1x1 ok
i img-16bit ok
i img-cmyk ok
i img-anim-gif ok
i img-apng ok
i img-webp ok
i img-tiff-as-png 'err~zz.png'
i img-big ok
i img-mixed ok
i img-mixed 'ok' "--image-size 8 --grey $TINY -o out" grey
i img-upper ok
i img-noimages "err~'.*/b'|no images"
i img-many-classes ok
CHECK="agd predict -m out \$FX/img/a/000.png >/dev/null && grep -q 'quote' out/model.json" i img-names ok
i img-newline 'any~newline|b.c|name'
i img-longname ok
CHECK="agd evaluate -m out --data \$FX/img-markup >/dev/null && agd predict -m out \$FX/img/a/000.png >/dev/null" i img-markup ok
i img-emptyname-ish 'any~name|space|class'
i img 'any~resnet|size|small|1' "--image-size 1 -a resnet18 --base-width 4 -e 1 -o out" size1-resnet18
i img 'any~resnet|size|small|2' "--image-size 2 -a resnet50 --base-width 4 -e 1 -o out" size2-resnet50
i img 'any~vgg|size|small' "--image-size 4 --network vgg16 --base-width 4 -e 1 -o out" size4-vgg
i img-trainval 'any~test-fraction|val' "--image-size 8 --test-fraction 0.5 $TINY -o out" trainval-fraction
i img 'any~network|architecture' "--image-size 8 --network vgg16 -a resnet18 --base-width 4 -e 1 -o out" network-and-a
i img 'err~custom' "--image-size 8 -a custom $TINY -o out" a-custom
i img 'err~architecture|-a|fcn' "--image-size 8 -a 1 $TINY -o out" a-number
i img 'err~loss' "--image-size 8 --loss 9 $TINY -o out" loss-number
# a class folder that is a link to another class folder (the same images twice, under two labels)
PRE='cp -a $FX/img img; ln -s a img/a2' c D-img-class-link data 'any~a2|link|same' "agd train --data img $I"
PRE='cp -a $FX/img img; ln -s ../b/000.png img/a/linked.png' c D-img-file-link data ok "agd train --data img $I"
PRE='cp -a $FX/img img; mkdir img/a/sub; cp $FX/img/b/000.png img/a/sub/' c D-img-nested data ok "agd train --data img $I"
PRE='cp -a $FX/img img; mv img/a "img/$(printf "\\xff")"' c D-img-class-latin1 data 'err~UTF-8|convmv' "agd train --data img $I"
PRE='cp -a $FX/img img; mv img/a/000.png "img/a/$(printf "\\xe9").png"' c D-img-file-latin1 data 'err~UTF-8|convmv' "agd train --data img $I"

# ---- CIFAR ----
d cifar ok
d cifar-missing3 'err~data_batch_3'
d cifar-notest 'err~test_batch'
d cifar-short 'err~data_batch_2|truncated'
d cifar-short-test 'err~test_batch|truncated'
d cifar-nometa 'err~batches.meta'
d cifar-meta-dup "err~'cat'|lines"
d cifar-meta-empty 'err~names 0|batches.meta'
d cifar-meta-one 'err~names 1|two'
d cifar-meta-few 'err~label|names 2'
CHECK="! grep -qi 'ufeff' out/model.json || { echo 'the BOM became part of a class name'; exit 1; }" d cifar-meta-bom ok
d cifar-meta-utf16 'err~UTF-16'
d cifar-meta-latin1 'err~UTF-8'
d cifar-one-class 'err~one class|two classes|label|class'
d cifar-empty-batch 'err~data_batch_4|empty'
d cifar-label-oob 'err~label 200|record 3'
d cifar100 ok
d cifar100-nonames 'err~fine_label_names'
c D-cifar-grey data 'any~grey|cifar' "agd train --data \$FX/cifar --grey $T"

# ---- lm text ----
L="$LMTINY -o out"
t() { c "D-text-${4:-$1}" data "$2" "agd lm train -t \$FX/text/$1 ${3:-$L}"; }
t small.txt ok
t empty.txt 'err~empty'
t one.txt 'err~at least|short|context'
t short.txt 'err~at least|--context'
t binary.bin 'err~UTF-8|offset'
t latin1.txt 'err~UTF-8|offset 5000'
t utf16le.txt 'err~UTF-16'
t utf16le-nobom.txt 'any~UTF-16|NUL|UTF-8'
t utf32.txt 'err~UTF-32'
CHECK="! grep -qi 'ufeff' out/model.json || { echo 'the BOM became a character of the model'; exit 1; }" t bom.txt ok
t bom-twice.txt 'any~FEFF|mark'
t hugeline.txt ok
t nul.txt 'any~NUL|U\+0000'
t crlf.txt ok
t emoji.txt ok
t cesu.txt 'err~UTF-8|offset 10000'
t overlong.txt 'err~UTF-8|offset 10000'
t spaces.txt 'any~diverged|one|character|vocabulary'
t manychars.txt 'any~memory|vocabulary'
t folder ok
t folder-bad 'err~b.txt|UTF-8'
t folder-empty 'err~no text files'
t folder-dat-only 'err~no text files'
t small.txt 'any~diverged' "--tokens gpt2 $L" gpt2
t small.txt 'any~tokens|char|gpt2' "--tokens CHAR $L" tokens-upper
t small.txt 'err~tokens|char|gpt2' "--tokens bpe $L" tokens-bpe
t small.txt 'err~tokens|char|gpt2' "--tokens '' $L" tokens-empty
t small.txt 'err~diverged|context|--context' "--width 16 --layers 1 --heads 1 --context 19999 -i 2 --eval-interval 1 --eval-batches 1 -b 1 -o out" context-nearly-text
t small.txt 'err~at least|--context' "--width 16 --layers 1 --heads 1 --context 20000 -i 2 --eval-interval 1 --eval-batches 1 -b 1 -o out" context-text
t small.txt 'ok' "--width 16 --layers 1 --heads 1 --context 1990 -i 2 --eval-interval 1 --eval-batches 1 -b 1 -o out" context-over-val
c D-lmcmp-text-empty data 'err~empty' "agd lm compare -t \$FX/text/empty.txt $L"
c D-lmcmp-text-latin1 data 'err~UTF-8' "agd lm compare -t \$FX/text/latin1.txt $L"
c D-lmcmp-text-short data 'err~at least|--context' "agd lm compare -t \$FX/text/short.txt $L"
# ---- prompts ----
g() { c "D-prompt-$1" data "$2" "agd lm generate -m \$FX/models/${4:-lm} -n 5 -p $3"; }
g unseen 'err~never occurs|U\+' "'Zebra\$'"
g empty 'err~prompt|token' "''"
g emoji 'err~never occurs|U\+1F' "'🙂'"
g long ok "\"\$(head -c 5000 \$FX/text/small.txt)\""
g newline ok "\$'the\\n'"
g latin1 'err~UTF-8|iconv' "\$'caf\\xe9'"
g bom 'err~never occurs|FEFF' "\$'\\xef\\xbb\\xbfthe'"
g nul 'err~never occurs|U\+0000|NUL' "\"\$(printf 'a\\001b')\""
g emoji-model ok "'🙂'" lm2
g combining 'err~never occurs|U\+' "\$'e\\xcc\\x81'" lm2
c D-prompt-default data ok "agd lm generate -m \$FX/models/lm -n 5"
c D-prompt-markup data 'any~never occurs' "agd lm generate -m \$FX/models/lm -n 5 -p '[red]'"

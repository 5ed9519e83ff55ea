# Numeric options at 0, -1, 1, the type's largest value and one past it, huge, NaN, Infinity, 1e309, '1,5', '0x10',
# ' 5' and '': each a named error (naming the option and what it takes) or a run. A value that starts a run which could
# go on for hours (the largest epochs or iterations) is stopped with SIGINT after a few seconds: a run stops with 130.

NUM_VALUES=(0 -1 1 2147483647 2147483648 99999999999999999999 NaN Infinity 1e309 '1,5' '0x10' ' 5' '')
num_tag() {
    case "$1" in
        0) echo 0 ;; -1) echo neg1 ;; 1) echo 1 ;; 2147483647) echo max ;; 2147483648) echo max1 ;; 99999999999999999999) echo huge ;;
        NaN) echo nan ;; Infinity) echo inf ;; 1e309) echo e309 ;; '1,5') echo comma ;; 0x10) echo hex ;; ' 5') echo space5 ;; '') echo empty ;;
        1.7976931348623157E+308) echo dmax ;; *) echo "$1" | tr -c 'a-zA-Z0-9' '_' ;;
    esac
}

# num VERB-ID OPTION NAMES-REGEX KIND BASE-COMMAND [values...]
#   KIND: count (must be >= 1), seed (any whole number), frac (a number in (0, 1)), temp (a positive number)
#   BASE-COMMAND holds @ where the option goes.
num() {
    local vid=$1 opt=$2 re=$3 kind=$4 base=$5; shift 5
    local values=("$@"); [[ ${#values[@]} -eq 0 ]] && values=("${NUM_VALUES[@]}")
    local v exp cmd id
    for v in "${values[@]}"; do
        id="N-$vid-${opt#-}-$(num_tag "$v")"; id=${id//--/-}
        cmd=${base//@/$opt \'$v\'}
        case "$kind:$v" in
            frac:0.9999999999999999 | frac:0.5e0 | frac:.5 | frac:5e-1 | frac:+0.2 | frac:1e-320) exp="any~$re" ;;
            frac:*) exp="err~$re" ;;
            temp:-Infinity) exp="err~$re" ;;
            seed:0 | seed:-1 | seed:1 | seed:2147483647 | seed:' 5') exp='ok' ;;
            frac:2147483647 | frac:1 | frac:0 | frac:-1 | frac:' 5') exp="err~$re" ;;
            temp:1 | temp:' 5') exp='ok' ;;
            temp:2147483647 | temp:99999999999999999999 | temp:2147483648) exp="any~$re" ;;
            *:2147483648 | *:99999999999999999999 | *:NaN | *:Infinity | *:1e309 | *:'1,5' | *:0x10 | *:'') exp="err~$re" ;;
            count:0 | count:-1 | temp:0 | temp:-1) exp="err~$re" ;;
            count:1 | count:' 5') exp="any~$re|diverged" ;;
            *:2147483647) exp="rc0,1,130~$re" ;;
            *) exp="any~$re" ;;
        esac
        if [[ $exp == rc0,1,130* && $vid != predict && $vid != lmgen ]]; then
            TO=90 PRE=${NUMPRE:-} c "$id" numeric "$exp" "sig wait:'Training|training|Searching|comparing' sleep:6 INT -- $cmd"
        else
            [[ $exp == rc0,1,130* ]] && exp="any~$re"
            TO=${NUMTO:-90} PRE=${NUMPRE:-} c "$id" numeric "$exp" "$cmd"
        fi
    done
}

# The whole set of values on the options that matter most; the largest and 0 on the rest (the same parser reads them).
Q=(0 2147483647)
num train --width '--width' count "agd train --data \$FX/idx --depth 2 -e 1 @ -o out"
num train -e '--epochs|-e\b' count "agd train --data \$FX/idx --width 16 --depth 2 @ -o out"
num train -b '--batch-size|-b\b' count "agd train --data \$FX/idx $TINY @ -o out"
num train --test-fraction '--test-fraction' frac "agd train --data \$FX/img --image-size 8 $TINY @ -o out" \
    0 -1 1 NaN Infinity -Infinity 1e309 '1,5' '0x10' ' 5' '' 1e-320 0.9999999999999999 '.5' 1.7976931348623157E+308
num train --depth '--depth' count "agd train --data \$FX/idx --width 16 -e 1 @ -o out" "${Q[@]}"
num train --base-width '--base-width' count "agd train --data \$FX/idx -a resnet18 -e 1 @ -o out" "${Q[@]}"
num train --image-size '--image-size' count "agd train --data \$FX/img $TINY @ -o out" "${Q[@]}" 1
num train --seed '--seed' seed "agd train --data \$FX/img --image-size 8 $TINY @ -o out" -1 2147483648
num compare --width '--width' count "agd compare --data \$FX/idx --depth 2 -e 1 @ -o out" 0 2147483647
num compare -e '--epochs|-e\b' count "agd compare --data \$FX/idx --width 16 --depth 2 @ -o out" NaN
num compare --test-fraction '--test-fraction' frac "agd compare --data \$FX/img $TINY @ -o out" 1
NUMPRE='cp_model fcn m' num predict --top '--top|-k\b' count "agd predict -m m \$FX/img/a/000.png @"
# search: the budget (a duration), the trials and the lists
for v in 0 -1 00:00:00 -00:00:05 00:00:00.001 10675199.02:48:05.4775807 10675199.02:48:06 NaN 1e309 '1,5' 0x10 ' 00:00:03' '' 3 00:00:61 1:2:3:4 00:00:03,5; do
    case "$v" in
        0 | -1 | 00:00:00 | -00:00:05 | 10675199.02:48:06 | NaN | 1e309 | '1,5' | 0x10 | '' | 00:00:03,5 | 00:00:61) exp='err~--budget' ;;
        10675199.02:48:05.4775807 | 3 | 1:2:3:4) exp='rc0,1,130~budget' ;;
        *) exp='any~budget' ;;
    esac
    id="N-search-budget-$(num_tag "$v")"
    cmd="agd search --data \$FX/idx --architectures fcn --depths 2 --widths 16 --trials 2 --budget '$v' -o out"
    if [[ $exp == rc0,1,130* ]]; then
        TO=90 c "$id" numeric "$exp" "sig wait:Searching sleep:8 INT -- $cmd"
    else
        TO=60 c "$id" numeric "$exp" "$cmd"
    fi
done
num search --trials '--trials' count "agd search --data \$FX/idx --architectures fcn --depths 2 --widths 16 --budget 00:00:04 @ -o out" 0 2147483647
for o in --depths --widths --base-widths --batch-sizes; do
    num search "$o" "$o" count "agd search --data \$FX/idx --architectures fcn resnet18 --budget 00:00:10 --trials 2 @ -o out" 0 2147483647
done
# lm train: the context and iterations with every value, the rest at 0 and the largest
LMB='agd lm train -t $FX/text/small.txt'
num lmtrain --context '--context' count "$LMB --width 16 --layers 1 --heads 1 -i 12 --eval-interval 6 --eval-batches 2 -b 4 @ -o out"
num lmtrain -i '--iterations|-i\b' count "$LMB --width 16 --layers 1 --heads 1 --context 16 --eval-interval 6 --eval-batches 2 -b 4 @ -o out"
num lmtrain --layers '--layers' count "$LMB --width 16 --heads 1 --context 16 -i 12 --eval-interval 6 --eval-batches 2 -b 4 @ -o out" "${Q[@]}"
num lmtrain --heads '--heads' count "$LMB --width 16 --layers 1 --context 16 -i 12 --eval-interval 6 --eval-batches 2 -b 4 @ -o out" "${Q[@]}" 3
num lmtrain --width '--width' count "$LMB --layers 1 --heads 1 --context 16 -i 12 --eval-interval 6 --eval-batches 2 -b 4 @ -o out" "${Q[@]}" 5
num lmtrain -b '--batch-size|-b\b' count "$LMB --width 16 --layers 1 --heads 1 --context 16 -i 12 --eval-interval 6 --eval-batches 2 @ -o out" "${Q[@]}"
num lmtrain --eval-interval '--eval-interval' count "$LMB --width 16 --layers 1 --heads 1 --context 16 -i 12 --eval-batches 2 -b 4 @ -o out" "${Q[@]}"
num lmtrain --eval-batches '--eval-batches' count "$LMB --width 16 --layers 1 --heads 1 --context 16 -i 12 --eval-interval 6 -b 4 @ -o out" "${Q[@]}"
num lmtrain --seed '--seed' seed "$LMB --width 16 --layers 1 --heads 1 --context 16 -i 12 --eval-interval 6 --eval-batches 2 -b 4 @ -o out" -1 2147483648
num lmcompare --heads '--heads' count "agd lm compare -t \$FX/text/small.txt --width 16 @ -o out" 3
num lmcompare -i '--iterations|-i\b' count "agd lm compare -t \$FX/text/small.txt @ -o out" 0
# lm generate
num lmgen -n '--length|-n\b' count "agd lm generate -m \$FX/models/lm -p 'the ' @"
num lmgen --temperature 'temperature' temp "agd lm generate -m \$FX/models/lm -p 'the ' -n 20 @" \
    0 -1 1 1.7976931348623157E+308 NaN Infinity -Infinity 1e309 1e-320 '1,5' '0x10' ' 5' ''
num lmgen --seed '--seed' seed "agd lm generate -m \$FX/models/lm -p 'the ' -n 20 @" -1 2147483648

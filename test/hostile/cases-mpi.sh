# MPI (MPICH's mpiexec, 2 and 3 ranks): jobs that work; ranks given different data, options, verbs or seeds; a rank
# killed; signals to the launcher; rank 0's -o read-only; verbs that do not run across ranks; a non-MPI library in
# AGD_MPI_LIBRARY. A job ends (no hang), every rank by a named error, with nothing left in TMPDIR.

MP="mpiexec.mpich"
T2="--data \$FX/idx $TINY"
TO=120 CHECK='whole_model out' c Y-train-2 mpi ok "$MP -n 2 agd train $T2 -o out"
TO=120 CHECK='whole_model out' c Y-train-3 mpi ok "$MP -n 3 agd train $T2 -o out"
TO=120 CHECK='whole_model out' c Y-lmtrain-2 mpi ok "$MP -n 2 agd lm train -t \$FX/text/small.txt $LMTINY -o out"
TO=120 CHECK='whole_model out' c Y-lmtrain-3 mpi ok "$MP -n 3 agd lm train -t \$FX/text/small.txt $LMTINY -o out"
TO=120 CHECK='whole_model out' c Y-search-2 mpi ok "$MP -n 2 agd search --data \$FX/idx --architectures fcn --depths 2 --widths 16 32 --trials 2 --budget 00:00:08 -o out"
TO=90 c Y-diff-data mpi 'rc1~differ|data|rank' "$MP -n 1 agd train $T2 -o out : -n 1 agd train --data \$FX/fashion-small $TINY -o out"
TO=90 c Y-diff-width mpi 'rc1~differ|Width|rank' "$MP -n 1 agd train $T2 -o out : -n 1 agd train --data \$FX/idx --width 32 --depth 2 -e 1 -o out"
TO=90 c Y-diff-seed mpi 'rc1~differ|Seed|rank' "$MP -n 1 agd train $T2 -o out : -n 1 agd train $T2 --seed 5 -o out"
TO=90 c Y-diff-verb mpi 'rc1~differ|verb|rank|evaluate' "$MP -n 1 agd train $T2 -o out : -n 1 agd evaluate -m \$FX/models/fcn --data \$FX/idx"
TO=90 c Y-diff-verb-lm mpi 'rc1~differ|verb|rank|lm' "$MP -n 1 agd train $T2 -o out : -n 1 agd lm train -t \$FX/text/small.txt $LMTINY -o out"
TO=90 c Y-diff-text mpi 'rc1~differ|text|rank' "$MP -n 1 agd lm train -t \$FX/text/small.txt $LMTINY -o out : -n 1 agd lm train -t \$FX/text/crlf.txt $LMTINY -o out"
TO=90 c Y-diff-o-allowed mpi ok "$MP -n 1 agd train $T2 -o out : -n 1 agd train $T2 -o other"
TO=90 c Y-rank1-parse-error mpi 'rc1~--width|rank' "$MP -n 1 agd train $T2 -o out : -n 1 agd train --data \$FX/idx --width abc --depth 2 -e 1 -o out"
TO=90 c Y-rank1-version mpi 'rc0,1~version|rank|verb' "$MP -n 1 agd train $T2 -o out : -n 1 agd --version"
TO=90 c Y-rank1-missing-data mpi 'rc1~nope|exist|rank' "$MP -n 1 agd train $T2 -o out : -n 1 agd train --data nope $TINY -o out"
TO=90 PRE='mk_ro ro' c Y-rank0-o-readonly mpi 'rc1~read-only|cannot be written|refuses' "$MP -n 2 agd train $T2 -o ro/out"
TO=90 ABSENT=/nonexistent-tmp c Y-rank1-tmpdir-missing mpi 'rc1~TMPDIR|temporary|/nonexistent' "$MP -n 1 agd train $T2 -o out : -n 1 -env TMPDIR /nonexistent-tmp agd train $T2 -o out; r=\$?; rmdir /nonexistent-tmp 2>/dev/null && echo 'rank 1 created the missing TMPDIR /nonexistent-tmp (removed by the harness)' >&2; exit \$r"
for v in "evaluate -m \$FX/models/fcn --data \$FX/idx" "predict -m \$FX/models/fcn \$FX/img/a/000.png" "compare $T2 -o out" "lm generate -m \$FX/models/lm -n 5" "lm compare -t \$FX/text/small.txt $LMTINY -o out"; do
    id=$(echo "$v" | awk '{print ($1=="lm") ? "lm" $2 : $1}')
    TO=60 c "Y-refused-$id" mpi 'rc1~rank|one process|MPI|mpiexec' "$MP -n 2 agd $v"
done
TO=150 PRE='cp_model fcn out' CHECK='grep -qvx 0 job.rc || { echo "the job with a killed rank exited 0"; exit 1; }; whole_model out && no_leftovers .' c Y-rank1-killed mpi ok "sig wait:Training sleep:2 KILL@rank1 -- $MP -n 2 agd train --data \$SUB --width 64 --depth 3 -e 30 -o out; echo \$? > job.rc; agd train $T2 -o out >/dev/null 2>&1"
# mpiexec's own exit code after a signal it forwards is MPICH hydra's: at times 0 though both ranks returned 130 or 143
# (3 of 16 runs of the lm case with the build of 2026-12-06, 2 of 12 with a build logging each rank's return,
# 2026-12-07); what agd owns is checked: the job stopped early, and the model is whole.
TO=120 PRE='cp_model fcn out' CHECK='whole_model out && grep -q "^Stopped during epoch" ../stdout' c Y-TERM-mpiexec mpi 'rc0,143' "sig wait:Training sleep:4 TERM -- $MP -n 2 agd train --data \$SUB --width 64 --depth 3 -e 30 -o out"
TO=120 PRE='cp_model fcn out' CHECK='whole_model out && grep -q "^Stopped during epoch" ../stdout' c Y-INT-mpiexec mpi 'rc0,130' "sig wait:Training sleep:4 INT -- $MP -n 2 agd train --data \$SUB --width 64 --depth 3 -e 30 -o out"
TO=120 PRE='cp_model lm out' CHECK='whole_model out && grep -qE "^Iteration [0-9]+:" ../stdout && ! grep -q "^Iteration 20000:" ../stdout' c Y-TERM-mpiexec-lm mpi 'rc0,143' "sig wait:'tokens in the vocabulary' sleep:4 TERM -- $MP -n 2 agd lm train -t \$FX/text/small.txt --width 32 --layers 2 --heads 2 --context 32 -i 20000 --eval-interval 100 --eval-batches 2 -b 8 -o out"
TO=90 c Y-mpi-lib-libc mpi 'rc1~AGD_MPI_LIBRARY|MPI|libc' "AGD_MPI_LIBRARY=/lib/x86_64-linux-gnu/libc.so.6 $MP -n 2 agd train $T2 -o out"
TO=90 c Y-mpi-lib-missing mpi 'rc1~AGD_MPI_LIBRARY|/nonexistent' "AGD_MPI_LIBRARY=/nonexistent/libmpi.so $MP -n 2 agd train $T2 -o out"
TO=90 c Y-mpi-lib-libz mpi 'rc1~AGD_MPI_LIBRARY|MPI|libz' "AGD_MPI_LIBRARY=\$(ls /lib/x86_64-linux-gnu/libz.so.1* | head -1) $MP -n 2 agd train $T2 -o out"
TO=60 c Y-mpi-lib-single-process mpi 'any~AGD_MPI_LIBRARY' "AGD_MPI_LIBRARY=/lib/x86_64-linux-gnu/libc.so.6 agd train $T2 -o out"

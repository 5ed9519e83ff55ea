# Memory: networks, batches and images too large for memory are named before they are built, including inside a
# memory cgroup whose limit is far below the machine's (the kernel's OOM killer must never be what ends a run).

c X-fcn-huge memory 'err~memory|--width|GB' "agd train --data \$FX/idx --width 200000 --depth 3 -e 1 -o out"
c X-cg-fcn-big memory 'err~memory|--width|GB' "in_cgroup 1G agd train --data \$FX/idx --width 20000 --depth 3 -e 1 -o out"
c X-cg-fcn-fits-host memory 'err~memory|--width|GB' "in_cgroup 700M agd train --data \$FX/idx --width 8000 --depth 3 -e 1 -o out"
c X-cg-resnet-big memory 'any~memory|--base-width|--image-size|GB' "in_cgroup 1G agd train --data \$FX/img -a resnet18 --base-width 64 --image-size 224 -e 1 -o out"
c X-cg-batch-big memory 'any~memory|batch|GB' "in_cgroup 800M agd train --data \$FX/img -a resnet18 --base-width 16 --image-size 128 -b 512 -e 1 -o out"
c X-cg-lm-big memory 'err~memory|--width|GB' "in_cgroup 600M agd lm train -t \$FX/text/small.txt --width 2048 --layers 8 --heads 8 --context 64 -i 2 -o out"
c X-cg-lm-context memory 'err~memory|--context|GB' "in_cgroup 600M agd lm train -t \$FX/text/medium.txt --width 64 --layers 2 --heads 2 --context 8192 -b 64 -i 2 -o out"
c X-cg-lm-vocab memory 'any~memory|vocabulary|GB' "in_cgroup 600M agd lm train -t \$FX/text/manychars.txt --width 1024 --layers 2 --heads 4 --context 256 -b 32 -i 2 -o out"
c X-cg-bmp-100m memory 'err~zz.bmp|truncated|million|memory' "in_cgroup 300M agd train --data \$FX/img-bmp-100m --image-size 8 $TINY -o out"
c X-cg-predict-big-image memory ok "in_cgroup 400M agd predict -m \$FX/models/img8 \$FX/img-big/a/zz.png"
c X-cg-search-widths memory 'any~memory|Width|GB|budget' "in_cgroup 800M agd search --data \$FX/idx --architectures fcn --depths 3 --widths 30000 --trials 1 --budget 00:00:20 -o out"
c X-cg-compare-big memory 'err~memory|--width|GB' "in_cgroup 800M agd compare --data \$FX/idx --width 12000 --depth 3 -e 1 -o out"
c X-gc-hard-limit memory 'any~memory|--width|GB' "DOTNET_GCHeapHardLimit=0x10000000 agd train --data \$FX/idx --width 4000 --depth 3 -e 1 -o out"
c X-cg-tiny-limit memory 'any~memory|GB' "in_cgroup 150M agd train --data \$FX/idx $TINY -o out"

#!/bin/sh
# Selective hardening on AlexNet-CIFAR (README, "Selective hardening"): plan from a single-bit
# sweep with seed 1, measure each plan on a fresh sweep with seed 2 (unprotected and hardened,
# the same flips), print predicted against measured.
#   npm run build && sh bench/harden-alexnet.sh [out=/tmp/harden]
set -e
out=${1:-/tmp/harden}
mkdir -p "$out"
p="node dist/src/cli/main.js"
run="campaign run --model ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg --images-per-class 50 --plan single-bit --per-bit 200"
$p $run --db "$out/seed1.sqlite" --seed 1
$p $run --db "$out/seed2.sqlite" --seed 2
dbs=""
for plan in exponent-tmr:k=9:top=31:1 exponent-tmr:k=9:top=31:3 exponent-tmr:k=9:top=31:12.5 secded72:1 secded72:3; do
  code=${plan%:*}
  budget=${plan##*:}
  name=$(echo "$code-$budget" | tr ':=' '__')
  $p protect plan --db "$out/seed1.sqlite" --protection "$code" --budget "$budget%" | tee "$out/$name.txt"
  regions=$(sed -n 's/^--protect-regions //p' "$out/$name.txt")
  $p $run --db "$out/$name.sqlite" --seed 2 --protect "$code" --protect-regions "$regions"
  dbs="$dbs $out/$name.sqlite"
done
$p $run --db "$out/tmr-everything.sqlite" --seed 2 --protect exponent-tmr:k=9:top=31
node dist/bench/harden-measured.js "$out/seed2.sqlite" $dbs "$out/tmr-everything.sqlite"

#!/usr/bin/env bash
# Acceptance runs of the pruning stage (issue 4): prune the shared trained models, fine-tune
# 4 epochs (SGD momentum 0.9, weight decay 5e-4, batch 128, one-cycle at peak lr 0.01, random
# crop + flip: prunefi's default recipe, the reference budget) and report test accuracy on the
# whole JPEG CIFAR-10 test split. PyTorch references (same budget): AlexNet magnitude-global 90%
# 74.9%, AlexNet L1 filters 50% 71.3%, ResNet18 magnitude-global 90% 89.5%, ResNet18 L1 filters
# 50% 87.4%; prunefi must land within 1.5 points.
#
#   npx tsc -p . && bash bench/prune-acceptance.sh [out-dir]
#
# Each run prints its table and accuracy line (before, after pruning, after fine-tuning) and
# writes <out-dir>/<name>.onnx and <name>.txt.
# Measured on 2 cores: AlexNet 5–22 min each (under load); ResNet18 magnitude 1 h 14 min (quiet,
# 2.4–2.8 s per step of 128), ResNet18 L1 50% 1 h 46 min (under load, one thread).
# Results (2026-11): 74.5%, 71.5%, 88.0%, 89.13%.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-test-output/prune-acceptance}
SHARED=../shared
DATA=$SHARED/datasets/cifar10-jpeg
mkdir -p "$OUT"
run() {
  local name=$1 model=$2; shift 2
  echo "== $name"
  node dist/src/cli/main.js prune "$SHARED/models/$model" "$@" --data "$DATA" \
    --finetune-epochs 4 --lr 0.01 --schedule onecycle --train-batch 128 -o "$OUT/$name.onnx" | tee "$OUT/$name.txt"
}
run alexnet-magnitude90 alexnet_cifar.onnx -m magnitude -s 0.9
run alexnet-l1filter50 alexnet_cifar.onnx -m l1-filter -s 0.5
run resnet18-l1filter50 resnet18_cifar.onnx -m l1-filter -s 0.5
run resnet18-magnitude90 resnet18_cifar.onnx -m magnitude -s 0.9
grep -H "accuracy on" "$OUT"/*.txt

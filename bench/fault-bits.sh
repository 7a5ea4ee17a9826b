#!/bin/sh
# Single-bit-flip campaign on AlexNet-CIFAR (1000 test images): SDC rate per float32 bit position
# with 95% Wilson intervals. Bit 30 (the exponent's top bit) should stand out by far.
# Reproduce from the repo root after `npx tsc -p .`:
#   sh bench/fault-bits.sh [per-bit experiments, default 60] [database, default /tmp/alexnet-bits.sqlite]
# The campaign is resumable: rerunning the same command continues an interrupted run.
set -e
PER_BIT=${1:-60}
DB=${2:-/tmp/alexnet-bits.sqlite}
node dist/src/cli/main.js campaign run --db "$DB" \
  --model ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg/test.tar.gz \
  --images-per-class 100 --plan single-bit --per-bit "$PER_BIT" --seed 1 --threads 2
node dist/src/cli/main.js campaign status "$DB"

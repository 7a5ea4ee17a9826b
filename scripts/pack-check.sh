#!/usr/bin/env bash
# Installs the packed tarball (npm pack) into an empty folder, as a user adopting prunefi would,
# then runs the CLI and imports the library. Fails on any npm warning. Run by .ci/run after the
# tests; about 2 minutes on 2 cores (better-sqlite3 builds from source where no prebuilt binary
# can be fetched).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/prunefi-*.tgz)"
mkdir "$work/app"
cd "$work/app"
# What the README tells users to put in their package.json: better-sqlite3 needs its install
# script (its native binary); onnxruntime-node's only downloads CUDA binaries; msgpackr-extract's
# (through bullmq, for queued campaigns) builds an optional accelerator msgpackr does without. npm counts
# `prepare` as an install script of non-registry sources only, so a tarball needs its own
# (file:) entry, which an install from the registry does not.
cat > package.json <<JSON
{
  "name": "prunefi-pack-check",
  "private": true,
  "type": "module",
  "allowScripts": { "better-sqlite3": true, "msgpackr-extract": false, "onnxruntime-node": false, "file:$tarball": false }
}
JSON
npm install --no-audit --no-fund --prefer-offline "$tarball" 2>"$work/npm.err"
if grep -i 'warn' "$work/npm.err"; then
  echo "pack-check: npm printed warnings installing the tarball (above)" >&2
  exit 1
fi
want="$(node -p "require('$repo/package.json').version")"
got="$(npx --no-install prunefi --version)"
[ "$got" = "$want" ] || { echo "pack-check: prunefi --version printed '$got', package.json says $want" >&2; exit 1; }
npx --no-install prunefi demo --help | grep -q '^usage: prunefi demo' || { echo "pack-check: demo --help failed" >&2; exit 1; }
node --input-type=module -e "
import { ZOO } from 'prunefi/models';
import * as onnx from 'prunefi/onnx';
const s = onnx.summarizeModel(ZOO.get('lenet5').build().graph);
if (s.params !== 61706) throw new Error('library import: lenet5 has ' + s.params + ' params');
console.log('pack-check: library import ok (lenet5, ' + s.params + ' params)');
"
# The tarball carries the CLI and the library, nothing of tests or benches.
if tar -tzf "$tarball" | grep -E '^package/(dist/)?(test|bench)/'; then
  echo "pack-check: the tarball contains test or bench files (above)" >&2
  exit 1
fi
echo "pack-check: ok ($(tar -tzf "$tarball" | wc -l) files, prunefi $got)"

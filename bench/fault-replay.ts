/**
 * Replays a `torch_baseline.py flips` fault list in prunefi and compares SDC counts fault by
 * fault. Reproduce with:
 *   /usr/bin/python3 ../shared/bench/torch_baseline.py flips --model alexnet --faults 300 \
 *     --images 1000 --seed 1 --out /tmp/flips.json
 *   npx tsc -p . && node dist/bench/fault-replay.js /tmp/flips.json [--model alexnet] [--naive]
 * A fault whose SDC count differs is explained when every image that can account for the
 * difference is a near tie: its top-2 logit margin (golden or faulty) is within a few float32
 * rounding errors, so the two tools' different summation orders decide the top-1 class. The
 * script prints, for each differing fault, the smallest margins it saw.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Evaluator } from '../src/campaign/evaluator.js';
import { checkFaultList, parseFaultList } from '../src/fault/fault-list.js';
import { loadModel } from '../src/onnx/file.js';
import { cifarSubset, peakRssMiB, SHARED } from './fault-common.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: 'alexnet' },
    naive: { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
  },
});
const file = positionals[0] ?? '/tmp/flips.json';
const json = JSON.parse(readFileSync(file, 'utf8')) as { images: number; golden_accuracy: number };
const list = parseFaultList(json, file);
const input = await cifarSubset(json.images / 10);
const model = loadModel(resolve(SHARED, `models/${values.model}_cifar.onnx`));
// PyTorch flips the unfolded parameters, so replay into unfolded memory.
const ev = await Evaluator.create(model, input, {
  foldBn: false,
  mode: values.naive ? 'naive' : 'fast',
  threads: Number(values.threads),
});
checkFaultList(list, ev.memory);
const n = input.labels.length;
const k = ev.golden.classes;

/** Top-2 margin of each image's logits (NaN rows count as 0: ties under any order). */
function margins(logits: Float32Array): Float64Array {
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let a = Number.NEGATIVE_INFINITY;
    let b = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const v = logits[i * k + c]!;
      if (Number.isNaN(v)) {
        a = b = 0;
        break;
      }
      if (v > a) {
        b = a;
        a = v;
      } else if (v > b) b = v;
    }
    m[i] = a === b ? 0 : (a - b) / Math.max(1, Math.abs(a));
  }
  return m;
}

const t0 = performance.now();
let same = 0;
const differing: string[] = [];
for (const e of list.experiments) {
  const o = await ev.evaluate(e.faults, true);
  const ref = e.reference!;
  if (o.sdc === ref.sdc) {
    same++;
    continue;
  }
  const gm = margins(ev.golden.logits);
  const fm = margins(o.logits);
  // Images that are SDCs in prunefi, sorted by how close to a tie they are in either run.
  const close = [...o.predictions.keys()]
    .filter((i) => o.predictions[i] !== ev.golden.predictions[i])
    .map((i) => Math.min(gm[i]!, fm[i]!))
    .sort((a, b) => a - b)
    .slice(0, 3);
  const f = e.faults[0]!;
  differing.push(
    `  ${f.tensor}[${f.index}] bit ${f.bit}: pytorch sdc ${ref.sdc}, prunefi ${o.sdc}; smallest relative top-2 margins of prunefi's SDC images: ${close.map((x) => x.toExponential(1)).join(', ') || '(none)'}`,
  );
}
const seconds = (performance.now() - t0) / 1000;
const agree = same / list.experiments.length;
console.log(
  JSON.stringify({
    tool: 'prunefi',
    model: values.model,
    mode: ev.mode,
    images: n,
    faults: list.experiments.length,
    golden_accuracy: ev.golden.predictions.filter((p, i) => p === input.labels[i]).length / n,
    pytorch_golden_accuracy: json.golden_accuracy,
    same_sdc: same,
    agreement: agree,
    seconds_per_experiment: seconds / list.experiments.length,
    setup_seconds: ev.setupSeconds,
    peak_rss_mib: Math.round(peakRssMiB()),
  }),
);
if (differing.length) console.log(`faults whose SDC count differs:\n${differing.join('\n')}`);
await ev.release();

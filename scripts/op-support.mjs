// The README's table of supported ONNX ops, read from the registries each stage looks ops up in
// (so the table cannot drift from the code). Runs on the build: `npm run build` first. Prints
// the table; `--write` puts it into README.md between the ops markers instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NOT_INJECTED } from '../dist/src/fault/layers.js';
import { shapeRules } from '../dist/src/onnx/index.js';
import { LAYER_PARAMS, PASS_THROUGH } from '../dist/src/onnx/params.js';
import { CHANNEL_RULES } from '../dist/src/prune/channels.js';
import { gradRules } from '../dist/src/train/index.js';

const mark = (yes) => (yes ? '✓' : '');
const columns = {
  'shape inference': (op) => mark(shapeRules.has(op)),
  'pruning (channel propagation)': (op) => mark(CHANNEL_RULES.has(op)),
  'training gradient': (op) => mark(gradRules.has(op)),
  // → marks a re-layout (or a quantized weight's DequantizeLinear) the fault memory follows a
  // weight through to the layer that reads it.
  'fault memory': (op) =>
    PASS_THROUGH.has(op) || op === 'DequantizeLinear'
      ? '→'
      : mark(Object.hasOwn(LAYER_PARAMS, op) && !NOT_INJECTED.has(op)),
};
const ops = [
  ...new Set([
    ...shapeRules.names(),
    ...CHANNEL_RULES.keys(),
    ...gradRules.names(),
    ...Object.keys(LAYER_PARAMS),
    ...PASS_THROUGH,
  ]),
].sort();
const row = (cells) => `| ${cells.join(' | ')} |`;
const table = [
  row(['op', ...Object.keys(columns)]),
  row(['---', ...Object.keys(columns).map(() => ':---:')]),
  ...ops.map((op) => row([op, ...Object.values(columns).map((f) => f(op))])),
].join('\n');

if (process.argv.includes('--write')) {
  const readme = join(resolve(import.meta.dirname, '..'), 'README.md');
  const text = readFileSync(readme, 'utf8');
  const section = /(<!-- ops:begin -->\n).*?(<!-- ops:end -->)/s;
  if (!section.test(text)) throw new Error('README.md has no <!-- ops:begin --> … <!-- ops:end --> section');
  writeFileSync(
    readme,
    text.replace(section, (_, begin, end) => `${begin}${table}\n${end}`),
  );
} else console.log(table);

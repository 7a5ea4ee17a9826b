/** `prunefi info`: what a model is made of, layer by layer. */
import { describeAssumedDims } from '../../onnx/dynamic-dims.js';
import { materializeIdentityConstants } from '../../onnx/graph.js';
import { imageInput, logitsOutput } from '../../onnx/io.js';
import { onnxOpset } from '../../onnx/ir.js';
import { type LayerSummary, summarizeModel } from '../../onnx/summary.js';
import { type Command, opt } from '../command.js';
import { formatInt, formatPercent, formatSI, table } from '../format.js';
import { inputShapeOption, loadModelArg, parseInputShapes, printJson } from '../shared.js';

const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(3));
const span = (r: { min: number; max: number }): string =>
  r.min === r.max ? num(r.min) : `${num(r.min)}…${num(r.max)}`;

/** The stored type, scales and zero points of a quantized layer (float layers: their float type). */
function storedColumns(l: LayerSummary): string[] {
  const q = l.quantized;
  if (!q) return ['float', '', ''];
  const where =
    q.granularity === 'blocked'
      ? `blocks of ${q.blockSize}, axis ${q.axis}`
      : q.granularity === 'per-channel'
        ? `axis ${q.axis}`
        : 'per tensor';
  return [
    `${q.type} (${q.bits} bits)`,
    `${q.scales.count} (${where}) ${span(q.scales)}`,
    q.zeroPoints.count ? `${q.zeroPoints.count}: ${span(q.zeroPoints)}` : 'none (0)',
  ];
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'per-layer op, shapes, parameters, MACs and sparsity of a model',
  positionals: [{ name: 'model', description: 'an .onnx file or zoo:<name>', required: true }],
  options: {
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    ...inputShapeOption,
  },
  help: 'Parameters are counted as PyTorch counts them (layer weights and biases, embeddings, position embeddings,\nnorm scales; not BatchNorm running statistics). MACs are for one input, attention products included.\nSparsity is the fraction of parameters that are exactly zero (for a quantized weight: integers equal to their zero point).\nA quantized model (QDQ or QOperator) also shows, per weight, the stored type and bits, the scales and the zero points. A symbolic sequence length is set to 128,\nor the longest power of two below it the graph accepts, and the output says so; --input-shape input_ids=1x256\ngives another.',
  async run(a, ctx) {
    const arg = a.positionals[0]!;
    const model = loadModelArg(arg);
    materializeIdentityConstants(model.graph);
    const s = summarizeModel(model.graph, { inputShapes: parseInputShapes(a, model, 'info') });
    const input = imageInput(model);
    if (opt.bool(a, 'json')) {
      printJson(ctx, {
        model: arg,
        producer: `${model.producerName} ${model.producerVersion}`.trim(),
        opset: onnxOpset(model),
        input: { name: input.name, shape: s.inputShape },
        output: { name: logitsOutput(model).name, shape: s.outputShape },
        params: s.params,
        macs: s.macs,
        zeros: s.zeros,
        sparsity: s.sparsity,
        paramBytes: s.paramBytes,
        metadata: Object.fromEntries(model.metadata),
        layers: s.layers,
        ...(s.assumedDims.length > 0 ? { assumedDims: s.assumedDims, inputShapes: s.inputShapes } : {}),
        ...(s.shapeError ? { shapeError: s.shapeError } : {}),
      });
      return 0;
    }
    // A quantized model's table says how each weight is stored; a float model's stays as it was.
    const quantized = s.layers.some((l) => l.quantized);
    const rows = s.layers.map((l) => [
      l.name,
      l.op,
      l.weightShape.join('×'),
      l.outputShape.slice(1).join('×'),
      formatInt(l.params),
      formatSI(l.macs),
      formatPercent(l.sparsity),
      ...(quantized ? storedColumns(l) : []),
    ]);
    rows.push([
      'total',
      '',
      '',
      '',
      formatInt(s.params),
      formatSI(s.macs),
      formatPercent(s.sparsity),
      ...(quantized ? [`${formatInt(s.paramBytes)} bytes`, '', ''] : []),
    ]);
    ctx.stdout.write(
      `${arg}: input ${input.name} ${s.inputShape.join('×')}, output ${s.outputShape.join('×')}, opset ${onnxOpset(model)}\n\n`,
    );
    const header = ['layer', 'op', 'weight', 'output', 'params', 'MACs', 'sparsity'];
    if (quantized) header.push('stored', 'scales', 'zero points');
    ctx.stdout.write(`${table(header, rows)}\n`);
    if (s.assumedDims.length > 0)
      ctx.stdout.write(`\nshapes and MACs: ${describeAssumedDims(s.assumedDims, s.inputShapes)}\n`);
    if (s.shapeError) ctx.stdout.write(`\nMACs and shapes are incomplete: ${s.shapeError}\n`);
    if (model.metadata.size > 0) {
      ctx.stdout.write('\nmetadata:\n');
      for (const [k, v] of model.metadata)
        ctx.stdout.write(`  ${k}: ${v.length > 200 ? `${v.slice(0, 200)}…` : v}\n`);
    }
    return 0;
  },
};

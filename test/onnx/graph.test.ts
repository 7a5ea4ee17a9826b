import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { buildZooModel } from '../../src/models/index.js';
import { loadModel } from '../../src/onnx/file.js';
import {
  cloneModel,
  consumers,
  getInitializer,
  materializeIdentityConstants,
  nameGenerator,
  producers,
  topoSort,
  weightLayers,
} from '../../src/onnx/graph.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { SHARED } from '../helpers/paths.js';
import { assertBitIdentical, patternInput, runOnce } from './support.js';

const RESNET = join(SHARED, 'models', 'resnet18_cifar.onnx');

test('producers, consumers and weight layers of zoo:alexnet-cifar', () => {
  const g = buildZooModel('alexnet-cifar').graph;
  const prod = producers(g);
  assert.equal(prod.get('logits')!.opType, 'Gemm');
  assert.equal(prod.get('input'), undefined, 'graph inputs have no producer');
  const cons = consumers(g);
  assert.deepEqual(
    cons.get('input')!.map((n) => n.name),
    ['/features/features.0/Conv'],
  );
  assert.equal(cons.get('features.0.weight')!.length, 1);
  const layers = weightLayers(g);
  assert.deepEqual(
    layers.map((l) => [l.weight, l.bias, l.outAxis]),
    [
      ['features.0.weight', 'features.0.bias', 0],
      ['features.3.weight', 'features.3.bias', 0],
      ['features.6.weight', 'features.6.bias', 0],
      ['features.8.weight', 'features.8.bias', 0],
      ['features.10.weight', 'features.10.bias', 0],
      ['classifier.weight', 'classifier.bias', 0],
    ],
  );
});

test('resnet18 residuals: the stem output feeds the first block twice; 21 weight layers without biases', () => {
  const g = buildZooModel('resnet18-cifar').graph;
  assert.deepEqual(
    consumers(g)
      .get('/Relu_output_0')!
      .map((n) => n.opType),
    ['Conv', 'Add'],
  );
  const layers = weightLayers(g);
  assert.equal(layers.length, 21);
  assert.equal(layers.filter((l) => l.bias).length, 1, 'only the linear layer has a bias');
  assert.equal(layers.filter((l) => l.weight.includes('shortcut')).length, 3);
});

test('topoSort restores a valid order from any permutation and reports undefined inputs', () => {
  const model = buildZooModel('lenet5');
  const g = model.graph;
  const order = g.nodes.map((n) => n.name);
  const rng = Rng.seeded('topo');
  const shuffled = { ...g, nodes: rng.shuffle([...g.nodes]) as typeof g.nodes };
  // lenet5 is a chain, so its topological order is unique.
  assert.deepEqual(
    topoSort(shuffled).map((n) => n.name),
    order,
  );
  const broken = { ...g, nodes: g.nodes.slice(1) };
  assertPrunefiError(() => topoSort(broken), 'ONNX_INVALID', /reads '\/conv1\/Conv_output_0'/);
});

test('materializeIdentityConstants on the shared ResNet18 keeps outputs bit-identical', {
  skip: existsSync(RESNET) ? false : `needs ${RESNET} (not present)`,
}, async () => {
  const model = loadModel(RESNET);
  const feeds = { input: patternInput([1, 3, 32, 32]) };
  const before = await runOnce(model, feeds);
  const copy = cloneModel(model);
  assert.equal(materializeIdentityConstants(copy.graph), 3);
  assert.ok(copy.graph.initializers.has('layer2.0.shortcut.1.bias'));
  assert.equal(model.graph.nodes.length, copy.graph.nodes.length + 3, 'the original graph is untouched');
  // The copies are separate parameters: editing one does not edit the tensor it came from.
  assert.notEqual(
    getInitializer(copy.graph, 'layer2.0.shortcut.1.bias'),
    getInitializer(copy.graph, 'layer2.0.bn2.bias'),
  );
  assertBitIdentical(await runOnce(copy, feeds), before, 'after materializing');
  assert.equal(materializeIdentityConstants(copy.graph), 0, 'idempotent');
});

test('cloneModel: shallow shares tensors, deep copies them; nameGenerator avoids every used name', () => {
  const model = buildZooModel('lenet5');
  const shallow = cloneModel(model);
  const deep = cloneModel(model, true);
  const w = model.graph.initializers.get('conv1.weight')!;
  assert.equal(shallow.graph.initializers.get('conv1.weight'), w);
  assert.notEqual(deep.graph.initializers.get('conv1.weight')!.data, w.data);
  shallow.graph.nodes[0]!.inputs[0] = 'changed';
  shallow.metadata.set('k', 'v');
  assert.equal(model.graph.nodes[0]!.inputs[0], 'input');
  assert.equal(model.metadata.has('k'), false);
  const fresh = nameGenerator(model.graph);
  assert.equal(fresh('conv1.weight'), 'conv1.weight_1');
  assert.equal(fresh('/conv1/Conv'), '/conv1/Conv_1', 'node names count as used');
  assert.equal(fresh('new'), 'new');
  assert.equal(fresh('new'), 'new_1');
  assertPrunefiError(() => getInitializer(model.graph, 'nope'), 'ONNX_INVALID', /no initializer 'nope'/);
});

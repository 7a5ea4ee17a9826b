/** Fault lists: prunefi JSON round trip, torch_baseline.py import, and malformed-file errors. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkFaultList, parseFaultList, readFaultList, writeFaultList } from '../../src/fault/fault-list.js';
import { foldBatchNorm } from '../../src/fault/fold-bn.js';
import { StoredModel } from '../../src/fault/memory.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { tinyResnet } from './tiny.js';

test('prunefi fault lists round-trip through JSON exactly', () => {
  const path = join(tempDir(), 'faults.json');
  const experiments = [
    {
      index: 0,
      faults: [{ tensor: 'fc.weight', region: 'values' as const, index: 3, bit: 30, type: 'bit-flip' }],
    },
    {
      index: 5,
      faults: [
        { tensor: 'conv1.weight', region: 'values' as const, index: 0, bit: 4, type: 'burst', length: 3 },
        { tensor: 'conv2.weight', region: 'col-index' as const, index: 7, bit: 1, type: 'stuck-at-1' },
      ],
    },
  ];
  writeFaultList(path, { numberFormat: 'float32', storage: 'csr', experiments });
  const back = readFaultList(path);
  assert.deepEqual(back, { source: 'prunefi', numberFormat: 'float32', storage: 'csr', experiments });
  const m = new StoredModel(foldBatchNorm(tinyResnet()).model.graph, { storage: 'csr' });
  checkFaultList(back, m);
  assertPrunefiError(
    () => checkFaultList(back, new StoredModel(foldBatchNorm(tinyResnet()).model.graph)),
    'FAULT_LIST',
    /addresses float32\/csr memory but the model is stored as float32\/dense/,
  );
});

test('torch_baseline.py lists import as one bit flip per experiment with its PyTorch outcome', () => {
  const list = readFaultList(join(REPO, 'test/fixtures/fault/torch-flips-alexnet.json'));
  assert.equal(list.source, 'pytorch');
  assert.equal(list.experiments.length, 8);
  const e = list.experiments[0]!;
  assert.deepEqual(e.faults, [
    { tensor: 'features.8.weight', region: 'values', index: 668123, bit: 30, type: 'bit-flip' },
  ]);
  assert.deepEqual(e.reference, { sdc: 0, accuracy: 0.7099999785423279, original: -0.0027294158935546875 });
  // A list whose original value disagrees with the model was made for another model.
  const m = new StoredModel(foldBatchNorm(tinyResnet()).model.graph);
  const wrong = parseFaultList(
    { fault_list: [{ tensor: 'fc.weight', index: 0, bit: 1, original: 12345, sdc: 0, accuracy: 1 }] },
    'w.json',
  );
  assertPrunefiError(
    () => checkFaultList(wrong, m),
    'FAULT_LIST',
    /fc\.weight\[0\] is .* in this model but 12345 in the fault list/,
    /--fold-bn=false/,
  );
});

test('malformed fault lists are FAULT_LIST errors naming the file and entry', () => {
  const dir = tempDir();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{not json');
  assertPrunefiError(() => readFaultList(bad), 'FAULT_LIST', /bad\.json is not valid JSON/);
  assertPrunefiError(() => readFaultList(join(dir, 'none.json')), 'FAULT_LIST', /cannot read fault list/);
  assertPrunefiError(() => parseFaultList({ hello: 1 }, 'x.json'), 'FAULT_LIST', /x\.json: not a fault list/);
  assertPrunefiError(
    () => parseFaultList({ format: 'prunefi-fault-list', version: 2, experiments: [] }, 'v.json'),
    'FAULT_LIST',
    /unsupported fault list version 2/,
  );
  assertPrunefiError(
    () => parseFaultList({ fault_list: [{ tensor: 'a', index: 1.5, bit: 0 }] }, 't.json'),
    'FAULT_LIST',
    /t\.json: fault_list\[0\]: 'index' must be an integer, got 1.5/,
  );
  assertPrunefiError(
    () =>
      parseFaultList(
        {
          format: 'prunefi-fault-list',
          version: 1,
          experiments: [{ faults: [{ tensor: 'a', index: 0, bit: 0, region: 'x' }] }],
        },
        'r.json',
      ),
    'FAULT_LIST',
    /experiments\[0\]\.faults\[0\]: 'region' must be one of values, scales/,
  );
});

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FAULT_TYPES } from '../../src/fault/fault-types.js';
import { NUMBER_FORMATS } from '../../src/fault/number-formats.js';
import { STORAGE_FORMATS } from '../../src/fault/storage-formats.js';
import { ZOO } from '../../src/models/zoo.js';
import { PRUNE_METHODS } from '../../src/prune/registry.js';
import { parseStudyConfig, type StudyConfig } from '../../src/study/config.js';
import { planStudy } from '../../src/study/plan.js';
import { optimizers } from '../../src/train/optim.js';
import { schedules } from '../../src/train/schedule.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { cliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const good = () => ({
  name: 'typo',
  data: 'mnist',
  models: [{ name: 'lenet5', source: 'zoo:lenet5', train: { epochs: 1 } }],
  pruning: [{ method: 'magnitude', sparsities: [0.5] }],
  faultModels: [{ numberFormat: 'float32', storageFormat: 'dense', faultType: 'bit-flip' }],
  campaigns: { images: 100, ber: { rates: [1e-4], trials: 3 } },
});
type Config = ReturnType<typeof good>;

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The registry's own listing, so the test follows the registries rather than a copy of them. */
const listing = (kind: string, names: string[]): RegExp =>
  new RegExp(literal(`valid ${kind} names: ${names.join(', ')}`));

/** One typo of each kind a study config names: field, bad value, what the registry lists, the guess. */
const TYPOS: {
  field: string;
  bad: string;
  edit: (c: Config) => void;
  valid: RegExp;
  guess: string;
}[] = [
  {
    field: 'config.pruning[0].method',
    bad: 'magnitud',
    edit: (c) => {
      c.pruning[0]!.method = 'magnitud';
    },
    valid: listing('pruning method', PRUNE_METHODS.names()),
    guess: 'magnitude',
  },
  {
    field: 'config.faultModels[0].numberFormat',
    bad: 'float33',
    edit: (c) => {
      c.faultModels[0]!.numberFormat = 'float33';
    },
    valid: listing('number format', NUMBER_FORMATS.names()),
    guess: 'float32',
  },
  {
    field: 'config.faultModels[0].storageFormat',
    bad: 'dens',
    edit: (c) => {
      c.faultModels[0]!.storageFormat = 'dens';
    },
    valid: listing('storage format', STORAGE_FORMATS.names()),
    guess: 'dense',
  },
  {
    field: 'config.faultModels[0].faultType',
    bad: 'bit-flop',
    edit: (c) => {
      c.faultModels[0]!.faultType = 'bit-flop';
    },
    valid: listing('fault type', FAULT_TYPES.names()),
    guess: 'bit-flip',
  },
  {
    field: 'config.pruning[0].finetune.optimizer',
    bad: 'adamv',
    edit: (c) => {
      Object.assign(c.pruning[0]!, { finetune: { optimizer: 'adamv' } });
    },
    valid: listing('optimizer', optimizers.names()),
    guess: 'adamw',
  },
  {
    field: 'config.models[0].train.schedule',
    bad: 'cosin',
    edit: (c) => {
      Object.assign(c.models[0]!.train, { schedule: 'cosin' });
    },
    valid: listing('schedule', schedules.names()),
    guess: 'cosine',
  },
  {
    field: 'config.pruning[0].options',
    bad: 'nn',
    edit: (c) => {
      Object.assign(c.pruning[0]!, { method: 'nm', options: { nn: 2 } });
    },
    valid: /valid option of pruning method 'nm' names: n, m/,
    guess: 'n',
  },
  {
    field: 'config.models[0].source',
    bad: 'lenet',
    edit: (c) => {
      c.models[0]!.source = 'zoo:lenet';
    },
    valid: listing('model', ZOO.names()),
    guess: 'lenet5',
  },
];

test('a typo of any registry name fails the parse at once: one line with the field, the valid names and a guess', () => {
  for (const t of TYPOS) {
    const config = good();
    t.edit(config);
    const t0 = performance.now();
    const e = assertPrunefiError(
      () => parseStudyConfig(config),
      'STUDY_CONFIG',
      new RegExp(`^study config: ${literal(t.field)}: unknown .*'${literal(t.bad)}'`),
      t.valid,
      new RegExp(`did you mean '${literal(t.guess)}'\\?$`),
    );
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `${t.field}: failed after ${ms.toFixed(1)} ms`);
    assert.ok(!e.message.includes('\n'), e.message);
  }
});

test("method options are checked against the method's schema, and the common options' kinds too", () => {
  const withOptions = (method: string, options: Record<string, unknown>) => {
    const c = good();
    Object.assign(c.pruning[0]!, { method, options });
    return () => parseStudyConfig(c);
  };
  assertPrunefiError(
    withOptions('nm', { n: 0 }),
    'STUDY_CONFIG',
    /^study config: config\.pruning\[0\]\.options: option 'n' of pruning method 'nm' must be at least 1, got 0$/,
  );
  assertPrunefiError(
    withOptions('l1-filter', { scope: 'globl' }),
    'STUDY_CONFIG',
    /config\.pruning\[0\]\.options: pruning method 'l1-filter' supports scope layer or global, got 'globl'/,
  );
  assertPrunefiError(
    withOptions('magnitude', { skipFirst: 'yes' }),
    'STUDY_CONFIG',
    /config\.pruning\[0\]\.options\.skipFirst must be true or false, got "yes"/,
  );
  // Valid options pass, and are what the prune step receives.
  const c = parseStudyConfig({
    ...good(),
    pruning: [{ method: 'nm', sparsities: [0], options: { n: 1, m: 4 } }],
  });
  assert.deepEqual(c.pruning[0]!.options, { n: 1, m: 4 });
});

test('a config built in code is checked by planStudy before any model source is read', () => {
  const config: StudyConfig = parseStudyConfig(good());
  const bad: StudyConfig = {
    ...config,
    faultModels: [{ ...config.faultModels[0]!, faultType: 'bit-flop' }],
  };
  let sourcesRead = 0;
  assertPrunefiError(
    () =>
      planStudy(bad, (s) => {
        sourcesRead++;
        return s;
      }),
    'STUDY_CONFIG',
    /config\.faultModels\[0\]\.faultType: unknown fault type 'bit-flop'.*did you mean 'bit-flip'\?$/,
  );
  assert.equal(sourcesRead, 0);
});

test('prunefi study --config with a typo exits 2 with one line, before creating the study folder', (t) => {
  const dir = tempDir();
  const file = join(dir, 'bad.json');
  const config = good();
  config.pruning[0]!.method = 'magnitud';
  writeFileSync(file, JSON.stringify(config));
  const out = join(dir, 'out');
  const t0 = performance.now();
  const r = cliProcess(['study', '--config', file, '--out', out]);
  const ms = performance.now() - t0;
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /config\.pruning\[0\]\.method: unknown pruning method 'magnitud'; valid pruning method names: magnitude, .*did you mean 'magnitude'\?$/,
  );
  assert.ok(!existsSync(out), 'no step ran');
  // The whole process (Node start-up and loading prunefi included); logged, not asserted, as a
  // loaded 2-core machine running tests in parallel can take longer.
  t.diagnostic(`prunefi study --config bad.json failed in ${ms.toFixed(0)} ms`);
});

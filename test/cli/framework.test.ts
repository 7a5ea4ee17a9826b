import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Command, commandHelp, parseCommandArgs } from '../../src/cli/command.js';
import { formatDuration } from '../../src/cli/progress.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { cli, cliProcess } from '../helpers/cli.js';

const cmd: Command = {
  name: 'demo-cmd',
  summary: 'test command',
  options: {
    epochs: { type: 'int', description: 'epochs', min: 1, default: 3 },
    lr: { type: 'number', description: 'learning rate' },
    mode: { type: 'string', description: 'mode', choices: ['a', 'b'] },
    flag: { type: 'boolean', description: 'a flag' },
    rate: { type: 'number', description: 'rates', multiple: true },
  },
  positionals: [{ name: 'model', description: 'model', required: true }],
};

test('options are parsed, typed and defaulted', () => {
  const a = parseCommandArgs('demo-cmd', cmd, [
    'm.onnx',
    '--lr',
    '0.1',
    '--mode',
    'b',
    '--flag',
    '--rate',
    '1e-6',
    '--rate',
    '1e-5',
  ]);
  assert.deepEqual(a.positionals, ['m.onnx']);
  assert.equal(a.options.epochs, 3);
  assert.equal(a.options.lr, 0.1);
  assert.equal(a.options.mode, 'b');
  assert.equal(a.options.flag, true);
  assert.deepEqual(a.options.rate, [1e-6, 1e-5]);
});

test('bad options are usage errors naming the option', () => {
  assertPrunefiError(
    () => parseCommandArgs('demo-cmd', cmd, ['m', '--epochs', '0']),
    'USAGE',
    /--epochs must be at least 1, got 0/,
  );
  assertPrunefiError(
    () => parseCommandArgs('demo-cmd', cmd, ['m', '--epochs', '2.5']),
    'USAGE',
    /--epochs must be an integer/,
  );
  assertPrunefiError(
    () => parseCommandArgs('demo-cmd', cmd, ['m', '--lr', 'fast']),
    'USAGE',
    /--lr must be a number, got 'fast'/,
  );
  assertPrunefiError(
    () => parseCommandArgs('demo-cmd', cmd, ['m', '--mode', 'c']),
    'USAGE',
    /--mode must be one of a, b/,
  );
  const named: Command = {
    ...cmd,
    options: { opt: { type: 'string', description: 'optimizer', choices: ['sgd', 'adamw'] } },
  };
  assertPrunefiError(
    () => parseCommandArgs('demo-cmd', named, ['m', '--opt', 'adamv']),
    'USAGE',
    /--opt must be one of sgd, adamw, got 'adamv'; did you mean 'adamw'\?/,
  );
  assertPrunefiError(
    () => parseCommandArgs('demo-cmd', cmd, ['m', '--nope']),
    'USAGE',
    /unknown option '--nope'.*--help/,
  );
  assertPrunefiError(() => parseCommandArgs('demo-cmd', cmd, []), 'USAGE', /missing <model>/);
  assertPrunefiError(() => parseCommandArgs('demo-cmd', cmd, ['a', 'b']), 'USAGE', /unexpected argument 'b'/);
});

test('a variadic last positional takes every remaining argument, and help shows it', () => {
  const many: Command = {
    ...cmd,
    positionals: [{ name: 'input', description: 'inputs', required: true, variadic: true }],
  };
  assert.deepEqual(parseCommandArgs('demo-cmd', many, ['a', 'b', 'c', '--flag']).positionals, [
    'a',
    'b',
    'c',
  ]);
  assertPrunefiError(() => parseCommandArgs('demo-cmd', many, []), 'USAGE', /missing <input>/);
  assert.match(commandHelp('demo-cmd', many), /usage: prunefi demo-cmd <input\.\.\.> \[options\]/);
});

test('top-level help, version and unknown commands', async () => {
  const help = await cli('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: prunefi <command>/);
  const v = await cli('--version');
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const bad = await cli('frobnicate');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
  assert.doesNotMatch(bad.stderr, /at .*\.js/, 'no stack trace without --verbose');
});

test('the executable exits 2 on bad input', () => {
  const r = cliProcess(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^prunefi: error: unknown command/);
});

test('durations format compactly', () => {
  assert.equal(formatDuration(5), '5s');
  assert.equal(formatDuration(65), '1m05s');
  assert.equal(formatDuration(3720), '1h02m');
  assert.equal(formatDuration(Number.NaN), '?');
});

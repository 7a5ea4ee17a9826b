import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepClock } from '../../src/study/step-clock.js';
import { tempDir } from '../helpers/paths.js';

const saved = (file: string): number =>
  (JSON.parse(readFileSync(file, 'utf8')) as { seconds: number }).seconds;

test('a running step saves its time without being asked, so a killed run keeps it', async () => {
  const file = join(tempDir('prunefi-clock-'), 'time.json');
  const clock = new StepClock(file, 0.02);
  try {
    await sleep(120);
    // No save() or stop(): this is what a run killed without warning leaves behind.
    assert.ok(existsSync(file));
    assert.ok(saved(file) > 0 && saved(file) <= clock.seconds());
  } finally {
    clock.stop();
  }
});

test('a resumed step adds the time its earlier runs recorded', () => {
  const file = join(tempDir('prunefi-clock-'), 'time.json');
  writeFileSync(file, JSON.stringify({ seconds: 3600 }));
  const clock = new StepClock(file);
  clock.stop();
  // Wall-clock time since construction is well under a minute on any machine.
  assert.ok(clock.seconds() >= 3600 && clock.seconds() < 3660);
  clock.save();
  assert.ok(saved(file) >= 3600 && saved(file) < 3660);
});

test('a missing or unreadable time record counts as no earlier time', () => {
  const dir = tempDir('prunefi-clock-');
  for (const content of [undefined, '{"seconds": 3', '{"seconds": -5}', '{"seconds": "1h"}']) {
    const file = join(dir, `time-${Math.random()}.json`);
    if (content !== undefined) writeFileSync(file, content);
    const clock = new StepClock(file);
    clock.stop();
    assert.ok(clock.seconds() < 60, `${content}: ${clock.seconds()}`);
  }
});

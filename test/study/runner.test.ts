import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { InterruptedError } from '../../src/core/progress.js';
import type { ReportData } from '../../src/report/model.js';
import { runStudy } from '../../src/study/runner.js';
import { tempDir } from '../helpers/paths.js';
import { tinyStudy } from '../helpers/study.js';

const cacheDir = tempDir('prunefi-study-cache-');

test('a study runs end to end, writes its report, and a rerun reuses every step', async () => {
  const dir = tempDir('prunefi-study-');
  const partials: string[] = [];
  const first = await runStudy(tinyStudy(), dir, { cacheDir, onPartialReport: (r) => partials.push(r.html) });
  // Baseline first, each variant measured right after it is made; a partial report after the
  // baseline (the last variant's is the final report).
  assert.deepEqual(
    first.data.provenance.durations.map((d) => d.step.split(' ')[0]),
    ['base', 'eval', 'ber', 'bits', 'prune', 'eval', 'ber', 'bits'],
  );
  assert.equal(partials.length, 1);
  // 1 base + 1 prune + 2 variants × (eval + ber + bits).
  assert.equal(first.steps, 8);
  assert.equal(first.reused, 0);
  assert.ok(existsSync(first.report.html));
  assert.equal(first.data.variants.length, 2);
  assert.equal(first.data.berSweeps.length, 2);
  assert.equal(first.data.bitSweeps.length, 2);
  const bits = first.data.bitSweeps[0]!;
  assert.equal(bits.total.experiments, 64, '2 experiments × 32 bit positions');
  assert.equal(bits.byBit.length, 32);
  assert.equal(
    bits.byLayer.reduce((s, l) => s + l.experiments, 0),
    64,
    'every experiment lands in one layer',
  );
  const ber = first.data.berSweeps[0]!;
  assert.deepEqual(
    ber.points.map((p) => p.trials.length),
    [3],
  );
  const pruned = first.data.variants.find((v) => v.method === 'magnitude')!;
  assert.ok(Math.abs(pruned.sparsity - 0.5) < 0.01, `sparsity ${pruned.sparsity}`);
  assert.ok(
    pruned.memoryBits.csr! < first.data.variants[0]!.memoryBits.csr!,
    'CSR storage shrinks with sparsity',
  );

  const again = await runStudy(tinyStudy(), dir, { cacheDir });
  assert.equal(again.reused, 8);
  const numbers = JSON.parse(readFileSync(join(dir, 'report-numbers.json'), 'utf8')) as { format: string };
  assert.ok(numbers.format, 'the numbers file is written');

  // A changed BER list reruns only the two BER campaigns.
  const changed = await runStudy(
    tinyStudy({ campaigns: { images: 100, ber: { rates: [3e-4], trials: 3 }, singleBit: { perBit: 2 } } }),
    dir,
    { cacheDir },
  );
  assert.equal(changed.reused, 6);
});

test('an interrupted study resumes its campaign without losing or repeating experiments', async () => {
  const dir = tempDir('prunefi-study-');
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(
    runStudy(tinyStudy({ baseline: false }), dir, {
      cacheDir,
      signal: controller.signal,
      onProgress: (p) => {
        // Abort part-way through the single-bit campaign.
        if (p.id.startsWith('bits') && p.inner?.unit === 'experiments' && p.inner.done >= 20 && seen++ === 0)
          controller.abort();
      },
    }),
    (err: unknown) => err instanceof InterruptedError,
  );
  // The interruption left a partial report of what was finished: the variant and its BER sweep.
  const partial = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportData;
  assert.deepEqual(partial.pending, ['bits lenet5/magnitude@0.5 [float32 dense bit-flip]']);
  assert.deepEqual([partial.variants.length, partial.berSweeps.length, partial.bitSweeps.length], [1, 1, 0]);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /Partial report/);
  const [bitsDir] = readdirSync(join(dir, 'artifacts', 'bits'));
  const db = new Database(join(dir, 'artifacts', 'bits', bitsDir!, 'campaign.sqlite'), { readonly: true });
  const earlier = (db.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n;
  db.close();
  assert.ok(earlier >= 20 && earlier < 64, `${earlier} experiments stored before the interruption`);
  // The interrupted run recorded its time; make it stand out (1000 s): the finished step's
  // duration must include it, not only the resumed run's wall-clock time.
  const timeFile = join(dir, 'artifacts', 'bits', bitsDir!, 'time.json');
  assert.ok(JSON.parse(readFileSync(timeFile, 'utf8')).seconds > 0);
  writeFileSync(timeFile, JSON.stringify({ seconds: 1000 }));
  const result = await runStudy(tinyStudy({ baseline: false }), dir, { cacheDir });
  assert.equal(result.data.bitSweeps[0]!.total.experiments, 64);
  const bitsSeconds = result.data.provenance.durations.find((d) => d.step.startsWith('bits'))!.seconds;
  assert.ok(bitsSeconds > 1000 && bitsSeconds < 1000 + 600, `the bits step took ${bitsSeconds} s`);
  assert.ok(!existsSync(timeFile), 'the finished step keeps its time in its result only');
  assert.equal(result.data.pending, undefined);
  assert.doesNotMatch(readFileSync(result.report.html, 'utf8'), /Partial report/);
  const campaigns = readdirSync(join(dir, 'artifacts', 'bits'));
  assert.equal(campaigns.length, 1);
});

test('an interrupted fine-tune resumes from its checkpoint, which is removed once the step is done', async () => {
  const dir = tempDir('prunefi-study-');
  const config = tinyStudy({
    baseline: false,
    trainLimit: 64,
    pruning: [{ method: 'magnitude', sparsities: [0.5], finetune: { epochs: 2, batch: 16 } }],
  });
  const controller = new AbortController();
  await assert.rejects(
    runStudy(config, dir, {
      cacheDir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.id.startsWith('prune') && p.inner?.phase?.includes('epoch 2/2')) controller.abort();
      },
    }),
    (err: unknown) => err instanceof InterruptedError,
  );
  const [stepDir] = readdirSync(join(dir, 'artifacts', 'prune'));
  assert.ok(existsSync(join(dir, 'artifacts', 'prune', stepDir!, 'fine-tune.ckpt')));
  // As with campaigns, the finished step's time includes the interrupted run's.
  writeFileSync(join(dir, 'artifacts', 'prune', stepDir!, 'time.json'), JSON.stringify({ seconds: 5000 }));
  const labels: string[] = [];
  const result = await runStudy(config, dir, {
    cacheDir,
    onProgress: (p) => {
      if (p.id.startsWith('prune') && p.inner?.phase) labels.push(p.inner.phase);
    },
  });
  assert.ok(labels.length > 0 && !labels.some((l) => l.includes('epoch 1/2')), 'epoch 1 was trained again');
  const pruneSeconds = result.data.provenance.durations.find((d) => d.step.startsWith('prune'))!.seconds;
  assert.ok(pruneSeconds > 5000 && pruneSeconds < 5000 + 600, `the prune step took ${pruneSeconds} s`);
  assert.deepEqual(
    readdirSync(join(dir, 'artifacts', 'prune', stepDir!)).filter((f) => f.endsWith('.ckpt')),
    [],
  );
});

/**
 * Checks that a parsed JSON value is a well-formed ReportData before anything is derived from it.
 * Report files are written by one prunefi version and read by another, or edited by hand, so
 * every field is checked and a problem is reported as `PrunefiError('REPORT_INPUT')` naming the
 * file, the JSON path, what was expected and what was found.
 */
import { PrunefiError } from '../core/errors.js';
import { type ReportData, VARIANT_GRANULARITIES } from './model.js';

type Obj = Record<string, unknown>;

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return String(v);
}

class Checker {
  constructor(private readonly source: string) {}

  fail(path: string, expected: string, got: unknown): never {
    throw new PrunefiError(
      'REPORT_INPUT',
      `${this.source}: ${path} must be ${expected}, got ${show(got)}; regenerate the report data with 'prunefi study' or fix the file`,
    );
  }

  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as Obj;
  }

  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'an array', v);
    return v;
  }

  str(o: Obj, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string') this.fail(`${path}.${key}`, 'a string', v);
    return v;
  }

  num(
    o: Obj,
    key: string,
    path: string,
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
    optional = false,
  ): number | undefined {
    const v = o[key];
    if (v === undefined && optional) return undefined;
    const range =
      min === Number.NEGATIVE_INFINITY
        ? 'a finite number'
        : max === Number.POSITIVE_INFINITY
          ? `a number >= ${min}`
          : `a number in [${min}, ${max}]`;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      this.fail(`${path}.${key}`, range, v);
    return v;
  }

  count(o: Obj, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      this.fail(`${path}.${key}`, 'a non-negative integer', v);
    return v;
  }
}

function checkCounts(c: Checker, o: Obj, path: string): void {
  const n = c.count(o, 'experiments', path);
  for (const k of ['sdcExperiments', 'criticalExperiments']) {
    if (c.count(o, k, path) > n) c.fail(`${path}.${k}`, `at most experiments (${n})`, o[k]);
  }
  c.count(o, 'sdcImages', path);
}

function checkFaultModel(c: Checker, v: unknown, path: string): void {
  const f = c.obj(v, path);
  for (const k of ['label', 'numberFormat', 'storageFormat', 'faultType']) c.str(f, k, path);
  if (typeof f.foldBn !== 'boolean') c.fail(`${path}.foldBn`, 'true or false', f.foldBn);
}

/**
 * Validates `value` (parsed JSON) as ReportData and returns it typed. `source` names the file in
 * messages. Besides field types it checks cross-references: unique variant ids, sweeps naming
 * known variants, one fault-model definition per label, at most one unpruned baseline per model.
 */
export function validateReportData(value: unknown, source: string): ReportData {
  const c: Checker = new Checker(source);
  const d = c.obj(value, 'the report data');
  c.str(d, 'title', '$');
  c.str(d, 'question', '$');
  const ds = c.obj(d.dataset, '$.dataset');
  c.str(ds, 'name', '$.dataset');
  c.str(ds, 'split', '$.dataset');
  c.count(ds, 'classes', '$.dataset');
  c.count(ds, 'faultImages', '$.dataset');
  const p = c.obj(d.provenance, '$.provenance');
  for (const k of [
    'prunefiVersion',
    'onnxruntimeVersion',
    'nodeVersion',
    'platform',
    'cpus',
    'command',
    'configHash',
    'startedAt',
    'finishedAt',
  ]) {
    c.str(p, k, '$.provenance');
  }
  const seeds = c.obj(p.seeds, '$.provenance.seeds');
  for (const k of Object.keys(seeds)) c.num(seeds, k, '$.provenance.seeds');
  c.arr(p.durations, '$.provenance.durations').forEach((x, i) => {
    const o = c.obj(x, `$.provenance.durations[${i}]`);
    c.str(o, 'step', `$.provenance.durations[${i}]`);
    c.num(o, 'seconds', `$.provenance.durations[${i}]`, 0);
  });

  if (d.pending !== undefined)
    c.arr(d.pending, '$.pending').forEach((x, i) => {
      if (typeof x !== 'string') c.fail(`$.pending[${i}]`, 'a string (a study step id)', x);
    });

  const ids = new Set<string>();
  const baselines = new Map<string, string>();
  c.arr(d.variants, '$.variants').forEach((x, i) => {
    const path = `$.variants[${i}]`;
    const v = c.obj(x, path);
    const id = c.str(v, 'id', path);
    if (ids.has(id)) c.fail(`${path}.id`, 'unique among variants', id);
    ids.add(id);
    const model = c.str(v, 'model', path);
    const method = c.str(v, 'method', path);
    c.str(v, 'label', path);
    if (!(VARIANT_GRANULARITIES as readonly unknown[]).includes(v.granularity))
      c.fail(`${path}.granularity`, `one of ${VARIANT_GRANULARITIES.join(', ')}`, v.granularity);
    c.num(v, 'target', path, 0, 1);
    c.num(v, 'sparsity', path, 0, 1);
    const params = c.count(v, 'params', path);
    if (c.count(v, 'nonzeroParams', path) > params)
      c.fail(`${path}.nonzeroParams`, `at most params (${params})`, v.nonzeroParams);
    c.count(v, 'macs', path);
    const bits = c.obj(v.memoryBits, `${path}.memoryBits`);
    for (const k of Object.keys(bits)) c.count(bits, k, `${path}.memoryBits`);
    c.num(v, 'cleanAccuracy', path, 0, 1);
    const total = c.count(v, 'cleanTotal', path);
    if (c.count(v, 'cleanCorrect', path) > total)
      c.fail(`${path}.cleanCorrect`, `at most cleanTotal (${total})`, v.cleanCorrect);
    c.num(v, 'accuracyBeforeFinetune', path, 0, 1, true);
    c.num(v, 'finetuneEpochs', path, 0, Number.POSITIVE_INFINITY, true);
    if (v.file !== undefined) c.str(v, 'file', path);
    if (method === 'none') {
      if (baselines.has(model))
        c.fail(
          `${path}.method`,
          `'none' for only one variant of model '${model}' (already '${baselines.get(model)}')`,
          method,
        );
      baselines.set(model, id);
    }
  });

  const faultModels = new Map<string, string>();
  const checkSweepHead = (s: Obj, path: string): void => {
    const id = c.str(s, 'variantId', path);
    if (!ids.has(id)) c.fail(`${path}.variantId`, 'the id of a variant in $.variants', id);
    checkFaultModel(c, s.faultModel, `${path}.faultModel`);
    const fm = s.faultModel as Obj;
    const sig = JSON.stringify([fm.numberFormat, fm.storageFormat, fm.faultType, fm.foldBn]);
    const prev = faultModels.get(fm.label as string);
    if (prev !== undefined && prev !== sig)
      c.fail(
        `${path}.faultModel`,
        `the same definition everywhere it is labelled '${fm.label}'`,
        s.faultModel,
      );
    faultModels.set(fm.label as string, sig);
    c.count(s, 'images', path);
  };

  const seen = new Set<string>();
  c.arr(d.berSweeps, '$.berSweeps').forEach((x, i) => {
    const path = `$.berSweeps[${i}]`;
    const s = c.obj(x, path);
    checkSweepHead(s, path);
    const key = `${s.variantId}\u0000${(s.faultModel as Obj).label}`;
    if (seen.has(key))
      c.fail(
        path,
        `the only BER sweep of variant '${s.variantId}' under '${(s.faultModel as Obj).label}'`,
        'a duplicate',
      );
    seen.add(key);
    c.num(s, 'cleanAccuracy', path, 0, 1, true);
    const bers = new Set<number>();
    c.arr(s.points, `${path}.points`).forEach((y, j) => {
      const pp = `${path}.points[${j}]`;
      const pt = c.obj(y, pp);
      const ber = pt.ber;
      if (typeof ber !== 'number' || !(ber > 0 && ber <= 1))
        c.fail(`${pp}.ber`, 'a bit error rate in (0, 1]', ber);
      if (bers.has(ber)) c.fail(`${pp}.ber`, 'different from the other points of the sweep', ber);
      bers.add(ber);
      const trials = c.arr(pt.trials, `${pp}.trials`);
      if (trials.length === 0) c.fail(`${pp}.trials`, 'a non-empty array', trials);
      trials.forEach((z, k) => {
        const tp = `${pp}.trials[${k}]`;
        const t = c.obj(z, tp);
        c.num(t, 'accuracy', tp, 0, 1);
        for (const f of ['sdc', 'criticalSdc', 'nonFinite', 'faults']) c.count(t, f, tp);
        c.num(t, 'seed', tp, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, true);
      });
    });
  });

  const seenBits = new Set<string>();
  c.arr(d.bitSweeps, '$.bitSweeps').forEach((x, i) => {
    const path = `$.bitSweeps[${i}]`;
    const s = c.obj(x, path);
    checkSweepHead(s, path);
    const key = `${s.variantId}\u0000${(s.faultModel as Obj).label}`;
    if (seenBits.has(key))
      c.fail(
        path,
        `the only bit sweep of variant '${s.variantId}' under '${(s.faultModel as Obj).label}'`,
        'a duplicate',
      );
    seenBits.add(key);
    c.arr(s.byBit, `${path}.byBit`).forEach((y, j) => {
      const bp = `${path}.byBit[${j}]`;
      const b = c.obj(y, bp);
      c.count(b, 'bit', bp);
      checkCounts(c, b, bp);
    });
    c.arr(s.byLayer, `${path}.byLayer`).forEach((y, j) => {
      const lp = `${path}.byLayer[${j}]`;
      const l = c.obj(y, lp);
      c.str(l, 'layer', lp);
      c.num(l, 'sparsity', lp, 0, 1);
      c.count(l, 'storedBits', lp);
      checkCounts(c, l, lp);
    });
    checkCounts(c, c.obj(s.total, `${path}.total`), `${path}.total`);
  });
  return value as ReportData;
}

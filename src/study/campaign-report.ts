/**
 * Report data from standalone campaign databases (`prunefi campaign run --db ...`), so that
 * `prunefi report a.sqlite b.sqlite ...` answers the study's question for campaigns run by hand.
 *
 * Each database names its model (spec and content hash); the model is loaded again to describe
 * the variant (parameters, MACs, stored bits, layer sparsity). A pruned model's provenance
 * (metadata written by `prunefi prune`) gives its method and target sparsity, and its parent's
 * weight hash ties it to the unpruned model among the inputs, so variants group by base model
 * as in a study. Clean accuracy is the fault-free accuracy on the campaign's own images.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { CampaignConfig } from '../campaign/config.js';
import { storedModelOf } from '../campaign/evaluator.js';
import { buildPlan, PLAN_KINDS, type PlanReport } from '../campaign/plan.js';
import { CampaignStore, type ExperimentRecord } from '../campaign/store.js';
import { PrunefiError } from '../core/errors.js';
import { hashBytes, hashJson } from '../core/hash.js';
import type { ProgressCallback } from '../core/progress.js';
import type { StoredModel } from '../fault/memory.js';
import { resolveModel } from '../models/index.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/proto.js';
import { PRUNE_META, weightsSha256 } from '../prune/provenance.js';
import { PRUNE_METHODS } from '../prune/registry.js';
import type { BerSweep, BitSweep, FaultModelInfo, ReportData, Variant } from '../report/model.js';
import { faultModelLabel } from './plan.js';
import { hostProvenance, STUDY_QUESTION, variantFigures, variantLabel } from './report-data.js';
import { berPoints, bitCounts, type LayerStats, layerStats } from './sweeps.js';

/** One opened campaign: its config, golden figures, records and model. */
interface Campaign {
  path: string;
  config: CampaignConfig;
  golden: { images: number; correct: number };
  records: ExperimentRecord[];
  planned: number;
  stopped: boolean;
  /** When the database was last written: its newest result. */
  modified: Date;
  model: Model;
  /** The stored layers the experiments' layer and bit refer to. */
  layers: LayerStats[];
  /** Identity of the model's weights (sha256 over its initializers). */
  weights: string;
  fault: FaultModelInfo;
  seconds: number;
}

function inputError(path: string, what: string): PrunefiError {
  return new PrunefiError('REPORT_INPUT', `campaign ${path}: ${what}`);
}

/**
 * The campaign's model: its spec as given when the campaign ran, resolved against the working
 * folder, then the database's folder and its parents (a study's campaigns name models relative
 * to the study folder). It must still have the recorded content hash.
 */
function loadCampaignModel(path: string, spec: string, hash: string): Model {
  if (spec.startsWith('zoo:')) {
    const m = resolveModel(spec);
    if (hashBytes(encodeModel(m)) !== hash)
      throw inputError(path, `the zoo model '${spec}' no longer builds the model the campaign ran on`);
    return m;
  }
  const tried: string[] = [];
  const candidates = [resolve(spec)];
  for (let dir = dirname(resolve(path)), i = 0; i < 4; dir = dirname(dir), i++) {
    candidates.push(join(dir, spec));
    if (dirname(dir) === dir) break;
  }
  for (const file of [...new Set(candidates)]) {
    tried.push(file);
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    const m = resolveModel(file);
    // The CLI records the hash of the encoded model, a study that of the file's bytes.
    if (hashBytes(bytes) === hash || hashBytes(encodeModel(m)) === hash) return m;
  }
  throw inputError(
    path,
    `its model '${spec}' was not found with the content it had when the campaign ran (looked at ${tried.join(', ')}); run the report from the folder the campaign ran in, and keep the model file unchanged`,
  );
}

/** A campaign's model as loaded and stored for its fault model: shared by campaigns of one model. */
type LoadedModel = Pick<Campaign, 'model' | 'layers' | 'weights'> & { memory: StoredModel };

/**
 * Opens a campaign database. `models` caches loaded models by content hash and memory options:
 * a study runs a BER and a bit campaign per model, and loading and storing ResNet18 takes
 * about a second each time.
 */
function openCampaign(path: string, models: Map<string, LoadedModel>): Campaign {
  if (!existsSync(path))
    throw new PrunefiError('REPORT_INPUT', `campaign database ${path} does not exist; check the path`);
  const store = CampaignStore.open(path, true);
  try {
    const config = store.config as CampaignConfig;
    const golden = store.metaJson('golden', null) as { images: number; correct: number } | null;
    if (!golden)
      throw inputError(path, `it has no fault-free reference yet; run 'prunefi campaign resume ${path}'`);
    const key = `${config.model.hash}|${JSON.stringify(config.memory)}`;
    let loaded = models.get(key);
    if (!loaded) {
      const model = loadCampaignModel(path, config.model.spec, config.model.hash);
      const { memory } = storedModelOf(model, config.memory);
      loaded = {
        model,
        layers: layerStats(memory),
        weights: weightsSha256(model.graph),
        memory,
      };
      models.set(key, loaded);
    }
    const records = store.records();
    return {
      path,
      config,
      golden,
      records,
      planned: buildPlan(config.plan, loaded.memory, config.seed).size,
      stopped: store.meta('stopped') !== undefined,
      modified: statSync(path).mtime,
      model: loaded.model,
      layers: loaded.layers,
      weights: loaded.weights,
      fault: faultInfo(config, loaded.memory),
      seconds: records.reduce((s, r) => s + r.seconds, 0),
    };
  } finally {
    store.close();
  }
}

function faultInfo(c: CampaignConfig, memory: StoredModel): FaultModelInfo {
  const f = {
    // A quantized model's campaigns hit its own integers, whatever number format they name.
    numberFormat: memory.formatLabel,
    storageFormat: c.memory.storage,
    faultType: typeof c.plan.type === 'string' ? c.plan.type : 'bit-flip',
    foldBn: c.memory.foldBn,
  };
  // A protected campaign is a fault model of its own: its sweeps never merge with unprotected ones.
  return {
    label: faultModelLabel({ ...f, ...(c.memory.protect ? { protect: c.memory.protect } : {}) }),
    ...f,
  };
}

/** How the report shows a campaign: as its plan kind says (BER curves or a single-fault sweep). */
function reportOf(c: CampaignConfig): PlanReport | undefined {
  return PLAN_KINDS.get(c.plan.kind).report(c.plan);
}

/** A model's name for the report: the zoo name, or the file name without its extension. */
function modelName(spec: string): string {
  if (spec.startsWith('zoo:')) return spec.slice(4).split('?')[0]!;
  return basename(spec, extname(spec));
}

/** The campaign's variant: method and target from pruning provenance, unpruned otherwise. */
function describeVariant(c: Campaign, base: ReadonlyMap<string, string>): Omit<Variant, 'id'> {
  const meta = c.model.metadata;
  const method = meta.get(`${PRUNE_META}method`) ?? 'none';
  let target = 0;
  let model = base.get(c.weights) ?? modelName(c.config.model.spec);
  if (method !== 'none') {
    const options = JSON.parse(meta.get(`${PRUNE_META}options`) ?? '{}') as {
      sparsity?: number;
      method?: { n?: number; m?: number };
    };
    target = options.sparsity ?? Number(meta.get(`${PRUNE_META}sparsity`) ?? 0);
    // N:M ignores --sparsity (0 by default); its target is the fraction each group drops, as
    // the study labels it ('nm 50%' for 2:4), not 'nm 0%'.
    const nm = PRUNE_METHODS.has(method) ? PRUNE_METHODS.get(method) : undefined;
    if (nm?.granularity === 'n:m') {
      const n = options.method?.n ?? Number(nm.options?.n?.default);
      const m = options.method?.m ?? Number(nm.options?.m?.default);
      if (n > 0 && m > n) target = 1 - n / m;
    }
    const parent = meta.get('prunefi.parent.weights_sha256') ?? '';
    // Siblings pruned from a parent that is not among the inputs still group together, named by
    // the parent's source when it was a zoo model and by its weights otherwise.
    const source = meta.get('prunefi.source');
    model = base.get(parent) ?? `${source ? modelName(source) : 'parent'}-${parent.slice(0, 8)}`;
  }
  const epochs = meta.get(`${PRUNE_META}finetune_epochs`);
  return {
    model,
    method,
    label: variantLabel(method, target),
    granularity:
      method === 'none'
        ? 'none'
        : PRUNE_METHODS.has(method)
          ? PRUNE_METHODS.get(method).granularity
          : 'unstructured',
    target,
    ...variantFigures(c.model, c.config.memory.numberFormat, c.config.memory.foldBn),
    cleanAccuracy: c.golden.correct / c.golden.images,
    cleanCorrect: c.golden.correct,
    cleanTotal: c.golden.images,
    ...(epochs !== undefined ? { finetuneEpochs: Number(epochs) } : {}),
  };
}

/**
 * Report data from campaign databases: one variant per distinct model, one BER sweep per BER
 * campaign and one single-fault sweep per single-fault campaign. Unfinished campaigns are listed
 * as pending (a partial report). Errors name the database and what to do.
 */
export function reportDataFromCampaigns(
  paths: readonly string[],
  command = '',
  onProgress?: ProgressCallback,
): ReportData {
  if (!paths.length) throw new PrunefiError('REPORT_INPUT', 'no campaign database given');
  const models = new Map<string, LoadedModel>();
  const campaigns = paths.map((p, i) => {
    onProgress?.({ unit: 'databases', done: i, total: paths.length, phase: 'read campaigns' });
    const c = openCampaign(p, models);
    onProgress?.({ unit: 'databases', done: i + 1, total: paths.length, phase: 'read campaigns' });
    return c;
  });
  const first = campaigns[0]!;
  for (const c of campaigns) {
    const unsupported = !reportOf(c.config);
    if (unsupported)
      throw inputError(
        c.path,
        `its plan '${c.config.plan.kind}' injects several faults per experiment at no set rate, which the report cannot show; it shows BER campaigns (--plan ber) and single-fault campaigns (--plan single-bit or exhaustive)`,
      );
    if (c.config.data.hash !== first.config.data.hash)
      throw inputError(
        c.path,
        `it ran on other images (${c.config.data.spec}, ${c.config.data.split} split, ${c.config.data.perClass} per class) than ${first.path} (${first.config.data.spec}, ${first.config.data.split}, ${first.config.data.perClass} per class); compare campaigns over the same images`,
      );
  }
  // Unpruned models by weight hash, so pruned ones find their parent. Different models with one
  // name (a study keeps every model as model.onnx) are told apart by their weights.
  const base = new Map<string, string>();
  for (const c of campaigns)
    if (!c.model.metadata.has(`${PRUNE_META}method`)) base.set(c.weights, modelName(c.config.model.spec));
  const names = [...base.values()];
  for (const [weights, name] of base)
    if (names.indexOf(name) !== names.lastIndexOf(name)) base.set(weights, `${name}-${weights.slice(0, 8)}`);

  const variants = new Map<string, Variant>();
  const idOf = new Map<string, string>();
  const firstOf = new Map<string, string>();
  for (const c of campaigns) {
    if (idOf.has(c.weights)) continue;
    const v = describeVariant(c, base);
    const id = `${v.model}/${v.method}@${v.target}`;
    if (variants.has(id))
      throw inputError(
        c.path,
        `its model is another ${v.label} of ${v.model} than the one ${firstOf.get(id)} ran on; report one model per method and sparsity`,
      );
    variants.set(id, { id, ...v });
    idOf.set(c.weights, id);
    firstOf.set(id, c.path);
  }

  // Campaigns with the same seed drew the same faults for the same experiment index: equal trial
  // seeds pair them in comparisons; different campaign seeds get disjoint trial seeds.
  const seedBases = [...new Set(campaigns.map((c) => c.config.seed))];
  const berSweeps: BerSweep[] = [];
  const bitSweeps: BitSweep[] = [];
  const seen = new Map<string, string>();
  const pending: string[] = [];
  for (const c of campaigns) {
    const variantId = idOf.get(c.weights)!;
    const shown = reportOf(c.config)!;
    const kind = shown.as === 'ber' ? 'BER' : 'single-fault';
    const key = `${variantId}|${c.fault.label}|${kind}`;
    if (seen.has(key))
      throw inputError(
        c.path,
        `it and ${seen.get(key)} are both ${kind} campaigns of ${variantId} under ${c.fault.label}; pass one of them`,
      );
    seen.set(key, c.path);
    if (c.records.length < c.planned && !c.stopped)
      pending.push(`campaign ${c.path}: ${c.records.length} of ${c.planned} experiments`);
    if (!c.records.length) continue;
    const v = variants.get(variantId)!;
    // Several campaigns of one model: the clean accuracy is taken on the most images.
    if (c.golden.images > v.cleanTotal)
      Object.assign(v, {
        cleanAccuracy: c.golden.correct / c.golden.images,
        cleanCorrect: c.golden.correct,
        cleanTotal: c.golden.images,
      });
    const common = { variantId, faultModel: c.fault, images: c.golden.images };
    if (shown.as === 'ber') {
      const seedBase = seedBases.indexOf(c.config.seed) * 1e9;
      berSweeps.push({
        ...common,
        cleanAccuracy: c.golden.correct / c.golden.images,
        points: berPoints(c.records, shown.rates, seedBase).filter((pt) => pt.trials.length > 0),
      });
    } else {
      bitSweeps.push({ ...common, ...bitCounts(c.records, c.layers) });
    }
  }
  const classes = Number(first.model.graph.outputs[0]?.shape?.at(-1)) || 0;
  const configs = campaigns.map((c) => ({ db: c.path, ...c.config }));
  return {
    title: 'Fault-injection campaigns: pruning vs fault tolerance',
    question: STUDY_QUESTION,
    dataset: {
      name: first.config.data.spec,
      split: first.config.data.split,
      classes,
      faultImages: first.golden.images,
    },
    provenance: {
      ...hostProvenance(),
      command,
      config: configs,
      configHash: hashJson(configs.map(({ db: _db, ...c }) => c)),
      seeds: Object.fromEntries(campaigns.map((c) => [basename(c.path), c.config.seed])),
      durations: campaigns.map((c) => ({ step: `campaign ${c.path}`, seconds: c.seconds })),
      // Campaign databases keep no start time; the newest write is when the last result landed.
      startedAt: 'not recorded (campaign databases)',
      finishedAt: new Date(Math.max(...campaigns.map((c) => c.modified.getTime()))).toISOString(),
    },
    variants: [...variants.values()],
    berSweeps,
    bitSweeps,
    ...(pending.length ? { pending } : {}),
  };
}

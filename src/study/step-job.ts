/**
 * A study step as a queue job: what travels (`StepJob`, `StepJobResult`) and how a worker runs it.
 * The worker does not trust the step the coordinator describes: it re-parses the study config,
 * plans the study itself and runs its own step of that id, after checking that the step's content
 * key is the one the job names (the same key means the same configuration, inputs and artifact
 * version, so the result is the one a single-process study would store). Inputs come by content
 * hash: the models of the step's dependencies and, for a base step, a model file given as its
 * source. Outputs (a model, or a campaign database) go back the same way, with the step's JSON
 * result in the job's return value; the coordinator stores both in its study folder.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Job, UnrecoverableError } from 'bullmq';
import { atomicWrite } from '../core/atomic.js';
import { errorMessage, PrunefiError } from '../core/errors.js';
import { getArtifact, putArtifact } from '../queue/artifacts.js';
import type { JobType, WorkerContext } from '../queue/job-types.js';
import { checkVersion, HASH, PayloadCheck, PRUNEFI_VERSION } from '../queue/payload.js';
import { parseStudyConfig, type StudyConfig } from './config.js';
import { StudyData } from './data.js';
import { planStudy, type Step, type StepKind } from './plan.js';
import { type ModelResult, runStep, type StepOutput, type StepResult } from './steps.js';
import { ArtifactStore } from './store.js';

/** The BullMQ job name of a study step. */
export const STUDY_STEP_JOB = 'study-step';

/** A job: run step `step` (content key `key`) of the study `config`. */
export interface StepJob {
  version: string;
  config: StudyConfig;
  step: string;
  key: string;
  /** Each model source of the config with its identity (a file's sha256, or the zoo spec). */
  sources: Record<string, string>;
  /** Content hash of the test split as the coordinator loaded it: a worker must load the same. */
  data: string;
  /** The step's dependencies: their stored results and the sha256 of their model file. */
  inputs: { step: string; result: StepResult; model: string }[];
}

/** What a worker returns: the step's output, its time, and its files by name and sha256. */
export interface StepJobResult {
  version: string;
  key: string;
  output: StepOutput;
  seconds: number;
  files: Record<string, string>;
  worker: string;
}

/** The files a step of each kind leaves in its folder for the study (scratch files excluded). */
export const STEP_FILES: Record<StepKind, readonly string[]> = {
  base: ['model.onnx'],
  prune: ['model.onnx'],
  eval: [],
  ber: ['campaign.sqlite'],
  bits: ['campaign.sqlite'],
  plan: ['campaign.sqlite'],
};

/** The output kinds each step kind may return. */
const OUTPUT_KINDS: Record<StepKind, readonly StepOutput['kind'][]> = {
  base: ['model'],
  prune: ['model'],
  eval: ['eval'],
  ber: ['ber'],
  bits: ['bits'],
  plan: ['ber', 'bits'],
};

/** A step's job id: a re-run coordinator adopts the job a previous one queued for the same key. */
export function stepJobId(step: Step): string {
  return `study-${step.key.slice(0, 40)}`;
}

/** Checks a step job's shape (the config itself is checked by `parseStudyConfig`). */
export function parseStepJob(data: unknown): StepJob {
  const c: PayloadCheck = new PayloadCheck('the queued study step');
  const o = c.obj(data, 'job');
  c.str(o.version, 'version');
  c.obj(o.config, 'config');
  c.str(o.step, 'step');
  c.str(o.key, 'key', HASH);
  c.str(o.data, 'data', HASH);
  const sources = c.obj(o.sources, 'sources');
  for (const [k, v] of Object.entries(sources)) c.str(v, `sources[${JSON.stringify(k)}]`);
  if (!Array.isArray(o.inputs)) c.fail('inputs', 'an array');
  o.inputs.forEach((v, i) => {
    const input = c.obj(v, `inputs[${i}]`);
    c.str(input.step, `inputs[${i}].step`);
    c.str(input.model, `inputs[${i}].model`, HASH);
    if (c.obj(input.result, `inputs[${i}].result`).kind !== 'model')
      c.fail(`inputs[${i}].result.kind`, "'model'");
  });
  return o as unknown as StepJob;
}

/** Checks a worker's result against the step it answers. */
export function parseStepJobResult(value: unknown, step: Step): StepJobResult {
  const c: PayloadCheck = new PayloadCheck(`the result of study step '${step.id}'`);
  const o = c.obj(value, 'result');
  c.str(o.version, 'version');
  if (o.key !== step.key) c.fail('key', `the step's ${step.key.slice(0, 12)}`);
  c.str(o.worker, 'worker');
  if (c.num(o.seconds, 'seconds') < 0) c.fail('seconds', 'a number ≥ 0');
  const kind = c.obj(o.output, 'output').kind;
  if (!OUTPUT_KINDS[step.kind].includes(kind as StepOutput['kind']))
    c.fail('output.kind', OUTPUT_KINDS[step.kind].join(' or '));
  const files = c.obj(o.files, 'files');
  for (const name of STEP_FILES[step.kind]) c.str(files[name], `files[${JSON.stringify(name)}]`, HASH);
  for (const name of Object.keys(files))
    if (!STEP_FILES[step.kind].includes(name)) c.fail(`files[${JSON.stringify(name)}]`, 'absent');
  return o as unknown as StepJobResult;
}

/** Where a worker runs a step: a scratch study folder of its own, kept until the step is done. */
function scratchDir(ctx: WorkerContext, key: string): string {
  return join(ctx.cacheDir, 'study-steps', key.slice(0, 16));
}

/** Runs one study step job on a worker (see the module comment). */
async function runStepJob(job: Job, ctx: WorkerContext): Promise<StepJobResult> {
  const unrecoverable = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new UnrecoverableError(errorMessage(err));
    }
  };
  const p = unrecoverable(() => parseStepJob(job.data));
  checkVersion(p.version, ctx.name);
  let config = unrecoverable(() => parseStudyConfig(p.config));
  const steps = unrecoverable(() =>
    planStudy(config, (source) => {
      const id = p.sources[source];
      if (id === undefined) throw new PrunefiError('QUEUE', `the job names no identity for source ${source}`);
      return id;
    }),
  );
  const step = steps.find((s) => s.id === p.step);
  if (!step || step.key !== p.key) {
    throw new UnrecoverableError(
      `this worker plans study step '${p.step}' ${step ? `with key ${step.key.slice(0, 12)}, not the job's ${p.key.slice(0, 12)}` : 'not at all'}; run workers of the coordinator's prunefi version`,
    );
  }
  if (ctx.threads !== undefined) config = { ...config, threads: ctx.threads };
  const dir = scratchDir(ctx, step.key);
  const store = new ArtifactStore(dir);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const results = new Map<string, StepResult>();
  for (const id of step.deps) {
    const input = p.inputs.find((i) => i.step === id);
    const dep = byId.get(id);
    if (!input || !dep) throw new UnrecoverableError(`the job has no input for dependency '${id}'`);
    // The model goes where this worker's store keeps the dependency's, whatever path the coordinator used.
    const file = join(store.dir(dep), 'model.onnx');
    atomicWrite(file, await getArtifact(ctx.redis, input.model, ctx.cacheDir, `the model of ${id}`), {
      what: `the model of ${id}`,
    });
    results.set(id, { ...(input.result as ModelResult & { seconds: number }), file: relative(dir, file) });
  }
  let run = step;
  if (step.params.kind === 'base' && !step.params.source.startsWith('zoo:')) {
    const identity = step.params.sourceIdentity;
    const file = join(dir, 'sources', `${identity}.onnx`);
    if (!existsSync(file)) {
      const bytes = await getArtifact(ctx.redis, identity, ctx.cacheDir, `model ${step.params.source}`);
      atomicWrite(file, bytes, { mkdir: true, what: `model ${step.params.source}` });
    }
    run = { ...step, params: { ...step.params, source: file } };
  }
  const data = new StudyData(
    config.data,
    config.trainSplit,
    config.testSplit,
    config.trainLimit,
    ctx.cacheDir,
  );
  const test = await data.test();
  if (test.hash !== p.data) {
    throw new PrunefiError(
      'QUEUE',
      `worker ${ctx.name} loads dataset ${config.data} with content hash ${test.hash.slice(0, 12)}, not the coordinator's ${p.data.slice(0, 12)}; give every worker the same dataset at the same path`,
    );
  }
  const t0 = performance.now();
  const output = await runStep(run, { config, dir, store, data, results });
  const seconds = (performance.now() - t0) / 1000;
  const files: Record<string, string> = {};
  for (const name of STEP_FILES[step.kind]) {
    files[name] = await putArtifact(
      ctx.redis,
      readFileSync(join(store.dir(step), name)),
      `${step.id}'s ${name}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return { version: PRUNEFI_VERSION, key: step.key, output, seconds, files, worker: ctx.name };
}

/** Study steps (`study --queue`): training, pruning, clean accuracy and whole campaigns. */
export const STUDY_STEP_JOB_TYPE: JobType = {
  name: STUDY_STEP_JOB,
  description: 'one step of a queued study (study --queue): base model, prune, eval or campaign',
  reference: '',
  start(ctx) {
    return {
      run: (job) => runStepJob(job, ctx),
      label: (job) => `study step '${typeof job.data?.step === 'string' ? job.data.step : '?'}'`,
      close: async () => {},
    };
  },
};

/**
 * `prunefi campaign predict`: BER accuracy curves predicted from a stored single-bit campaign
 * (no inference), optionally set against a measured BER campaign.
 */
import type { CampaignConfig } from '../../campaign/config.js';
import { readSingleBit } from '../../campaign/predict.js';
import { type MeasuredBer, predictBer, readMeasuredBer } from '../../campaign/predict-compare.js';
import { CampaignStore } from '../../campaign/store.js';
import { type Command, opt, usageError } from '../command.js';
import { formatPercent, table } from '../format.js';
import { printJson } from '../shared.js';

const CMD = 'campaign predict';

function parseRates(text: string): number[] {
  return text.split(',').map((s) => {
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v))
      throw usageError(CMD, `--rates takes bit error rates separated by commas, got '${s}'`);
    return v;
  });
}

/** The `campaign predict` subcommand. */
export const predictCmd: Command = {
  name: 'predict',
  summary: 'predict BER accuracy curves from a single-bit campaign (and compare with a measured one)',
  options: {
    db: { type: 'string', placeholder: 'single.sqlite', description: 'the single-bit campaign database' },
    rates: {
      type: 'string',
      placeholder: 'p,p',
      description: 'bit error rates, e.g. 1e-7,1e-6 (default with --measured: its rates)',
    },
    measured: {
      type: 'string',
      placeholder: 'ber.sqlite',
      description: 'a BER campaign of the same model, images and memory to compare with',
    },
    trials: { type: 'int', min: 2, default: 2000, description: 'Monte-Carlo trials per rate' },
    seed: { type: 'int', min: 0, default: 1, description: 'Monte-Carlo seed' },
    confidence: { type: 'number', min: 0, max: 1, default: 0.95, description: 'interval confidence' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  help: 'Example: prunefi campaign predict --db single.sqlite --rates 1e-7,1e-6,1e-5 --measured ber.sqlite',
  async run(a, ctx) {
    const db = opt.required<string>(a, 'db', CMD);
    const json = opt.bool(a, 'json');
    const confidence = opt.num(a, 'confidence') ?? 0.95;
    const store = CampaignStore.open(db, true);
    let measuredStore: CampaignStore | undefined;
    try {
      const data = readSingleBit(store);
      let measured: MeasuredBer | undefined;
      const measuredPath = opt.str(a, 'measured');
      if (measuredPath !== undefined) {
        measuredStore = CampaignStore.open(measuredPath, true);
        measured = readMeasuredBer(measuredStore, store.config as CampaignConfig, confidence);
      }
      const ratesText = opt.str(a, 'rates');
      if (ratesText === undefined && !measured)
        throw usageError(CMD, '--rates is required without --measured (e.g. --rates 1e-7,1e-6)');
      const rates = ratesText !== undefined ? parseRates(ratesText) : [...(measured?.rates.keys() ?? [])];
      const bar = ctx.progress('predict', json);
      const points = predictBer(data, {
        rates,
        trials: opt.num(a, 'trials') ?? 2000,
        seed: opt.num(a, 'seed') ?? 1,
        confidence,
        ...(measured ? { measured } : {}),
        signal: ctx.signal,
        onRate: (done) => bar.update({ unit: 'rates', done, total: rates.length }),
      });
      bar.done();
      const interrupted = points.length < rates.length;
      if (json) {
        printJson(ctx, {
          db: store.path,
          measured: measured?.path ?? null,
          images: data.images,
          goldenAccuracy: data.goldenCorrect / data.images,
          memoryBits: data.words * data.losses.length,
          interrupted,
          points,
        });
      } else {
        const pct = (x: number): string => formatPercent(x, 2);
        const iv = (x: { estimate: number; lower: number; upper: number }): string =>
          `${pct(x.estimate)} [${pct(x.lower)}, ${pct(x.upper)}]`;
        const mark = (inside: boolean | null): string => (inside === false ? ' *' : '');
        ctx.stdout.write(
          `${store.path}: golden accuracy ${pct(data.goldenCorrect / data.images)} on ${data.images} images, ${data.words * data.losses.length} stored bits\n`,
        );
        ctx.stdout.write(
          `${table(
            [
              'BER',
              'flips',
              'independent [CI]',
              'Monte-Carlo mean [CI]',
              'MC trial range',
              ...(measured ? ['measured [CI]'] : []),
            ],
            points.map((p) => [
              String(p.ber),
              p.expectedFlips.toPrecision(3),
              `${iv(p.independent)}${mark(p.independentInside)}`,
              `${iv(p.composed.mean)}${mark(p.composedInside)}`,
              `${pct(p.composed.spread.lower)} – ${pct(p.composed.spread.upper)}`,
              ...(p.measured ? [iv(p.measured)] : []),
            ]),
          )}\n`,
        );
        if (measured) {
          const outside = points.filter((p) => p.independentInside === false || p.composedInside === false);
          ctx.stdout.write(
            `* prediction outside the measured ${formatPercent(confidence, 0)} interval (fault interactions the single-fault data do not see): ${outside.length} of ${points.length} rates\n`,
          );
        }
        if (interrupted) ctx.stdout.write(`interrupted after ${points.length} of ${rates.length} rates\n`);
      }
      return interrupted ? 130 : 0;
    } finally {
      measuredStore?.close();
      store.close();
    }
  },
};

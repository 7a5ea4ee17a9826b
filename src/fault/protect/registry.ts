/**
 * The protections a campaign may name (`--protect secded72,clip`), and the checking of their
 * specs. A new protection is one file exporting a `Protection` and its line here.
 */
import { PrunefiError, unknownName } from '../../core/errors.js';
import { Registry } from '../../core/registry.js';
import { CLIP } from './clip.js';
import { PARITY } from './parity.js';
import { RANGER } from './ranger.js';
import { formatProtectRegions, parseProtectRegions } from './scope.js';
import { SECDED39, SECDED72 } from './secded.js';
import { EXPONENT_TMR } from './tmr.js';
import type { Protection, ProtectOption, ProtectSpec } from './types.js';

/** Every protection, in the order `prunefi protections` lists them. */
export const PROTECTIONS = new Registry<Protection>('protection', [
  SECDED72,
  SECDED39,
  PARITY,
  EXPONENT_TMR,
  CLIP,
  RANGER,
]);

/** Composition order of the stages (see `checkProtections`). */
const STAGE_ORDER: Readonly<Record<Protection['stage'], number>> = { bits: 0, values: 1, graph: 2 };

/** The memory codes that can cover chosen tensors and bits (those declaring `hardening`). */
export function hardeningCodes(): string[] {
  return PROTECTIONS.list()
    .filter((p) => p.hardening)
    .map((p) => p.name);
}

function protectError(name: string, what: string): PrunefiError {
  return new PrunefiError('FAULT_CONFIG', `protection ${name}: ${what}`);
}

function checkValue(name: string, key: string, o: ProtectOption, v: unknown): number | string {
  if (o.type === 'choice') {
    if (typeof v !== 'string' || !o.choices?.includes(v))
      throw protectError(name, `${key} must be one of ${o.choices?.join(', ')}, got ${JSON.stringify(v)}`);
    return v;
  }
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw protectError(name, `${key} must be an integer, got ${JSON.stringify(v)}`);
  if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max))
    throw protectError(name, `${key} must be in [${o.min}, ${o.max}], got ${n}`);
  return n;
}

/**
 * Checks protection specs (stored configs and command lines) and returns them with every
 * default filled in (and a memory code's region list, key `regions`, in canonical form), in
 * the order they compose: memory codes first (in the given order, each decoding what the one
 * before corrected), then value guards, which read decoded weights, then graph protections,
 * which act on activations computed from those weights. A
 * protection named twice, or two codes storing the same check region, is an error.
 */
export function checkProtections(specs: unknown): ProtectSpec[] {
  if (!Array.isArray(specs))
    throw new PrunefiError('FAULT_CONFIG', 'protections must be a list of {name, ...options}');
  const out: { spec: ProtectSpec; stage: number }[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    if (!s || typeof s !== 'object' || typeof (s as { name?: unknown }).name !== 'string')
      throw new PrunefiError(
        'FAULT_CONFIG',
        `a protection must be an object with a name, got ${JSON.stringify(s)}`,
      );
    const { name, regions, ...values } = s as { name: string } & Record<string, unknown>;
    const p = PROTECTIONS.get(name);
    if (seen.has(name)) throw protectError(name, 'it is named twice; give each protection once');
    seen.add(name);
    for (const key of Object.keys(values))
      if (!(key in p.options)) throw unknownName(`option of protection ${name}`, key, Object.keys(p.options));
    const spec: ProtectSpec = { name };
    for (const [key, o] of Object.entries(p.options)) {
      const v = values[key] ?? o.default;
      if (v !== undefined) spec[key] = checkValue(name, key, o, v);
    }
    if (regions !== undefined) {
      if (!p.hardening)
        throw protectError(
          name,
          `it covers no chosen part of a memory; --protect-regions applies to ${hardeningCodes().join(', ')}`,
        );
      if (typeof regions !== 'string')
        throw protectError(name, 'regions must be a string (--protect-regions syntax)');
      spec.regions = formatProtectRegions(parseProtectRegions(regions));
    }
    out.push({ spec, stage: STAGE_ORDER[p.stage] });
  }
  const regions = new Map<string, string>();
  for (const { spec } of out) {
    const region = PROTECTIONS.get(spec.name).region;
    if (!region) continue;
    const other = regions.get(region);
    if (other)
      throw protectError(
        spec.name,
        `it and ${other} would both store the '${region}' check words; choose one of them`,
      );
    regions.set(region, spec.name);
  }
  return out.sort((a, b) => a.stage - b.stage).map((x) => x.spec);
}

/**
 * Parses a command line's protections: `name[:key=value[:key=value]]`, comma-separated, e.g.
 * `secded72:interleave=2,clip:mode=zero`. Values stay text until `checkProtections` types them.
 */
export function parseProtections(text: string): ProtectSpec[] {
  const specs = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const [name = '', ...pairs] = item.split(':');
      const spec: ProtectSpec = { name };
      for (const pair of pairs) {
        const [, key, value] = /^([A-Za-z]+)=(.+)$/.exec(pair) ?? [];
        if (key === undefined || value === undefined)
          throw new PrunefiError(
            'USAGE',
            `--protect ${item}: options are key=value after the name, e.g. secded72:interleave=2, got '${pair}'`,
          );
        spec[key] = value;
      }
      return spec;
    });
  return checkProtections(specs);
}

/** Whether any of the protections is a memory code (the ones that correct and detect: DUEs). */
export function hasMemoryCode(specs: readonly ProtectSpec[]): boolean {
  return specs.some((s) => PROTECTIONS.get(s.name).stage === 'bits');
}

/**
 * A checked spec in `--protect`'s syntax, every option written out (`exponent-tmr:k=1:top=30`);
 * its region list is `--protect-regions`' and is left out.
 */
export function formatProtection(spec: ProtectSpec): string {
  const { name, regions: _regions, ...options } = spec;
  return [name, ...Object.entries(options).map(([k, v]) => `${k}=${v}`)].join(':');
}

/**
 * fast-check arbitraries that mutate valid seed files: structure-aware edits of the fields a
 * format's parser trusts (sizes, counts, dims, type codes, offsets; with the format's checksums
 * recomputed so the edit reaches the code behind the checksum), then raw byte flips, overwrites,
 * insertions, deletions and truncations. JSON inputs are mutated as values (a field replaced,
 * removed or retyped) and as text.
 */
import fc from 'fast-check';

/** A header field of a seed: where it is and how it is encoded. */
export interface Field {
  readonly at: number;
  readonly size: number;
  /** 'be'/'le': a binary unsigned integer; 'octal': tar's NUL-terminated octal ASCII. */
  readonly enc: 'be' | 'le' | 'octal';
}

/** A valid input and the fields its parser reads. */
export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly fields: readonly Field[];
}

/** Values that break parsers: zero, one, signed and unsigned edges, sizes past any memory. */
const INTERESTING = [
  0,
  1,
  2,
  3,
  7,
  8,
  16,
  255,
  256,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  2 ** 40,
  2 ** 53 - 1,
];

const value = fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(), fc.integer({ min: 0, max: 1024 }));

function writeField(b: Uint8Array, f: Field, v: number): void {
  if (f.at + f.size > b.length) return;
  if (f.enc === 'octal') {
    const text = Math.floor(v)
      .toString(8)
      .slice(-(f.size - 1))
      .padStart(f.size - 1, '0');
    for (let i = 0; i < f.size - 1; i++) b[f.at + i] = text.charCodeAt(i);
    b[f.at + f.size - 1] = 0;
    return;
  }
  let x = BigInt(Math.floor(v));
  for (let i = 0; i < f.size; i++) {
    const byte = Number(x & 0xffn);
    b[f.enc === 'le' ? f.at + i : f.at + f.size - 1 - i] = byte;
    x >>= 8n;
  }
}

type Raw =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; len: number };

const raw: fc.Arbitrary<Raw> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0, 0xff, 0x7f, 0x80, 1),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);

function applyRaw(b: Uint8Array, m: Raw): Uint8Array {
  if (b.length === 0) return m.kind === 'insert' ? m.bytes.slice() : b;
  const at = m.at % b.length;
  switch (m.kind) {
    case 'flip':
      b[at] = (b[at] ?? 0) ^ (1 << m.bit);
      return b;
    case 'set':
      b[at] = m.byte;
      return b;
    case 'truncate':
      return b.slice(0, at);
    case 'insert': {
      const out = new Uint8Array(b.length + m.bytes.length);
      out.set(b.subarray(0, at));
      out.set(m.bytes, at);
      out.set(b.subarray(at), at + m.bytes.length);
      return out;
    }
    case 'delete': {
      const out = new Uint8Array(b.length - Math.min(m.len, b.length - at));
      out.set(b.subarray(0, at));
      out.set(b.subarray(Math.min(b.length, at + m.len)), at);
      return out;
    }
  }
}

/** A mutated input: which seed, and the edits that made it (fast-check prints them on failure). */
export interface Mutant {
  readonly seed: string;
  readonly bytes: Uint8Array;
}

/**
 * Inputs made from `seeds`: one in 8 a seed unchanged (the valid path stays covered), then field
 * edits (1 to 3, followed by `fix`, which recomputes the format's checksums), raw edits (1 to 3,
 * which break checksums too, on purpose) or both, in proportions 3 : 3 : 1.
 */
export function mutants(
  seeds: readonly Seed[],
  fix: (b: Uint8Array) => void = () => {},
): fc.Arbitrary<Mutant> {
  const edits = fc.array(fc.tuple(fc.nat(), value), { minLength: 1, maxLength: 3 });
  const raws = fc.array(raw, { minLength: 1, maxLength: 3 });
  const none = fc.constant([] as never[]);
  return fc
    .record({
      seed: fc.nat(seeds.length - 1),
      change: fc.oneof(
        { weight: 1, arbitrary: fc.record({ fields: none, raws: none }) },
        { weight: 3, arbitrary: fc.record({ fields: edits, raws: none }) },
        { weight: 3, arbitrary: fc.record({ fields: none, raws }) },
        { weight: 1, arbitrary: fc.record({ fields: edits, raws }) },
      ),
    })
    .map(({ seed, change }) => {
      const s = seeds[seed] as Seed;
      // A copy: Buffer.slice (readFileSync, gzipSync) is a view, and the seed must stay valid.
      let b: Uint8Array = Uint8Array.from(s.bytes);
      if (s.fields.length > 0 && change.fields.length > 0) {
        for (const [which, v] of change.fields) writeField(b, s.fields[which % s.fields.length] as Field, v);
        fix(b);
      }
      for (const r of change.raws) b = applyRaw(b, r);
      return { seed: s.name, bytes: b };
    });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `v` (objects and arrays included), root first. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) for (const [i, x] of v.entries()) out.push(...paths(x, [...at, i]));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    -1,
    0,
    1.5,
    1e308,
    -1e308,
    2 ** 53,
    '',
    '../../../../etc/passwd',
    '/etc/passwd',
    'NaN',
    [],
    {},
    'x'.repeat(300),
  ),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** Replaces, deletes or retypes values at random paths of a JSON value (a deep copy). */
function jsonEdit(v: Json): fc.Arbitrary<Json> {
  const all = paths(v);
  return fc
    .array(fc.tuple(fc.nat(all.length - 1), fc.constantFrom('replace', 'delete', 'duplicate'), hostileJson), {
      minLength: 1,
      maxLength: 3,
    })
    .map((edits) => {
      let root = structuredClone(v);
      for (const [which, how, x] of edits) {
        const path = all[which] as (string | number)[];
        if (path.length === 0) {
          root = how === 'replace' ? x : root;
          continue;
        }
        let parent: Json = root;
        for (const k of path.slice(0, -1)) {
          parent =
            parent && typeof parent === 'object' ? ((parent as Record<string, Json>)[k] ?? null) : null;
        }
        if (!parent || typeof parent !== 'object') continue;
        const key = path[path.length - 1] as string | number;
        const p = parent as Record<string | number, Json>;
        if (how === 'replace') p[key] = x;
        else if (how === 'delete') {
          if (Array.isArray(parent)) parent.splice(Number(key), 1);
          else delete p[key];
        } else if (Array.isArray(parent) && key in p) parent.push(structuredClone(p[key] as Json));
      }
      return root;
    });
}

/**
 * JSON files made from valid `seeds`: value edits (as `jsonEdit`), written out pretty-printed as
 * a user's editor would, and raw text edits of the valid file (truncations, flipped bytes).
 */
export function jsonMutants(seeds: readonly { name: string; value: unknown }[]): fc.Arbitrary<Mutant> {
  const enc = new TextEncoder();
  const edited = fc.nat(seeds.length - 1).chain((i) => {
    const s = seeds[i] as { name: string; value: Json };
    return jsonEdit(s.value).map((v) => ({ seed: s.name, bytes: enc.encode(JSON.stringify(v, null, 2)) }));
  });
  const text = mutants(
    seeds.map((s) => ({ name: s.name, bytes: enc.encode(JSON.stringify(s.value, null, 2)), fields: [] })),
  );
  return fc.oneof({ weight: 3, arbitrary: edited }, { weight: 1, arbitrary: text });
}

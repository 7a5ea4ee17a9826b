/**
 * The formats the fuzz harness feeds to prunefi, each with its valid seeds (the repository's
 * fixtures and builders), the fields its parser trusts, and the entry point a user's file goes
 * through: the library parsers in-process, and the CLI in-process for campaign databases and
 * study configs, whose reading lives in the commands.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import protobuf from 'protobufjs';
import { CampaignStore } from '../../src/campaign/store.js';
import { hashJson } from '../../src/core/hash.js';
import { Rng } from '../../src/core/rng.js';
import { decodeImages } from '../../src/data/decode-pool.js';
import { loadDataset } from '../../src/data/load.js';
import { parseNpy } from '../../src/data/npy.js';
import { crc32, readZip } from '../../src/data/zip.js';
import { checkFaultList, readFaultList } from '../../src/fault/fault-list.js';
import { StoredModel } from '../../src/fault/memory.js';
import { loadModel } from '../../src/onnx/file.js';
import { materializeIdentityConstants } from '../../src/onnx/graph.js';
import { imageInput, logitsOutput } from '../../src/onnx/io.js';
import { ONNX_SCHEMA } from '../../src/onnx/onnx-schema.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { f32 } from '../../src/onnx/tensor.js';
import { PRUNEFI_VERSION, parseRangeJob, parseRangeResult, type RangeJob } from '../../src/queue/payload.js';
import { decodeSamples, encodeSamples } from '../../src/queue/samples-codec.js';
import { PRESETS } from '../../src/study/presets.js';
import { cifarRecords, idxBytes, pngBytes, put, randomBytes, tarDir } from '../data/fixtures.js';
import { tinyResnet } from '../fault/tiny.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';
import type { Target } from './harness.js';
import { type Field, jsonMutants, type Mutant, mutants, type Seed } from './mutate.js';

const FIXTURES = join(REPO, 'test', 'fixtures');

const be = (at: number, size: number): Field => ({ at, size, enc: 'be' });
const le = (at: number, size: number): Field => ({ at, size, enc: 'le' });

/**
 * Runs `prunefi <argv> --verbose` in-process: exit 0, or exit 2 with one `prunefi: error:` line
 * whose stack says PrunefiError. Returns undefined or 'exit 2'; throws on anything else.
 */
async function cliRefusal(argv: string[]): Promise<string | undefined> {
  const r = await cli(...argv, '--verbose');
  if (r.code === 0) return undefined;
  const [line, stack] = r.stderr.split('\n');
  if (r.code !== 2 || !line?.startsWith('prunefi: error: ') || !stack?.startsWith('PrunefiError: '))
    throw new Error(
      `prunefi ${argv.join(' ')} exited ${r.code} with ${JSON.stringify(r.stderr.slice(0, 600))}`,
    );
  return 'exit 2';
}

// ONNX: the protobuf message tree is mutated (numbers, strings, arrays, raw tensor bytes), so
// dims, dtypes, node wiring (cycles, dangling names) and external-data keys all change; then bytes.

const ModelProto = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
type Tree = Record<string, unknown> | unknown[];

function leaves(
  v: unknown,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) out.push(at);
  else {
    if (Array.isArray(v)) out.push(at);
    for (const [k, x] of Object.entries(v)) leaves(x, [...at, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}

const NUMBERS = [-1, -5, 0, 1, 2, 3, 7, 8, 10, 11, 14, 16, 17, 255, 65536, 2 ** 31 - 1, 1e12, 2 ** 53 - 1];
const HOSTILE_STRINGS = [
  '',
  '../../../../etc/passwd',
  '/etc/passwd',
  'dtypes-external.data',
  '-5',
  '1e3',
  '99999999999',
  'x',
];

function protoMutant(seed: { name: string; tree: Tree; strings: string[] }): fc.Arbitrary<Mutant> {
  const paths = leaves(seed.tree).filter((p) => p.length > 0);
  const strings = [...new Set([...seed.strings, ...HOSTILE_STRINGS])];
  return fc
    .array(
      fc.tuple(fc.nat(paths.length - 1), fc.nat(), fc.constantFrom('set', 'delete', 'duplicate', 'cut')),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((edits) => {
      const tree = structuredClone(seed.tree);
      for (const [which, pick, how] of edits) {
        const path = paths[which] as (string | number)[];
        let parent: unknown = tree;
        for (const k of path.slice(0, -1))
          parent = (parent as Record<string | number, unknown> | undefined)?.[k];
        if (!parent || typeof parent !== 'object') continue;
        const p = parent as Record<string | number, unknown>;
        const key = path[path.length - 1] as string | number;
        const old = p[key];
        if (how === 'delete' && Array.isArray(parent)) parent.splice(Number(key), 1);
        else if (how === 'delete') delete p[key];
        else if (how === 'duplicate' && Array.isArray(parent)) parent.push(structuredClone(old));
        else if (old instanceof Uint8Array) p[key] = old.subarray(0, pick % (old.length + 1));
        else if (typeof old === 'number') p[key] = NUMBERS[pick % NUMBERS.length];
        else if (typeof old === 'string') p[key] = strings[pick % strings.length];
        else if (Array.isArray(old) && how === 'cut') old.length = pick % (old.length + 1);
      }
      let bytes: Uint8Array;
      try {
        bytes = ModelProto.encode(ModelProto.fromObject(tree)).finish();
      } catch {
        bytes = new Uint8Array(0);
      }
      return { seed: seed.name, bytes };
    });
}

function onnxTarget(): Target {
  const files: Record<string, Uint8Array> = {
    'tiny-resnet': encodeModel(tinyResnet()),
    'small-cnn': readFileSync(join(FIXTURES, 'train', 'small_cnn.onnx')),
    dtypes: readFileSync(join(FIXTURES, 'onnx', 'dtypes.onnx')),
    'dtypes-external': readFileSync(join(FIXTURES, 'onnx', 'dtypes-external.onnx')),
  };
  const externalData = readFileSync(join(FIXTURES, 'onnx', 'dtypes-external.data'));
  const trees = Object.entries(files).map(([name, bytes]) => {
    const tree = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as Tree;
    const strings = leaves(tree)
      .map((p) => p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], tree))
      .filter((v): v is string => typeof v === 'string');
    return { name, tree, strings };
  });
  const seeds: Seed[] = Object.entries(files).map(([name, bytes]) => ({ name, bytes, fields: [] }));
  return {
    name: 'ONNX',
    inputs: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.nat(trees.length - 1).chain((i) => protoMutant(trees[i] as (typeof trees)[0])),
      },
      { weight: 1, arbitrary: mutants(seeds) },
    ),
    run(input, box) {
      const path = join(box.in, 'model.onnx');
      writeFileSync(path, input.bytes);
      writeFileSync(join(box.in, 'dtypes-external.data'), externalData);
      // What `prunefi info` does with a model file.
      const model = loadModel(path);
      materializeIdentityConstants(model.graph);
      summarizeModel(model.graph);
      imageInput(model);
      logitsOutput(model);
      return undefined;
    },
  };
}

// tar and tar.gz: header fields (size, type, mode, link name bytes) with checksums recomputed.

function tarHeaders(b: Uint8Array): number[] {
  const at: number[] = [];
  for (let pos = 0; pos + 512 <= b.length; ) {
    if (b.subarray(pos, pos + 512).every((x) => x === 0)) break;
    at.push(pos);
    const size = Number.parseInt(
      new TextDecoder()
        .decode(b.subarray(pos + 124, pos + 136))
        .replace(/\0.*$/, '')
        .trim() || '0',
      8,
    );
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return at;
}

function fixTarChecksums(headers: readonly number[]): (b: Uint8Array) => void {
  return (b) => {
    for (const h of headers) {
      if (h + 512 > b.length) continue;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (b[h + i] as number);
      const text = `${sum.toString(8).padStart(6, '0')}\0 `;
      for (let i = 0; i < 8; i++) b[h + 148 + i] = text.charCodeAt(i);
    }
  };
}

function tarTarget(): Target {
  const dir = tempDir('prunefi-fuzz-tar-');
  const rng = Rng.seeded(22);
  for (const split of ['train', 'test'])
    for (const cls of ['cat', 'dog'])
      for (let k = 0; k < 2; k++)
        put(join(dir, 'src', split, cls, `${k}.png`), pngBytes(randomBytes(48, rng.u32()), 4, 4));
  const seeds: Seed[] = [];
  for (const format of ['ustar', 'gnu', 'pax']) {
    const archive = join(dir, `${format}.tar`);
    tarDir(join(dir, 'src'), archive, ['train', 'test'], format);
    const bytes = readFileSync(archive);
    const headers = tarHeaders(bytes);
    // size (octal), type flag, and the first bytes of name and link name, of every header.
    const fields = headers.flatMap((h) => [
      { at: h + 124, size: 12, enc: 'octal' as const },
      be(h + 156, 1),
      be(h, 1),
      be(h + 157, 1),
    ]);
    seeds.push({ name: format, bytes, fields });
  }
  const fixes = new Map(seeds.map((s) => [s.name, fixTarChecksums(tarHeaders(s.bytes))]));
  const edited = fc.nat(seeds.length - 1).chain((i) => {
    const s = seeds[i] as Seed;
    return mutants([s], fixes.get(s.name));
  });
  return {
    name: 'tar/tar.gz',
    inputs: fc
      .tuple(edited, fc.boolean())
      .map(([m, gz]) => (gz ? { seed: `${m.seed}.gz`, bytes: new Uint8Array(gzipSync(m.bytes)) } : m)),
    async run(input, box) {
      const path = join(box.in, input.seed.endsWith('.gz') ? 'data.tar.gz' : 'data.tar');
      writeFileSync(path, input.bytes);
      await loadDataset(path, { split: 'test', cacheDir: join(box.out, 'cache'), threads: 1 });
      return undefined;
    },
  };
}

// JPEG: segment lengths and the fields of SOF, DHT, DQT, SOS and DRI segments.

function jpegFields(b: Uint8Array): Field[] {
  const fields: Field[] = [];
  let p = 2;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const marker = b[p + 1] as number;
    if (marker === 0xd9) break;
    const len = ((b[p + 2] as number) << 8) | (b[p + 3] as number);
    const seg = p + 4;
    fields.push(be(p + 2, 2));
    if (marker >= 0xc0 && marker <= 0xc2) {
      fields.push(be(seg, 1), be(seg + 1, 2), be(seg + 3, 2), be(seg + 5, 1));
      for (let i = 0; i < (b[seg + 5] as number); i++)
        fields.push(be(seg + 6 + 3 * i + 1, 1), be(seg + 6 + 3 * i + 2, 1));
    } else if (marker === 0xc4) {
      fields.push(be(seg, 1), ...Array.from({ length: 16 }, (_, i) => be(seg + 1 + i, 1)));
    } else if (marker === 0xdb || marker === 0xdd) {
      fields.push(be(seg, 1), be(seg, 2));
    } else if (marker === 0xda) {
      const ns = b[seg] as number;
      fields.push(be(seg, 1), ...Array.from({ length: 2 * ns + 3 }, (_, i) => be(seg + 1 + i, 1)));
      break; // entropy-coded data follows
    }
    p += 2 + len;
  }
  return fields;
}

function imageTarget(name: string, seeds: Seed[], fix?: (b: Uint8Array) => void): Target {
  return {
    name,
    inputs: mutants(seeds, fix),
    async run(input, box) {
      await decodeImages([{ name: join(box.in, input.seed), bytes: input.bytes }], { threads: 1 });
      return undefined;
    },
  };
}

function jpegTarget(): Target {
  const dir = join(FIXTURES, 'data', 'jpeg');
  const seeds = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => {
      const bytes = readFileSync(join(dir, f));
      return { name: f, bytes, fields: jpegFields(bytes) };
    });
  return imageTarget('JPEG', seeds);
}

// PNG: chunk lengths and the IHDR fields, with every chunk's CRC recomputed.

function pngChunks(b: Uint8Array): number[] {
  const at: number[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 8; p + 12 <= b.length; p += 12 + v.getUint32(p)) at.push(p);
  return at;
}

function fixPngCrcs(b: Uint8Array): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 8; p + 12 <= b.length; ) {
    const len = v.getUint32(p);
    if (p + 12 + len > b.length) return;
    v.setUint32(p + 8 + len, crc32(b.subarray(p + 4, p + 8 + len)));
    p += 12 + len;
  }
}

function pngTarget(): Target {
  const variants: { name: string; w: number; h: number; opts: Record<string, unknown> }[] = [
    { name: 'rgba-4x4', w: 4, h: 4, opts: {} },
    { name: 'rgb-7x3', w: 7, h: 3, opts: { colorType: 2 } },
    { name: 'grey-5x5', w: 5, h: 5, opts: { colorType: 0 } },
    { name: 'grey16-3x2', w: 3, h: 2, opts: { colorType: 0, bitDepth: 16 } },
    { name: 'rgba16-2x2', w: 2, h: 2, opts: { colorType: 6, bitDepth: 16 } },
  ];
  const seeds = variants.map(({ name, w, h, opts }) => {
    const png = new PNG({ width: w, height: h });
    png.data.set(randomBytes(4 * w * h, name));
    const bytes = new Uint8Array(PNG.sync.write(png, opts));
    const fields = [
      ...pngChunks(bytes).map((p) => be(p, 4)),
      be(16, 4),
      be(20, 4),
      be(24, 1),
      be(25, 1),
      be(26, 1),
      be(28, 1),
    ];
    return { name: `${name}.png`, bytes, fields };
  });
  return imageTarget('PNG', seeds, fixPngCrcs);
}

// IDX and CIFAR-10 binary: one file of a valid dataset folder replaced by a mutant.

function folderTarget(
  name: string,
  files: Record<string, Uint8Array>,
  fields: (f: string, b: Uint8Array) => Field[],
): Target {
  const seeds = Object.entries(files).map(([f, bytes]) => ({ name: f, bytes, fields: fields(f, bytes) }));
  return {
    name,
    inputs: mutants(seeds),
    async run(input, box) {
      for (const [f, bytes] of Object.entries(files))
        put(join(box.in, 'data', f), f === input.seed ? input.bytes : bytes);
      // The split the mutated file belongs to (the tar target covers the cache's writes).
      const split = /^(train|data_batch)/.test(input.seed) ? 'train' : 'test';
      await loadDataset(join(box.in, 'data'), { split, cache: false, threads: 1 });
      return undefined;
    },
  };
}

function idxTarget(): Target {
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idxBytes([6, 4, 4], randomBytes(96, 'idx-train')),
    'train-labels-idx1-ubyte': idxBytes([6], Uint8Array.from([0, 1, 2, 3, 4, 5])),
    't10k-images-idx3-ubyte.gz': gzipSync(idxBytes([3, 4, 4], randomBytes(48, 'idx-test'))),
    't10k-labels-idx1-ubyte.gz': gzipSync(idxBytes([3], Uint8Array.from([5, 1, 0]))),
  };
  return folderTarget('IDX', files, (f, b) =>
    f.endsWith('.gz')
      ? []
      : [be(0, 2), be(2, 1), be(3, 1), ...Array.from({ length: b[3] ?? 0 }, (_, i) => be(4 + 4 * i, 4))],
  );
}

function cifarTarget(): Target {
  const files: Record<string, Uint8Array> = {
    'data_batch_1.bin': cifarRecords(3, 1).bytes,
    'test_batch.bin': cifarRecords(2, 2).bytes,
    'batches.meta.txt': new TextEncoder().encode(
      'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n',
    ),
  };
  return folderTarget('CIFAR binary', files, (f) =>
    f.endsWith('.bin') ? [be(0, 1), be(3073, 1), be(3072, 2)] : [be(0, 1)],
  );
}

// .npy and .npz tensor sets.

function npyTarget(): Target {
  const dir = join(FIXTURES, 'data', 'npy');
  const seeds = readdirSync(dir)
    .filter((f) => /\.np[yz]$/.test(f) && !f.startsWith('big-'))
    .sort()
    .map((f) => {
      const bytes = readFileSync(join(dir, f));
      return {
        name: f,
        bytes,
        fields: f.endsWith('.npy')
          ? [be(6, 1), be(7, 1), le(8, 2), le(8, 4)]
          : [le(8, 2), le(18, 4), le(22, 4)],
      };
    });
  return {
    name: 'NPY/NPZ',
    inputs: mutants(seeds),
    run(input, box) {
      // The parsers loadTensorSet reads a file with (the fixtures have no labels to match).
      const file = join(box.in, input.seed);
      if (input.seed.endsWith('.npy')) parseNpy(input.bytes, file);
      else for (const [name, bytes] of readZip(input.bytes, file)) parseNpy(bytes, `${file}: ${name}`);
      return undefined;
    },
  };
}

// Campaign databases: raw page edits, and SQL edits of what the store reads back.

const SQL_EDITS = [
  "UPDATE meta SET value = ? WHERE key = 'config'",
  "UPDATE meta SET value = ? WHERE key = 'golden'",
  "UPDATE meta SET value = ? WHERE key = 'schema'",
  "INSERT OR REPLACE INTO meta (key, value) VALUES ('stopped', ?)",
  'UPDATE experiments SET faults = ? WHERE idx = 1',
  'UPDATE experiments SET images = ? WHERE idx = 2',
  'UPDATE experiments SET sdc = ? WHERE idx = 3',
  'UPDATE experiments SET effect = ? WHERE idx = 4',
  'UPDATE experiments SET max_logit_dev = ? WHERE idx = 5',
  'UPDATE experiments SET stratum = ? WHERE idx = 6',
  'UPDATE experiments SET idx = ? WHERE idx = 7',
  "DELETE FROM meta WHERE key = 'config' AND ? IS NOT NULL",
  'DROP TABLE experiments',
  'ALTER TABLE experiments DROP COLUMN seconds',
  'ALTER TABLE experiments RENAME COLUMN sdc TO sdc2',
];
const SQL_VALUES: unknown[] = [
  '',
  '{',
  'null',
  '[]',
  '{"accuracy":"x"}',
  '"x"',
  -1,
  0,
  1e308,
  2 ** 62,
  null,
  'NaN',
  Buffer.from([0, 1, 2]),
];

function databaseTarget(): Target {
  const dir = tempDir('prunefi-fuzz-db-');
  const schema1 = join(dir, 'schema1.db');
  copyFileSync(join(FIXTURES, 'campaign', 'schema1.db'), schema1);
  const current = join(dir, 'current.db');
  copyFileSync(schema1, current);
  CampaignStore.open(current).close(); // migrates to the current schema, checkpointing the WAL
  const seeds = [schema1, current].map((p) => ({
    name: p.endsWith('current.db') ? 'current' : 'schema1',
    bytes: readFileSync(p),
    fields: [be(16, 2), be(28, 4), be(56, 4)],
  }));
  const sqlEdited = fc
    .record({
      seed: fc.nat(seeds.length - 1),
      edits: fc.array(fc.tuple(fc.nat(SQL_EDITS.length - 1), fc.nat(SQL_VALUES.length - 1)), {
        minLength: 1,
        maxLength: 3,
      }),
    })
    .map(({ seed, edits }) => {
      const s = seeds[seed] as Seed;
      const db = new Database(s.bytes as Buffer);
      for (const [e, v] of edits) {
        const sql = SQL_EDITS[e] as string;
        try {
          if (sql.includes('?')) db.prepare(sql).run(SQL_VALUES[v]);
          else db.exec(sql);
        } catch {
          // An edit that SQLite refuses (a dropped table edited again) leaves the file as it was.
        }
      }
      const bytes = new Uint8Array(db.serialize());
      db.close();
      return { seed: `${s.name}+sql`, bytes };
    });
  return {
    name: 'campaign SQLite',
    inputs: fc.oneof(sqlEdited, mutants(seeds)),
    async run(input, box) {
      const db = join(box.in, 'campaign.sqlite');
      writeFileSync(db, input.bytes);
      // export reads what status reads, and writes: it runs on the databases status accepts.
      return (
        (await cliRefusal(['campaign', 'status', db, '--by', 'layer'])) ??
        (await cliRefusal(['campaign', 'export', db, '--format', 'json', '--out', join(box.out, 'x.json')]))
      );
    },
  };
}

// JSON inputs: fault lists, study configs, queue payloads.

function faultListTarget(): Target {
  const model = new StoredModel(tinyResnet().graph);
  const tensor = model.tensors[0]?.name ?? 'conv1.weight';
  const prunefiList = {
    format: 'prunefi-fault-list',
    version: 1,
    numberFormat: 'float32',
    storage: 'dense',
    experiments: [
      { index: 0, faults: [{ tensor, region: 'values', index: 3, bit: 30, type: 'bit-flip' }] },
      { index: 1, faults: [{ tensor, region: 'values', index: 0, bit: 0, type: 'stuck-at-1', length: 2 }] },
    ],
  };
  const torch = JSON.parse(
    readFileSync(join(FIXTURES, 'fault', 'torch-flips-alexnet.json'), 'utf8'),
  ) as unknown;
  return {
    name: 'fault-list JSON',
    inputs: jsonMutants([
      { name: 'prunefi', value: prunefiList },
      { name: 'torch_baseline', value: torch },
    ]),
    run(input, box) {
      const path = join(box.in, 'faults.json');
      writeFileSync(path, input.bytes);
      checkFaultList(readFaultList(path), model);
      return undefined;
    },
  };
}

function studyConfigTarget(): Target {
  const seeds = ['demo', 'quick', 'vit'].map((name) => ({
    name,
    value: JSON.parse(JSON.stringify(PRESETS.get(name).build({ data: 'data' }))) as unknown,
  }));
  return {
    name: 'study config',
    inputs: jsonMutants(seeds),
    async run(input, box) {
      const path = join(box.in, 'study.json');
      writeFileSync(path, input.bytes);
      return cliRefusal(['study', '--config', path, '--dry-run', '--out', join(box.out, 'study')]);
    },
  };
}

function queueTarget(): Target {
  // A copy: even a read-only open of a WAL database leaves -shm and -wal files next to it.
  const db = join(tempDir('prunefi-fuzz-queue-'), 'schema1.db');
  copyFileSync(join(FIXTURES, 'campaign', 'schema1.db'), db);
  const store = CampaignStore.open(db, true);
  const config = store.config as RangeJob['config'];
  const records = store.records().slice(0, 2);
  store.close();
  const job: RangeJob = {
    version: PRUNEFI_VERSION,
    configHash: hashJson(config),
    config,
    samples: 'a'.repeat(64),
    range: [0, 2],
    engine: { mode: 'fast', batch: 64, cacheMiB: 256 },
  };
  const result = {
    version: PRUNEFI_VERSION,
    configHash: job.configHash,
    range: job.range,
    golden: { images: 40, correct: 20, accuracy: 0.5, tokens: 40, tokenCorrect: 20 },
    records: records.map((r, i) => ({
      ...r,
      index: i,
      maxLogitDeviation: Number.isFinite(r.maxLogitDeviation) ? r.maxLogitDeviation : null,
    })),
    worker: 'w1',
  };
  const samples = encodeSamples({ x: f32([2, 1, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]), labels: [1, 0] });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    name: 'queue payloads',
    inputs: fc.oneof(
      jsonMutants([
        { name: 'job', value: job },
        { name: 'result', value: result },
      ]),
      mutants([{ name: 'samples', bytes: samples, fields: [] }]),
      // The samples' JSON header edited as a value, the arrays behind it kept.
      jsonMutants([
        {
          name: 'samples-header',
          value: JSON.parse(dec.decode(samples).split('\n')[1] as string) as unknown,
        },
      ]).map((m) => {
        const head = dec.decode(samples).split('\n').slice(0, 2).join('\n').length + 1;
        let json = dec.decode(m.bytes);
        try {
          json = JSON.stringify(JSON.parse(json));
        } catch {
          // Text edits that break the JSON stay as they are: the header is one line either way.
          json = json.replace(/\n/g, ' ');
        }
        return {
          seed: 'samples',
          bytes: new Uint8Array([...enc.encode(`PRUNEFI-SAMPLES-1\n${json}\n`), ...samples.subarray(head)]),
        };
      }),
    ),
    run(input) {
      if (input.seed === 'samples') {
        decodeSamples(input.bytes);
        return undefined;
      }
      // Payloads arrive as parsed JSON (BullMQ decodes them); unparseable text never reaches prunefi.
      let value: unknown;
      try {
        value = JSON.parse(dec.decode(input.bytes));
      } catch {
        return 'not JSON';
      }
      if (input.seed === 'job') parseRangeJob(value);
      else parseRangeResult(value, job);
      return undefined;
    },
  };
}

/** Every fuzzed format, in the order the suite runs them. */
export function fuzzTargets(): Target[] {
  return [
    onnxTarget(),
    tarTarget(),
    jpegTarget(),
    pngTarget(),
    idxTarget(),
    cifarTarget(),
    npyTarget(),
    databaseTarget(),
    faultListTarget(),
    studyConfigTarget(),
    queueTarget(),
  ];
}

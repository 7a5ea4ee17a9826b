import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readTar } from '../../src/data/tar.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { tempDir } from '../helpers/paths.js';
import { put, randomBytes, tarDir } from './fixtures.js';

const LONG = `${'deep-folder-name/'.repeat(8)}${'x'.repeat(120)}.bin`;

function fixture(): { dir: string; files: Map<string, Uint8Array> } {
  const dir = tempDir('prunefi-tar-');
  const files = new Map<string, Uint8Array>([
    ['a/empty.bin', new Uint8Array(0)],
    ['a/one-block.bin', randomBytes(512, 1)],
    ['a/odd.bin', randomBytes(1000, 2)],
    ['b/ü-unicode.txt', new TextEncoder().encode('grüße')],
    [LONG, randomBytes(77, 3)],
  ]);
  for (const [p, d] of files) put(join(dir, 'src', p), d);
  return { dir, files };
}

for (const format of ['ustar', 'pax', 'gnu']) {
  for (const gz of [false, true]) {
    test(`readTar reads ${format} archives${gz ? ' (gzipped)' : ''} made by the system tar`, () => {
      const { dir, files } = fixture();
      const archive = join(dir, `t.tar${gz ? '.gz' : ''}`);
      // ustar cannot store the 256-character path: it gets the other files only.
      const names = [...files.keys()].filter((p) => format !== 'ustar' || p !== LONG);
      tarDir(join(dir, 'src'), archive, names, format);
      const entries = readTar(readFileSync(archive), archive);
      assert.deepEqual(entries.map((e) => e.path).sort(), [...names].sort());
      for (const e of entries) assert.deepEqual(e.data, files.get(e.path), e.path);
    });
  }
}

test('readTar skips directories and strips ./ prefixes', () => {
  const { dir, files } = fixture();
  const archive = join(dir, 't.tar');
  tarDir(join(dir, 'src'), archive, ['./a']);
  const entries = readTar(readFileSync(archive), archive);
  assert.deepEqual(entries.map((e) => e.path).sort(), ['a/empty.bin', 'a/odd.bin', 'a/one-block.bin']);
  assert.deepEqual(entries.find((e) => e.path === 'a/odd.bin')!.data, files.get('a/odd.bin'));
});

test('readTar rejects a truncated archive, a corrupt header and a broken gzip, naming the file', () => {
  const { dir } = fixture();
  const archive = join(dir, 't.tar');
  tarDir(join(dir, 'src'), archive, ['a']);
  const bytes = readFileSync(archive);
  assertPrunefiError(
    () => readTar(bytes.subarray(0, 1300), 'cut.tar'),
    'DATA_INVALID',
    /cut\.tar/,
    /past the end/,
  );
  const corrupt = Uint8Array.from(bytes);
  corrupt[10] = corrupt[10]! ^ 0x55;
  assertPrunefiError(() => readTar(corrupt, 'bad.tar'), 'DATA_INVALID', /bad\.tar/, /checksum/);
  const gz = gzipSync(bytes);
  assertPrunefiError(
    () => readTar(gz.subarray(0, gz.length - 20), 'cut.tar.gz'),
    'DATA_INVALID',
    /cut\.tar\.gz/,
    /gzip/,
  );
  assertPrunefiError(() => readTar(new TextEncoder().encode('hello'), 'x.tar'), 'DATA_INVALID', /x\.tar/);
});

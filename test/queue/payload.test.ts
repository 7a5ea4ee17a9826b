/** The queue's input checks: URLs, job sizes, the samples codec and refused payloads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrunefiError } from '../../src/core/errors.js';
import { f32, i64 } from '../../src/onnx/tensor.js';
import { parseRangeJob } from '../../src/queue/payload.js';
import { decodeSamples, encodeSamples } from '../../src/queue/samples-codec.js';
import { jobSize, splitRanges } from '../../src/queue/sizing.js';
import { parseQueueUrl } from '../../src/queue/url.js';

test('parseQueueUrl: redis and rediss URLs, passwords kept out of the display form', () => {
  const c = parseQueueUrl('rediss://me:s%40cret@redis.example:6380/2');
  assert.deepEqual(
    [c.host, c.port, c.db, c.username, c.password, c.tls?.servername],
    ['redis.example', 6380, 2, 'me', 's@cret', 'redis.example'],
  );
  assert.equal(c.maxRetriesPerRequest, null);
  assert.ok(!c.display.includes('s@cret'));
  assert.equal(parseQueueUrl('redis://127.0.0.1').port, 6379);
  for (const [url, re] of [
    ['http://x:1', /scheme 'http:' is not redis/],
    ['redis://h:1/x', /database 'x' is not a number/],
    ['nonsense', /not a URL/],
  ] as const) {
    assert.throws(
      () => parseQueueUrl(url),
      (e: unknown) => e instanceof PrunefiError && e.code === 'USAGE' && re.test(e.message),
    );
  }
});

test('jobSize keeps a 20 ms job overhead under 5% and a job under 60 s; splitRanges skips stored experiments', () => {
  assert.equal(jobSize(0.001), 400);
  assert.equal(jobSize(1), 1);
  assert.equal(jobSize(100), 1);
  assert.deepEqual(splitRanges([0, 1, 2, 3, 4, 7, 8], 3), [
    [0, 3],
    [3, 5],
    [7, 9],
  ]);
});

test('samples round-trip exactly through the codec; damaged bytes are refused', () => {
  const images = { x: f32([2, 1, 1, 2], [0.5, -1, 3, 1e-7]), labels: [3, 7] };
  const back = decodeSamples(encodeSamples(images));
  assert.ok('x' in back);
  assert.deepEqual([...back.x.data], [...images.x.data]);
  assert.deepEqual(Array.from(back.labels), [3, 7]);
  const feeds = { feeds: new Map([['ids', i64([1, 2], [5, -1])]]), labels: [1, -100] };
  const fb = decodeSamples(encodeSamples(feeds));
  assert.ok('feeds' in fb);
  assert.deepEqual([...fb.feeds.get('ids')!.data], [5n, -1n]);
  assert.deepEqual(Array.from(fb.labels), [1, -100]);
  const bytes = encodeSamples(images);
  assert.throws(
    () => decodeSamples(bytes.subarray(0, bytes.length - 1)),
    /samples are malformed \(truncated\)/,
  );
});

test('parseRangeJob refuses a payload that does not fit the schema, naming the field', () => {
  assert.throws(() => parseRangeJob({ version: '0.1.0' }), /configHash must be a string matching/);
  assert.throws(() => parseRangeJob('rm -rf /'), /job must be an object/);
});

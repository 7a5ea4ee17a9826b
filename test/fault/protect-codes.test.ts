/**
 * The memory codes themselves: SEC-DED (72,64) and (39,32) against codewords computed by hand and
 * by a textbook encoder, every single- and double-bit error pattern of one code word, and the
 * grouping of value words into interleaved code words. Bit patterns are compared exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { WordGroups } from '../../src/fault/protect/groups.js';
import { secDedCode } from '../../src/fault/protect/hamming.js';

/**
 * The textbook extended Hamming encoder, written independently of the table-driven one: place
 * data bits at the positions that are not powers of two, set each power-of-two position to the
 * parity of the positions it covers, then the overall parity over every position.
 */
function textbookCheck(data: number[], r: number): number {
  const n = data.length + r;
  const word = new Array<number>(n + 1).fill(0);
  let j = 0;
  for (let p = 1; p <= n; p++) if ((p & (p - 1)) !== 0) word[p] = data[j++]!;
  let check = 0;
  for (let i = 0; i < r; i++) {
    let x = 0;
    for (let p = 1; p <= n; p++) if (p & (1 << i)) x ^= word[p]!;
    word[1 << i] = x;
    check |= x << i;
  }
  const overall = word.reduce((a, b) => a ^ b, 0);
  return check | (overall << r);
}

const bitsOf = (lo: number, hi: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => (i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1));

test('SEC-DED check words equal hand-computed ones and the textbook encoder', () => {
  const c72 = secDedCode(64);
  const c39 = secDedCode(32);
  assert.equal(c72.checkBits, 8);
  assert.equal(c39.checkBits, 7);
  // Data bit 0 sits at position 3 = 0b11: Hamming bits 0 and 1 set; overall parity of the three
  // ones is 1 (bit 7 of a (72,64) check word, bit 6 of a (39,32) one).
  assert.equal(c72.encode(1, 0), 0b1000_0011);
  assert.equal(c39.encode(1, 0), 0b100_0011);
  // (39,32): data bit 31 sits at position 38 = 0b100110 (Hamming bits 1, 2, 5); four ones: even.
  assert.equal(c39.encode(0x80000000, 0), 0b010_0110);
  // (72,64): data bit 63 sits at position 71 = 0b1000111 (bits 0, 1, 2, 6); five ones: odd.
  assert.equal(c72.encode(0, 0x80000000), 0b1100_0111);
  assert.equal(c72.encode(0, 0), 0);
  const rng = Rng.seeded(5);
  for (let t = 0; t < 200; t++) {
    const lo = (rng.int(2 ** 16) * 2 ** 16 + rng.int(2 ** 16)) >>> 0;
    const hi = (rng.int(2 ** 16) * 2 ** 16 + rng.int(2 ** 16)) >>> 0;
    assert.equal(c72.encode(lo, hi), textbookCheck(bitsOf(lo, hi, 64), 7), `72: ${lo} ${hi}`);
    assert.equal(c39.encode(lo, 0), textbookCheck(bitsOf(lo, 0, 32), 6), `39: ${lo}`);
  }
});

for (const [dataBits, n] of [
  [64, 72],
  [32, 39],
] as const) {
  test(`SEC-DED (${n},${dataBits}): all ${n} single errors are corrected, all ${(n * (n - 1)) / 2} double errors detected`, () => {
    const code = secDedCode(dataBits);
    const words: [number, number][] = [
      [0, 0],
      [0x3f800000, dataBits === 64 ? 0xbf800000 : 0],
      [0xdeadbeef, dataBits === 64 ? 0x01234567 : 0],
    ];
    // Bit i of the code word: data bits 0..dataBits-1, then check bits.
    const flip = (lo: number, hi: number, check: number, i: number): [number, number, number] => {
      if (i < 32) return [(lo ^ (1 << i)) >>> 0, hi, check];
      if (i < dataBits) return [lo, (hi ^ (1 << (i - 32))) >>> 0, check];
      return [lo, hi, check ^ (1 << (i - dataBits))];
    };
    for (const [lo, hi] of words) {
      const check = code.encode(lo, hi);
      assert.deepEqual(code.decode(lo, hi, check), { status: 'ok', lo, hi });
      for (let i = 0; i < n; i++) {
        const [a, b, c] = flip(lo, hi, check, i);
        assert.deepEqual(code.decode(a, b, c), { status: 'corrected', lo, hi }, `single error at bit ${i}`);
        for (let j = i + 1; j < n; j++) {
          const [a2, b2, c2] = flip(a, b, c, j);
          assert.equal(code.decode(a2, b2, c2).status, 'detected', `double error at bits ${i}, ${j}`);
        }
      }
    }
  });
}

test('interleaved grouping: every word has one (code word, slot), d adjacent words different code words', () => {
  for (const [words, per, d] of [
    [7, 2, 1],
    [7, 2, 2],
    [13, 4, 3],
    [1, 2, 4],
  ] as const) {
    const g = new WordGroups(words, per, d);
    const seen = new Set<string>();
    for (let k = 0; k < words; k++) {
      const c = g.groupOf(k);
      const s = g.slotOf(k);
      assert.ok(c < g.count && s < per, `${words}/${per}/${d}: word ${k}`);
      assert.equal(g.wordAt(c, s), k);
      seen.add(`${c}:${s}`);
      for (let e = 1; e < d && k + e < words; e++) assert.notEqual(g.groupOf(k + e), c);
    }
    assert.equal(seen.size, words);
    for (let c = 0; c < g.count; c++) assert.ok(g.wordAt(c, 0) >= 0, 'no empty code word');
  }
  // Two float32 words per (72,64) code word: d = 1 pairs words 0,1; d = 2 pairs 0,2 and 1,3.
  assert.deepEqual(
    [0, 1, 2, 3].map((k) => new WordGroups(4, 2, 1).groupOf(k)),
    [0, 0, 1, 1],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((k) => new WordGroups(4, 2, 2).groupOf(k)),
    [0, 1, 0, 1],
  );
});

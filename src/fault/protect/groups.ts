/**
 * How value words are grouped into code words. A code word holds `perWord` value words (two
 * float32 words per (72,64) code word). Interleave d spreads them: words are taken in blocks of
 * perWord × d consecutive words, and code word b·d + c of block b holds its words c, c + d,
 * c + 2d, ...; so d adjacent words always sit in d different code words, and a burst over
 * neighbouring words is seen as single errors (d = 1: consecutive words share a code word). A last,
 * partial block fills its code words the same way, the missing words reading as zero (not stored).
 */
export class WordGroups {
  readonly words: number;
  readonly perWord: number;
  readonly interleave: number;
  /** Number of code words. */
  readonly count: number;
  private readonly block: number;

  constructor(words: number, perWord: number, interleave: number) {
    this.words = words;
    this.perWord = perWord;
    this.interleave = interleave;
    this.block = perWord * interleave;
    const full = Math.floor(words / this.block);
    this.count = full * interleave + Math.min(interleave, words - full * this.block);
  }

  /** The code word of value word k. */
  groupOf(k: number): number {
    const b = Math.floor(k / this.block);
    return b * this.interleave + ((k - b * this.block) % this.interleave);
  }

  /** The slot of value word k within its code word. */
  slotOf(k: number): number {
    return Math.floor((k % this.block) / this.interleave);
  }

  /** The value word in `slot` of code word c, or -1 past the end. */
  wordAt(c: number, slot: number): number {
    const b = Math.floor(c / this.interleave);
    const k = b * this.block + slot * this.interleave + (c - b * this.interleave);
    return k < this.words ? k : -1;
  }
}

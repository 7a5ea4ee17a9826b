/**
 * Minimal SVG string building. Figures are plain strings so the same markup goes into the HTML
 * page and the standalone .svg files, and so output is byte-for-byte reproducible: coordinates
 * are rounded to 0.01 px and attributes are written in the order given.
 */

/** Attribute values; `undefined` drops the attribute. */
export type Attrs = Record<string, string | number | undefined>;

/** Escapes text for XML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A coordinate as short, stable text: rounded to 0.01 so tiny floating-point differences between
 * machines cannot change the output, with trailing zeros and negative zero removed.
 */
export function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** One element: `<tag attrs>children</tag>`, or self-closing when it has no children. */
export function el(tag: string, attrs: Attrs, ...children: string[]): string {
  let a = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    a += ` ${k}="${typeof v === 'number' ? num(v) : esc(v)}"`;
  }
  const body = children.join('');
  return body ? `<${tag}${a}>${body}</${tag}>` : `<${tag}${a}/>`;
}

/** A path through points (`M x y L x y ...`); gaps in the data are the caller's job. */
export function polyline(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${num(x)} ${num(y)}`).join('');
}

/**
 * Approximate width of `text` at `fontSize` in the report's sans-serif font. SVG has no layout
 * engine at build time; a per-character average is enough to size margins and legends.
 */
export function textWidth(text: string, fontSize: number): number {
  let w = 0;
  for (const ch of text) {
    if ("il.,:;|!'1 ".includes(ch)) w += 0.3;
    else if ('mwMW%'.includes(ch)) w += 0.85;
    else if (ch >= 'A' && ch <= 'Z') w += 0.66;
    else w += 0.55;
  }
  return w * fontSize;
}

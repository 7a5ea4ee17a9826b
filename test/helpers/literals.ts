/**
 * The string and template literals of a TypeScript source, comments skipped: a small scanner
 * (the project's TypeScript 7 compiler has no JavaScript API to walk a syntax tree with). Template
 * substitutions read as '…' in their template, and the literals inside them follow it. Regex literals are skipped where an expression may start, so a quote
 * inside one does not open a string.
 */
export function literals(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  // The last significant token's end: after one of these, '/' starts a regex, not a division.
  let prev = '';
  while (i < src.length) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    if (c === '/' && /^$|[(,=:[!&|?{};]$|\breturn$/.test(prev)) {
      let inClass = false;
      for (i++; i < src.length && src[i] !== '\n'; i++) {
        const d = src[i];
        if (d === '\\') i++;
        else if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
      }
      i++;
      prev = ')';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let text = '';
      let depth = 0;
      let expr = '';
      const nested: string[] = [];
      let j = i + 1;
      for (; j < src.length; j++) {
        const d = src[j]!;
        if (depth > 0) {
          if (d === '{') depth++;
          else if (d === '}') depth--;
          if (depth > 0) expr += d;
          else nested.push(...literals(expr));
        } else if (d === '\\') {
          text += src[++j] ?? '';
        } else if (c === '`' && d === '$' && src[j + 1] === '{') {
          depth = 1;
          expr = '';
          j++;
          text += '…';
        } else if (d === c) break;
        else text += d;
      }
      out.push(text, ...nested);
      i = j + 1;
      prev = ')';
      continue;
    }
    if (!/\s/.test(c)) prev = /\w/.test(c) && /\w$/.test(prev) ? prev + c : c;
    i++;
  }
  return out;
}

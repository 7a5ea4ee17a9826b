/** Plain-text tables and number formatting for CLI output. */

/** Formats an integer with thousands separators: 11173962 → '11,173,962'. */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Formats a count with an SI suffix: 555422720 → '555.4M'. */
export function formatSI(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Formats a fraction as a percentage with `digits` decimals. */
export function formatPercent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/**
 * Renders rows as an aligned text table. Columns whose cells all look numeric are
 * right-aligned, the rest left-aligned.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cols = header.length;
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = header.map(
    (_, c) => rows.length > 0 && rows.every((r) => /^[-+]?[\d,.]+[%kMG]?$|^-$/.test(r[c] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .slice(0, cols)
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A finished study folder's stored results, for comparing two runs of one study. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every stored step result but its time, by step id. */
export function stepResults(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const root = join(dir, 'artifacts');
  for (const kind of readdirSync(root))
    for (const key of readdirSync(join(root, kind))) {
      const r = JSON.parse(readFileSync(join(root, kind, key, 'result.json'), 'utf8'));
      const { seconds: _s, ...result } = r.result;
      out[r.id] = { key: r.key, result };
    }
  return out;
}

/** The report's numbers but its provenance (step times, host, command). */
export function reportNumbers(dir: string): unknown {
  const r = JSON.parse(readFileSync(join(dir, 'report-numbers.json'), 'utf8'));
  return { ...r, numbers: r.numbers.filter((n: { section: string }) => n.section !== 'provenance') };
}

/**
 * The ledger: every number the report shows, as tidy rows (one number with its interval per
 * row). Tables and figures read their numbers from here by id, and the CSV and JSON files are the
 * ledger itself, so "every number shown is in the CSV" holds by construction — and a test checks
 * that the text of each table cell is the formatted ledger value.
 */

/** One number of the report, with its interval and where it belongs. */
export interface NumberRow {
  /** Stable id: section/model/fault model/variant/quantity/key, unique in the report. */
  id: string;
  /** 'variant', 'tolerance', 'accuracy', 'comparison', 'single-bit', 'provenance', 'option'. */
  section: string;
  model: string;
  /** Fault model label ('' for numbers that do not depend on it). */
  faultModel: string;
  variant: string;
  /** Second variant of a comparison ('' otherwise). */
  other: string;
  /** What the number is, e.g. 'meanAccuracy', 'thresholdBer', 'sdcRateByBit'. */
  quantity: string;
  /** Where on its axis: a BER, a bit position, a layer name, a storage format ('' if none). */
  key: string;
  value: number | null;
  lo: number | null;
  hi: number | null;
  /** Sample size behind the number (trials, experiments, images), null if not a sample. */
  n: number | null;
  /** 'fraction', 'BER', 'ratio', 'count', 'bits', 'seconds', 'p-value', 'boolean'. */
  unit: string;
  /** How to read it: the interval method, censoring, pairing. */
  note: string;
}

/** The columns of the CSV, in order. */
export const LEDGER_COLUMNS: readonly (keyof NumberRow)[] = [
  'id',
  'section',
  'model',
  'faultModel',
  'variant',
  'other',
  'quantity',
  'key',
  'value',
  'lo',
  'hi',
  'n',
  'unit',
  'note',
];

const clean = (v: number | null | undefined): number | null =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;

/** Collects NumberRows, refusing duplicate ids (two different numbers must never share one). */
export class Ledger {
  readonly rows: NumberRow[] = [];
  private readonly byId = new Map<string, NumberRow>();

  /** Adds a row and returns its id; non-finite numbers are stored as null (shown as '–'). */
  add(
    r: Omit<NumberRow, 'id' | 'lo' | 'hi' | 'n' | 'note' | 'other' | 'key'> &
      Partial<Pick<NumberRow, 'lo' | 'hi' | 'n' | 'note' | 'other' | 'key'>>,
  ): NumberRow {
    const key = r.key ?? '';
    const other = r.other ?? '';
    const id = [r.section, r.model, r.faultModel, r.variant, other, r.quantity, key].join('/');
    if (this.byId.has(id)) throw new Error(`ledger: duplicate number id '${id}'`);
    const row: NumberRow = {
      id,
      section: r.section,
      model: r.model,
      faultModel: r.faultModel,
      variant: r.variant,
      other,
      quantity: r.quantity,
      key,
      value: clean(r.value),
      lo: clean(r.lo),
      hi: clean(r.hi),
      n: clean(r.n),
      unit: r.unit,
      note: r.note ?? '',
    };
    this.rows.push(row);
    this.byId.set(id, row);
    return row;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): NumberRow {
    const r = this.byId.get(id);
    if (!r) throw new Error(`ledger: no number '${id}'`);
    return r;
  }
}

function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The ledger as RFC 4180 CSV with a header row; numbers at full precision, empty for null. */
export function ledgerCsv(rows: readonly NumberRow[]): string {
  const lines = [LEDGER_COLUMNS.join(',')];
  for (const r of rows) lines.push(LEDGER_COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

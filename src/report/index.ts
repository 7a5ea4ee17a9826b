/**
 * The report stage: ReportData (what a study measured) in; a self-contained HTML report, the
 * numbers as CSV/JSON and the figures as SVG out, with the statistics and the plain-language
 * conclusion derived from the data.
 */
export { type AcrossModels, acrossModels } from './across.js';
export { acrossAnswer, concludeReport, type GroupConclusion, shortAnswer, type Verdict } from './conclude.js';
export {
  type Comparison,
  type Derived,
  type DeriveOptions,
  deriveStatistics,
  type GroupStats,
  type SweepStats,
} from './derive.js';
export type { NumberRow } from './ledger.js';
export { loadReportData } from './load.js';
export type {
  BerSweep,
  BitSweep,
  FaultModelInfo,
  Provenance,
  ReportData,
  SdcCounts,
  TrialOutcome,
  Variant,
  VariantGranularity,
} from './model.js';
export { VARIANT_GRANULARITIES } from './model.js';
export {
  buildReport,
  type RenderOptions,
  type RenderResult,
  type ReportContent,
  renderReport,
} from './render.js';
export { validateReportData } from './validate.js';

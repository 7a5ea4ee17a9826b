/**
 * Reading a saved ReportData file (the `report.json` written next to every report). Kept apart
 * from rendering so the study runner and the CLI share one loader with one set of error messages.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, PrunefiError } from '../core/errors.js';
import type { ReportData } from './model.js';
import { validateReportData } from './validate.js';

/**
 * Loads and validates ReportData from `path`: a JSON file, or a folder holding `report.json`.
 * Every failure is a `PrunefiError('REPORT_INPUT')` naming the file and what to do.
 */
export function loadReportData(path: string): ReportData {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`loadReportData: path must be a file path, got ${String(path)}`);
  let file = path;
  let text: string;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'report.json');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PrunefiError(
      'REPORT_INPUT',
      `cannot read report data ${file}: ${errorMessage(err)}; pass the report.json a study or an earlier report wrote`,
      { cause: err },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PrunefiError(
      'REPORT_INPUT',
      `${file} is not valid JSON (${errorMessage(err)}); pass the report.json a study or an earlier report wrote`,
      { cause: err },
    );
  }
  return validateReportData(value, file);
}

/** Paths tests share: the repo root, ../shared, and a scratch folder per test file. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/..., so go up from there). */
export const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
/** ../shared next to the repository: trained models and CIFAR-10 JPEGs. */
export const SHARED = resolve(REPO, '..', 'shared');
/** Where tests keep outputs worth looking at after a run (screenshots, reports). */
export const TEST_OUTPUT = join(REPO, 'test-output');

/** A fresh temporary folder. */
export function tempDir(prefix = 'prunefi-test-'): string {
  mkdirSync('/tmp', { recursive: true });
  return mkdtempSync(join('/tmp', prefix));
}

/**
 * The rendered report in a real browser (Debian's headless Chromium driven by playwright-core; no
 * browser is ever downloaded): it must load with no console errors and no failed requests, and
 * every figure must be present and visible. A full-page screenshot is kept in
 * test-output/report/ for a human to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderReport } from '../../src/report/render.js';
import { TEST_OUTPUT, tempDir } from '../helpers/paths.js';
import { syntheticReport } from './synthetic.js';

const CHROMIUM = '/usr/bin/chromium';

test('the report opens in headless Chromium with no errors and shows every figure', {
  skip: existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (apt-get install -y chromium)`,
  timeout: 120_000,
}, async () => {
  const outDir = join(TEST_OUTPUT, 'report');
  mkdirSync(outDir, { recursive: true });
  const r = renderReport(syntheticReport(), outDir, { bootstrap: 1000 });
  const context = await chromium.launchPersistentContext(tempDir('prunefi-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()} ${q.failure()?.errorText}`));
    page.on('request', (q) => {
      if (!q.url().startsWith('file:') && !q.url().startsWith('data:'))
        problems.push(`network request: ${q.url()}`);
    });
    await page.goto(pathToFileURL(r.html).href, { waitUntil: 'load' });

    const figures = await page.locator('figure svg.chart').all();
    assert.equal(figures.length, r.figures.length, 'one inline SVG per figure file');
    for (const svg of figures) {
      const id = await svg.evaluate((e) => e.closest('figure')!.id);
      assert.ok(await svg.isVisible(), `${id} visible`);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 300 && box.height > 150, `${id} has a real size: ${JSON.stringify(box)}`);
      // Drawn content, not an empty frame: many shapes inside.
      const shapes = await svg.evaluate((e) => e.querySelectorAll('path,rect,circle,line').length);
      assert.ok(shapes > 20, `${id}: ${shapes} shapes`);
    }
    const headings = await page.locator('h2').allTextContents();
    assert.equal(headings[0], 'Answer');
    assert.ok(headings.includes('Provenance: how to rerun this study'));

    await page.screenshot({ path: join(outDir, 'report.png'), fullPage: true });

    // The sorting script works and raises no error: sort the first tolerance table by AUC.
    const table = page.locator('table[id^="table-tolerance-"]').first();
    const before = await table.locator('tbody th').allTextContents();
    await table.locator('thead th', { hasText: 'AUC, BER' }).locator('button').click();
    const after = await table.locator('tbody th').allTextContents();
    assert.deepEqual([...after].sort(), [...before].sort());
    assert.notDeepEqual(after, before, 'clicking a column head reorders the rows');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

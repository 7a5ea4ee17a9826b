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

const SKIP = existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (apt-get install -y chromium)`;

/** The synthetic study's report, rendered into test-output/report/<sub> for a human to look at. */
function renderSynthetic(sub: string) {
  const outDir = join(TEST_OUTPUT, 'report');
  mkdirSync(outDir, { recursive: true });
  return { outDir, r: renderReport(syntheticReport(), join(outDir, sub), { bootstrap: 1000 }) };
}

/** Debian's Chromium, headless, with a fresh profile and nothing that talks to the network. */
function launch(viewport: { width: number; height: number }) {
  return chromium.launchPersistentContext(tempDir('prunefi-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
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
}

test('the report opens in headless Chromium with no errors and shows every figure', {
  skip: SKIP,
  timeout: 120_000,
}, async () => {
  const { outDir, r } = renderSynthetic('');
  const context = await launch({ width: 1280, height: 900 });
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

// Scripts that run in the page, as strings: the tests compile without the DOM library.
/** How far the page scrolls sideways (0 or less: not at all). */
const SIDEWAYS = 'document.documentElement.scrollWidth - window.innerWidth';
/**
 * Pairs of labels that overlap in a figure: text boxes of one SVG that intersect by more than
 * 0.5 px both ways (anti-aliased glyph edges may touch).
 */
const OVERLAPS = `(() => {
  const out = [];
  for (const svg of document.querySelectorAll('figure svg.chart')) {
    const boxes = [...svg.querySelectorAll('text')]
      .filter((t) => (t.textContent || '').trim() !== '')
      .map((t) => ({ t: t.textContent, b: t.getBoundingClientRect() }));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].b, b = boxes[j].b;
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 0.5 && y > 0.5) out.push(svg.closest('figure').id + ": '" + boxes[i].t + "' and '" + boxes[j].t + "'");
      }
  }
  return out;
})()`;

test('at a glance, at 1400 px and 400 px: the summary figure on the first screen, no sideways scroll, no overlapping labels, folds open by keyboard', {
  skip: SKIP,
  timeout: 120_000,
}, async () => {
  const { outDir, r } = renderSynthetic('glance');
  const height = 900;
  // One browser for both widths: a launch costs seconds on a loaded machine.
  const context = await launch({ width: 1400, height });
  try {
    const page = await context.newPage();
    for (const width of [1400, 400]) {
      await page.setViewportSize({ width, height });
      await page.goto(pathToFileURL(r.html).href, { waitUntil: 'load' });
      const sideways = (await page.evaluate(SIDEWAYS)) as number;
      assert.ok(sideways <= 0, `${width} px: the page scrolls ${sideways} px sideways`);

      // The first screen shows the summary figure: all of it at 1400 px; at 400 px (where the
      // header wraps) at least its first rows, drawn at a legible size in its own scroll box.
      const fig = (await page.locator('#fig-glance svg').boundingBox())!;
      assert.ok(
        fig.y + (width >= 1400 ? fig.height : 60) <= height,
        `${width} px: figure at ${JSON.stringify(fig)}`,
      );
      // Full size (880 px) where it fits, else at least 600 px: labels at 0.68 of their size or more.
      assert.ok(fig.width >= Math.min(880, 600), `${width} px: the figure is drawn ${fig.width} px wide`);
      await page.screenshot({ path: join(outDir, `glance-${width}.png`) });

      // Labels do not overlap in any figure.
      const overlaps = (await page.evaluate(OVERLAPS)) as string[];
      assert.deepEqual(overlaps, [], `${width} px: overlapping labels`);

      // Keyboard: Tab reaches the folded prose answer, Enter opens it; every fold is focusable.
      const fold = page.locator('details.prose');
      assert.equal(await fold.getAttribute('open'), null, 'folded at first');
      let reached = false;
      for (let i = 0; i < 60 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = (await page.evaluate(
          "document.activeElement?.matches('details.prose > summary') ?? false",
        )) as boolean;
      }
      assert.ok(reached, `${width} px: Tab reaches the prose answer's fold`);
      await page.keyboard.press('Enter');
      assert.equal(await fold.getAttribute('open'), '', 'Enter opens it');
      assert.ok(await page.locator('details.prose .answer').first().isVisible());
      const unfocusable = (await page.evaluate(
        "[...document.querySelectorAll('summary')].filter((s) => s.tabIndex < 0).length",
      )) as number;
      assert.equal(unfocusable, 0, 'every fold takes keyboard focus');
    }
  } finally {
    await context.close();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart } from '../../src/report/charts/bars.js';
import { forestPlot } from '../../src/report/charts/forest.js';
import { heatmap } from '../../src/report/charts/heatmap.js';
import { styleVariants, textOn, viridis } from '../../src/report/charts/palette.js';
import { linearScale, logScale, niceStep, powerLabel } from '../../src/report/charts/scale.js';
import { el, esc, num } from '../../src/report/charts/svg.js';
import { xyChart } from '../../src/report/charts/xy.js';
import { fmtDuration, fmtInt, fmtPoints, fmtRatio, fmtSci, fmtSI } from '../../src/report/format.js';

test('linear scales widen to nice ticks and map the domain onto the range', () => {
  const s = linearScale([0.13, 0.87], [0, 100]);
  assert.deepEqual(s.domain, [0, 1]);
  assert.deepEqual(
    s.ticks().map((t) => t.label),
    ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0'],
  );
  assert.equal(s.map(0.5), 50);
  assert.equal(niceStep(7, 5), 2);
  assert.equal(niceStep(0.03, 5), 0.01);
  // A flat series still gets an axis.
  assert.ok(linearScale([3, 3], [0, 1]).domain[0] < 3);
  assert.throws(() => linearScale([0, Number.NaN], [0, 1]), RangeError);
});

test('log scales snap to decades, label powers of ten, and add 2/5 labels on short ranges', () => {
  const s = logScale([2e-8, 7e-6], [0, 300]);
  assert.deepEqual(s.domain, [1e-8, 1e-5]);
  const major = s.ticks().filter((t) => t.label);
  assert.deepEqual(
    major.map((t) => t.label),
    ['10⁻⁸', '10⁻⁷', '10⁻⁶', '10⁻⁵'],
  );
  assert.equal(s.map(1e-7), 100);
  const short = logScale([1, 50], [0, 1]);
  assert.deepEqual(
    short
      .ticks()
      .filter((t) => t.label)
      .map((t) => t.label),
    ['1', '2', '5', '10', '20', '50', '100'],
  );
  assert.throws(() => logScale([0, 1], [0, 1]), /finite and positive/);
  assert.equal(powerLabel(2, -7), '2×10⁻⁷');
});

test('SVG text is escaped and coordinates are short and stable', () => {
  assert.equal(esc('<a & "b">'), '&#60;a &#38; &#34;b&#34;&#62;');
  assert.equal(num(1.23456), '1.23');
  assert.equal(num(-0.001), '0');
  assert.equal(el('g', { a: 1, b: undefined, c: 'x"y' }), '<g a="1" c="x&#34;y"/>');
});

test('number formats', () => {
  assert.equal(fmtInt(11173962), '11,173,962');
  assert.equal(fmtSci(1.27e-7), '1.3×10⁻⁷');
  assert.equal(fmtSci(9.96e-7), '1.0×10⁻⁶');
  assert.equal(fmtRatio(6.234), '6.2×');
  assert.equal(fmtRatio(0.4567), '0.46×');
  assert.equal(fmtRatio(12.4), '12×');
  assert.equal(fmtPoints(-0.0004), '−0.0 pt', 'a small loss keeps its sign');
  assert.equal(fmtPoints(0.017), '+1.7 pt');
  assert.equal(fmtSI(556651520), '557 M');
  assert.equal(fmtSI(72_000_000, 'bit'), '72.0 Mbit');
  assert.equal(fmtDuration(8120), '2 h 15 min 20 s');
});

test('variant styles: baseline black, one colour per method, distinct dash+marker within a method', () => {
  const vs = [
    { id: 'b', method: 'none', target: 0 },
    { id: 'm5', method: 'mag', target: 0.5 },
    { id: 'm9', method: 'mag', target: 0.9 },
    { id: 'r', method: 'rand', target: 0.5 },
  ];
  const st = styleVariants(vs);
  assert.equal(st.get('b')!.colour, '#000000');
  assert.equal(st.get('m5')!.colour, st.get('m9')!.colour);
  assert.notEqual(st.get('m5')!.colour, st.get('r')!.colour);
  assert.notDeepEqual([st.get('m5')!.dash, st.get('m5')!.marker], [st.get('m9')!.dash, st.get('m9')!.marker]);
  // Twelve methods: no two variants look the same.
  const many = Array.from({ length: 12 }, (_, i) => ({ id: `v${i}`, method: `m${i}`, target: 0.5 }));
  const looks = new Set([...styleVariants(many).values()].map((s) => JSON.stringify(s)));
  assert.equal(looks.size, 12);
  assert.equal(viridis(0), '#440154');
  assert.equal(viridis(1), '#fde725');
  assert.equal(textOn(viridis(0)), '#ffffff');
  assert.equal(textOn(viridis(1)), '#000000');
});

const style = { colour: '#0072B2', dash: '', marker: 'circle' as const };

test('every chart type is an accessible, self-contained SVG with its data drawn', () => {
  const charts = [
    xyChart({
      id: 'xy',
      title: 'T <1>',
      desc: 'D',
      x: { label: 'BER', scale: 'log' },
      y: { label: 'acc', scale: 'linear', domain: [0, 1] },
      series: [
        {
          label: 'a',
          style,
          points: [1e-8, 1e-7, 1e-6].map((x, i) => ({
            x,
            y: 0.9 - i * 0.3,
            lo: 0.8 - i * 0.3,
            hi: 0.95 - i * 0.3,
          })),
        },
      ],
      intervals: 'band',
      refLines: [{ y: 0.85, label: 'ref' }],
    }),
    barChart({
      id: 'bars',
      title: 'T',
      desc: 'D',
      categories: ['bit 30', 'bit 29'],
      xLabel: 'bit',
      yLabel: 'rate',
      yFormat: String,
      series: [
        { label: 'a', style, values: [{ value: 0.9, lo: 0.85, hi: 0.93, tip: 't' }, null] },
        {
          label: 'b',
          style: { ...style, dash: '4 2' },
          values: [
            { value: 0.5, lo: 0.4, hi: 0.6, tip: 't' },
            { value: 0.1, lo: 0.05, hi: 0.2, tip: 't' },
          ],
        },
      ],
    }),
    heatmap({
      id: 'heat',
      title: 'T',
      desc: 'D',
      rows: ['a', 'b'],
      cols: ['x', 'y'],
      colLabel: 'c',
      values: [
        [0.5, 0],
        [null, 0.01],
      ],
      tips: [
        ['1', '2'],
        ['3', '4'],
      ],
      valueLabel: 'v',
      format: String,
      log: true,
    }),
    forestPlot({
      id: 'forest',
      title: 'T',
      desc: 'D',
      xLabel: 'ratio',
      scale: 'log',
      rows: [{ label: 'a', style, value: 2, lo: 1.5, hi: 3, open: { hi: true }, tip: 't', note: '2×' }],
      ref: { value: 1, label: 'same' },
    }),
  ];
  for (const svg of charts) {
    const id = /aria-labelledby="(\S+)-title \S+-desc"/.exec(svg)?.[1];
    assert.ok(id, 'aria-labelledby');
    assert.match(svg, new RegExp(`<title id="${id}-title">`));
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
    assert.doesNotMatch(svg, /href=|url\((?!#)/, 'no external references');
    // Element ids inside are prefixed with the chart id so several charts can share one page.
    for (const [, ref] of svg.matchAll(/ id="([^"]+)"/g)) assert.ok(ref!.startsWith(`${id}-`), ref);
  }
  assert.match(charts[0]!, /T &#60;1&#62;/);
  assert.match(charts[1]!, /url\(#bars-hatch-1\)/, 'second variant of a method is hatched');
  assert.match(charts[2]!, /url\(#heat-na\)/, 'unmeasured cell hatched');
});

// Report helpers against hand-worked cases: escaping, round tick values, number formatting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { esc, num } from '../../compiler/report/html.js';
import { lineChart, niceTicks } from '../../compiler/report/svg.js';

test('esc: the five HTML specials, nothing else', () => {
  assert.is(esc(`<a href="x">'&'</a> é`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; é');
});

test('niceTicks: steps of 1, 2, 2.5 or 5 times a power of ten covering the range', () => {
  assert.equal(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(niceTicks(0.42, 0.927), [0.4, 0.6, 0.8, 1]); // raw step 0.1014 -> 0.2
  assert.equal(niceTicks(0, 47), [0, 10, 20, 30, 40, 50]);
  assert.equal(niceTicks(3, 3), [1, 2, 3, 4, 5]); // an empty range is widened to [1.5, 4.5]
});

test('num: decimals trimmed, thousands separated, tiny values in exponent form', () => {
  assert.is(num(1234.5678), '1,234.568');
  assert.is(num(0.5), '0.5');
  assert.is(num(0.00001), '1.0e-5');
  assert.is(num(null), '–');
});

test('lineChart: every point is drawn at its place and labels are escaped', () => {
  const svg = lineChart({ title: 'a <b>', xLabel: 'x', yLabel: 'y', series: [{ name: 's&t', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }] });
  assert.is((svg.match(/<circle /g) ?? []).length, 2);
  assert.ok(svg.includes('a &lt;b&gt;') && svg.includes('s&amp;t') && !svg.includes('<b>'));
  // x ticks 0..1 over the plot width 900-64-40, y ticks 0..1 over its height: (0,0) bottom left, (1,1) top right
  assert.match(svg, /<circle cx="64\.0" cy="(\d+\.\d)"/);
  assert.match(svg, /<circle cx="860\.0" cy="30\.0"/);
});

test.run();

// `sparsec report` end to end: a bench report, a series file (with hostile names), a
// crepe-table result and a pruned build become one HTML page that loads nothing else, parses
// in Chromium (every SVG well-formed, no injected element) and shows the input values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildModel } from '../../compiler/compile.js';
import { packageRoot } from '../../compiler/paths.js';
import { launchChromium } from '../helpers/browser.js';

const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), ...args], { encoding: 'utf8' });
const engine = (name: string, p50: number) => ({ engine: name, loadMs: 12.5, firstMs: 3.25, stats: { p50, p90: p50 * 1.5, p99: p50 * 3, mean: p50, min: p50 / 2, max: p50 * 4, n: 3 }, samples: [p50 / 2, p50, p50 * 4], maxAbsDiffVsOrtNode: 0 });

test('report: a self-contained page with the plots and the values of every input', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sparsec-report-'));
  const build = join(tmp, 'cnn-24');
  await buildModel(join(packageRoot, 'test', 'fixtures', 'cnn.onnx'), build, { prune: 'magnitude:2:4' });
  const bench = join(tmp, 'bench.json');
  writeFileSync(bench, JSON.stringify({ schemaVersion: 2, seed: 7, threads: 1, manifest: { source: 'cnn.onnx', prune: 'magnitude:2:4', sizes: { wasm: 1000, weights: 2000, arena: 3000 } },
    platform: { node: 'v20', cpu: 'test cpu' }, versions: { sparsec: '0.1.0' },
    results: [engine('sparsec', 0.432), engine('onnxruntime-web', 0.987), engine('onnxruntime-node', 0.123)] }));
  const series = join(tmp, 'series.json');
  writeFileSync(series, JSON.stringify({ kind: 'sparsec-series', title: 'accuracy <script>alert(1)</script>', x: { label: 'FLOPs', percent: false }, y: { label: 'accuracy' },
    reference: { name: 'dense', y: 0.927 },
    series: [{ name: '<img src=x onerror=alert(2)>', points: [{ x: 1000000, y: 0.9123 }, { x: 500000, y: 0.8765 }] }, { name: 'ToaSt & co', points: [{ x: 750000, y: 0.9012, label: '"75%"' }] }] }));
  const crepe = join(tmp, 'crepe-table.json');
  writeFileSync(crepe, JSON.stringify({ model: 'gpt.onnx', dense: 2.0456, results: [
    { label: 'CRePE A', pattern: '0.5', sparsity: 0.5, bitsPerByte: 2.2345 }, { label: 'CRePE A', pattern: '0.7', sparsity: 0.7, bitsPerByte: 2.9876 },
    { label: 'CRePE A', pattern: '2:4', sparsity: 0.5, bitsPerByte: 2.5432 }] }));
  const out = join(tmp, 'page', 'report.html');
  mkdirSync(join(tmp, 'page'));
  const r = cli('report', bench, series, crepe, build, '-o', out, '--title', 'Report & <test>', '--json', '-q');
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.plots.map((p: { points: number }) => p.points), [3, 2]);
  assert.is(summary.builds[0].layers > 0, true);

  const html = readFileSync(out, 'utf8');
  assert.not.match(html, /<(script|link|img|iframe|object|embed)\b/i);
  assert.not.match(html, /<[^>]+\s(src|href)=|@import|url\(/i);
  assert.equal([...html.matchAll(/https?:\/\/[^"'\s<]+/g)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg'), []);
  for (const v of ['0.432 ms', '0.987', '0.123', '0.8765', '0.9123', '0.9012', '2.2345', '2.9876', '2.5432', '1,000,000', 'Report &amp; &lt;test&gt;', '&lt;img src=x onerror=alert(2)&gt;', 'ToaSt &amp; co', '&quot;75%&quot;']) {
    assert.ok(html.includes(v), `the page shows ${v}`);
  }
  const manifest = JSON.parse(readFileSync(join(build, 'manifest.json'), 'utf8'));
  for (const l of manifest.layers.filter((x: { format: string }) => x.format === '2:4')) assert.ok(html.includes(l.node), `layer ${l.node}`);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1050, height: 900 } });
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(out).href);
    assert.equal(requests, [pathToFileURL(out).href], 'the page loads nothing else');
    const dom = await page.evaluate(() => ({
      title: document.title,
      svgs: [...document.querySelectorAll('svg')].map((s) => new DOMParser().parseFromString(new XMLSerializer().serializeToString(s), 'image/svg+xml').querySelector('parsererror') === null),
      injected: document.querySelectorAll('script, img').length,
      sections: [...document.querySelectorAll('section')].map((s) => s.id),
      circles: document.querySelectorAll('#quality circle').length,
    }));
    assert.is(dom.title, 'Report & <test>');
    assert.equal(dom.sections, ['latency', 'quality', 'layers', 'size']);
    assert.equal(dom.svgs, [true, true, true, true, true]);
    assert.is(dom.injected, 0);
    assert.is(dom.circles, 3 + 2);
    if (process.env.SPARSEC_SCREENSHOTS) {
      mkdirSync(process.env.SPARSEC_SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(process.env.SPARSEC_SCREENSHOTS, 'report-test.png'), fullPage: true });
    }
  } finally {
    await browser.close();
  }
});

test('report: an unknown JSON or a folder that is not a build is one clear line', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sparsec-report-'));
  writeFileSync(join(tmp, 'x.json'), '{"hello": 1}');
  let r = cli('report', join(tmp, 'x.json'), '-o', join(tmp, 'r.html'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /x\.json: not a bench report, build manifest, series file/);
  r = cli('report', tmp, '-o', join(tmp, 'r.html'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /without manifest\.json/);
  writeFileSync(join(tmp, 's.json'), '{"kind": "sparsec-series", "series": [{"name": "a", "points": [{"x": 1}]}]}');
  r = cli('report', join(tmp, 's.json'), '-o', join(tmp, 'r.html'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /series\[0\]\.points\[0\] needs numeric x and y/);
});

test.run();

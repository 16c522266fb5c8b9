// What `sparsec report` makes of the pruning scripts' JSON: compiler/bench/reprune.ts rows (one
// plot per model, quality against MACs removed) and crepe-table rows, on hand-made files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputs } from '../../compiler/report/inputs.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsec-report-inputs-'));
const write = (name: string, v: unknown) => { const f = join(tmp, name); writeFileSync(f, JSON.stringify(v)); return f; };

test('reprune.json: one plot per model, a line per method and recovery, dense as the reference', () => {
  const q = (model: string, target: number, reduction: number, method: string, recovery: string, metric: Record<string, number>) => ({ model, target, reduction, method, recovery, metric, seconds: 0 });
  const f = write('reprune.json', { date: 'x', rounds: 1, latency: [], quality: [
    q('cnn', 0, 0, 'reprune', 'dense', { accuracy: 0.927 }),
    q('cnn', 0.3, 0.31, 'reprune', 'ridge', { accuracy: 0.9 }), q('cnn', 0.5, 0.52, 'reprune', 'ridge', { accuracy: 0.85 }),
    q('cnn', 0.3, 0.3, 'l1', 'ridge', { accuracy: 0.88 }),
    q('blazeface', 0, 0, 'reprune', 'dense', { faceRecall: 1 }),
    q('blazeface', 0.3, 0.32, 'reprune', 'none', { decisionAgreement: 0.4, detectionRecall: 0.1 }),
  ] });
  const { plots } = readInputs([f]);
  assert.equal(plots.map((p) => p.title), ['cnn: accuracy against MACs removed (REPrune bench)', 'blazeface: detectionRecall against MACs removed (REPrune bench)']);
  assert.equal(plots[0].series.map((s) => [s.name, s.points.map((p) => [p.x, p.y])]), [['reprune · ridge', [[0.31, 0.9], [0.52, 0.85]]], ['l1 · ridge', [[0.3, 0.88]]]]);
  assert.equal(plots[0].reference, { name: 'dense', y: 0.927 });
  assert.is(plots[1].reference, undefined); // the dense row has no detectionRecall
  assert.is(plots[0].table!.rows.length, 4);
});

test('crepe-table.json: unstructured rows as lines, N:M rows only in the table', () => {
  const f = write('crepe.json', { model: 'gpt.onnx', dense: 1.5, results: [
    { label: 'RIA', pattern: '0.5', sparsity: 0.5, bitsPerByte: 1.8 }, { label: 'RIA', pattern: '0.6', sparsity: 0.6, bitsPerByte: 2.3 },
    { label: 'RIA', pattern: '2:4', sparsity: 0.5, bitsPerByte: 2.4 }] });
  const [p] = readInputs([f]).plots;
  assert.equal(p.series, [{ name: 'RIA', points: [{ x: 0.5, y: 1.8, label: '0.5' }, { x: 0.6, y: 2.3, label: '0.6' }] }]);
  assert.equal(p.reference, { name: 'dense', y: 1.5 });
  assert.is(p.table!.rows.length, 3);
});

test('toast.json: vit accuracy and recognizer CER against MACs removed, its latency runs as bench sections', () => {
  const engine = (name: string, p50: number) => ({ engine: name, loadMs: 1, firstMs: 1, stats: { p50, p90: p50, p99: p50, mean: p50, min: p50, max: p50, n: 3 } });
  const f = write('toast.json', {
    vit: [{ label: 'dense', target: 0, reduction: 0, accuracy: 0.903 }, { label: 'ToaSt + refit', target: 0.2, reduction: 0.21, accuracy: 0.905 }, { label: 'ToaSt + refit', target: 0.3, reduction: 0.3, accuracy: 0.906 }],
    vitLatency: [engine('sparsec dense', 0.83), engine('sparsec toast 0.3', 0.557)],
    ocr: [{ label: 'dense', target: 0, reduction: 0, blocksReduction: 0, cer: 0.0114 }, { label: 'ToaSt + refit', target: 0.1, reduction: 0.0014, blocksReduction: 0.1, cer: 0.0123 }],
    ocrLatency: [],
  });
  const r = readInputs([f]);
  assert.equal(r.plots.map((p) => [p.yLabel, p.reference?.y, p.series.map((s) => s.points.map((q) => [q.x, q.y]))]), [
    ['accuracy', 0.903, [[[0.21, 0.905], [0.3, 0.906]]]],
    ['cer', 0.0114, [[[0.1, 0.0123]]]],
  ]);
  assert.equal(r.benches.map((b) => [b.label, b.results.map((e) => e.stats.p50)]), [['vit.onnx · ToaSt bench', [0.83, 0.557]]]);
});

test.run();

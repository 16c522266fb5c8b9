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

test.run();

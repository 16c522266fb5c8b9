// Mask invariants: exact counts, stable tie-breaks (lower index pruned first), valid N:M groups
// along the input dimension, and the kept entries are the highest-scoring ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMask, parsePattern, prunedCount, type Pattern } from '../../compiler/prune/masks.js';
import { rng } from '../../compiler/util/random.js';

const U = (sparsity: number, scope: 'matrix' | 'row' = 'matrix'): Pattern => ({ kind: 'unstructured', sparsity, scope });
const zeros = (m: Uint8Array) => m.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);

test('unstructured per matrix prunes exactly floor(s·n) lowest scores', () => {
  assert.equal(Array.from(computeMask([5, 1, 3, 1, 2, 0], 2, 3, U(0.5))), [1, 0, 1, 0, 1, 0]);
  assert.equal(Array.from(computeMask([5, 1, 3, 1, 2], 1, 5, U(0.4))), [1, 0, 1, 0, 1]);
  assert.equal(Array.from(computeMask([5, 1, 3, 1, 2], 1, 5, U(0.5))), [1, 0, 1, 0, 1]); // floor(2.5) = 2
  assert.equal(Array.from(computeMask([5, 1, 3, 1, 2], 1, 5, U(0))), [1, 1, 1, 1, 1]);
});

test('ties are broken by index: the lower index is pruned first', () => {
  assert.equal(Array.from(computeMask([1, 1, 1, 1, 1, 1], 2, 3, U(0.5))), [0, 0, 0, 1, 1, 1]);
  assert.equal(Array.from(computeMask([2, 1, 1, 2], 1, 4, U(0.75))), [0, 0, 0, 1]);
});

test('unstructured per row prunes floor(s·d_in) in every row', () => {
  assert.equal(Array.from(computeMask([4, 3, 2, 1, 1, 2, 3, 4], 2, 4, U(0.5, 'row'))), [1, 1, 0, 0, 0, 0, 1, 1]);
  // per matrix, the same scores would prune both low entries of each row too; make rows differ
  assert.equal(Array.from(computeMask([9, 8, 7, 6, 1, 2, 3, 4], 2, 4, U(0.5, 'row'))), [1, 1, 0, 0, 0, 0, 1, 1]);
  assert.equal(Array.from(computeMask([9, 8, 7, 6, 1, 2, 3, 4], 2, 4, U(0.5))), [1, 1, 1, 1, 0, 0, 0, 0]);
});

test('2:4 keeps the 2 highest of each group of 4 input columns, ties to the higher index', () => {
  assert.equal(Array.from(computeMask([0.1, 0.9, 0.5, 0.2, 3, 3, 3, 3], 1, 8, { kind: 'nm', n: 2, m: 4 })), [0, 1, 1, 0, 0, 0, 1, 1]);
});

test('N:M on random scores: every group of m holds exactly m-n zeros; counts match prunedCount', () => {
  const r = rng(7);
  for (const [n, m] of [[2, 4], [4, 8], [1, 4]]) {
    const rows = 16, cols = 64;
    const scores = Float64Array.from({ length: rows * cols }, () => Math.floor(r() * 5)); // many ties
    const mask = computeMask(scores, rows, cols, { kind: 'nm', n, m });
    for (let row = 0; row < rows; row++) {
      for (let c0 = 0; c0 < cols; c0 += m) {
        let kept = 0, maxPruned = -Infinity, minKept = Infinity;
        for (let t = 0; t < m; t++) {
          const i = row * cols + c0 + t;
          if (mask[i]) { kept++; minKept = Math.min(minKept, scores[i]); } else maxPruned = Math.max(maxPruned, scores[i]);
        }
        assert.is(kept, n, `row ${row} group ${c0}`);
        assert.ok(maxPruned <= minKept, `row ${row} group ${c0}: pruned ${maxPruned} > kept ${minKept}`);
      }
    }
    assert.is(zeros(mask), prunedCount(rows, cols, { kind: 'nm', n, m }));
    assert.is(zeros(mask), rows * cols * (m - n) / m);
  }
});

test('unstructured on random scores: exact count, and every pruned score <= every kept score', () => {
  const r = rng(11);
  for (const s of [0.5, 0.6, 0.7, 0.123]) {
    const rows = 24, cols = 40;
    const scores = Float64Array.from({ length: rows * cols }, () => Math.floor(r() * 50));
    const mask = computeMask(scores, rows, cols, U(s));
    assert.is(zeros(mask), Math.floor(s * rows * cols));
    let maxPruned = -Infinity, minKept = Infinity;
    mask.forEach((k, i) => (k ? (minKept = Math.min(minKept, scores[i])) : (maxPruned = Math.max(maxPruned, scores[i]))));
    assert.ok(maxPruned <= minKept);
    const rowMask = computeMask(scores, rows, cols, U(s, 'row'));
    for (let row = 0; row < rows; row++) assert.is(zeros(rowMask.subarray(row * cols, (row + 1) * cols)), Math.floor(s * cols));
  }
});

test('same masks as a reference: stable sort by (score, index), lowest count pruned', () => {
  const r = rng(5);
  const reference = (scores: ArrayLike<number>, idx: number[], count: number, mask: Uint8Array) => {
    const order = [...idx].sort((a, b) => scores[a] - scores[b] || a - b);
    for (let t = 0; t < count; t++) mask[order[t]] = 0;
  };
  for (let trial = 0; trial < 20; trial++) {
    const rows = 3 + Math.floor(r() * 6), cols = 8 * (1 + Math.floor(r() * 4));
    const scores = Float64Array.from({ length: rows * cols }, () => Math.floor(r() * (trial % 2 ? 4 : 1000)) / 7);
    const s = Math.floor(r() * 100) / 100;
    const all = Array.from({ length: rows * cols }, (_, i) => i);
    const m1 = new Uint8Array(rows * cols).fill(1);
    reference(scores, all, Math.floor(s * rows * cols), m1);
    assert.equal(Array.from(computeMask(scores, rows, cols, U(s))), Array.from(m1), `matrix trial ${trial}`);
    const m2 = new Uint8Array(rows * cols).fill(1);
    for (let row = 0; row < rows; row++) reference(scores, all.slice(row * cols, (row + 1) * cols), Math.floor(s * cols), m2);
    assert.equal(Array.from(computeMask(scores, rows, cols, U(s, 'row'))), Array.from(m2), `row trial ${trial}`);
    const m3 = new Uint8Array(rows * cols).fill(1);
    for (let g = 0; g < rows * cols; g += 8) reference(scores, all.slice(g, g + 8), 4, m3);
    assert.equal(Array.from(computeMask(scores, rows, cols, { kind: 'nm', n: 4, m: 8 })), Array.from(m3), `4:8 trial ${trial}`);
  }
});

test('N:M needs d_in divisible by m; NaN scores are refused', () => {
  assert.throws(() => computeMask(new Float64Array(6), 1, 6, { kind: 'nm', n: 2, m: 4 }), /multiple of 4/);
  assert.throws(() => computeMask([1, NaN], 1, 2, U(0.5)), /NaN/);
});

test('parsePattern', () => {
  assert.equal(parsePattern('0.5'), U(0.5));
  assert.equal(parsePattern('60%'), U(0.6));
  assert.equal(parsePattern('0.7', 'row'), U(0.7, 'row'));
  assert.equal(parsePattern('2:4'), { kind: 'nm', n: 2, m: 4 });
  assert.equal(parsePattern('4:8'), { kind: 'nm', n: 4, m: 8 });
  for (const bad of ['1', '1.5', '-0.1', 'abc', '', '5:4', '2:0']) assert.is(parsePattern(bad), null, bad);
});

test.run();

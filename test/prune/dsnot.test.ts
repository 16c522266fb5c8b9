// DSnoT swaps on a hand-worked row, and its invariants on random matrices: the same number of
// pruned weights per row and per N:M group, and an expected error |e_i| that never grows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dsnot } from '../../compiler/prune/dsnot.js';
import { computeMask, type Pattern } from '../../compiler/prune/masks.js';
import { rng } from '../../compiler/util/random.js';

test('one swap on a hand-worked row', () => {
  // W = [1, 2, -1, 0.5], E[x] = 1, Var = 1: pruning 0 and 1 leaves e = 3. Regrow j=1 (largest
  // same-sign contribution, e → 1), prune k=2 (the only kept weight of opposite sign, e → 0).
  const m = { w: Float32Array.from([1, 2, -1, 0.5]), rows: 1, cols: 4 };
  const out = dsnot(m, Uint8Array.from([0, 0, 1, 1]), [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], { kind: 'unstructured', sparsity: 0.5, scope: 'row' });
  assert.equal(Array.from(out), [0, 1, 0, 1]);
  // variance divides the regrow score: noisy channel 1 loses to channel 0 (regrow 0, prune 2:
  // e = 3 → 1); next cycle regrows 1 and prunes 3 (lowest Wanda of sign opposite to e − 2 = −1:
  // e → −0.5); then regrowing 2 (e → 0.5) finds no kept weight of negative sign: stop
  const out2 = dsnot(m, Uint8Array.from([0, 0, 1, 1]), [1, 1, 1, 1], [1, 100, 1, 1], [1, 1, 1, 1], { kind: 'unstructured', sparsity: 0.5, scope: 'row' });
  assert.equal(Array.from(out2), [1, 1, 0, 0]);
  // below the threshold nothing moves
  assert.equal(Array.from(dsnot(m, Uint8Array.from([0, 0, 1, 1]), [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], { kind: 'unstructured', sparsity: 0.5, scope: 'row' }, { maxCycles: 50, threshold: 5, p: 1 })), [0, 0, 1, 1]);
});

test('random matrices: counts per row and per N:M group kept, |e_i| never grows, some swaps happen', () => {
  const r = rng(3);
  const rows = 32, cols = 64;
  const m = { w: Float32Array.from({ length: rows * cols }, () => r() * 2 - 1), rows, cols };
  const mean = Array.from({ length: cols }, () => r() * 2 - 0.5), variance = Array.from({ length: cols }, () => 0.1 + r()), xNorm = variance.map((v, j) => Math.sqrt(v + mean[j] ** 2));
  const err = (mask: Uint8Array, row: number) => { let e = 0; for (let j = 0; j < cols; j++) if (!mask[row * cols + j]) e += m.w[row * cols + j] * mean[j]; return e; };
  for (const pattern of [{ kind: 'unstructured', sparsity: 0.6, scope: 'matrix' }, { kind: 'nm', n: 2, m: 4 }] as Pattern[]) {
    const scores = Float64Array.from(m.w, (w, i) => Math.abs(w) * xNorm[i % cols]);
    const before = computeMask(scores, rows, cols, pattern);
    const after = dsnot(m, before, mean, variance, xNorm, pattern, { maxCycles: 50, threshold: 0.01, p: 1 });
    let changed = 0;
    for (let row = 0; row < rows; row++) {
      const z = (mk: Uint8Array, a: number, b: number) => mk.subarray(row * cols + a, row * cols + b).reduce((s, v) => s + 1 - v, 0);
      assert.is(z(after, 0, cols), z(before, 0, cols), `row ${row}`);
      if (pattern.kind === 'nm') for (let g = 0; g < cols; g += 4) assert.is(z(after, g, g + 4), 2, `row ${row} group ${g}`);
      assert.ok(Math.abs(err(after, row)) <= Math.abs(err(before, row)) + 1e-9, `row ${row}: |e| grew`);
      for (let j = 0; j < cols; j++) if (after[row * cols + j] !== before[row * cols + j]) changed++;
    }
    assert.ok(changed > 0, `${pattern.kind}: no swap happened`);
  }
});

test.run();

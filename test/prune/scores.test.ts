// Every score on a 2x3 matrix worked out by hand (fractions in the expected values, not calls
// to the code under test). W[out][in] = [[1, -2, 3], [4, 0, -6]], ‖X_j‖₂ = [1, 4, 9], so
// |W| column sums are [5, 2, 9], row sums [6, 10], ‖X_j‖^0.5 = [1, 2, 3].
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crepeScores, localMean, magnitudeScores, riaScores, scoreMatrix, wandaScores, type CrepeOptions } from '../../compiler/prune/scores.js';

const m = { w: Float32Array.from([1, -2, 3, 4, 0, -6]), rows: 2, cols: 3 };
const x = [1, 4, 9];

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  assert.is(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])))) {
      assert.unreachable(`element ${i}: got ${actual[i]}, expected ${expected[i]} (all: ${Array.from(actual).join(', ')})`);
    }
  }
}

const opts = (o: Partial<CrepeOptions>): CrepeOptions => ({ k: 3, alpha: 1, beta: 1, gamma: 0, normalize: false, variant: 'A', a: 0.5, ...o });

test('magnitude is |W|', () => {
  close(magnitudeScores(m), [1, 2, 3, 4, 0, 6]);
});

test('Wanda is |W_ij|·‖X_j‖ (columns scaled, not rows)', () => {
  close(wandaScores(m, x), [1, 8, 27, 4, 0, 54]);
});

test('RIA is (|W|/column sum + |W|/row sum)·‖X_j‖^0.5', () => {
  close(riaScores(m, x), [
    (1 / 5 + 1 / 6) * 1, (2 / 2 + 2 / 6) * 2, (3 / 9 + 3 / 6) * 3,
    (4 / 5 + 4 / 10) * 1, 0, (6 / 9 + 6 / 10) * 3,
  ]);
});

test('3x3 local mean clips windows at the borders (count_include_pad=False)', () => {
  // every window spans both rows; columns 0..1, 0..2 and 1..2
  close(localMean(Float64Array.from([1, 2, 3, 4, 0, 6]), 2, 3, 3), [7 / 4, 16 / 6, 11 / 4, 7 / 4, 16 / 6, 11 / 4]);
  close(localMean(Float64Array.from([1, 2, 3, 4, 0, 6]), 2, 3, 1), [1, 2, 3, 4, 0, 6]);
  assert.throws(() => localMean(new Float64Array(6), 2, 3, 2), /odd/);
});

test('CRePE A without normalisation adds |W|/P_3(|W|) to the RI terms', () => {
  close(crepeScores(m, x, opts({ gamma: 1 })), [
    (1 / 5 + 1 / 6 + 4 / 7) * 1, (1 + 1 / 3 + 3 / 4) * 2, (1 / 3 + 1 / 2 + 12 / 11) * 3,
    (4 / 5 + 4 / 10 + 16 / 7) * 1, 0, (2 / 3 + 3 / 5 + 24 / 11) * 3,
  ]);
});

test('CRePE A with α=β=1, γ=0, unnormalised, is RIA', () => {
  close(crepeScores(m, x, opts({})), [(1 / 5 + 1 / 6), (4 / 3) * 2, (5 / 6) * 3, 1.2, 0, (19 / 15) * 3]);
});

test('CRePE A normalised divides each term by its matrix mean, then weights α, β, γ', () => {
  // means: column term 3/6 = 1/d_out, row term 2/6 = 1/d_in, window term below
  const col = [1 / 5, 1, 1 / 3, 4 / 5, 0, 2 / 3], row = [1 / 6, 1 / 3, 1 / 2, 2 / 5, 0, 3 / 5], win = [4 / 7, 3 / 4, 12 / 11, 16 / 7, 0, 24 / 11];
  const winMean = (4 / 7 + 3 / 4 + 12 / 11 + 16 / 7 + 24 / 11) / 6;
  const s = [1, 2, 3, 1, 2, 3];
  close(crepeScores(m, x, opts({ alpha: 2, beta: 3, gamma: 0.5, normalize: true })),
    col.map((c, i) => (2 * c / 0.5 + 3 * row[i] / (1 / 3) + 0.5 * win[i] / winMean) * s[i]));
});

test('CRePE B adds γ·P_3(RI) (smoothed relative importance)', () => {
  const ri = [11 / 30, 4 / 3, 5 / 6, 6 / 5, 0, 19 / 15];
  const p = [(11 / 30 + 4 / 3 + 6 / 5 + 0) / 4, (11 / 30 + 4 / 3 + 5 / 6 + 6 / 5 + 0 + 19 / 15) / 6, (4 / 3 + 5 / 6 + 0 + 19 / 15) / 4];
  const s = [1, 2, 3];
  close(crepeScores(m, x, opts({ gamma: 2, variant: 'B' })), ri.map((r, i) => (r + 2 * p[i % 3]) * s[i % 3]));
});

test('CRePE activation exponent a', () => {
  close(crepeScores(m, x, opts({ a: 1, beta: 0 })), [1 / 5, 1 * 4, 1 / 3 * 9, 4 / 5, 0, 2 / 3 * 9]);
});

test('zero rows, columns, windows and dead channels give finite scores (eps), zero where |W| is zero (variant A)', () => {
  const z = { w: Float32Array.from([0, 0, 0, 0, 0, 0, 0, 5, 0]), rows: 3, cols: 3 };
  for (const method of ['magnitude', 'wanda', 'ria', 'crepe'] as const) {
    for (const variant of ['A', 'B'] as const) {
      const s = scoreMatrix(method, z, [0, 1, 0], { ...opts({ gamma: 1, variant }), normalize: true });
      assert.ok(s.every(Number.isFinite), `${method} ${variant}: ${Array.from(s)}`);
      // B smooths RI into zero neighbours by design, but dead channels (columns 0, 2) score 0
      for (let i = 0; i < 9; i++) if (i !== 7 && (variant === 'A' || method !== 'crepe' || i % 3 !== 1)) assert.is(s[i], 0, `${method} ${variant} [${i}]`);
    }
  }
  const allZero = { w: new Float32Array(4), rows: 2, cols: 2 };
  for (const method of ['magnitude', 'wanda', 'ria', 'crepe'] as const) assert.ok(scoreMatrix(method, allZero, [0, 0]).every((v) => v === 0), method);
});

test.run();

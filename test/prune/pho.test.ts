// PHO's pieces: the seeded CMA-ES (finds a known minimum, repeatably), the Gini and Spearman
// numbers on hand-computed cases, θ decoding, and the proxy on a tiny layer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cmaes, symmetricEigen } from '../../compiler/prune/cmaes.js';
import { hillClimb } from '../../compiler/prune/hillclimb.js';
import { decodeTheta, gini, proxy, spearman, THETA_DEFAULT } from '../../compiler/prune/pho.js';
import { CREPE_DEFAULTS } from '../../compiler/prune/scores.js';

// minimum where 2(x0−1) + 0.5·x1 = 0 and 20(x1+0.5) + 0.5·x0 = 0: x1 = −10.5/19.875, x0 = 1 − x1/4
const f = (x: number[]) => (x[0] - 1) ** 2 + 10 * (x[1] + 0.5) ** 2 + 3 * (x[2] - 0.2) ** 2 + (x[3] - 2) ** 2 + 0.5 * x[0] * x[1];
const x1 = -10.5 / 19.875, xStar = [1 - x1 / 4, x1, 0.2, 2];

test('CMA-ES finds the minimum of a rotated quadratic, the same way for the same seed', async () => {
  const opts = { x0: [0, 0, 0, 0], sigma0: 0.5, lower: [-3, -3, -3, -3], upper: [3, 3, 3, 3], generations: 60, seed: 1 };
  const a = await cmaes(f, opts), b = await cmaes(f, opts);
  xStar.forEach((v, i) => assert.ok(Math.abs(a.best[i] - v) < 1e-3, `x${i} = ${a.best[i]}, expected ${v}`));
  assert.equal(a.best, b.best);
  assert.is(a.evaluations, 60 * 8);
  const c = await cmaes(f, { ...opts, seed: 2, generations: 3 });
  assert.not.equal(c.best, a.best);
});

test('CMA-ES respects the box: candidates are clipped', async () => {
  const r = await cmaes((x) => -x[0] - x[1], { x0: [0, 0], sigma0: 1, lower: [-1, -1], upper: [0.5, 2], generations: 30, seed: 3 });
  assert.equal(r.best, [0.5, 2]);
});

test('symmetric eigendecomposition', () => {
  const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]);
  assert.equal(values.map((v) => Math.round(v * 1e9) / 1e9).sort(), [1, 3]);
  for (let j = 0; j < 2; j++) {
    const v = [vectors[0][j], vectors[1][j]];
    assert.ok(Math.abs(2 * v[0] + v[1] - values[j] * v[0]) < 1e-12 && Math.abs(v[0] + 2 * v[1] - values[j] * v[1]) < 1e-12);
  }
});

test('hill climbing improves coordinate by coordinate within its budget', async () => {
  const r = await hillClimb(f, [0, 0, 0, 0], [1, 1, 1, 1], [-3, -3, -3, -3], [3, 3, 3, 3], 200);
  assert.ok(r.evaluations <= 200);
  assert.ok(r.bestValue < f([0, 0, 0, 0]) && Math.abs(r.best[3] - 2) < 0.05, `${r.best} ${r.bestValue}`);
});

test('Gini and Spearman on hand-computed cases', () => {
  assert.is(gini([1, 1, 1, 1]), 0);
  assert.ok(Math.abs(gini([0, 0, 0, 1]) - 0.75) < 1e-12);
  assert.ok(Math.abs(gini([3, 1, 2]) - 2 / 9) < 1e-12);
  assert.is(gini([]), 0);
  assert.is(spearman([1, 2, 3], [3, 2, 1]), -1);
  assert.ok(Math.abs(spearman([1, 1, 2], [1, 2, 3]) - 1.5 / Math.sqrt(3)) < 1e-12);
});

test('θ decoding: the default θ is CRePE\'s defaults; k odd and clipped to [1, 9]', () => {
  const d = decodeTheta(THETA_DEFAULT);
  assert.is(d.k, CREPE_DEFAULTS.k);
  assert.ok(Math.abs(d.alpha - 1) < 1e-12 && Math.abs(d.beta - 1) < 1e-12 && Math.abs(d.gamma - 0.5) < 1e-12);
  assert.is(decodeTheta([0, 0, 0, 10]).k, 9);
  assert.is(decodeTheta([0, 0, 0, -1]).k, 1);
  assert.is(decodeTheta([0, 0, 0, 2.4]).k, 5);
});

test('proxy: kept Wanda mass and Gini of the pruned entries on a 1x4 layer', () => {
  // magnitude-like ranking: with x = 1 everywhere and one row, CRePE's column term is 1 for
  // every entry, so the row and window terms order the entries by |W|; 2:4 prunes 1 and 2
  const layer = { name: 'l', m: { w: Float32Array.from([1, 4, 2, 3]), rows: 1, cols: 4 }, xNorm: Float64Array.from([1, 1, 1, 1]), wanda: Float64Array.from([1, 4, 2, 3]) };
  const p = proxy([layer], { ...CREPE_DEFAULTS, gamma: 0, alpha: 0 }, { kind: 'nm', n: 2, m: 4 });
  assert.ok(Math.abs(p.keptEnergy - 7 / 10) < 1e-12);
  assert.ok(Math.abs(p.gini - (2 * (1 + 4) / (2 * 3) - 3 / 2)) < 1e-12); // pruned [1, 2]
});

test.run();

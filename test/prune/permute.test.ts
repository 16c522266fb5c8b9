// Channel permutation (RIA's heuristic): a hand-worked π, and the mapped-back mask is N:M in
// every permuted group and keeps at least the score an unpermuted N:M mask keeps on a matrix
// built to need it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { channelPermutation, permutedKeptScore, permutedNMMask, refinePermutation } from '../../compiler/prune/permute.js';
import { linearSumAssignment } from '../../compiler/prune/assignment.js';
import { computeMask } from '../../compiler/prune/masks.js';
import { rng } from '../../compiler/util/random.js';

test('π on a hand-worked 1x8 example, M = 4', () => {
  // column importance [5,1,7,3,8,2,6,4]: ascending 1,5,3,7,0,6,2,4; strata [1,5] [3,7] [0,6] [2,4];
  // group 0 = (1, 7, 0, 4) and group 1 = (5, 3, 6, 2): strata 1 and 3 reversed (snake)
  assert.equal(Array.from(channelPermutation([5, 1, 7, 3, 8, 2, 6, 4], 1, 8, 4)), [1, 7, 0, 4, 5, 3, 6, 2]);
});

test('the mask is N:M along the permuted order and a permutation of the columns is used', () => {
  const r = rng(9);
  const rows = 12, cols = 32;
  const scores = Float64Array.from({ length: rows * cols }, () => r());
  const { mask, perm } = permutedNMMask(scores, rows, cols, 2, 4);
  assert.equal([...perm].sort((a, b) => a - b), Array.from({ length: cols }, (_, i) => i));
  for (let row = 0; row < rows; row++) {
    for (let g = 0; g < cols; g += 4) {
      let kept = 0;
      for (let t = 0; t < 4; t++) kept += mask[row * cols + perm[g + t]];
      assert.is(kept, 2, `row ${row} permuted group ${g}`);
    }
  }
});

test('when important columns sit together, permuting keeps more score than contiguous 2:4', () => {
  // columns 0-3 important (10), 4-7 not (1): contiguous 2:4 must drop two 10s per row
  const rows = 2, cols = 8;
  const scores = Float64Array.from({ length: rows * cols }, (_, i) => (i % cols < 4 ? 10 : 1));
  const kept = (m: Uint8Array) => m.reduce((s, v, i) => s + v * scores[i], 0);
  assert.is(kept(computeMask(scores, rows, cols, { kind: 'nm', n: 2, m: 4 })), 2 * (10 + 10 + 1 + 1));
  assert.is(kept(permutedNMMask(scores, rows, cols, 2, 4).mask), 2 * 40);
});

test('linear sum assignment: a hand-worked 3x3 and brute force over all 720 assignments of a 6x6', () => {
  // costs of the 6 assignments: 6, 11, 5, 9, 7, 6: row 0 -> 1, row 1 -> 0, row 2 -> 2 (5)
  assert.equal(linearSumAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]), [1, 0, 2]);
  const r = rng(4);
  const cost = Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => Math.round(r() * 100)));
  const total = (a: number[]) => a.reduce((s, c, i) => s + cost[i][c], 0);
  let best = Infinity;
  const perms = (rest: number[], acc: number[]): void => {
    if (!rest.length) { best = Math.min(best, total(acc)); return; }
    rest.forEach((c, i) => perms([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, c]));
  };
  perms([0, 1, 2, 3, 4, 5], []);
  const a = linearSumAssignment(cost);
  assert.equal([...a].sort(), [0, 1, 2, 3, 4, 5]);
  assert.is(total(a), best);
});

test('LSA refinement: still a permutation, keeps at least the heuristic\'s score (here more)', () => {
  const r = rng(11);
  const rows = 16, cols = 32;
  const scores = Float64Array.from({ length: rows * cols }, () => r() * (1 + 3 * r()));
  const heuristic = channelPermutation(scores, rows, cols, 4);
  const refined = refinePermutation(scores, rows, cols, heuristic, 2, 4);
  assert.equal([...refined].sort((a, b) => a - b), Array.from({ length: cols }, (_, i) => i));
  const before = permutedKeptScore(scores, rows, cols, heuristic, 2, 4), after = permutedKeptScore(scores, rows, cols, refined, 2, 4);
  assert.ok(after > before, `${after} vs ${before}`);
  // the mask from the refined π is N:M along it and keeps exactly that score
  const { mask, perm } = permutedNMMask(scores, rows, cols, 2, 4, true);
  assert.equal(Array.from(perm), Array.from(refined));
  assert.ok(Math.abs(mask.reduce((s, v, i) => s + v * scores[i], 0) - after) < 1e-9);
});

test.run();

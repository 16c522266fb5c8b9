// Channel permutation for N:M (RIA's heuristic allocation, spec §1, and optionally its LSA
// refinement): input columns are reordered so that each M-group holds a balanced mix of
// important columns, the N:M mask is taken on the permuted scores and mapped back. The mask is
// then N:M along the permuted input order π; permuteGraph.ts stores W[:, π] and absorbs π into
// the producer of x or gathers x[π].
import { linearSumAssignment } from './assignment.js';
import { computeMask } from './masks.js';

/** π (permuted position → original column): columns sorted by Σ_i S_ij ascending, cut into M
 *  strata of G = cols/M; stratum t fills slots t, t+M, t+2M, …, even strata (0-based) in
 *  ascending order and odd strata reversed (snake), so each group gets one column per stratum. */
export function channelPermutation(scores: ArrayLike<number>, rows: number, cols: number, m: number): Uint32Array {
  if (cols % m !== 0) throw new RangeError(`${cols} columns do not split into groups of ${m}`);
  const imp = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) imp[c] += scores[r * cols + c];
  const order = Array.from({ length: cols }, (_, c) => c).sort((a, b) => imp[a] - imp[b] || a - b);
  const G = cols / m;
  const perm = new Uint32Array(cols);
  for (let t = 0; t < m; t++) {
    for (let g = 0; g < G; g++) perm[g * m + t] = order[t * G + (t % 2 === 0 ? g : G - 1 - g)];
  }
  return perm;
}

/** Σ over rows of the n largest scores among the given m columns (what an N:M mask keeps). */
function keptScore(scores: ArrayLike<number>, rows: number, cols: number, group: readonly number[], n: number): number {
  let total = 0;
  const vals = new Float64Array(group.length);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < group.length; t++) vals[t] = scores[r * cols + group[t]];
    vals.sort();
    for (let t = group.length - n; t < group.length; t++) total += vals[t];
  }
  return total;
}

/** Total score an N:M mask keeps on the columns in order π. */
export function permutedKeptScore(scores: ArrayLike<number>, rows: number, cols: number, perm: ArrayLike<number>, n: number, m: number): number {
  let total = 0;
  for (let g = 0; g < cols; g += m) total += keptScore(scores, rows, cols, Array.from({ length: m }, (_, t) => perm[g + t]), n);
  return total;
}

/** RIA's LSA refinement: for each in-group slot t, B[g][h] = the kept score of group g with its
 *  slot-t column replaced by group h's; the assignment maximising Σ B moves the slot-t columns.
 *  Each step keeps at least the score before it (keeping every column where it is is a
 *  feasible assignment). Cost O(M · (G² · rows · M + G³)) with G = cols/M. */
export function refinePermutation(scores: ArrayLike<number>, rows: number, cols: number, perm: Uint32Array, n: number, m: number): Uint32Array {
  const G = cols / m;
  let cur = Uint32Array.from(perm);
  for (let t = 0; t < m; t++) {
    const cost: number[][] = [];
    for (let g = 0; g < G; g++) {
      const group = Array.from({ length: m }, (_, s) => cur[g * m + s]);
      const row: number[] = [];
      for (let h = 0; h < G; h++) { group[t] = cur[h * m + t]; row.push(-keptScore(scores, rows, cols, group, n)); }
      cost.push(row);
    }
    const assign = linearSumAssignment(cost);
    const next = Uint32Array.from(cur);
    for (let g = 0; g < G; g++) next[g * m + t] = cur[assign[g] * m + t];
    cur = next;
  }
  return cur;
}

/** N:M mask (keep n of m) chosen on the permuted columns, in the original column order; `lsa`
 *  refines the heuristic π by linear sum assignment. */
export function permutedNMMask(scores: ArrayLike<number>, rows: number, cols: number, n: number, m: number, lsa = false): { mask: Uint8Array; perm: Uint32Array } {
  const heuristic = channelPermutation(scores, rows, cols, m);
  const perm = lsa ? refinePermutation(scores, rows, cols, heuristic, n, m) : heuristic;
  const permuted = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let p = 0; p < cols; p++) permuted[r * cols + p] = scores[r * cols + perm[p]];
  const pm = computeMask(permuted, rows, cols, { kind: 'nm', n, m });
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let p = 0; p < cols; p++) mask[r * cols + perm[p]] = pm[r * cols + p];
  return { mask, perm };
}

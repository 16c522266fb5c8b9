// Channel permutation for N:M (RIA's heuristic allocation, spec §1, without the LSA step):
// input columns are reordered so that each M-group holds a balanced mix of important columns,
// the N:M mask is taken on the permuted scores and mapped back. The mask is then N:M along the
// permuted input order π: running it needs W[:, π] and a gather x[π] (or π absorbed into the
// producer of x). Carrying π to pack/runtime is not done yet, so this is quality-only for now.
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

/** N:M mask (keep n of m) chosen on the permuted columns, in the original column order. */
export function permutedNMMask(scores: ArrayLike<number>, rows: number, cols: number, n: number, m: number): { mask: Uint8Array; perm: Uint32Array } {
  const perm = channelPermutation(scores, rows, cols, m);
  const permuted = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let p = 0; p < cols; p++) permuted[r * cols + p] = scores[r * cols + perm[p]];
  const pm = computeMask(permuted, rows, cols, { kind: 'nm', n, m });
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let p = 0; p < cols; p++) mask[r * cols + perm[p]] = pm[r * cols + p];
  return { mask, perm };
}

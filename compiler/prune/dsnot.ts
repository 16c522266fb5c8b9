// DSnoT re-pruning (Zhang et al. 2024; spec §4, from zyxxmu/DSnoT), training-free: starting
// from any mask, each output row swaps pruned and kept weights to shrink the expected output
// error its mask causes, e_i = Σ_{j pruned} W_ij·E[x_j], at constant sparsity.
// One cycle on row i: regrow the pruned weight whose contribution W_ij·E[x_j] has the sign of
// e_i (so restoring it reduces |e_i|) with the largest |W_ij·E[x_j]| / Var[x_j]^p, then prune the
// kept weight with the lowest Wanda score |W_ik|·‖X_k‖ among those whose contribution has the
// opposite sign of the updated error (so removing it also moves e_i toward 0); for N:M both are
// in the same M-group. Cycles stop when |e_i| <= threshold, after maxCycles, or when a swap
// would not reduce |e_i|.
import type { Pattern } from './masks.js';
import type { Matrix } from './scores.js';

export interface DsnotOptions { maxCycles: number; threshold: number; p: number }

export const DSNOT_DEFAULTS: DsnotOptions = { maxCycles: 50, threshold: 0.1, p: 1 };

/** Returns a new mask (1 keep, 0 prune) with the same count per row (and per N:M group). */
export function dsnot(m: Matrix, mask: Uint8Array, mean: ArrayLike<number>, variance: ArrayLike<number>, xNorm: ArrayLike<number>, pattern: Pattern, o: DsnotOptions = DSNOT_DEFAULTS): Uint8Array {
  const out = Uint8Array.from(mask);
  const { rows, cols } = m;
  const group = pattern.kind === 'nm' ? pattern.m : cols;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const c = (j: number) => m.w[base + j] * mean[j];
    let e = 0;
    for (let j = 0; j < cols; j++) if (!out[base + j]) e += c(j);
    for (let cycle = 0; cycle < o.maxCycles && Math.abs(e) > o.threshold; cycle++) {
      let grow = -1, growScore = -Infinity;
      for (let j = 0; j < cols; j++) {
        if (out[base + j] || Math.sign(c(j)) !== Math.sign(e)) continue;
        const s = Math.abs(c(j)) / Math.pow(variance[j] + 1e-12, o.p);
        if (s > growScore) { growScore = s; grow = j; }
      }
      if (grow < 0) break;
      const e1 = e - c(grow);
      const g0 = Math.floor(grow / group) * group;
      let cut = -1, cutScore = Infinity;
      for (let k = g0; k < g0 + group; k++) {
        if (!out[base + k] || k === grow || Math.sign(c(k)) === Math.sign(e1)) continue;
        const s = Math.abs(m.w[base + k]) * xNorm[k];
        if (s < cutScore) { cutScore = s; cut = k; }
      }
      if (cut < 0) break;
      const e2 = e1 + c(cut);
      if (Math.abs(e2) >= Math.abs(e)) break;
      out[base + grow] = 1;
      out[base + cut] = 0;
      e = e2;
    }
  }
  return out;
}

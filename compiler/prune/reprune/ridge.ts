// Ridge least squares with a bias, accumulated row by row: [Wᵀ; b] = (X̃ᵀX̃ + λI)⁻¹ X̃ᵀ Y with
// X̃ = [X, 1]. Memory is (d+1)² + (d+1)·o whatever the number of rows, in float64.
// λ = rel · tr(XᵀX)/d (scale-free); the bias column is not shrunk, so it can absorb the mean
// contribution of removed channels (the He et al. 2017 / ThiNet reconstruction step).

import { choleskySolve } from '../../util/ridge.js';

export class Ridge {
  rows = 0;
  /** Σ‖y‖² over the rows, for residual() */
  private yy = 0;
  private readonly A: Float64Array; // (d+1)×(d+1), X̃ᵀX̃
  private readonly B: Float64Array; // (d+1)×o,     X̃ᵀY

  constructor(readonly d: number, readonly o: number) {
    this.A = new Float64Array((d + 1) * (d + 1));
    this.B = new Float64Array((d + 1) * o);
  }

  /** one row: x (d features), y (o targets) */
  add(x: ArrayLike<number>, y: ArrayLike<number>): void {
    const { d, o, A, B } = this, D = d + 1;
    for (let i = 0; i <= d; i++) {
      const xi = i < d ? x[i] : 1;
      if (xi === 0) continue;
      const row = i * D;
      for (let j = i; j < d; j++) A[row + j] += xi * x[j];
      A[row + d] += xi;
      for (let t = 0; t < o; t++) B[i * o + t] += xi * y[t];
    }
    for (let t = 0; t < o; t++) this.yy += y[t] * y[t];
    this.rows++;
  }

  /** The rows of both (same d and o) in one accumulator. */
  static combine(a: Ridge, b: Ridge): Ridge {
    const r = new Ridge(a.d, a.o);
    for (let i = 0; i < r.A.length; i++) r.A[i] = a.A[i] + b.A[i];
    for (let i = 0; i < r.B.length; i++) r.B[i] = a.B[i] + b.B[i];
    r.yy = a.yy + b.yy;
    r.rows = a.rows + b.rows;
    return r;
  }

  /** Σ‖y − W x − b‖² over this accumulator's rows, from the sums alone (no rows kept):
   *  ΣyᵀY − 2 Σ_t w̃_tᵀ (X̃ᵀY)_t + Σ_t w̃_tᵀ (X̃ᵀX̃) w̃_t with w̃_t = [W_t; b_t]. */
  residual(sol: { W: Float64Array; b: Float64Array }): number {
    const { d, o, A, B } = this, D = d + 1;
    const w = new Float64Array(D);
    let e = this.yy;
    for (let t = 0; t < o; t++) {
      for (let i = 0; i < d; i++) w[i] = sol.W[t * d + i];
      w[d] = sol.b[t];
      for (let i = 0; i < D; i++) {
        e -= 2 * w[i] * B[i * o + t];
        e += w[i] * w[i] * A[i * D + i];
        for (let j = i + 1; j < D; j++) e += 2 * w[i] * w[j] * A[i * D + j]; // upper triangle stored
      }
    }
    return e;
  }

  /** The ridge strength (relative, as in solve) of `grid` with the least held-out error: fit on
   *  one accumulator, measure on the other, both ways. For layers with few rows per unknown. */
  static chooseStrength(a: Ridge, b: Ridge, grid: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]): number {
    let best = grid[0], bestErr = Infinity;
    for (const rel of grid) {
      const err = b.residual(a.solve(rel)) + a.residual(b.solve(rel));
      if (err < bestErr) { best = rel; bestErr = err; }
    }
    return best;
  }

  /** W as o×d (row t = weights of target t) and b (o). */
  solve(rel = 1e-4): { W: Float64Array; b: Float64Array } {
    const { d, o } = this, D = d + 1;
    const A = new Float64Array(D * D);
    for (let i = 0; i < D; i++) for (let j = i; j < D; j++) A[i * D + j] = A[j * D + i] = this.A[i * D + j];
    let tr = 0;
    for (let i = 0; i < d; i++) tr += A[i * D + i];
    const lambda = Math.max(rel * tr / Math.max(1, d), 1e-12);
    for (let i = 0; i < d; i++) A[i * D + i] += lambda;
    A[d * D + d] += 1e-12 * Math.max(1, this.rows);
    const X = choleskySolve(A, this.B, D, o); // D×o: rows 0..d-1 are Wᵀ, row d is b
    const W = new Float64Array(o * d), b = X.slice(d * o);
    for (let t = 0; t < o; t++) for (let i = 0; i < d; i++) W[t * d + i] = X[i * o + t];
    return { W, b };
  }
}

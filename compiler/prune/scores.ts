// Importance scores of the CRePE family (spec: shared/methods/crepe.md), higher = keep.
// All take the weight as W[out][in] row-major (d_out rows, d_in columns) and, where they use
// activations, xNorm[j] = ‖X_j‖₂ of input channel j (any per-layer constant factor, such as
// RMS instead of the plain norm, leaves the ranking inside a matrix unchanged). Computed in
// float64; every denominator carries EPS so all-zero rows, columns or windows score 0, not NaN.

export const EPS = 1e-12;

export interface Matrix { w: Float32Array; rows: number; cols: number }

export type ScoreMethod = 'magnitude' | 'wanda' | 'ria' | 'crepe';

export interface CrepeOptions {
  /** odd window size of the neighbourhood term */
  k: number;
  /** weights of the column (÷ Σ_k |W_kj|), row (÷ Σ_k |W_ik|) and window terms */
  alpha: number;
  beta: number;
  gamma: number;
  /** divide each term by its mean over the matrix before weighting (spec: the raw terms
   *  differ by orders of magnitude); false gives RIA exactly for α=β=1, γ=0 */
  normalize: boolean;
  /** 'A': γ·|W|/P_k(|W|) (relative to the window mean); 'B': γ·P_k(RI) (smoothed RI) */
  variant: 'A' | 'B';
  /** activation exponent: ‖X_j‖^a */
  a: number;
}

/** Defaults chosen a priori (middle of the spec's starting grid), not tuned on the fixture. */
export const CREPE_DEFAULTS: CrepeOptions = { k: 3, alpha: 1, beta: 1, gamma: 0.5, normalize: true, variant: 'A', a: 0.5 };

export const RIA_A = 0.5;

function abs(m: Matrix): Float64Array {
  const a = new Float64Array(m.w.length);
  for (let i = 0; i < a.length; i++) a[i] = Math.abs(m.w[i]); // a plain loop: TypedArray.from(x, fn) is slow in V8
  return a;
}

export function magnitudeScores(m: Matrix): Float64Array {
  return abs(m);
}

/** Wanda: |W_ij|·‖X_j‖₂ */
export function wandaScores(m: Matrix, xNorm: ArrayLike<number>): Float64Array {
  const s = abs(m);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) s[r * m.cols + c] *= xNorm[c];
  return s;
}

/** Σ_k |W_kj| per column j and Σ_k |W_ik| per row i */
function sums(a: Float64Array, rows: number, cols: number): { col: Float64Array; row: Float64Array } {
  const col = new Float64Array(cols), row = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) { const v = a[r * cols + c]; col[c] += v; row[r] += v; }
  return { col, row };
}

/** The relative-importance terms |W_ij|/Σ_k|W_kj| (column) and |W_ij|/Σ_k|W_ik| (row). */
function riTerms(a: Float64Array, rows: number, cols: number): { colTerm: Float64Array; rowTerm: Float64Array } {
  const { col, row } = sums(a, rows, cols);
  const colTerm = new Float64Array(a.length), rowTerm = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      colTerm[i] = a[i] / (col[c] + EPS);
      rowTerm[i] = a[i] / (row[r] + EPS);
    }
  }
  return { colTerm, rowTerm };
}

/** Multiply column j by xNorm[j]^p in place. */
function scaleColumns(s: Float64Array, cols: number, xNorm: ArrayLike<number>, p: number): Float64Array {
  const f = Float64Array.from({ length: cols }, (_, c) => Math.pow(xNorm[c], p));
  for (let i = 0; i < s.length; i++) s[i] *= f[i % cols];
  return s;
}

/** RIA: (|W_ij|/Σ_k|W_kj| + |W_ij|/Σ_k|W_ik|) · ‖X_j‖₂^a, a = 0.5 */
export function riaScores(m: Matrix, xNorm: ArrayLike<number>, a = RIA_A): Float64Array {
  const { colTerm, rowTerm } = riTerms(abs(m), m.rows, m.cols);
  for (let i = 0; i < colTerm.length; i++) colTerm[i] += rowTerm[i];
  return scaleColumns(colTerm, m.cols, xNorm, a);
}

/** k×k local mean with windows clipped at the borders (avg_pool2d, stride 1, padding k//2,
 *  count_include_pad=False), through an integral image so large k cost the same. */
export function localMean(x: Float64Array, rows: number, cols: number, k: number): Float64Array {
  if (k < 1 || k % 2 !== 1) throw new RangeError(`window size must be odd and positive, got ${k}`);
  const h = (k - 1) / 2, W = cols + 1;
  const ii = new Float64Array((rows + 1) * W);
  for (let r = 0; r < rows; r++) {
    let run = 0;
    for (let c = 0; c < cols; c++) { run += x[r * cols + c]; ii[(r + 1) * W + c + 1] = ii[r * W + c + 1] + run; }
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const r0 = Math.max(0, r - h), r1 = Math.min(rows, r + h + 1);
    for (let c = 0; c < cols; c++) {
      const c0 = Math.max(0, c - h), c1 = Math.min(cols, c + h + 1);
      const sum = ii[r1 * W + c1] - ii[r0 * W + c1] - ii[r1 * W + c0] + ii[r0 * W + c0];
      out[r * cols + c] = sum / ((r1 - r0) * (c1 - c0));
    }
  }
  return out;
}

function mean(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

/** x / mean(x), or x unchanged when its mean is 0 (all-zero matrix) */
function normalized(x: Float64Array, on: boolean): Float64Array {
  const m = on ? mean(x) : 0;
  if (m > 0) for (let i = 0; i < x.length; i++) x[i] /= m;
  return x;
}

/** CRePE, reconstructed (spec §2; the paper's formula is not public).
 *  A: (α·|W|/Σcol + β·|W|/Σrow + γ·|W|/P_k(|W|)) · ‖X_j‖^a
 *  B: (RI + γ·P_k(RI)) · ‖X_j‖^a with RI = α·|W|/Σcol + β·|W|/Σrow
 *  With `normalize`, each term (column, row, window) is divided by its matrix mean first. */
export function crepeScores(m: Matrix, xNorm: ArrayLike<number>, o: CrepeOptions = CREPE_DEFAULTS): Float64Array {
  const a = abs(m);
  const { colTerm, rowTerm } = riTerms(a, m.rows, m.cols);
  normalized(colTerm, o.normalize);
  normalized(rowTerm, o.normalize);
  const ri = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) ri[i] = o.alpha * colTerm[i] + o.beta * rowTerm[i];
  let s: Float64Array;
  if (o.variant === 'A') {
    const p = localMean(a, m.rows, m.cols, o.k);
    const win = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) win[i] = a[i] / (p[i] + EPS);
    normalized(win, o.normalize);
    s = ri;
    for (let i = 0; i < a.length; i++) s[i] += o.gamma * win[i];
  } else {
    const p = localMean(ri, m.rows, m.cols, o.k);
    s = ri;
    for (let i = 0; i < a.length; i++) s[i] += o.gamma * p[i];
  }
  return scaleColumns(s, m.cols, xNorm, o.a);
}

/** The score of `method` for one matrix; xNorm is required by all but magnitude. */
export function scoreMatrix(method: ScoreMethod, m: Matrix, xNorm: ArrayLike<number> | undefined, crepe: CrepeOptions = CREPE_DEFAULTS): Float64Array {
  if (method === 'magnitude') return magnitudeScores(m);
  if (!xNorm) throw new Error(`internal: ${method} needs activation norms`);
  if (method === 'wanda') return wandaScores(m, xNorm);
  if (method === 'ria') return riaScores(m, xNorm);
  return crepeScores(m, xNorm, crepe);
}

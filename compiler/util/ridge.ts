// Ridge least squares with an intercept, in float64: min ‖F·W + 1·bᵀ − Y‖² + λ‖W‖², solved
// by Cholesky on the normal equations of the centred data (the intercept is not penalised).
// Used to refit a pruned layer's weights to the dense model's outputs (a few hundred features
// and a few thousand calibration rows, so forming FᵀF is the cheap way).

export interface RidgeFit { w: Float64Array; b: Float64Array }

/** F: rows × n features, Y: rows × m targets (row-major float32). λ = ridge · mean(diag of the
 *  centred FᵀF), so the setting does not depend on the feature scale. */
export function ridgeFit(F: Float32Array, Y: Float32Array, rows: number, n: number, m: number, ridge = 1e-3, intercept = true): RidgeFit {
  const muF = new Float64Array(n), muY = new Float64Array(m);
  if (intercept) {
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) muF[i] += F[r * n + i];
      for (let j = 0; j < m; j++) muY[j] += Y[r * m + j];
    }
    for (let i = 0; i < n; i++) muF[i] /= rows;
    for (let j = 0; j < m; j++) muY[j] /= rows;
  }
  const G = new Float64Array(n * n), R = new Float64Array(n * m);
  const f = new Float64Array(n), y = new Float64Array(m);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) f[i] = F[r * n + i] - muF[i];
    for (let j = 0; j < m; j++) y[j] = Y[r * m + j] - muY[j];
    for (let i = 0; i < n; i++) {
      const fi = f[i];
      if (fi === 0) continue;
      for (let k = i; k < n; k++) G[i * n + k] += fi * f[k];
      for (let j = 0; j < m; j++) R[i * m + j] += fi * y[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < n; i++) trace += G[i * n + i];
  const lambda = Math.max(ridge * trace / n, 1e-12);
  for (let i = 0; i < n; i++) { G[i * n + i] += lambda; for (let k = 0; k < i; k++) G[i * n + k] = G[k * n + i]; }
  const w = choleskySolve(G, R, n, m);
  const b = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = muY[j];
    for (let i = 0; i < n; i++) s -= muF[i] * w[i * m + j];
    b[j] = s;
  }
  return { w, b };
}

/** Solves A·X = B for symmetric positive definite A (n × n), B (n × m); A is overwritten. */
export function choleskySolve(A: Float64Array, B: Float64Array, n: number, m: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j];
    for (let k = 0; k < j; k++) s -= A[j * n + k] ** 2;
    if (!(s > 0)) throw new Error('internal: the normal equations are not positive definite');
    const d = Math.sqrt(s);
    A[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let k = 0; k < j; k++) t -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = t / d;
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) { // L y = b
      let t = X[i * m + c];
      for (let k = 0; k < i; k++) t -= A[i * n + k] * X[k * m + c];
      X[i * m + c] = t / A[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) { // Lᵀ x = y
      let t = X[i * m + c];
      for (let k = i + 1; k < n; k++) t -= A[k * n + i] * X[k * m + c];
      X[i * m + c] = t / A[i * n + i];
    }
  }
  return X;
}

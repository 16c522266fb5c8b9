// A small (μ/μ_w, λ)-CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016, default
// parameters), minimising f over a box. Seeded by the project PRNG, so a search is repeatable.
// Candidates are clipped to the box for evaluation; the update uses the unclipped samples.
// Meant for a handful of dimensions (PHO searches 4): the eigendecomposition is plain Jacobi.
import { normal as normalDraw, rng } from '../util/random.js';

export interface CmaesOptions {
  x0: number[];
  sigma0: number;
  lower: number[];
  upper: number[];
  generations: number;
  seed: number;
  /** default 4 + ⌊3 ln n⌋ */
  popsize?: number;
  /** called after each generation (for a progress bar) */
  onGeneration?: (done: number, total: number) => void;
}

export interface CmaesResult { best: number[]; bestValue: number; evaluations: number; history: { generation: number; best: number; mean: number[] }[] }

/** Eigenvalues and column eigenvectors of a symmetric matrix (cyclic Jacobi rotations). */
export function symmetricEigen(a: number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const A = a.map((r) => [...r]);
  const V: number[][] = A.map((_, i) => A.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(A[p][q]) < 1e-300) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) { const akp = A[k][p], akq = A[k][q]; A[k][p] = c * akp - s * akq; A[k][q] = s * akp + c * akq; }
        for (let k = 0; k < n; k++) { const apk = A[p][k], aqk = A[q][k]; A[p][k] = c * apk - s * aqk; A[q][k] = s * apk + c * aqk; }
        for (let k = 0; k < n; k++) { const vkp = V[k][p], vkq = V[k][q]; V[k][p] = c * vkp - s * vkq; V[k][q] = s * vkp + c * vkq; }
      }
    }
  }
  return { values: A.map((r, i) => r[i]), vectors: V };
}

export async function cmaes(f: (x: number[]) => number | Promise<number>, o: CmaesOptions): Promise<CmaesResult> {
  const n = o.x0.length;
  const lambda = o.popsize ?? 4 + Math.floor(3 * Math.log(n));
  const mu = Math.floor(lambda / 2);
  const wRaw = Array.from({ length: mu }, (_, i) => Math.log(mu + 0.5) - Math.log(i + 1));
  const wSum = wRaw.reduce((a, b) => a + b, 0);
  const w = wRaw.map((v) => v / wSum);
  const mueff = 1 / w.reduce((a, b) => a + b * b, 0);
  const cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n);
  const cs = (mueff + 2) / (n + mueff + 5);
  const c1 = 2 / ((n + 1.3) ** 2 + mueff);
  const cmu = Math.min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff));
  const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));

  const r = rng(o.seed);
  const normal = () => normalDraw(r);
  const clip = (x: number[]) => x.map((v, i) => Math.min(o.upper[i], Math.max(o.lower[i], v)));

  let m = [...o.x0], sigma = o.sigma0;
  let C: number[][] = m.map((_, i) => m.map((__, j) => (i === j ? 1 : 0)));
  let pc = new Array(n).fill(0), ps = new Array(n).fill(0);
  let best = clip(m), bestValue = Infinity, evaluations = 0;
  const history: CmaesResult['history'] = [];

  for (let gen = 0; gen < o.generations; gen++) {
    const { values, vectors: B } = symmetricEigen(C);
    const D = values.map((v) => Math.sqrt(Math.max(v, 1e-20)));
    const pop: { x: number[]; y: number[]; f: number }[] = [];
    for (let k = 0; k < lambda; k++) {
      const z = Array.from({ length: n }, normal);
      const y = B.map((row) => row.reduce((s, b, j) => s + b * D[j] * z[j], 0));
      const x = m.map((mi, i) => mi + sigma * y[i]);
      const fx = await f(clip(x));
      evaluations++;
      pop.push({ x, y, f: fx });
      if (fx < bestValue) { bestValue = fx; best = clip(x); }
    }
    pop.sort((a, b) => a.f - b.f);
    const old = m;
    m = old.map((_, i) => pop.slice(0, mu).reduce((s, p, k) => s + w[k] * p.x[i], 0));
    const step = m.map((v, i) => (v - old[i]) / sigma);
    // C^{-1/2} · step = B D⁻¹ Bᵀ step
    const bt = B[0].map((_, j) => B.reduce((s, row, i) => s + row[j] * step[i], 0));
    const invSqrt = B.map((row) => row.reduce((s, b, j) => s + b * bt[j] / D[j], 0));
    ps = ps.map((v, i) => (1 - cs) * v + Math.sqrt(cs * (2 - cs) * mueff) * invSqrt[i]);
    const psNorm = Math.hypot(...ps);
    const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * (gen + 1))) / chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    pc = pc.map((v, i) => (1 - cc) * v + hsig * Math.sqrt(cc * (2 - cc) * mueff) * step[i]);
    C = C.map((row, i) => row.map((cij, j) => {
      let rankMu = 0;
      for (let k = 0; k < mu; k++) rankMu += w[k] * ((pop[k].x[i] - old[i]) / sigma) * ((pop[k].x[j] - old[j]) / sigma);
      return (1 - c1 - cmu) * cij + c1 * (pc[i] * pc[j] + (1 - hsig) * cc * (2 - cc) * cij) + cmu * rankMu;
    }));
    sigma *= Math.exp((cs / damps) * (psNorm / chiN - 1));
    history.push({ generation: gen, best: bestValue, mean: clip(m) });
    o.onGeneration?.(gen + 1, o.generations);
  }
  return { best, bestValue, evaluations, history };
}

// The harness the sparse weight kernels' tests share (2:4: gemm_nm.test.ts, csr:
// gemm_csr.test.ts): a GEMM C = W·B (+ bias, act) and an NCHW conv with a masked weight in some
// packed format, run on guarded buffers and checked against the float64 references of
// ./dense.ts. The format enters only through `mask` (the test's own reference mask) and `pack`
// (the packed weight's argument list, laid out in the module).
import { guardsIntact, putGuarded, SENTINEL, type KernelModule } from './kernels.js';
import { ACT_CASES, checkClose, conv2dRef, convOutShape, matmulRef, randArray, type ConvParams } from './dense.js';

export interface SparseGemmCase { M: number; N: number; K: number; trans?: boolean; bias?: boolean; act?: number; ldcPad?: number }

export interface SparseFormat {
  /** the masked rows x K weight, from a dense one */
  mask(w: Float32Array, rows: number, K: number, seed: number): Float32Array;
  /** GEMM: the packed weight (rows x K, row-major) as kernel arguments */
  packGemm(m: KernelModule, w: Float32Array, rows: number, K: number): number[];
  /** conv: the packed W[Cout][Cin/G][kh][kw] as kernel arguments */
  packConv(m: KernelModule, w: Float32Array, p: ConvParams): number[];
  gemmScratch(N: number, K: number): number;
  convScratch(P: number, K: number): number;
}

/** C[M][N] (leading dim N + ldcPad) = W·B with B stored [K][N] or transposed [N][K] (the
 *  activations X[T][K] of a MatMul); null when it matches, else what went wrong */
export function runSparseGemm(m: KernelModule, fn: string, f: SparseFormat, c: SparseGemmCase, seed: number): string | null {
  m.reset();
  const { M, N, K } = c, ldc = N + (c.ldcPad ?? 0);
  const { act, alpha, beta } = ACT_CASES[c.act ?? 0];
  const W = f.mask(randArray(M * K, seed), M, K, seed + 3), Bm = randArray(K * N, seed + 1);
  const bias = c.bias ? randArray(M, seed + 2) : null;
  const bStore = c.trans ? Float32Array.from({ length: K * N }, (_, i) => Bm[(i % K) * N + Math.floor(i / K)]) : Bm;
  const wArgs = f.packGemm(m, W, M, K), pB = m.put(bStore), pBias = bias ? m.put(bias) : 0;
  const pC = putGuarded(m, M * ldc);
  const sBytes = f.gemmScratch(N, K), pS = putGuarded(m, sBytes / 4);
  m.k[fn](M, N, K, ...wArgs, pB, c.trans ? 1 : N, c.trans ? K : 1, pC, ldc, pBias, act, alpha, beta, pS);
  const what = `${fn} ${JSON.stringify(c)}`;
  if (!guardsIntact(m, pC, M * ldc)) return `${what}: wrote outside C`;
  if (!guardsIntact(m, pS, sBytes / 4)) return `${what}: wrote outside its scratch`;
  const out = m.f32(pC, M * ldc), got = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let n = 0; n < ldc; n++) {
    if (n < N) got[i * N + n] = out[i * ldc + n];
    else if (out[i * ldc + n] !== SENTINEL) return `${what}: wrote C padding`;
  }
  const ref = matmulRef(M, N, K, (i, k) => W[i * K + k], (k, n) => Bm[k * N + n], (i) => (bias ? bias[i] : 0));
  return checkClose(got, ref, what, 1e-5, 1e-6, act, alpha, beta);
}

export type SparseConvCase = Partial<ConvParams> & { C: number; Cout: number; H: number; W: number; k: number; act?: number; bias?: boolean };

/** an NCHW conv against conv2dRef: kernel k x k, strides sh, pads pt on every side and no
 *  dilation unless kw, sw, pl / pb / pr, dh / dw say otherwise */
export function runSparseConv(m: KernelModule, fn: string, f: SparseFormat, c: SparseConvCase, seed: number): string | null {
  m.reset();
  const p: ConvParams = { N: c.N ?? 1, C: c.C, H: c.H, W: c.W, Cout: c.Cout, kh: c.k, kw: c.kw ?? c.k, sh: c.sh ?? 1, sw: c.sw ?? c.sh ?? 1,
    pt: c.pt ?? 0, pl: c.pl ?? c.pt ?? 0, pb: c.pb ?? c.pt ?? 0, pr: c.pr ?? c.pl ?? c.pt ?? 0, dh: c.dh ?? 1, dw: c.dw ?? 1, G: c.G ?? 1 };
  const { act, alpha, beta } = ACT_CASES[c.act ?? 0];
  const [Ho, Wo] = convOutShape(p), K = (p.C / p.G) * p.kh * p.kw;
  const x = randArray(p.N * p.C * p.H * p.W, seed), w = f.mask(randArray(p.Cout * K, seed + 1), p.Cout, K, seed + 4);
  const bias = c.bias === false ? null : randArray(p.Cout, seed + 2);
  const pX = m.put(x), wArgs = f.packConv(m, w, p), pBias = bias ? m.put(bias) : 0;
  const outLen = p.N * p.Cout * Ho * Wo, pY = putGuarded(m, outLen);
  const sBytes = f.convScratch(Ho * Wo, K), pS = putGuarded(m, sBytes / 4);
  m.k[fn](pX, p.N, p.C, p.H, p.W, ...wArgs, pY, p.Cout, Ho, Wo, p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.dh, p.dw, p.G, pBias, act, alpha, beta, pS);
  const what = `${fn} ${JSON.stringify(c)}`;
  if (!guardsIntact(m, pY, outLen)) return `${what}: wrote outside Y`;
  if (!guardsIntact(m, pS, sBytes / 4)) return `${what}: wrote outside its scratch`;
  return checkClose(m.f32(pY, outLen), conv2dRef(p, x, w, bias), what, 1e-5, 1e-6, act, alpha, beta);
}

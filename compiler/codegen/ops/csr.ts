// Unstructured sparse weights: when a layer runs on the csr kernels (assembly/gemm_csr.ts), and
// the calls. A weight whose zeros form no N:M pattern goes csr when its sparsity reaches the
// crossover measured by compiler/bench/csr-crossover.ts for its path (below it the dense kernel
// is faster, so the layer stays dense); the manifest's reason cites the measured numbers.
// MatMul/Gemm run as the 2:4 path does: Yᵀ = Wᵀ·Xᵀ with the kernel reading X transposed, then
// one transpose; fewer than 16 activation rows take the csr GEMV, one call per row.
import type { LowerCtx, WeightFormatInfo } from '../lower.js';
import type { Target } from '../target.js';
import { selectKernel } from '../kernels/registry.js';
import { convCSRScratchBytes, csrScratchBytes, NM_NR } from '../kernels/gemm-blocking.js';
import type { NMSource } from '../../pack/nm.js';
import { packConvWeightCSR, packCSRGemv, packCSRRows, type CSRPacked } from '../../pack/csr.js';
import { addr } from './matmul.js';
import { call } from './args.js';

/** one path's measured crossover: `at` the sparsity where csr and dense are equally fast
 *  (interpolated), `use` the threshold taken, with the measured csr/dense ratios there and at 90% */
export interface Crossover { shape: string; at: number; use: number; ratioAtUse: number; ratio90: number }
type Paths<T> = { matmul: T; conv: T; gemv: T };

/** Measured crossovers per target (bench csr-crossover, 2026-11-26 15:54Z, Intel Xeon
 *  Sapphire-Rapids class, load ~2, 5 interleaved rounds, docs/sparse.md; GEMV from the 16:17Z
 *  3-round run, which agreed with a 1-round one: the dense GEMV read 30-50% slower in the 15:54
 *  run, csr the same in all three). `use` is the first
 *  measured sparsity with csr at least 1.1x dense on every shape of the path (a margin for the
 *  noise and for shapes smaller than the measured ones). On wasm-relaxed-simd dense fuses its
 *  multiply-adds (60 GFLOP/s against 45) while csr gains less from FMA (its loads bind it), so
 *  csr pays later there. */
const CSR_CROSSOVER: { simd128: Paths<Crossover>; relaxed: Paths<Crossover> } = {
  simd128: {
    matmul: { shape: 'MatMul 512x512·512x512', at: 0.30, use: 0.4, ratioAtUse: 1.17, ratio90: 5.77 },
    conv: { shape: '3x3 conv 64→64 56x56', at: 0.36, use: 0.5, ratioAtUse: 1.25, ratio90: 3.76 },
    gemv: { shape: 'GEMV 1024x4096 in L3 (51% from DRAM at 4096x4096)', at: 0.53, use: 0.6, ratioAtUse: 1.19, ratio90: 4.47 },
  },
  relaxed: {
    matmul: { shape: 'MatMul 512x512·512x512', at: 0.52, use: 0.6, ratioAtUse: 1.19, ratio90: 4.69 },
    conv: { shape: '3x3 conv 64→64 56x56', at: 0.56, use: 0.7, ratioAtUse: 1.38, ratio90: 3.00 },
    gemv: { shape: 'GEMV 1024x4096 in L3 (52% from DRAM at 4096x4096)', at: 0.53, use: 0.6, ratioAtUse: 1.18, ratio90: 4.35 },
  },
};

/** From this sparsity csr beats the N:M kernels even on a weight whose zeros happen to fit 2:4 or
 *  4:8, as most 90% sparse ones do: the first measured sparsity with csr at least 1.1x the 2:4
 *  kernel (the faster of the two N:M patterns) on every shape of the path, same run as above.
 *  csr = 2:4 at 62% (MatMul), 68% (conv), 72% (GEMV) on simd128 and 70%, 73%, 73% on
 *  relaxed-simd; csr/2:4 at the threshold 1.22 (MatMul 70%), 1.37 (conv 80%), 1.31-1.38 (GEMV
 *  80%) on simd128, 1.53, 1.25, 1.28-1.31 at 80% on relaxed-simd. */
const CSR_OVER_NM: { simd128: Paths<number>; relaxed: Paths<number> } = {
  simd128: { matmul: 0.7, conv: 0.8, gemv: 0.8 },
  relaxed: { matmul: 0.8, conv: 0.8, gemv: 0.8 },
};

/** the measured thresholds of a target's build (relaxed-simd has its own) */
export const crossoverFor = (target: Target): Paths<Crossover> => (target.features.relaxedSimd ? CSR_CROSSOVER.relaxed : CSR_CROSSOVER.simd128);
export const csrOverNMFor = (target: Target): Paths<number> => (target.features.relaxedSimd ? CSR_OVER_NM.relaxed : CSR_OVER_NM.simd128);

/** should an unstructured-looking weight skip the N:M check and take the csr choice? */
export function csrBeforeNM(target: Target, sparsity: number, columns: number, gemvOk: boolean): boolean {
  const t = csrOverNMFor(target);
  return sparsity >= (columns < NM_NR ? t.gemv : gemvOk ? t.matmul : t.conv);
}

export interface CSRChoice extends WeightFormatInfo { csr: boolean; /** the csr GEMV kernel, one call per activation row */ csrGemv?: boolean }

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** csr or dense for an unstructured weight (rows x K, `columns` activation columns per call).
 *  gemvOk: the lowering has a one-row path (MatMul/Gemm); without it (Conv) fewer than 16
 *  columns stay dense. blocker: why the lowering cannot take a sparse path, or null. */
export function chooseCSR(target: Target, sparsity: number, columns: number, blocker: string | null, gemvOk: boolean): CSRChoice {
  const dense = (reason: string): CSRChoice => ({ csr: false, format: 'dense', sparsity, reason: `${pct(sparsity)} unstructured zeros, ${reason}` });
  if (!target.features.simd) return dense(`but target ${target.name} has no SIMD: the csr kernels are chosen for simd128 builds`);
  if (blocker) return dense(`but ${blocker}`);
  const gemv = columns < NM_NR;
  if (gemv && !gemvOk) return dense(`but only ${columns} activation column(s) per call: the 1x16 tile would run mostly empty`);
  const c = crossoverFor(target), x = gemv ? c.gemv : gemvOk ? c.matmul : c.conv;
  const measured = `bench csr-crossover on ${target.name}, ${x.shape}: csr = dense at ${pct(x.at)}, ${x.ratioAtUse}x at ${pct(x.use)}, ${x.ratio90}x at 90%`;
  if (sparsity < x.use) return dense(`below the ${pct(x.use)} threshold (${measured}): stays dense`);
  const kernel = gemv ? `the csr GEMV kernel, one call per activation row (${columns})` : `the csr kernel over ${columns} activation columns`;
  return { csr: true, csrGemv: gemv, format: 'csr', sparsity, reason: `${pct(sparsity)} unstructured zeros: ${kernel} (${measured})` };
}

const offsetBytes = (pk: CSRPacked) => new Uint8Array(pk.offsets.buffer, pk.offsets.byteOffset, pk.offsets.byteLength);

function weightArgs(ctx: LowerCtx, pk: CSRPacked, name: string): string[] {
  return [ctx.weight(pk.ptr, `${name}:W csr ptr`), ctx.weight(pk.values, `${name}:W csr values`), ctx.weight(offsetBytes(pk), `${name}:W csr offsets`)];
}

/** Y[rows][N] = X[rows][K]·W (+ per-column bias, act) with W unstructured sparse, given as N rows
 *  x K (matMulWeightSource); alpha scales W. Returns the kernel calls. */
export function lowerMatMulCSR(ctx: LowerCtx, choice: Pick<CSRChoice, "csrGemv">, src: NMSource, K: number, N: number, rows: number,
  alpha: number, x: string, y: string, bias: string, act: string[]): string {
  const name = ctx.node.name;
  if (choice.csrGemv) {
    const v = selectKernel('gemv_csr', ctx.target, 'csr')!;
    ctx.useKernel(v.id);
    const pk = packCSRGemv(src, N, K, alpha, name), wa = weightArgs(ctx, pk, name).join(', ');
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) lines.push(`k.${v.fn}(${N}, ${K}, ${pk.KB}, ${wa}, ${addr(x, r * K * 4)}, ${addr(y, r * N * 4)}, ${bias}, ${act.join(', ')});`);
    return lines.join('\n');
  }
  const v = selectKernel('gemm_csr', ctx.target, 'csr')!;
  ctx.useKernel(v.id);
  const pk = packCSRRows(src, N, K, alpha, name);
  const yt = ctx.scratch(N * rows * 4, `${name}:Yᵀ`), scratch = ctx.scratch(csrScratchBytes(rows, K), `${name}:gemm_csr`);
  return [`k.${v.fn}(${N}, ${rows}, ${K}, ${weightArgs(ctx, pk, name).join(', ')}, ${x}, 1, ${K}, ${yt}, ${rows}, ${bias}, ${act.join(', ')}, ${scratch});`,
    call(ctx, 'transpose2d_32', [yt, y, 1, N, rows])].join('\n');
}

/** conv2d_csr_f32 call: `head` are the arguments before the weights (x, N, C, H, W), `tail` those
 *  after them (y, Cout, Ho, Wo, geometry, G, bias, act); the scratch is appended. */
export function lowerConvCSR(ctx: LowerCtx, w: ArrayLike<number>, Cout: number, Cg: number, kh: number, kw: number, G: number, P: number,
  head: string, tail: string): string {
  const v = selectKernel('conv2d_csr', ctx.target, 'csr')!;
  ctx.useKernel(v.id);
  const pk = packConvWeightCSR(w, Cout, Cg, kh, kw, G, ctx.node.name);
  const scratch = ctx.scratch(convCSRScratchBytes(P, Cg * kh * kw), `${ctx.node.name}:im2col`);
  return `k.${v.fn}(${head}, ${weightArgs(ctx, pk, ctx.node.name).join(', ')}, ${tail}, ${scratch});`;
}

// Shared pieces of the kernel benchmarks (compiler/bench/kernels.ts, kernel-sweep.ts): how a
// case lays out its data and checks its result against float64, the cases of the dense and 2:4
// registry kernels, the perf.md probe GEMM, the SIMD ceiling tests (mul+add, FMA), the timer, and
// the builder of the one benchmark module.
//
// The benchmark module is built the way a model is: one AssemblyScript entry whose functions
// call the kernels with constant shapes and addresses (so binaryen inlines and specialises
// exactly as in a model build), through compileAssemblyScript.
import { readFileSync } from 'node:fs';
import { compileAssemblyScript } from '../codegen/build.js';
import type { Target } from '../codegen/target.js';
import { convNMScratchBytes, gemvNMScratchBytes, convScratchBytes, convTransposeScratchBytes, dwconvScratchBytes, gemmScratchBytes, nmScratchBytes, csrScratchBytes, convCSRScratchBytes } from '../codegen/kernels/gemm-blocking.js';
import { packConvWeightCSR, packCSRGemv, packCSRRows, type CSRPacked } from '../pack/csr.js';
import { NM24, NM48, packConvWeightNM, packMatMulWeightNM, packNMGemv, type NMPattern } from '../pack/nm.js';
import { packConvTransposeWeight, packConvWeight, packLeftWeight, packMatMulWeight } from '../pack/dense.js';
import { rng, uniform } from '../util/random.js';

export interface Case {
  name: string;
  kind: string;
  flops: number;
  /** lays out data from `alloc`, returns the call's argument list and a checker */
  setup(alloc: Alloc): { args: (number | string)[]; check(mem: ArrayBuffer): number };
}

export interface Alloc { put(a: Float32Array | Uint8Array | Uint16Array | Int32Array): number; reserve(bytes: number): number }

/** n seeded uniform floats in [-1, 1) (the project's one PRNG, util/random.ts) */
export const rand = (n: number, seed: number) => uniform(seed, n);
export const f32 = (x: number) => `<f32>${x}`;

/** magnitude N:M along K of rows x K (keeps the n largest |w| of every m; ties: lower k) */
export function maskNM(w: Float32Array, rows: number, K: number, p: NMPattern = NM24): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let g = 0; g < K; g += p.m) {
    const idx = Array.from({ length: Math.min(p.m, K - g) }, (_, j) => g + j).sort((a, b) => Math.abs(w[r * K + b]) - Math.abs(w[r * K + a]) || a - b);
    for (const k of idx.slice(0, p.n)) out[r * K + k] = w[r * K + k];
  }
  return out;
}

/** the N:M pattern of a registry format ('2:4', '4:8') */
export const patternOf = (format: string): NMPattern => (format === '4:8' ? NM48 : NM24);

/** unstructured: a copy of w with each entry zeroed with probability `sparsity` (seeded), as
 *  magnitude pruning of random weights would */
export function maskRandom(w: Float32Array, sparsity: number, seed = 7): Float32Array {
  const r = rng(seed);
  return w.map((v) => (r() < sparsity ? 0 : v));
}

const csrArgs = (al: Alloc, pk: CSRPacked): number[] => [al.put(pk.ptr), al.put(pk.values), al.put(pk.offsets)];

/** max relative error of sampled C entries (row-major, leading dim ldc) against float64 */
export function checkGemm(mem: ArrayBuffer, pC: number, M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, n: number) => number): number {
  const C = new Float32Array(mem, pC, M * N);
  let worst = 0;
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % M, n = (s * 104729) % N;
    let v = 0, t = 0;
    for (let k = 0; k < K; k++) { const p = a(i, k) * b(k, n); v += p; t += Math.abs(p); }
    worst = Math.max(worst, Math.abs(C[i * N + n] - v) / (t || 1));
  }
  return worst;
}

/** `format`: the N:M pattern of the gemm_nm and gemv_nm kinds; `sparsity`: the fraction of
 *  zeros of the csr kinds' weights */
export function gemmCases(kind: string, shapes: [string, number, number, number, number?][], format = '2:4', sparsity = 0): Case[] {
  const pat = patternOf(format);
  return shapes.map(([name, M, N, K, batch = 1]) => ({
    name, kind, flops: 2 * M * N * K * batch,
    setup(al: Alloc) {
      if (kind === 'gemv_csr') {
        const W = maskRandom(rand(N * K, 1), sparsity), x = rand(K, 2), pk = packCSRGemv({ data: W, rowStride: K, kStride: 1 }, N, K);
        const pY = al.reserve(N * 4);
        const args = [N, K, pk.KB, ...csrArgs(al, pk), al.put(x), pY, 0, 0, f32(0), f32(0)];
        return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pY, 1, N, K, (_, k) => x[k], (k, n) => W[n * K + k]) };
      }
      if (kind === 'gemm_csr') {
        // C = W·B with W csr, B row-major [K][N] as for gemm_pa
        const W = maskRandom(rand(M * K, 1), sparsity), B = rand(K * N, 2), pk = packCSRRows({ data: W, rowStride: K, kStride: 1 }, M, K);
        const pC = al.reserve(M * N * 4), scratch = al.reserve(csrScratchBytes(N, K));
        const args = [M, N, K, ...csrArgs(al, pk), al.put(B), N, 1, pC, N, 0, 0, f32(0), f32(0), scratch];
        return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pC, M, N, K, (i, k) => W[i * K + k], (k, n) => B[k * N + n]) };
      }
      if (kind === 'gemv_nm') {
        // y[N] = W[N][K]·x: one activation row (M = 1), as a decode step
        const W = maskNM(rand(N * K, 1), N, K, pat), x = rand(K, 2), pk = packNMGemv({ data: W, rowStride: K, kStride: 1 }, N, K, name, 1, pat);
        const pY = al.reserve(N * 4), scratch = al.reserve(gemvNMScratchBytes(pk.KB, pat.m));
        const args = [N, K, pk.KB, al.put(pk.records), al.put(x), pY, 0, 0, f32(0), f32(0), scratch];
        return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pY, 1, N, K, (_, k) => x[k], (k, n) => W[n * K + k]) };
      }
      if (kind === 'gemv') {
        // y[N] = W[N][K]·x with W in the B panels of gemm_pb (M = 1)
        const W = rand(N * K, 1), x = rand(K, 2), pY = al.reserve(N * 4);
        const args = [N, K, al.put(packMatMulWeight(W, K, N, true)), al.put(x), pY, 0, 0, f32(0), f32(0)];
        return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pY, 1, N, K, (_, k) => x[k], (k, n) => W[n * K + k]) };
      }
      if (kind === 'gemm_nm') {
        // C = W·B with W N:M (dense-equivalent flops), B row-major [K][N] as for gemm_pa
        const W = maskNM(rand(M * K, 1), M, K, pat), B = rand(K * N, 2), pk = packMatMulWeightNM(W, K, M, true, 1, name, pat);
        const pC = al.reserve(M * N * 4), scratch = al.reserve(nmScratchBytes(N, K));
        const args = [M, N, K, al.put(pk.values), al.put(pk.offsets), al.put(B), N, 1, pC, N, 0, 0, f32(0), f32(0), scratch];
        return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pC, M, N, K, (i, k) => W[i * K + k], (k, n) => B[k * N + n]) };
      }
      const A = rand(batch * M * K, 1), B = rand(batch * K * N, 2);
      const pC = al.reserve(batch * M * N * 4);
      const scratch = al.reserve(gemmScratchBytes(kind === 'gemm' ? 'gemm' : kind === 'gemm_pb' ? 'pb' : 'pa', M, N, K));
      const tail = [pC, M * N, N, 0, 0, 0, f32(0), f32(0), scratch];
      let args: (number | string)[];
      if (kind === 'gemm') args = [batch, M, N, K, al.put(A), M * K, K, 1, al.put(B), K * N, N, 1, ...tail];
      else if (kind === 'gemm_pb') {
        const per = Math.ceil(N / 8) * 8 * K, packed = new Float32Array(per * batch);
        for (let t = 0; t < batch; t++) packed.set(packMatMulWeight(B, K, N, false, 1, t * K * N), t * per);
        args = [batch, M, N, K, al.put(A), M * K, K, 1, al.put(packed), per, ...tail];
      } else {
        const per = Math.ceil(M / 4) * 4 * K, packed = new Float32Array(per * batch);
        for (let t = 0; t < batch; t++) packed.set(packLeftWeight(A, M, K, false, 1, t * M * K), t * per);
        args = [batch, M, N, K, al.put(packed), per, al.put(B), K * N, N, 1, ...tail];
      }
      return { args, check: (mem) => checkGemm(mem, pC, M, N, K, (i, k) => A[i * K + k], (k, n) => B[k * N + n]) };
    },
  }));
}

export interface ConvShape { name: string; C: number; Cout: number; H: number; W: number; k: number; s: number; p: number; G?: number }

/** `format`: the N:M pattern of the conv2d_nm kind; `sparsity`: the fraction of zeros of
 *  conv2d_csr's weights */
export function convCases(kind: string, shapes: ConvShape[], format = '2:4', sparsity = 0): Case[] {
  const pat = patternOf(format);
  return shapes.map((c) => {
    const G = c.G ?? 1;
    const Ho = kind === 'conv_transpose2d' ? (c.H - 1) * c.s - 2 * c.p + c.k : Math.floor((c.H + 2 * c.p - c.k) / c.s) + 1;
    const Wo = kind === 'conv_transpose2d' ? (c.W - 1) * c.s - 2 * c.p + c.k : Math.floor((c.W + 2 * c.p - c.k) / c.s) + 1;
    const macs = kind === 'conv_transpose2d' ? c.C * (c.Cout / G) * c.k * c.k * c.H * c.W : c.Cout * (c.C / G) * c.k * c.k * Ho * Wo;
    return {
      name: c.name, kind, flops: 2 * macs,
      setup(al: Alloc) {
        const x = rand(c.C * c.H * c.W, 3), bias = rand(c.Cout, 5);
        const pX = al.put(x), pB = al.put(bias), pY = al.reserve(c.Cout * Ho * Wo * 4);
        const geo = [c.k, c.k, c.s, c.s, c.p, c.p, 1, 1];
        const xAt = (ci: number, iy: number, ix: number) => (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W ? 0 : x[(ci * c.H + iy) * c.W + ix]);
        let args: (number | string)[], ref: (co: number, oy: number, ox: number) => [number, number];
        if (kind === 'conv_transpose2d') {
          const w = rand(c.C * (c.Cout / G) * c.k * c.k, 4);
          const scratch = al.reserve(convTransposeScratchBytes(c.H * c.W, c.C / G, (c.Cout / G) * c.k * c.k));
          args = [pX, 1, c.C, c.H, c.W, al.put(packConvTransposeWeight(w, c.C, c.Cout / G, c.k, c.k, G)), pY, c.Cout, Ho, Wo, ...geo, G, pB, 0, f32(0), f32(0), scratch];
          ref = (co, oy, ox) => {
            let v = bias[co], t = Math.abs(v);
            const g = Math.floor(co / (c.Cout / G)), col = co % (c.Cout / G), Cg = c.C / G;
            for (let ci = g * Cg; ci < (g + 1) * Cg; ci++) for (let dy = 0; dy < c.k; dy++) for (let dx = 0; dx < c.k; dx++) {
              const ty = oy + c.p - dy, tx = ox + c.p - dx;
              if (ty % c.s || tx % c.s) continue;
              const p = xAt(ci, ty / c.s, tx / c.s) * w[((ci * (c.Cout / G) + col) * c.k + dy) * c.k + dx];
              v += p; t += Math.abs(p);
            }
            return [v, t];
          };
        } else {
          const w0 = rand(c.Cout * (c.C / G) * c.k * c.k, 4);
          const w = kind === 'conv2d_nm' ? maskNM(w0, c.Cout, (c.C / G) * c.k * c.k, pat) : kind === 'conv2d_csr' ? maskRandom(w0, sparsity) : w0;
          if (kind === 'conv2d_csr') {
            const pk = packConvWeightCSR(w, c.Cout, c.C / G, c.k, c.k, G, c.name);
            const scratch = al.reserve(convCSRScratchBytes(Ho * Wo, (c.C / G) * c.k * c.k));
            args = [pX, 1, c.C, c.H, c.W, ...csrArgs(al, pk), pY, c.Cout, Ho, Wo, ...geo, G, pB, 0, f32(0), f32(0), scratch];
          } else if (kind === 'conv2d_nm') {
            const pk = packConvWeightNM(w, c.Cout, c.C / G, c.k, c.k, G, c.name, pat);
            const scratch = al.reserve(convNMScratchBytes(Ho * Wo, (c.C / G) * c.k * c.k));
            args = [pX, 1, c.C, c.H, c.W, al.put(pk.values), al.put(pk.offsets), pY, c.Cout, Ho, Wo, ...geo, G, pB, 0, f32(0), f32(0), scratch];
          } else if (kind === 'dwconv2d') args = [pX, 1, c.C, c.H, c.W, al.put(w), pY, c.Cout, Ho, Wo, ...geo, pB, 0, f32(0), f32(0), al.reserve(dwconvScratchBytes(Ho, Wo, c.k, c.k, c.s, c.s, 1, 1))];
          else {
            const scratch = al.reserve(convScratchBytes(Ho * Wo, (c.C / G) * c.k * c.k));
            args = [pX, 1, c.C, c.H, c.W, al.put(packConvWeight(w, c.Cout, c.C / G, c.k, c.k, G)), pY, c.Cout, Ho, Wo, ...geo, G, pB, 0, f32(0), f32(0), scratch];
          }
          ref = (co, oy, ox) => {
            let v = bias[co], t = Math.abs(v);
            const Cg = c.C / G, g = Math.floor(co / (c.Cout / G));
            for (let ci = 0; ci < Cg; ci++) for (let dy = 0; dy < c.k; dy++) for (let dx = 0; dx < c.k; dx++) {
              const p = xAt(g * Cg + ci, oy * c.s - c.p + dy, ox * c.s - c.p + dx) * w[((co * Cg + ci) * c.k + dy) * c.k + dx];
              v += p; t += Math.abs(p);
            }
            return [v, t];
          };
        }
        return {
          args,
          check(mem) {
            const Y = new Float32Array(mem, pY, c.Cout * Ho * Wo);
            let worst = 0;
            for (let s = 0; s < 64; s++) {
              const co = (s * 7919) % c.Cout, oy = (s * 31) % Ho, ox = (s * 104729) % Wo;
              const [v, t] = ref(co, oy, ox);
              worst = Math.max(worst, Math.abs(Y[(co * Ho + oy) * Wo + ox] - v) / (t || 1));
            }
            return worst;
          },
        };
      },
    };
  });
}

// The dense 4x8 kernel of the performance probe (shared/research/perfprobe-src/gen.mjs, 57-64
// GFLOP/s on an idle machine), built into the same module and timed in the same rounds: the
// ratio to it is what to read when the machine is busy. A packed offline as [M/4][K][4], B
// row-major packed per K block; needs M % 4 == 0 and N % 8 == 0.
export const PROBE_SRC = `const PROBE_KC: i32 = 256;
function packB_8(b: usize, ldb: usize, N: i32, kc: i32, bp: usize): void {
  for (let j = 0; j < N; j += 8) {
    let src = b + (<usize>j << 2);
    for (let k = 0; k < kc; k++) {
      v128.store(bp, v128.load(src, 0), 0);
      v128.store(bp, v128.load(src, 16), 16);
      src += ldb; bp += 32;
    }
  }
}
function dmk_4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, accum: bool): void {
  let c0_0 = f32x4.splat(0);
  let c0_1 = f32x4.splat(0);
  let c1_0 = f32x4.splat(0);
  let c1_1 = f32x4.splat(0);
  let c2_0 = f32x4.splat(0);
  let c2_1 = f32x4.splat(0);
  let c3_0 = f32x4.splat(0);
  let c3_1 = f32x4.splat(0);
  if (accum) {
    c0_0 = v128.load(c + 0 * ldc, 0);
    c0_1 = v128.load(c + 0 * ldc, 16);
    c1_0 = v128.load(c + 1 * ldc, 0);
    c1_1 = v128.load(c + 1 * ldc, 16);
    c2_0 = v128.load(c + 2 * ldc, 0);
    c2_1 = v128.load(c + 2 * ldc, 16);
    c3_0 = v128.load(c + 3 * ldc, 0);
    c3_1 = v128.load(c + 3 * ldc, 16);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b, 0);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a, 0);
    c0_0 = f32x4.add(c0_0, f32x4.mul(a0, b0));
    c0_1 = f32x4.add(c0_1, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a, 4);
    c1_0 = f32x4.add(c1_0, f32x4.mul(a1, b0));
    c1_1 = f32x4.add(c1_1, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a, 8);
    c2_0 = f32x4.add(c2_0, f32x4.mul(a2, b0));
    c2_1 = f32x4.add(c2_1, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a, 12);
    c3_0 = f32x4.add(c3_0, f32x4.mul(a3, b0));
    c3_1 = f32x4.add(c3_1, f32x4.mul(a3, b1));
    a += 16; b += 32;
  }
  v128.store(c + 0 * ldc, c0_0, 0);
  v128.store(c + 0 * ldc, c0_1, 16);
  v128.store(c + 1 * ldc, c1_0, 0);
  v128.store(c + 1 * ldc, c1_1, 16);
  v128.store(c + 2 * ldc, c2_0, 0);
  v128.store(c + 2 * ldc, c2_1, 16);
  v128.store(c + 3 * ldc, c3_0, 0);
  v128.store(c + 3 * ldc, c3_1, 16);
}
function probe_gemm_4x8(M: i32, N: i32, K: i32, Ap: usize, B: usize, Bp: usize, C: usize): void {
  const ldc = <usize>N << 2;
  for (let pc = 0; pc < K; pc += PROBE_KC) {
    const kc = min(PROBE_KC, K - pc);
    packB_8(B + <usize>pc * ldc, ldc, N, kc, Bp);
    for (let jr = 0; jr < N; jr += 8) {
      const bp = Bp + ((<usize>jr * <usize>kc) << 2);
      for (let ir = 0; ir < M; ir += 4) {
        dmk_4x8(kc, Ap + ((<usize>ir * <usize>K + <usize>pc * 4) << 2), bp, C + ((<usize>ir * <usize>N + <usize>jr) << 2), ldc, pc > 0);
      }
    }
  }
}`;

// The SIMD arithmetic ceilings of the machine right now, read in the same rounds as the kernels:
// what separates kernel quality from how busy the shared machine is. Each is a GEMM micro-kernel
// whose operands sit in a 4 KiB L1-resident table: per iteration 2 vector loads (8 columns) and
// one splat load per row, their products accumulated into rows x 2 accumulators. The multiplies
// hang off loads, so only the accumulations form chains, and there are enough of them for
// 4-cycle latency on every port: bound by the arithmetic ports, not by latency. Register budget
// (V8 x64 allocates 15 xmm): FMA 6x8 = 12 accumulators + 2 B + 1 A = 15; mul+add 5x8 = 10 + 2 +
// 1 + the product's temporary = 14 (6x8 would spill). The table row depends on i (rows 256 bytes
// apart: a 192-byte stride read 25% slower in V8), so nothing can be hoisted out of the loop.
// 4x8 (our kernel's tile) is latency-bound with FMA: 8 accumulators read ~49 where 6x8 read 63.
const peakSrc = (name: string, rows: number, madd: (a: string, b: string, c: string) => string) => {
  const acc = Array.from({ length: 2 * rows }, (_, j) => `c${j}`);
  const body = Array.from({ length: rows }, (_, r) => `const a${r} = v128.load32_splat(p, ${4 * r}); c${2 * r} = ${madd(`a${r}`, 'b0', `c${2 * r}`)}; c${2 * r + 1} = ${madd(`a${r}`, 'b1', `c${2 * r + 1}`)};`);
  return `function ${name}(n: i32, tab: usize): f32 {
  let ${acc.map((c) => `${c} = f32x4.splat(0)`).join(', ')};
  for (let i = 0; i < n; i++) {
    const p = tab + ((<usize>i & 15) << 8);
    const b0 = v128.load(p, 128), b1 = v128.load(p, 144);
    ${body.join('\n    ')}
  }
  let s = c0;
  ${acc.slice(1).map((c) => `s = f32x4.add(s, ${c});`).join(' ')}
  return f32x4.extract_lane(s, 0);
}
// n comes from memory (set at run time) so that binaryen cannot fold the loop away
export function ${name}_run(): f32 { return ${name}(load<i32>(PEAK_AT), PEAK_AT + 64); }`;
};
export const PEAK_MULADD_SRC = peakSrc('peak_muladd', 5, (a, b, c) => `f32x4.add(${c}, f32x4.mul(${a}, ${b}))`);
export const PEAK_FMA_SRC = peakSrc('peak_fma', 6, (a, b, c) => `f32x4.relaxed_madd(${a}, ${b}, ${c})`);
const PEAK_ITERS = 1000000;
/** flops of one call of each peak test */
export const PEAK_FLOPS = { 'mul+add': 80 * PEAK_ITERS, FMA: 96 * PEAK_ITERS };
/** the ceilings a module has: mul+add on SIMD targets, FMA too on relaxed-SIMD ones */
export interface Peak { id: keyof typeof PEAK_FLOPS; run: () => void }

/** Seconds per call: median and minimum wall time, and median CPU time (user + system of this
 *  process). On a shared machine the CPU time leaves out the time the process was descheduled,
 *  so it is the steadier figure; the wall time is what a user waits. A sample repeats the call
 *  until it lasts at least 2 ms so that short kernels stay above the clocks' resolution.
 *  `fn` may return a promise (onnxruntime sessions): it is awaited; wasm kernels are not. */
export async function timeRuns(fn: () => unknown): Promise<{ med: number; min: number; cpu: number }> {
  const t0 = performance.now();
  let warm = 0;
  // only a promise is awaited: an await per wasm call would add a microtask turn to each call
  const first = fn(), sync = !(first instanceof Promise);
  if (!sync) await first;
  const run = async () => { await fn(); };
  while (warm < 3 || performance.now() - t0 < 150) { if (sync) fn(); else await run(); warm++; }
  const per = (performance.now() - t0) / warm;
  const reps = Math.max(1, Math.ceil(2 / per));
  const wall: number[] = [], cpu: number[] = [];
  let total = 0;
  while ((wall.length < 7 || total < 400) && wall.length < 500) {
    const c0 = process.cpuUsage(), a = performance.now();
    if (sync) for (let r = 0; r < reps; r++) fn();
    else for (let r = 0; r < reps; r++) await run();
    const d = performance.now() - a, c = process.cpuUsage(c0);
    wall.push(d / reps); cpu.push((c.user + c.system) / 1e3 / reps); total += d;
  }
  return { med: median(wall) / 1e3, min: Math.min(...wall) / 1e3, cpu: median(cpu) / 1e3 };
}

/** One benchmark module: `calls` become exported functions case0, case1, ... (plus the
 *  ceiling tests of the target, `peaks`); `al` is the allocator the cases laid their data out
 *  with (from newAlloc); `extra`: more AssemblyScript (functions the callees may name). */
export async function buildBenchModule(target: Target, al: BenchAlloc, calls: { callee: string; args: (number | string)[] }[], extra: string[] = []): Promise<{ fns: (() => void)[]; peaks: Peak[]; memory: WebAssembly.Memory }> {
  const peakAt = al.reserve(64 + 16 * 256);
  const body = calls.map((c, i) => `export function case${i}(): void { ${c.callee}(${c.args.join(', ')}); }`);
  const simd = target.features.simd, fma = simd && target.features.relaxedSimd;
  const src = [`import * as k from './index';`, ...(simd ? [`const PEAK_AT: usize = ${peakAt};`, PROBE_SRC, PEAK_MULADD_SRC] : []), ...(fma ? [PEAK_FMA_SRC] : []), ...extra, ...body].join('\n');
  const { wasm } = await compileAssemblyScript(src, { target, memoryBase: BENCH_BASE - 1024 });
  const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { abort: () => { throw new Error('abort'); } } });
  const memory = instance.exports.memory as WebAssembly.Memory;
  const need = Math.ceil(al.top() / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  for (const [p, a] of al.blobs) new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  new Int32Array(memory.buffer, peakAt, 1)[0] = PEAK_ITERS;
  new Float32Array(memory.buffer, peakAt + 64, 16 * 64).set(rand(16 * 64, 9).map((x) => x * 1e-3));
  const fns = calls.map((_, i) => instance.exports[`case${i}`] as () => void);
  const peaks: Peak[] = [];
  if (simd) peaks.push({ id: 'mul+add', run: instance.exports.peak_muladd_run as () => void });
  if (fma) peaks.push({ id: 'FMA', run: instance.exports.peak_fma_run as () => void });
  return { fns, peaks, memory };
}

const BENCH_BASE = 1 << 16;

export interface BenchAlloc extends Alloc { blobs: [number, Float32Array | Uint8Array | Uint16Array | Int32Array][]; top(): number }

/** a bump allocator over the benchmark module's memory; data is copied in by buildBenchModule */
export function newAlloc(): BenchAlloc {
  let top = BENCH_BASE;
  const blobs: BenchAlloc['blobs'] = [];
  return {
    blobs, top: () => top,
    put(a) { const p = top; top += Math.ceil(a.byteLength / 64) * 64 + 64; blobs.push([p, a]); return p; },
    reserve(bytes) { const p = top; top += Math.ceil(bytes / 64) * 64 + 64; return p; },
  };
}

export const median = (l: number[]): number => [...l].sort((x, y) => x - y)[l.length >> 1];

/** the 1, 5 and 15 minute load averages (none off Linux): how much the run shared the machine */
export const loadavg = () => { try { return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number); } catch { return []; } };

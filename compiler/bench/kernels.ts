// Kernel microbenchmarks for the dense kernels of the registry (GEMM, conv, depthwise,
// ConvTranspose): GFLOP/s, single thread, medians.
//
//   node dist/compiler/bench/kernels.js [--out out/bench-kernels.json] [--rounds 3]
//        [--target wasm-simd128|wasm-mvp|all] [--filter text[,text...]]
//
// The benchmark module is built the way a model is: one AssemblyScript entry whose functions
// call the kernels with constant shapes and addresses (so binaryen inlines and specialises
// exactly as in a model build), through compileAssemblyScript. Each case warms up (V8 tiers up
// from Liftoff after the first calls), then runs until it has at least 7 samples and 0.4 s.
// The whole sweep repeats `rounds` times, interleaved. The table shows GFLOP/s from the median
// CPU time (steadiest when other jobs share the cores), from the median wall time (median over
// rounds, with the spread across rounds: the noise), and from the fastest sample. Each result is checked on sampled outputs against a
// float64 reference.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compileAssemblyScript } from '../codegen/build.js';
import { loadTarget } from '../codegen/target.js';
import { compiledFor, KERNELS } from '../codegen/kernels/registry.js';
import { convNMScratchBytes, gemvNMScratchBytes, convScratchBytes, convTransposeScratchBytes, dwconvScratchBytes, gemmScratchBytes, nmScratchBytes } from '../codegen/kernels/gemm-blocking.js';
import { packConvWeightNM, packMatMulWeightNM, packNMGemv } from '../pack/nm.js';
import { packConvTransposeWeight, packConvWeight, packLeftWeight, packMatMulWeight } from '../pack/dense.js';

interface Case {
  name: string;
  kind: string;
  flops: number;
  /** lays out data from `alloc`, returns the call's argument list and a checker */
  setup(alloc: Alloc): { args: (number | string)[]; check(mem: ArrayBuffer): number };
}

interface Alloc { put(a: Float32Array | Uint8Array): number; reserve(bytes: number): number }

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}
const rand = (n: number, seed: number) => { const r = rng(seed); return Float32Array.from({ length: n }, r); };
const f32 = (x: number) => `<f32>${x}`;

/** magnitude 2:4 along K of rows x K (keeps the 2 largest |w| of every 4; ties: lower k) */
function mask24(w: Float32Array, rows: number, K: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let g = 0; g < K; g += 4) {
    const idx = [g, g + 1, g + 2, g + 3].filter((k) => k < K).sort((a, b) => Math.abs(w[r * K + b]) - Math.abs(w[r * K + a]) || a - b);
    for (const k of idx.slice(0, 2)) out[r * K + k] = w[r * K + k];
  }
  return out;
}

/** max relative error of sampled C entries (row-major, leading dim ldc) against float64 */
function checkGemm(mem: ArrayBuffer, pC: number, M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, n: number) => number): number {
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

function gemmCases(kind: string, shapes: [string, number, number, number, number?][]): Case[] {
  return shapes.map(([name, M, N, K, batch = 1]) => ({
    name, kind, flops: 2 * M * N * K * batch,
    setup(al: Alloc) {
      if (kind === 'gemv_nm') {
        // y[N] = W[N][K]·x: one activation row (M = 1), as a decode step
        const W = mask24(rand(N * K, 1), N, K), x = rand(K, 2), pk = packNMGemv({ data: W, rowStride: K, kStride: 1 }, N, K, name);
        const pY = al.reserve(N * 4), scratch = al.reserve(gemvNMScratchBytes(pk.KB));
        const args = [N, K, pk.KB, al.put(pk.records), al.put(x), pY, 0, 0, f32(0), f32(0), scratch];
        return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pY, 1, N, K, (_, k) => x[k], (k, n) => W[n * K + k]) };
      }
      if (kind === 'gemm_nm') {
        // C = W·B with W 2:4 (dense-equivalent flops), B row-major [K][N] as for gemm_pa
        const W = mask24(rand(M * K, 1), M, K), B = rand(K * N, 2), pk = packMatMulWeightNM(W, K, M, true, 1, name);
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

interface ConvShape { name: string; C: number; Cout: number; H: number; W: number; k: number; s: number; p: number; G?: number }

function convCases(kind: string, shapes: ConvShape[]): Case[] {
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
          const w = kind === 'conv2d_nm' ? mask24(w0, c.Cout, (c.C / G) * c.k * c.k) : w0;
          if (kind === 'conv2d_nm') {
            const pk = packConvWeightNM(w, c.Cout, c.C / G, c.k, c.k, G, c.name);
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
const PROBE_SRC = `const PROBE_KC: i32 = 256;
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

// The wasm SIMD mul+add throughput of the machine right now (perf.md's peak test: 12 independent
// chains, no loads): 46-52 GFLOP/s when idle. Reading the kernels against it separates kernel
// quality from how busy the shared machine is.
const PEAK_SRC = `function peak_muladd(n: i32, m: f32, c: f32): f32 {
  const vm = f32x4.splat(m), vc = f32x4.splat(c);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(1.1), a2 = f32x4.splat(1.2), a3 = f32x4.splat(1.3), a4 = f32x4.splat(1.4), a5 = f32x4.splat(1.5);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0.1), b2 = f32x4.splat(0.2), b3 = f32x4.splat(0.3), b4 = f32x4.splat(0.4), b5 = f32x4.splat(0.5);
  for (let i = 0; i < n; i++) {
    a0 = f32x4.mul(a0, vm); a1 = f32x4.mul(a1, vm); a2 = f32x4.mul(a2, vm); a3 = f32x4.mul(a3, vm); a4 = f32x4.mul(a4, vm); a5 = f32x4.mul(a5, vm);
    b0 = f32x4.add(b0, vc); b1 = f32x4.add(b1, vc); b2 = f32x4.add(b2, vc); b3 = f32x4.add(b3, vc); b4 = f32x4.add(b4, vc); b5 = f32x4.add(b5, vc);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(f32x4.add(b0, b1), f32x4.add(f32x4.add(b2, b3), f32x4.add(b4, b5)))));
  return f32x4.extract_lane(s, 0);
}
// n, m and c come from memory (address 0 of the benchmark region, set at run time) so that
// binaryen cannot fold the chains away
export function peak(): f32 { return peak_muladd(load<i32>(PEAK_AT), load<f32>(PEAK_AT, 4), load<f32>(PEAK_AT, 8)); }`;
const PEAK_FLOPS = 48 * 2000000;

const GEMM_SHAPES: [string, number, number, number, number?][] = [
  ['256³', 256, 256, 256], ['512³', 512, 512, 512], ['1024³', 1024, 1024, 1024],
  ['conv-as-GEMM 64x576x3136', 64, 3136, 576],
];
const SMALL_SHAPES: [string, number, number, number, number?][] = [
  ['ViT linear 197x192·192x576', 197, 576, 192], ['GPT linear 128x128·128x512', 128, 512, 128],
  ['attn Q·Kᵀ 4 heads T=65 d=16', 65, 65, 16, 4], ['attn P·V 4 heads T=65 d=16', 65, 16, 65, 4],
];
// batch-1 GEMV (decode steps): 1 activation row times a weight of N outputs x K inputs
const GEMV_SHAPES: [string, number, number, number, number?][] = [
  ['GEMV 4096x4096 (DRAM)', 1, 4096, 4096], ['GEMV 1024x4096 (L3)', 1, 1024, 4096], ['GEMV GPT fc 512x128', 1, 512, 128],
];
const CONV_SHAPES: ConvShape[] = [
  { name: '3x3 conv 64→64 56x56', C: 64, Cout: 64, H: 56, W: 56, k: 3, s: 1, p: 1 },
  { name: '3x3 s2 conv 32→64 112x112', C: 32, Cout: 64, H: 112, W: 112, k: 3, s: 2, p: 1 },
  { name: '1x1 conv 64→256 56x56', C: 64, Cout: 256, H: 56, W: 56, k: 1, s: 1, p: 0 },
];
const DW_SHAPES: ConvShape[] = [
  { name: 'dw 3x3 128ch 56x56', C: 128, Cout: 128, H: 56, W: 56, k: 3, s: 1, p: 1, G: 128 },
  { name: 'dw 3x3 s2 128ch 56x56', C: 128, Cout: 128, H: 56, W: 56, k: 3, s: 2, p: 1, G: 128 },
  { name: 'dw 5x5 96ch 28x28', C: 96, Cout: 96, H: 28, W: 28, k: 5, s: 1, p: 2, G: 96 },
  { name: 'dw 3x3 96ch 8x8 (BlazeFace)', C: 96, Cout: 96, H: 8, W: 8, k: 3, s: 1, p: 1, G: 96 },
];
const CONVT_SHAPES: ConvShape[] = [{ name: 'convT 2x2 s2 24→24 80x80', C: 24, Cout: 24, H: 80, W: 80, k: 2, s: 2, p: 0 }];

function casesFor(kind: string, scalar: boolean): Case[] {
  const pick = <T>(l: T[]) => (scalar ? l.slice(0, 1) : l);
  switch (kind) {
    case 'gemm': return gemmCases(kind, pick([...GEMM_SHAPES.slice(0, 2), ...SMALL_SHAPES.slice(2)]));
    case 'gemm_pb': return gemmCases(kind, pick([...GEMM_SHAPES, ...SMALL_SHAPES.slice(0, 2), ...GEMV_SHAPES]));
    case 'gemv_nm': return gemmCases(kind, pick(GEMV_SHAPES));
    case 'gemm_pa': return gemmCases(kind, pick(GEMM_SHAPES));
    case 'conv2d': return convCases(kind, pick(CONV_SHAPES));
    case 'gemm_nm': return gemmCases(kind, pick([...GEMM_SHAPES, ...SMALL_SHAPES.slice(0, 2)]));
    case 'conv2d_nm': return convCases(kind, pick(CONV_SHAPES));
    case 'dwconv2d': return convCases(kind, pick(DW_SHAPES));
    case 'conv_transpose2d': return convCases(kind, pick(CONVT_SHAPES));
    default: return [];
  }
}

function probeCases(): Case[] {
  return GEMM_SHAPES.map(([name, M, N, K]) => ({
    name, kind: 'reference', flops: 2 * M * N * K,
    setup(al: Alloc) {
      const A = rand(M * K, 1), B = rand(K * N, 2);
      const pC = al.reserve(M * N * 4), pBp = al.reserve(256 * N * 4);
      const args = [M, N, K, al.put(packLeftWeight(A, M, K, false)), al.put(B), pBp, pC];
      return { args, check: (mem: ArrayBuffer) => checkGemm(mem, pC, M, N, K, (i, k) => A[i * K + k], (k, n) => B[k * N + n]) };
    },
  }));
}

/** Seconds per call: median and minimum wall time, and median CPU time (user + system of this
 *  process). On a shared machine the CPU time leaves out the time the process was descheduled,
 *  so it is the steadier figure; the wall time is what a user waits. A sample repeats the call
 *  until it lasts at least 2 ms so that short kernels stay above the clocks' resolution. */
function timeRuns(fn: () => void): { med: number; min: number; cpu: number } {
  const t0 = performance.now();
  let warm = 0;
  while (warm < 3 || performance.now() - t0 < 150) { fn(); warm++; }
  const per = (performance.now() - t0) / warm;
  const reps = Math.max(1, Math.ceil(2 / per));
  const wall: number[] = [], cpu: number[] = [];
  let total = 0;
  while ((wall.length < 7 || total < 400) && wall.length < 500) {
    const c0 = process.cpuUsage(), a = performance.now();
    for (let r = 0; r < reps; r++) fn();
    const d = performance.now() - a, c = process.cpuUsage(c0);
    wall.push(d / reps); cpu.push((c.user + c.system) / 1e3 / reps); total += d;
  }
  const med = (l: number[]) => [...l].sort((x, y) => x - y)[l.length >> 1];
  return { med: med(wall) / 1e3, min: Math.min(...wall) / 1e3, cpu: med(cpu) / 1e3 };
}

interface Row {
  target: string; kernel: string; kind: string; case: string;
  /** GFLOP/s of each round's median run */
  gflops: number[];
  /** median over rounds of the rounds' medians */
  median: number;
  /** GFLOP/s of the fastest sample seen: what the kernel does when it is not preempted */
  best: number;
  /** GFLOP/s from the median CPU time per call, over all rounds */
  cpu: number;
  seconds: number; maxRelErr: number;
}

async function benchTarget(targetName: string, rounds: number, filter: string): Promise<Row[]> {
  const target = loadTarget(targetName);
  const variants = KERNELS.filter((v) => (v.format === 'dense' || v.format === '2:4') && compiledFor(v, target));
  const plan: { label: string; kind: string; c: Case; fn: string; check: (m: ArrayBuffer) => number }[] = [];
  const BASE = 1 << 16;
  let top = BASE;
  const blobs: [number, Float32Array | Uint8Array][] = [];
  const al: Alloc = {
    put(a) { const p = top; top += Math.ceil(a.byteLength / 64) * 64 + 64; blobs.push([p, a]); return p; },
    reserve(bytes) { const p = top; top += Math.ceil(bytes / 64) * 64 + 64; return p; },
  };
  const body: string[] = [];
  const add = (label: string, kind: string, callee: string, c: Case) => {
    if (filter && !filter.split(',').some((f) => `${label} ${c.name}`.includes(f))) return;
    const { args, check } = c.setup(al);
    const fn = `case${plan.length}`;
    body.push(`export function ${fn}(): void { ${callee}(${args.join(', ')}); }`);
    plan.push({ label, kind, c, fn, check });
  };
  for (const v of variants) for (const c of casesFor(v.kind, !target.features.simd)) add(v.id, v.kind, `k.${v.fn}`, c);
  if (target.features.simd) for (const c of probeCases()) add('probe gemm_dense_4x8 (perf.md reference)', 'reference', 'probe_gemm_4x8', c);
  if (!plan.length) return [];
  if (target.features.simd) {
    plan.push({ label: 'wasm SIMD mul+add peak (perf.md: 46-52 idle)', kind: 'reference', c: { name: '12 independent chains', kind: 'reference', flops: PEAK_FLOPS, setup: () => ({ args: [], check: () => 0 }) }, fn: 'peak', check: () => 0 });
  }
  const peakAt = al.reserve(64);
  const src = [`import * as k from './index';`, ...(target.features.simd ? [`const PEAK_AT: usize = ${peakAt};`, PROBE_SRC, PEAK_SRC] : []), ...body].join('\n');
  const { wasm } = await compileAssemblyScript(src, { target, memoryBase: BASE - 1024 });
  const { instance } = await WebAssembly.instantiate(wasm as BufferSource, { env: { abort: () => { throw new Error('abort'); } } });
  const memory = instance.exports.memory as WebAssembly.Memory;
  const need = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  for (const [p, a] of blobs) new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  new Int32Array(memory.buffer, peakAt, 1)[0] = 2000000;
  new Float32Array(memory.buffer, peakAt + 4, 2).set([0.9999999, 1e-7]);
  const results = plan.map(() => [] as number[]);
  const secs = plan.map(() => [] as number[]);
  const best = plan.map(() => Infinity);
  const cpus = plan.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    plan.forEach((p, i) => {
      const f = instance.exports[p.fn] as () => void;
      const t = timeRuns(f);
      results[i].push(p.c.flops / t.med / 1e9);
      secs[i].push(t.med);
      best[i] = Math.min(best[i], t.min);
      cpus[i].push(t.cpu);
    });
  }
  const med = (l: number[]) => [...l].sort((a, b) => a - b)[l.length >> 1];
  return plan.map((p, i) => ({
    target: targetName, kernel: p.label, kind: p.kind, case: p.c.name,
    gflops: results[i].map((g) => +g.toFixed(2)), median: +med(results[i]).toFixed(2), best: +(p.c.flops / best[i] / 1e9).toFixed(2), cpu: +(p.c.flops / med(cpus[i]) / 1e9).toFixed(2), seconds: med(secs[i]),
    maxRelErr: p.check(memory.buffer),
  }));
}

/** 2:4 next to dense, per target and case: gemm_nm against gemm_pa (weights on the left, the
 *  same orientation), conv2d_nm against conv2d, gemv_nm against gemm_pb with one row (what a
 *  dense decode step runs); ratios of the CPU-time and best-sample figures */
function nmTable(rows: Row[]): string {
  const out = ['| target | case | dense GFLOP/s (CPU) | 2:4 GFLOP/s (CPU) | 2:4 / dense (CPU) | 2:4 / dense (best sample) |', '|---|---|---|---|---|---|'];
  const denseOf: Record<string, string> = { gemm_nm: 'gemm_pa', conv2d_nm: 'conv2d', gemv_nm: 'gemm_pb' };
  for (const r of rows.filter((x) => denseOf[x.kind])) {
    const d = rows.find((x) => x.target === r.target && x.case === r.case && x.kind === denseOf[r.kind]);
    if (!d) continue;
    out.push(`| ${r.target} | ${r.case} | ${d.cpu.toFixed(1)} | ${r.cpu.toFixed(1)} | ${(r.cpu / d.cpu).toFixed(2)} | ${(r.best / d.best).toFixed(2)} |`);
  }
  return out.length > 2 ? out.join('\n') : '';
}

function table(rows: Row[]): string {
  const out = ['| target | kernel | case | GFLOP/s (CPU time) | GFLOP/s (wall, median) | wall spread over rounds | best sample | median time | max rel. err |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const lo = Math.min(...r.gflops), hi = Math.max(...r.gflops);
    const t = r.seconds < 1e-3 ? `${(r.seconds * 1e6).toFixed(0)} µs` : `${(r.seconds * 1e3).toFixed(2)} ms`;
    out.push(`| ${r.target} | ${r.kernel} | ${r.case} | ${r.cpu.toFixed(1)} | ${r.median.toFixed(1)} | ${lo.toFixed(1)}–${hi.toFixed(1)} | ${r.best.toFixed(1)} | ${t} | ${r.maxRelErr.toExponential(1)} |`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const out = opt('out', 'out/bench-kernels.json'), rounds = Number(opt('rounds', '3')), filter = opt('filter', '');
  const t = opt('target', 'wasm-simd128');
  const targets = t === 'all' ? ['wasm-simd128', 'wasm-mvp'] : [t];
  const rows: Row[] = [];
  for (const name of targets) rows.push(...(await benchTarget(name, rounds, filter)));
  const loadavg = () => { try { return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number); } catch { return []; } };
  const load = loadavg();
  const json = { date: new Date().toISOString(), node: process.version, rounds, loadavg: load, rows };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, JSON.stringify(json, null, 1));
  renameSync(`${out}.tmp`, out);
  process.stdout.write(table(rows) + '\n');
  const nm = nmTable(rows);
  if (nm) process.stdout.write('\n' + nm + '\n');
  process.stderr.write(`load average before/after: ${load.join(' ')} / ${loadavg().join(' ')} (2 cores; above 1 means the run shared its core)\n`);
  process.stderr.write(`wrote ${out}\n`);
}

await main();

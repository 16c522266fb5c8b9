// Dense float32 GEMM, BLIS style: C[M,N] = A[M,K]·B[K,N] (+ bias), then a fused activation.
//
// Packed layouts (compiler/pack/dense.ts packs the offline ones identically):
//   A panels: [ceil(M/4)][K][4]  4 rows interleaved per k; rows past M are zero.
//   B panels: [ceil(N/8)][K][8]  8 columns per k; columns past N are zero.
// A weight matrix is packed offline over its whole K. Run-time operands are packed block by
// block into scratch with the same layout, K := kc: A as [MC rows][kc], B as [kc][NC columns].
//
// Micro-kernel 4x8: 8 f32x4 accumulators; per k, 2 loads of B, 4 splat loads of A, 8 mul+add.
// V8 on x64 gives wasm 15 allocatable xmm registers (xmm15 is scratch), so tiles with 16
// accumulators (4x16, 8x8) spill. FMA builds (wasm-relaxed-simd, ./fma.ts) run 6x8 tiles
// (mk_6x8: 12 accumulators + 2 B + 1 A = 15 registers) over groups of 3 A micro-panels: with
// FMA's 4-cycle latency on 2 ports, 8 accumulators cannot keep both ports busy (in-L1 micro-kernel
// loops like the bench's ceiling tests, Sapphire Rapids: 4x8 ~49, 6x8 ~63 GFLOP/s). mul+add builds
// keep 4x8: a 6x8 tile needs a 16th register for the product, and separate mul and add are
// port-bound at 3 per cycle (~45 GFLOP/s) with either tile.
// The micro-kernel has two call sites (full tiles and edge tiles) so that binaryen never inlines
// it into the macro-kernel: inlined micro-kernels ran 2-3x slower in V8 (perf.md).
//
// Blocking: KC = 256 keeps an A micro-panel (4 KiB) and a B panel (8 KiB) in L1 while a tile
// runs; MC x KC of packed A and KC x NC of packed B (128 + 512 KiB) stay in L2 (1-2 MiB).
// The macro-kernel walks a row of tiles (4 rows of C) before the next: C is then written as 4
// streams. Column-major tile order wrote MC rows at once, and with a leading dimension that is
// a multiple of 4 KiB (160x160 maps) those rows share L1 sets: 1x1 convs with K = 16 ran 1.3x
// slower. For large K the two orders measured the same. FMA builds walk a 12-row group column
// by column instead (both 6x8 tiles per B panel, 12 C rows per column): measured the same as
// two rows of tiles, with half the B traffic from L2.
// Edge tiles (M % 4, N % 8) run the same micro-kernel on a 4x8 staging tile in scratch and copy
// the valid part back, so there is no separate edge kernel; K needs no edge code at all.
//
// No memory.copy: with bulk memory on, build.ts validation trips a binaryen assertion
// (BulkMemory without BulkMemoryOpt), and the copies here are a few floats anyway.
// Strides and leading dimensions are in elements (floats); addresses in bytes.
// Bias modes: 0 none, 1 per row (bias[i], M floats), 2 per column (bias[j], N floats),
// 3 full matrix (bias[i*N + j]) and 4 scalar (bias[0]): 3 and 4 are written into C before the
// first K block, which then accumulates.
// Scratch layout of the drivers (compiler/codegen/kernels/gemm-blocking.ts computes its size):
//   [256 B staging tile][packed A block, if A is packed at run time][packed B block, if B is].
import { act_tile_f32 } from './activation';
import { madd } from './fma';

export const GEMM_MR: i32 = 4;
export const GEMM_NR: i32 = 8;
export const GEMM_KC: i32 = 256;
export const GEMM_MC: i32 = 128;
export const GEMM_NC: i32 = 512;
export const GEMM_TMP_BYTES: i32 = 256;

const INIT_ZERO = 0;
const INIT_LOAD = 1;
const INIT_ROWBIAS = 2;
const INIT_COLBIAS = 3;

export const BIAS_NONE = 0;
export const BIAS_ROW = 1;
export const BIAS_COL = 2;
export const BIAS_FULL = 3;
export const BIAS_SCALAR = 4;

// ---------------------------------------------------------------- micro-kernel

/** C[4][8] (row stride ldc bytes) = init + sum over kc of A panel [kc][4] x B panel [kc][8] */
function mk_4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c00 = v128.load(c); c01 = v128.load(c, 16);
      c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
      c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
      c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
    } else if (init == INIT_ROWBIAS) {
      c00 = v128.load32_splat(bias); c01 = c00;
      c10 = v128.load32_splat(bias, 4); c11 = c10;
      c20 = v128.load32_splat(bias, 8); c21 = c20;
      c30 = v128.load32_splat(bias, 12); c31 = c30;
    } else if (init == INIT_COLBIAS) {
      c00 = v128.load(bias); c01 = v128.load(bias, 16);
      c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
    }
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      // madd: fused on the wasm-relaxed-simd target (./fma.ts)
      const a0 = v128.load32_splat(a);
      c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
      const a1 = v128.load32_splat(a, 4);
      c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
      const a2 = v128.load32_splat(a, 8);
      c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
      const a3 = v128.load32_splat(a, 12);
      c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
      a += 16; b += 32;
    }
    v128.store(c, c00); v128.store(c, c01, 16);
    v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
    v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
    v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
  } else {
    // scalar: four 2x4 sub-tiles, 8 accumulators each (no spills on 16 registers)
    for (let rp = 0; rp < 4; rp += 2) {
      for (let cq = 0; cq < 8; cq += 4) {
        const r0 = c + <usize>rp * ldc + (<usize>cq << 2), r1 = r0 + ldc;
        let x0: f32 = 0, x1: f32 = 0, x2: f32 = 0, x3: f32 = 0, y0: f32 = 0, y1: f32 = 0, y2: f32 = 0, y3: f32 = 0;
        if (init == INIT_LOAD) {
          x0 = load<f32>(r0); x1 = load<f32>(r0, 4); x2 = load<f32>(r0, 8); x3 = load<f32>(r0, 12);
          y0 = load<f32>(r1); y1 = load<f32>(r1, 4); y2 = load<f32>(r1, 8); y3 = load<f32>(r1, 12);
        } else if (init == INIT_ROWBIAS) {
          x0 = load<f32>(bias + (<usize>rp << 2)); x1 = x0; x2 = x0; x3 = x0;
          y0 = load<f32>(bias + (<usize>rp << 2), 4); y1 = y0; y2 = y0; y3 = y0;
        } else if (init == INIT_COLBIAS) {
          const q = bias + (<usize>cq << 2);
          x0 = load<f32>(q); x1 = load<f32>(q, 4); x2 = load<f32>(q, 8); x3 = load<f32>(q, 12);
          y0 = x0; y1 = x1; y2 = x2; y3 = x3;
        }
        let ap = a + (<usize>rp << 2), bp = b + (<usize>cq << 2);
        for (let k = 0; k < kc; k++) {
          const a0 = load<f32>(ap), a1 = load<f32>(ap, 4);
          const b0 = load<f32>(bp), b1 = load<f32>(bp, 4), b2 = load<f32>(bp, 8), b3 = load<f32>(bp, 12);
          x0 += a0 * b0; x1 += a0 * b1; x2 += a0 * b2; x3 += a0 * b3;
          y0 += a1 * b0; y1 += a1 * b1; y2 += a1 * b2; y3 += a1 * b3;
          ap += 16; bp += 32;
        }
        store<f32>(r0, x0); store<f32>(r0, x1, 4); store<f32>(r0, x2, 8); store<f32>(r0, x3, 12);
        store<f32>(r1, y0); store<f32>(r1, y1, 4); store<f32>(r1, y2, 8); store<f32>(r1, y3, 12);
      }
    }
  }
}

/** FMA builds: C[6][8] = init + sum over kc of 6 rows of A x B panel [kc][8]. The 6 rows are 4
 *  rows of one A micro-panel (a4, C rows at c4) and 2 rows of another (a2 points at their lanes,
 *  C rows at c2), so the 4-row panel layout serves 6-row tiles: 3 panels make 2 tiles.
 *  12 accumulators + 2 B vectors + 1 A splat = the 15 xmm registers V8 allocates on x64; with
 *  FMA (4-cycle latency, 2 ports) 12 chains keep both ports busy where the 4x8 tile's 8 do not
 *  (bench ceiling tests: 6x8 ~63 GFLOP/s, 4x8 ~49 on this Sapphire Rapids). mul+add builds keep
 *  4x8: the product's temporary would be a 16th register. */
function mk_6x8(kc: i32, a4: usize, a2: usize, b: usize, c4: usize, c2: usize, ldc: usize, init: i32, bias4: usize, bias2: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    let d00 = c00, d01 = c00, d10 = c00, d11 = c00;
    if (init == INIT_LOAD) {
      c00 = v128.load(c4); c01 = v128.load(c4, 16);
      c10 = v128.load(c4 + ldc); c11 = v128.load(c4 + ldc, 16);
      c20 = v128.load(c4 + 2 * ldc); c21 = v128.load(c4 + 2 * ldc, 16);
      c30 = v128.load(c4 + 3 * ldc); c31 = v128.load(c4 + 3 * ldc, 16);
      d00 = v128.load(c2); d01 = v128.load(c2, 16);
      d10 = v128.load(c2 + ldc); d11 = v128.load(c2 + ldc, 16);
    } else if (init == INIT_ROWBIAS) {
      c00 = v128.load32_splat(bias4); c01 = c00;
      c10 = v128.load32_splat(bias4, 4); c11 = c10;
      c20 = v128.load32_splat(bias4, 8); c21 = c20;
      c30 = v128.load32_splat(bias4, 12); c31 = c30;
      d00 = v128.load32_splat(bias2); d01 = d00;
      d10 = v128.load32_splat(bias2, 4); d11 = d10;
    } else if (init == INIT_COLBIAS) {
      c00 = v128.load(bias4); c01 = v128.load(bias4, 16);
      c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
      d00 = c00; d01 = c01; d10 = c00; d11 = c01;
    }
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      let a = v128.load32_splat(a4);
      c00 = f32x4.relaxed_madd(a, b0, c00); c01 = f32x4.relaxed_madd(a, b1, c01);
      a = v128.load32_splat(a4, 4);
      c10 = f32x4.relaxed_madd(a, b0, c10); c11 = f32x4.relaxed_madd(a, b1, c11);
      a = v128.load32_splat(a4, 8);
      c20 = f32x4.relaxed_madd(a, b0, c20); c21 = f32x4.relaxed_madd(a, b1, c21);
      a = v128.load32_splat(a4, 12);
      c30 = f32x4.relaxed_madd(a, b0, c30); c31 = f32x4.relaxed_madd(a, b1, c31);
      a = v128.load32_splat(a2);
      d00 = f32x4.relaxed_madd(a, b0, d00); d01 = f32x4.relaxed_madd(a, b1, d01);
      a = v128.load32_splat(a2, 4);
      d10 = f32x4.relaxed_madd(a, b0, d10); d11 = f32x4.relaxed_madd(a, b1, d11);
      a4 += 16; a2 += 16; b += 32;
    }
    v128.store(c4, c00); v128.store(c4, c01, 16);
    v128.store(c4 + ldc, c10); v128.store(c4 + ldc, c11, 16);
    v128.store(c4 + 2 * ldc, c20); v128.store(c4 + 2 * ldc, c21, 16);
    v128.store(c4 + 3 * ldc, c30); v128.store(c4 + 3 * ldc, c31, 16);
    v128.store(c2, d00); v128.store(c2, d01, 16);
    v128.store(c2 + ldc, d10); v128.store(c2 + ldc, d11, 16);
  }
}

// ---------------------------------------------------------------- macro-kernel

/** a partial tile (mr <= 4 rows, nr <= 8 columns at row ir, column jr of the block) staged
 *  through tmp (4 x 8, row stride 32 bytes) so that the 4x8 micro-kernel computes it in full */
function edge_tile(mr: i32, nr: i32, kc: i32, ap: usize, bp: usize, cp: usize, ldcb: usize, init: i32, bias: usize, ir: i32, jr: i32, tmp: usize): void {
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      let v: f32 = 0;
      if (init == INIT_LOAD) v = load<f32>(cp + <usize>r * ldcb + (<usize>j << 2));
      else if (init == INIT_ROWBIAS) v = load<f32>(bias + (<usize>(ir + r) << 2));
      else if (init == INIT_COLBIAS) v = load<f32>(bias + (<usize>(jr + j) << 2));
      store<f32>(tmp + (<usize>(r * 8 + j) << 2), v);
    }
  }
  mk_4x8(kc, ap, bp, tmp, 32, init == INIT_ZERO ? INIT_ZERO : INIT_LOAD, 0);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) store<f32>(cp + <usize>r * ldcb + (<usize>j << 2), load<f32>(tmp + (<usize>(r * 8 + j) << 2)));
  }
}

/** C block [mc][nc] (row stride ldc elements) from a packed A block (4-row micro-panels aps bytes
 *  apart) and a packed B block (8-column panels bps bytes apart), both kc deep.
 *  init: 0 zero, 1 accumulate into C, 2 row bias (bias = bias of row 0 of the block),
 *  3 column bias (bias = bias of column 0). act (0 = none) is applied to the block's C:
 *  pass it only with the last K block. tmp: 128 bytes of staging space for edge tiles. */
export function gemm_macro_f32(mc: i32, nc: i32, kc: i32, a: usize, aps: usize, b: usize, bps: usize,
  c: usize, ldc: i32, init: i32, bias: usize, act: i32, alpha: f32, beta: f32, tmp: usize): void {
  const ldcb = <usize>ldc << 2;
  let ir = 0;
  if (ASC_FEATURE_RELAXED_SIMD) {
    // FMA builds: 12 rows (3 A micro-panels p0 p1 p2) as two 6x8 tiles per column tile, rows
    // 0-3 (p0) + 4-5 (p1 lanes 0-1), then 6-7 (p1 lanes 2-3) + 8-11 (p2); the two calls are the
    // two call sites that keep binaryen from inlining mk_6x8. Columns past the last full 8 go
    // through edge_tile, rows past the last 12 through the 4x8 path below.
    const nf = nc & ~7, rowBias = init == INIT_ROWBIAS;
    for (; ir + 12 <= mc; ir += 12) {
      const p0 = a + <usize>(ir >> 2) * aps, p1 = p0 + aps, p2 = p1 + aps;
      const c0 = c + <usize>ir * ldcb;
      // column tiles outer: the B panel (8 KiB) serves both 6-row tiles from L1, the 12 rows of A
      // (12 KiB) stay in L1 across the row
      for (let jr = 0; jr < nf; jr += 8) {
        const bp = b + <usize>(jr >> 3) * bps, cj = c0 + (<usize>jr << 2);
        let cb = bias + (<usize>(rowBias ? ir : jr) << 2);
        mk_6x8(kc, p0, p1, bp, cj, cj + 4 * ldcb, ldcb, init, cb, rowBias ? cb + 16 : cb);
        cb = bias + (<usize>(rowBias ? ir + 8 : jr) << 2);
        mk_6x8(kc, p2, p1 + 8, bp, cj + 8 * ldcb, cj + 6 * ldcb, ldcb, init, cb, rowBias ? cb - 8 : cb);
      }
      if (nf < nc) {
        for (let q = 0; q < 3; q++) edge_tile(4, nc - nf, kc, p0 + <usize>q * aps, b + <usize>(nf >> 3) * bps, c0 + <usize>(4 * q) * ldcb + (<usize>nf << 2), ldcb, init, bias, ir + 4 * q, nf, tmp);
      }
      if (act != 0) act_tile_f32(c0, ldc, 12, nc, act, alpha, beta);
    }
  }
  for (; ir < mc; ir += 4) {
    const mr = min(4, mc - ir);
    const ap = a + <usize>(ir >> 2) * aps;
    for (let jr = 0; jr < nc; jr += 8) {
      const nr = min(8, nc - jr);
      const bp = b + <usize>(jr >> 3) * bps;
      const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
      if (mr == 4 && nr == 8) {
        const bb = init == INIT_ROWBIAS ? bias + (<usize>ir << 2) : bias + (<usize>jr << 2);
        mk_4x8(kc, ap, bp, cp, ldcb, init, bb);
      } else edge_tile(mr, nr, kc, ap, bp, cp, ldcb, init, bias, ir, jr, tmp);
    }
    // the activation runs over the row of tiles just finished (4 rows of C, still in L1): one
    // dispatch per row instead of per tile, which mattered for small K (1x1 convs + HardSwish)
    if (act != 0) act_tile_f32(c + <usize>ir * ldcb, ldc, mr, nc, act, alpha, beta);
  }
}

// ---------------------------------------------------------------- packing at run time

/** packs A rows [0,mc) x k [0,kc) into [ceil(mc/4)][kc][4] at dst (rows past mc zero).
 *  Element (i,k) of A is at a + (i*rs + k*cs)*4. */
export function gemm_pack_a_f32(mc: i32, kc: i32, a: usize, rs: i32, cs: i32, dst: usize): void {
  const rsb = <usize>rs << 2, csb = <usize>cs << 2;
  for (let i = 0; i < mc; i += 4) {
    const rows = min(4, mc - i);
    const src = a + <usize>i * rsb;
    let d = dst + ((<usize>i * <usize>kc) << 2);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      if (rows == 4 && cs == 1) {
        const p0 = src, p1 = src + rsb, p2 = src + 2 * rsb, p3 = src + 3 * rsb;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          const r0 = v128.load(p0 + o), r1 = v128.load(p1 + o), r2 = v128.load(p2 + o), r3 = v128.load(p3 + o);
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
          v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
          v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
          d += 64;
        }
      } else if (rows == 4 && rs == 1) {
        for (; k < kc; k++) { v128.store(d, v128.load(src + <usize>k * csb)); d += 16; }
      }
    }
    for (; k < kc; k++) {
      const s = src + <usize>k * csb;
      for (let r = 0; r < 4; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + <usize>r * rsb) : 0);
      d += 16;
    }
  }
}

/** packs B k [0,kc) x columns [0,nc) into [ceil(nc/8)][kc][8] at dst (columns past nc zero).
 *  Element (k,n) of B is at b + (k*rs + n*cs)*4. */
export function gemm_pack_b_f32(kc: i32, nc: i32, b: usize, rs: i32, cs: i32, dst: usize): void {
  const rsb = <usize>rs << 2, csb = <usize>cs << 2;
  let j0 = 0;
  if (ASC_FEATURE_SIMD) {
    if (cs == 1 && nc >= 8) {
      // row-major B: 4 rows of k at a time across every full panel, so the source is read as
      // 4 sequential streams (a panel at a time read kc rows per 32 bytes, one page each for wide
      // rows: 6 GB/s for the 3136-wide activations of conv-as-GEMM) and each panel gets 2 whole
      // cache lines per step
      const nf = nc & ~7, pst = <usize>kc << 5;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s0 = b + <usize>k * rsb, s1 = s0 + rsb, s2 = s1 + rsb, s3 = s2 + rsb;
        let d = dst + (<usize>k << 5);
        for (let j = 0; j < nf; j += 8) {
          const o = <usize>j << 2;
          v128.store(d, v128.load(s0 + o)); v128.store(d, v128.load(s0 + o, 16), 16);
          v128.store(d, v128.load(s1 + o), 32); v128.store(d, v128.load(s1 + o, 16), 48);
          v128.store(d, v128.load(s2 + o), 64); v128.store(d, v128.load(s2 + o, 16), 80);
          v128.store(d, v128.load(s3 + o), 96); v128.store(d, v128.load(s3 + o, 16), 112);
          d += pst;
        }
      }
      for (; k < kc; k++) {
        const s0 = b + <usize>k * rsb;
        let d = dst + (<usize>k << 5);
        for (let j = 0; j < nf; j += 8) {
          v128.store(d, v128.load(s0 + (<usize>j << 2))); v128.store(d, v128.load(s0 + (<usize>j << 2), 16), 16);
          d += pst;
        }
      }
      j0 = nf;
    }
  }
  for (let j = j0; j < nc; j += 8) {
    const cols = min(8, nc - j);
    const src = b + <usize>j * csb;
    let d = dst + ((<usize>j * <usize>kc) << 2);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      if (cols == 8 && rs == 1) {
        // B stored transposed ([N][K]): 8 column streams, 4x4 transposes
        const p0 = src, p1 = p0 + csb, p2 = p1 + csb, p3 = p2 + csb, p4 = p3 + csb, p5 = p4 + csb, p6 = p5 + csb, p7 = p6 + csb;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          let r0 = v128.load(p0 + o), r1 = v128.load(p1 + o), r2 = v128.load(p2 + o), r3 = v128.load(p3 + o);
          let t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          let t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
          v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
          v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
          r0 = v128.load(p4 + o); r1 = v128.load(p5 + o); r2 = v128.load(p6 + o); r3 = v128.load(p7 + o);
          t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), 16);
          v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 48);
          v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 80);
          v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 112);
          d += 128;
        }
      }
    }
    for (; k < kc; k++) {
      const s = src + <usize>k * rsb;
      for (let l = 0; l < 8; l++) store<f32>(d + (<usize>l << 2), l < cols ? load<f32>(s + <usize>l * csb) : 0);
      d += 32;
    }
  }
}

// ---------------------------------------------------------------- drivers

@inline function align64(x: usize): usize { return (x + 63) & ~<usize>63; }
@inline function ceil4(x: i32): i32 { return (x + 3) & ~3; }
@inline function ceil8(x: i32): i32 { return (x + 7) & ~7; }

/** bytes of a run-time packed A block / B block for these sizes (mirrors gemm-blocking.ts) */
@inline function blockBytesA(M: i32, K: i32): usize { return align64(<usize>min(ceil4(M), GEMM_MC) * <usize>min(K, GEMM_KC) * 4); }
@inline function blockBytesB(N: i32, K: i32): usize { return align64(<usize>min(ceil8(N), GEMM_NC) * <usize>min(K, GEMM_KC) * 4); }

/** init mode and bias pointer for the K block starting at pc */
@inline function initFor(pc: i32, biasMode: i32): i32 {
  if (pc > 0 || biasMode >= BIAS_FULL) return INIT_LOAD;
  return biasMode == BIAS_ROW ? INIT_ROWBIAS : biasMode == BIAS_COL ? INIT_COLBIAS : INIT_ZERO;
}
@inline function biasAt(bias: usize, biasMode: i32, ic: i32, jc: i32): usize {
  return biasMode == BIAS_ROW ? bias + (<usize>ic << 2) : bias + (<usize>jc << 2);
}

/** before the K loop: full-matrix or scalar bias into C; with K == 0, C = bias then act */
function gemm_prologue(M: i32, N: i32, K: i32, c: usize, ldc: i32, bias: usize, biasMode: i32, act: i32, alpha: f32, beta: f32): void {
  if (biasMode == BIAS_FULL) {
    for (let i = 0; i < M; i++) {
      const d = c + (<usize>(i * ldc) << 2), s = bias + (<usize>(i * N) << 2);
      for (let j = 0; j < N; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
    }
  } else if (biasMode == BIAS_SCALAR) {
    const v = load<f32>(bias);
    for (let i = 0; i < M; i++) {
      const d = c + (<usize>(i * ldc) << 2);
      for (let j = 0; j < N; j++) store<f32>(d + (<usize>j << 2), v);
    }
  }
  if (K > 0) return;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let v: f32 = 0;
      if (biasMode == BIAS_ROW) v = load<f32>(bias + (<usize>i << 2));
      else if (biasMode == BIAS_COL) v = load<f32>(bias + (<usize>j << 2));
      else if (biasMode == BIAS_FULL) v = load<f32>(bias + (<usize>(i * N + j) << 2));
      else if (biasMode == BIAS_SCALAR) v = load<f32>(bias);
      store<f32>(c + (<usize>(i * ldc + j) << 2), v);
    }
  }
  act_tile_f32(c, ldc, M, N, act, alpha, beta);
}

/** C = A·B (+ bias, act) for `batch` matrices, both operands packed at run time.
 *  Element (i,k) of batch t of A is at a + (t*a_bs + i*a_rs + k*a_cs)*4; B likewise with
 *  (k,n); C row-major with leading dimension ldc. A zero batch stride broadcasts. */
export function gemm_f32(batch: i32, M: i32, N: i32, K: i32,
  a: usize, a_bs: i32, a_rs: i32, a_cs: i32,
  b: usize, b_bs: i32, b_rs: i32, b_cs: i32,
  c: usize, c_bs: i32, ldc: i32,
  bias: usize, biasMode: i32, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  const ablk = scratch + GEMM_TMP_BYTES;
  const bblk = ablk + blockBytesA(M, K);
  for (let t = 0; t < batch; t++) {
    const at = a + (<usize>(t * a_bs) << 2), bt = b + (<usize>(t * b_bs) << 2), ct = c + (<usize>(t * c_bs) << 2);
    gemm_prologue(M, N, K, ct, ldc, bias, biasMode, act, alpha, beta);
    for (let jc = 0; jc < N; jc += GEMM_NC) {
      const nc = min(GEMM_NC, N - jc);
      for (let pc = 0; pc < K; pc += GEMM_KC) {
        const kc = min(GEMM_KC, K - pc);
        const init = initFor(pc, biasMode);
        const lastAct = pc + kc >= K ? act : 0;
        gemm_pack_b_f32(kc, nc, bt + (<usize>(pc * b_rs + jc * b_cs) << 2), b_rs, b_cs, bblk);
        for (let ic = 0; ic < M; ic += GEMM_MC) {
          const mc = min(GEMM_MC, M - ic);
          gemm_pack_a_f32(mc, kc, at + (<usize>(ic * a_rs + pc * a_cs) << 2), a_rs, a_cs, ablk);
          gemm_macro_f32(mc, nc, kc, ablk, <usize>kc << 4, bblk, <usize>kc << 5,
            ct + (<usize>(ic * ldc + jc) << 2), ldc, init, biasAt(bias, biasMode, ic, jc), lastAct, alpha, beta, scratch);
        }
      }
    }
  }
}

/** C = A·B (+ bias, act) with B packed offline as [ceil(N/8)][K][8] (linear layers: B is the
 *  weight). Batch t uses the B panels at bp + bp_bs*4 (0 = one B for every batch). */
export function gemm_f32_pb(batch: i32, M: i32, N: i32, K: i32,
  a: usize, a_bs: i32, a_rs: i32, a_cs: i32,
  bp: usize, bp_bs: i32,
  c: usize, c_bs: i32, ldc: i32,
  bias: usize, biasMode: i32, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  const ablk = scratch + GEMM_TMP_BYTES;
  for (let t = 0; t < batch; t++) {
    const at = a + (<usize>(t * a_bs) << 2), bt = bp + (<usize>(t * bp_bs) << 2), ct = c + (<usize>(t * c_bs) << 2);
    gemm_prologue(M, N, K, ct, ldc, bias, biasMode, act, alpha, beta);
    for (let pc = 0; pc < K; pc += GEMM_KC) {
      const kc = min(GEMM_KC, K - pc);
      const init = initFor(pc, biasMode);
      const lastAct = pc + kc >= K ? act : 0;
      for (let ic = 0; ic < M; ic += GEMM_MC) {
        const mc = min(GEMM_MC, M - ic);
        gemm_pack_a_f32(mc, kc, at + (<usize>(ic * a_rs + pc * a_cs) << 2), a_rs, a_cs, ablk);
        // NC columns at a time, so that the B panels a row of tiles sweeps stay in L2
        for (let jc = 0; jc < N; jc += GEMM_NC) {
          gemm_macro_f32(mc, min(GEMM_NC, N - jc), kc, ablk, <usize>kc << 4, bt + <usize>(jc >> 3) * (<usize>K << 5) + (<usize>pc << 5), <usize>K << 5,
            ct + (<usize>(ic * ldc + jc) << 2), ldc, init, biasAt(bias, biasMode, ic, jc), lastAct, alpha, beta, scratch);
        }
      }
    }
  }
}

/** C = A·B (+ bias, act) with A packed offline as [ceil(M/4)][K][4] (convolutions: A is the
 *  weight). Batch t uses the A panels at ap + ap_bs*4 (0 = one A for every batch). */
export function gemm_f32_pa(batch: i32, M: i32, N: i32, K: i32,
  ap: usize, ap_bs: i32,
  b: usize, b_bs: i32, b_rs: i32, b_cs: i32,
  c: usize, c_bs: i32, ldc: i32,
  bias: usize, biasMode: i32, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  const bblk = scratch + GEMM_TMP_BYTES;
  for (let t = 0; t < batch; t++) {
    const at = ap + (<usize>(t * ap_bs) << 2), bt = b + (<usize>(t * b_bs) << 2), ct = c + (<usize>(t * c_bs) << 2);
    gemm_prologue(M, N, K, ct, ldc, bias, biasMode, act, alpha, beta);
    for (let jc = 0; jc < N; jc += GEMM_NC) {
      const nc = min(GEMM_NC, N - jc);
      for (let pc = 0; pc < K; pc += GEMM_KC) {
        const kc = min(GEMM_KC, K - pc);
        const init = initFor(pc, biasMode);
        const lastAct = pc + kc >= K ? act : 0;
        gemm_pack_b_f32(kc, nc, bt + (<usize>(pc * b_rs + jc * b_cs) << 2), b_rs, b_cs, bblk);
        for (let ic = 0; ic < M; ic += GEMM_MC) {
          const mc = min(GEMM_MC, M - ic);
          gemm_macro_f32(mc, nc, kc, at + (<usize>(ic * K + pc * 4) << 2), <usize>K << 4, bblk, <usize>kc << 5,
            ct + (<usize>(ic * ldc + jc) << 2), ldc, init, biasAt(bias, biasMode, ic, jc), lastAct, alpha, beta, scratch);
        }
      }
    }
  }
}

/** y[i] = s * x[i] for n floats: Gemm's alpha or beta on operands computed at run time */
export function scale_copy_f32(x: usize, y: usize, n: i32, s: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const v = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.mul(v128.load(x + (<usize>i << 2)), v));
  }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * s);
}

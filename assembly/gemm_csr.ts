// Unstructured sparse float32 kernels: C[M,N] = W[M,K]·B[K,N] (+ per-row bias), then a fused
// activation, with W in the "csr" layout of compiler/pack/csr.ts:
//   ptr i32 [nb*M + 1] (cumulative), values f32 [nnz], offsets u16 [nnz], K blocks of KB.
// GEMM and conv (KB = CSR_KC = 256, offsets = (k % 256) * 64): B is packed per KC x NC block
// into 16-column panels [kc][16], 16 KiB apart whatever kc, by the 2:4 kernels' packers (GEMM:
// nm_pack_gemm_b, a row-major B 4 rows at a time; conv: nm_pack_panels over the fresh im2col
// rows), so one nonzero meets one 64-byte row of a panel in L1.
// Micro-kernels: one output row (rows have their own nonzeros, so rows cannot share B loads as
// in the dense tile) times 32 columns (two adjacent panels, 8 accumulators: one offset load and
// one splat per 8 vectors) or 16 columns (two nonzeros per step into two sets of 4 accumulators,
// to hide the add latency), and 4, 8 or 12 columns for a narrow last panel. Per nonzero: u16
// offset load, splat, one load and one multiply-add per 4 columns (madd, assembly/fma.ts: fused
// on wasm-relaxed-simd, where the dense and 2:4 kernels fuse theirs too).
// Loop order as the 2:4 kernel: per NC block and K block, B packed once; per MC rows (their
// part of the weight stream, ~20 KB at 90% sparsity, stays in L1 next to one panel), per
// panel pair, every row. The last partial panel (N % 16) runs on a staging row.
// Each micro-kernel has two call sites so binaryen does not inline it (perf.md).
// GEMV (one activation row, KB = min(K, 16384), offsets = k * 4 into x): per row a gathered
// dot product, 4 nonzeros per step.
// Scratch (GEMM, conv): [256 B staging][packed B block][conv: a block of im2col rows], the
// 2:4 kernel's sizes (gemm-blocking.ts csrScratchBytes, convCSRScratchBytes).
import { act_apply_f32, act_tile_f32 } from './activation';
import { conv_im2col_f32 } from './conv';
import { NM_PS, nm_pack_gemm_b, nm_pack_panels } from './gemm_nm';
import { madd } from './fma';

export const CSR_KC: i32 = 256;
export const CSR_MC: i32 = 128;
export const CSR_NC: i32 = 512;
const TMP_BYTES: usize = 256;
/** bytes from one packed B panel to the next: the 2:4 kernels' NM_PS (CSR_KC rows of 64 bytes
 *  whatever kc), so that B is packed by their packers and the 1x32 kernel reaches the pair's
 *  second panel through a load's constant offset (16384 there) */
const CSR_PS: usize = NM_PS;

/** c[0..16) = (acc ? c : bias) + sum over n nonzeros (a values, ix u16 byte offsets into panel b) */
function csrk_1x16(n: i32, a: usize, ix: usize, b: usize, c: usize, acc: bool, bias: f32): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(bias), c1 = c0, c2 = c0, c3 = c0;
    if (acc) { c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48); }
    let d0 = f32x4.splat(0), d1 = d0, d2 = d0, d3 = d0;
    let i = 0;
    for (; i + 2 <= n; i += 2) {
      const o0 = b + <usize>load<u16>(ix), o1 = b + <usize>load<u16>(ix, 2);
      const a0 = v128.load32_splat(a), a1 = v128.load32_splat(a, 4);
      c0 = madd(a0, v128.load(o0), c0); c1 = madd(a0, v128.load(o0, 16), c1);
      c2 = madd(a0, v128.load(o0, 32), c2); c3 = madd(a0, v128.load(o0, 48), c3);
      d0 = madd(a1, v128.load(o1), d0); d1 = madd(a1, v128.load(o1, 16), d1);
      d2 = madd(a1, v128.load(o1, 32), d2); d3 = madd(a1, v128.load(o1, 48), d3);
      a += 8; ix += 4;
    }
    if (i < n) {
      const o0 = b + <usize>load<u16>(ix), a0 = v128.load32_splat(a);
      c0 = madd(a0, v128.load(o0), c0); c1 = madd(a0, v128.load(o0, 16), c1);
      c2 = madd(a0, v128.load(o0, 32), c2); c3 = madd(a0, v128.load(o0, 48), c3);
    }
    v128.store(c, f32x4.add(c0, d0)); v128.store(c, f32x4.add(c1, d1), 16);
    v128.store(c, f32x4.add(c2, d2), 32); v128.store(c, f32x4.add(c3, d3), 48);
  } else {
    // scalar: 4 columns at a time, 4 accumulators
    for (let q = 0; q < 16; q += 4) {
      const cp = c + (<usize>q << 2);
      let x0 = bias, x1 = bias, x2 = bias, x3 = bias;
      if (acc) { x0 = load<f32>(cp); x1 = load<f32>(cp, 4); x2 = load<f32>(cp, 8); x3 = load<f32>(cp, 12); }
      const bq = b + (<usize>q << 2);
      for (let i = 0; i < n; i++) {
        const v = load<f32>(a + (<usize>i << 2)), p = bq + <usize>load<u16>(ix + (<usize>i << 1));
        x0 += v * load<f32>(p); x1 += v * load<f32>(p, 4); x2 += v * load<f32>(p, 8); x3 += v * load<f32>(p, 12);
      }
      store<f32>(cp, x0); store<f32>(cp, x1, 4); store<f32>(cp, x2, 8); store<f32>(cp, x3, 12);
    }
  }
}

/** as csrk_1x16 over 32 columns: panel b and the next panel, CSR_PS bytes further (a load's
 *  constant offset, 16384 below) */
function csrk_1x32(n: i32, a: usize, ix: usize, b: usize, c: usize, acc: bool, bias: f32): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(bias), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    if (acc) {
      c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
      c4 = v128.load(c, 64); c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112);
    }
    for (let i = 0; i < n; i++) {
      const o = b + <usize>load<u16>(ix);
      const a0 = v128.load32_splat(a);
      c0 = madd(a0, v128.load(o), c0); c1 = madd(a0, v128.load(o, 16), c1);
      c2 = madd(a0, v128.load(o, 32), c2); c3 = madd(a0, v128.load(o, 48), c3);
      c4 = madd(a0, v128.load(o, 16384), c4); c5 = madd(a0, v128.load(o, 16400), c5);
      c6 = madd(a0, v128.load(o, 16416), c6); c7 = madd(a0, v128.load(o, 16432), c7);
      a += 4; ix += 2;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112);
  } else {
    csrk_1x16(n, a, ix, b, c, acc, bias);
    csrk_1x16(n, a, ix, b + CSR_PS, c + 64, acc, bias);
  }
}

/** as csrk_1x16 over the first nv (1..3) vectors of 4 columns only: the narrow last panel. A mul
 *  and an add, not madd: its 1-3 accumulator chains are latency-bound, and on the Intel machine a
 *  chain of FMAs ran slower than one of adds (same-run: -9% on a 50-column GEMM at 70% with madd) */
function csrk_1xv(n: i32, a: usize, ix: usize, b: usize, c: usize, acc: bool, bias: f32, nv: i32): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(bias), c1 = c0, c2 = c0;
    if (acc) { c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); }
    if (nv == 1) {
      for (let i = 0; i < n; i++) {
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(a), v128.load(b + <usize>load<u16>(ix))));
        a += 4; ix += 2;
      }
    } else if (nv == 2) {
      for (let i = 0; i < n; i++) {
        const o = b + <usize>load<u16>(ix), a0 = v128.load32_splat(a);
        c0 = f32x4.add(c0, f32x4.mul(a0, v128.load(o))); c1 = f32x4.add(c1, f32x4.mul(a0, v128.load(o, 16)));
        a += 4; ix += 2;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const o = b + <usize>load<u16>(ix), a0 = v128.load32_splat(a);
        c0 = f32x4.add(c0, f32x4.mul(a0, v128.load(o))); c1 = f32x4.add(c1, f32x4.mul(a0, v128.load(o, 16)));
        c2 = f32x4.add(c2, f32x4.mul(a0, v128.load(o, 32)));
        a += 4; ix += 2;
      }
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32);
  } else {
    csrk_1x16(n, a, ix, b, c, acc, bias);
  }
}

/** C block [mc][nc] (row stride ldc elements) from the block's rows (rp: their ptr entries, mc+1
 *  of them), the weight stream (wv, wo: values and offsets of the whole matrix) and a packed B
 *  block (panels CSR_PS bytes apart). acc: accumulate into C; else start from bias (mc floats, or 0). */
function csr_macro_f32(mc: i32, nc: i32, rp: usize, wv: usize, wo: usize, b: usize,
  c: usize, ldc: i32, acc: bool, bias: usize, tmp: usize): void {
  const ldcb = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += 32) {
    const nr = min(32, nc - jr);
    const bp = b + <usize>(jr >> 4) * CSR_PS;
    for (let i = 0; i < mc; i++) {
      const s = load<i32>(rp + (<usize>i << 2)), n = load<i32>(rp + (<usize>i << 2), 4) - s;
      const a = wv + (<usize>s << 2), ix = wo + (<usize>s << 1);
      const cp = c + <usize>i * ldcb + (<usize>jr << 2);
      const bv: f32 = bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0;
      if (nr == 32) { csrk_1x32(n, a, ix, bp, cp, acc, bv); continue; }
      let j = 0;
      if (nr >= 16) { csrk_1x16(n, a, ix, bp, cp, acc, bv); j = 16; }
      if (j < nr) {
        // edge: the last, partial panel on a staging row (the packed panel is zero-padded)
        const w = nr - j, cj = cp + (<usize>j << 2);
        if (acc) for (let t = 0; t < w; t++) store<f32>(tmp + (<usize>t << 2), load<f32>(cj + (<usize>t << 2)));
        const pb = bp + (j == 16 ? CSR_PS : 0);
        if (w > 12) csrk_1x16(n, a, ix, pb, tmp, acc, bv);
        else csrk_1xv(n, a, ix, pb, tmp, acc, bv, (w + 3) >> 2);
        for (let t = 0; t < w; t++) store<f32>(cj + (<usize>t << 2), load<f32>(tmp + (<usize>t << 2)));
      }
    }
  }
}

@inline function ceil16(x: i32): i32 { return (x + 15) & ~15; }

/** One K block (pc, kc) of C = W·B for rows [0, M) and columns [jc, jc + nc) of an already
 *  packed B block: every MC block of rows, then the activation after the last K block. */
function csr_block_f32(M: i32, K: i32, pc: i32, kc: i32, nc: i32, ptr: usize, wv: usize, wo: usize, bblk: usize,
  c: usize, ldc: i32, bias: usize, act: i32, alpha: f32, beta: f32, tmp: usize): void {
  const rb = ptr + (<usize>(pc / CSR_KC) * <usize>M << 2);
  for (let ic = 0; ic < M; ic += CSR_MC) {
    const mc = min(CSR_MC, M - ic), cb = c + (<usize>ic * <usize>ldc << 2);
    csr_macro_f32(mc, nc, rb + (<usize>ic << 2), wv, wo, bblk, cb, ldc, pc > 0, bias != 0 ? bias + (<usize>ic << 2) : 0, tmp);
    if (act != 0 && pc + kc >= K) act_tile_f32(cb, ldc, mc, nc, act, alpha, beta);
  }
}

/** C = W·B (+ bias, act) with W in the csr layout (K blocks of CSR_KC), B read through strides:
 *  element (k,n) at b + (k*b_rs + n*b_cs)*4. C row-major, leading dim ldc. bias: M floats or 0. */
export function gemm_csr_f32(M: i32, N: i32, K: i32, ptr: usize, wv: usize, wo: usize,
  b: usize, b_rs: i32, b_cs: i32, c: usize, ldc: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  const bblk = scratch + TMP_BYTES;
  if (K <= 0) { csr_bias_only(M, N, c, ldc, bias, act, alpha, beta); return; }
  for (let jc = 0; jc < N; jc += CSR_NC) {
    const nc = min(CSR_NC, N - jc);
    for (let pc = 0; pc < K; pc += CSR_KC) {
      const kc = min(CSR_KC, K - pc);
      nm_pack_gemm_b(kc, nc, b + (<usize>(pc * b_rs + jc * b_cs) << 2), b_rs, b_cs, bblk);
      csr_block_f32(M, K, pc, kc, nc, ptr, wv, wo, bblk, c + (<usize>jc << 2), ldc, bias, act, alpha, beta, scratch);
    }
  }
}

function csr_bias_only(M: i32, N: i32, c: usize, ldc: i32, bias: usize, act: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < M; i++) {
    const v: f32 = bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0;
    for (let j = 0; j < N; j++) store<f32>(c + (<usize>(i * ldc + j) << 2), v);
  }
  act_tile_f32(c, ldc, M, N, act, alpha, beta);
}

/** Conv as W·im2col(X) with W in the csr layout per group (compiler/pack/csr.ts
 *  packConvWeightCSR: group g's ptr entries at g * nb * Cout/G, values and offsets shared),
 *  otherwise as conv2d_f32: NCHW, batch and groups looped, im2col blocked with the GEMM, 1x1
 *  stride-1 unpadded convs packed straight from the input. bias: Cout floats or 0. */
export function conv2d_csr_f32(x: usize, N: i32, C: i32, H: i32, W: i32,
  ptr: usize, wv: usize, wo: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  const Cg = C / G, Mg = Cout / G, K = Cg * kh * kw, P = Ho * Wo;
  if (Mg <= 0 || P <= 0) return;
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && Ho == H && Wo == W;
  const nb = max(1, (K + CSR_KC - 1) / CSR_KC);
  const bblk = scratch + TMP_BYTES;
  const ldr = min(P, CSR_NC) + 16;
  const rows = bblk + (<usize>(min(ceil16(P), CSR_NC) >> 4) * CSR_PS);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const yg = y + (<usize>(n * Cout + g * Mg) * <usize>P << 2);
      const pg = ptr + (<usize>(g * nb * Mg) << 2);
      const bg = bias != 0 ? bias + (<usize>(g * Mg) << 2) : 0;
      if (pointwise) {
        gemm_csr_f32(Mg, P, K, pg, wv, wo, xg, P, 1, yg, P, bg, act, alpha, beta, scratch);
        continue;
      }
      if (K <= 0) { csr_bias_only(Mg, P, yg, P, bg, act, alpha, beta); continue; }
      for (let jc = 0; jc < P; jc += CSR_NC) {
        const nc = min(CSR_NC, P - jc);
        for (let pc = 0; pc < K; pc += CSR_KC) {
          const kc = min(CSR_KC, K - pc);
          conv_im2col_f32(xg, H, W, kh, kw, sh, sw, pt, pl, dh, dw, Wo, pc, kc, jc, nc, rows, ldr);
          nm_pack_panels(kc, nc, rows, ldr, 1, bblk, CSR_PS);
          csr_block_f32(Mg, K, pc, kc, nc, pg, wv, wo, bblk, yg + (<usize>jc << 2), P, bg, act, alpha, beta, scratch);
        }
      }
    }
  }
}

/** y = act(W·x + bias) for one vector x of K floats, W in the csr layout with K blocks of KB and
 *  offsets k*4 (compiler/pack/csr.ts packCSRGemv); bias: M floats or 0. No scratch. */
export function gemv_csr_f32(M: i32, K: i32, KB: i32, ptr: usize, wv: usize, wo: usize, x: usize, y: usize,
  bias: usize, act: i32, alpha: f32, beta: f32): void {
  const nb = max(1, (K + KB - 1) / KB);
  for (let kb = 0; kb < nb; kb++) {
    const xb = x + (<usize>kb * <usize>KB << 2), rp = ptr + (<usize>kb * <usize>M << 2);
    for (let i = 0; i < M; i++) {
      let j = load<i32>(rp + (<usize>i << 2));
      const e = load<i32>(rp + (<usize>i << 2), 4);
      let s: f32 = 0;
      if (ASC_FEATURE_SIMD) {
        let s0 = f32x4.splat(0), s1 = s0;
        for (; j + 8 <= e; j += 8) {
          const a = wv + (<usize>j << 2), o = wo + (<usize>j << 1);
          let v0 = v128.load32_zero(xb + <usize>load<u16>(o));
          v0 = v128.load32_lane(xb + <usize>load<u16>(o, 2), v0, 1);
          v0 = v128.load32_lane(xb + <usize>load<u16>(o, 4), v0, 2);
          v0 = v128.load32_lane(xb + <usize>load<u16>(o, 6), v0, 3);
          let v1 = v128.load32_zero(xb + <usize>load<u16>(o, 8));
          v1 = v128.load32_lane(xb + <usize>load<u16>(o, 10), v1, 1);
          v1 = v128.load32_lane(xb + <usize>load<u16>(o, 12), v1, 2);
          v1 = v128.load32_lane(xb + <usize>load<u16>(o, 14), v1, 3);
          s0 = f32x4.add(s0, f32x4.mul(v128.load(a), v0));
          s1 = f32x4.add(s1, f32x4.mul(v128.load(a, 16), v1));
        }
        const t = f32x4.add(s0, s1), h = f32x4.add(t, v128.shuffle<f32>(t, t, 2, 3, 0, 1));
        s = f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
      }
      let s2: f32 = 0;
      for (; j + 2 <= e; j += 2) {
        const a = wv + (<usize>j << 2), o = wo + (<usize>j << 1);
        s += load<f32>(a) * load<f32>(xb + <usize>load<u16>(o));
        s2 += load<f32>(a, 4) * load<f32>(xb + <usize>load<u16>(o, 2));
      }
      if (j < e) s += load<f32>(wv + (<usize>j << 2)) * load<f32>(xb + <usize>load<u16>(wo + (<usize>j << 1)));
      s += s2;
      const yp = y + (<usize>i << 2);
      store<f32>(yp, kb == 0 ? (bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0) + s : load<f32>(yp) + s);
    }
  }
  act_apply_f32(y, M, act, alpha, beta);
}

// Causal self-attention in one kernel (the chain compiler/ir/patterns/causalAttention.ts
// recognises): per head, with keep(i, j) = j <= i + diag (a constant lower-triangular mask),
//   S = scale · Q·Kᵀ;  P[i, j] = exp(S[i, j] - max_kept S[i, :]) over kept j, 0 elsewhere
//   Y[i, :] = (P[i, :]·V) / Σ_j P[i, j]
// FlashAttention-style skipping: a block of query rows i0..i0+BR-1 (BR = ATT_BR) computes only
// the score columns j < n = min(tk, i0 + BR + diag) (kept by its last row), exponentiates only each row's
// kept columns, and reads only V's first n rows: at T = 128 and diag = 0 about 53% of the dense
// products and 50% of the exponentials. The masked scores never exist, so the graph's fill value
// is never used: the pattern fuses only fills whose exp(fill - rowmax) is 0 in float32.
// Normalising after the product (1/Σ per output row) saves a pass over P (as FlashAttention).
//
// Per head, Q is packed into the GEMM's 4-row A panels and K's needed columns and V's needed
// rows into its 8-column B panels (gemm_pack_a_f32 / gemm_pack_b_f32, any strides: the
// Transposes around the chain fold into the descriptor). Per block of 4 rows (12 on FMA builds,
// where gemm_macro_f32 runs them as two 6x8 tiles: gpt's attention 1.075x faster, same-run A/B,
// though the blocks compute more masked columns), S = Q·Kᵀ over
// ceil8(n) columns and O = P·V over n rows run gemm_macro_f32 (the dense GEMM's micro-kernel, at
// its rate); in between, each row's softmax numerators in place (scaled scores, their max, the
// exponentials), then the block's rows packed as the A panels of P·V. The block's scores, P and O stay
// in L1. A first version with its own 4x8 micro-kernel reading Q and P rows
// in place measured the same (gpt shape, 0.165 ms per layer): both products run near the
// dense GEMM's mul+add rate, and the exponentials are a fifth of the time.
//
// Descriptor (i32[23], element strides; batch b, head h, row i, column j of each operand):
//   [0] nb  [1] nh  [2] tq  [3] tk  [4] d  [5] dv  [6] diag (>= 0)
//   [7..10]  Q  b, h, i, k       (Q[b,h,i,k], k < d)
//   [11..14] Kᵀ b, h, k, j       (Kᵀ[b,h,k,j], the second operand of Q·Kᵀ)
//   [15..18] V  b, h, j, c       (V[b,h,j,c], c < dv)
//   [19..22] Y  b, h, i, c
// Scratch (attentionScratchBytes in compiler/codegen/ops/attention.ts), nmax = min(tk, tq + diag):
//   K panels ceil8(nmax)·d floats, V panels ceil8(dv)·nmax, Q panels ceil4(tq)·d,
//   S 12·ceil8(nmax), P 12·ceil8(nmax), O 12·ceil8(dv), 12 sums, 64 floats of GEMM staging
//   (12 = the largest block; 4-row builds use the first third).
import { gemm_macro_f32, gemm_pack_a_f32, gemm_pack_b_f32 } from './gemm';
import { exp_nonpos_s, exp_nonpos_v } from './vmath';

/** query rows per block: 12 on FMA builds, where gemm_macro_f32 runs 12-row blocks as two 6x8
 *  tiles (12 multiply-adds per 2 B loads and 6 splats, against 8 per 2 and 4 for 4x8) */
const ATT_BR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 4;

// @ts-ignore: decorator
@inline function ceil4(x: i32): i32 { return (x + 3) & ~3; }
// @ts-ignore: decorator
@inline function ceil8(x: i32): i32 { return (x + 7) & ~7; }

/** In place on a row of raw scores s[0..n): for the kept j < kept, t = scale·s[j] and
 *  s[j] = exp(t - max t); s[j] = 0 for kept <= j < n (whole vectors: the row has room up to
 *  ceil8(n)). Returns Σ exp; kept = 0 (rows past tq) gives a zero row. */
function softmax_row(s: usize, kept: i32, n: i32, scale: f32): f32 {
  let m: f32 = -Infinity, sum: f32 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const sc = f32x4.splat(scale);
    let mv = f32x4.splat(-Infinity);
    for (; j + 4 <= kept; j += 4) {
      const p = s + (<usize>j << 2);
      const t = f32x4.mul(v128.load(p), sc);
      v128.store(p, t);
      mv = f32x4.pmax(mv, t);
    }
    m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; j < kept; j++) {
    const p = s + (<usize>j << 2);
    const t = load<f32>(p) * scale;
    store<f32>(p, t);
    m = max(m, t);
  }
  j = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (; j + 4 <= kept; j += 4) {
      const p = s + (<usize>j << 2);
      const e = exp_nonpos_v(f32x4.sub(v128.load(p), mv));
      v128.store(p, e);
      sv = f32x4.add(sv, e);
    }
    if (j < kept) {
      // the last 1-3 kept columns; the masked lanes are zeroed whatever they held
      const p = s + (<usize>j << 2);
      const e = v128.and(exp_nonpos_v(f32x4.sub(v128.load(p), mv)), i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(kept - j)));
      v128.store(p, e);
      sv = f32x4.add(sv, e);
      j += 4;
    }
    for (; j < n; j += 4) v128.store(s + (<usize>j << 2), f32x4.splat(0));
    return (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
  }
  for (; j < kept; j++) {
    const p = s + (<usize>j << 2);
    const e = exp_nonpos_s(load<f32>(p) - m);
    store<f32>(p, e);
    sum += e;
  }
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), 0);
  return sum;
}

/** Y = softmax(scale·Q·Kᵀ, causal mask j <= i + diag)·V over every batch and head (header). */
export function causal_attention_f32(desc: usize, scale: f32, q: usize, kt: usize, v: usize, y: usize, scratch: usize): void {
  const nb = load<i32>(desc), nh = load<i32>(desc, 4), tq = load<i32>(desc, 8), tk = load<i32>(desc, 12);
  const d = load<i32>(desc, 16), dv = load<i32>(desc, 20), diag = load<i32>(desc, 24);
  const nmax = min(tk, tq + diag), ldS = ceil8(nmax), dv8 = ceil8(dv);
  const ldSb = <usize>ldS << 2;
  const kpan = scratch, vpan = kpan + (<usize>(ldS * d) << 2), qpan = vpan + (<usize>(dv8 * nmax) << 2);
  const sbuf = qpan + (<usize>(ceil4(tq) * d) << 2), ppan = sbuf + <usize>ATT_BR * ldSb, obuf = ppan + <usize>ATT_BR * ldSb;
  const sums = obuf + (<usize>(ATT_BR * dv8) << 2), tmp = sums + (<usize>ATT_BR << 2);
  const yrb = <usize>load<i32>(desc, 84) << 2, ycs = load<i32>(desc, 88), ycb = <usize>ycs << 2;
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      const qh = q + ((<usize>b * <usize>load<i32>(desc, 28) + <usize>h * <usize>load<i32>(desc, 32)) << 2);
      const kh = kt + ((<usize>b * <usize>load<i32>(desc, 44) + <usize>h * <usize>load<i32>(desc, 48)) << 2);
      const vh = v + ((<usize>b * <usize>load<i32>(desc, 60) + <usize>h * <usize>load<i32>(desc, 64)) << 2);
      const yh = y + ((<usize>b * <usize>load<i32>(desc, 76) + <usize>h * <usize>load<i32>(desc, 80)) << 2);
      // Q as A panels [ceil(tq/4)][d][4] (rows past tq zero); Kᵀ[k][j] for j < nmax as B panels
      // [ceil(nmax/8)][d][8]; V[j][c] for j < nmax as B panels [ceil(dv/8)][nmax][8]
      gemm_pack_a_f32(tq, d, qh, load<i32>(desc, 36), load<i32>(desc, 40), qpan);
      gemm_pack_b_f32(d, nmax, kh, load<i32>(desc, 52), load<i32>(desc, 56), kpan);
      gemm_pack_b_f32(nmax, dv, vh, load<i32>(desc, 68), load<i32>(desc, 72), vpan);
      for (let i0 = 0; i0 < tq; i0 += ATT_BR) {
        const mr = min(ATT_BR, tq - i0), m4 = ceil4(mr);
        const n = min(tk, i0 + mr + diag); // columns kept by the block's last row
        // S[m4][ceil8(n)] = Q rows i0.. · Kᵀ, the dense GEMM's micro-kernels
        gemm_macro_f32(m4, ceil8(n), d, qpan + (<usize>(i0 * d) << 2), <usize>(d << 4), kpan, <usize>(d << 5), sbuf, ldS, 0, 0, 0, 0, 0, tmp);
        // P = the rows' exponentials (rows past tq keep nothing: zero), packed as A panels [m4/4][n][4]
        for (let r = 0; r < m4; r++) {
          store<f32>(sums + (<usize>r << 2), softmax_row(sbuf + <usize>r * ldSb, r < mr ? min(tk, i0 + r + diag + 1) : 0, n, scale));
        }
        gemm_pack_a_f32(m4, n, sbuf, ldS, 1, ppan);
        // O[m4][dv8] = P·V rows < n, then Y rows = O rows / Σ
        gemm_macro_f32(m4, dv8, n, ppan, <usize>(n << 4), vpan, <usize>(nmax << 5), obuf, dv8, 0, 0, 0, 0, 0, tmp);
        for (let r = 0; r < mr; r++) {
          const inv: f32 = 1 / load<f32>(sums + (<usize>r << 2));
          const o = obuf + (<usize>(r * dv8) << 2), yr = yh + <usize>(i0 + r) * yrb;
          let c = 0;
          if (ASC_FEATURE_SIMD && ycs == 1) {
            const iv = f32x4.splat(inv);
            for (; c + 4 <= dv; c += 4) v128.store(yr + (<usize>c << 2), f32x4.mul(v128.load(o + (<usize>c << 2)), iv));
          }
          for (; c < dv; c++) store<f32>(yr + <usize>c * ycb, load<f32>(o + (<usize>c << 2)) * inv);
        }
      }
    }
  }
}

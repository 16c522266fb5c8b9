// Causal self-attention in one kernel (the chain compiler/ir/patterns/causalAttention.ts
// recognises): per head, with keep(i, j) = j <= i + diag (a constant lower-triangular mask),
//   S = scale · Q·Kᵀ;  P[i, j] = exp(S[i, j] - max_kept S[i, :]) over kept j, 0 elsewhere
//   Y[i, :] = (P[i, :]·V) / Σ_j P[i, j]
// FlashAttention-style skipping: a block of 4 query rows i0..i0+3 computes only the score
// columns j < n = min(tk, i0 + 4 + diag) (kept by its last row), exponentiates only each row's
// kept columns, and reads only V's first n rows: at T = 128 and diag = 0 about 53% of the dense
// products and 50% of the exponentials. The masked scores never exist, so the graph's fill value
// is never used: the pattern fuses only fills whose exp(fill - rowmax) is 0 in float32.
// Normalising after the product (1/Σ per output row) saves a pass over P (as FlashAttention).
//
// Per head, K's needed columns are packed into 8-column panels [ceil(n/8)][d][8] and V's needed
// rows into [ceil(dv/8)][n][8] (gemm_pack_b_f32, any strides: the Transposes around the chain
// fold into the descriptor); the 4 rows of scores sit in scratch [4][ldS] and stay in L1.
// Both products run one 4x8 micro-kernel whose A rows are read in place (Q rows, then P rows),
// 8 f32x4 accumulators as gemm.ts's mk_4x8, and a per-row factor in the epilogue (scale, 1/Σ).
//
// Descriptor (i32[23], element strides; batch b, head h, row i, column j of each operand):
//   [0] nb  [1] nh  [2] tq  [3] tk  [4] d  [5] dv  [6] diag (>= 0)
//   [7..10]  Q  b, h, i, k       (Q[b,h,i,k], k < d)
//   [11..14] Kᵀ b, h, k, j       (Kᵀ[b,h,k,j], the second operand of Q·Kᵀ)
//   [15..18] V  b, h, j, c       (V[b,h,j,c], c < dv)
//   [19..22] Y  b, h, i, c
// Scratch (attentionScratchBytes in compiler/codegen/ops/attention.ts):
//   K panels ceil8(nmax)·d floats, V panels ceil8(dv)·nmax, S 4·ceil8(nmax), staging 32,
//   nmax = min(tk, tq + diag).
import { gemm_pack_b_f32 } from './gemm';
import { madd } from './fma';
import { exp_s, exp_v } from './vmath';

// @ts-ignore: decorator
@inline function ceil8(x: i32): i32 { return (x + 7) & ~7; }

/** C[4][8] (rows ldc bytes apart) = f_r · Σ_k a_r[k]·B[k][0..8): A rows read in place (a_r + k·ast
 *  bytes), B an 8-column panel [kc][8] */
function att_mk(kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, ast: usize, b: usize, c: usize, ldc: usize,
  f0: f32, f1: f32, f2: f32, f3: f32): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let o: usize = 0;
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      const x0 = v128.load32_splat(a0 + o);
      c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
      const x1 = v128.load32_splat(a1 + o);
      c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
      const x2 = v128.load32_splat(a2 + o);
      c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
      const x3 = v128.load32_splat(a3 + o);
      c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
      o += ast; b += 32;
    }
    let f = f32x4.splat(f0);
    v128.store(c, f32x4.mul(c00, f)); v128.store(c, f32x4.mul(c01, f), 16);
    f = f32x4.splat(f1);
    v128.store(c + ldc, f32x4.mul(c10, f)); v128.store(c + ldc, f32x4.mul(c11, f), 16);
    f = f32x4.splat(f2);
    v128.store(c + 2 * ldc, f32x4.mul(c20, f)); v128.store(c + 2 * ldc, f32x4.mul(c21, f), 16);
    f = f32x4.splat(f3);
    v128.store(c + 3 * ldc, f32x4.mul(c30, f)); v128.store(c + 3 * ldc, f32x4.mul(c31, f), 16);
  } else {
    // scalar: one row of 8 accumulators at a time
    for (let r = 0; r < 4; r++) {
      const a = r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3;
      const f = r == 0 ? f0 : r == 1 ? f1 : r == 2 ? f2 : f3;
      let y0: f32 = 0, y1: f32 = 0, y2: f32 = 0, y3: f32 = 0, y4: f32 = 0, y5: f32 = 0, y6: f32 = 0, y7: f32 = 0;
      let o: usize = 0, bp = b;
      for (let k = 0; k < kc; k++) {
        const x = load<f32>(a + o);
        y0 += x * load<f32>(bp); y1 += x * load<f32>(bp, 4); y2 += x * load<f32>(bp, 8); y3 += x * load<f32>(bp, 12);
        y4 += x * load<f32>(bp, 16); y5 += x * load<f32>(bp, 20); y6 += x * load<f32>(bp, 24); y7 += x * load<f32>(bp, 28);
        o += ast; bp += 32;
      }
      const cr = c + <usize>r * ldc;
      store<f32>(cr, y0 * f); store<f32>(cr, y1 * f, 4); store<f32>(cr, y2 * f, 8); store<f32>(cr, y3 * f, 12);
      store<f32>(cr, y4 * f, 16); store<f32>(cr, y5 * f, 20); store<f32>(cr, y6 * f, 24); store<f32>(cr, y7 * f, 28);
    }
  }
}

/** In place on a row of scores s[0..n): s[j] = exp(s[j] - max) for the kept j < kept, 0 for
 *  kept <= j < n. Returns 1 / Σ exp. The row has room up to ceil8(n). */
function softmax_kept(s: usize, kept: i32, n: i32): f32 {
  let m: f32 = -Infinity;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    let mv = f32x4.splat(-Infinity);
    for (; j + 4 <= kept; j += 4) mv = f32x4.pmax(mv, v128.load(s + (<usize>j << 2)));
    m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; j < kept; j++) m = max(m, load<f32>(s + (<usize>j << 2)));
  let sum: f32 = 0;
  j = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let sv = f32x4.splat(0);
    for (; j + 4 <= kept; j += 4) {
      const p = s + (<usize>j << 2);
      const e = exp_v(f32x4.sub(v128.load(p), mv));
      v128.store(p, e);
      sv = f32x4.add(sv, e);
    }
    if (j < kept) {
      // the last 1-3 kept columns and masked lanes zeroed (whatever the scratch held there)
      const p = s + (<usize>j << 2);
      const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(kept - j));
      const e = v128.and(exp_v(f32x4.sub(v128.load(p), mv)), keep);
      v128.store(p, e);
      sv = f32x4.add(sv, e);
      j += 4;
    }
    sum = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
    for (; j < n; j += 4) v128.store(s + (<usize>j << 2), f32x4.splat(0));
    return 1 / sum;
  }
  for (; j < kept; j++) {
    const p = s + (<usize>j << 2);
    const e = exp_s(load<f32>(p) - m);
    store<f32>(p, e);
    sum += e;
  }
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), 0);
  return 1 / sum;
}

/** Y = softmax(scale·Q·Kᵀ, causal mask j <= i + diag)·V over every batch and head (header). */
export function causal_attention_f32(desc: usize, scale: f32, q: usize, kt: usize, v: usize, y: usize, scratch: usize): void {
  const nb = load<i32>(desc), nh = load<i32>(desc, 4), tq = load<i32>(desc, 8), tk = load<i32>(desc, 12);
  const d = load<i32>(desc, 16), dv = load<i32>(desc, 20), diag = load<i32>(desc, 24);
  const nmax = min(tk, tq + diag), ldS = ceil8(nmax);
  const ldSb = <usize>ldS << 2;
  const kpan = scratch, vpan = kpan + (<usize>(ldS * d) << 2);
  const sbuf = vpan + (<usize>(ceil8(dv) * nmax) << 2), tmp = sbuf + 4 * ldSb;
  const qcb = <usize>load<i32>(desc, 40) << 2, qrb = <usize>load<i32>(desc, 36) << 2;
  const yrb = <usize>load<i32>(desc, 84) << 2, ycs = load<i32>(desc, 88), ycb = <usize>ycs << 2;
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      const qh = q + ((<usize>b * <usize>load<i32>(desc, 28) + <usize>h * <usize>load<i32>(desc, 32)) << 2);
      const kh = kt + ((<usize>b * <usize>load<i32>(desc, 44) + <usize>h * <usize>load<i32>(desc, 48)) << 2);
      const vh = v + ((<usize>b * <usize>load<i32>(desc, 60) + <usize>h * <usize>load<i32>(desc, 64)) << 2);
      const yh = y + ((<usize>b * <usize>load<i32>(desc, 76) + <usize>h * <usize>load<i32>(desc, 80)) << 2);
      // Kᵀ[k][j] for j < nmax as [ceil(nmax/8)][d][8]; V[j][c] for j < nmax as [ceil(dv/8)][nmax][8]
      gemm_pack_b_f32(d, nmax, kh, load<i32>(desc, 52), load<i32>(desc, 56), kpan);
      gemm_pack_b_f32(nmax, dv, vh, load<i32>(desc, 68), load<i32>(desc, 72), vpan);
      for (let i0 = 0; i0 < tq; i0 += 4) {
        const mr = min(4, tq - i0);
        const n = min(tk, i0 + mr + diag); // columns kept by the block's last row
        // rows past tq repeat row i0 (computed, never stored)
        const a0 = qh + <usize>i0 * qrb;
        const a1 = mr > 1 ? a0 + qrb : a0, a2 = mr > 2 ? a0 + 2 * qrb : a0, a3 = mr > 3 ? a0 + 3 * qrb : a0;
        for (let jt = 0; jt < n; jt += 8) {
          att_mk(d, a0, a1, a2, a3, qcb, kpan + (<usize>(jt * d) << 2), sbuf + (<usize>jt << 2), ldSb, scale, scale, scale, scale);
        }
        const f0 = softmax_kept(sbuf, min(tk, i0 + diag + 1), n);
        const f1 = mr > 1 ? softmax_kept(sbuf + ldSb, min(tk, i0 + diag + 2), n) : <f32>0;
        const f2 = mr > 2 ? softmax_kept(sbuf + 2 * ldSb, min(tk, i0 + diag + 3), n) : <f32>0;
        const f3 = mr > 3 ? softmax_kept(sbuf + 3 * ldSb, min(tk, i0 + diag + 4), n) : <f32>0;
        const yb = yh + <usize>i0 * yrb;
        for (let c0 = 0; c0 < dv; c0 += 8) {
          const bp = vpan + (<usize>(c0 * nmax) << 2);
          const p0 = sbuf, p1 = sbuf + ldSb, p2 = sbuf + 2 * ldSb, p3 = sbuf + 3 * ldSb;
          if (mr == 4 && c0 + 8 <= dv && ycs == 1) {
            att_mk(n, p0, p1, p2, p3, 4, bp, yb + (<usize>c0 << 2), yrb, f0, f1, f2, f3);
          } else {
            att_mk(n, p0, p1, p2, p3, 4, bp, tmp, 32, f0, f1, f2, f3);
            const nc = min(8, dv - c0);
            for (let r = 0; r < mr; r++) {
              const yr = yb + <usize>r * yrb + <usize>c0 * ycb;
              for (let c = 0; c < nc; c++) store<f32>(yr + <usize>c * ycb, load<f32>(tmp + (<usize>(r * 8 + c) << 2)));
            }
          }
        }
      }
    }
  }
}

// Convolutions on NCHW float32 (batch N, groups G, any kernel size, stride, pads, dilation).
//
// conv2d_f32: a GEMM with the weights on the left, per image and group:
//   Y[Cout_g][Ho*Wo] = W[Cout_g][Cin_g*kh*kw] · im2col(X)[Cin_g*kh*kw][Ho*Wo]
//   W is packed offline as A panels [ceil(Cout_g/4)][K][4] per group (compiler/pack/dense.ts),
//   groups back to back. im2col is blocked with the GEMM: per KC x NC block, the patch rows are
//   written row-major into a block-sized buffer (contiguous runs of input rows, vector copies)
//   and packed into B panels from there (gemm_pack_b_f32), both in L2. Writing patches straight
//   into panels was 5-10x slower: one k-row scatters 4-float stores over every panel of the
//   block, 8 KiB apart, which thrashes the L1 sets and costs as much as the GEMM itself.
//   Convs with stride 1 along the width (SIMD builds) skip the im2col rows: per KC x NC block,
//   a zero-padded plane of the input rows the block reads (conv_pad_plane_f32), then per few
//   panels the panels straight from it, one panel at a time (sequential stores, no scatter),
//   multiplied while they are in L1 (conv_plane_panels, below).
//   The output is NCHW as it comes out of the GEMM (rows = channels), bias per row, activation
//   in the epilogue. A 1x1, stride 1, unpadded conv packs B straight from the input.
// dwconv2d_f32: depthwise (group == Cin, Cout = m*Cin), direct: 8 outputs of a row per step,
//   vectorised along the output width for strides 1 and 2, scalar at the borders.
// conv_transpose2d_f32: per chunk of input positions, cols = Wᵀ·X (the GEMM above with the
//   transposed weights packed as A), then col2im scatter-adds cols into Y. Speed is secondary.
//
// Pads: only the top and left pads are parameters; bottom and right follow from Ho and Wo
// (any tap outside the input reads zero). Bias address 0 means no bias.
import { act_apply_f32 } from './activation';
import { GEMM_KC, GEMM_MC, GEMM_NC, GEMM_TMP_BYTES, BIAS_NONE, BIAS_ROW, gemm_macro_f32, gemm_f32_pa, gemm_pack_b_f32 } from './gemm';

/** columns (input positions) per GEMM + col2im step of conv_transpose2d_f32 */
export const CONVT_NC: i32 = 256;

@inline function ceil4(x: i32): i32 { return (x + 3) & ~3; }
@inline function ceil8(x: i32): i32 { return (x + 7) & ~7; }

@inline export function zero_f32(d: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), i32x4.splat(0));
  for (; i < n; i++) store<f32>(d + (<usize>i << 2), 0);
}

/** writes rows [k0, k0+kc) x output positions [n0, n0+nc) of the im2col matrix of one image
 *  and group (x = its first input channel) row-major at dst (row stride ldd floats). Row k is
 *  (channel k / (kh*kw), tap k % (kh*kw)); column n is output position (n / Wo, n % Wo).
 *  Works output row by output row: the taps that fall inside the input are one contiguous
 *  (stride 1) or every-other (stride 2) run of an input row, copied with vector loads; the
 *  padding around it is zero-filled. */
export function conv_im2col_f32(x: usize, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  pt: i32, pl: i32, dh: i32, dw: i32, Wo: i32, k0: i32, kc: i32, n0: i32, nc: i32, dst: usize, ldd: i32): void {
  const ksz = kh * kw;
  const rowb = <usize>W << 2, planeb = <usize>(H * W) << 2;
  const oy0 = n0 / Wo, ox0 = n0 - oy0 * Wo;
  for (let kk = 0; kk < kc; kk++) {
    const kg = k0 + kk;
    const ch = kg / ksz, r = kg - ch * ksz, dy = r / kw, dx = r - dy * kw;
    const xc = x + <usize>ch * planeb;
    const offy = dy * dh - pt, offx = dx * dw - pl;
    // outputs ox in [oxLo, oxHi) read inside the row: 0 <= ox*sw + offx < W
    const oxLo = min(Wo, offx >= 0 ? 0 : (sw - 1 - offx) / sw);
    const oxHi = max(oxLo, min(Wo, W - 1 - offx < 0 ? 0 : (W - 1 - offx) / sw + 1));
    const drow = dst + (<usize>kk * <usize>ldd << 2);
    let oy = oy0, ox = ox0, j = 0;
    while (j < nc) {
      const len = min(Wo - ox, nc - j);
      const d = drow + (<usize>j << 2);
      const iy = oy * sh + offy;
      if (<u32>iy >= <u32>H) {
        zero_f32(d, len);
      } else {
        const a = min(max(oxLo, ox), ox + len), b = min(max(oxHi, a), ox + len);
        zero_f32(d, a - ox);
        const n = b - a;
        const s = xc + <usize>iy * rowb + (<usize>(a * sw + offx) << 2);
        const o = d + (<usize>(a - ox) << 2);
        let t = 0;
        if (sw == 1) {
          if (ASC_FEATURE_SIMD) for (; t + 4 <= n; t += 4) v128.store(o + (<usize>t << 2), v128.load(s + (<usize>t << 2)));
          for (; t < n; t++) store<f32>(o + (<usize>t << 2), load<f32>(s + (<usize>t << 2)));
        } else {
          const sb = <usize>sw << 2;
          if (ASC_FEATURE_SIMD && sw == 2) {
            // 4 outputs read 8 inputs; the last read must stay inside the row
            const nv = min(n, (W - (a * 2 + offx)) >> 1);
            for (; t + 4 <= nv; t += 4) {
              const q = s + (<usize>t << 3);
              v128.store(o + (<usize>t << 2), v128.shuffle<f32>(v128.load(q), v128.load(q, 16), 0, 2, 4, 6));
            }
          }
          for (; t < n; t++) store<f32>(o + (<usize>t << 2), load<f32>(s + <usize>t * sb));
        }
        zero_f32(d + (<usize>(b - ox) << 2), ox + len - b);
      }
      j += len; ox += len;
      if (ox == Wo) { ox = 0; oy++; }
    }
  }
}

/** Y[N][Cout][Ho][Wo] = conv(X[N][C][H][W], W) + bias, then act. wp: per group A panels
 *  [ceil(Cout_g/4)][Cin_g*kh*kw][4], groups back to back. bias: Cout floats or 0.
 *  scratch: GEMM_TMP_BYTES + one packed B block + one block of im2col rows, which holds the
 *  padded plane instead where it fits (gemm-blocking.ts convScratchBytes). */
export function conv2d_f32(x: usize, N: i32, C: i32, H: i32, W: i32,
  wp: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  const Cg = C / G, Mg = Cout / G, K = Cg * kh * kw, P = Ho * Wo;
  if (Mg <= 0 || P <= 0) return;
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && Ho == H && Wo == W;
  const wgStride = (<usize>ceil4(Mg) * <usize>K) << 2;
  const biasMode = bias != 0 ? BIAS_ROW : BIAS_NONE;
  const bblk = scratch + GEMM_TMP_BYTES;
  // im2col rows of one block after the packed block; the row stride is padded by 16 floats so
  // that the rows do not all map to the same L1 sets while the panels are packed
  const ldr = min(P, GEMM_NC) + 16;
  const rows = bblk + ((<usize>min(ceil8(P), GEMM_NC) * <usize>min(K, GEMM_KC) * 4 + 63) & ~<usize>63);
  // the padded-plane path (stride 1 along the width): plane, k offsets and a column table in the
  // rows region, 64 bytes of slack either side of the plane for the masked panel loads
  const fromPlane = ASC_FEATURE_SIMD && sw == 1;
  const ksz = kh * kw, Wp = Wo + (kw - 1) * dw, room = (<usize>min(K, GEMM_KC) * <usize>ldr) << 2;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const yg = y + (<usize>(n * Cout + g * Mg) * <usize>P << 2);
      const wg = wp + <usize>g * wgStride;
      const bg = bias != 0 ? bias + (<usize>(g * Mg) << 2) : 0;
      if (pointwise) {
        gemm_f32_pa(1, Mg, P, K, wg, 0, xg, 0, P, 1, yg, 0, P, bg, biasMode, act, alpha, beta, scratch);
        continue;
      }
      for (let jc = 0; jc < P; jc += GEMM_NC) {
        const nc = min(GEMM_NC, P - jc);
        const oy0 = jc / Wo, rowsIn = ((jc + nc - 1) / Wo - oy0) * sh + (kh - 1) * dh + 1;
        for (let pc = 0; pc < K; pc += GEMM_KC) {
          const kc = min(GEMM_KC, K - pc);
          const init = pc > 0 ? 1 : bg != 0 ? 2 : 0; // accumulate / row bias / zero
          const lastAct = pc + kc >= K ? act : 0;
          const ch0 = pc / ksz, nch = (pc + kc - 1) / ksz - ch0 + 1;
          const planeB = (<usize>(nch * rowsIn) * <usize>Wp) << 2;
          if (fromPlane && planeB + (<usize>kc << 2) + 192 <= room) {
            const plane = rows + 64, koff = plane + ((planeB + 64 + 15) & ~<usize>15), tab = koff + (<usize>kc << 2);
            conv_pad_plane_f32(xg + (<usize>(ch0 * H) * <usize>W << 2), nch, H, W, oy0 * sh - pt, rowsIn, pl, Wp, plane);
            conv_plane_koff(pc, kc, ksz, kw, dh, dw, ch0, rowsIn, Wp, koff);
            for (let jr = 0; jr < nc; jr += CONV_PLANE_NB) {
              const w = min(CONV_PLANE_NB, nc - jr);
              conv_plane_panels(kc, jc + jr, w, Wo, oy0, sh, Wp, plane, koff, tab, bblk);
              for (let ic = 0; ic < Mg; ic += GEMM_MC) {
                const mc = min(GEMM_MC, Mg - ic);
                gemm_macro_f32(mc, w, kc, wg + (<usize>(ic * K + pc * 4) << 2), <usize>K << 4, bblk, <usize>kc << 5,
                  yg + (<usize>(ic * P + jc + jr) << 2), P, init, bg + (<usize>ic << 2), lastAct, alpha, beta, scratch);
              }
            }
            continue;
          }
          conv_im2col_f32(xg, H, W, kh, kw, sh, sw, pt, pl, dh, dw, Wo, pc, kc, jc, nc, rows, ldr);
          gemm_pack_b_f32(kc, nc, rows, ldr, 1, bblk);
          for (let ic = 0; ic < Mg; ic += GEMM_MC) {
            const mc = min(GEMM_MC, Mg - ic);
            gemm_macro_f32(mc, nc, kc, wg + (<usize>(ic * K + pc * 4) << 2), <usize>K << 4, bblk, <usize>kc << 5,
              yg + (<usize>(ic * P + jc) << 2), P, init, bg + (<usize>ic << 2), lastAct, alpha, beta, scratch);
          }
        }
      }
    }
  }
}

/** columns of B packed from the plane before they are multiplied (a multiple of 8) */
const CONV_PLANE_NB: i32 = 32;

/** nch zero-padded channel planes at dst (x: the first channel, H x W floats each), rows x Wp
 *  floats per channel: plane row r / column q holds input row iy0 + r / column q - pl, zero
 *  outside the input */
export function conv_pad_plane_f32(x: usize, nch: i32, H: i32, W: i32, iy0: i32, rows: i32, pl: i32, Wp: i32, dst: usize): void {
  const c0 = min(max(pl, 0), Wp), c1 = min(max(pl + W, c0), Wp), n = c1 - c0;
  let d = dst;
  for (let c = 0; c < nch; c++) {
    const xc = x + (<usize>(c * H) * <usize>W << 2);
    for (let r = 0; r < rows; r++) {
      const iy = iy0 + r;
      if (<u32>iy >= <u32>H) {
        zero_f32(d, Wp);
      } else {
        zero_f32(d, c0);
        const s = xc + (<usize>(iy * W + c0 - pl) << 2), o = d + (<usize>c0 << 2);
        let t = 0;
        if (ASC_FEATURE_SIMD) for (; t + 4 <= n; t += 4) v128.store(o + (<usize>t << 2), v128.load(s + (<usize>t << 2)));
        for (; t < n; t++) store<f32>(o + (<usize>t << 2), load<f32>(s + (<usize>t << 2)));
        zero_f32(d + (<usize>c1 << 2), Wp - c1);
      }
      d += <usize>Wp << 2;
    }
  }
}

/** per k of [pc, pc + kc) (channel k / ksz, tap (dy, dx) of k % ksz), its byte offset in the
 *  padded plane of conv_pad_plane_f32 (channels ch0.., rowsIn x Wp floats each) as i32 at koff */
export function conv_plane_koff(pc: i32, kc: i32, ksz: i32, kw: i32, dh: i32, dw: i32, ch0: i32, rowsIn: i32, Wp: i32, koff: usize): void {
  for (let kk = 0; kk < kc; kk++) {
    const kg = pc + kk, ch = kg / ksz, r = kg - ch * ksz, dy = r / kw, dx = r - dy * kw;
    store<i32>(koff + (<usize>kk << 2), (((ch - ch0) * rowsIn + dy * dh) * Wp + dx * dw) << 2);
  }
}

/** packs B panels [ceil(w/8)][kc][8] at dst for output positions [j0, j0 + w) of a stride-1-wide
 *  conv from its padded plane (output row oy0 at plane row 0, rows sh*Wp floats apart): row kk
 *  of a panel reads the plane at koff[kk] bytes (the (channel, dy, dx) of k) plus each column's
 *  offset. A panel is written whole before the next (sequential stores). Its 8 positions are one
 *  run of an output row (2 vector copies per k), or two runs split over consecutive output rows
 *  (4 loads, each run loaded as if it covered the panel, and 2 bitselects; the loads past a run
 *  stay inside the plane's slack), or, for maps narrower than 7 or the block's last partial
 *  panel, a gather by the column table at tab (8 i32; columns past w read zero). */
function conv_plane_panels(kc: i32, j0: i32, w: i32, Wo: i32, oy0: i32, sh: i32, Wp: i32, plane: usize, koff: usize, tab: usize, dst: usize): void {
  const rs = sh * Wp;
  let d = dst;
  for (let j = 0; j < w; j += 8) {
    const p = j0 + j, oy = p / Wo, ox = p - oy * Wo, a = Wo - ox, cols = min(8, w - j);
    const s1 = plane + (<usize>((oy - oy0) * rs + ox) << 2);
    if (cols == 8 && a >= 8) {
      for (let kk = 0; kk < kc; kk++) {
        const q = s1 + <usize>load<i32>(koff + (<usize>kk << 2));
        v128.store(d, v128.load(q)); v128.store(d, v128.load(q, 16), 16);
        d += 32;
      }
    } else if (cols == 8 && a + Wo >= 8) {
      // columns [0, a) from row oy, [a, 8) from row oy + 1 starting at its column 0
      const s2 = plane + (<usize>((oy + 1 - oy0) * rs - a) << 2);
      const av = i32x4.splat(a), lo = v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
      const mlo = i32x4.lt_s(lo, av), mhi = i32x4.lt_s(i32x4.add(lo, i32x4.splat(4)), av);
      for (let kk = 0; kk < kc; kk++) {
        const o = <usize>load<i32>(koff + (<usize>kk << 2)), q1 = s1 + o, q2 = s2 + o;
        v128.store(d, v128.bitselect(v128.load(q1), v128.load(q2), mlo));
        v128.store(d, v128.bitselect(v128.load(q1, 16), v128.load(q2, 16), mhi), 16);
        d += 32;
      }
    } else {
      for (let l = 0; l < 8; l++) {
        const pl = p + l, y = pl / Wo;
        store<i32>(tab + (<usize>l << 2), l < cols ? (((y - oy0) * rs + pl - y * Wo) << 2) : -1);
      }
      for (let kk = 0; kk < kc; kk++) {
        const q = plane + <usize>load<i32>(koff + (<usize>kk << 2));
        for (let l = 0; l < 8; l++) {
          const o = load<i32>(tab + (<usize>l << 2));
          store<f32>(d + (<usize>l << 2), o >= 0 ? load<f32>(q + <usize>o) : 0);
        }
        d += 32;
      }
    }
  }
}

/** the padded plane of dwconv2d_f32: (Ho-1)*sh + (kh-1)*dh + 1 rows of dwPlaneWidth floats */
@inline function dwPlaneWidth(Wo: i32, kw: i32, sw: i32, dw: i32): i32 {
  // outputs are computed in vectors of 4 up to ceil4(Wo); a stride-2 vector reads one more input
  return (ceil4(Wo) - 1) * sw + (kw - 1) * dw + sw;
}

/** depthwise conv: Y[N][Cout][Ho][Wo], output channel co reads input channel co / (Cout/C).
 *  w: raw weights [Cout][kh][kw]; bias: Cout floats or 0.
 *  Each input channel is first copied into a zero-padded plane in scratch (rows and columns
 *  for every tap of every output, see dwPlaneWidth), so the compute loops have no bounds checks
 *  and border outputs run vectorised too: that matters for the small maps (8x8 to 40x40) of
 *  mobile detectors. 8 outputs of a row per step along the width; 3x3 with stride 1 or 2 keeps
 *  its 9 weights in registers. scratch: 4 * rows * width bytes (gemm-blocking.ts). */
export function dwconv2d_f32(x: usize, N: i32, C: i32, H: i32, W: i32,
  w: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  const mult = Cout / C;
  const Hp = (Ho - 1) * sh + (kh - 1) * dh + 1, Wp = dwPlaneWidth(Wo, kw, sw, dw);
  const rowp = <usize>Wp << 2;
  const plane = scratch;
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      // padded copy of input channel co / mult: plane[r][c] = x[r - pt][c - pl] or 0
      if (co % mult == 0) conv_pad_plane_f32(x + (<usize>(n * C + co / mult) * <usize>(H * W) << 2), 1, H, W, -pt, Hp, pl, Wp, plane);
      const yc = y + (<usize>(n * Cout + co) * <usize>(Ho * Wo) << 2);
      const wc = w + (<usize>(co * kh * kw) << 2);
      const b: f32 = bias != 0 ? load<f32>(bias + (<usize>co << 2)) : 0;
      for (let oy = 0; oy < Ho; oy++) {
        const prow = plane + <usize>(oy * sh) * rowp;
        const yrow = yc + (<usize>(oy * Wo) << 2);
        if (ASC_FEATURE_SIMD && sw <= 2) {
          if (kh == 3 && kw == 3) dw_row3x3(prow, rowp, wc, yrow, Wo, sw, dh, dw, b);
          else dw_row(prow, rowp, wc, yrow, Wo, kh, kw, sw, dh, dw, b);
        } else {
          for (let ox = 0; ox < Wo; ox++) {
            let acc = b;
            for (let dy = 0; dy < kh; dy++) {
              const p = prow + <usize>(dy * dh) * rowp + (<usize>(ox * sw) << 2);
              for (let dx = 0; dx < kw; dx++) acc += load<f32>(wc + (<usize>(dy * kw + dx) << 2)) * load<f32>(p + (<usize>(dx * dw) << 2));
            }
            store<f32>(yrow + (<usize>ox << 2), acc);
          }
        }
        act_apply_f32(yrow, Wo, act, alpha, beta);
      }
    }
  }
}

/** 4 inputs for outputs ox..ox+3 of a padded row at p (stride 1 or 2) */
@inline function dw_in4(p: usize, sw: i32): v128 {
  return sw == 1 ? v128.load(p) : v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** stores the first n (< 4) lanes of v at p */
@inline function store_lanes(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** one output row of a 3x3 depthwise conv from padded rows at prow (row stride rowp bytes).
 *  Separate loops per stride keep the loads branch-free; 8 outputs per step give two
 *  independent accumulation chains. */
function dw_row3x3(prow: usize, rowp: usize, wc: usize, yrow: usize, Wo: i32, sw: i32, dh: i32, dw: i32, b: f32): void {
  const w0 = v128.load32_splat(wc), w1 = v128.load32_splat(wc, 4), w2 = v128.load32_splat(wc, 8);
  const w3 = v128.load32_splat(wc, 12), w4 = v128.load32_splat(wc, 16), w5 = v128.load32_splat(wc, 20);
  const w6 = v128.load32_splat(wc, 24), w7 = v128.load32_splat(wc, 28), w8 = v128.load32_splat(wc, 32);
  const bv = f32x4.splat(b);
  const r1 = <usize>dh * rowp, r2 = r1 + r1, c1 = <usize>dw << 2, c2 = c1 + c1;
  let ox = 0;
  let p0 = prow, p1 = prow + r1, p2 = p1 + r1;
  if (sw == 1 && dw == 1) {
    // dilation 1: the three taps of a row are constant offsets from one pointer
    for (; ox < Wo; ox += 4) {
      let s = f32x4.add(bv, f32x4.mul(w0, v128.load(p0)));
      let t = f32x4.mul(w3, v128.load(p1));
      let u = f32x4.mul(w6, v128.load(p2));
      s = f32x4.add(s, f32x4.mul(w1, v128.load(p0, 4))); t = f32x4.add(t, f32x4.mul(w4, v128.load(p1, 4))); u = f32x4.add(u, f32x4.mul(w7, v128.load(p2, 4)));
      s = f32x4.add(s, f32x4.mul(w2, v128.load(p0, 8))); t = f32x4.add(t, f32x4.mul(w5, v128.load(p1, 8))); u = f32x4.add(u, f32x4.mul(w8, v128.load(p2, 8)));
      s = f32x4.add(s, f32x4.add(t, u));
      const q = yrow + (<usize>ox << 2);
      if (ox + 4 <= Wo) v128.store(q, s); else store_lanes(q, s, Wo - ox);
      p0 += 16; p1 += 16; p2 += 16;
    }
  } else if (sw == 2 && dw == 1) {
    for (; ox < Wo; ox += 4) {
      const a0 = v128.load(p0), a1 = v128.load(p0, 16), b0 = v128.load(p1), b1 = v128.load(p1, 16), e0 = v128.load(p2), e1 = v128.load(p2, 16);
      // taps 0 and 2 are the even lanes at offsets 0 and 8 bytes, tap 1 the odd lanes
      let s = f32x4.add(bv, f32x4.mul(w0, v128.shuffle<f32>(a0, a1, 0, 2, 4, 6)));
      let t = f32x4.mul(w3, v128.shuffle<f32>(b0, b1, 0, 2, 4, 6));
      let u = f32x4.mul(w6, v128.shuffle<f32>(e0, e1, 0, 2, 4, 6));
      s = f32x4.add(s, f32x4.mul(w1, v128.shuffle<f32>(a0, a1, 1, 3, 5, 7)));
      t = f32x4.add(t, f32x4.mul(w4, v128.shuffle<f32>(b0, b1, 1, 3, 5, 7)));
      u = f32x4.add(u, f32x4.mul(w7, v128.shuffle<f32>(e0, e1, 1, 3, 5, 7)));
      s = f32x4.add(s, f32x4.mul(w2, even4(p0 + 8))); t = f32x4.add(t, f32x4.mul(w5, even4(p1 + 8))); u = f32x4.add(u, f32x4.mul(w8, even4(p2 + 8)));
      s = f32x4.add(s, f32x4.add(t, u));
      const q = yrow + (<usize>ox << 2);
      if (ox + 4 <= Wo) v128.store(q, s); else store_lanes(q, s, Wo - ox);
      p0 += 32; p1 += 32; p2 += 32;
    }
  } else {
    const step = <usize>sw << 4;
    for (; ox < Wo; ox += 4) {
      let s = f32x4.add(bv, f32x4.mul(w0, dw_in4(p0, sw)));
      let t = f32x4.mul(w3, dw_in4(p1, sw));
      let u = f32x4.mul(w6, dw_in4(p2, sw));
      s = f32x4.add(s, f32x4.mul(w1, dw_in4(p0 + c1, sw))); t = f32x4.add(t, f32x4.mul(w4, dw_in4(p1 + c1, sw))); u = f32x4.add(u, f32x4.mul(w7, dw_in4(p2 + c1, sw)));
      s = f32x4.add(s, f32x4.mul(w2, dw_in4(p0 + c2, sw))); t = f32x4.add(t, f32x4.mul(w5, dw_in4(p1 + c2, sw))); u = f32x4.add(u, f32x4.mul(w8, dw_in4(p2 + c2, sw)));
      s = f32x4.add(s, f32x4.add(t, u));
      const q = yrow + (<usize>ox << 2);
      if (ox + 4 <= Wo) v128.store(q, s); else store_lanes(q, s, Wo - ox);
      p0 += step; p1 += step; p2 += step;
    }
  }
}

/** inputs 0, 2, 4, 6 from p: 4 outputs of a stride-2 row */
@inline function even4(p: usize): v128 {
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** one output row of a kh x kw depthwise conv from padded rows (stride 1 or 2): a body per
 *  stride, so the input loads are branch-free */
function dw_row(prow: usize, rowp: usize, wc: usize, yrow: usize, Wo: i32, kh: i32, kw: i32, sw: i32, dh: i32, dw: i32, b: f32): void {
  if (sw == 1) dw_row_body(prow, rowp, wc, yrow, Wo, kh, kw, 1, dh, dw, b);
  else dw_row_body(prow, rowp, wc, yrow, Wo, kh, kw, 2, dh, dw, b);
}

/** 8 outputs per step with four accumulation chains (two output vectors x even/odd taps): a
 *  single chain of kh*kw dependent adds (25 for 5x5) ran at a third of the speed */
@inline function dw_row_body(prow: usize, rowp: usize, wc: usize, yrow: usize, Wo: i32, kh: i32, kw: i32, sw: i32, dh: i32, dw: i32, b: f32): void {
  const bv = f32x4.splat(b), zero = f32x4.splat(0);
  const rstep = <usize>dh * rowp, cstep = <usize>dw << 2, step = <usize>sw << 4;
  const Wv = ceil4(Wo);
  let ox = 0, p0 = prow;
  for (; ox + 8 <= Wv; ox += 8) {
    let s0 = bv, s1 = bv, t0 = zero, t1 = zero;
    let pr = p0, q = wc;
    for (let dy = 0; dy < kh; dy++) {
      let pc = pr, dx = 0;
      for (; dx + 2 <= kw; dx += 2) {
        const w0 = v128.load32_splat(q), w1 = v128.load32_splat(q, 4);
        s0 = f32x4.add(s0, f32x4.mul(w0, dw_in4(pc, sw)));
        s1 = f32x4.add(s1, f32x4.mul(w0, dw_in4(pc + step, sw)));
        t0 = f32x4.add(t0, f32x4.mul(w1, dw_in4(pc + cstep, sw)));
        t1 = f32x4.add(t1, f32x4.mul(w1, dw_in4(pc + cstep + step, sw)));
        pc += cstep << 1; q += 8;
      }
      if (dx < kw) {
        const w0 = v128.load32_splat(q);
        s0 = f32x4.add(s0, f32x4.mul(w0, dw_in4(pc, sw)));
        s1 = f32x4.add(s1, f32x4.mul(w0, dw_in4(pc + step, sw)));
        q += 4;
      }
      pr += rstep;
    }
    s0 = f32x4.add(s0, t0); s1 = f32x4.add(s1, t1);
    const o = yrow + (<usize>ox << 2);
    if (ox + 8 <= Wo) { v128.store(o, s0); v128.store(o, s1, 16); }
    else { v128.store(o, s0); store_lanes(o + 16, s1, Wo - ox - 4); } // Wv - ox == 8: Wo - ox in 5..7
    p0 += step << 1;
  }
  for (; ox < Wo; ox += 4) {
    let s0 = bv, t0 = zero;
    let pr = p0, q = wc;
    for (let dy = 0; dy < kh; dy++) {
      let pc = pr, dx = 0;
      for (; dx + 2 <= kw; dx += 2) {
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(q), dw_in4(pc, sw)));
        t0 = f32x4.add(t0, f32x4.mul(v128.load32_splat(q, 4), dw_in4(pc + cstep, sw)));
        pc += cstep << 1; q += 8;
      }
      if (dx < kw) { s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(q), dw_in4(pc, sw))); q += 4; }
      pr += rstep;
    }
    s0 = f32x4.add(s0, t0);
    const o = yrow + (<usize>ox << 2);
    if (ox + 4 <= Wo) v128.store(o, s0); else store_lanes(o, s0, Wo - ox);
    p0 += step;
  }
}

/** col2im of one row m = (co, dy, dx) of the GEMM result for input positions [j0, j0+nc):
 *  Y[co][iy*sh - pt + dy*dh][ix*sw - pl + dx*dw] += cols[m][j] */
function convt_col2im_row(src: usize, nc: i32, yg: usize, m: i32, kh: i32, kw: i32, Q: i32, W: i32, Ho: i32, Wo: i32,
  sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, j0: i32): void {
  const ksz = kh * kw, co = m / ksz, t = m - co * ksz, dy = t / kw, dx = t - dy * kw;
  const yc = yg + (<usize>co * <usize>Q << 2);
  const offy = dy * dh - pt, offx = dx * dw - pl;
  let iy = j0 / W, ix = j0 - iy * W;
  for (let jj = 0; jj < nc; jj++) {
    const oy = iy * sh + offy, ox = ix * sw + offx;
    if (<u32>oy < <u32>Ho && <u32>ox < <u32>Wo) {
      const q = yc + (<usize>(oy * Wo + ox) << 2);
      store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>jj << 2)));
    }
    if (++ix == W) { ix = 0; iy++; }
  }
}

/** col2im of the rows (co, dy, 0) and (co, dy, 1) at src and src + nc floats when kw == sw == 2
 *  and dw == 1 (PP-OCR's upsampling heads): the two taps of an input position are adjacent
 *  outputs, so 4 positions interleave into 8 contiguous outputs. */
function convt_col2im_pair2(src: usize, nc: i32, yg: usize, co: i32, dy: i32, Q: i32, W: i32, Ho: i32, Wo: i32,
  sh: i32, pt: i32, pl: i32, dh: i32, j0: i32): void {
  const yc = yg + (<usize>co * <usize>Q << 2);
  const src1 = src + (<usize>nc << 2);
  let jj = 0, iy = j0 / W, ix = j0 - iy * W;
  while (jj < nc) {
    const len = min(W - ix, nc - jj); // positions left in this input row
    const oy = iy * sh - pt + dy * dh;
    if (<u32>oy < <u32>Ho) {
      const row = yc + (<usize>(oy * Wo) << 2);
      let t = 0;
      // vector part: outputs 2*ix - pl .. 2*(ix+3) - pl + 1 all inside the row
      for (; t + 4 <= len; t += 4) {
        const ox = 2 * (ix + t) - pl;
        if (ox < 0 || ox + 8 > Wo) break;
        const a = v128.load(src + (<usize>(jj + t) << 2)), b = v128.load(src1 + (<usize>(jj + t) << 2));
        const q = row + (<usize>ox << 2);
        v128.store(q, f32x4.add(v128.load(q), v128.shuffle<f32>(a, b, 0, 4, 1, 5)));
        v128.store(q, f32x4.add(v128.load(q, 16), v128.shuffle<f32>(a, b, 2, 6, 3, 7)), 16);
      }
      for (; t < len; t++) {
        const ox = 2 * (ix + t) - pl;
        if (<u32>ox < <u32>Wo) store<f32>(row + (<usize>ox << 2), load<f32>(row + (<usize>ox << 2)) + load<f32>(src + (<usize>(jj + t) << 2)));
        if (<u32>(ox + 1) < <u32>Wo) store<f32>(row + (<usize>(ox + 1) << 2), load<f32>(row + (<usize>(ox + 1) << 2)) + load<f32>(src1 + (<usize>(jj + t) << 2)));
      }
    }
    jj += len; ix += len;
    if (ix == W) { ix = 0; iy++; }
  }
}

/** Y[N][Cout][Ho][Wo] = conv_transpose(X[N][C][H][W], W) + bias, then act.
 *  wp: per group A panels [ceil(Mg/4)][Cin_g][4] of the transposed weights, Mg = Cout_g*kh*kw,
 *  row m = (co, dy, dx) of group g = W[g*Cin_g + ci][co][dy][dx] at column ci; groups back to back.
 *  Output position of input (iy, ix) and tap (dy, dx): (iy*sh - pt + dy*dh, ix*sw - pl + dx*dw).
 *  scratch: see gemm-blocking.ts convTransposeScratchBytes. */
export function conv_transpose2d_f32(x: usize, N: i32, C: i32, H: i32, W: i32,
  wp: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  const Cg = C / G, Cog = Cout / G, ksz = kh * kw, Mg = Cog * ksz, P = H * W, Q = Ho * Wo;
  const chunk = min(P, CONVT_NC);
  const cols = scratch + GEMM_TMP_BYTES + ((<usize>min(ceil8(chunk), GEMM_NC) * <usize>min(Cg, GEMM_KC) * 4 + 63) & ~<usize>63);
  const wgStride = (<usize>ceil4(Mg) * <usize>Cg) << 2;
  for (let n = 0; n < N; n++) {
    const yn = y + (<usize>(n * Cout) * <usize>Q << 2);
    for (let co = 0; co < Cout; co++) {
      const b: f32 = bias != 0 ? load<f32>(bias + (<usize>co << 2)) : 0;
      const yc = yn + (<usize>co * <usize>Q << 2);
      for (let i = 0; i < Q; i++) store<f32>(yc + (<usize>i << 2), b);
    }
    for (let g = 0; g < G; g++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>P << 2);
      const wg = wp + <usize>g * wgStride;
      const yg = yn + (<usize>(g * Cog) * <usize>Q << 2);
      for (let j0 = 0; j0 < P; j0 += CONVT_NC) {
        const nc = min(CONVT_NC, P - j0);
        gemm_f32_pa(1, Mg, nc, Cg, wg, 0, xg + (<usize>j0 << 2), 0, P, 1, cols, 0, nc, 0, BIAS_NONE, 0, 0, 0, scratch);
        if (ASC_FEATURE_SIMD && kw == 2 && sw == 2 && dw == 1) {
          for (let m = 0; m < Mg; m += 2) convt_col2im_pair2(cols + (<usize>(m * nc) << 2), nc, yg, m / ksz, (m % ksz) >> 1, Q, W, Ho, Wo, sh, pt, pl, dh, j0);
        } else {
          for (let m = 0; m < Mg; m++) convt_col2im_row(cols + (<usize>(m * nc) << 2), nc, yg, m, kh, kw, Q, W, Ho, Wo, sh, sw, pt, pl, dh, dw, j0);
        }
      }
    }
    act_apply_f32(yn, Cout * Q, act, alpha, beta);
  }
}

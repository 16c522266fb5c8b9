// Resize/Upsample of the last two axes of x[NC, H, W] as a separable filter: every mode
// (nearest in all its rounding variants, linear, cubic) and every coordinate transformation is
// decided at compile time and arrives as two tap tables, one per axis, so this one kernel serves
// them all. Per output coordinate o a table holds k input indices then k weights (f32 bits):
//   tab[o * 2k + t] = index of tap t,   tab[o * 2k + k + t] = its weight
// An index of -1 in the first tap marks a coordinate outside the input (tf_crop_and_resize):
// its outputs are `extrap`.
// Per output row the k_h source rows are blended into `tmp` (W floats; SIMD), or read in place
// when the row is a single tap of weight 1 (nearest, or an axis that is not resized); then each
// output column blends k_w values of that row. Not safe in place.
import { copyBytes } from './memcopy';

export function resize_f32(x: usize, y: usize, NC: i32, H: i32, W: i32, OH: i32, OW: i32,
  tabH: usize, kh: i32, tabW: usize, kw: i32, tmp: usize, extrap: f32): void {
  const plane = <usize>H * <usize>W << 2;
  const rowBytes = <usize>W << 2;
  for (let c = 0; c < NC; c++) {
    const xc = x + <usize>c * plane;
    for (let oh = 0; oh < OH; oh++) {
      const yr = y + ((<usize>c * <usize>OH + <usize>oh) * <usize>OW << 2);
      const th = tabH + (<usize>(oh * 2 * kh) << 2);
      const first = load<i32>(th);
      if (first < 0) {
        for (let ow = 0; ow < OW; ow++) store<f32>(yr + (<usize>ow << 2), extrap);
        continue;
      }
      let src: usize;
      if (kh == 1 && load<f32>(th, 4) == 1) {
        src = xc + <usize>first * rowBytes;
      } else {
        for (let t = 0; t < kh; t++) {
          const row = xc + <usize>load<i32>(th + (<usize>t << 2)) * rowBytes;
          const wt = load<f32>(th + (<usize>(kh + t) << 2));
          let i = 0;
          if (ASC_FEATURE_SIMD) {
            const wv = f32x4.splat(wt);
            for (; i + 4 <= W; i += 4) {
              const p = <usize>i << 2;
              const v = f32x4.mul(v128.load(row + p), wv);
              v128.store(tmp + p, t == 0 ? v : f32x4.add(v128.load(tmp + p), v));
            }
          }
          for (; i < W; i++) {
            const p = <usize>i << 2;
            const v = load<f32>(row + p) * wt;
            store<f32>(tmp + p, t == 0 ? v : load<f32>(tmp + p) + v);
          }
        }
        src = tmp;
      }
      if (kw == 1) {
        for (let ow = 0; ow < OW; ow++) {
          const tw = tabW + (<usize>ow << 3);
          const j = load<i32>(tw);
          store<f32>(yr + (<usize>ow << 2), j < 0 ? extrap : load<f32>(src + (<usize>j << 2)) * load<f32>(tw, 4));
        }
      } else {
        for (let ow = 0; ow < OW; ow++) {
          const tw = tabW + (<usize>(ow * 2 * kw) << 2);
          if (load<i32>(tw) < 0) {
            store<f32>(yr + (<usize>ow << 2), extrap);
            continue;
          }
          let acc: f32 = 0;
          for (let t = 0; t < kw; t++) {
            acc += load<f32>(src + (<usize>load<i32>(tw + (<usize>t << 2)) << 2)) * load<f32>(tw + (<usize>(kw + t) << 2));
          }
          store<f32>(yr + (<usize>ow << 2), acc);
        }
      }
    }
  }
}

/** Nearest upsampling by integer factors, y[c, oh, ow] = x[c, oh / sh, ow / sw] (the common
 *  2x/4x FPN case: asymmetric, half_pixel and align-free modes all reduce to it there). A row
 *  that repeats the previous output row is copied; sw = 2 duplicates lanes with shuffles. */
export function resize_nearest_int_f32(x: usize, y: usize, NC: i32, H: i32, W: i32, sh: i32, sw: i32): void {
  const OW = W * sw;
  const outRow = <usize>OW << 2;
  let yo = y;
  for (let c = 0; c < NC; c++) {
    for (let h = 0; h < H; h++) {
      const src = x + ((<usize>c * <usize>H + <usize>h) * <usize>W << 2);
      const first = yo;
      let w = 0;
      if (ASC_FEATURE_SIMD) {
        if (sw == 2) {
          for (; w + 4 <= W; w += 4) {
            const v = v128.load(src + (<usize>w << 2));
            v128.store(yo + (<usize>w << 3), i32x4.shuffle(v, v, 0, 0, 1, 1));
            v128.store(yo + (<usize>w << 3), i32x4.shuffle(v, v, 2, 2, 3, 3), 16);
          }
        } else if (sw >= 4) {
          for (; w < W; w++) {
            const v = v128.load32_splat(src + (<usize>w << 2));
            const dst = yo + (<usize>(w * sw) << 2);
            let j = 0;
            for (; j + 4 <= sw; j += 4) v128.store(dst + (<usize>j << 2), v);
            for (; j < sw; j++) store<f32>(dst + (<usize>j << 2), f32x4.extract_lane(v, 0));
          }
        }
      }
      for (; w < W; w++) {
        const v = load<f32>(src + (<usize>w << 2));
        const dst = yo + (<usize>(w * sw) << 2);
        for (let j = 0; j < sw; j++) store<f32>(dst + (<usize>j << 2), v);
      }
      yo += outRow;
      for (let r = 1; r < sh; r++) {
        copyBytes(yo, first, outRow);
        yo += outRow;
      }
    }
  }
}

/** one row of 2x linear half-pixel upsampling along W: out[2i] = .25 b[i-1] + .75 b[i],
 *  out[2i+1] = .75 b[i] + .25 b[i+1], indices clamped to the row */
// @ts-ignore: decorator
@inline function linear2xRow(b: usize, out: usize, W: i32): void {
  const q: f32 = 0.25, t: f32 = 0.75;
  // first and last input columns, clamped
  store<f32>(out, load<f32>(b));
  store<f32>(out + (<usize>(2 * W - 1) << 2), load<f32>(b + (<usize>(W - 1) << 2)));
  if (W == 1) {
    store<f32>(out + 4, load<f32>(b));
    return;
  }
  store<f32>(out + 4, t * load<f32>(b) + q * load<f32>(b, 4));
  store<f32>(out + (<usize>(2 * W - 2) << 2), q * load<f32>(b + (<usize>(W - 2) << 2)) + t * load<f32>(b + (<usize>(W - 1) << 2)));
  let i = 1;
  if (ASC_FEATURE_SIMD) {
    const qv = f32x4.splat(q), tv = f32x4.splat(t);
    for (; i + 5 <= W; i += 4) {
      const p = b + (<usize>i << 2);
      const v = v128.load(p), vl = v128.load(p - 4), vr = v128.load(p + 4);
      const even = f32x4.add(f32x4.mul(vl, qv), f32x4.mul(v, tv));
      const odd = f32x4.add(f32x4.mul(v, tv), f32x4.mul(vr, qv));
      const o = out + (<usize>(2 * i) << 2);
      v128.store(o, i32x4.shuffle(even, odd, 0, 4, 1, 5));
      v128.store(o, i32x4.shuffle(even, odd, 2, 6, 3, 7), 16);
    }
  }
  for (; i < W - 1; i++) {
    const v = load<f32>(b + (<usize>i << 2));
    store<f32>(out + (<usize>(2 * i) << 2), q * load<f32>(b + (<usize>(i - 1) << 2)) + t * v);
    store<f32>(out + (<usize>(2 * i + 1) << 2), t * v + q * load<f32>(b + (<usize>(i + 1) << 2)));
  }
}

/** Linear (bilinear) 2x upsampling with half-pixel centres on both axes, the usual
 *  interpolate(scale_factor=2, mode='bilinear'): per output row, blend two input rows into tmp
 *  (W floats, SIMD), then expand tmp to 2W columns with lane shuffles. */
export function resize_linear2x_f32(x: usize, y: usize, NC: i32, H: i32, W: i32, tmp: usize): void {
  const rowBytes = <usize>W << 2;
  const outRow = <usize>W << 3;
  let yo = y;
  for (let c = 0; c < NC; c++) {
    const xc = x + <usize>c * <usize>H * rowBytes;
    for (let oh = 0; oh < 2 * H; oh++) {
      const j = oh >> 1;
      // even rows: .25 row[j-1] + .75 row[j]; odd rows: .75 row[j] + .25 row[j+1]
      const other = (oh & 1) ? min(j + 1, H - 1) : max(j - 1, 0);
      const ra = xc + <usize>j * rowBytes, rb = xc + <usize>other * rowBytes;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        const tv = f32x4.splat(0.75), qv = f32x4.splat(0.25);
        for (; i + 4 <= W; i += 4) {
          const p = <usize>i << 2;
          v128.store(tmp + p, f32x4.add(f32x4.mul(v128.load(ra + p), tv), f32x4.mul(v128.load(rb + p), qv)));
        }
      }
      for (; i < W; i++) {
        const p = <usize>i << 2;
        store<f32>(tmp + p, <f32>0.75 * load<f32>(ra + p) + <f32>0.25 * load<f32>(rb + p));
      }
      linear2xRow(tmp, yo, W);
      yo += outRow;
    }
  }
}

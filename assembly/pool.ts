// 2-D max and average pooling over NCHW planes (1-D pooling is H = 1).
// desc (Int32Array in the weights region):
//   [H, W, OH, OW, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw]
// Each output row clips its vertical taps to the input once; the columns whose horizontal taps
// all fall inside the input run 4 outputs at a time with SIMD (stride 1: plain loads; stride 2:
// two loads and an even-lane shuffle), the border columns run scalar with clipping.
// Average pooling divides by the taps inside the input (count_include_pad = 0) or by the taps
// inside the padded input (1), as onnxruntime does, so ceil_mode windows that hang past the end
// padding count only what is inside it. Global pooling is a reduction (reduce.ts).
// Not safe in place.

/** 4 input values at w, w + s, w + 2s, w + 3s for s = 1 or 2 */
// @ts-ignore: decorator
@inline function load4(p: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(p);
  return i32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

// @ts-ignore: decorator
@inline function pool(isMax: bool, x: usize, y: usize, NC: i32, desc: usize, includePad: i32): void {
  const H = load<i32>(desc), W = load<i32>(desc, 4), OH = load<i32>(desc, 8), OW = load<i32>(desc, 12);
  const kh = load<i32>(desc, 16), kw = load<i32>(desc, 20), sh = load<i32>(desc, 24), sw = load<i32>(desc, 28);
  const pt = load<i32>(desc, 32), pl = load<i32>(desc, 36), pb = load<i32>(desc, 40), pr = load<i32>(desc, 44);
  const dh = load<i32>(desc, 48), dw = load<i32>(desc, 52);
  // output columns whose taps are all inside [0, W)
  let owLo = (pl + sw - 1) / sw;
  let owHi = (W - 1 - (kw - 1) * dw + pl) >= 0 ? (W - 1 - (kw - 1) * dw + pl) / sw + 1 : 0;
  owLo = min(owLo, OW);
  owHi = max(min(owHi, OW), owLo);
  const simdOk = ASC_FEATURE_SIMD && dw == 1 && (sw == 1 || sw == 2);
  const plane = <usize>H * <usize>W << 2;
  for (let c = 0; c < NC; c++) {
    const xc = x + <usize>c * plane;
    const yc = y + (<usize>c * <usize>OH * <usize>OW << 2);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * sh - pt;
      // vertical taps inside the input: i in [i0, i1)
      let i0 = 0;
      if (hs < 0) i0 = (-hs + dh - 1) / dh;
      let i1 = kh;
      while (i1 > i0 && hs + (i1 - 1) * dh >= H) i1--;
      const hCount = i1 - i0;
      // with padding counted: the window clipped to [-pt, H + pb)
      const hPad = min(hs + (kh - 1) * dh + 1, H + pb) - hs;
      const yr = yc + (<usize>oh * <usize>OW << 2);
      let ow = 0;
      while (ow < OW) {
        if (ow == owLo && simdOk) {
          if (ASC_FEATURE_SIMD) {
            const div = f32x4.splat(<f32>1 / <f32>((includePad ? hPad : hCount) * kw));
            for (; ow + 4 <= owHi; ow += 4) {
              const ws = ow * sw - pl;
              let acc = f32x4.splat(isMax ? -Infinity : 0);
              for (let i = i0; i < i1; i++) {
                const row = xc + (<usize>((hs + i * dh) * W + ws) << 2);
                for (let j = 0; j < kw; j++) {
                  const v = load4(row + (<usize>j << 2), sw);
                  acc = isMax ? f32x4.pmax(acc, v) : f32x4.add(acc, v); // pmax: one instruction (NaN order as std::max)
                }
              }
              v128.store(yr + (<usize>ow << 2), isMax ? acc : f32x4.mul(acc, div));
            }
          }
          if (ow >= OW) break;
        }
        // scalar output column with clipping
        const ws = ow * sw - pl;
        let j0 = 0;
        if (ws < 0) j0 = (-ws + dw - 1) / dw;
        let j1 = kw;
        while (j1 > j0 && ws + (j1 - 1) * dw >= W) j1--;
        let acc: f32 = isMax ? -Infinity : 0;
        for (let i = i0; i < i1; i++) {
          const row = xc + (<usize>((hs + i * dh) * W) << 2);
          for (let j = j0; j < j1; j++) {
            const v = load<f32>(row + (<usize>(ws + j * dw) << 2));
            acc = isMax ? max<f32>(acc, v) : acc + v;
          }
        }
        if (!isMax) {
          const wPad = min(ws + (kw - 1) * dw + 1, W + pr) - ws;
          const n = includePad ? hPad * wPad : hCount * (j1 - j0);
          acc = n > 0 ? acc / <f32>n : 0;
        }
        store<f32>(yr + (<usize>ow << 2), acc);
        ow++;
      }
    }
  }
}

export function maxpool2d_f32(x: usize, y: usize, NC: i32, desc: usize): void { pool(true, x, y, NC, desc, 0); }
export function avgpool2d_f32(x: usize, y: usize, NC: i32, desc: usize, countIncludePad: i32): void { pool(false, x, y, NC, desc, countIncludePad); }

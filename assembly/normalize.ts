// Normalisations: LayerNormalization over a row with per-element scale and bias,
// group/instance normalisation with per-channel scale and bias, and the per-channel affine map
// that an inference-mode BatchNormalization becomes when it could not be folded into a conv.
//
// Statistics are two-pass (mean, then mean of squared deviations), the way the references
// compute them: a one-pass E[x^2] - E[x]^2 loses digits when the mean is large.
// All kernels are safe in place: a row's statistics are complete before any of it is written.

// @ts-ignore: decorator
@inline function rowSum(x: usize, n: i32): f32 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let v0 = f32x4.splat(0), v1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      v0 = f32x4.add(v0, v128.load(x + (<usize>i << 2)));
      v1 = f32x4.add(v1, v128.load(x + (<usize>i << 2), 16));
    }
    const v = f32x4.add(v0, v1);
    s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2));
  return s;
}

/** sum of (x - m)^2 over a row */
// @ts-ignore: decorator
@inline function rowSqDev(x: usize, n: i32, m: f32): f32 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let v0 = f32x4.splat(0), v1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const d0 = f32x4.sub(v128.load(x + (<usize>i << 2)), mv);
      const d1 = f32x4.sub(v128.load(x + (<usize>i << 2), 16), mv);
      v0 = f32x4.add(v0, f32x4.mul(d0, d0));
      v1 = f32x4.add(v1, f32x4.mul(d1, d1));
    }
    const v = f32x4.add(v0, v1);
    s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  }
  for (; i < n; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - m;
    s += d * d;
  }
  return s;
}

/** y = (x - m) * a + b over a row, with scalar a and b */
// @ts-ignore: decorator
@inline function rowAffine(x: usize, y: usize, n: i32, m: f32, a: f32, b: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m), av = f32x4.splat(a), bv = f32x4.splat(b);
    for (; i + 4 <= n; i += 4) {
      const p = <usize>i << 2;
      v128.store(y + p, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + p), mv), av), bv));
    }
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(y + p, (load<f32>(x + p) - m) * a + b);
  }
}

/**
 * LayerNormalization: each of `rows` rows of n values is normalised, then scaled and shifted
 * elementwise by scale[n] and bias[n] (bias 0: none). meanOut and invStdOut (0: not wanted)
 * receive one value per row.
 */
export function layernorm_f32(x: usize, scale: usize, bias: usize, y: usize, rows: i32, n: i32, eps: f32, meanOut: usize, invStdOut: usize): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = y + <usize>r * rowBytes;
    const m = rowSum(xr, n) / <f32>n;
    const inv: f32 = 1 / sqrt<f32>(rowSqDev(xr, n, m) / <f32>n + eps);
    if (meanOut) store<f32>(meanOut + (<usize>r << 2), m);
    if (invStdOut) store<f32>(invStdOut + (<usize>r << 2), inv);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const mv = f32x4.splat(m), iv = f32x4.splat(inv);
      for (; i + 4 <= n; i += 4) {
        const p = <usize>i << 2;
        let v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xr + p), mv), iv), v128.load(scale + p));
        if (bias) v = f32x4.add(v, v128.load(bias + p));
        v128.store(yr + p, v);
      }
    }
    for (; i < n; i++) {
      const p = <usize>i << 2;
      let v = (load<f32>(xr + p) - m) * inv * load<f32>(scale + p);
      if (bias) v += load<f32>(bias + p);
      store<f32>(yr + p, v);
    }
  }
}

/**
 * GroupNormalization over x[N, G * cpg, S]: statistics per (n, group) over cpg * S values, then
 * per channel y = (x - mean) * inv * scale[c] + bias[c]. InstanceNormalization is cpg = 1.
 */
export function groupnorm_f32(x: usize, scale: usize, bias: usize, y: usize, N: i32, G: i32, cpg: i32, S: i32, eps: f32): void {
  const chanBytes = <usize>S << 2;
  const groupLen = cpg * S;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const off = (<usize>(n * G + g) * <usize>cpg) * chanBytes;
      const m = rowSum(x + off, groupLen) / <f32>groupLen;
      const inv: f32 = 1 / sqrt<f32>(rowSqDev(x + off, groupLen, m) / <f32>groupLen + eps);
      for (let j = 0; j < cpg; j++) {
        const c = g * cpg + j;
        const p = off + <usize>j * chanBytes;
        rowAffine(x + p, y + p, S, m, inv * load<f32>(scale + (<usize>c << 2)), load<f32>(bias + (<usize>c << 2)));
      }
    }
  }
}

/** y[n, c, s] = x[n, c, s] * a[c] + b[c]: inference BatchNormalization with folded constants */
export function channel_affine_f32(x: usize, a: usize, b: usize, y: usize, N: i32, C: i32, S: i32): void {
  const chanBytes = <usize>S << 2;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const p = <usize>(n * C + c) * chanBytes;
      rowAffine(x + p, y + p, S, 0, load<f32>(a + (<usize>c << 2)), load<f32>(b + (<usize>c << 2)));
    }
  }
}

/** Inference BatchNormalization with parameters computed at run time:
 *  y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c] */
export function batchnorm_f32(x: usize, scale: usize, bias: usize, mean: usize, variance: usize, y: usize, N: i32, C: i32, S: i32, eps: f32): void {
  const chanBytes = <usize>S << 2;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const q = <usize>c << 2;
      const a = load<f32>(scale + q) / sqrt<f32>(load<f32>(variance + q) + eps);
      const p = <usize>(n * C + c) * chanBytes;
      rowAffine(x + p, y + p, S, load<f32>(mean + q), a, load<f32>(bias + q));
    }
  }
}

// Reductions, softmax and argmax over one axis group of a tensor viewed as [outer, r, inner]:
// the lowering merges adjacent reduced axes into r and the kept axes around them into outer and
// inner, and chains calls through scratch when the reduced axes are not adjacent.
//
// inner == 1 (reducing the last axes, as in LayerNorm-style ReduceMean or GlobalAveragePool):
// contiguous rows, SIMD accumulators with one horizontal combine per row.
// inner > 1: the output row of `inner` values is the accumulator, and each of the r input rows
// is folded into it with SIMD along inner.
//
// None of these is safe in place except softmax/log_softmax (same shape, each element read
// before it is written).
import { exp_s, exp_nonpos_s, exp_nonpos_v, log_s } from './vmath';

// PMax: max with pmax, one instruction in V8 where NaN-propagating max is several; for softmax,
// where a NaN input gives NaN outputs anyway through exp(x - max)
const enum R { Sum, SumSq, L1, Max, Min, Prod, PMax }

// @ts-ignore: decorator
@inline function init(op: R): f32 {
  switch (op) {
    case R.Max: return -Infinity;
    case R.PMax: return -Infinity;
    case R.Min: return Infinity;
    case R.Prod: return 1;
  }
  return 0;
}

/** accumulator after folding in one input value */
// @ts-ignore: decorator
@inline function acc_s(op: R, a: f32, x: f32): f32 {
  switch (op) {
    case R.Sum: return a + x;
    case R.SumSq: return a + x * x;
    case R.L1: return a + abs<f32>(x);
    case R.Max: return max<f32>(a, x);
    case R.PMax: return max<f32>(a, x);
    case R.Min: return min<f32>(a, x);
    case R.Prod: return a * x;
  }
  return a;
}

// @ts-ignore: decorator
@inline function acc_v(op: R, a: v128, x: v128): v128 {
  switch (op) {
    case R.Sum: return f32x4.add(a, x);
    case R.SumSq: return f32x4.add(a, f32x4.mul(x, x));
    case R.L1: return f32x4.add(a, f32x4.abs(x));
    case R.Max: return f32x4.max(a, x);
    case R.PMax: return f32x4.pmax(a, x);
    case R.Min: return f32x4.min(a, x);
    case R.Prod: return f32x4.mul(a, x);
  }
  return a;
}

/** combine two partial accumulators */
// @ts-ignore: decorator
@inline function comb_s(op: R, a: f32, b: f32): f32 {
  switch (op) {
    case R.Max: return max<f32>(a, b);
    case R.PMax: return max<f32>(a, b);
    case R.Min: return min<f32>(a, b);
    case R.Prod: return a * b;
  }
  return a + b;
}

// @ts-ignore: decorator
@inline function comb_v(op: R, a: v128, b: v128): v128 {
  switch (op) {
    case R.Max: return f32x4.max(a, b);
    case R.PMax: return f32x4.pmax(a, b);
    case R.Min: return f32x4.min(a, b);
    case R.Prod: return f32x4.mul(a, b);
  }
  return f32x4.add(a, b);
}

/** fold one contiguous row of n values. Four accumulators: with one or two, the loop waits on
 *  the add/max latency (4 cycles) instead of issuing a vector per cycle. */
// @ts-ignore: decorator
@inline function reduceRow(op: R, x: usize, n: i32): f32 {
  let i = 0;
  let a: f32 = init(op);
  if (ASC_FEATURE_SIMD) {
    if (n >= 8) {
      let v0 = f32x4.splat(init(op));
      let v1 = v0, v2 = v0, v3 = v0;
      for (; i + 16 <= n; i += 16) {
        const p = x + (<usize>i << 2);
        v0 = acc_v(op, v0, v128.load(p));
        v1 = acc_v(op, v1, v128.load(p, 16));
        v2 = acc_v(op, v2, v128.load(p, 32));
        v3 = acc_v(op, v3, v128.load(p, 48));
      }
      for (; i + 4 <= n; i += 4) v0 = acc_v(op, v0, v128.load(x + (<usize>i << 2)));
      const v = comb_v(op, comb_v(op, v0, v1), comb_v(op, v2, v3));
      a = comb_s(op, comb_s(op, f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), comb_s(op, f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
    }
  }
  for (; i < n; i++) a = acc_s(op, a, load<f32>(x + (<usize>i << 2)));
  return a;
}

/** y[o, i] = scale * fold_j x[o, j, i] */
// @ts-ignore: decorator
@inline function reduce(op: R, x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      store<f32>(y + (<usize>o << 2), reduceRow(op, x + (<usize>(o * r) << 2), r) * scale);
    }
    return;
  }
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const yo = y + <usize>o * rowBytes;
    const xo = x + <usize>o * <usize>r * rowBytes;
    for (let i = 0; i < inner; i++) store<f32>(yo + (<usize>i << 2), init(op));
    for (let j = 0; j < r; j++) {
      const xr = xo + <usize>j * rowBytes;
      let i = 0;
      if (ASC_FEATURE_SIMD) {
        for (; i + 4 <= inner; i += 4) {
          const p = <usize>i << 2;
          v128.store(yo + p, acc_v(op, v128.load(yo + p), v128.load(xr + p)));
        }
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        store<f32>(yo + p, acc_s(op, load<f32>(yo + p), load<f32>(xr + p)));
      }
    }
    if (scale != 1) {
      for (let i = 0; i < inner; i++) store<f32>(yo + (<usize>i << 2), load<f32>(yo + (<usize>i << 2)) * scale);
    }
  }
}

/** ReduceSum (scale 1) and ReduceMean (scale 1/r) */
export function reduce_sum_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void { reduce(R.Sum, x, y, outer, r, inner, scale); }
/** ReduceSumSquare, and ReduceL2 before its sqrt */
export function reduce_sumsq_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void { reduce(R.SumSq, x, y, outer, r, inner, scale); }
export function reduce_l1_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void { reduce(R.L1, x, y, outer, r, inner, scale); }
export function reduce_max_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void { reduce(R.Max, x, y, outer, r, inner, scale); }
export function reduce_min_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void { reduce(R.Min, x, y, outer, r, inner, scale); }
export function reduce_prod_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, scale: f32): void { reduce(R.Prod, x, y, outer, r, inner, scale); }

/** ReduceLogSumExp: max + log(sum exp(x - max)). Chains: lse over partial lse values is the lse. */
export function reduce_logsumexp_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + ((<usize>o * <usize>r * <usize>inner + <usize>i) << 2);
      const step = <usize>inner << 2;
      let m: f32 = -Infinity;
      for (let j = 0; j < r; j++) m = max<f32>(m, load<f32>(base + <usize>j * step));
      let s: f32 = 0;
      if (m != -Infinity && m != Infinity) {
        for (let j = 0; j < r; j++) s += exp_s(load<f32>(base + <usize>j * step) - m);
        store<f32>(y + ((<usize>o * <usize>inner + <usize>i) << 2), m + log_s(s));
      } else {
        store<f32>(y + ((<usize>o * <usize>inner + <usize>i) << 2), m);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin along r -> int32 indices [outer, inner]. Ties: the first index, or the last
// with selectLast. Scalar: index outputs are small.
// @ts-ignore: decorator
@inline function argReduce(isMax: bool, x: usize, y: usize, outer: i32, r: i32, inner: i32, selectLast: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + ((<usize>o * <usize>r * <usize>inner + <usize>i) << 2);
      const step = <usize>inner << 2;
      let best = load<f32>(base);
      let at = 0;
      for (let j = 1; j < r; j++) {
        const v = load<f32>(base + <usize>j * step);
        const better = isMax ? (selectLast ? v >= best : v > best) : (selectLast ? v <= best : v < best);
        if (better) { best = v; at = j; }
      }
      store<i32>(y + ((<usize>o * <usize>inner + <usize>i) << 2), at);
    }
  }
}

export function argmax_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, selectLast: i32): void { argReduce(true, x, y, outer, r, inner, selectLast); }
export function argmin_f32(x: usize, y: usize, outer: i32, r: i32, inner: i32, selectLast: i32): void { argReduce(false, x, y, outer, r, inner, selectLast); }

// ---------------------------------------------------------------------------------------------
// Softmax / LogSoftmax over n along [outer, n, inner]. In place safe.

// @ts-ignore: decorator
@inline function softmaxRow(isLog: bool, x: usize, y: usize, n: i32): void {
  let m: f32 = reduceRow(R.PMax, x, n);
  let s: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    let sv = f32x4.splat(0), sv1 = sv;
    // two vectors per step, two sums: the exp chains of both overlap
    for (; i + 8 <= n; i += 8) {
      const p = <usize>i << 2;
      const e0 = exp_nonpos_v(f32x4.sub(v128.load(x + p), mv));
      const e1 = exp_nonpos_v(f32x4.sub(v128.load(x + p, 16), mv));
      if (!isLog) { v128.store(y + p, e0); v128.store(y + p, e1, 16); }
      sv = f32x4.add(sv, e0); sv1 = f32x4.add(sv1, e1);
    }
    for (; i + 4 <= n; i += 4) {
      const p = <usize>i << 2;
      const e = exp_nonpos_v(f32x4.sub(v128.load(x + p), mv));
      if (!isLog) v128.store(y + p, e);
      sv = f32x4.add(sv, e);
    }
    sv = f32x4.add(sv, sv1);
    s = (f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    const e = exp_nonpos_s(load<f32>(x + p) - m);
    if (!isLog) store<f32>(y + p, e);
    s += e;
  }
  // log: y = x - (m + log s); else y = e / s
  const c: f32 = isLog ? m + log_s(s) : 1 / s;
  i = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    for (; i + 4 <= n; i += 4) {
      const p = <usize>i << 2;
      v128.store(y + p, isLog ? f32x4.sub(v128.load(x + p), cv) : f32x4.mul(v128.load(y + p), cv));
    }
  }
  for (; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(y + p, isLog ? load<f32>(x + p) - c : load<f32>(y + p) * c);
  }
}

/** softmax down a column of n values `step` bytes apart, 4 columns at a time */
// @ts-ignore: decorator
@inline function softmaxCols4(isLog: bool, x: usize, y: usize, n: i32, step: usize): void {
  let m = f32x4.splat(-Infinity);
  for (let j = 0; j < n; j++) m = f32x4.pmax(m, v128.load(x + <usize>j * step));
  let s = f32x4.splat(0);
  for (let j = 0; j < n; j++) {
    const e = exp_nonpos_v(f32x4.sub(v128.load(x + <usize>j * step), m));
    if (!isLog) v128.store(y + <usize>j * step, e);
    s = f32x4.add(s, e);
  }
  if (isLog) {
    let ls = f32x4.splat(log_s(f32x4.extract_lane(s, 0)));
    ls = f32x4.replace_lane(ls, 1, log_s(f32x4.extract_lane(s, 1)));
    ls = f32x4.replace_lane(ls, 2, log_s(f32x4.extract_lane(s, 2)));
    ls = f32x4.replace_lane(ls, 3, log_s(f32x4.extract_lane(s, 3)));
    const c = f32x4.add(m, ls);
    for (let j = 0; j < n; j++) v128.store(y + <usize>j * step, f32x4.sub(v128.load(x + <usize>j * step), c));
  } else {
    const c = f32x4.div(f32x4.splat(1), s);
    for (let j = 0; j < n; j++) v128.store(y + <usize>j * step, f32x4.mul(v128.load(y + <usize>j * step), c));
  }
}

// @ts-ignore: decorator
@inline function softmaxCol(isLog: bool, x: usize, y: usize, n: i32, step: usize): void {
  let m: f32 = -Infinity;
  for (let j = 0; j < n; j++) m = max<f32>(m, load<f32>(x + <usize>j * step));
  let s: f32 = 0;
  for (let j = 0; j < n; j++) {
    const e = exp_nonpos_s(load<f32>(x + <usize>j * step) - m);
    if (!isLog) store<f32>(y + <usize>j * step, e);
    s += e;
  }
  const c: f32 = isLog ? m + log_s(s) : 1 / s;
  for (let j = 0; j < n; j++) {
    const p = <usize>j * step;
    store<f32>(y + p, isLog ? load<f32>(x + p) - c : load<f32>(y + p) * c);
  }
}

// @ts-ignore: decorator
@inline function softmax(isLog: bool, x: usize, y: usize, outer: i32, n: i32, inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const off = <usize>o * <usize>n << 2;
      softmaxRow(isLog, x + off, y + off, n);
    }
    return;
  }
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const off = <usize>o * <usize>n * step;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      for (; i + 4 <= inner; i += 4) softmaxCols4(isLog, x + off + (<usize>i << 2), y + off + (<usize>i << 2), n, step);
    }
    for (; i < inner; i++) softmaxCol(isLog, x + off + (<usize>i << 2), y + off + (<usize>i << 2), n, step);
  }
}

export function softmax_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32): void { softmax(false, x, y, outer, n, inner); }
export function log_softmax_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32): void { softmax(true, x, y, outer, n, inner); }

/** Hardmax over n of [outer, n, inner]: 1 at the first maximum, 0 elsewhere */
export function hardmax_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32): void {
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const xb = x + ((<usize>o * <usize>n * <usize>inner + <usize>i) << 2);
      const yb = y + ((<usize>o * <usize>n * <usize>inner + <usize>i) << 2);
      let best = load<f32>(xb), at = 0;
      for (let j = 1; j < n; j++) {
        const v = load<f32>(xb + <usize>j * step);
        if (v > best) { best = v; at = j; }
      }
      for (let j = 0; j < n; j++) store<f32>(yb + <usize>j * step, j == at ? 1 : 0);
    }
  }
}

// @ts-ignore: decorator
@inline function cumsum<T>(x: usize, y: usize, outer: i32, n: i32, inner: i32, exclusive: i32, reverse: i32): void {
  const step = <isize>inner * <isize>sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let off = <isize>((<usize>o * <usize>n * <usize>inner + <usize>i) * sizeof<T>());
      let s = <isize>step;
      if (reverse) { off += <isize>(n - 1) * step; s = -step; }
      let acc: T = <T>0;
      for (let j = 0; j < n; j++) {
        const v = load<T>(x + <usize>off);
        if (exclusive) { store<T>(y + <usize>off, acc); acc += v; }
        else { acc += v; store<T>(y + <usize>off, acc); }
        off += s;
      }
    }
  }
}

/** CumSum along n of [outer, n, inner]; in place safe */
export function cumsum_f32(x: usize, y: usize, outer: i32, n: i32, inner: i32, exclusive: i32, reverse: i32): void { cumsum<f32>(x, y, outer, n, inner, exclusive, reverse); }
export function cumsum_i32(x: usize, y: usize, outer: i32, n: i32, inner: i32, exclusive: i32, reverse: i32): void { cumsum<i32>(x, y, outer, n, inner, exclusive, reverse); }

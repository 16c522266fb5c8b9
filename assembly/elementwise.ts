// Elementwise kernels: unary maps, binary ops with numpy broadcasting, comparisons and logic
// (uint8 results), Where, Cast and a plain byte copy.
//
// One exported function per op keeps model.wasm small: AssemblyScript only compiles what the
// emitted module calls. Each export passes a constant op code to an @inline driver, and binaryen
// folds the op switch away, so each kernel is a tight loop for exactly one op.
//
// Broadcasting: the lowering collapses the output shape and both input shapes to at most 6 dims
// and passes a descriptor (Int32Array in the weights region):
//   desc[0..5]  output dims, outermost first (padded with leading 1s)
//   desc[6..11] element strides of input a per output dim (0 where a is broadcast)
//   desc[12..17] element strides of input b
// The innermost stride of each input is 0 or 1 after collapsing, so the inner loop is a
// vector loop with one input splatted or none. desc == 0 means "same shape, n elements".
//
// In place: every kernel here may write its output over an input of the same shape (each output
// element is computed from the inputs at the same position before it is stored).
import { exp_s, exp_v, log_s, log_v, tanh_s, tanh_v, erf_s, erf_v, gelu_s, gelu_v, sigmoid_s, sigmoid_v } from './vmath';
import { copyBytes } from './memcopy';

// ---------------------------------------------------------------------------------------------
// unary
const enum U {
  Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Erf, GeluErf, GeluTanh, Exp, Log, Sqrt,
  Reciprocal, Neg, Abs, Floor, Ceil, Round, Sign, Clip, Softplus, Elu, Selu, Square, Cube, PowC,
  Swish, Softsign, ThresholdedRelu, Affine, Celu, Shrink,
}

const SQRT_2_PI: f32 = 0.7978845608028654;

// @ts-ignore: decorator
@inline function unary_s(op: U, x: f32, a: f32, b: f32): f32 {
  switch (op) {
    case U.Relu: return max<f32>(x, 0);
    case U.LeakyRelu: return x < 0 ? x * a : x;
    case U.Sigmoid: return sigmoid_s(x);
    case U.HardSigmoid: return min<f32>(max<f32>(x * a + b, 0), 1);
    case U.HardSwish: return x * min<f32>(max<f32>(x * (<f32>1 / 6) + 0.5, 0), 1);
    case U.Tanh: return tanh_s(x);
    case U.Erf: return erf_s(x);
    case U.GeluErf: return gelu_s(x);
    case U.GeluTanh: return 0.5 * x * (1 + tanh_s(SQRT_2_PI * (x + 0.044715 * x * x * x)));
    case U.Exp: return exp_s(x);
    case U.Log: return log_s(x);
    case U.Sqrt: return sqrt<f32>(x);
    case U.Reciprocal: return 1 / x;
    case U.Neg: return -x;
    case U.Abs: return abs<f32>(x);
    case U.Floor: return floor<f32>(x);
    case U.Ceil: return ceil<f32>(x);
    case U.Round: return nearest<f32>(x); // ties to even, as ONNX Round
    case U.Sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case U.Clip: return min<f32>(max<f32>(x, a), b);
    case U.Softplus: return max<f32>(x, 0) + log_s(1 + exp_s(-abs<f32>(x)));
    case U.Elu: return x < 0 ? a * (exp_s(x) - 1) : x;
    case U.Selu: return x > 0 ? b * x : b * (a * exp_s(x) - a);
    case U.Square: return x * x;
    case U.Cube: return x * x * x;
    case U.PowC: return Mathf.pow(x, a);
    case U.Swish: return x * sigmoid_s(a * x);
    case U.Softsign: return x / (1 + abs<f32>(x));
    case U.ThresholdedRelu: return x > a ? x : 0;
    case U.Affine: return x * a + b;
    case U.Celu: return max<f32>(x, 0) + min<f32>(0, a * (exp_s(x / a) - 1));
    case U.Shrink: return x < -a ? x + b : x > a ? x - b : 0;
  }
  return x;
}

// @ts-ignore: decorator
@inline function unary_v(op: U, x: v128, a: v128, b: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case U.Relu: return f32x4.pmax(x, zero); // pmax/pmin: one instruction each, NaN x stays NaN
    case U.LeakyRelu: return v128.bitselect(f32x4.mul(x, a), x, f32x4.lt(x, zero));
    case U.Sigmoid: return sigmoid_v(x);
    case U.HardSigmoid: return f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.mul(x, a), b), zero), one);
    case U.HardSwish:
      return f32x4.mul(x, f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.mul(x, f32x4.splat(<f32>1 / 6)), f32x4.splat(0.5)), zero), one));
    case U.Tanh: return tanh_v(x);
    case U.Erf: return erf_v(x);
    case U.GeluErf: return gelu_v(x);
    case U.GeluTanh: {
      const x3 = f32x4.mul(f32x4.mul(f32x4.mul(x, x), x), f32x4.splat(0.044715));
      const t = tanh_v(f32x4.mul(f32x4.splat(SQRT_2_PI), f32x4.add(x, x3)));
      return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(one, t));
    }
    case U.Exp: return exp_v(x);
    case U.Log: return log_v(x);
    case U.Sqrt: return f32x4.sqrt(x);
    case U.Reciprocal: return f32x4.div(one, x);
    case U.Neg: return f32x4.neg(x);
    case U.Abs: return f32x4.abs(x);
    case U.Floor: return f32x4.floor(x);
    case U.Ceil: return f32x4.ceil(x);
    case U.Round: return f32x4.nearest(x);
    case U.Sign: return f32x4.sub(v128.and(one, f32x4.gt(x, zero)), v128.and(one, f32x4.lt(x, zero)));
    case U.Clip: return f32x4.pmin(f32x4.pmax(x, a), b);
    case U.Softplus:
      return f32x4.add(f32x4.pmax(x, zero), log_v(f32x4.add(one, exp_v(f32x4.neg(f32x4.abs(x))))));
    case U.Elu: return v128.bitselect(f32x4.mul(a, f32x4.sub(exp_v(x), one)), x, f32x4.lt(x, zero));
    case U.Selu:
      return f32x4.mul(b, v128.bitselect(x, f32x4.sub(f32x4.mul(a, exp_v(x)), a), f32x4.gt(x, zero)));
    case U.Square: return f32x4.mul(x, x);
    case U.Cube: return f32x4.mul(f32x4.mul(x, x), x);
    case U.PowC: {
      const e = f32x4.extract_lane(a, 0);
      let r = f32x4.splat(Mathf.pow(f32x4.extract_lane(x, 0), e));
      r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(x, 1), e));
      r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(x, 2), e));
      return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(x, 3), e));
    }
    case U.Swish: return f32x4.mul(x, sigmoid_v(f32x4.mul(a, x)));
    case U.Softsign: return f32x4.div(x, f32x4.add(one, f32x4.abs(x)));
    case U.ThresholdedRelu: return v128.and(x, f32x4.gt(x, a));
    case U.Affine: return f32x4.add(f32x4.mul(x, a), b);
    case U.Celu:
      return f32x4.add(f32x4.pmax(x, zero), f32x4.pmin(zero, f32x4.mul(a, f32x4.sub(exp_v(f32x4.div(x, a)), one))));
    case U.Shrink: {
      const lo = f32x4.lt(x, f32x4.neg(a)), hi = f32x4.gt(x, a);
      return v128.or(v128.and(f32x4.add(x, b), lo), v128.and(f32x4.sub(x, b), hi));
    }
  }
  return x;
}

// @ts-ignore: decorator
@inline function unaryMap(op: U, x: usize, y: usize, n: i32, a: f32, b: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, unary_v(op, v128.load(x + o), va, vb));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, unary_s(op, load<f32>(x + o), a, b));
  }
}

export function ew_relu_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Relu, x, y, n, 0, 0); }
export function ew_leaky_relu_f32(x: usize, y: usize, n: i32, alpha: f32): void { unaryMap(U.LeakyRelu, x, y, n, alpha, 0); }
export function ew_sigmoid_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Sigmoid, x, y, n, 0, 0); }
export function ew_hard_sigmoid_f32(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { unaryMap(U.HardSigmoid, x, y, n, alpha, beta); }
export function ew_hard_swish_f32(x: usize, y: usize, n: i32): void { unaryMap(U.HardSwish, x, y, n, 0, 0); }
export function ew_tanh_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Tanh, x, y, n, 0, 0); }
export function ew_erf_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Erf, x, y, n, 0, 0); }
export function ew_gelu_f32(x: usize, y: usize, n: i32): void { unaryMap(U.GeluErf, x, y, n, 0, 0); }
export function ew_gelu_tanh_f32(x: usize, y: usize, n: i32): void { unaryMap(U.GeluTanh, x, y, n, 0, 0); }
export function ew_exp_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Exp, x, y, n, 0, 0); }
export function ew_log_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Log, x, y, n, 0, 0); }
export function ew_sqrt_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Sqrt, x, y, n, 0, 0); }
export function ew_reciprocal_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Reciprocal, x, y, n, 0, 0); }
export function ew_neg_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Neg, x, y, n, 0, 0); }
export function ew_abs_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Abs, x, y, n, 0, 0); }
export function ew_floor_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Floor, x, y, n, 0, 0); }
export function ew_ceil_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Ceil, x, y, n, 0, 0); }
export function ew_round_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Round, x, y, n, 0, 0); }
export function ew_sign_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Sign, x, y, n, 0, 0); }
export function ew_clip_f32(x: usize, y: usize, n: i32, lo: f32, hi: f32): void { unaryMap(U.Clip, x, y, n, lo, hi); }
export function ew_softplus_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Softplus, x, y, n, 0, 0); }
export function ew_elu_f32(x: usize, y: usize, n: i32, alpha: f32): void { unaryMap(U.Elu, x, y, n, alpha, 0); }
export function ew_selu_f32(x: usize, y: usize, n: i32, alpha: f32, gamma: f32): void { unaryMap(U.Selu, x, y, n, alpha, gamma); }
export function ew_square_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Square, x, y, n, 0, 0); }
export function ew_cube_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Cube, x, y, n, 0, 0); }
export function ew_powc_f32(x: usize, y: usize, n: i32, e: f32): void { unaryMap(U.PowC, x, y, n, e, 0); }
export function ew_swish_f32(x: usize, y: usize, n: i32, alpha: f32): void { unaryMap(U.Swish, x, y, n, alpha, 0); }
export function ew_softsign_f32(x: usize, y: usize, n: i32): void { unaryMap(U.Softsign, x, y, n, 0, 0); }
export function ew_thresholded_relu_f32(x: usize, y: usize, n: i32, alpha: f32): void { unaryMap(U.ThresholdedRelu, x, y, n, alpha, 0); }
export function ew_celu_f32(x: usize, y: usize, n: i32, alpha: f32): void { unaryMap(U.Celu, x, y, n, alpha, 0); }
export function ew_shrink_f32(x: usize, y: usize, n: i32, lambd: f32, bias: f32): void { unaryMap(U.Shrink, x, y, n, lambd, bias); }
/** y = x * a + b */
export function ew_affine_f32(x: usize, y: usize, n: i32, a: f32, b: f32): void { unaryMap(U.Affine, x, y, n, a, b); }

// ---------------------------------------------------------------------------------------------
// binary float32, with broadcasting
const enum B { Add, Sub, Mul, Div, Pow, Max, Min, PRelu }

// @ts-ignore: decorator
@inline function binary_s(op: B, a: f32, b: f32): f32 {
  switch (op) {
    case B.Add: return a + b;
    case B.Sub: return a - b;
    case B.Mul: return a * b;
    case B.Div: return a / b;
    case B.Pow: return Mathf.pow(a, b);
    case B.Max: return max<f32>(a, b);
    case B.Min: return min<f32>(a, b);
    case B.PRelu: return a < 0 ? a * b : a;
  }
  return a;
}

// @ts-ignore: decorator
@inline function binary_v(op: B, a: v128, b: v128): v128 {
  switch (op) {
    case B.Add: return f32x4.add(a, b);
    case B.Sub: return f32x4.sub(a, b);
    case B.Mul: return f32x4.mul(a, b);
    case B.Div: return f32x4.div(a, b);
    case B.Pow: {
      let r = f32x4.splat(Mathf.pow(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
      r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
      r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
      return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
    }
    case B.Max: return f32x4.max(a, b);
    case B.Min: return f32x4.min(a, b);
    case B.PRelu: return v128.bitselect(f32x4.mul(a, b), a, f32x4.lt(a, f32x4.splat(0)));
  }
  return a;
}

/** one contiguous output row of n elements; sa, sb are the inputs' inner strides (0 or 1) */
// @ts-ignore: decorator
@inline function binaryRow(op: B, a: usize, b: usize, y: usize, n: i32, sa: i32, sb: i32): void {
  let i = 0;
  if (sa == sb) {
    // both contiguous (or both one value, n == 1)
    if (ASC_FEATURE_SIMD) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, binary_v(op, v128.load(a + o), v128.load(b + o)));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, binary_s(op, load<f32>(a + o), load<f32>(b + o)));
    }
  } else if (sb == 0) {
    const bs = load<f32>(b);
    if (ASC_FEATURE_SIMD) {
      const bv = f32x4.splat(bs);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, binary_v(op, v128.load(a + o), bv));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, binary_s(op, load<f32>(a + o), bs));
    }
  } else {
    const as = load<f32>(a);
    if (ASC_FEATURE_SIMD) {
      const av = f32x4.splat(as);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, binary_v(op, av, v128.load(b + o)));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, binary_s(op, as, load<f32>(b + o)));
    }
  }
}

// @ts-ignore: decorator
@inline function binaryMap(op: B, a: usize, b: usize, y: usize, n: i32, desc: usize): void {
  if (desc == 0) {
    binaryRow(op, a, b, y, n, 1, 1);
    return;
  }
  const d0 = load<i32>(desc), d1 = load<i32>(desc, 4), d2 = load<i32>(desc, 8);
  const d3 = load<i32>(desc, 12), d4 = load<i32>(desc, 16), d5 = load<i32>(desc, 20);
  const a0 = load<i32>(desc, 24), a1 = load<i32>(desc, 28), a2 = load<i32>(desc, 32);
  const a3 = load<i32>(desc, 36), a4 = load<i32>(desc, 40), a5 = load<i32>(desc, 44);
  const b0 = load<i32>(desc, 48), b1 = load<i32>(desc, 52), b2 = load<i32>(desc, 56);
  const b3 = load<i32>(desc, 60), b4 = load<i32>(desc, 64), b5 = load<i32>(desc, 68);
  let yo: usize = y;
  const rowBytes = <usize>d5 << 2;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          const ao3 = i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3;
          const bo3 = i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3;
          for (let i4 = 0; i4 < d4; i4++) {
            const ap = a + (<usize>(ao3 + i4 * a4) << 2);
            const bp = b + (<usize>(bo3 + i4 * b4) << 2);
            binaryRow(op, ap, bp, yo, d5, a5, b5);
            yo += rowBytes;
          }
        }
      }
    }
  }
}

export function ew_add_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Add, a, b, y, n, desc); }
export function ew_sub_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Sub, a, b, y, n, desc); }
export function ew_mul_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Mul, a, b, y, n, desc); }
export function ew_div_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Div, a, b, y, n, desc); }
export function ew_pow_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Pow, a, b, y, n, desc); }
export function ew_max_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Max, a, b, y, n, desc); }
export function ew_min_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.Min, a, b, y, n, desc); }
export function ew_prelu_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { binaryMap(B.PRelu, a, b, y, n, desc); }

// ---------------------------------------------------------------------------------------------
// scalar-only broadcasting ops on other dtypes: int32 arithmetic, comparisons and logic with
// uint8 results. These run on masks and indices, small next to the float work.
const enum G { Add, Sub, Mul, Div, Max, Min, Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor, Mod, FMod }

// @ts-ignore: decorator
@inline function generic_s<T, R>(op: G, a: T, b: T): R {
  switch (op) {
    case G.Add: return <R>(a + b);
    case G.Sub: return <R>(a - b);
    case G.Mul: return <R>(a * b);
    case G.Div: return <R>(isInteger<T>() ? (b == 0 ? <T>0 : a / b) : a / b); // int division truncates, as C
    case G.Max: return <R>max<T>(a, b);
    case G.Min: return <R>min<T>(a, b);
    case G.Equal: return <R>(a == b);
    case G.Less: return <R>(a < b);
    case G.Greater: return <R>(a > b);
    case G.LessOrEqual: return <R>(a <= b);
    case G.GreaterOrEqual: return <R>(a >= b);
    case G.And: return <R>((a != 0) & (b != 0));
    case G.Or: return <R>((a != 0) | (b != 0));
    case G.Xor: return <R>((a != 0) ^ (b != 0));
    case G.FMod: // C fmod / %: the sign of the dividend
      if (isInteger<T>()) return <R>(b == 0 ? <T>0 : a % b);
      return <R>(<f32>a - <f32>b * trunc<f32>(<f32>a / <f32>b));
    case G.Mod: { // Python %: the sign of the divisor (integers)
      if (b == 0) return <R>0;
      const r = a % b;
      return <R>(r != 0 && ((r < 0) != (b < 0)) ? r + b : r);
    }
  }
  return <R>0;
}

// @ts-ignore: decorator
@inline function genericMap<T, R>(op: G, a: usize, b: usize, y: usize, n: i32, desc: usize): void {
  if (desc == 0) {
    for (let i = 0; i < n; i++) {
      store<R>(y + <usize>i * sizeof<R>(), generic_s<T, R>(op, load<T>(a + <usize>i * sizeof<T>()), load<T>(b + <usize>i * sizeof<T>())));
    }
    return;
  }
  const d0 = load<i32>(desc), d1 = load<i32>(desc, 4), d2 = load<i32>(desc, 8);
  const d3 = load<i32>(desc, 12), d4 = load<i32>(desc, 16), d5 = load<i32>(desc, 20);
  const a0 = load<i32>(desc, 24), a1 = load<i32>(desc, 28), a2 = load<i32>(desc, 32);
  const a3 = load<i32>(desc, 36), a4 = load<i32>(desc, 40), a5 = load<i32>(desc, 44);
  const b0 = load<i32>(desc, 48), b1 = load<i32>(desc, 52), b2 = load<i32>(desc, 56);
  const b3 = load<i32>(desc, 60), b4 = load<i32>(desc, 64), b5 = load<i32>(desc, 68);
  let yo: usize = y;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          for (let i4 = 0; i4 < d4; i4++) {
            const ao = i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4;
            const bo = i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4;
            for (let i5 = 0; i5 < d5; i5++) {
              const av = load<T>(a + <usize>(ao + i5 * a5) * sizeof<T>());
              const bv = load<T>(b + <usize>(bo + i5 * b5) * sizeof<T>());
              store<R>(yo, generic_s<T, R>(op, av, bv));
              yo += sizeof<R>();
            }
          }
        }
      }
    }
  }
}

export function ew_add_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Add, a, b, y, n, desc); }
export function ew_sub_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Sub, a, b, y, n, desc); }
export function ew_mul_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Mul, a, b, y, n, desc); }
export function ew_div_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Div, a, b, y, n, desc); }
export function ew_max_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Max, a, b, y, n, desc); }
export function ew_min_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Min, a, b, y, n, desc); }
export function ew_mod_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.Mod, a, b, y, n, desc); }
export function ew_fmod_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, i32>(G.FMod, a, b, y, n, desc); }
export function ew_fmod_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<f32, f32>(G.FMod, a, b, y, n, desc); }
export function ew_equal_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<f32, u8>(G.Equal, a, b, y, n, desc); }
export function ew_less_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<f32, u8>(G.Less, a, b, y, n, desc); }
export function ew_greater_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<f32, u8>(G.Greater, a, b, y, n, desc); }
export function ew_less_equal_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<f32, u8>(G.LessOrEqual, a, b, y, n, desc); }
export function ew_greater_equal_f32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<f32, u8>(G.GreaterOrEqual, a, b, y, n, desc); }
export function ew_equal_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, u8>(G.Equal, a, b, y, n, desc); }
export function ew_less_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, u8>(G.Less, a, b, y, n, desc); }
export function ew_greater_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, u8>(G.Greater, a, b, y, n, desc); }
export function ew_less_equal_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, u8>(G.LessOrEqual, a, b, y, n, desc); }
export function ew_greater_equal_i32(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<i32, u8>(G.GreaterOrEqual, a, b, y, n, desc); }
export function ew_equal_u8(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<u8, u8>(G.Equal, a, b, y, n, desc); }
export function ew_and_u8(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<u8, u8>(G.And, a, b, y, n, desc); }
export function ew_or_u8(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<u8, u8>(G.Or, a, b, y, n, desc); }
export function ew_xor_u8(a: usize, b: usize, y: usize, n: i32, desc: usize): void { genericMap<u8, u8>(G.Xor, a, b, y, n, desc); }

export function ew_isnan_f32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<u8>(y + <usize>i, v != v ? 1 : 0);
  }
}
export function ew_isinf_f32(x: usize, y: usize, n: i32, detectPositive: i32, detectNegative: i32): void {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<u8>(y + <usize>i, (v == Infinity && detectPositive != 0) || (v == -Infinity && detectNegative != 0) ? 1 : 0);
  }
}

export function ew_not_u8(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(y + <usize>i, load<u8>(x + <usize>i) == 0 ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Where(cond, x, y): cond uint8, x and y any 4-byte type (float32 or int32: the bits are copied).
// desc: dims[6], cond strides[6], x strides[6], y strides[6]; desc == 0: all n elements, same shape.
// Inner rows with a contiguous cond and contiguous or broadcast x, y run 4 lanes at a time
// (cond bytes widened to lane masks); others run scalar.

/** one output row of n elements; inner strides cs, xs, ys (elements) */
// @ts-ignore: decorator
@inline function whereRow(c: usize, x: usize, y: usize, out: usize, n: i32, cs: i32, xs: i32, ys: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (cs == 1 && (xs | ys) <= 1) {
      const xv0 = v128.load32_splat(x), yv0 = v128.load32_splat(y);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        const bytes = v128.load32_zero(c + <usize>i);
        const mask = i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes)), i32x4.splat(0));
        const xv = xs ? v128.load(x + o) : xv0;
        const yv = ys ? v128.load(y + o) : yv0;
        v128.store(out + o, v128.bitselect(xv, yv, mask));
      }
    }
  }
  for (; i < n; i++) {
    const cv = load<u8>(c + <usize>(i * cs));
    store<u32>(out + (<usize>i << 2), cv != 0 ? load<u32>(x + (<usize>(i * xs) << 2)) : load<u32>(y + (<usize>(i * ys) << 2)));
  }
}

export function ew_where_32(c: usize, x: usize, y: usize, out: usize, n: i32, desc: usize): void {
  if (desc == 0) {
    whereRow(c, x, y, out, n, 1, 1, 1);
    return;
  }
  let oo: usize = out;
  const d5 = load<i32>(desc, 20), c5 = load<i32>(desc, 44), x5 = load<i32>(desc, 68), y5 = load<i32>(desc, 92);
  for (let i0 = 0; i0 < load<i32>(desc); i0++) {
    for (let i1 = 0; i1 < load<i32>(desc, 4); i1++) {
      for (let i2 = 0; i2 < load<i32>(desc, 8); i2++) {
        for (let i3 = 0; i3 < load<i32>(desc, 12); i3++) {
          for (let i4 = 0; i4 < load<i32>(desc, 16); i4++) {
            const co = i0 * load<i32>(desc, 24) + i1 * load<i32>(desc, 28) + i2 * load<i32>(desc, 32) + i3 * load<i32>(desc, 36) + i4 * load<i32>(desc, 40);
            const xo = i0 * load<i32>(desc, 48) + i1 * load<i32>(desc, 52) + i2 * load<i32>(desc, 56) + i3 * load<i32>(desc, 60) + i4 * load<i32>(desc, 64);
            const yo = i0 * load<i32>(desc, 72) + i1 * load<i32>(desc, 76) + i2 * load<i32>(desc, 80) + i3 * load<i32>(desc, 84) + i4 * load<i32>(desc, 88);
            whereRow(c + <usize>co, x + (<usize>xo << 2), y + (<usize>yo << 2), oo, d5, c5, x5, y5);
            oo += <usize>d5 << 2;
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cast between the run-time dtypes. float -> int truncates toward zero (saturating);
// "to bool" is x != 0; int32 -> uint8 keeps the low byte.
export function cast_f32_i32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(y + (<usize>i << 2), <i32>load<f32>(x + (<usize>i << 2)));
}
export function cast_i32_f32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>load<i32>(x + (<usize>i << 2)));
}
export function cast_u8_f32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>load<u8>(x + <usize>i));
}
export function cast_u8_i32(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(y + (<usize>i << 2), <i32>load<u8>(x + <usize>i));
}
export function cast_f32_bool(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(y + <usize>i, load<f32>(x + (<usize>i << 2)) != 0 ? 1 : 0);
}
export function cast_i32_bool(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(y + <usize>i, load<i32>(x + (<usize>i << 2)) != 0 ? 1 : 0);
}
export function cast_u8_bool(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(y + <usize>i, load<u8>(x + <usize>i) != 0 ? 1 : 0);
}
export function cast_f32_u8(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(y + <usize>i, <u8><i32>load<f32>(x + (<usize>i << 2)));
}
export function cast_i32_u8(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(y + <usize>i, <u8>load<i32>(x + (<usize>i << 2)));
}

/** Identity, for the copies the planner cannot alias away (any dtype: bytes). */
export function copy_bytes(x: usize, y: usize, bytes: i32): void {
  if (x != y) copyBytes(y, x, <usize>bytes);
}

// Activation functions for kernel epilogues (fused activation) and for elementwise kernels.
//
// Codes are `Act` in compiler/codegen/lower.ts:
//   0 None, 1 Relu, 2 Clip (alpha = min, beta = max), 3 HardSigmoid (alpha, beta),
//   4 HardSwish (x * clamp(x/6 + 1/2, 0, 1)), 5 Sigmoid, 6 Gelu (exact, with erf), 7 Swish (x * sigmoid(x)),
//   8 LeakyRelu (alpha), 9 Tanh.
//
// Each function exists as a scalar (`*_f32`, used by the wasm-mvp build and for tails) and as an
// f32x4 version (`*_v128`). The v128 versions must never become wasm exports: a wasm-mvp build
// rejects v128 in an exported signature, so assembly/index.ts re-exports only the scalar and
// pointer-based names of this file. Kernels call the v128 versions only inside
// `if (ASC_FEATURE_SIMD)` so that the mvp build never compiles them.
//
// Accuracy (max abs error on f32 inputs, checked by test/kernels/gemm.test.ts against float64):
//   erf ~1e-7 (odd polynomial for |x| <= 0.9277, 1 - exp(poly) above; polynomial fitted for this
//   file, large-|x| branch after N. Juffa's erff), tanh ~1e-7 (odd polynomial for |x| < 0.625,
//   1 - 2/(exp(2|x|) + 1) above), exp ~1-2 ulp (Cephes reduction and polynomial).
// The exp_v128 scale by 2^n is split in two factors so that results near the overflow and
// underflow limits stay correct instead of turning into inf or garbage exponents.

export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_CLIP: i32 = 2;
export const ACT_HARDSIGMOID: i32 = 3;
export const ACT_HARDSWISH: i32 = 4;
export const ACT_SIGMOID: i32 = 5;
export const ACT_GELU: i32 = 6;
export const ACT_SWISH: i32 = 7;
export const ACT_LEAKYRELU: i32 = 8;
export const ACT_TANH: i32 = 9;

// ---------------------------------------------------------------- scalar

// erf polynomial for |x| <= ERF_SPLIT: erf(x) = x + x * P(x^2)
const ERF_SPLIT: f32 = 0.927734375;
const ES0: f32 = 0.128379151, ES1: f32 = -0.376124829, ES2: f32 = 0.112816960;
const ES3: f32 = -0.0267623141, ES4: f32 = 0.00498694135, ES5: f32 = -0.000595935853;
// erf for |x| > ERF_SPLIT: erf(|x|) = 1 - exp(Q(|x|)), Q(t) = t * (q6 + t*(q5 + ...)) - t
const EB0: f32 = -1.72853470e-5, EB1: f32 = 3.83197126e-4, EB2: f32 = -3.88396438e-3, EB3: f32 = 2.42546219e-2;
const EB4: f32 = -1.06777877e-1, EB5: f32 = -6.34846687e-1, EB6: f32 = -1.28717512e-1;
// beyond this |x|, erf is 1 in float32
const ERF_ONE: f32 = 3.925;
// tanh polynomial for |x| < TANH_SPLIT: tanh(x) = x + x * s * P(s), s = x^2
const TANH_SPLIT: f32 = 0.625;
const TS0: f32 = -0.333332807, TS1: f32 = 0.133313820, TS2: f32 = -0.0537353158, TS3: f32 = 0.0206262879, TS4: f32 = -0.00569198187;

export function erf_f32(x: f32): f32 {
  const t = Mathf.abs(x);
  if (t <= ERF_SPLIT) {
    const s = x * x;
    let r = ES5;
    r = r * s + ES4; r = r * s + ES3; r = r * s + ES2; r = r * s + ES1; r = r * s + ES0;
    return r * x + x;
  }
  if (t >= ERF_ONE) return copysign<f32>(1.0, x);
  const s = t * t;
  let r = EB0 * t + EB1;
  const u = EB2 * t + EB3;
  r = r * s + u;
  r = r * t + EB4; r = r * t + EB5; r = r * t + EB6;
  r = r * t - t;
  return copysign<f32>(<f32>1.0 - Mathf.exp(r), x);
}

export function sigmoid_f32(x: f32): f32 {
  return <f32>1.0 / (<f32>1.0 + Mathf.exp(-x));
}

export function tanh_f32(x: f32): f32 {
  const t = Mathf.abs(x);
  if (t < TANH_SPLIT) {
    const s = x * x;
    let r = TS4;
    r = r * s + TS3; r = r * s + TS2; r = r * s + TS1; r = r * s + TS0;
    return (r * s) * x + x;
  }
  if (t > 9.0) return copysign<f32>(1.0, x);
  return copysign<f32>(<f32>1.0 - <f32>2.0 / (Mathf.exp(t + t) + <f32>1.0), x);
}

export function gelu_f32(x: f32): f32 {
  return <f32>0.5 * x * (<f32>1.0 + erf_f32(x * <f32>0.70710678118654752));
}

/** one activation on one value; `act` is an Act code */
export function act_f32(x: f32, act: i32, alpha: f32, beta: f32): f32 {
  switch (act) {
    case ACT_RELU: return Mathf.max(x, 0);
    case ACT_CLIP: return Mathf.min(Mathf.max(x, alpha), beta);
    case ACT_HARDSIGMOID: return Mathf.min(Mathf.max(alpha * x + beta, 0), 1);
    case ACT_HARDSWISH: return x * Mathf.min(Mathf.max(x * <f32>(1.0 / 6.0) + <f32>0.5, 0), 1);
    case ACT_SIGMOID: return sigmoid_f32(x);
    case ACT_GELU: return gelu_f32(x);
    case ACT_SWISH: return x * sigmoid_f32(x);
    case ACT_LEAKYRELU: return x >= 0 ? x : alpha * x;
    case ACT_TANH: return tanh_f32(x);
    default: return x;
  }
}

// ---------------------------------------------------------------- f32x4 (SIMD builds only)

@inline function sp(x: f32): v128 { return f32x4.splat(x); }
@inline function madd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }

// 1.5·2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low
// mantissa bits (cheaper in V8 than nearest + trunc_sat, which take several instructions each)
const ROUND_MAGIC: f32 = 12582912.0;

// The constants of the f32x4 functions live in a table and are loaded with load32_splat (one
// instruction): V8 materialises each v128.const with several instructions at every use inside
// a loop, which made the GELU epilogue 3x slower (65536 floats: 254 µs with constants, 80 with
// the table).
const enum K {
  EXP_LO, EXP_HI, LOG2E, MAGIC, LN2_HI, LN2_LO, P0, P1, P2, P3, P4, P5, ONE, TWO, HALF, SQRT1_2,
  ERF_ONE, ERF_SPLIT, ES0, ES1, ES2, ES3, ES4, ES5, EB0, EB1, EB2, EB3, EB4, EB5, EB6,
  TANH_MAX, TANH_SPLIT, TS0, TS1, TS2, TS3, TS4, SIGN,
}
// @ts-ignore: decorator
@lazy const KT = memory.data<f32>([
  -103.0, 88.7228, 1.44269504088896341, ROUND_MAGIC, 0.693359375, -2.12194440e-4,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  1.0, 2.0, 0.5, 0.70710678118654752,
  ERF_ONE, ERF_SPLIT, ES0, ES1, ES2, ES3, ES4, ES5, EB0, EB1, EB2, EB3, EB4, EB5, EB6,
  9.0, TANH_SPLIT, TS0, TS1, TS2, TS3, TS4,
  -0.0, // SIGN: the sign bit alone
]);
// integers as i32 lanes: the bits of ROUND_MAGIC (0x4b400000) and the exponent bias
const enum KI { MAGIC_BITS, BIAS }
// @ts-ignore: decorator
@lazy const KTI = memory.data<i32>([0x4b400000, 127]);
// @ts-ignore: decorator
@inline function kc(i: K): v128 { return v128.load32_splat(KT + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function ki(i: KI): v128 { return v128.load32_splat(KTI + (<usize>i << 2)); }

// @ts-ignore: decorator
@inline export function exp_v128(x0: v128): v128 {
  // pmin/pmax are one instruction each; min/max add NaN handling the clamp does not need
  const x = f32x4.pmin(f32x4.pmax(x0, kc(K.EXP_LO)), kc(K.EXP_HI));
  const t = f32x4.add(f32x4.mul(x, kc(K.LOG2E)), kc(K.MAGIC));
  const fx = f32x4.sub(t, kc(K.MAGIC));
  let r = f32x4.sub(x, f32x4.mul(fx, kc(K.LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, kc(K.LN2_LO)));
  let p = kc(K.P0);
  p = madd(p, r, kc(K.P1));
  p = madd(p, r, kc(K.P2));
  p = madd(p, r, kc(K.P3));
  p = madd(p, r, kc(K.P4));
  p = madd(p, r, kc(K.P5));
  p = f32x4.add(madd(f32x4.mul(p, r), r, r), kc(K.ONE));
  const n = i32x4.sub(t, ki(KI.MAGIC_BITS)); // the integer in t's low bits
  const n1 = i32x4.shr_s(n, 1), n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, ki(KI.BIAS)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, ki(KI.BIAS)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

// @ts-ignore: decorator
@inline export function erf_v128(x: v128): v128 {
  const sign = v128.and(x, kc(K.SIGN));
  const t = f32x4.pmin(f32x4.abs(x), kc(K.ERF_ONE));
  // small branch (odd polynomial), computed on t
  const s = f32x4.mul(t, t);
  let a = kc(K.ES5);
  a = madd(a, s, kc(K.ES4)); a = madd(a, s, kc(K.ES3)); a = madd(a, s, kc(K.ES2)); a = madd(a, s, kc(K.ES1)); a = madd(a, s, kc(K.ES0));
  a = madd(a, t, t);
  // the large branch costs an exp: skip it when all four lanes are small (GELU of LayerNorm'd
  // activations: most are)
  const small = f32x4.le(t, kc(K.ERF_SPLIT));
  if (i32x4.all_true(small)) return v128.or(a, sign);
  // large branch: 1 - exp(Q(t))
  let r = madd(kc(K.EB0), t, kc(K.EB1));
  const u = madd(kc(K.EB2), t, kc(K.EB3));
  r = madd(r, s, u);
  r = madd(r, t, kc(K.EB4)); r = madd(r, t, kc(K.EB5)); r = madd(r, t, kc(K.EB6));
  r = f32x4.sub(f32x4.mul(r, t), t);
  const b = f32x4.sub(kc(K.ONE), exp_v128(r));
  const y = v128.bitselect(a, b, small);
  return v128.or(y, sign);
}

// @ts-ignore: decorator
@inline export function sigmoid_v128(x: v128): v128 {
  const one = kc(K.ONE);
  return f32x4.div(one, f32x4.add(one, exp_v128(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline export function tanh_v128(x: v128): v128 {
  const sign = v128.and(x, kc(K.SIGN));
  const t = f32x4.min(f32x4.abs(x), kc(K.TANH_MAX));
  const s = f32x4.mul(t, t);
  let a = kc(K.TS4);
  a = madd(a, s, kc(K.TS3)); a = madd(a, s, kc(K.TS2)); a = madd(a, s, kc(K.TS1)); a = madd(a, s, kc(K.TS0));
  a = madd(f32x4.mul(a, s), t, t);
  const one = kc(K.ONE);
  const b = f32x4.sub(one, f32x4.div(kc(K.TWO), f32x4.add(exp_v128(f32x4.add(t, t)), one)));
  const y = v128.bitselect(a, b, f32x4.lt(t, kc(K.TANH_SPLIT)));
  return v128.or(y, sign);
}

// @ts-ignore: decorator
@inline export function gelu_v128(x: v128): v128 {
  const e = erf_v128(f32x4.mul(x, kc(K.SQRT1_2)));
  return f32x4.mul(f32x4.mul(x, kc(K.HALF)), f32x4.add(e, kc(K.ONE)));
}

/** one activation on four values; `act` is an Act code */
export function act_v128(x: v128, act: i32, alpha: f32, beta: f32): v128 {
  switch (act) {
    case ACT_RELU: return f32x4.max(x, sp(0));
    case ACT_CLIP: return f32x4.min(f32x4.max(x, sp(alpha)), sp(beta));
    case ACT_HARDSIGMOID: return f32x4.min(f32x4.max(madd(x, sp(alpha), sp(beta)), sp(0)), sp(1));
    case ACT_HARDSWISH: return f32x4.mul(x, f32x4.min(f32x4.max(madd(x, sp(<f32>(1.0 / 6.0)), sp(0.5)), sp(0)), sp(1)));
    case ACT_SIGMOID: return sigmoid_v128(x);
    case ACT_GELU: return gelu_v128(x);
    case ACT_SWISH: return f32x4.mul(x, sigmoid_v128(x));
    case ACT_LEAKYRELU: return f32x4.add(f32x4.max(x, sp(0)), f32x4.mul(f32x4.min(x, sp(0)), sp(alpha)));
    case ACT_TANH: return tanh_v128(x);
    default: return x;
  }
}

// ---------------------------------------------------------------- buffers

/** applies `act` in place to n contiguous floats at p. One dispatch per call: the piecewise
 *  linear activations (every CNN epilogue) get their own inlined loops; the transcendental ones
 *  call their v128 function per vector. */
export function act_apply_f32(p: usize, n: i32, act: i32, alpha: f32, beta: f32): void {
  if (act == ACT_NONE || n <= 0) return;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0), one = f32x4.splat(1);
    switch (act) {
      case ACT_RELU: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, f32x4.max(v128.load(q), z)); }
        break;
      }
      case ACT_CLIP: {
        const lo = f32x4.splat(alpha), hi = f32x4.splat(beta);
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, f32x4.min(f32x4.max(v128.load(q), lo), hi)); }
        break;
      }
      case ACT_HARDSIGMOID: {
        const a = f32x4.splat(alpha), b = f32x4.splat(beta);
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, f32x4.min(f32x4.max(madd(v128.load(q), a, b), z), one)); }
        break;
      }
      case ACT_HARDSWISH: {
        const a = f32x4.splat(<f32>(1.0 / 6.0)), b = f32x4.splat(0.5);
        for (; i + 4 <= n; i += 4) {
          const q = p + (<usize>i << 2), x = v128.load(q);
          v128.store(q, f32x4.mul(x, f32x4.min(f32x4.max(madd(x, a, b), z), one)));
        }
        break;
      }
      case ACT_LEAKYRELU: {
        const a = f32x4.splat(alpha);
        for (; i + 4 <= n; i += 4) {
          const q = p + (<usize>i << 2), x = v128.load(q);
          v128.store(q, f32x4.add(f32x4.max(x, z), f32x4.mul(f32x4.min(x, z), a)));
        }
        break;
      }
      case ACT_GELU: {
        // its own loop so erf and exp inline into it (a call per vector through act_v128 cost
        // more than the arithmetic)
        for (; i + 8 <= n; i += 8) {
          const q = p + (<usize>i << 2);
          const y0 = gelu_v128(v128.load(q)), y1 = gelu_v128(v128.load(q, 16));
          v128.store(q, y0); v128.store(q, y1, 16);
        }
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, gelu_v128(v128.load(q))); }
        break;
      }
      case ACT_SIGMOID: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, sigmoid_v128(v128.load(q))); }
        break;
      }
      case ACT_SWISH: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2), x = v128.load(q); v128.store(q, f32x4.mul(x, sigmoid_v128(x))); }
        break;
      }
      case ACT_TANH: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, tanh_v128(v128.load(q))); }
        break;
      }
      default: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, act_v128(v128.load(q), act, alpha, beta)); }
      }
    }
  }
  for (; i < n; i++) {
    const q = p + (<usize>i << 2);
    store<f32>(q, act_f32(load<f32>(q), act, alpha, beta));
  }
}

/** applies `act` in place to a rows x cols block with row stride ld (elements) */
export function act_tile_f32(p: usize, ld: i32, rows: i32, cols: i32, act: i32, alpha: f32, beta: f32): void {
  if (act == ACT_NONE) return;
  for (let r = 0; r < rows; r++) act_apply_f32(p + (<usize>(r * ld) << 2), cols, act, alpha, beta);
}

/** out[i] = act(in[i]) for n floats (in may equal out): a standalone activation kernel */
export function act_f32_buf(x: usize, y: usize, n: i32, act: i32, alpha: f32, beta: f32): void {
  if (x != y) for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(x + (<usize>i << 2)));
  act_apply_f32(y, n, act, alpha, beta);
}

// Vector (f32x4) and scalar f32 transcendental functions: the one implementation behind the
// activation epilogues (activation.ts), the elementwise kernels, softmax and the reductions.
// Each scalar version runs the same operations in the same order as its vector version, so a
// tensor's SIMD body and its scalar tail agree bit for bit, and a wasm-mvp build gives the same
// numbers as a SIMD build. Not exported from index.ts: these are @inline helpers, not kernels
// (and a v128 in an exported signature would break the wasm-mvp build).
//
// Written for few vector instructions: in V8 on x64 these loops are bound by the vector ALU ports,
// not by latency or loads. So no branches (both sides of a piecewise function cost less than a
// mispredicted branch), pmin/pmax (one instruction; min/max add NaN handling, and pmin(x, c) /
// pmax(x, c) with x first return a NaN x anyway), and constants loaded with load32_splat from a
// table (a load, no ALU work; V8 rebuilds a v128.const with several instructions at every use,
// which once made the GELU epilogue 3x slower).
//
// Accuracy on f32 inputs against float64 (test/kernels/vmath.test.ts sweeps [-10, 10]):
//   exp: 1.3 ulp (Cody-Waite reduction, degree-6 polynomial fitted for this file); 0 below
//     -87.68 (the true value is subnormal there) and +inf above 88.376 (true value within 30% of
//     the largest float).
//   normcdf_neg: Φ(-a) = 2^(-a²·log2(e)/2) · P3(a)/Q4(a), a in [0, 6] (rational fitted for this
//     file, relative error 6e-8; float evaluation about 3e-7 relative).
//   erf: 9e-8 absolute: odd polynomial for |x| <= 0.9277, 1 - 2Φ(-|x|·√2) above, exactly ±1
//     from 3.925.
//   gelu: x·Φ(x) = max(x, 0) - |x|·Φ(-|x|), which has no cancellation for x << 0 where
//     0.5·x·(1 + erf(x/√2)) has: 2.4e-7 absolute at x = 4.4 (6e-8 relative), 1e-7 or less below 0.
//   tanh: 9e-8 absolute, 2.1e-7 relative (expm1(2|x|) / (expm1(2|x|) + 2)); sigmoid
//     1/(1 + exp(-x)) 9e-8; log: Cephes logf, about 2 ulp.

// c + a·b without fusing (a fused multiply-add would round differently from the scalar version)
// @ts-ignore: decorator
@inline function muladd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }

// ---- exp ----
// 1.5·2^23 + 127: adding it to a float of magnitude below 2^22 rounds the float to an integer n
// and leaves n + 127 in the low mantissa bits, so those bits shifted left by 23 are 2^n (biased
// exponent n + 127, mantissa 0): one add and one shift, no float-to-int conversion. n = -127
// gives +0 and n = 128 gives +inf, which is how exp underflows and overflows.
const MAGIC: f32 = 12583039.0;
const EXP_HI: f32 = 89.0; // n = 128: +inf
const EXP_LO: f32 = -88.0; // n = -127: 0
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// e^t = 1 + t·(E1 + E2·t + ... + E6·t^5) on [-ln2/2, ln2/2], minimax relative error 2e-9
const E1: f32 = 1.0000000341, E2: f32 = 4.9999993853e-01, E3: f32 = 1.6666421888e-01;
const E4: f32 = 4.1668056634e-02, E5: f32 = 8.3749652277e-03, E6: f32 = 1.3842711786e-03;

// @ts-ignore: decorator
@inline function exp_core_s(x: f32, minus1: bool): f32 {
  const tm = x * LOG2E + MAGIC;
  const s = reinterpret<f32>(reinterpret<i32>(tm) << 23);
  const n = tm - MAGIC;
  let t = x - n * LN2_HI;
  t = t - n * LN2_LO;
  let p = E6 * t + E5;
  p = p * t + E4; p = p * t + E3; p = p * t + E2; p = p * t + E1;
  return (t * s) * p + (minus1 ? s - 1 : s);
}

/** exp(x) for x in [EXP_LO, EXP_HI] (the callers clamp or know their range); with minus1 (a
 *  constant), exp(x) - 1 as (s - 1) + t·s·P(t): s = 2^n makes s - 1 exact, and for n = 0 the
 *  result is t·P(t), so there is no cancellation near 0 */
// @ts-ignore: decorator
@inline function exp_core_v(x: v128, minus1: bool): v128 {
  const tm = muladd(x, vk(V.LOG2E), vk(V.MAGIC));
  const s = i32x4.shl(tm, 23);
  const n = f32x4.sub(tm, vk(V.MAGIC));
  let t = f32x4.sub(x, f32x4.mul(n, vk(V.LN2_HI)));
  t = f32x4.sub(t, f32x4.mul(n, vk(V.LN2_LO)));
  let p = muladd(vk(V.E6), t, vk(V.E5));
  p = muladd(p, t, vk(V.E4)); p = muladd(p, t, vk(V.E3)); p = muladd(p, t, vk(V.E2)); p = muladd(p, t, vk(V.E1));
  return muladd(f32x4.mul(t, s), p, minus1 ? f32x4.sub(s, vk(V.ONE)) : s);
}

// @ts-ignore: decorator
@inline export function exp_s(x: f32): f32 {
  return exp_core_s(max<f32>(min<f32>(x, EXP_HI), EXP_LO), false);
}

// @ts-ignore: decorator
@inline export function exp_v(x: v128): v128 {
  return exp_core_v(f32x4.pmax(f32x4.pmin(x, vk(V.EXP_HI)), vk(V.EXP_LO)), false);
}

// ---- 2^z, and exp(x) for x <= 0 through it ----
// 2^t = 1 + t·(B1 + B2·t + ... + B5·t^4) on [-1/2, 1/2], minimax relative error 1e-7
const B1: f32 = 6.9314696516e-01, B2: f32 = 2.4022225618e-01, B3: f32 = 5.5507467990e-02;
const B4: f32 = 9.6725811058e-03, B5: f32 = 1.3263357655e-03;
const EXP2_LO: f32 = -127.0; // n = -127: 0

/** 2^z for z in [-127, 127] */
// @ts-ignore: decorator
@inline function exp2_core_s(z: f32): f32 {
  const tm = z + MAGIC;
  const s = reinterpret<f32>(reinterpret<i32>(tm) << 23);
  const t = z - (tm - MAGIC);
  let p = B5 * t + B4;
  p = p * t + B3; p = p * t + B2; p = p * t + B1;
  return (t * s) * p + s;
}

// @ts-ignore: decorator
@inline function exp2_core_v(z: v128): v128 {
  const tm = f32x4.add(z, vk(V.MAGIC));
  const s = i32x4.shl(tm, 23);
  const t = f32x4.sub(z, f32x4.sub(tm, vk(V.MAGIC)));
  let p = muladd(vk(V.B5), t, vk(V.B4));
  p = muladd(p, t, vk(V.B3)); p = muladd(p, t, vk(V.B2)); p = muladd(p, t, vk(V.B1));
  return muladd(f32x4.mul(t, s), p, s);
}

// exp(x) = 2^(x·log2(e)) for x <= 0 or NaN: softmax's exp(x - max). Five instructions fewer than
// exp_v; the rounding of x·log2(e) adds 6e-8·|x| relative error (so at most 2.2e-8 absolute,
// at x = -1), which a softmax, where each term's absolute error is what counts, does not see.
// @ts-ignore: decorator
@inline export function exp_nonpos_s(x: f32): f32 {
  return exp2_core_s(max<f32>(x * LOG2E, EXP2_LO));
}

// @ts-ignore: decorator
@inline export function exp_nonpos_v(x: v128): v128 {
  return exp2_core_v(f32x4.pmax(f32x4.mul(x, vk(V.LOG2E)), vk(V.EXP2_LO)));
}

// ---- Φ(-a), the normal distribution's lower tail, for a in [0, PHI_MAX] ----
// Φ(-a) = exp(-a²/2)·S(a) with S(a) = erfcx(a/√2)/2 smooth and slowly decaying, so a rational of
// low degree holds it to 6e-8 relative. exp(-a²/2) is computed as 2^z, z = -a²·log2(e)/2: one
// multiply folds the constant, and without Cody-Waite reduction (z's rounding error, relative
// 6e-8, is at most 1e-6 relative in the result at a = 6, where Φ(-a) = 1e-9).
const PHI_MAX: f32 = 6.0;
const NEG_HALF_LOG2E: f32 = -0.721347520444481703;
// S(a) = (SP0 + SP1·a + SP2·a² + SP3·a³) / (1 + SQ1·a + ... + SQ4·a^4), all terms positive
const SP0: f32 = 4.9999996953e-01, SP1: f32 = 3.3460245010e-01, SP2: f32 = 1.0448223206e-01, SP3: f32 = 1.3632732999e-02;
const SQ1: f32 = 1.4670858554, SQ2: f32 = 8.7956394074e-01, SQ3: f32 = 2.6134556938e-01, SQ4: f32 = 3.4192775695e-02;

// @ts-ignore: decorator
@inline function normcdf_neg_s(a: f32): f32 {
  const e = exp2_core_s(a * (a * NEG_HALF_LOG2E));
  let num = SP3 * a + SP2;
  num = num * a + SP1; num = num * a + SP0;
  let den = SQ4 * a + SQ3;
  den = den * a + SQ2; den = den * a + SQ1; den = den * a + 1;
  return e * (num / den);
}

// @ts-ignore: decorator
@inline function normcdf_neg_v(a: v128): v128 {
  const e = exp2_core_v(f32x4.mul(a, f32x4.mul(a, vk(V.NEG_HALF_LOG2E))));
  let num = muladd(vk(V.SP3), a, vk(V.SP2));
  num = muladd(num, a, vk(V.SP1)); num = muladd(num, a, vk(V.SP0));
  let den = muladd(vk(V.SQ4), a, vk(V.SQ3));
  den = muladd(den, a, vk(V.SQ2)); den = muladd(den, a, vk(V.SQ1)); den = muladd(den, a, vk(V.ONE));
  return f32x4.mul(e, f32x4.div(num, den));
}

// ---- gelu: x·Φ(x) = max(x, 0) - |x|·Φ(-|x|) ----
// |x| is clamped at PHI_MAX in both factors: gelu(+inf) = +inf, and for x <= -6 the result is
// -6·Φ(-6) = -6e-9 instead of about 0.

// @ts-ignore: decorator
@inline export function gelu_s(x: f32): f32 {
  const a = min<f32>(abs<f32>(x), PHI_MAX);
  // x < 0 ? 0 : x is pmax(x, 0) (gelu(-0) = -0, as in the vector version); max<f32> gives +0
  return (x < 0 ? <f32>0 : x) - a * normcdf_neg_s(a);
}

// @ts-ignore: decorator
@inline export function gelu_v(x: v128): v128 {
  const a = f32x4.pmin(f32x4.abs(x), vk(V.PHI_MAX));
  return f32x4.sub(f32x4.pmax(x, vk(V.ZERO)), f32x4.mul(a, normcdf_neg_v(a)));
}

// ---- erf ----
// |x| <= ERF_SPLIT: erf(x) = x + x·P(x²) (polynomial fitted for activation.ts); above:
// 1 - erfc(|x|) = 1 - 2Φ(-|x|·√2); from ERF_ONE on, erf is 1 in f32 (and the formula gives it).
const ERF_SPLIT: f32 = 0.927734375;
const ERF_ONE: f32 = 3.925;
const SQRT2: f32 = 1.41421356237309505;
const ES0: f32 = 0.128379151, ES1: f32 = -0.376124829, ES2: f32 = 0.112816960;
const ES3: f32 = -0.0267623141, ES4: f32 = 0.00498694135, ES5: f32 = -0.000595935853;

// @ts-ignore: decorator
@inline export function erf_s(x: f32): f32 {
  const t = min<f32>(abs<f32>(x), ERF_ONE);
  let y: f32;
  if (t <= ERF_SPLIT) {
    const s = t * t;
    let r = ES5 * s + ES4;
    r = r * s + ES3; r = r * s + ES2; r = r * s + ES1; r = r * s + ES0;
    y = r * t + t;
  } else {
    const e = normcdf_neg_s(t * SQRT2);
    y = 1 - (e + e);
  }
  return copysign<f32>(y, x);
}

// @ts-ignore: decorator
@inline export function erf_v(x: v128): v128 {
  const t = f32x4.pmin(f32x4.abs(x), vk(V.ERF_ONE));
  const s = f32x4.mul(t, t);
  let r = muladd(vk(V.ES5), s, vk(V.ES4));
  r = muladd(r, s, vk(V.ES3)); r = muladd(r, s, vk(V.ES2)); r = muladd(r, s, vk(V.ES1)); r = muladd(r, s, vk(V.ES0));
  const small = muladd(r, t, t);
  const e = normcdf_neg_v(f32x4.mul(t, vk(V.SQRT2)));
  const large = f32x4.sub(vk(V.ONE), f32x4.add(e, e));
  const y = v128.bitselect(small, large, f32x4.le(t, vk(V.ERF_SPLIT)));
  return v128.or(y, v128.and(x, vki(VI.SIGN)));
}

// ---- tanh ----
// tanh(|x|) = em / (em + 2), em = expm1(2|x|) >= 0 (exp_core with minus1: no cancellation near
// 0, so no separate polynomial and no select; em >= 0 keeps the division well conditioned).
// |x| is clamped at TANH_MAX, where tanh is 1 in f32.
const TANH_MAX: f32 = 9.0;

// @ts-ignore: decorator
@inline export function tanh_s(x: f32): f32 {
  const t = min<f32>(abs<f32>(x), TANH_MAX);
  const em = exp_core_s(t + t, true);
  return copysign<f32>(em / (em + 2), x);
}

// @ts-ignore: decorator
@inline export function tanh_v(x: v128): v128 {
  const t = f32x4.pmin(f32x4.abs(x), vk(V.TANH_MAX));
  const em = exp_core_v(f32x4.add(t, t), true);
  const y = f32x4.div(em, f32x4.add(em, vk(V.TWO)));
  return v128.or(y, v128.and(x, vki(VI.SIGN)));
}

// ---- sigmoid: 1 / (1 + exp(-x)); exp overflow to inf gives exactly 0 ----
// @ts-ignore: decorator
@inline export function sigmoid_s(x: f32): f32 {
  return 1 / (1 + exp_s(-x));
}

// @ts-ignore: decorator
@inline export function sigmoid_v(x: v128): v128 {
  const one = vk(V.ONE);
  return f32x4.div(one, f32x4.add(one, exp_v(f32x4.neg(x))));
}

// ---- log ----
const SQRTHF: f32 = 0.707106781186547524;
const LP0: f32 = 7.0376836292e-2;
const LP1: f32 = -1.1514610310e-1;
const LP2: f32 = 1.1676998740e-1;
const LP3: f32 = -1.2420140846e-1;
const LP4: f32 = 1.4249322787e-1;
const LP5: f32 = -1.6668057665e-1;
const LP6: f32 = 2.0000714765e-1;
const LP7: f32 = -2.4999993993e-1;
const LP8: f32 = 3.3333331174e-1;

// @ts-ignore: decorator
@inline export function log_s(x: f32): f32 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return x;
  const xn = max<f32>(x, 1.17549435e-38); // denormals: treated as the smallest normal
  const bits = reinterpret<i32>(xn);
  let e = <f32>((bits >>> 23) - 126);
  let m = reinterpret<f32>((bits & 0x807fffff) | 0x3f000000); // mantissa in [0.5, 1)
  if (m < SQRTHF) { e -= 1; m = m + m - 1; } else { m = m - 1; }
  const z = m * m;
  let y = LP0;
  y = y * m + LP1; y = y * m + LP2; y = y * m + LP3; y = y * m + LP4;
  y = y * m + LP5; y = y * m + LP6; y = y * m + LP7; y = y * m + LP8;
  y = y * m * z;
  y += e * LN2_LO;
  y -= 0.5 * z;
  return m + y + e * LN2_HI;
}

// @ts-ignore: decorator
@inline export function log_v(x: v128): v128 {
  const one = vk(V.ONE);
  const xn = f32x4.max(x, vk(V.MIN_NORMAL));
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(xn, 23), vki(VI.I126)));
  let m = v128.or(v128.and(xn, vki(VI.SIGN_MANT)), vki(VI.HALF_EXP));
  const small = f32x4.lt(m, vk(V.SQRTHF));
  e = f32x4.sub(e, v128.and(one, small));
  m = f32x4.add(f32x4.sub(m, one), v128.and(m, small));
  const z = f32x4.mul(m, m);
  let y = vk(V.LP0);
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP1));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP2));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP3));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP4));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP5));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP6));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP7));
  y = f32x4.add(f32x4.mul(y, m), vk(V.LP8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, vk(V.LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, vk(V.HALF)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(e, vk(V.LN2_HI)));
  // special cases: log(0) = -inf, log(<0) = NaN, log(inf) = inf, log(NaN) = NaN
  r = v128.bitselect(x, r, f32x4.eq(x, vk(V.INF)));
  r = v128.bitselect(vk(V.NEG_INF), r, f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(vk(V.NAN), r, v128.not(f32x4.ge(x, f32x4.splat(0))));
}

// constants of the vector functions, one lane each (load32_splat), named by V and VI; the table
// lists them in the enum's order
const enum V {
  MAGIC, EXP_HI, EXP_LO, LOG2E, LN2_HI, LN2_LO, E1, E2, E3, E4, E5, E6, EXP2_LO, B1, B2, B3, B4, B5,
  PHI_MAX, NEG_HALF_LOG2E, SP0, SP1, SP2, SP3, SQ1, SQ2, SQ3, SQ4,
  ERF_SPLIT, ERF_ONE, SQRT2, ES0, ES1, ES2, ES3, ES4, ES5,
  TANH_MAX,
  ZERO, ONE, TWO, HALF, INF, NEG_INF, NAN, MIN_NORMAL,
  SQRTHF, LP0, LP1, LP2, LP3, LP4, LP5, LP6, LP7, LP8,
}
// @ts-ignore: decorator
@lazy const VK = memory.data<f32>([
  MAGIC, EXP_HI, EXP_LO, LOG2E, LN2_HI, LN2_LO, E1, E2, E3, E4, E5, E6, EXP2_LO, B1, B2, B3, B4, B5,
  PHI_MAX, NEG_HALF_LOG2E, SP0, SP1, SP2, SP3, SQ1, SQ2, SQ3, SQ4,
  ERF_SPLIT, ERF_ONE, SQRT2, ES0, ES1, ES2, ES3, ES4, ES5,
  TANH_MAX,
  0, 1, 2, 0.5, Infinity, -Infinity, NaN, 1.17549435e-38,
  SQRTHF, LP0, LP1, LP2, LP3, LP4, LP5, LP6, LP7, LP8,
]);
const enum VI { I126, SIGN_MANT, HALF_EXP, SIGN }
// @ts-ignore: decorator
@lazy const VKI = memory.data<i32>([126, 0x807fffff, 0x3f000000, 0x80000000]);
// @ts-ignore: decorator
@inline function vk(i: V): v128 { return v128.load32_splat(VK + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function vki(i: VI): v128 { return v128.load32_splat(VKI + (<usize>i << 2)); }

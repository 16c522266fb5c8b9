// Vector (f32x4) and scalar f32 transcendental functions for the elementwise, softmax and
// normalisation kernels. The scalar versions run the same polynomials as the vector ones, so a
// tensor's SIMD body and its scalar tail agree bit for bit, and a wasm-mvp build gives the same
// numbers as a SIMD build. Not exported from index.ts: these are @inline helpers, not kernels.
//
// exp and log: Cephes expf/logf range reduction and polynomials (about 2 ulp).
// tanh and erf: odd/even rational approximations (Eigen's fast float versions), max abs error
// about 3e-7 and 4e-7, with no exp inside.

// ---- exp ----
const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.33654; // exp(EXP_LO) is the smallest normal float; below it we flush to 0
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;

// @ts-ignore: decorator
@inline export function exp_s(x: f32): f32 {
  if (x > EXP_HI) return Infinity;
  if (x < EXP_LO) return 0;
  const n = nearest<f32>(x * LOG2E);
  const r = x - n * LN2_HI - n * LN2_LO;
  let p = EP0;
  p = p * r + EP1; p = p * r + EP2; p = p * r + EP3; p = p * r + EP4; p = p * r + EP5;
  p = p * r * r + r + 1;
  return p * reinterpret<f32>((<i32>n + 127) << 23);
}

// @ts-ignore: decorator
@inline export function exp_v(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(EP0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  let y = f32x4.mul(p, pow2n);
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(EXP_HI)));
  return v128.andnot(y, f32x4.lt(x, f32x4.splat(EXP_LO)));
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
  const one = f32x4.splat(1);
  const xn = f32x4.max(x, f32x4.splat(1.17549435e-38));
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(xn, 23), i32x4.splat(126)));
  let m = v128.or(v128.and(xn, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, f32x4.splat(SQRTHF));
  e = f32x4.sub(e, v128.and(one, small));
  m = f32x4.add(f32x4.sub(m, one), v128.and(m, small));
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(LP0);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP2));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP3));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP4));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP5));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP6));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP7));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(LP8));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(e, f32x4.splat(LN2_HI)));
  // special cases: log(0) = -inf, log(<0) = NaN, log(inf) = inf, log(NaN) = NaN
  r = v128.bitselect(x, r, f32x4.eq(x, f32x4.splat(Infinity)));
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(f32x4.splat(NaN), r, v128.not(f32x4.ge(x, f32x4.splat(0))));
}

/** +1 or -1 with the sign of each lane of x */
// @ts-ignore: decorator
@inline function sign1(x: v128): v128 {
  return v128.or(f32x4.splat(1), v128.and(x, i32x4.splat(0x80000000)));
}

// ---- tanh ----
// Beyond TANH_ONE (and ERF_ONE for erf) the true value rounds to +-1 in f32; returning exactly
// +-1 there keeps 1 + tanh(x) and 1 + erf(x) (GELU) free of the approximation's last-ulp error.
const TANH_ONE: f32 = 9.0;
const TANH_CLAMP: f32 = 7.99881172180175781;
const TA1: f32 = 4.89352455891786e-03;
const TA3: f32 = 6.37261928875436e-04;
const TA5: f32 = 1.48572235717979e-05;
const TA7: f32 = 5.12229709037114e-08;
const TA9: f32 = -8.60467152213735e-11;
const TA11: f32 = 2.00018790482477e-13;
const TA13: f32 = -2.76076847742355e-16;
const TB0: f32 = 4.89352518554385e-03;
const TB2: f32 = 2.26843463243900e-03;
const TB4: f32 = 1.18534705686654e-04;
const TB6: f32 = 1.19825839466702e-06;

// @ts-ignore: decorator
@inline export function tanh_s(x0: f32): f32 {
  const x = min<f32>(max<f32>(x0, -TANH_CLAMP), TANH_CLAMP);
  const x2 = x * x;
  let p = TA13;
  p = p * x2 + TA11; p = p * x2 + TA9; p = p * x2 + TA7; p = p * x2 + TA5; p = p * x2 + TA3; p = p * x2 + TA1;
  p = p * x;
  let q = TB6;
  q = q * x2 + TB4; q = q * x2 + TB2; q = q * x2 + TB0;
  return abs<f32>(x0) > TANH_ONE ? copysign<f32>(1, x0) : p / q;
}

// @ts-ignore: decorator
@inline export function tanh_v(x0: v128): v128 {
  const x = f32x4.min(f32x4.max(x0, f32x4.splat(-TANH_CLAMP)), f32x4.splat(TANH_CLAMP));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(TA13);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(TA11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(TA9));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(TA7));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(TA5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(TA3));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(TA1));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(TB6);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(TB4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(TB2));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(TB0));
  return v128.bitselect(sign1(x0), f32x4.div(p, q), f32x4.gt(f32x4.abs(x0), f32x4.splat(TANH_ONE)));
}

// ---- erf ----
const ERF_ONE: f32 = 3.92;
const EA1: f32 = -1.60960333262415e-02;
const EA3: f32 = -2.95459980854025e-03;
const EA5: f32 = -7.34990630326855e-04;
const EA7: f32 = -5.69250639462346e-05;
const EA9: f32 = -2.10102402082508e-06;
const EA11: f32 = 2.77068142495902e-08;
const EA13: f32 = -2.72614225801306e-10;
const EB0: f32 = -1.42647390514189e-02;
const EB2: f32 = -7.37332916720468e-03;
const EB4: f32 = -1.68282697438203e-03;
const EB6: f32 = -2.13374055278905e-04;
const EB8: f32 = -1.45660718464996e-05;

// @ts-ignore: decorator
@inline export function erf_s(x0: f32): f32 {
  const x = min<f32>(max<f32>(x0, -4), 4);
  const x2 = x * x;
  let p = EA13;
  p = p * x2 + EA11; p = p * x2 + EA9; p = p * x2 + EA7; p = p * x2 + EA5; p = p * x2 + EA3; p = p * x2 + EA1;
  p = p * x;
  let q = EB8;
  q = q * x2 + EB6; q = q * x2 + EB4; q = q * x2 + EB2; q = q * x2 + EB0;
  return abs<f32>(x0) > ERF_ONE ? copysign<f32>(1, x0) : p / q;
}

// @ts-ignore: decorator
@inline export function erf_v(x0: v128): v128 {
  const x = f32x4.min(f32x4.max(x0, f32x4.splat(-4)), f32x4.splat(4));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(EA13);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(EA11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(EA9));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(EA7));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(EA5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(EA3));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(EA1));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(EB8);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(EB6));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(EB4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(EB2));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(EB0));
  return v128.bitselect(sign1(x0), f32x4.div(p, q), f32x4.gt(f32x4.abs(x0), f32x4.splat(ERF_ONE)));
}

// ---- sigmoid: 1 / (1 + exp(-x)); exp overflow to inf gives exactly 0 ----
// @ts-ignore: decorator
@inline export function sigmoid_s(x: f32): f32 {
  return 1 / (1 + exp_s(-x));
}

// @ts-ignore: decorator
@inline export function sigmoid_v(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp_v(f32x4.neg(x))));
}

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
  const xc = f32x4.pmin(f32x4.pmax(x, vk(V.EXP_LO)), vk(V.EXP_HI));
  // t = x*log2(e) rounded to an integer by adding 1.5 * 2^23: n = t - magic, and the low bits
  // of t are n itself, so 2^n = (bits(t) + 127) << 23 (the magic's bits shift out)
  const t = f32x4.add(f32x4.mul(xc, vk(V.LOG2E)), vk(V.ROUND_MAGIC));
  const n = f32x4.sub(t, vk(V.ROUND_MAGIC));
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(n, vk(V.LN2_HI))), f32x4.mul(n, vk(V.LN2_LO)));
  let p = vk(V.EP0);
  p = f32x4.add(f32x4.mul(p, r), vk(V.EP1));
  p = f32x4.add(f32x4.mul(p, r), vk(V.EP2));
  p = f32x4.add(f32x4.mul(p, r), vk(V.EP3));
  p = f32x4.add(f32x4.mul(p, r), vk(V.EP4));
  p = f32x4.add(f32x4.mul(p, r), vk(V.EP5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), vk(V.ONE));
  const pow2n = i32x4.shl(i32x4.add(t, vki(VI.I127)), 23);
  let y = f32x4.mul(p, pow2n);
  y = v128.bitselect(vk(V.INF), y, f32x4.gt(x, vk(V.EXP_HI)));
  return v128.andnot(y, f32x4.lt(x, vk(V.EXP_LO)));
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

/** +1 or -1 with the sign of each lane of x */
// @ts-ignore: decorator
@inline function sign1(x: v128): v128 {
  return v128.or(vk(V.ONE), v128.and(x, vki(VI.SIGN)));
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
  const x = f32x4.pmin(f32x4.pmax(x0, vk(V.NEG_TANH_CLAMP)), vk(V.TANH_CLAMP));
  const x2 = f32x4.mul(x, x);
  let p = vk(V.TA13);
  p = f32x4.add(f32x4.mul(p, x2), vk(V.TA11));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.TA9));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.TA7));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.TA5));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.TA3));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.TA1));
  p = f32x4.mul(p, x);
  let q = vk(V.TB6);
  q = f32x4.add(f32x4.mul(q, x2), vk(V.TB4));
  q = f32x4.add(f32x4.mul(q, x2), vk(V.TB2));
  q = f32x4.add(f32x4.mul(q, x2), vk(V.TB0));
  return v128.bitselect(sign1(x0), f32x4.div(p, q), f32x4.gt(f32x4.abs(x0), vk(V.TANH_ONE)));
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
  const x = f32x4.pmin(f32x4.pmax(x0, vk(V.NEG_FOUR)), vk(V.FOUR));
  const x2 = f32x4.mul(x, x);
  let p = vk(V.EA13);
  p = f32x4.add(f32x4.mul(p, x2), vk(V.EA11));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.EA9));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.EA7));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.EA5));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.EA3));
  p = f32x4.add(f32x4.mul(p, x2), vk(V.EA1));
  p = f32x4.mul(p, x);
  let q = vk(V.EB8);
  q = f32x4.add(f32x4.mul(q, x2), vk(V.EB6));
  q = f32x4.add(f32x4.mul(q, x2), vk(V.EB4));
  q = f32x4.add(f32x4.mul(q, x2), vk(V.EB2));
  q = f32x4.add(f32x4.mul(q, x2), vk(V.EB0));
  return v128.bitselect(sign1(x0), f32x4.div(p, q), f32x4.gt(f32x4.abs(x0), vk(V.ERF_ONE)));
}

// constants of the vector functions, one lane each (load32_splat), named by V and VI
const enum V { ROUND_MAGIC, EXP_LO, EXP_HI, LOG2E, LN2_HI, LN2_LO, EP0, EP1, EP2, EP3, EP4, EP5, ONE, INF, MIN_NORMAL, SQRTHF, LP0, LP1, LP2, LP3, LP4, LP5, LP6, LP7, LP8, HALF, NEG_INF, NAN, NEG_TANH_CLAMP, TANH_CLAMP, TA13, TA11, TA9, TA7, TA5, TA3, TA1, TB6, TB4, TB2, TB0, TANH_ONE, NEG_FOUR, FOUR, EA13, EA11, EA9, EA7, EA5, EA3, EA1, EB8, EB6, EB4, EB2, EB0, ERF_ONE }
const enum VI { I127, I126, SIGN_MANT, HALF_EXP, SIGN }
// @ts-ignore: decorator
@lazy const VK = memory.data<f32>([
  12582912,
  EXP_LO,
  EXP_HI,
  LOG2E,
  LN2_HI,
  LN2_LO,
  EP0,
  EP1,
  EP2,
  EP3,
  EP4,
  EP5,
  1,
  Infinity,
  1.17549435e-38,
  SQRTHF,
  LP0,
  LP1,
  LP2,
  LP3,
  LP4,
  LP5,
  LP6,
  LP7,
  LP8,
  0.5,
  -Infinity,
  NaN,
  -TANH_CLAMP,
  TANH_CLAMP,
  TA13,
  TA11,
  TA9,
  TA7,
  TA5,
  TA3,
  TA1,
  TB6,
  TB4,
  TB2,
  TB0,
  TANH_ONE,
  -4,
  4,
  EA13,
  EA11,
  EA9,
  EA7,
  EA5,
  EA3,
  EA1,
  EB8,
  EB6,
  EB4,
  EB2,
  EB0,
  ERF_ONE,
]);
// @ts-ignore: decorator
@lazy const VKI = memory.data<i32>([
  127,
  126,
  0x807fffff,
  0x3f000000,
  0x80000000,
]);
// @ts-ignore: decorator
@inline function vk(i: i32): v128 { return v128.load32_splat(VK + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function vki(i: i32): v128 { return v128.load32_splat(VKI + (<usize>i << 2)); }

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

// Activation functions for kernel epilogues (fused activation) and for elementwise kernels.
//
// Codes are `Act` in compiler/codegen/lower.ts:
//   0 None, 1 Relu, 2 Clip (alpha = min, beta = max), 3 HardSigmoid (alpha, beta),
//   4 HardSwish (x * clamp(x/6 + 1/2, 0, 1)), 5 Sigmoid, 6 Gelu (exact, with erf), 7 Swish (x * sigmoid(x)),
//   8 LeakyRelu (alpha), 9 Tanh.
//
// Each function exists as a scalar (`*_f32`, used by the wasm-mvp build and for tails) and as an
// f32x4 version (act_v128, vmath.ts's `*_v`). The v128 versions must never become wasm exports: a wasm-mvp build
// rejects v128 in an exported signature, so assembly/index.ts re-exports only the scalar and
// pointer-based names of this file. Kernels call the v128 versions only inside
// `if (ASC_FEATURE_SIMD)` so that the mvp build never compiles them.
//
// The transcendental functions (erf, tanh, sigmoid, GELU) are those of vmath.ts, shared with the
// elementwise, softmax and reduction kernels; their accuracy is documented there.
import { erf_s, gelu_s, gelu_v, sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './vmath';

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

export function erf_f32(x: f32): f32 { return erf_s(x); }
export function sigmoid_f32(x: f32): f32 { return sigmoid_s(x); }
export function tanh_f32(x: f32): f32 { return tanh_s(x); }
export function gelu_f32(x: f32): f32 { return gelu_s(x); }

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

/** one activation on four values; `act` is an Act code */
function act_v128(x: v128, act: i32, alpha: f32, beta: f32): v128 {
  switch (act) {
    case ACT_RELU: return f32x4.max(x, sp(0));
    case ACT_CLIP: return f32x4.min(f32x4.max(x, sp(alpha)), sp(beta));
    case ACT_HARDSIGMOID: return f32x4.min(f32x4.max(madd(x, sp(alpha), sp(beta)), sp(0)), sp(1));
    case ACT_HARDSWISH: return f32x4.mul(x, f32x4.min(f32x4.max(madd(x, sp(<f32>(1.0 / 6.0)), sp(0.5)), sp(0)), sp(1)));
    case ACT_SIGMOID: return sigmoid_v(x);
    case ACT_GELU: return gelu_v(x);
    case ACT_SWISH: return f32x4.mul(x, sigmoid_v(x));
    case ACT_LEAKYRELU: return f32x4.add(f32x4.max(x, sp(0)), f32x4.mul(f32x4.min(x, sp(0)), sp(alpha)));
    case ACT_TANH: return tanh_v(x);
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
          const y0 = gelu_v(v128.load(q)), y1 = gelu_v(v128.load(q, 16));
          v128.store(q, y0); v128.store(q, y1, 16);
        }
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, gelu_v(v128.load(q))); }
        break;
      }
      case ACT_SIGMOID: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, sigmoid_v(v128.load(q))); }
        break;
      }
      case ACT_SWISH: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2), x = v128.load(q); v128.store(q, f32x4.mul(x, sigmoid_v(x))); }
        break;
      }
      case ACT_TANH: {
        for (; i + 4 <= n; i += 4) { const q = p + (<usize>i << 2); v128.store(q, tanh_v(v128.load(q))); }
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
  // contiguous rows are one run: short rows (vit's 17 tokens in the N:M kernels' transposed
  // output) would otherwise end in a scalar tail each
  if (ld == cols) { act_apply_f32(p, rows * cols, act, alpha, beta); return; }
  for (let r = 0; r < rows; r++) act_apply_f32(p + (<usize>(r * ld) << 2), cols, act, alpha, beta);
}

/** out[i] = act(in[i]) for n floats (in may equal out): a standalone activation kernel */
export function act_f32_buf(x: usize, y: usize, n: i32, act: i32, alpha: f32, beta: f32): void {
  if (x != y) for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(x + (<usize>i << 2)));
  act_apply_f32(y, n, act, alpha, beta);
}

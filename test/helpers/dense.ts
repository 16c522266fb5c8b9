// Float64 references for the dense kernel tests (GEMM, conv, ConvTranspose, activations) and the
// comparison they share. Straightforward loops, written from the ONNX definitions, independent
// of the kernels and of compiler/pack.

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function randArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

export function erfRef(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, s = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const c = term / (2 * n + 1);
      s += c;
      if (Math.abs(c) < 1e-18 * Math.abs(s)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * s;
  } else {
    let cf = 0;
    for (let k = 60; k >= 1; k--) cf = k / 2 / (ax + cf);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + cf);
  }
  return x < 0 ? -r : r;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Act codes of compiler/codegen/lower.ts, in float64 */
export function actRef(x: number, act: number, alpha: number, beta: number): number {
  switch (act) {
    case 0: return x;
    case 1: return Math.max(x, 0);
    case 2: return Math.min(Math.max(x, alpha), beta);
    case 3: return Math.min(Math.max(alpha * x + beta, 0), 1);
    case 4: return x * Math.min(Math.max(x / 6 + 0.5, 0), 1);
    case 5: return sigmoid(x);
    case 6: return 0.5 * x * (1 + erfRef(x / Math.SQRT2));
    case 7: return x * sigmoid(x);
    case 8: return x >= 0 ? x : alpha * x;
    case 9: return Math.tanh(x);
    default: throw new Error(`act ${act}`);
  }
}

export const ACT_CASES: { act: number; alpha: number; beta: number; name: string }[] = [
  { act: 0, alpha: 0, beta: 0, name: 'none' },
  { act: 1, alpha: 0, beta: 0, name: 'relu' },
  { act: 2, alpha: -0.5, beta: 0.75, name: 'clip' },
  { act: 3, alpha: 0.2, beta: 0.5, name: 'hardsigmoid' },
  { act: 4, alpha: 0, beta: 0, name: 'hardswish' },
  { act: 5, alpha: 0, beta: 0, name: 'sigmoid' },
  { act: 6, alpha: 0, beta: 0, name: 'gelu' },
  { act: 7, alpha: 0, beta: 0, name: 'swish' },
  { act: 8, alpha: 0.1, beta: 0, name: 'leakyrelu' },
  { act: 9, alpha: 0, beta: 0, name: 'tanh' },
];

/** A value with the sum of |terms| that produced it: the scale of its rounding error. */
export interface RefOut { value: Float64Array; scale: Float64Array }

/** got ≈ act(want): |got - act(want)| <= rtol * (scale + |want|) + atol, element by element. */
export function checkClose(got: ArrayLike<number>, ref: RefOut, what: string, rtol = 1e-5, atol = 1e-6,
  act = 0, alpha = 0, beta = 0): string | null {
  for (let i = 0; i < ref.value.length; i++) {
    const w = actRef(ref.value[i], act, alpha, beta);
    const tol = rtol * (ref.scale[i] + Math.abs(ref.value[i])) + atol;
    if (!(Math.abs(got[i] - w) <= tol)) return `${what}: element ${i}: got ${got[i]}, want ${w} (tol ${tol.toExponential(2)})`;
  }
  return null;
}

/** C[M][N] = sum_k A(i,k) B(k,n) + bias(i,n), with element accessors */
export function matmulRef(M: number, N: number, K: number, a: (i: number, k: number) => number,
  b: (k: number, n: number) => number, bias: (i: number, n: number) => number = () => 0): RefOut {
  const value = new Float64Array(M * N), scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let n = 0; n < N; n++) {
      const b0 = bias(i, n);
      let s = b0, t = Math.abs(b0);
      for (let k = 0; k < K; k++) { const p = a(i, k) * b(k, n); s += p; t += Math.abs(p); }
      value[i * N + n] = s; scale[i * N + n] = t;
    }
  }
  return { value, scale };
}

export interface ConvParams {
  N: number; C: number; H: number; W: number; Cout: number; kh: number; kw: number;
  sh: number; sw: number; pt: number; pl: number; pb: number; pr: number; dh: number; dw: number; G: number;
}

export function convOutShape(p: ConvParams): [number, number] {
  const Ho = Math.floor((p.H + p.pt + p.pb - ((p.kh - 1) * p.dh + 1)) / p.sh) + 1;
  const Wo = Math.floor((p.W + p.pl + p.pr - ((p.kw - 1) * p.dw + 1)) / p.sw) + 1;
  return [Ho, Wo];
}

/** ONNX Conv, NCHW, W[Cout][C/G][kh][kw] */
export function conv2dRef(p: ConvParams, x: Float32Array, w: Float32Array, bias: Float32Array | null): RefOut {
  const [Ho, Wo] = convOutShape(p);
  const Cg = p.C / p.G, Mg = p.Cout / p.G;
  const value = new Float64Array(p.N * p.Cout * Ho * Wo), scale = new Float64Array(value.length);
  for (let n = 0; n < p.N; n++) for (let co = 0; co < p.Cout; co++) {
    const g = Math.floor(co / Mg);
    for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
      const b0 = bias ? bias[co] : 0;
      let s = b0, t = Math.abs(b0);
      for (let ci = 0; ci < Cg; ci++) for (let dy = 0; dy < p.kh; dy++) for (let dx = 0; dx < p.kw; dx++) {
        const iy = oy * p.sh - p.pt + dy * p.dh, ix = ox * p.sw - p.pl + dx * p.dw;
        if (iy < 0 || iy >= p.H || ix < 0 || ix >= p.W) continue;
        const v = x[((n * p.C + g * Cg + ci) * p.H + iy) * p.W + ix] * w[((co * Cg + ci) * p.kh + dy) * p.kw + dx];
        s += v; t += Math.abs(v);
      }
      const o = ((n * p.Cout + co) * Ho + oy) * Wo + ox;
      value[o] = s; scale[o] = t;
    }
  }
  return { value, scale };
}

/** ONNX ConvTranspose, NCHW, W[C][Cout/G][kh][kw]; output Ho x Wo given (pads: top/left) */
export function convTransposeRef(p: ConvParams, Ho: number, Wo: number, x: Float32Array, w: Float32Array, bias: Float32Array | null): RefOut {
  const Cg = p.C / p.G, Cog = p.Cout / p.G;
  const value = new Float64Array(p.N * p.Cout * Ho * Wo), scale = new Float64Array(value.length);
  for (let n = 0; n < p.N; n++) {
    for (let co = 0; co < p.Cout; co++) for (let i = 0; i < Ho * Wo; i++) {
      const b0 = bias ? bias[co] : 0;
      value[(n * p.Cout + co) * Ho * Wo + i] = b0; scale[(n * p.Cout + co) * Ho * Wo + i] = Math.abs(b0);
    }
    for (let ci = 0; ci < p.C; ci++) {
      const g = Math.floor(ci / Cg);
      for (let iy = 0; iy < p.H; iy++) for (let ix = 0; ix < p.W; ix++) {
        const xv = x[((n * p.C + ci) * p.H + iy) * p.W + ix];
        for (let col = 0; col < Cog; col++) for (let dy = 0; dy < p.kh; dy++) for (let dx = 0; dx < p.kw; dx++) {
          const oy = iy * p.sh - p.pt + dy * p.dh, ox = ix * p.sw - p.pl + dx * p.dw;
          if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo) continue;
          const v = xv * w[((ci * Cog + col) * p.kh + dy) * p.kw + dx];
          const o = ((n * p.Cout + g * Cog + col) * Ho + oy) * Wo + ox;
          value[o] += v; scale[o] += Math.abs(v);
        }
      }
    }
  }
  return { value, scale };
}

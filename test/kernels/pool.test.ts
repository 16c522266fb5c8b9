// Pooling kernels against a direct JS reference over awkward shapes: strides 1, 2 and 3 (SIMD
// and scalar paths), dilation, asymmetric pads, ceil-mode windows hanging past the end padding,
// and both average-pool divisors, on both targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule } from '../helpers/kernels.js';

const TARGETS = ['wasm-simd128', 'wasm-mvp'];

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 6 - 3;
  });
}

interface Case { H: number; W: number; k: [number, number]; s: [number, number]; p: [number, number, number, number]; d: [number, number]; ceil?: boolean }

function outSize(n: number, k: number, s: number, p0: number, p1: number, d: number, ceil: boolean): number {
  const span = n + p0 + p1 - ((k - 1) * d + 1);
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p0) o--; // the last window must start inside the input or left padding
  return o;
}

function reference(x: Float32Array, NC: number, c: Case, kind: 'max' | 'avg' | 'avgpad'): { y: number[]; OH: number; OW: number } {
  const OH = outSize(c.H, c.k[0], c.s[0], c.p[0], c.p[2], c.d[0], !!c.ceil);
  const OW = outSize(c.W, c.k[1], c.s[1], c.p[1], c.p[3], c.d[1], !!c.ceil);
  const y: number[] = [];
  for (let n = 0; n < NC; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = kind === 'max' ? -Infinity : 0, cnt = 0;
    const hs = oh * c.s[0] - c.p[0], ws = ow * c.s[1] - c.p[1];
    for (let i = 0; i < c.k[0]; i++) for (let j = 0; j < c.k[1]; j++) {
      const h = hs + i * c.d[0], w = ws + j * c.d[1];
      if (h < 0 || h >= c.H || w < 0 || w >= c.W) continue;
      const v = x[(n * c.H + h) * c.W + w];
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
      cnt++;
    }
    if (kind === 'avg') acc /= cnt;
    if (kind === 'avgpad') {
      const hn = Math.min(hs + c.k[0], c.H + c.p[2]) - hs, wn = Math.min(ws + c.k[1], c.W + c.p[3]) - ws;
      acc /= hn * wn;
    }
    y.push(acc);
  }
  return { y, OH, OW };
}

const cases: Case[] = [
  { H: 9, W: 23, k: [3, 3], s: [1, 1], p: [1, 1, 1, 1], d: [1, 1] },
  { H: 8, W: 21, k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1] },
  { H: 11, W: 19, k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], ceil: true },
  { H: 7, W: 17, k: [3, 2], s: [3, 3], p: [0, 1, 2, 0], d: [1, 1], ceil: true },
  { H: 1, W: 30, k: [1, 4], s: [1, 1], p: [0, 2, 0, 1], d: [1, 1] },
  { H: 6, W: 6, k: [2, 2], s: [1, 1], p: [0, 0, 0, 0], d: [2, 2] },
  { H: 5, W: 13, k: [5, 5], s: [1, 2], p: [2, 2, 2, 2], d: [1, 1] },
];

for (const target of TARGETS) {
  test(`${target} maxpool2d_f32 and avgpool2d_f32`, async () => {
    const m = await kernelModule(target);
    cases.forEach((c, ci) => {
      for (const kind of ['max', 'avg', 'avgpad'] as const) {
        if (kind !== 'max' && (c.d[0] > 1 || c.d[1] > 1)) continue;
        m.reset();
        const NC = 3;
        const x = randn(NC * c.H * c.W, ci + 1);
        const { y, OH, OW } = reference(x, NC, c, kind);
        const desc = Int32Array.from([c.H, c.W, OH, OW, ...c.k, ...c.s, ...c.p, ...c.d]);
        const px = m.put(x), py = m.alloc(y.length * 4);
        if (kind === 'max') m.k.maxpool2d_f32(px, py, NC, m.put(desc));
        else m.k.avgpool2d_f32(px, py, NC, m.put(desc), kind === 'avgpad' ? 1 : 0);
        const got = m.f32(py, y.length);
        for (let i = 0; i < y.length; i++) {
          if (!(Math.abs(got[i] - y[i]) <= 1e-6 * (1 + Math.abs(y[i])))) assert.unreachable(`${kind} case ${ci} [${i}]: got ${got[i]}, want ${y[i]}`);
        }
      }
    });
  });
}

test.run();

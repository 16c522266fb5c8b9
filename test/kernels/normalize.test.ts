// Normalisation kernels against float64 JS references, both targets, rows with SIMD tails,
// a large-mean row (where one-pass variance would fail) and in-place calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule } from '../helpers/kernels.js';

const TARGETS = ['wasm-simd128', 'wasm-mvp'];

function randn(n: number, seed: number, lo = -3, hi = 3): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) assert.unreachable(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

function stats(x: ArrayLike<number>, from: number, n: number): [number, number] {
  let m = 0;
  for (let i = 0; i < n; i++) m += x[from + i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[from + i] - m) ** 2;
  return [m, v / n];
}

for (const target of TARGETS) {
  test(`${target} layernorm_f32 (with and without bias, stats outputs, in place)`, async () => {
    const m = await kernelModule(target);
    for (const [rows, n] of [[3, 19], [2, 8], [1, 1], [4, 67]]) {
      m.reset();
      const x = randn(rows * n, n);
      for (let i = 0; i < n; i++) x[i] += 1000; // large mean in row 0
      const scale = randn(n, 3, 0.5, 2), bias = randn(n, 4);
      const eps = 1e-5;
      const want: number[] = [], wantNoBias: number[] = [], means: number[] = [], invs: number[] = [];
      for (let r = 0; r < rows; r++) {
        const [mu, v] = stats(x, r * n, n);
        const inv = 1 / Math.sqrt(v + eps);
        means.push(mu); invs.push(inv);
        for (let i = 0; i < n; i++) {
          const z = (x[r * n + i] - mu) * inv * scale[i];
          want.push(z + bias[i]);
          wantNoBias.push(z);
        }
      }
      const px = m.put(x), ps = m.put(scale), pb = m.put(bias), py = m.alloc(x.length * 4);
      const pm = m.alloc(rows * 4), pi = m.alloc(rows * 4);
      m.k.layernorm_f32(px, ps, pb, py, rows, n, eps, pm, pi);
      close(m.f32(py, x.length), want, 2e-4, `layernorm [${rows},${n}]`);
      close(m.f32(pm, rows), means, 1e-6, 'mean');
      close(m.f32(pi, rows), invs, 2e-4, 'invstd');
      m.k.layernorm_f32(px, ps, 0, py, rows, n, eps, 0, 0);
      close(m.f32(py, x.length), wantNoBias, 2e-4, `layernorm no bias [${rows},${n}]`);
      m.k.layernorm_f32(px, ps, pb, px, rows, n, eps, 0, 0);
      close(m.f32(px, x.length), want, 2e-4, `layernorm in place [${rows},${n}]`);
    }
  });

  test(`${target} groupnorm_f32 (instance norm is cpg = 1), channel_affine_f32, batchnorm_f32`, async () => {
    const m = await kernelModule(target);
    for (const [N, G, cpg, S] of [[2, 3, 1, 13], [1, 2, 3, 5], [2, 1, 4, 1]]) {
      m.reset();
      const C = G * cpg;
      const x = randn(N * C * S, S + C), scale = randn(C, 1, 0.5, 2), bias = randn(C, 2);
      const want: number[] = new Array(x.length);
      for (let n = 0; n < N; n++) for (let g = 0; g < G; g++) {
        const from = (n * C + g * cpg) * S;
        const [mu, v] = stats(x, from, cpg * S);
        for (let j = 0; j < cpg * S; j++) {
          const c = g * cpg + Math.floor(j / S);
          want[from + j] = ((x[from + j] - mu) / Math.sqrt(v + 1e-5)) * scale[c] + bias[c];
        }
      }
      const px = m.put(x), ps = m.put(scale), pb = m.put(bias), py = m.alloc(x.length * 4);
      m.k.groupnorm_f32(px, ps, pb, py, N, G, cpg, S, 1e-5);
      close(m.f32(py, x.length), want, 1e-4, `groupnorm [${N},${G},${cpg},${S}]`);
      // batchnorm: per-channel statistics given
      const mean = randn(C, 5), variance = randn(C, 6, 0.1, 2);
      const bn = Array.from(x, (v, i) => {
        const c = Math.floor(i / S) % C;
        return ((v - mean[c]) / Math.sqrt(variance[c] + 1e-5)) * scale[c] + bias[c];
      });
      m.k.batchnorm_f32(px, ps, pb, m.put(mean), m.put(variance), py, N, C, S, 1e-5);
      close(m.f32(py, x.length), bn, 1e-5, 'batchnorm');
      const a = Float32Array.from(scale, (s, c) => s / Math.sqrt(variance[c] + 1e-5));
      const b = Float32Array.from(bias, (s, c) => s - mean[c] * a[c]);
      m.k.channel_affine_f32(px, m.put(a), m.put(b), px, N, C, S);
      close(m.f32(px, x.length), bn, 1e-5, 'channel_affine in place');
    }
  });
}

test.run();

// Reduction, softmax and argmax kernels against plain JS references on [outer, r, inner] views,
// both targets, with sizes that leave SIMD tails on both the row and the column paths.
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

function close(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (g === w) continue;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) assert.unreachable(`${what}[${i}]: got ${g}, want ${w}`);
  }
}

/** fold x viewed as [outer, r, inner] along r */
function fold(x: Float32Array, outer: number, r: number, inner: number, init: number, f: (a: number, v: number) => number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    let a = init;
    for (let j = 0; j < r; j++) a = f(a, x[(o * r + j) * inner + i]);
    out.push(a);
  }
  return out;
}

const reductions: [string, number, (a: number, v: number) => number][] = [
  ['reduce_sum_f32', 0, (a, v) => a + v],
  ['reduce_sumsq_f32', 0, (a, v) => a + v * v],
  ['reduce_l1_f32', 0, (a, v) => a + Math.abs(v)],
  ['reduce_max_f32', -Infinity, Math.max],
  ['reduce_min_f32', Infinity, Math.min],
  ['reduce_prod_f32', 1, (a, v) => a * v],
];

const views: [number, number, number][] = [[3, 19, 1], [2, 5, 7], [1, 1, 9], [4, 8, 1], [2, 3, 4], [1, 0, 3], [5, 1, 1]];

for (const target of TARGETS) {
  test(`${target} reductions over [outer, r, inner]`, async () => {
    const m = await kernelModule(target);
    for (const [outer, r, inner] of views) {
      for (const [kernel, init, f] of reductions) {
        m.reset();
        const x = randn(Math.max(1, outer * r * inner), outer * 100 + r, kernel === 'reduce_prod_f32' ? 0.5 : -3, kernel === 'reduce_prod_f32' ? 1.5 : 3);
        const px = m.put(x), py = m.alloc(outer * inner * 4);
        const scale = kernel === 'reduce_sum_f32' ? 0.25 : 1;
        m.k[kernel](px, py, outer, r, inner, scale);
        close(m.f32(py, outer * inner), fold(x, outer, r, inner, init, f).map((v) => v * scale), 2e-6, 1e-6, `${kernel} [${outer},${r},${inner}]`);
      }
      m.reset();
      const x = randn(Math.max(1, outer * r * inner), 5);
      const px = m.put(x), py = m.alloc(outer * inner * 4);
      m.k.reduce_logsumexp_f32(px, py, outer, r, inner);
      const lse = fold(x, outer, r, inner, 0, (a, v) => a + Math.exp(v)).map(Math.log);
      close(m.f32(py, outer * inner), lse, 2e-6, 1e-6, `logsumexp [${outer},${r},${inner}]`);
      if (r > 0) {
        m.k.argmax_f32(px, py, outer, r, inner, 0);
        const am: number[] = [];
        for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
          let b = 0;
          for (let j = 1; j < r; j++) if (x[(o * r + j) * inner + i] > x[(o * r + b) * inner + i]) b = j;
          am.push(b);
        }
        assert.equal(Array.from(m.i32(py, outer * inner)), am, `argmax [${outer},${r},${inner}]`);
      }
    }
  });

  test(`${target} argmax/argmin ties`, async () => {
    const m = await kernelModule(target);
    m.reset();
    const x = m.put(Float32Array.from([1, 3, 3, 0, 0, 2]));
    const y = m.alloc(8);
    m.k.argmax_f32(x, y, 1, 6, 1, 0); assert.is(m.i32(y, 1)[0], 1);
    m.k.argmax_f32(x, y, 1, 6, 1, 1); assert.is(m.i32(y, 1)[0], 2);
    m.k.argmin_f32(x, y, 1, 6, 1, 0); assert.is(m.i32(y, 1)[0], 3);
    m.k.argmin_f32(x, y, 1, 6, 1, 1); assert.is(m.i32(y, 1)[0], 4);
  });

  test(`${target} softmax and log-softmax, rows and columns, in place`, async () => {
    const m = await kernelModule(target);
    for (const [outer, n, inner] of [[3, 13, 1], [2, 6, 9], [1, 1, 5], [2, 37, 4], [1, 4, 1]]) {
      m.reset();
      const x = randn(outer * n * inner, n * 7 + inner, -20, 20);
      if (n > 1) x[0] = -Infinity; // a masked entry
      const want: number[] = new Array(x.length), wantLog: number[] = new Array(x.length);
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
        const at = (j: number) => (o * n + j) * inner + i;
        let mx = -Infinity;
        for (let j = 0; j < n; j++) mx = Math.max(mx, x[at(j)]);
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(x[at(j)] - mx);
        for (let j = 0; j < n; j++) { want[at(j)] = Math.exp(x[at(j)] - mx) / s; wantLog[at(j)] = x[at(j)] - mx - Math.log(s); }
      }
      const px = m.put(x), py = m.alloc(x.length * 4);
      m.k.softmax_f32(px, py, outer, n, inner);
      close(m.f32(py, x.length), want, 3e-6, 1e-9, `softmax [${outer},${n},${inner}]`);
      m.k.log_softmax_f32(px, py, outer, n, inner);
      close(m.f32(py, x.length), wantLog, 3e-6, 2e-6, `log_softmax [${outer},${n},${inner}]`);
      m.k.softmax_f32(px, px, outer, n, inner);
      close(m.f32(px, x.length), want, 3e-6, 1e-9, `softmax in place [${outer},${n},${inner}]`);
    }
  });
}

for (const target of TARGETS) {
  test(`${target} hardmax and cumsum`, async () => {
    const m = await kernelModule(target);
    m.reset();
    // [outer 1, n 3, inner 2]: columns [1, 5, 5] and [4, 2, 0]
    const x = m.put(Float32Array.from([1, 4, 5, 2, 5, 0])), y = m.alloc(24);
    m.k.hardmax_f32(x, y, 1, 3, 2);
    assert.equal(Array.from(m.f32(y, 6)), [0, 1, 1, 0, 0, 0]);
    m.k.cumsum_f32(x, y, 1, 3, 2, 0, 0); assert.equal(Array.from(m.f32(y, 6)), [1, 4, 6, 6, 11, 6]);
    m.k.cumsum_f32(x, y, 1, 3, 2, 1, 0); assert.equal(Array.from(m.f32(y, 6)), [0, 0, 1, 4, 6, 6]);
    m.k.cumsum_f32(x, y, 1, 3, 2, 0, 1); assert.equal(Array.from(m.f32(y, 6)), [11, 6, 10, 2, 5, 0]);
    m.k.cumsum_f32(x, y, 1, 3, 2, 1, 1); assert.equal(Array.from(m.f32(y, 6)), [10, 2, 5, 0, 0, 0]);
    const xi = m.put(Int32Array.from([1, 1, 0, 1])), yi = m.alloc(16);
    m.k.cumsum_i32(xi, yi, 1, 4, 1, 0, 0); assert.equal(Array.from(m.i32(yi, 4)), [1, 2, 2, 3]);
    m.k.cumsum_i32(xi, xi, 1, 4, 1, 0, 0); assert.equal(Array.from(m.i32(xi, 4)), [1, 2, 2, 3], 'in place');
  });
}

test.run();

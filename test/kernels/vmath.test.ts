// The transcendental functions of assembly/vmath.ts (behind the activation epilogues, the
// elementwise kernels and softmax): a dense sweep of [-10, 10] against float64 references, the
// special values, and the claim that the SIMD body, the scalar tail and the wasm-mvp build give
// the same bits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule } from '../helpers/kernels.js';
import { erfRef } from '../helpers/dense.js';

const ACT_SIGMOID = 5, ACT_GELU = 6, ACT_TANH = 9;
const geluRef = (x: number) => 0.5 * x * (1 + erfRef(x / Math.SQRT2));
const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x));

// 200 001 points, step 1e-4, plus the values where the pieces join and where they are clamped
const sweep = Float32Array.from(
  [...Array.from({ length: 200001 }, (_, i) => -10 + i * 1e-4), 0.625, 0.927734375, 3.925, 6, 9, -0.625, -0.927734375, -3.925, -6, -9],
);
const specials = Float32Array.from([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e-45, 3.4e38, -3.4e38]);

/** f over n floats at a fresh address, through act_apply_f32 (in place) or an ew_* kernel */
function run(m: KernelModule, x: Float32Array, how: { act: number } | { kernel: string }): Float32Array {
  m.reset();
  const p = m.put(x);
  if ('act' in how) { m.k.act_apply_f32(p, x.length, how.act, 0, 0); return m.f32(p, x.length).slice(); }
  const y = m.alloc(x.length * 4);
  m.k[how.kernel](p, y, x.length);
  return m.f32(y, x.length).slice();
}

/** the largest error / bar over the sweep, and where */
function worst(x: Float32Array, got: Float32Array, ref: (v: number) => number, bar: (want: number) => number): { ratio: number; at: number; err: number } {
  let w = { ratio: 0, at: 0, err: 0 };
  for (let i = 0; i < x.length; i++) {
    const want = ref(x[i]), err = Math.abs(got[i] - want);
    const ratio = err / bar(want);
    if (!(ratio <= w.ratio)) w = { ratio, at: x[i], err };
  }
  return w;
}

const cases: { name: string; how: { act: number } | { kernel: string }; ref: (v: number) => number; bar: (w: number) => number }[] = [
  // the bars of the older tests (gemm.test.ts, elementwise.test.ts), unchanged
  { name: 'erf (ew_erf_f32)', how: { kernel: 'ew_erf_f32' }, ref: erfRef, bar: () => 1.5e-7 },
  { name: 'gelu (act_apply_f32)', how: { act: ACT_GELU }, ref: geluRef, bar: (w) => 3e-7 + 2e-6 * Math.abs(w) },
  { name: 'gelu (ew_gelu_f32)', how: { kernel: 'ew_gelu_f32' }, ref: geluRef, bar: (w) => 3e-7 + 2e-6 * Math.abs(w) },
  { name: 'tanh (act_apply_f32)', how: { act: ACT_TANH }, ref: Math.tanh, bar: () => 1.5e-7 },
  { name: 'tanh (ew_tanh_f32)', how: { kernel: 'ew_tanh_f32' }, ref: Math.tanh, bar: () => 1.5e-7 },
  { name: 'sigmoid (act_apply_f32)', how: { act: ACT_SIGMOID }, ref: sigmoidRef, bar: () => 1.5e-7 },
  // exp: relative, about 2 ulp
  { name: 'exp (ew_exp_f32)', how: { kernel: 'ew_exp_f32' }, ref: Math.exp, bar: (w) => 2.4e-7 * w },
];

for (const target of ['wasm-simd128', 'wasm-mvp']) {
  for (const c of cases) {
    test(`${target} ${c.name}: sweep of [-10, 10] against float64`, async () => {
      const m = await kernelModule(target);
      const w = worst(sweep, run(m, sweep, c.how), c.ref, c.bar);
      assert.ok(w.ratio <= 1, `${c.name}(${w.at}): error ${w.err.toExponential(3)} is ${w.ratio.toFixed(2)} x the bar`);
    });
  }

  test(`${target} special values`, async () => {
    const m = await kernelModule(target);
    const same = (got: Float32Array, want: number[], what: string) => {
      for (let i = 0; i < want.length; i++) {
        want[i] = Math.fround(want[i]);
        const ok = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Object.is(got[i], want[i]) || (want[i] !== 0 && Math.abs(got[i] - want[i]) <= 1e-7 * Math.abs(want[i]));
        assert.ok(ok, `${what}(${specials[i]}): got ${got[i]}, want ${want[i]}`);
      }
    };
    //                                  0   -0   inf  -inf  NaN   1e-30              -1e-30               1e-45  3.4e38  -3.4e38
    same(run(m, specials, { kernel: 'ew_erf_f32' }), [0, -0, 1, -1, NaN, 1.1283791670955126e-30, -1.1283791670955126e-30, erfRef(1e-45), 1, -1], 'erf');
    same(run(m, specials, { kernel: 'ew_tanh_f32' }), [0, -0, 1, -1, NaN, 1e-30, -1e-30, 1e-45, 1, -1], 'tanh');
    same(run(m, specials, { kernel: 'ew_exp_f32' }), [1, 1, Infinity, 0, NaN, 1, 1, 1, Infinity, 0], 'exp');
    same(run(m, specials, { act: ACT_SIGMOID }), [0.5, 0.5, 1, 0, NaN, 0.5, 0.5, 0.5, 1, 0], 'sigmoid');
    const g = run(m, specials, { act: ACT_GELU });
    same(g.subarray(0, 3), [0, -0, Infinity], 'gelu');
    assert.ok(Number.isNaN(g[4]) && g[8] === Math.fround(3.4e38), `gelu(NaN) = ${g[4]}, gelu(3.4e38) = ${g[8]}`);
    // x·Φ(x) tends to 0 for x -> -inf: Φ is clamped at x = -6, where -6·Φ(-6) = -6e-9
    for (const i of [3, 9]) assert.ok(g[i] <= 0 && g[i] > -1e-8, `gelu(${specials[i]}) = ${g[i]}`);
  });

  test(`${target} exp(x) for x <= 0 through softmax: rows [x, 0, -inf, -inf]`, async () => {
    // softmax of that row is [e^x/(1 + e^x), 1/(1 + e^x), 0, 0]: the exp of every x in [-100, 0]
    const m = await kernelModule(target);
    const xs = Array.from({ length: 20001 }, (_, i) => -100 + i * 0.005);
    const row = new Float32Array(xs.length * 4).fill(-Infinity);
    xs.forEach((x, r) => { row[4 * r] = x; row[4 * r + 1] = 0; });
    m.reset();
    const p = m.put(row), y = m.alloc(row.length * 4);
    m.k.softmax_f32(p, y, xs.length, 4, 1);
    const got = m.f32(y, row.length);
    for (let r = 0; r < xs.length; r++) {
      const x = Math.fround(xs[r]), e = Math.exp(x), w0 = e / (1 + e), w1 = 1 / (1 + e);
      const err = Math.max(Math.abs(got[4 * r] - w0), Math.abs(got[4 * r + 1] - w1));
      // a probability's absolute error: about 1 ulp of values near 1
      assert.ok(err <= 1e-7 && got[4 * r + 2] === 0 && got[4 * r + 3] === 0, `softmax([${x}, 0, -inf, -inf]) = ${Array.from(got.subarray(4 * r, 4 * r + 4))}`);
    }
  });
}

test('SIMD body, scalar tail and the wasm-mvp build give the same bits', async () => {
  const simd = await kernelModule('wasm-simd128'), mvp = await kernelModule('wasm-mvp');
  const x = Float32Array.from([...specials, ...sweep.subarray(0, 20001)]);
  for (const how of [{ act: ACT_GELU }, { act: ACT_TANH }, { act: ACT_SIGMOID }, { kernel: 'ew_erf_f32' }, { kernel: 'ew_exp_f32' }]) {
    const a = run(simd, x, how), b = run(mvp, x, how);
    for (let i = 0; i < x.length; i++) assert.ok(Object.is(a[i], b[i]), `${JSON.stringify(how)}(${x[i]}): SIMD ${a[i]}, mvp ${b[i]}`);
  }
  // the scalar exports (the tails' functions) against the SIMD body
  const ge = run(simd, x, { act: ACT_GELU }), er = run(simd, x, { kernel: 'ew_erf_f32' });
  for (let i = 0; i < x.length; i += i < specials.length ? 1 : 13) {
    assert.ok(Object.is(simd.k.gelu_f32(x[i]), ge[i]), `gelu_f32(${x[i]})`);
    assert.ok(Object.is(simd.k.erf_f32(x[i]), er[i]), `erf_f32(${x[i]})`);
  }
});

test.run();

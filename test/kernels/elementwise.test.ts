// Elementwise kernels against plain JS references, on both targets, on lengths that leave a
// scalar tail after the SIMD body, and on broadcasts that exercise every inner-loop variant.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule } from '../helpers/kernels.js';
import { broadcastDescriptor } from '../../compiler/codegen/ops/strided.js';
import { broadcastShapes } from '../../compiler/ir/shapes.js';

const TARGETS = ['wasm-simd128', 'wasm-mvp'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randn(n: number, seed: number, scale = 3): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w)) { assert.ok(Number.isNaN(g), `${what}[${i}]: want NaN, got ${g}`); continue; }
    if (!Number.isFinite(w)) { assert.is(g, w, `${what}[${i}]`); continue; }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) assert.unreachable(`${what}[${i}]: got ${g}, want ${w} (x index ${i})`);
  }
}

function erfRef(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, s = ax;
    for (let n = 1; n < 200; n++) { term *= (-ax * ax) / n; s += term / (2 * n + 1); }
    r = (2 / Math.sqrt(Math.PI)) * s;
  } else {
    let cf = 0;
    for (let k = 60; k >= 1; k--) cf = k / 2 / (ax + cf);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + cf);
  }
  return x < 0 ? -r : r;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const roundEven = (x: number) => {
  const f = Math.floor(x), d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
};

interface UnaryCase { kernel: string; args?: number[]; ref: (x: number) => number; pos?: boolean; rtol?: number; atol?: number }
const unary: UnaryCase[] = [
  { kernel: 'ew_relu_f32', ref: (x) => Math.max(x, 0) },
  { kernel: 'ew_leaky_relu_f32', args: [0.1], ref: (x) => (x < 0 ? 0.1 * x : x) },
  { kernel: 'ew_sigmoid_f32', ref: sigmoid },
  { kernel: 'ew_hard_sigmoid_f32', args: [0.2, 0.5], ref: (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1) },
  { kernel: 'ew_hard_swish_f32', ref: (x) => x * Math.min(Math.max(x / 6 + 0.5, 0), 1) },
  { kernel: 'ew_tanh_f32', ref: Math.tanh },
  { kernel: 'ew_erf_f32', ref: erfRef },
  // 1 + erf(x) cancels for x << 0: the absolute error is what f32 can give there
  { kernel: 'ew_gelu_f32', ref: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)), atol: 1e-6 },
  { kernel: 'ew_gelu_tanh_f32', ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), atol: 1e-6 },
  { kernel: 'ew_exp_f32', ref: Math.exp },
  { kernel: 'ew_log_f32', ref: Math.log, pos: true },
  { kernel: 'ew_sqrt_f32', ref: Math.sqrt, pos: true },
  { kernel: 'ew_reciprocal_f32', ref: (x) => 1 / x },
  { kernel: 'ew_neg_f32', ref: (x) => -x },
  { kernel: 'ew_abs_f32', ref: Math.abs },
  { kernel: 'ew_floor_f32', ref: Math.floor },
  { kernel: 'ew_ceil_f32', ref: Math.ceil },
  { kernel: 'ew_round_f32', ref: roundEven },
  { kernel: 'ew_sign_f32', ref: Math.sign },
  { kernel: 'ew_clip_f32', args: [-1, 0.5], ref: (x) => Math.min(Math.max(x, -1), 0.5) },
  { kernel: 'ew_softplus_f32', ref: (x) => Math.log(Math.exp(x) + 1) },
  { kernel: 'ew_elu_f32', args: [0.7], ref: (x) => (x < 0 ? 0.7 * (Math.exp(x) - 1) : x), atol: 1e-6 },
  { kernel: 'ew_selu_f32', args: [1.67, 1.05], ref: (x) => (x > 0 ? 1.05 * x : 1.05 * (1.67 * Math.exp(x) - 1.67)), atol: 1e-6 },
  { kernel: 'ew_square_f32', ref: (x) => x * x },
  { kernel: 'ew_cube_f32', ref: (x) => x * x * x },
  { kernel: 'ew_powc_f32', args: [1.7], ref: (x) => Math.pow(x, 1.7), pos: true },
  { kernel: 'ew_swish_f32', args: [1], ref: (x) => x * sigmoid(x) },
  { kernel: 'ew_softsign_f32', ref: (x) => x / (1 + Math.abs(x)) },
  { kernel: 'ew_thresholded_relu_f32', args: [0.5], ref: (x) => (x > 0.5 ? x : 0) },
  { kernel: 'ew_affine_f32', args: [2, -1], ref: (x) => 2 * x - 1 },
  { kernel: 'ew_celu_f32', args: [0.8], ref: (x) => Math.max(0, x) + Math.min(0, 0.8 * (Math.exp(x / 0.8) - 1)), atol: 1e-6 },
  { kernel: 'ew_shrink_f32', args: [0.5, 0.25], ref: (x) => (x < -0.5 ? x + 0.25 : x > 0.5 ? x - 0.25 : 0) },
];

for (const target of TARGETS) {
  for (const c of unary) {
    test(`${target} ${c.kernel}`, async () => {
      const m = await kernelModule(target);
      m.reset();
      const n = 39;
      const x = randn(n, 7, 6);
      if (c.pos) for (let i = 0; i < n; i++) x[i] = Math.abs(x[i]) + 1e-3;
      x[0] = 0; x[1] = c.pos ? 1 : -0.5; x[2] = 2.5; x[3] = c.pos ? 30 : -30;
      const px = m.put(x);
      const py = m.alloc(n * 4);
      m.k[c.kernel](px, py, n, ...(c.args ?? []));
      const want = Array.from(x, (v) => Math.fround(c.ref(v)));
      close(m.f32(py, n), want, c.rtol ?? 3e-6, c.atol ?? 1e-7, c.kernel);
      // in place
      m.k[c.kernel](px, px, n, ...(c.args ?? []));
      close(m.f32(px, n), want, c.rtol ?? 3e-6, c.atol ?? 1e-7, `${c.kernel} in place`);
    });
  }

  test(`${target} exp/log/sigmoid/tanh extremes`, async () => {
    const m = await kernelModule(target);
    m.reset();
    const x = Float32Array.from([-Infinity, Infinity, NaN, -100, 100, 88, -87, 89, 0, -0, 1e-30, 3.4e38]);
    const n = x.length, px = m.put(x), py = m.alloc(n * 4);
    m.k.ew_exp_f32(px, py, n);
    close(m.f32(py, n), [0, Infinity, NaN, 0, Infinity, Math.exp(88), Math.exp(-87), Infinity, 1, 1, 1, Infinity], 3e-6, 0, 'exp');
    m.k.ew_log_f32(px, py, n);
    close(m.f32(py, n), [NaN, Infinity, NaN, NaN, Math.log(100), Math.log(88), NaN, Math.log(89), -Infinity, -Infinity, Math.log(1e-30), Math.log(3.4e38)], 3e-6, 0, 'log');
    m.k.ew_sigmoid_f32(px, py, n);
    close(m.f32(py, n), [0, 1, NaN, 0, 1, 1, sigmoid(-87), 1, 0.5, 0.5, 0.5, 1], 3e-6, 1e-30, 'sigmoid');
    m.k.ew_tanh_f32(px, py, n);
    close(m.f32(py, n), [-1, 1, NaN, -1, 1, 1, -1, 1, 0, 0, 1e-30, 1], 3e-7, 1e-37, 'tanh');
  });
}

// ---- binary with broadcasting ----
function refBroadcast(a: Float32Array, as: number[], b: Float32Array, bs: number[], out: number[], f: (x: number, y: number) => number): number[] {
  const n = out.reduce((p, q) => p * q, 1);
  const res: number[] = [];
  const idx = (s: number[], o: number[]) => {
    let off = 0;
    for (let i = 0; i < s.length; i++) off = off * s[i] + (s[i] === 1 ? 0 : o[out.length - s.length + i]);
    return off;
  };
  for (let i = 0; i < n; i++) {
    const o: number[] = [];
    let r = i;
    for (let d = out.length - 1; d >= 0; d--) { o[d] = r % out[d]; r = Math.floor(r / out[d]); }
    res.push(Math.fround(f(a[idx(as, o)], b[idx(bs, o)])));
  }
  return res;
}

const binary: [string, (x: number, y: number) => number][] = [
  ['ew_add_f32', (x, y) => x + y],
  ['ew_sub_f32', (x, y) => x - y],
  ['ew_mul_f32', (x, y) => x * y],
  ['ew_div_f32', (x, y) => x / y],
  ['ew_max_f32', Math.max],
  ['ew_min_f32', Math.min],
  ['ew_prelu_f32', (x, y) => (x < 0 ? x * y : x)],
  ['ew_pow_f32', (x, y) => Math.pow(Math.abs(x), y)],
];

const shapes: [number[], number[]][] = [
  [[4, 5], [4, 5]],
  [[2, 3, 5], [3, 1]],
  [[1, 4, 1, 6], [5, 1]],
  [[1], [7, 3]],
  [[7, 3], []],
  [[2, 1, 3], [1, 5, 1]],
  [[3], [2, 3]],
  [[2, 3, 4, 5], [1, 3, 1, 1]],
  [[2, 1, 2, 1, 2, 3], [1, 2, 1, 2, 1, 3]],
];

for (const target of TARGETS) {
  test(`${target} binary broadcasting`, async () => {
    const m = await kernelModule(target);
    for (const [as, bs] of shapes) {
      const out = broadcastShapes([as, bs]);
      const na = as.reduce((p, q) => p * q, 1), nb = bs.reduce((p, q) => p * q, 1), n = out.reduce((p, q) => p * q, 1);
      const desc = broadcastDescriptor(out, [as, bs]);
      assert.ok(desc !== null, `descriptor for ${as} ${bs}`);
      for (const [kernel, f] of binary) {
        m.reset();
        const a = randn(na, 11), b = randn(nb, 12);
        if (kernel === 'ew_pow_f32') for (let i = 0; i < na; i++) a[i] = Math.abs(a[i]);
        const pa = m.put(a), pb = m.put(b), py = m.alloc(n * 4);
        const pd = desc === 'same' ? 0 : m.put(desc!);
        m.k[kernel](pa, pb, py, n, pd);
        close(m.f32(py, n), refBroadcast(a, as, b, bs, out, f), 3e-6, 1e-6, `${kernel} ${JSON.stringify(as)} ${JSON.stringify(bs)}`);
      }
    }
  });

  test(`${target} comparisons, logic, where, cast`, async () => {
    const m = await kernelModule(target);
    m.reset();
    const as = [2, 3, 4], bs = [3, 1];
    const out = [2, 3, 4];
    const a = Float32Array.from(randn(24, 3), (v) => Math.round(v));
    const b = Float32Array.from(randn(3, 4), (v) => Math.round(v));
    const desc = broadcastDescriptor(out, [as, bs]) as Int32Array;
    const pa = m.put(a), pb = m.put(b), pd = m.put(desc), py = m.alloc(24);
    const u8 = (p: number, n: number) => Array.from(new Uint8Array(m.memory.buffer, p, n));
    const cases: [string, (x: number, y: number) => boolean][] = [
      ['ew_equal_f32', (x, y) => x === y], ['ew_less_f32', (x, y) => x < y], ['ew_greater_f32', (x, y) => x > y],
      ['ew_less_equal_f32', (x, y) => x <= y], ['ew_greater_equal_f32', (x, y) => x >= y],
    ];
    for (const [k, f] of cases) {
      m.k[k](pa, pb, py, 24, pd);
      assert.equal(u8(py, 24), refBroadcast(a, as, b, bs, out, (x, y) => +f(x, y)), k);
    }
    const ai = Int32Array.from(a), bi = Int32Array.from(b);
    const pai = m.put(ai), pbi = m.put(bi), pyi = m.alloc(96);
    m.k.ew_less_i32(pai, pbi, py, 24, pd);
    assert.equal(u8(py, 24), refBroadcast(a, as, b, bs, out, (x, y) => +(x < y)), 'less i32');
    m.k.ew_add_i32(pai, pbi, pyi, 24, pd);
    assert.equal(Array.from(m.i32(pyi, 24)), refBroadcast(a, as, b, bs, out, (x, y) => x + y), 'add i32');
    m.k.ew_div_i32(pai, pbi, pyi, 24, pd);
    assert.equal(Array.from(m.i32(pyi, 24)), refBroadcast(a, as, b, bs, out, (x, y) => (y === 0 ? 0 : Math.trunc(x / y))), 'div i32');
    // Mod: Python sign (of the divisor) for ints, C fmod for both
    const ma = Int32Array.from([7, -7, 7, -7, 5, 0]), mb = Int32Array.from([3, 3, -3, -3, 0, 2]);
    const pma = m.put(ma), pmb = m.put(mb), pmy = m.alloc(24);
    m.k.ew_mod_i32(pma, pmb, pmy, 6, 0); assert.equal(Array.from(m.i32(pmy, 6)), [1, 2, -2, -1, 0, 0], 'mod');
    m.k.ew_fmod_i32(pma, pmb, pmy, 6, 0); assert.equal(Array.from(m.i32(pmy, 6)), [1, -1, 1, -1, 0, 0], 'fmod i32');
    m.k.ew_fmod_f32(m.put(Float32Array.from([7.5, -7.5, 7.5])), m.put(Float32Array.from([2, 2, -2])), pmy, 3, 0);
    assert.equal(Array.from(m.f32(pmy, 3)), [1.5, -1.5, 1.5], 'fmod f32');
    const special = m.put(Float32Array.from([1, NaN, Infinity, -Infinity, 0]));
    m.k.ew_isnan_f32(special, pmy, 5); assert.equal(u8(pmy, 5), [0, 1, 0, 0, 0], 'isnan');
    m.k.ew_isinf_f32(special, pmy, 5, 1, 1); assert.equal(u8(pmy, 5), [0, 0, 1, 1, 0], 'isinf');
    m.k.ew_isinf_f32(special, pmy, 5, 0, 1); assert.equal(u8(pmy, 5), [0, 0, 0, 1, 0], 'isinf negative');
    // logic on uint8
    const p = Uint8Array.from([0, 1, 0, 1, 1]), q = Uint8Array.from([0, 0, 1, 1, 1]);
    const pp = m.put(p), pq = m.put(q), pr = m.alloc(8);
    m.k.ew_and_u8(pp, pq, pr, 5, 0); assert.equal(u8(pr, 5), [0, 0, 0, 1, 1]);
    m.k.ew_or_u8(pp, pq, pr, 5, 0); assert.equal(u8(pr, 5), [0, 1, 1, 1, 1]);
    m.k.ew_xor_u8(pp, pq, pr, 5, 0); assert.equal(u8(pr, 5), [0, 1, 1, 0, 0]);
    m.k.ew_not_u8(pp, pr, 5); assert.equal(u8(pr, 5), [1, 0, 1, 0, 0]);
    // Where: causal mask [1,1,3,3] over scores [2,1,3,3] and a scalar -inf
    const mask = Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    const scores = randn(18, 9);
    const minf = Float32Array.from([-Infinity]);
    const wd = broadcastDescriptor([2, 1, 3, 3], [[1, 1, 3, 3], [2, 1, 3, 3], []]) as Int32Array;
    const pw = m.alloc(18 * 4);
    m.k.ew_where_32(m.put(mask), m.put(scores), m.put(minf), pw, 18, m.put(wd));
    const want = Array.from(scores, (v, i) => (mask[i % 9] ? v : -Infinity));
    assert.equal(Array.from(m.f32(pw, 18)), want, 'where');
    // scalar x, contiguous y and cond, same shape (desc 0 path is per element; this uses desc)
    const c2 = Uint8Array.from({ length: 22 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const y2 = randn(22, 5);
    const wd2 = broadcastDescriptor([2, 11], [[2, 11], [1], [2, 11]]) as Int32Array;
    const pw2 = m.alloc(22 * 4);
    m.k.ew_where_32(m.put(c2), m.put(Float32Array.of(7)), m.put(y2), pw2, 22, m.put(wd2));
    assert.equal(Array.from(m.f32(pw2, 22)), Array.from(y2, (v, i) => (c2[i] ? 7 : v)), 'where scalar x');
    m.k.ew_where_32(m.put(c2), m.put(y2), m.put(Float32Array.from(y2, (v) => -v)), pw2, 22, 0);
    assert.equal(Array.from(m.f32(pw2, 22)), Array.from(y2, (v, i) => (c2[i] ? v : -v)), 'where same shape');
    // casts
    const cf = Float32Array.from([-2.7, -0.5, 0, 0.5, 2.7, 300]);
    const pcf = m.put(cf), pci = m.alloc(24), pcu = m.alloc(8), pcb = m.alloc(24);
    m.k.cast_f32_i32(pcf, pci, 6); assert.equal(Array.from(m.i32(pci, 6)), [-2, 0, 0, 0, 2, 300]);
    m.k.cast_f32_bool(pcf, pcu, 6); assert.equal(u8(pcu, 6), [1, 1, 0, 1, 1, 1]);
    m.k.cast_u8_f32(pcu, pcb, 6); assert.equal(Array.from(m.f32(pcb, 6)), [1, 1, 0, 1, 1, 1]);
    m.k.cast_i32_f32(pci, pcb, 6); assert.equal(Array.from(m.f32(pcb, 6)), [-2, 0, 0, 0, 2, 300]);
    m.k.cast_i32_u8(pci, pcu, 6); assert.equal(u8(pcu, 6), [254, 0, 0, 0, 2, 44]);
    m.k.copy_bytes(pcf, pcb, 23);
    assert.equal(Array.from(new Uint8Array(m.memory.buffer, pcb, 23)), Array.from(new Uint8Array(m.memory.buffer, pcf, 23)), 'copy');
  });
}

test('broadcast descriptors: same shape, collapse, too many dims', () => {
  assert.is(broadcastDescriptor([2, 3], [[2, 3], [1, 2, 3]]), 'same');
  assert.equal(Array.from(broadcastDescriptor([2, 3, 4, 5], [[2, 3, 4, 5], [3, 1, 1]]) as Int32Array),
    [1, 1, 1, 2, 3, 20, 0, 0, 0, 60, 20, 1, 0, 0, 0, 0, 1, 0]);
  assert.is(broadcastDescriptor([2, 2, 2, 2, 2, 2, 2], [[2, 1, 2, 1, 2, 1, 2], [1, 2, 1, 2, 1, 2, 1]]), null);
});

test.run();

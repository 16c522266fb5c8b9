// The separable resize kernel: hand-computed nearest and bilinear cases, extrapolated rows and
// columns, and random tap tables against a direct (non-separable) double sum, on both targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule } from '../helpers/kernels.js';

const TARGETS = ['wasm-simd128', 'wasm-mvp'];

/** tap table: per output coordinate k indices then k weights (f32 bits) */
function table(idx: number[][], w: number[][]): Int32Array {
  const k = idx[0].length;
  const t = new Int32Array(idx.length * 2 * k);
  const f = new Float32Array(t.buffer);
  idx.forEach((ix, o) => ix.forEach((v, j) => { t[o * 2 * k + j] = v; f[o * 2 * k + k + j] = w[o][j]; }));
  return t;
}

function run(m: KernelModule, x: number[], NC: number, H: number, W: number, idxH: number[][], wH: number[][], idxW: number[][], wW: number[][], extrap = 0): number[] {
  const OH = idxH.length, OW = idxW.length;
  const py = m.alloc(NC * OH * OW * 4), tmp = m.alloc(W * 4);
  m.k.resize_f32(m.put(Float32Array.from(x)), py, NC, H, W, OH, OW, m.put(table(idxH, wH)), idxH[0].length, m.put(table(idxW, wW)), idxW[0].length, tmp, extrap);
  return Array.from(m.f32(py, NC * OH * OW));
}

for (const target of TARGETS) {
  test(`${target} resize_f32 hand cases`, async () => {
    const m = await kernelModule(target);
    m.reset();
    const near2 = [[0], [0], [1], [1]], ones = [[1], [1], [1], [1]];
    assert.equal(run(m, [1, 2, 3, 4], 1, 2, 2, near2, ones, near2, ones), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // bilinear 2x2 -> 3x3, align_corners
    const lin = [[0, 1], [0, 1], [1, 1]], lw = [[1, 0], [0.5, 0.5], [0, 1]];
    assert.equal(run(m, [1, 2, 3, 4], 1, 2, 2, lin, lw, lin, lw), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    // extrapolated first row and last column
    assert.equal(run(m, [1, 2, 3, 4], 1, 2, 2, [[-1], [1]], [[0], [1]], [[0], [-1]], [[1], [0]], 9), [9, 9, 3, 9]);
  });

  test(`${target} resize_f32 random taps against a direct double sum`, async () => {
    const m = await kernelModule(target);
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (const [NC, H, W, OH, OW, kh, kw] of [[2, 5, 11, 7, 17, 2, 2], [1, 6, 9, 3, 4, 4, 4], [3, 4, 13, 8, 26, 1, 2], [1, 3, 7, 5, 6, 2, 1]]) {
      m.reset();
      const x = Array.from({ length: NC * H * W }, () => rnd() * 4 - 2);
      const taps = (O: number, k: number, n: number) => ({
        idx: Array.from({ length: O }, () => Array.from({ length: k }, () => Math.floor(rnd() * n))),
        w: Array.from({ length: O }, () => Array.from({ length: k }, () => Math.fround(rnd() * 2 - 0.5))),
      });
      const th = taps(OH, kh, H), tw = taps(OW, kw, W);
      const want: number[] = [];
      for (let c = 0; c < NC; c++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
        let acc = 0;
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) acc += th.w[oh][i] * tw.w[ow][j] * x[(c * H + th.idx[oh][i]) * W + tw.idx[ow][j]];
        want.push(acc);
      }
      const got = run(m, x, NC, H, W, th.idx, th.w, tw.idx, tw.w);
      got.forEach((g, i) => {
        if (!(Math.abs(g - want[i]) <= 1e-5 * (1 + Math.abs(want[i])))) assert.unreachable(`[${NC},${H},${W}]->[${OH},${OW}] taps ${kh}x${kw} [${i}]: got ${g}, want ${want[i]}`);
      });
    }
  });
}

for (const target of TARGETS) {
  test(`${target} resize_nearest_int_f32`, async () => {
    const m = await kernelModule(target);
    for (const [NC, H, W, sh, sw] of [[2, 3, 9, 2, 2], [1, 2, 5, 1, 4], [1, 4, 3, 3, 1], [2, 2, 7, 2, 5]]) {
      m.reset();
      const x = Float32Array.from({ length: NC * H * W }, (_, i) => i + 1);
      const OH = H * sh, OW = W * sw;
      const py = m.alloc(NC * OH * OW * 4);
      m.k.resize_nearest_int_f32(m.put(x), py, NC, H, W, sh, sw);
      const want: number[] = [];
      for (let c = 0; c < NC; c++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) want.push(x[(c * H + Math.floor(oh / sh)) * W + Math.floor(ow / sw)]);
      assert.equal(Array.from(m.f32(py, want.length)), want, `[${NC},${H},${W}] x${sh},${sw}`);
    }
  });
}

for (const target of TARGETS) {
  test(`${target} resize_linear2x_f32 against the general kernel with half-pixel taps`, async () => {
    const m = await kernelModule(target);
    const taps = (n: number) => {
      const idx: number[][] = [], w: number[][] = [];
      for (let o = 0; o < 2 * n; o++) {
        const xo = (o + 0.5) / 2 - 0.5, f = Math.floor(xo), t = xo - f;
        idx.push([Math.max(f, 0), Math.min(f + 1, n - 1)]); w.push([1 - t, t]);
      }
      return { idx, w };
    };
    for (const [NC, H, W] of [[2, 3, 9], [1, 1, 1], [1, 4, 2], [3, 5, 13], [1, 2, 6]]) {
      m.reset();
      const x = Array.from({ length: NC * H * W }, (_, i) => Math.sin(i) * 3);
      const th = taps(H), tw = taps(W);
      const want = run(m, x, NC, H, W, th.idx, th.w, tw.idx, tw.w);
      const py = m.alloc(want.length * 4), tmp = m.alloc(W * 4);
      m.k.resize_linear2x_f32(m.put(Float32Array.from(x)), py, NC, H, W, tmp);
      const got = m.f32(py, want.length);
      want.forEach((v, i) => { if (Math.abs(got[i] - v) > 1e-6) assert.unreachable(`[${NC},${H},${W}][${i}]: got ${got[i]}, want ${v}`); });
    }
  });
}

test.run();

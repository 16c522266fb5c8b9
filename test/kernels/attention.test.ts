// causal_attention_f32 (every registry row of kind attention) against a float64 reference of
// softmax(scale·Q·Kᵀ + causal mask)·V written from the definition: row i of each head attends to
// the columns j <= i + diag. Awkward sizes (T and head dims not multiples of 4 or 8, one row,
// more keys than queries) and two layouts: contiguous [b][h][t][d], and token-major [b][t][h][d]
// with Kᵀ read from K (the layouts around a head split, which the pattern folds into strides).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, guardsIntact, putGuarded, testedOn } from '../helpers/kernels.js';
import { checkClose, randArray, type RefOut } from '../helpers/dense.js';
import { KERNELS } from '../../compiler/codegen/kernels/registry.js';
import { attentionScratchBytes } from '../../compiler/codegen/ops/attention.js';
import { loadTarget } from '../../compiler/codegen/target.js';

interface Case { nb: number; nh: number; tq: number; tk: number; d: number; dv: number; diag: number; tokenMajor: boolean; scale: number }

/** element offset of [b, h, t, c] in a [nb, nh, t, w] tensor or, token-major, in [nb, t, nh, w] */
function at(c: Case, t: number, w: number, b: number, h: number, i: number, x: number): number {
  return c.tokenMajor ? ((b * t + i) * c.nh + h) * w + x : ((b * c.nh + h) * t + i) * w + x;
}

/** the four [b, h, row, col] element strides of such a tensor; kT: K read as Kᵀ (rows and columns swapped) */
function strides(c: Case, t: number, w: number, kT = false): number[] {
  const s = c.tokenMajor ? [t * c.nh * w, w, c.nh * w, 1] : [c.nh * t * w, t * w, w, 1];
  return kT ? [s[0], s[1], s[3], s[2]] : s;
}

function reference(c: Case, Q: Float32Array, K: Float32Array, V: Float32Array): RefOut {
  const value = new Float64Array(c.nb * c.nh * c.tq * c.dv), scale = new Float64Array(value.length);
  for (let b = 0; b < c.nb; b++) for (let h = 0; h < c.nh; h++) for (let i = 0; i < c.tq; i++) {
    const kept = Math.min(c.tk, i + c.diag + 1);
    const s = Array.from({ length: kept }, (_, j) => {
      let a = 0;
      for (let k = 0; k < c.d; k++) a += Q[at(c, c.tq, c.d, b, h, i, k)] * K[at(c, c.tk, c.d, b, h, j, k)];
      return Math.fround(c.scale) * a;
    });
    const m = Math.max(...s), e = s.map((x) => Math.exp(x - m)), sum = e.reduce((a, x) => a + x, 0);
    for (let x = 0; x < c.dv; x++) {
      let y = 0, t = 0;
      for (let j = 0; j < kept; j++) { const p = (e[j] / sum) * V[at(c, c.tk, c.dv, b, h, j, x)]; y += p; t += Math.abs(p); }
      const o = at(c, c.tq, c.dv, b, h, i, x);
      value[o] = y; scale[o] = t;
    }
  }
  return { value, scale };
}

for (const targetName of ['wasm-simd128', 'wasm-mvp', 'wasm-relaxed-simd']) {
  const target = loadTarget(targetName);
  for (const v of KERNELS.filter((r) => r.kind === 'attention' && testedOn(r, target))) {
    test(`${v.id} on ${targetName}: causal attention on awkward sizes and both layouts`, async () => {
      const m = await kernelModule(targetName);
      const cases: Case[] = [];
      const sizes = [
        [1, 1, 1, 1, 1, 1, 0], [1, 2, 13, 13, 7, 7, 0], [1, 4, 128, 128, 32, 32, 0], [2, 3, 17, 17, 5, 12, 2],
        [1, 2, 5, 9, 3, 10, 4], [1, 1, 9, 9, 16, 3, 20], [2, 1, 6, 6, 33, 9, 1], [1, 1, 1, 20, 8, 8, 19],
      ];
      for (const [nb, nh, tq, tk, d, dv, diag] of sizes) {
        for (const tokenMajor of [false, true]) cases.push({ nb, nh, tq, tk, d, dv, diag, tokenMajor, scale: 1 / Math.sqrt(d) });
      }
      let seed = 1;
      for (const c of cases) {
        m.reset();
        const Q = randArray(c.nb * c.nh * c.tq * c.d, seed++, 2), K = randArray(c.nb * c.nh * c.tk * c.d, seed++, 2);
        const V = randArray(c.nb * c.nh * c.tk * c.dv, seed++);
        const ny = c.nb * c.nh * c.tq * c.dv;
        const desc = Int32Array.from([c.nb, c.nh, c.tq, c.tk, c.d, c.dv, c.diag,
          ...strides(c, c.tq, c.d), ...strides(c, c.tk, c.d, true), ...strides(c, c.tk, c.dv), ...strides(c, c.tq, c.dv)]);
        const pY = putGuarded(m, ny);
        const ns = attentionScratchBytes(c.tq, c.tk, c.d, c.dv, c.diag) / 4;
        const scratch = putGuarded(m, ns);
        m.f32(scratch, ns).fill(NaN); // stale scratch must not leak in
        m.k[v.fn](m.put(desc), c.scale, m.put(Q), m.put(K), m.put(V), pY, scratch);
        const what = `${v.id} on ${targetName} ${JSON.stringify(c)}`;
        assert.ok(guardsIntact(m, pY, ny), `${what}: wrote outside Y`);
        assert.ok(guardsIntact(m, scratch, ns), `${what}: wrote outside its scratch`);
        const err = checkClose(m.f32(pY, ny), reference(c, Q, K, V), what, 2e-5, 1e-6);
        if (err) assert.unreachable(err);
      }
    });
  }
}

test.run();

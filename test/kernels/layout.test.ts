// Data-movement kernels against independent JS index arithmetic (transposes by permutation,
// slices by explicit loops, numpy-style pads), plus hand-written pad cases, on both targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelModule, type KernelModule } from '../helpers/kernels.js';
import { gatherDescriptor, stridesOf } from '../../compiler/codegen/ops/strided.js';

const TARGETS = ['wasm-simd128', 'wasm-mvp'];
const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i * 7 + 1);
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** numpy transpose of a row-major array */
function transposeRef(x: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const out = perm.map((p) => shape[p]);
  const st = stridesOf(shape);
  const res: number[] = [];
  for (let i = 0; i < prod(out); i++) {
    let r = i, off = 0;
    for (let d = out.length - 1; d >= 0; d--) { off += (r % out[d]) * st[perm[d]]; r = Math.floor(r / out[d]); }
    res.push(x[off]);
  }
  return res;
}

function runStrided(m: KernelModule, x: Int32Array, outDims: number[], inStrides: number[], start = 0): number[] {
  const px = m.put(x), py = m.alloc(prod(outDims) * 4 + 4);
  m.k.strided_copy_32(px + start * 4, py, m.put(gatherDescriptor(outDims, inStrides)!));
  return Array.from(m.i32(py, prod(outDims)));
}

for (const target of TARGETS) {
  test(`${target} strided_copy_32/8: transposes, slices with negative steps, broadcasts`, async () => {
    const m = await kernelModule(target);
    m.reset();
    for (const [shape, perm] of [[[2, 3, 4], [2, 0, 1]], [[2, 3, 5, 7], [0, 2, 3, 1]], [[1, 6, 1, 5], [3, 1, 2, 0]], [[2, 2, 2, 2, 2, 3], [5, 4, 3, 2, 1, 0]], [[9], [0]]]) {
      const x = iota(prod(shape));
      const st = stridesOf(shape);
      assert.equal(runStrided(m, x, perm.map((p) => shape[p]), perm.map((p) => st[p])), transposeRef(x, shape, perm), `transpose ${shape} ${perm}`);
    }
    // x[4, 6] sliced as [3:0:-2, 1:6:2] -> rows 3, 1; cols 1, 3, 5
    const x = iota(24);
    assert.equal(runStrided(m, x, [2, 3], [-12, 2], 3 * 6 + 1), [3 * 6 + 1, 3 * 6 + 3, 3 * 6 + 5, 6 + 1, 6 + 3, 6 + 5].map((i) => x[i]));
    // broadcast [3, 1] -> [3, 5] (stride 0 inner), [1, 4] -> [2, 4] (stride 0 outer)
    assert.equal(runStrided(m, iota(3), [3, 5], [1, 0]), [1, 1, 1, 1, 1, 8, 8, 8, 8, 8, 15, 15, 15, 15, 15]);
    assert.equal(runStrided(m, iota(4), [2, 4], [0, 1]), [1, 8, 15, 22, 1, 8, 15, 22]);
    // bytes
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const pb = m.put(b), py = m.alloc(8);
    m.k.strided_copy_8(pb, py, m.put(gatherDescriptor([3, 2], [1, 3])!));
    assert.equal(Array.from(new Uint8Array(m.memory.buffer, py, 6)), [1, 4, 2, 5, 3, 6]);
  });

  test(`${target} transpose2d_32`, async () => {
    const m = await kernelModule(target);
    for (const [B, R, C] of [[1, 4, 4], [2, 37, 19], [3, 1, 5], [1, 64, 33], [2, 5, 1], [1, 70, 70], [1, 512, 37], [2, 1024, 21]]) {
      m.reset();
      const x = iota(B * R * C);
      const px = m.put(x), py = m.alloc(x.byteLength);
      m.k.transpose2d_32(px, py, B, R, C);
      assert.equal(Array.from(m.i32(py, x.length)), transposeRef(x, [B, R, C], [0, 2, 1]), `transpose2d ${B}x${R}x${C}`);
    }
  });

  test(`${target} copy2d (concat), gather, gather_elements`, async () => {
    const m = await kernelModule(target);
    m.reset();
    // concat [2, 3] and [2, 1] along axis 1 (rows of 12 and 4 bytes into rows of 16)
    const a = Int32Array.from([1, 2, 3, 4, 5, 6]), b = Int32Array.from([7, 8]);
    const py = m.alloc(32);
    m.k.copy2d(m.put(a), py, 2, 12, 12, 16);
    m.k.copy2d(m.put(b), py + 12, 2, 4, 4, 16);
    assert.equal(Array.from(m.i32(py, 8)), [1, 2, 3, 7, 4, 5, 6, 8]);
    m.k.fill2d(py + 4, 2, 8, 16, 9);
    assert.equal(Array.from(m.i32(py, 8)), [1, 9, 9, 7, 4, 9, 9, 8], 'fill2d');
    const pb = m.alloc(16);
    new Uint8Array(m.memory.buffer, pb, 16).fill(0);
    m.k.fill2d(pb + 1, 3, 3, 5, 0x07070707);
    assert.equal(Array.from(new Uint8Array(m.memory.buffer, pb, 16)), [0, 7, 7, 7, 0, 0, 7, 7, 7, 0, 0, 7, 7, 7, 0, 0], 'fill2d bytes');
    // gather axis 1 of [2, 4, 3] with indices [3, -1, 0, 1] (innerBytes 12), and axis 0 of [5] (4 bytes)
    const x = iota(24);
    const px = m.put(x), pi = m.put(Int32Array.from([3, -1, 0, 1])), pg = m.alloc(2 * 4 * 3 * 4);
    m.k.gather(px, pi, pg, 2, 4, 4, 12);
    const want: number[] = [];
    for (const o of [0, 1]) for (const k of [3, 3, 0, 1]) for (let i = 0; i < 3; i++) want.push(x[(o * 4 + k) * 3 + i]);
    assert.equal(Array.from(m.i32(pg, 24)), want);
    m.k.gather(px, pi, pg, 1, 5, 4, 4);
    assert.equal(Array.from(m.i32(pg, 4)), [x[3], x[4], x[0], x[1]]);
    const bytes = m.put(Uint8Array.from([10, 11, 12, 13, 14, 15]));
    m.k.gather(bytes, pi, pg, 1, 3, 4, 2); // [3, 2] bytes, indices 3 -> clamped to 2, -1 -> 2
    assert.equal(Array.from(new Uint8Array(m.memory.buffer, pg, 8)), [14, 15, 14, 15, 10, 11, 12, 13]);
    // gather_elements axis 1 of [2, 3] with indices [2, 2]
    const ge = m.alloc(16);
    m.k.gather_elements_32(m.put(Int32Array.from([1, 2, 3, 4, 5, 6])), m.put(Int32Array.from([2, 0, -2, 1])), ge, 2, 3, 2, 1);
    assert.equal(Array.from(m.i32(ge, 4)), [3, 1, 5, 5]);
  });

  test(`${target} pad_32: hand cases in every mode, cropping, and a 3-D reference`, async () => {
    const m = await kernelModule(target);
    m.reset();
    const pad = (x: number[], shape: number[], begin: number[], end: number[], mode: number, value = 0): number[] => {
      const out = shape.map((d, i) => d + begin[i] + end[i]);
      const desc = new Int32Array(18);
      const k0 = 6 - shape.length;
      for (let i = 0; i < 6; i++) {
        const k = i - k0;
        desc[i] = k < 0 ? 1 : out[k]; desc[6 + i] = k < 0 ? 1 : shape[k]; desc[12 + i] = k < 0 ? 0 : begin[k];
      }
      const py = m.alloc(prod(out) * 4);
      m.k.pad_32(m.put(Int32Array.from(x)), py, m.put(desc), mode, value);
      return Array.from(m.i32(py, prod(out)));
    };
    assert.equal(pad([1, 2, 3], [3], [2], [2], 0, 9), [9, 9, 1, 2, 3, 9, 9]);
    assert.equal(pad([1, 2, 3], [3], [2], [2], 1), [3, 2, 1, 2, 3, 2, 1]);
    assert.equal(pad([1, 2, 3], [3], [2], [2], 2), [1, 1, 1, 2, 3, 3, 3]);
    assert.equal(pad([1, 2, 3], [3], [2], [4], 3), [2, 3, 1, 2, 3, 1, 2, 3, 1]);
    assert.equal(pad([1, 2, 3, 4], [4], [-1], [1], 0, 0), [2, 3, 4, 0]);
    assert.equal(pad([1, 2, 3, 4], [2, 2], [1, -1], [0, 1], 0, 7), [7, 7, 2, 7, 4, 7]);
    // 3-D reflect/edge/wrap against a numpy-style reference
    const shape = [2, 3, 4], x = Array.from(iota(24));
    const begin = [1, 2, 3], end = [0, 1, 2];
    const map = (i: number, n: number, mode: number) => {
      if (i >= 0 && i < n) return i;
      if (mode === 2) return i < 0 ? 0 : n - 1;
      if (mode === 3) return ((i % n) + n) % n;
      const p = 2 * (n - 1);
      i = ((i % p) + p) % p;
      return i >= n ? p - i : i;
    };
    for (const mode of [1, 2, 3]) {
      const out = shape.map((d, i) => d + begin[i] + end[i]);
      const want: number[] = [];
      for (let a = 0; a < out[0]; a++) for (let b = 0; b < out[1]; b++) for (let c = 0; c < out[2]; c++) {
        want.push(x[(map(a - begin[0], 2, mode) * 3 + map(b - begin[1], 3, mode)) * 4 + map(c - begin[2], 4, mode)]);
      }
      assert.equal(pad(x, shape, begin, end, mode), want, `mode ${mode}`);
    }
  });
}

for (const target of TARGETS) {
  test(`${target} trilu_32`, async () => {
    const m = await kernelModule(target);
    m.reset();
    const x = m.put(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), y = m.alloc(48);
    m.k.trilu_32(x, y, 1, 3, 4, 0, 1); assert.equal(Array.from(m.i32(y, 12)), [1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    m.k.trilu_32(x, y, 1, 3, 4, -1, 0); assert.equal(Array.from(m.i32(y, 12)), [0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    m.k.trilu_32(x, y, 2, 2, 3, 1, 1); assert.equal(Array.from(m.i32(y, 12)), [0, 2, 3, 0, 0, 6, 0, 8, 9, 0, 0, 12]);
  });
}

test.run();

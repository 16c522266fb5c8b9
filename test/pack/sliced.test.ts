// Channel-sliced dense (compiler/pack/sliced.ts): slicing keeps exactly the kept rows/columns
// (checked element by element against index arithmetic written here), and scattering a sliced
// tensor back gives the masked tensor: the original with zeros at the pruned indices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniform } from '../../compiler/util/random.js';
import { scatterAxis, sliceAxis, sliceGroupedConvWeight, complement } from '../../compiler/pack/sliced.js';

const t = (shape: number[], seed = 1) => ({ dtype: 'float32' as const, shape, data: uniform(seed, shape.reduce((a, b) => a * b, 1)) });

test('sliceAxis keeps the listed indices of one axis, in order', () => {
  const w = t([4, 5, 3]);
  const s = sliceAxis(w, 1, [0, 2, 4]);
  assert.equal(s.shape, [4, 3, 3]);
  const src = w.data as Float32Array, dst = s.data as Float32Array;
  for (let a = 0; a < 4; a++) for (let j = 0; j < 3; j++) for (let c = 0; c < 3; c++) assert.is(dst[(a * 3 + j) * 3 + c], src[(a * 5 + [0, 2, 4][j]) * 3 + c]);
});

test('round trip: scatter(slice(W)) is W masked along the axis, for every axis', () => {
  const w = t([6, 4, 3, 3], 2);
  for (const [axis, kept] of [[0, [1, 2, 5]], [1, [3]], [2, [0, 2]], [3, [0, 1, 2]]] as [number, number[]][]) {
    const back = scatterAxis(sliceAxis(w, axis, kept), axis, w.shape[axis], kept);
    assert.equal(back.shape, w.shape);
    const src = w.data as Float32Array, dst = back.data as Float32Array;
    const stride = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < src.length; i++) {
      const idx = Math.floor(i / stride) % w.shape[axis];
      assert.is(dst[i], kept.includes(idx) ? src[i] : 0, `axis ${axis} element ${i}`);
    }
  }
});

test('int64 tensors slice too (shape constants, per-channel integer data)', () => {
  const v = { dtype: 'int64' as const, shape: [2, 3], data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]) };
  assert.equal(Array.from(sliceAxis(v, 1, [0, 2]).data as BigInt64Array), [1n, 3n, 4n, 6n]);
});

test('grouped conv weight: rows by kept outputs, columns by the kept inputs of each row\'s group', () => {
  // W[4][2][1][1], 2 groups: outputs 0,1 read inputs 0,1; outputs 2,3 read inputs 2,3
  const w = { dtype: 'float32' as const, shape: [4, 2, 1, 1], data: Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]) };
  const s = sliceGroupedConvWeight(w, 2, [0, 3], [1, 2]);
  assert.equal(s.shape, [2, 1, 1, 1]);
  assert.equal(Array.from(s.data as Float32Array), [1, 30]); // output 0 reads input 1 (local 1); output 3 reads input 2 (local 0)
  assert.throws(() => sliceGroupedConvWeight(w, 2, [0, 3], [0, 1]), /same number of input channels/);
  assert.throws(() => sliceGroupedConvWeight(w, 2, [0, 1], [1, 2]), /same number of output channels/);
});

test('bad kept indices are refused', () => {
  const w = t([4, 2]);
  assert.throws(() => sliceAxis(w, 0, [2, 1]), /sorted, unique/);
  assert.throws(() => sliceAxis(w, 0, [4]), /sorted, unique/);
  assert.equal(Array.from(complement(5, [1, 3])), [0, 2, 4]);
});

test.run();

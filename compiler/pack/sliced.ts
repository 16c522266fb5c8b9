// Channel-sliced dense: the storage of a layer that structured (channel) pruning made smaller.
//
// Layout. A sliced tensor is an ordinary dense, row-major tensor of the same rank and dtype as
// the original, with one axis (or, for a grouped convolution's weight, axes 0 and 1) reduced
// to the kept indices, in increasing order. Nothing else changes, so every dense kernel runs
// it as is: the saving is real (fewer rows, fewer input channels), not zeros. The kept indices
// (sorted, unique, within the original axis) are the only metadata; `scatterAxis` puts a
// sliced tensor back into the original shape with zeros elsewhere, which is the masked weight
// (the round trip the tests check).
//
// Grouped convolution weights W[Cout][Cin/G][k...] are sliced on both axes at once
// (`sliceGroupedConvWeight`): output rows by the kept output channels, and for each row only
// the kept input channels of that row's group, as positions local to the group. Every group
// must keep the same number of input channels (and of output channels) so the result is
// rectangular and `group` stays G.
import type { TensorData } from '../ir/graph.js';
import { numel, typedArrayFor } from '../ir/graph.js';
import type { DType } from '../ir/graph.js';

export interface DenseTensor { dtype: DType; shape: number[]; data: TensorData }

function checkKept(kept: ArrayLike<number>, size: number, what: string): void {
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i];
    if (!Number.isInteger(k) || k < 0 || k >= size || (i > 0 && k <= kept[i - 1])) {
      throw new RangeError(`${what}: kept indices must be sorted, unique and in [0, ${size}); got ${Array.from(kept).slice(0, 8).join(',')}${kept.length > 8 ? ',...' : ''}`);
    }
  }
}

/** dst[to + i] = src[from + i] for i < n (a plain loop: rows are often a handful of elements,
 *  where subarray() + set() spends its time allocating views) */
function copyRun(src: Float32Array, from: number, dst: Float32Array, to: number, n: number): void {
  if (n >= 64) { dst.set(src.subarray(from, from + n), to); return; }
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/** The tensor with axis `axis` reduced to the kept indices (a new array; the input is untouched). */
export function sliceAxis(t: DenseTensor, axis: number, kept: ArrayLike<number>): DenseTensor {
  const size = t.shape[axis];
  checkKept(kept, size, `slice of axis ${axis} of [${t.shape}]`);
  const outer = numel(t.shape.slice(0, axis)), inner = numel(t.shape.slice(axis + 1));
  const shape = [...t.shape];
  shape[axis] = kept.length;
  const out = typedArrayFor(t.dtype, numel(shape));
  const src = t.data as Float32Array, dst = out as Float32Array; // same element type, copied as is
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < kept.length; j++) {
      copyRun(src, (o * size + kept[j]) * inner, dst, (o * kept.length + j) * inner, inner);
    }
  }
  return { dtype: t.dtype, shape, data: out };
}

/** The inverse of sliceAxis: the full-size tensor with zeros at the indices not kept. */
export function scatterAxis(t: DenseTensor, axis: number, size: number, kept: ArrayLike<number>): DenseTensor {
  checkKept(kept, size, `scatter of axis ${axis}`);
  if (t.shape[axis] !== kept.length) throw new RangeError(`scatter of axis ${axis}: the tensor has ${t.shape[axis]} entries, ${kept.length} kept indices`);
  const outer = numel(t.shape.slice(0, axis)), inner = numel(t.shape.slice(axis + 1));
  const shape = [...t.shape];
  shape[axis] = size;
  const out = typedArrayFor(t.dtype, numel(shape));
  const src = t.data as Float32Array, dst = out as Float32Array;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < kept.length; j++) {
      copyRun(src, (o * kept.length + j) * inner, dst, (o * size + kept[j]) * inner, inner);
    }
  }
  return { dtype: t.dtype, shape, data: out };
}

/** A grouped Conv weight W[Cout][Cin/G][k...] reduced to the kept output channels (global
 *  indices in [0, Cout)) and kept input channels (global indices in [0, Cin), Cin = G·Cin/G). */
export function sliceGroupedConvWeight(t: DenseTensor, groups: number, keptOut: ArrayLike<number>, keptIn: ArrayLike<number>): DenseTensor {
  const [cout, cinG] = t.shape, cin = cinG * groups, coutG = cout / groups;
  checkKept(keptOut, cout, 'grouped conv output channels');
  checkKept(keptIn, cin, 'grouped conv input channels');
  const local: number[][] = Array.from({ length: groups }, () => []);
  for (let i = 0; i < keptIn.length; i++) local[Math.floor(keptIn[i] / cinG)].push(keptIn[i] % cinG);
  const perIn = local[0].length;
  if (local.some((l) => l.length !== perIn)) throw new RangeError(`grouped conv (${groups} groups): every group must keep the same number of input channels; kept ${local.map((l) => l.length).join(',')}`);
  const outPer = new Array<number>(groups).fill(0);
  for (let i = 0; i < keptOut.length; i++) outPer[Math.floor(keptOut[i] / coutG)]++;
  if (outPer.some((c) => c !== outPer[0])) throw new RangeError(`grouped conv (${groups} groups): every group must keep the same number of output channels; kept ${outPer.join(',')}`);
  const inner = numel(t.shape.slice(2));
  const shape = [keptOut.length, perIn, ...t.shape.slice(2)];
  const out = typedArrayFor(t.dtype, numel(shape));
  const src = t.data as Float32Array, dst = out as Float32Array;
  for (let r = 0; r < keptOut.length; r++) {
    const o = keptOut[r], grp = local[Math.floor(o / coutG)];
    for (let j = 0; j < perIn; j++) {
      copyRun(src, (o * cinG + grp[j]) * inner, dst, (r * perIn + j) * inner, inner);
    }
  }
  return { dtype: t.dtype, shape, data: out };
}

/** Sorted indices in [0, size) that are not in `pruned`. */
export function complement(size: number, pruned: Iterable<number>): Int32Array {
  const drop = new Uint8Array(size);
  for (const p of pruned) drop[p] = 1;
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (!drop[i]) out.push(i);
  return Int32Array.from(out);
}

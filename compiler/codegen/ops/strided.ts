// Shape and stride arithmetic shared by the non-GEMM lowerings: numpy broadcasting, merging
// dimensions that every operand walks contiguously, and the fixed 6-D descriptors that the
// broadcasting, strided-copy and pad kernels read (see the header of assembly/elementwise.ts).
// All strides are in elements.

import { normAxis, stridesOf } from '../../ir/graph.js';
export { normAxis, stridesOf };

/** Maximum rank of a descriptor after collapsing; kernels loop over exactly this many dims. */
export const MAX_DIMS = 6;

/** Strides of `shape` read as if broadcast to `out` (right-aligned; 0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = stridesOf(shape);
  return out.map((_, o) => {
    const i = o - (out.length - shape.length);
    return i < 0 || shape[i] === 1 ? 0 : own[i];
  });
}

export interface Collapsed {
  dims: number[];
  /** one stride list per operand, each as long as dims */
  strides: number[][];
}

/** Drop size-1 dims and merge neighbours that every operand walks as one run. Keeps at least one dim. */
export function collapse(dims: readonly number[], strides: (readonly number[])[]): Collapsed {
  const keep = dims.map((d, i) => i).filter((i) => dims[i] !== 1);
  const outDims: number[] = [];
  const outStr: number[][] = strides.map(() => []);
  for (const i of keep) {
    const last = outDims.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStr[k][last] === s[i] * dims[i]);
    if (mergeable) {
      outDims[last] *= dims[i];
      strides.forEach((s, k) => (outStr[k][last] = s[i]));
    } else {
      outDims.push(dims[i]);
      strides.forEach((s, k) => outStr[k].push(s[i]));
    }
  }
  if (outDims.length === 0) return { dims: [1], strides: strides.map(() => [0]) };
  return { dims: outDims, strides: outStr };
}

/** Pack a collapsed layout as [dims(6), strides0(6), strides1(6), ...], left-padded with size-1
 *  dims; null when more than MAX_DIMS dims remain. */
export function descriptor(c: Collapsed): Int32Array | null {
  const n = c.dims.length;
  if (n > MAX_DIMS) return null;
  const pad = MAX_DIMS - n;
  const out = new Int32Array(MAX_DIMS * (1 + c.strides.length));
  for (let i = 0; i < MAX_DIMS; i++) out[i] = i < pad ? 1 : c.dims[i - pad];
  c.strides.forEach((s, k) => {
    for (let i = 0; i < MAX_DIMS; i++) out[MAX_DIMS * (k + 1) + i] = i < pad ? 0 : s[i - pad];
  });
  return out;
}

/** The descriptor of a broadcasting elementwise op, or 'same' when every input already has the
 *  output's shape (the kernels then take a plain element count), or null beyond 6 dims. */
export function broadcastDescriptor(out: readonly number[], inputs: (readonly number[])[]): Int32Array | 'same' | null {
  const n = out.reduce((a, b) => a * b, 1);
  if (inputs.every((s) => s.reduce((a, b) => a * b, 1) === n)) return 'same';
  return descriptor(collapse(out, inputs.map((s) => broadcastStrides(s, out))));
}

/** The descriptor of a strided gather into a contiguous output (strided_copy_*, see
 *  assembly/layout.ts), or null beyond 6 merged dims. */
export function gatherDescriptor(outDims: readonly number[], inStrides: readonly number[]): Int32Array | null {
  return descriptor(collapse(outDims, [inStrides]));
}

/** If reading `inStrides` into `outDims` is a batch of matrix transposes, [B, R, C] such that
 *  y[b, c, r] = x[b, r, c]; otherwise null. */
export function asBatchedTranspose(outDims: readonly number[], inStrides: readonly number[]): [number, number, number] | null {
  const c = collapse(outDims, [inStrides]);
  const [d, s] = [c.dims, c.strides[0]];
  if (d.length === 2 && s[0] === 1 && s[1] === d[0]) return [1, d[1], d[0]];
  if (d.length === 3 && s[1] === 1 && s[2] === d[1] && s[0] === d[1] * d[2]) return [d[0], d[2], d[1]];
  return null;
}

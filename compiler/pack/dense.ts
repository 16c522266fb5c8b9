// Dense panel packing of constant weights for the GEMM kernels in assembly/gemm.ts.
//
// Layout. A weight matrix is seen as `rows` x `depth`, where depth is the GEMM reduction axis K
// and rows are the outputs the weight produces. It is stored as
//     [ceil(rows / R)][depth][R]   (float32)
// i.e. panel p holds rows p*R .. p*R+R-1 interleaved per depth index, so the micro-kernel reads
// one contiguous R-float vector per k. Rows past `rows` are zero, so the kernel needs no edge
// code along K and computes edge tiles in full. Two uses:
//   - A panels, R = DENSE_MR = 4: weights on the left (Conv, ConvTranspose): rows = output
//     channels (of one group), depth = Cin_g*kh*kw. Groups are stored back to back.
//   - B panels, R = DENSE_NR = 8: weights on the right (MatMul/Gemm X·W): rows = output
//     features N, depth = K. A W[K][N] (or W[N][K] with Gemm transB=1) packs without a copy
//     because the source is read through strides. With one activation row the same panels feed
//     the GEMV (assembly/gemv.ts), which reads the weight once, panel after panel.
// The layout does not depend on the kernels' cache blocking (KC): a K block of a panel is a
// contiguous slice of it. The kernels pack run-time operands into the same layout.

export const DENSE_MR = 4;
export const DENSE_NR = 8;

/** Where element (row, d) of the logical matrix is: data[offset + row*rowStride + d*depthStride]. */
export interface StridedSource {
  data: ArrayLike<number>;
  offset?: number;
  rowStride: number;
  depthStride: number;
}

/** floats of a packed [ceil(rows/R)][depth][R] matrix */
export function packedLength(rows: number, depth: number, R: number): number {
  return Math.ceil(rows / R) * R * depth;
}

/** Packs a rows x depth matrix into [ceil(rows/R)][depth][R], scaled by `scale`. */
export function packPanels(src: StridedSource, rows: number, depth: number, R: number, scale = 1, out?: Float32Array, outOffset = 0): Float32Array {
  const dst = out ?? new Float32Array(packedLength(rows, depth, R));
  const off = src.offset ?? 0;
  for (let p = 0; p * R < rows; p++) {
    const base = outOffset + p * depth * R;
    for (let r = 0; r < R; r++) {
      const row = p * R + r;
      if (row >= rows) continue; // stays zero
      const s = off + row * src.rowStride;
      for (let d = 0; d < depth; d++) dst[base + d * R + r] = src.data[s + d * src.depthStride] * scale;
    }
  }
  return dst;
}

/** The inverse of packPanels: row-major [rows][depth]. */
export function unpackPanels(packed: ArrayLike<number>, rows: number, depth: number, R: number, offset = 0): Float32Array {
  const out = new Float32Array(rows * depth);
  for (let row = 0; row < rows; row++) {
    const base = offset + Math.floor(row / R) * depth * R + (row % R);
    for (let d = 0; d < depth; d++) out[row * depth + d] = packed[base + d * R];
  }
  return out;
}

/** B panels of a MatMul/Gemm weight: W[K][N] (transB false) or W[N][K] (transB true). */
export function packMatMulWeight(w: ArrayLike<number>, K: number, N: number, transB: boolean, scale = 1, offset = 0): Float32Array {
  const src: StridedSource = transB ? { data: w, offset, rowStride: K, depthStride: 1 } : { data: w, offset, rowStride: 1, depthStride: N };
  return packPanels(src, N, K, DENSE_NR, scale);
}

/** A panels of a constant left operand A[M][K] (transA false) or A[K][M] (transA true). */
export function packLeftWeight(a: ArrayLike<number>, M: number, K: number, transA: boolean, scale = 1, offset = 0): Float32Array {
  const src: StridedSource = transA ? { data: a, offset, rowStride: 1, depthStride: M } : { data: a, offset, rowStride: K, depthStride: 1 };
  return packPanels(src, M, K, DENSE_MR, scale);
}

/** A panels of Conv weights W[Cout][Cin/G][kh][kw], one [ceil(Cout_g/4)][Cin_g*kh*kw][4] block
 *  per group, back to back (the layout conv2d_f32 reads). */
export function packConvWeight(w: ArrayLike<number>, Cout: number, CinG: number, kh: number, kw: number, G: number): Float32Array {
  const Mg = Cout / G, K = CinG * kh * kw, per = packedLength(Mg, K, DENSE_MR);
  const out = new Float32Array(per * G);
  for (let g = 0; g < G; g++) packPanels({ data: w, offset: g * Mg * K, rowStride: K, depthStride: 1 }, Mg, K, DENSE_MR, 1, out, g * per);
  return out;
}

/** A panels of the transposed ConvTranspose weights W[Cin][Cout/G][kh][kw]: per group, row
 *  m = (co, dy, dx) (co local to the group), depth = ci local to the group (conv_transpose2d_f32). */
export function packConvTransposeWeight(w: ArrayLike<number>, Cin: number, CoutG: number, kh: number, kw: number, G: number): Float32Array {
  const Cg = Cin / G, Mg = CoutG * kh * kw, per = packedLength(Mg, Cg, DENSE_MR);
  const out = new Float32Array(per * G);
  // W[ci][m] with m = co*kh*kw + dy*kw + dx is row-major [Cin][Mg]: row m, depth ci
  for (let g = 0; g < G; g++) packPanels({ data: w, offset: g * Cg * Mg, rowStride: 1, depthStride: Mg }, Mg, Cg, DENSE_MR, 1, out, g * per);
  return out;
}

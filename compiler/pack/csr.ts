// Unstructured sparse packing (CSR-like) of constant weights with any zero pattern, read by
// assembly/gemm_csr.ts. The weight is seen as rows x K (rows = outputs, K = the reduction), the
// orientation of Conv's W[Cout][Cin*kh*kw] and of a MatMul weight transposed to W[N][K].
//
// Layout "csr" (one layout, two parametrisations). K is cut into nb = ceil(K / KB) blocks of KB;
// block-major, so that one K block of every row is one contiguous run of the stream:
//   ptr     i32 [nb * rows + 1]   cumulative count: the nonzeros of (block b, row r) are entries
//                                 ptr[b*rows + r] .. ptr[b*rows + r + 1] - 1
//   values  f32 [nnz]             the nonzeros, in increasing k within a (block, row)
//   offsets u16 [nnz]             (k - b*KB) * stride: the byte offset of the activation that
//                                 meets the weight, from the start of the block's activations
// The kernel adds one u16 to a pointer per nonzero, so (KB - 1) * stride must stay below 65536.
//   - many activation columns (GEMM, conv): KB = CSR_KC = 256, stride = CSR_NR * 4 = 64: the byte
//     offset of row k of a [kc][16] B panel (packed at run time, 16 KiB: stays in L1);
//   - one activation row (GEMV): KB = min(K, 16384), stride = 4: the byte offset of x[k] in the
//     block of x (64 KiB at most).
// Exact zeros are not stored; a row with no nonzeros in a block costs only its ptr entry.
// Bytes: 6 per nonzero + 4 per (block, row), against 4 per position for dense: the stream is
// smaller than dense above 1/3 sparsity.
import { SparsecError } from '../errors.js';
import type { NMSource } from './nm.js';

export interface CSRPacked {
  rows: number; K: number; KB: number; stride: number; nb: number;
  ptr: Int32Array; values: Float32Array; offsets: Uint16Array;
}

/** the K block and panel width of the GEMM and conv kernels (assembly/gemm_csr.ts) */
export const CSR_KC = 256;
export const CSR_NR = 16;
/** the largest K block of the GEMV layout: 16384 floats of x, byte offsets below 65536 */
export const CSR_GEMV_KB = 16384;

/** Packs a rows x K weight (element (r, k) at data[offset + r*rowStride + k*kStride]) with K
 *  blocks of KB and byte offsets k*stride, values multiplied by `scale` (Gemm's alpha). */
export function packCSR(src: NMSource, rows: number, K: number, KB: number, stride: number, scale = 1, layer = ''): CSRPacked {
  if ((KB - 1) * stride >= 65536) throw new SparsecError('E_MODEL', `CSR block of ${KB} x ${stride} bytes does not fit u16 offsets`, { node: layer });
  const off = src.offset ?? 0, nb = Math.max(1, Math.ceil(K / KB));
  let nnz = 0;
  for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) if (src.data[off + r * src.rowStride + k * src.kStride] !== 0) nnz++;
  const ptr = new Int32Array(nb * rows + 1), values = new Float32Array(nnz), offsets = new Uint16Array(nnz);
  let j = 0;
  for (let b = 0; b < nb; b++) {
    for (let r = 0; r < rows; r++) {
      ptr[b * rows + r] = j;
      for (let k = b * KB; k < Math.min(K, (b + 1) * KB); k++) {
        const v = src.data[off + r * src.rowStride + k * src.kStride];
        if (v === 0) continue;
        values[j] = v * scale;
        offsets[j++] = (k - b * KB) * stride;
      }
    }
  }
  ptr[nb * rows] = j;
  return { rows, K, KB, stride, nb, ptr, values, offsets };
}

/** The inverse of packCSR: row-major [rows][K] (the masked matrix, times scale). */
export function unpackCSR(pk: CSRPacked): Float32Array {
  const out = new Float32Array(pk.rows * pk.K);
  for (let b = 0; b < pk.nb; b++) {
    for (let r = 0; r < pk.rows; r++) {
      for (let j = pk.ptr[b * pk.rows + r]; j < pk.ptr[b * pk.rows + r + 1]; j++) out[r * pk.K + b * pk.KB + pk.offsets[j] / pk.stride] = pk.values[j];
    }
  }
  return out;
}

/** the GEMM/conv parametrisation: K blocks of CSR_KC, offsets into 16-column B panels */
export const packCSRRows = (src: NMSource, rows: number, K: number, scale = 1, layer = ''): CSRPacked =>
  packCSR(src, rows, K, CSR_KC, CSR_NR * 4, scale, layer);

/** the GEMV parametrisation: one K block up to 16384, offsets into x */
export const packCSRGemv = (src: NMSource, rows: number, K: number, scale = 1, layer = ''): CSRPacked =>
  packCSR(src, rows, K, Math.max(1, Math.min(K, CSR_GEMV_KB)), 4, scale, layer);

/** Conv weights W[Cout][Cin/G][kh][kw], one CSR matrix per group (Cout/G rows x Cin_g*kh*kw),
 *  concatenated: ptr entries of group g are offset by the nonzeros of the groups before it, so
 *  the kernel indexes group g's ptr at g * (nb * Cout/G) and reads values/offsets globally. */
export function packConvWeightCSR(w: ArrayLike<number>, Cout: number, CinG: number, kh: number, kw: number, G: number, layer = ''): CSRPacked {
  const Mg = Cout / G, K = CinG * kh * kw;
  const parts = Array.from({ length: G }, (_, g) => packCSRRows({ data: w, offset: g * Mg * K, rowStride: K, kStride: 1 }, Mg, K, 1, layer));
  const nnz = parts.reduce((s, p) => s + p.values.length, 0), per = parts[0].nb * Mg;
  const ptr = new Int32Array(G * per + 1), values = new Float32Array(nnz), offsets = new Uint16Array(nnz);
  let base = 0;
  parts.forEach((p, g) => {
    for (let i = 0; i < per; i++) ptr[g * per + i] = p.ptr[i] + base;
    values.set(p.values, base);
    offsets.set(p.offsets, base);
    base += p.values.length;
  });
  ptr[G * per] = base;
  return { rows: Cout, K, KB: CSR_KC, stride: CSR_NR * 4, nb: parts[0].nb, ptr, values, offsets };
}

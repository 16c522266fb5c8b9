// N:M packing (2:4, 4:8) of constant weights whose zeros form an N:M pattern along the GEMM
// reduction axis K: in every row, each group of M consecutive k holds at most N nonzeros.
//
// Layout "nm-rows" (many activation columns: convolutions, projections over a sequence), read by
// assembly/gemm_nm.ts. The weight is seen as rows x K (rows = output channels, K = reduction,
// the orientation of Conv's W[Cout][Cin*kh*kw] and of a MatMul weight transposed to W[N][K]).
// K is padded to Kp = ceil(K / M) * M; rows to a multiple of R (the kernel's row tile).
//   values  f32 [ceil(rows/R)][Kp/M][R][N]      the kept weights of group g of each row
//   offsets u8  [ceil(rows/R)][Kp/M][R][N]      (k % M) * NR * 4 >> shift: the byte offset of
//                                               the kept weight's k row inside the group's M
//                                               rows of a B panel NR floats wide ([kc][NR]),
//                                               shifted right so that it fits a byte
// shift = log2(M / 4): 0 for 2:4 (offsets 0, 64, 128, 192 at NR = 16), 1 for 4:8 (0, 32, ...
// 224; the kernel shifts them back). Kept weights are stored in increasing k within a group. A
// group with fewer than N nonzeros (exact zeros, padding rows, the padded tail of K) is filled
// with value 0 at offset 0: offset 0 is always a real k of the group (a group starts below K),
// so the kernel never reads a B row outside the block and never multiplies 0 by garbage
// (0 * NaN would poison the sum). With R = 2 and N/M = 1/2 a row tile holds Kp slots, and the
// K block [pc, pc + kc) (pc a multiple of M) is the contiguous slot range [pc, pc + kc) of each
// tile, so the kernel needs no repacking per block.
import { SparsecError } from '../errors.js';

export interface NMPattern { n: number; m: number }

export interface NMPacked {
  rows: number; K: number; Kp: number; n: number; m: number; R: number; NR: number;
  /** offsets are (k % m) * NR * 4 >> shift */
  shift: number;
  values: Float32Array;
  offsets: Uint8Array;
}

/** Element (row, k) of the logical rows x K weight: data[offset + row*rowStride + k*kStride]. */
export interface NMSource { data: ArrayLike<number>; offset?: number; rowStride: number; kStride: number }

/** The first group (row, group index, nonzeros) that breaks the N:M pattern, or null. */
/** A MatMul/Gemm weight W[K][N] (transB false) or W[N][K] (transB true) as N rows x K: the
 *  left operand of Yᵀ = Wᵀ·Xᵀ (the orientation of the N:M and csr kernels). */
export const matMulWeightSource = (w: ArrayLike<number>, K: number, N: number, transB: boolean): NMSource =>
  transB ? { data: w, rowStride: K, kStride: 1 } : { data: w, rowStride: 1, kStride: N };

export function findNMViolation(src: NMSource, rows: number, K: number, p: NMPattern): { row: number; group: number; nonzeros: number } | null {
  const off = src.offset ?? 0;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g * p.m < K; g++) {
      let nz = 0;
      for (let k = g * p.m; k < Math.min(K, (g + 1) * p.m); k++) if (src.data[off + r * src.rowStride + k * src.kStride] !== 0) nz++;
      if (nz > p.n) return { row: r, group: g, nonzeros: nz };
    }
  }
  return null;
}

/** Does the weight's zero pattern fit N:M along K? */
export const isNM = (src: NMSource, rows: number, K: number, p: NMPattern): boolean => findNMViolation(src, rows, K, p) === null;

/** fraction of zeros among rows x K */
export function zeroFraction(src: NMSource, rows: number, K: number): number {
  const off = src.offset ?? 0;
  let z = 0;
  for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) if (src.data[off + r * src.rowStride + k * src.kStride] === 0) z++;
  return rows * K ? z / (rows * K) : 0;
}

/** floats (and offsets) of a packed rows x K matrix */
export function nmPackedLength(rows: number, K: number, p: NMPattern, R: number): number {
  return Math.ceil(rows / R) * R * (Math.ceil(K / p.m) * p.n);
}

/** Packs a rows x K weight into the nm-rows layout. `layer` names the layer in the error raised
 *  when a group holds more than N nonzeros. */
export function packNM(src: NMSource, rows: number, K: number, p: NMPattern, R: number, NR: number, layer: string): NMPacked {
  const bad = findNMViolation(src, rows, K, p);
  if (bad) {
    throw new SparsecError('E_MODEL', `weight is not ${p.n}:${p.m} along its input dimension: row ${bad.row}, inputs ${bad.group * p.m}..${Math.min(K, (bad.group + 1) * p.m) - 1} hold ${bad.nonzeros} nonzeros (at most ${p.n})`, { node: layer });
  }
  const off = src.offset ?? 0, G = Math.ceil(K / p.m), len = nmPackedLength(rows, K, p, R);
  const shift = offsetShift(p);
  if (((p.m - 1) * NR * 4) >> shift > 255) throw new Error(`nm-rows: ${p.n}:${p.m} offsets of a ${NR}-wide panel do not fit a byte`);
  const values = new Float32Array(len), offsets = new Uint8Array(len);
  for (let t = 0; t * R < rows; t++) {
    for (let g = 0; g < G; g++) {
      for (let r = 0; r < R; r++) {
        const row = t * R + r, base = ((t * G + g) * R + r) * p.n;
        if (row >= rows) continue; // padding row: zeros at offset 0
        let j = 0;
        for (let k = g * p.m; k < Math.min(K, (g + 1) * p.m); k++) {
          const v = src.data[off + row * src.rowStride + k * src.kStride];
          if (v === 0) continue;
          values[base + j] = v;
          offsets[base + j] = ((k - g * p.m) * NR * 4) >> shift;
          j++;
        }
      }
    }
  }
  return { rows, K, Kp: G * p.m, n: p.n, m: p.m, R, NR, shift, values, offsets };
}

/** log2(M / 4): how far nm-rows offsets are shifted right to fit a byte */
export const offsetShift = (p: NMPattern): number => Math.max(0, Math.round(Math.log2(p.m / 4)));

/** The inverse of packNM: row-major [rows][K] (the masked matrix). */
export function unpackNM(pk: NMPacked): Float32Array {
  const { rows, K, n, m, R, NR } = pk, G = pk.Kp / m;
  const out = new Float32Array(rows * K);
  for (let row = 0; row < rows; row++) {
    const t = Math.floor(row / R), r = row % R;
    for (let g = 0; g < G; g++) {
      const base = ((t * G + g) * R + r) * n;
      for (let j = 0; j < n; j++) {
        const v = pk.values[base + j];
        if (v === 0) continue;
        out[row * K + g * m + (pk.offsets[base + j] << pk.shift) / (NR * 4)] += v;
      }
    }
  }
  return out;
}

/** the patterns of assembly/gemm_nm.ts, and its tile */
export const NM24 = { n: 2, m: 4 } as const;
export const NM48 = { n: 4, m: 8 } as const;
export const NM_R = 2;
export const NM_NR = 16;

/** Conv weights W[Cout][Cin/G][kh][kw] as N:M along Cin_g*kh*kw, one packed matrix per group,
 *  back to back (the layout conv2d_nm24_f32 / conv2d_nm48_f32 read). */
export function packConvWeightNM(w: ArrayLike<number>, Cout: number, CinG: number, kh: number, kw: number, G: number, layer: string, pattern: NMPattern = NM24): { values: Float32Array; offsets: Uint8Array } {
  const Mg = Cout / G, K = CinG * kh * kw, per = nmPackedLength(Mg, K, pattern, NM_R);
  const values = new Float32Array(per * G), offsets = new Uint8Array(per * G);
  for (let g = 0; g < G; g++) {
    const p = packNM({ data: w, offset: g * Mg * K, rowStride: K, kStride: 1 }, Mg, K, pattern, NM_R, NM_NR, layer);
    values.set(p.values, g * per);
    offsets.set(p.offsets, g * per);
  }
  return { values, offsets };
}

/** A MatMul/Gemm weight W[K][N] (transB false) or W[N][K] (transB true) as N rows x K, N:M
 *  along K, scaled by `scale` (Gemm's alpha): the left operand of Yᵀ = Wᵀ·Xᵀ. */
export function packMatMulWeightNM(w: ArrayLike<number>, K: number, N: number, transB: boolean, scale: number, layer: string, pattern: NMPattern = NM24): { values: Float32Array; offsets: Uint8Array } {
  const p = packNM(matMulWeightSource(w, K, N, transB), N, K, pattern, NM_R, NM_NR, layer);
  if (scale !== 1) for (let i = 0; i < p.values.length; i++) p.values[i] *= scale;
  return { values: p.values, offsets: p.offsets };
}

// Layout "nm-gemv" (batch-1 GEMV, 2:4 and 4:8), read by gemv_nm24_f32 / gemv_nm48_f32 in
// assembly/gemm_nm.ts: K in blocks of KB (a multiple of 32: min(256, ceil32(K)) for 2:4,
// min(128, ceil32(K)) for 4:8), K padded to Kp = a multiple of KB; block-major records
// [Kp/KB][rows] of [KB/8 u8 meta][KB/2 f32 values]. Meta byte u of a record covers k 8u..8u+7
// of the block: the index in gemvCombos(pattern) of the 4 positions whose weights the record
// holds, in k order (a chunk with fewer nonzeros takes the first combination that covers them,
// with value 0 for the filler).
//   2:4: 36 combinations, p0*6 + p1 with p0, p1 the kept pairs (NM_PAIRS) of the two groups
//   4:8: 70 combinations, the 4-subsets of 0..7 in lexicographic order
// Block-major so that the x table of one block (36 or 70 x 16 B per 8 k: 18 KiB for 2:4 at
// KB = 256, 17.5 KiB for 4:8 at KB = 128) stays in L1 while every row streams past it.
export const NM_PAIRS: [number, number][] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];

const COMBOS24: number[][] = NM_PAIRS.flatMap(([a, b]) => NM_PAIRS.map(([c, d]) => [a, b, 4 + c, 4 + d]));
const COMBOS48: number[][] = [];
for (let a = 0; a < 8; a++) for (let b = a + 1; b < 8; b++) for (let c = b + 1; c < 8; c++) for (let d = c + 1; d < 8; d++) COMBOS48.push([a, b, c, d]);

/** the kept positions within 8 k that each meta byte value stands for */
export const gemvCombos = (p: NMPattern): number[][] => (p.m === 8 ? COMBOS48 : COMBOS24);

/** [mask of the nonzeros within 8 k] -> the first combination that covers them (-1: none), so
 *  packing does one lookup per 8 k instead of a search through the 36 or 70 combinations */
const coverTable = (combos: number[][]): Int16Array => {
  const bits = combos.map((cb) => cb.reduce((s, j) => s | (1 << j), 0));
  return Int16Array.from({ length: 256 }, (_, mask) => bits.findIndex((b) => (b & mask) === mask));
};
const COVER24 = coverTable(COMBOS24), COVER48 = coverTable(COMBOS48);

export interface NMGemvPacked { rows: number; K: number; Kp: number; KB: number; n: number; m: number; records: Uint8Array }

export const gemvBlock = (K: number, p: NMPattern = NM24): number => Math.min(p.m === 8 ? 128 : 256, Math.max(32, Math.ceil(K / 32) * 32));

export function packNMGemv(src: NMSource, rows: number, K: number, layer: string, scale = 1, p: NMPattern = NM24): NMGemvPacked {
  if (!((p.n === 2 && p.m === 4) || (p.n === 4 && p.m === 8))) throw new Error(`nm-gemv: no layout for ${p.n}:${p.m}`);
  const bad = findNMViolation(src, rows, K, p);
  if (bad) throw new SparsecError('E_MODEL', `weight is not ${p.n}:${p.m} along its input dimension: row ${bad.row}, inputs ${bad.group * p.m}..${Math.min(K, bad.group * p.m + p.m) - 1} hold ${bad.nonzeros} nonzeros (at most ${p.n})`, { node: layer });
  const KB = gemvBlock(K, p), Kp = Math.ceil(K / KB) * KB, recBytes = KB / 8 + KB * 2, off = src.offset ?? 0;
  const combos = gemvCombos(p), cover = p.m === 8 ? COVER48 : COVER24;
  const records = new Uint8Array((Kp / KB) * rows * recBytes);
  const dv = new DataView(records.buffer);
  const at = (r: number, k: number) => (k < K ? src.data[off + r * src.rowStride + k * src.kStride] : 0);
  let o = 0;
  for (let kb = 0; kb < Kp; kb += KB) {
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < KB / 8; u++) {
        const k0 = kb + 8 * u;
        let mask = 0;
        for (let j = 0; j < 8; j++) if (at(r, k0 + j) !== 0) mask |= 1 << j;
        const c = cover[mask];
        records[o + u] = c;
        combos[c].forEach((j, t) => dv.setFloat32(o + KB / 8 + 16 * u + 4 * t, at(r, k0 + j) * scale, true));
      }
      o += recBytes;
    }
  }
  return { rows, K, Kp, KB, n: p.n, m: p.m, records };
}

/** The inverse of packNMGemv: row-major [rows][K]. */
export function unpackNMGemv(pk: NMGemvPacked): Float32Array {
  const { rows, K, Kp, KB, records } = pk, recBytes = KB / 8 + KB * 2, combos = gemvCombos(pk);
  const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const out = new Float32Array(rows * K);
  let o = 0;
  for (let kb = 0; kb < Kp; kb += KB) {
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < KB / 8; u++) {
        combos[records[o + u]].forEach((j, t) => {
          const v = dv.getFloat32(o + KB / 8 + 16 * u + 4 * t, true);
          if (v !== 0) out[r * K + kb + 8 * u + j] = v;
        });
      }
      o += recBytes;
    }
  }
  return out;
}

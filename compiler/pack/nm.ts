// N:M packing (2:4, 4:8) of constant weights whose zeros form an N:M pattern along the GEMM
// reduction axis K: in every row, each group of M consecutive k holds at most N nonzeros.
//
// Layout "nm-rows" (many activation columns: convolutions, projections over a sequence), read by
// assembly/gemm_nm.ts. The weight is seen as rows x K (rows = output channels, K = reduction,
// the orientation of Conv's W[Cout][Cin*kh*kw] and of a MatMul weight transposed to W[N][K]).
// K is padded to Kp = ceil(K / M) * M; rows to a multiple of R (the kernel's row tile).
//   values  f32 [ceil(rows/R)][Kp/M][R][N]      the kept weights of group g of each row
//   offsets u8  [ceil(rows/R)][Kp/M][R][N]      (k % M) * NR * 4: the byte offset of the kept
//                                               weight's k row inside the group's M rows of a
//                                               B panel NR floats wide ([kc][NR])
// Kept weights are stored in increasing k within a group. A group with fewer than N nonzeros
// (exact zeros, padding rows, the padded tail of K) is filled with value 0 at offset 0: offset 0
// is always a real k of the group (a group starts below K), so the kernel never reads a B row
// outside the block and never multiplies 0 by garbage (0 * NaN would poison the sum).
// A K block of KC (a multiple of M) rows is the contiguous slice [g0, g0 + KC/M) of each row
// tile, so the kernel needs no repacking per block. Offsets are pre-scaled so that the kernel
// adds one byte to a pointer per kept weight; with NR = 16 and M = 4 the largest is 192. For
// 4:8 the largest is 448 and needs u16 (offsets then come as a Uint16Array).
import { SparsecError } from '../errors.js';

export interface NMPattern { n: number; m: number }

export interface NMPacked {
  rows: number; K: number; Kp: number; n: number; m: number; R: number; NR: number;
  values: Float32Array;
  offsets: Uint8Array | Uint16Array;
}

/** Element (row, k) of the logical rows x K weight: data[offset + row*rowStride + k*kStride]. */
export interface NMSource { data: ArrayLike<number>; offset?: number; rowStride: number; kStride: number }

/** The first group (row, group index, nonzeros) that breaks the N:M pattern, or null. */
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
  const values = new Float32Array(len);
  const offsets = (p.m - 1) * NR * 4 < 256 ? new Uint8Array(len) : new Uint16Array(len);
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
          offsets[base + j] = (k - g * p.m) * NR * 4;
          j++;
        }
      }
    }
  }
  return { rows, K, Kp: G * p.m, n: p.n, m: p.m, R, NR, values, offsets };
}

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
        out[row * K + g * m + pk.offsets[base + j] / (NR * 4)] += v;
      }
    }
  }
  return out;
}

/** 2:4 tile of assembly/gemm_nm.ts */
export const NM24 = { n: 2, m: 4 } as const;
export const NM_R = 2;
export const NM_NR = 16;

/** Conv weights W[Cout][Cin/G][kh][kw] as 2:4 along Cin_g*kh*kw, one packed matrix per group,
 *  back to back (the layout conv2d_nm24_f32 reads). */
export function packConvWeightNM(w: ArrayLike<number>, Cout: number, CinG: number, kh: number, kw: number, G: number, layer: string): { values: Float32Array; offsets: Uint8Array } {
  const Mg = Cout / G, K = CinG * kh * kw, per = nmPackedLength(Mg, K, NM24, NM_R);
  const values = new Float32Array(per * G), offsets = new Uint8Array(per * G);
  for (let g = 0; g < G; g++) {
    const p = packNM({ data: w, offset: g * Mg * K, rowStride: K, kStride: 1 }, Mg, K, NM24, NM_R, NM_NR, layer);
    values.set(p.values, g * per);
    offsets.set(p.offsets, g * per);
  }
  return { values, offsets };
}

/** A MatMul/Gemm weight W[K][N] (transB false) or W[N][K] (transB true) as N rows x K, 2:4
 *  along K, scaled by `scale` (Gemm's alpha): the left operand of Yᵀ = Wᵀ·Xᵀ. */
export function packMatMulWeightNM(w: ArrayLike<number>, K: number, N: number, transB: boolean, scale: number, layer: string): { values: Float32Array; offsets: Uint8Array } {
  const src: NMSource = transB ? { data: w, rowStride: K, kStride: 1 } : { data: w, rowStride: 1, kStride: N };
  const p = packNM(src, N, K, NM24, NM_R, NM_NR, layer);
  if (scale !== 1) for (let i = 0; i < p.values.length; i++) p.values[i] *= scale;
  return { values: p.values, offsets: p.offsets as Uint8Array };
}

// Layout "nm-gemv" (batch-1 GEMV, 2:4 only), read by gemv_nm24_f32 in assembly/gemm_nm.ts:
// K in blocks of KB = min(256, ceil32(K)), K padded to Kp = a multiple of KB; block-major
// records [Kp/KB][rows] of [KB/8 u8 meta][KB/2 f32 values]. Meta byte u of a record covers the
// groups 2u and 2u+1 of the block: p0*6 + p1 with p the index of the kept pair in
// NM_PAIRS; the values are the pairs' weights in k order (a group with fewer than 2 nonzeros
// keeps a pair that includes them, with value 0 for the filler). Block-major so that the x table
// of one block (18 KiB at KB = 256) stays in L1 while every row streams past it.
export const NM_PAIRS: [number, number][] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];

export interface NMGemvPacked { rows: number; K: number; Kp: number; KB: number; records: Uint8Array }

export const gemvBlock = (K: number): number => Math.min(256, Math.max(32, Math.ceil(K / 32) * 32));

export function packNMGemv(src: NMSource, rows: number, K: number, layer: string, scale = 1): NMGemvPacked {
  const bad = findNMViolation(src, rows, K, NM24);
  if (bad) throw new SparsecError('E_MODEL', `weight is not 2:4 along its input dimension: row ${bad.row}, inputs ${bad.group * 4}..${Math.min(K, bad.group * 4 + 4) - 1} hold ${bad.nonzeros} nonzeros (at most 2)`, { node: layer });
  const KB = gemvBlock(K), Kp = Math.ceil(K / KB) * KB, recBytes = KB / 8 + KB * 2, off = src.offset ?? 0;
  const records = new Uint8Array((Kp / KB) * rows * recBytes);
  const dv = new DataView(records.buffer);
  const at = (r: number, k: number) => (k < K ? src.data[off + r * src.rowStride + k * src.kStride] : 0);
  let o = 0;
  for (let kb = 0; kb < Kp; kb += KB) {
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < KB / 8; u++) {
        let meta = 0;
        for (let h = 0; h < 2; h++) {
          const g0 = kb + 8 * u + 4 * h;
          const nz = [0, 1, 2, 3].filter((j) => at(r, g0 + j) !== 0);
          // fill up to a pair with the lowest unused positions (value 0)
          for (let j = 0; nz.length < 2; j++) if (!nz.includes(j)) nz.push(j);
          nz.sort((a, b) => a - b);
          const p = NM_PAIRS.findIndex(([a, b]) => a === nz[0] && b === nz[1]);
          meta = meta * 6 + p;
          dv.setFloat32(o + KB / 8 + 16 * u + 8 * h, at(r, g0 + nz[0]) * scale, true);
          dv.setFloat32(o + KB / 8 + 16 * u + 8 * h + 4, at(r, g0 + nz[1]) * scale, true);
        }
        records[o + u] = meta;
      }
      o += recBytes;
    }
  }
  return { rows, K, Kp, KB, records };
}

/** The inverse of packNMGemv: row-major [rows][K]. */
export function unpackNMGemv(pk: NMGemvPacked): Float32Array {
  const { rows, K, Kp, KB, records } = pk, recBytes = KB / 8 + KB * 2;
  const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const out = new Float32Array(rows * K);
  let o = 0;
  for (let kb = 0; kb < Kp; kb += KB) {
    for (let r = 0; r < rows; r++) {
      for (let u = 0; u < KB / 8; u++) {
        const m = records[o + u], ps = [Math.floor(m / 6), m % 6];
        for (let h = 0; h < 2; h++) {
          const [a, b] = NM_PAIRS[ps[h]], g0 = kb + 8 * u + 4 * h;
          const va = dv.getFloat32(o + KB / 8 + 16 * u + 8 * h, true), vb = dv.getFloat32(o + KB / 8 + 16 * u + 8 * h + 4, true);
          if (va !== 0) out[r * K + g0 + a] = va;
          if (vb !== 0) out[r * K + g0 + b] = vb;
        }
      }
      o += recBytes;
    }
  }
  return out;
}

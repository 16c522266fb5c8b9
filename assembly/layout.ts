// Data movement: one strided gather that serves Transpose, Slice (any steps), Expand, Tile and
// DepthToSpace/SpaceToDepth; a tiled 2-D transpose for the transposes that are matrix
// transposes after merging dims (NCHW<->NHWC, K^T); a 2-D block copy for Concat and Split;
// Gather and GatherElements with int32 indices; Pad in all four modes.
//
// Strided descriptor (Int32Array in the weights region), for an output written contiguously:
//   desc[0..5]  output dims, outermost first (padded with leading 1s)
//   desc[6..11] signed element strides of the input per output dim
// The caller passes x already offset to the first element read (Slice start, negative steps).
// None of these kernels is safe in place.
import { copyBytes } from './memcopy';

// @ts-ignore: decorator
@inline function stridedCopy<T>(x: usize, y: usize, desc: usize): void {
  const d0 = load<i32>(desc), d1 = load<i32>(desc, 4), d2 = load<i32>(desc, 8);
  const d3 = load<i32>(desc, 12), d4 = load<i32>(desc, 16), d5 = load<i32>(desc, 20);
  const s0 = load<i32>(desc, 24), s1 = load<i32>(desc, 28), s2 = load<i32>(desc, 32);
  const s3 = load<i32>(desc, 36), s4 = load<i32>(desc, 40), s5 = load<i32>(desc, 44);
  const sz = <isize>sizeof<T>();
  let yo = y;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          for (let i4 = 0; i4 < d4; i4++) {
            const xo = x + <usize>(<isize>(i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3 + i4 * s4) * sz);
            if (s5 == 1) {
              copyBytes(yo, xo, <usize>d5 * sizeof<T>());
            } else if (s5 == 0) {
              const v = load<T>(xo);
              for (let i5 = 0; i5 < d5; i5++) store<T>(yo + <usize>i5 * sizeof<T>(), v);
            } else {
              for (let i5 = 0; i5 < d5; i5++) store<T>(yo + <usize>i5 * sizeof<T>(), load<T>(xo + <usize>(<isize>(i5 * s5) * sz)));
            }
            yo += <usize>d5 * sizeof<T>();
          }
        }
      }
    }
  }
}

/** y (contiguous) = x read through a 6-D strided descriptor; 4-byte elements (float32, int32) */
export function strided_copy_32(x: usize, y: usize, desc: usize): void { stridedCopy<u32>(x, y, desc); }
/** the same for 1-byte elements (bool, uint8) */
export function strided_copy_8(x: usize, y: usize, desc: usize): void { stridedCopy<u8>(x, y, desc); }

// @ts-ignore: decorator
@inline function transposeTile(xb: usize, yb: usize, R: i32, C: i32, i0: i32, iEnd: i32, j0: i32, jEnd: i32): void {
  const rs = <usize>C << 2, ds = <usize>R << 2;
  let i = i0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= iEnd; i += 4) {
      let j = j0;
      for (; j + 4 <= jEnd; j += 4) {
        const src = xb + ((<usize>i * <usize>C + <usize>j) << 2);
        const r0 = v128.load(src), r1 = v128.load(src + rs), r2 = v128.load(src + 2 * rs), r3 = v128.load(src + 3 * rs);
        const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const dst = yb + ((<usize>j * <usize>R + <usize>i) << 2);
        v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
        v128.store(dst + ds, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
        v128.store(dst + 2 * ds, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
        v128.store(dst + 3 * ds, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
      }
      for (; j < jEnd; j++) {
        for (let r = i; r < i + 4; r++) {
          store<u32>(yb + ((<usize>j * <usize>R + <usize>r) << 2), load<u32>(xb + ((<usize>r * <usize>C + <usize>j) << 2)));
        }
      }
    }
  }
  for (; i < iEnd; i++) {
    for (let j = j0; j < jEnd; j++) {
      store<u32>(yb + ((<usize>j * <usize>R + <usize>i) << 2), load<u32>(xb + ((<usize>i * <usize>C + <usize>j) << 2)));
    }
  }
}

/** y[b, c, r] = x[b, r, c] for B matrices of R x C 4-byte elements: 4x4 register transposes
 *  inside tiles that stay in L1. A tile writes its output rows R*4 bytes apart; when that is a
 *  multiple of 2 KiB (R = 512), 32 of them fell into two L1 sets of 8 ways and the transpose ran
 *  5x slower than at R = 384. Those strides take 16 x 16 tiles, tile columns outer (8-row tiles
 *  at a multiple of 4 KiB, where 16 rows share one set); the others keep 32 x 32 tiles, tile
 *  rows outer, which were 10% faster there. */
export function transpose2d_32(x: usize, y: usize, B: i32, R: i32, C: i32): void {
  const mat = <usize>R * <usize>C << 2;
  const aliased = (R & 511) == 0, TJ = (R & 1023) == 0 ? 8 : 16;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * mat, yb = y + <usize>b * mat;
    if (aliased) {
      for (let j0 = 0; j0 < C; j0 += TJ) {
        for (let i0 = 0; i0 < R; i0 += 16) transposeTile(xb, yb, R, C, i0, min(i0 + 16, R), j0, min(j0 + TJ, C));
      }
    } else {
      for (let i0 = 0; i0 < R; i0 += 32) {
        for (let j0 = 0; j0 < C; j0 += 32) transposeTile(xb, yb, R, C, i0, min(i0 + 32, R), j0, min(j0 + 32, C));
      }
    }
  }
}

/** rows x rowBytes block copy between two strided layouts (Concat, Split, any dtype) */
export function copy2d(x: usize, y: usize, rows: i32, rowBytes: i32, xStride: i32, yStride: i32): void {
  for (let r = 0; r < rows; r++) {
    copyBytes(y + <usize>r * <usize>yStride, x + <usize>r * <usize>xStride, <usize>rowBytes);
  }
}

/** rows x rowBytes block fill with a repeated 4-byte pattern (a constant Concat operand such as
 *  tf2onnx's ConstantOfShape zero channels, without storing it in the weights) */
export function fill2d(y: usize, rows: i32, rowBytes: i32, yStride: i32, pattern: u32): void {
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>r * <usize>yStride;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const v = i32x4.splat(pattern);
      for (; i + 16 <= rowBytes; i += 16) v128.store(row + <usize>i, v);
    }
    for (; i + 4 <= rowBytes; i += 4) store<u32>(row + <usize>i, pattern);
    for (; i < rowBytes; i++) store<u8>(row + <usize>i, <u8>(pattern >>> ((i & 3) << 3)));
  }
}

/** Gather along an axis: y[o, j, :] = x[o, idx[j], :] with int32 indices (negative counts from
 *  the end; out-of-range indices are clamped rather than read out of bounds). Any dtype: the
 *  slice under one index is innerBytes long. */
export function gather(x: usize, idx: usize, y: usize, outer: i32, axisLen: i32, nIdx: i32, innerBytes: i32): void {
  const inBytes = <usize>axisLen * <usize>innerBytes;
  let yo = y;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * inBytes;
    for (let j = 0; j < nIdx; j++) {
      let k = load<i32>(idx + (<usize>j << 2));
      if (k < 0) k += axisLen;
      k = min(max(k, 0), axisLen - 1);
      const src = xo + <usize>k * <usize>innerBytes;
      if (innerBytes == 4) store<u32>(yo, load<u32>(src));
      else copyBytes(yo, src, <usize>innerBytes);
      yo += <usize>innerBytes;
    }
  }
}

/** GatherElements along an axis of 4-byte data: y[o, j, i] = x[o, idx[o, j, i], i] */
export function gather_elements_32(x: usize, idx: usize, y: usize, outer: i32, axisIn: i32, axisOut: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < axisOut; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (<usize>(o * axisOut + j) * <usize>inner + <usize>i) << 2;
        let k = load<i32>(idx + at);
        if (k < 0) k += axisIn;
        k = min(max(k, 0), axisIn - 1);
        store<u32>(y + at, load<u32>(x + ((<usize>(o * axisIn + k) * <usize>inner + <usize>i) << 2)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pad. desc: out dims[6], in dims[6], pads at the beginning[6] (negative = crop), all padded with
// leading (1, 1, 0). mode: 0 constant, 1 reflect, 2 edge, 3 wrap. value: the constant's bits.

/** input index for output index o along a dim of n inputs, or -1 when the constant applies */
// @ts-ignore: decorator
@inline function padIndex(o: i32, pb: i32, n: i32, mode: i32): i32 {
  let i = o - pb;
  if (i >= 0 && i < n) return i;
  if (mode == 0) return -1;
  if (mode == 2) return i < 0 ? 0 : n - 1;
  if (mode == 3) { i %= n; return i < 0 ? i + n : i; }
  if (n == 1) return 0;
  const period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i >= n ? period - i : i;
}

export function pad_32(x: usize, y: usize, desc: usize, mode: i32, value: u32): void {
  const o0 = load<i32>(desc), o1 = load<i32>(desc, 4), o2 = load<i32>(desc, 8), o3 = load<i32>(desc, 12), o4 = load<i32>(desc, 16), o5 = load<i32>(desc, 20);
  const n0 = load<i32>(desc, 24), n1 = load<i32>(desc, 28), n2 = load<i32>(desc, 32), n3 = load<i32>(desc, 36), n4 = load<i32>(desc, 40), n5 = load<i32>(desc, 44);
  const p0 = load<i32>(desc, 48), p1 = load<i32>(desc, 52), p2 = load<i32>(desc, 56), p3 = load<i32>(desc, 60), p4 = load<i32>(desc, 64), p5 = load<i32>(desc, 68);
  // the output columns that read the input row contiguously
  const jlo = min(max(p5, 0), o5), jhi = max(min(n5 + p5, o5), jlo);
  let yo = y;
  for (let a0 = 0; a0 < o0; a0++) {
    const i0 = padIndex(a0, p0, n0, mode);
    for (let a1 = 0; a1 < o1; a1++) {
      const i1 = padIndex(a1, p1, n1, mode);
      for (let a2 = 0; a2 < o2; a2++) {
        const i2 = padIndex(a2, p2, n2, mode);
        for (let a3 = 0; a3 < o3; a3++) {
          const i3 = padIndex(a3, p3, n3, mode);
          for (let a4 = 0; a4 < o4; a4++) {
            const i4 = padIndex(a4, p4, n4, mode);
            if ((i0 | i1 | i2 | i3 | i4) < 0) {
              for (let j = 0; j < o5; j++) store<u32>(yo + (<usize>j << 2), value);
            } else {
              const row = x + ((<usize>((((i0 * n1 + i1) * n2 + i2) * n3 + i3) * n4 + i4) * <usize>n5) << 2);
              for (let j = 0; j < jlo; j++) {
                const i = padIndex(j, p5, n5, mode);
                store<u32>(yo + (<usize>j << 2), i < 0 ? value : load<u32>(row + (<usize>i << 2)));
              }
              copyBytes(yo + (<usize>jlo << 2), row + (<usize>(jlo - p5) << 2), <usize>(jhi - jlo) << 2);
              for (let j = jhi; j < o5; j++) {
                const i = padIndex(j, p5, n5, mode);
                store<u32>(yo + (<usize>j << 2), i < 0 ? value : load<u32>(row + (<usize>i << 2)));
              }
            }
            yo += <usize>o5 << 2;
          }
        }
      }
    }
  }
}

/** Trilu over B matrices of R x C 4-byte elements: keep x[r, c] where c - r >= k (upper) or
 *  c - r <= k (lower), else 0. In place safe. */
export function trilu_32(x: usize, y: usize, B: i32, R: i32, C: i32, k: i32, upper: i32): void {
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < R; r++) {
      const off = (<usize>(b * R + r) * <usize>C) << 2;
      for (let c = 0; c < C; c++) {
        const keep = upper ? c - r >= k : c - r <= k;
        store<u32>(y + off + (<usize>c << 2), keep ? load<u32>(x + off + (<usize>c << 2)) : 0);
      }
    }
  }
}


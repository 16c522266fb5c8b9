// N:M sparse float32 GEMM: C[M,N] = W[M,K]·B[K,N] (+ per-row bias), then a fused activation,
// with W 2:4 or 4:8 along K, packed offline by compiler/pack/nm.ts (layout "nm-rows", R = 2,
// NR = 16): values f32 [ceil(M/2)][Kp/m][2][n], offsets u8 [ceil(M/2)][Kp/m][2][n], each offset
// (k % m) * 64 >> s (s = 0 for 2:4, 1 for 4:8), Kp = K rounded up to m. Unused slots hold value
// 0 at offset 0. A row tile holds Kp slots; K block [pc, pc + kc) is its slots [pc, pc + kc).
// B (activations) is packed per KC x NC block into 16-column panels of kc rows [kc][16], the
// panels NM_PS = 16 KiB apart whatever kc: the micro-kernels reach the second panel of a pair
// through a load's constant offset instead of a second address add per kept weight (with the
// integer ops competing for the ALU ports of the mul and add, 1.07-1.11x on every shape, Intel).
//
// Micro-kernels, one per pattern. Main: 1x32, one row of a 2-row tile against two adjacent
// 16-column panels (8 f32x4 accumulators): per kept weight one splat load of the value, 8 loads
// of the B row its offset selects (4 per panel) and 8 multiply-adds; 2:4 reads the row's 2
// offsets as one u16 per group of 4 k, 4:8 the row's 4 offsets as one u32 per group of 8 k. It
// replaced a 2x16 tile (one splat per 4 loads) that now covers a last single panel: 1.56-1.60x
// dense became 1.65-1.75x at 256³, 512³ and conv-as-GEMM (same-run A/B, docs/sparse.md).
// Each kept weight reads its own B row, so B loads are not shared between rows as in the dense
// 4x8 tile; on the Intel machine the mul and add ports bound the kernels, with every integer op
// (offset decoding, address adds, loop) taking a share of the same ports.
// Loop order: K in blocks of equal size (at most KC, a multiple of m: K = 576 runs as 3 x 192,
// not 256 + 256 + 64, whose short block pays a full C round trip for a quarter of the work);
// per K block and NC block, B panels are packed once; then per MC rows, per panel (16 KiB at
// kc = 256; two of them for 1x32), all row tiles of the block: the panels' random row reads hit
// L1 while the compact weight stream (20 B per 4 k and tile) comes from L2.
// Edge tiles: a last 17-20 columns (ViT's 17 tokens) run 2x20 (a row tile against a panel and
// the first 4 columns of the next: one pass over the weights, 5 loads per splat, 10
// accumulators; 1x20 for an odd last row; fewer than 4 real columns past 16 through staging), a last single panel runs the 2x16 micro-kernel,
// columns past the last full panel run 2x4 micro-kernels (one vector per row) on C directly,
// 1-3 leftover columns and an odd last row on a staging tile in scratch.
// Multiply-adds go through madd (./fma.ts): fused on the wasm-relaxed-simd target, where 4:8's
// 1x32 runs one half group per loop step (nmk48_1x32_fma: no spill), and 2:4 takes 80 columns
// (five panels) at a time as two 1x40 sweeps over the rows (nmk24_1x40a: panels 0, 1 and the
// first half of 2; nmk24_1x40b: the second half of 2, panels 3, 4): 10 accumulators, two more FMA
// chains than 1x32 and 10 FMAs per splat, 10 + 2 + 2 xmm registers, no spill. Each sweep's three
// panels stay in L1; alternating the halves per row tile (five panels, 80 KiB) ran 0.85x 1x32.
// Same-run A/B against 1x32 (FMA): conv-as-GEMM 1.06-1.07x, 512³ and 1024³ 1.02x, 256³ 1.01-1.03x.
// With separate mul and add (wasm-simd128) 1x40 ran 0.96x on 256³ and 1024³, so 1x32 stays there.
// The a/b pair differs only in its load offsets, which must be constants of the load instruction
// (an added constant costs an add per load in V8): two functions. The direct conv path's
// nmkd_1x40 (end of file) repeats their accumulator set-up and stores around its own loop: ten
// v128 values cannot leave an AssemblyScript helper other than through memory.
// V8 x64 (Node 20) gives wasm 15 xmm registers and never folds a load into vfmadd: every tile with
// more than 8 accumulators tried spilled (docs/sparse.md) except 1x40 above (10 accumulators, one
// splat and two B temporaries live: 14).
// Every micro-kernel has two call sites so binaryen does not inline it into the driver (inlined
// micro-kernels ran 2-3x slower in V8, perf.md).
// Scratch: [256 B staging][packed B block: ceil16(min(N, NM_NC))/16 panels of NM_PS bytes]
//   (+ conv2d_nm*_f32: a block of im2col rows, as conv2d_f32, which also holds the padded plane
//   of the conv path without im2col rows, see below; the direct path, at the end, lays its own
//   regions over both). gemm-blocking.ts mirrors it.
import { act_apply_f32, act_tile_f32 } from './activation';
import { conv_im2col_f32, conv_pad_plane_f32, conv_plane_koff, zero_f32 } from './conv';
import { madd } from './fma';
import { copyBytes } from './memcopy';

export const NM_MR: i32 = 2;
export const NM_NR: i32 = 16;
export const NM_KC: i32 = 256;
export const NM_MC: i32 = 128;
export const NM_NC: i32 = 512;
const TMP_BYTES: usize = 256;
/** bytes from one B panel to the next: NM_KC rows of 64 bytes whatever kc, so that the kernels
 *  reach the second panel of a pair through a load's constant offset (16384 in their code) */
export const NM_PS: usize = 16384;

const INIT_ZERO = 0;
const INIT_LOAD = 1;
const INIT_ROWBIAS = 2;

/** C[2][16] (row stride ldc bytes) = init + sum over `groups` groups of 4 k. a: values [g][2][2],
 *  ix: offsets [g][2][2], b: B panel [4*g][16]. bias: the tile's 2 row biases (INIT_ROWBIAS). */
function nmk24_2x16(groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
      c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32); c13 = v128.load(c + ldc, 48);
    } else if (init == INIT_ROWBIAS) {
      c00 = v128.load32_splat(bias); c01 = c00; c02 = c00; c03 = c00;
      c10 = v128.load32_splat(bias, 4); c11 = c10; c12 = c10; c13 = c10;
    }
    for (let g = 0; g < groups; g++) {
      const m = load<u32>(ix);
      const o0 = b + <usize>(m & 0xFF), o1 = b + <usize>((m >> 8) & 0xFF);
      const o2 = b + <usize>((m >> 16) & 0xFF), o3 = b + <usize>(m >> 24);
      const a0 = v128.load32_splat(a);
      c00 = madd(a0, v128.load(o0), c00); c01 = madd(a0, v128.load(o0, 16), c01);
      c02 = madd(a0, v128.load(o0, 32), c02); c03 = madd(a0, v128.load(o0, 48), c03);
      const a1 = v128.load32_splat(a, 4);
      c00 = madd(a1, v128.load(o1), c00); c01 = madd(a1, v128.load(o1, 16), c01);
      c02 = madd(a1, v128.load(o1, 32), c02); c03 = madd(a1, v128.load(o1, 48), c03);
      const a2 = v128.load32_splat(a, 8);
      c10 = madd(a2, v128.load(o2), c10); c11 = madd(a2, v128.load(o2, 16), c11);
      c12 = madd(a2, v128.load(o2, 32), c12); c13 = madd(a2, v128.load(o2, 48), c13);
      const a3 = v128.load32_splat(a, 12);
      c10 = madd(a3, v128.load(o3), c10); c11 = madd(a3, v128.load(o3, 16), c11);
      c12 = madd(a3, v128.load(o3, 32), c12); c13 = madd(a3, v128.load(o3, 48), c13);
      a += 16; ix += 4; b += 256;
    }
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
    v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32); v128.store(c + ldc, c13, 48);
  } else {
    nmk_scalar(4, 16, groups, a, ix, b, c, ldc, init, bias);
  }
}

/** C[1][32] (row r = 0 or 1 of a 2-row tile) = init + W_r·(two adjacent 16-column panels at b
 *  and b + NM_PS), 2:4: per kept weight one splat and 8 loads into 8 accumulators */
function nmk24_1x32(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
      c4 = v128.load(c, 64); c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112);
    } else if (init == INIT_ROWBIAS) {
      c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0; c6 = c0; c7 = c0;
    }
    a += <usize>r << 3; ix += <usize>r << 1;
    for (let g = 0; g < groups; g++) {
      const m = <u32>load<u16>(ix);
      const o0 = <usize>(m & 0xFF), o1 = <usize>(m >> 8);
      let w = v128.load32_splat(a);
      c0 = madd(w, v128.load(b + o0), c0); c1 = madd(w, v128.load(b + o0, 16), c1);
      c2 = madd(w, v128.load(b + o0, 32), c2); c3 = madd(w, v128.load(b + o0, 48), c3);
      c4 = madd(w, v128.load(b + o0, 16384), c4); c5 = madd(w, v128.load(b + o0, 16400), c5);
      c6 = madd(w, v128.load(b + o0, 16416), c6); c7 = madd(w, v128.load(b + o0, 16432), c7);
      w = v128.load32_splat(a, 4);
      c0 = madd(w, v128.load(b + o1), c0); c1 = madd(w, v128.load(b + o1, 16), c1);
      c2 = madd(w, v128.load(b + o1, 32), c2); c3 = madd(w, v128.load(b + o1, 48), c3);
      c4 = madd(w, v128.load(b + o1, 16384), c4); c5 = madd(w, v128.load(b + o1, 16400), c5);
      c6 = madd(w, v128.load(b + o1, 16416), c6); c7 = madd(w, v128.load(b + o1, 16432), c7);
      a += 16; ix += 4; b += 256;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112);
  }
}

/** C[1][40] (row r of a 2-row tile) = init + W_r·(columns 0-39 of the 16-column panels at b,
 *  b + NM_PS, b + 2*NM_PS: two whole panels and the first half of the third), 2:4: 10 f32x4
 *  accumulators, two more multiply-add chains than 1x32 to hide the FMA latency and 10 FMAs per
 *  splat; nmk24_1x40b takes the next 40 columns (the third panel's second half and two more). */
function nmk24_1x40a(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, init: i32, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
  if (init == INIT_LOAD) {
    c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48); c4 = v128.load(c, 64);
    c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112); c8 = v128.load(c, 128); c9 = v128.load(c, 144);
  } else if (init == INIT_ROWBIAS) {
    c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0; c6 = c0; c7 = c0; c8 = c0; c9 = c0;
  }
  a += <usize>r << 3; ix += <usize>r << 1;
  for (let g = 0; g < groups; g++) {
    const m = <u32>load<u16>(ix);
    const o0 = b + <usize>(m & 0xFF), o1 = b + <usize>(m >> 8);
    let w = v128.load32_splat(a);
    c0 = madd(w, v128.load(o0), c0); c1 = madd(w, v128.load(o0, 16), c1);
    c2 = madd(w, v128.load(o0, 32), c2); c3 = madd(w, v128.load(o0, 48), c3);
    c4 = madd(w, v128.load(o0, 16384), c4); c5 = madd(w, v128.load(o0, 16400), c5);
    c6 = madd(w, v128.load(o0, 16416), c6); c7 = madd(w, v128.load(o0, 16432), c7);
    c8 = madd(w, v128.load(o0, 32768), c8); c9 = madd(w, v128.load(o0, 32784), c9);
    w = v128.load32_splat(a, 4);
    c0 = madd(w, v128.load(o1), c0); c1 = madd(w, v128.load(o1, 16), c1);
    c2 = madd(w, v128.load(o1, 32), c2); c3 = madd(w, v128.load(o1, 48), c3);
    c4 = madd(w, v128.load(o1, 16384), c4); c5 = madd(w, v128.load(o1, 16400), c5);
    c6 = madd(w, v128.load(o1, 16416), c6); c7 = madd(w, v128.load(o1, 16432), c7);
    c8 = madd(w, v128.load(o1, 32768), c8); c9 = madd(w, v128.load(o1, 32784), c9);
    a += 16; ix += 4; b += 256;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48); v128.store(c, c4, 64);
  v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112); v128.store(c, c8, 128); v128.store(c, c9, 144);
}

/** nmk24_1x40a for columns 8-15 of the panel at b and the whole panels at b + NM_PS, b + 2*NM_PS */
function nmk24_1x40b(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, init: i32, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
  if (init == INIT_LOAD) {
    c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48); c4 = v128.load(c, 64);
    c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112); c8 = v128.load(c, 128); c9 = v128.load(c, 144);
  } else if (init == INIT_ROWBIAS) {
    c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0; c6 = c0; c7 = c0; c8 = c0; c9 = c0;
  }
  a += <usize>r << 3; ix += <usize>r << 1;
  for (let g = 0; g < groups; g++) {
    const m = <u32>load<u16>(ix);
    const o0 = b + <usize>(m & 0xFF), o1 = b + <usize>(m >> 8);
    let w = v128.load32_splat(a);
    c0 = madd(w, v128.load(o0, 32), c0); c1 = madd(w, v128.load(o0, 48), c1);
    c2 = madd(w, v128.load(o0, 16384), c2); c3 = madd(w, v128.load(o0, 16400), c3);
    c4 = madd(w, v128.load(o0, 16416), c4); c5 = madd(w, v128.load(o0, 16432), c5);
    c6 = madd(w, v128.load(o0, 32768), c6); c7 = madd(w, v128.load(o0, 32784), c7);
    c8 = madd(w, v128.load(o0, 32800), c8); c9 = madd(w, v128.load(o0, 32816), c9);
    w = v128.load32_splat(a, 4);
    c0 = madd(w, v128.load(o1, 32), c0); c1 = madd(w, v128.load(o1, 48), c1);
    c2 = madd(w, v128.load(o1, 16384), c2); c3 = madd(w, v128.load(o1, 16400), c3);
    c4 = madd(w, v128.load(o1, 16416), c4); c5 = madd(w, v128.load(o1, 16432), c5);
    c6 = madd(w, v128.load(o1, 32768), c6); c7 = madd(w, v128.load(o1, 32784), c7);
    c8 = madd(w, v128.load(o1, 32800), c8); c9 = madd(w, v128.load(o1, 32816), c9);
    a += 16; ix += 4; b += 256;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48); v128.store(c, c4, 64);
  v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112); v128.store(c, c8, 128); v128.store(c, c9, 144);
}

/** nmk48_1x32 for FMA builds: one loop step per half group (2 kept weights, as nmk24_1x32)
 *  instead of per group. A step over a whole group makes each accumulator's 4 multiply-adds one
 *  nested expression (binaryen), so its 4 B loads and the 4 splats are live at once: with the 8
 *  accumulators 16 vector registers, one more than V8 x64 gives wasm, and V8 kept an
 *  accumulator on the stack, a store and a reload in its FMA chain every group (read in
 *  `node --print-wasm-code`). Per half group: 12 registers. The halves' steps alternate (values
 *  8 / 24 bytes, offsets 2 / 6, B 0 / 512). Its own function: the same loop next to the
 *  whole-group loop in one function ran 0.6x (V8 then ordered all B loads first and spilled). */
function nmk48_1x32_fma(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
      c4 = v128.load(c, 64); c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112);
    } else if (init == INIT_ROWBIAS) {
      c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0; c6 = c0; c7 = c0;
    }
    a += <usize>r << 4; ix += <usize>r << 2;
    let da: usize = 8, dx: usize = 2, db: usize = 0;
    const halves = groups << 1;
    for (let h = 0; h < halves; h++) {
      const m = <u32>load<u16>(ix);
      const o0 = <usize>((m << 1) & 0x1C0), o1 = <usize>((m >> 7) & 0x1C0);
      let w = v128.load32_splat(a);
      c0 = madd(w, v128.load(b + o0), c0); c1 = madd(w, v128.load(b + o0, 16), c1);
      c2 = madd(w, v128.load(b + o0, 32), c2); c3 = madd(w, v128.load(b + o0, 48), c3);
      c4 = madd(w, v128.load(b + o0, 16384), c4); c5 = madd(w, v128.load(b + o0, 16400), c5);
      c6 = madd(w, v128.load(b + o0, 16416), c6); c7 = madd(w, v128.load(b + o0, 16432), c7);
      w = v128.load32_splat(a, 4);
      c0 = madd(w, v128.load(b + o1), c0); c1 = madd(w, v128.load(b + o1, 16), c1);
      c2 = madd(w, v128.load(b + o1, 32), c2); c3 = madd(w, v128.load(b + o1, 48), c3);
      c4 = madd(w, v128.load(b + o1, 16384), c4); c5 = madd(w, v128.load(b + o1, 16400), c5);
      c6 = madd(w, v128.load(b + o1, 16416), c6); c7 = madd(w, v128.load(b + o1, 16432), c7);
      a += da; ix += dx; b += db; da ^= 16; dx ^= 4; db ^= 512;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112);
  }
}

/** as nmk24_1x32 for 4:8: groups of 8 k, 4 kept per row (offsets halved, see nmk48_2x16) */
function nmk48_1x32(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
      c4 = v128.load(c, 64); c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112);
    } else if (init == INIT_ROWBIAS) {
      c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0; c6 = c0; c7 = c0;
    }
    a += <usize>r << 4; ix += <usize>r << 2;
    for (let g = 0; g < groups; g++) {
      const m = load<u32>(ix);
      const o0 = <usize>((m << 1) & 0x1C0), o1 = <usize>((m >> 7) & 0x1C0);
      const o2 = <usize>((m >> 15) & 0x1C0), o3 = <usize>((m >> 23) & 0x1C0);
      let w: v128;
      w = v128.load32_splat(a);
      c0 = madd(w, v128.load(b + o0), c0); c1 = madd(w, v128.load(b + o0, 16), c1);
      c2 = madd(w, v128.load(b + o0, 32), c2); c3 = madd(w, v128.load(b + o0, 48), c3);
      c4 = madd(w, v128.load(b + o0, 16384), c4); c5 = madd(w, v128.load(b + o0, 16400), c5);
      c6 = madd(w, v128.load(b + o0, 16416), c6); c7 = madd(w, v128.load(b + o0, 16432), c7);
      w = v128.load32_splat(a, 4);
      c0 = madd(w, v128.load(b + o1), c0); c1 = madd(w, v128.load(b + o1, 16), c1);
      c2 = madd(w, v128.load(b + o1, 32), c2); c3 = madd(w, v128.load(b + o1, 48), c3);
      c4 = madd(w, v128.load(b + o1, 16384), c4); c5 = madd(w, v128.load(b + o1, 16400), c5);
      c6 = madd(w, v128.load(b + o1, 16416), c6); c7 = madd(w, v128.load(b + o1, 16432), c7);
      w = v128.load32_splat(a, 8);
      c0 = madd(w, v128.load(b + o2), c0); c1 = madd(w, v128.load(b + o2, 16), c1);
      c2 = madd(w, v128.load(b + o2, 32), c2); c3 = madd(w, v128.load(b + o2, 48), c3);
      c4 = madd(w, v128.load(b + o2, 16384), c4); c5 = madd(w, v128.load(b + o2, 16400), c5);
      c6 = madd(w, v128.load(b + o2, 16416), c6); c7 = madd(w, v128.load(b + o2, 16432), c7);
      w = v128.load32_splat(a, 12);
      c0 = madd(w, v128.load(b + o3), c0); c1 = madd(w, v128.load(b + o3, 16), c1);
      c2 = madd(w, v128.load(b + o3, 32), c2); c3 = madd(w, v128.load(b + o3, 48), c3);
      c4 = madd(w, v128.load(b + o3, 16384), c4); c5 = madd(w, v128.load(b + o3, 16400), c5);
      c6 = madd(w, v128.load(b + o3, 16416), c6); c7 = madd(w, v128.load(b + o3, 16432), c7);
      a += 32; ix += 8; b += 512;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112);
  }
}

/** C[1][20] (row r = 0 or 1 of a 2-row tile) = init + W_r·(a 16-column panel at b and the first
 *  4 columns of the next panel at b + NM_PS), 2:4: a last 17-20 columns (ViT's 17 tokens) in one
 *  pass over the weights, per kept weight one splat and 5 loads into 5 accumulators. Columns
 *  0-15 go to c, 16-19 to c4 (C itself, or a staging row when fewer than 4 are real). */
function nmk24_1x20(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, c4: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0), c5 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48); c5 = v128.load(c4);
    } else if (init == INIT_ROWBIAS) {
      c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c5 = c0;
    }
    a += <usize>r << 3; ix += <usize>r << 1;
    for (let g = 0; g < groups; g++) {
      const m = <u32>load<u16>(ix);
      const o0 = <usize>(m & 0xFF), o1 = <usize>(m >> 8);
      let w = v128.load32_splat(a);
      c0 = madd(w, v128.load(b + o0), c0); c1 = madd(w, v128.load(b + o0, 16), c1);
      c2 = madd(w, v128.load(b + o0, 32), c2); c3 = madd(w, v128.load(b + o0, 48), c3);
      c5 = madd(w, v128.load(b + o0, 16384), c5);
      w = v128.load32_splat(a, 4);
      c0 = madd(w, v128.load(b + o1), c0); c1 = madd(w, v128.load(b + o1, 16), c1);
      c2 = madd(w, v128.load(b + o1, 32), c2); c3 = madd(w, v128.load(b + o1, 48), c3);
      c5 = madd(w, v128.load(b + o1, 16384), c5);
      a += 16; ix += 4; b += 256;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48); v128.store(c4, c5);
  }
}

/** C[2][20] = init + W·(a 16-column panel at b and the first 4 columns of the next at b + NM_PS),
 *  2:4, both rows of the tile in one loop (10 accumulators): columns 0-15 of row r at
 *  c + r*ldc, 16-19 at c4 + r*ldc4 */
function nmk24_2x20(groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, c4: usize, ldc4: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0), c04 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0), c14 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48); c04 = v128.load(c4);
      c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32); c13 = v128.load(c + ldc, 48); c14 = v128.load(c4 + ldc4);
    } else if (init == INIT_ROWBIAS) {
      c00 = v128.load32_splat(bias); c01 = c00; c02 = c00; c03 = c00; c04 = c00;
      c10 = v128.load32_splat(bias, 4); c11 = c10; c12 = c10; c13 = c10; c14 = c10;
    }
    for (let g = 0; g < groups; g++) {
      const m = load<u32>(ix);
      let o = <usize>(m & 0xFF);
      let w = v128.load32_splat(a);
      c00 = madd(w, v128.load(b + o), c00); c01 = madd(w, v128.load(b + o, 16), c01);
      c02 = madd(w, v128.load(b + o, 32), c02); c03 = madd(w, v128.load(b + o, 48), c03);
      c04 = madd(w, v128.load(b + o, 16384), c04);
      o = <usize>((m >> 8) & 0xFF);
      w = v128.load32_splat(a, 4);
      c00 = madd(w, v128.load(b + o), c00); c01 = madd(w, v128.load(b + o, 16), c01);
      c02 = madd(w, v128.load(b + o, 32), c02); c03 = madd(w, v128.load(b + o, 48), c03);
      c04 = madd(w, v128.load(b + o, 16384), c04);
      o = <usize>((m >> 16) & 0xFF);
      w = v128.load32_splat(a, 8);
      c10 = madd(w, v128.load(b + o), c10); c11 = madd(w, v128.load(b + o, 16), c11);
      c12 = madd(w, v128.load(b + o, 32), c12); c13 = madd(w, v128.load(b + o, 48), c13);
      c14 = madd(w, v128.load(b + o, 16384), c14);
      o = <usize>(m >> 24);
      w = v128.load32_splat(a, 12);
      c10 = madd(w, v128.load(b + o), c10); c11 = madd(w, v128.load(b + o, 16), c11);
      c12 = madd(w, v128.load(b + o, 32), c12); c13 = madd(w, v128.load(b + o, 48), c13);
      c14 = madd(w, v128.load(b + o, 16384), c14);
      a += 16; ix += 4; b += 256;
    }
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48); v128.store(c4, c04);
    v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32); v128.store(c + ldc, c13, 48); v128.store(c4 + ldc4, c14);
  }
}

/** as nmk24_2x20 for 4:8: groups of 8 k, 4 kept per row (offsets halved, see nmk48_2x16) */
function nmk48_2x20(groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, c4: usize, ldc4: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0), c04 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0), c14 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48); c04 = v128.load(c4);
      c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32); c13 = v128.load(c + ldc, 48); c14 = v128.load(c4 + ldc4);
    } else if (init == INIT_ROWBIAS) {
      c00 = v128.load32_splat(bias); c01 = c00; c02 = c00; c03 = c00; c04 = c00;
      c10 = v128.load32_splat(bias, 4); c11 = c10; c12 = c10; c13 = c10; c14 = c10;
    }
    for (let g = 0; g < groups; g++) {
      let m = load<u32>(ix);
      let o: usize, w: v128;
      o = <usize>((m << 1) & 0x1C0);
      w = v128.load32_splat(a, 0);
      c00 = madd(w, v128.load(b + o), c00); c01 = madd(w, v128.load(b + o, 16), c01);
      c02 = madd(w, v128.load(b + o, 32), c02); c03 = madd(w, v128.load(b + o, 48), c03);
      c04 = madd(w, v128.load(b + o, 16384), c04);
      o = <usize>((m >> 7) & 0x1C0);
      w = v128.load32_splat(a, 4);
      c00 = madd(w, v128.load(b + o), c00); c01 = madd(w, v128.load(b + o, 16), c01);
      c02 = madd(w, v128.load(b + o, 32), c02); c03 = madd(w, v128.load(b + o, 48), c03);
      c04 = madd(w, v128.load(b + o, 16384), c04);
      o = <usize>((m >> 15) & 0x1C0);
      w = v128.load32_splat(a, 8);
      c00 = madd(w, v128.load(b + o), c00); c01 = madd(w, v128.load(b + o, 16), c01);
      c02 = madd(w, v128.load(b + o, 32), c02); c03 = madd(w, v128.load(b + o, 48), c03);
      c04 = madd(w, v128.load(b + o, 16384), c04);
      o = <usize>((m >> 23) & 0x1C0);
      w = v128.load32_splat(a, 12);
      c00 = madd(w, v128.load(b + o), c00); c01 = madd(w, v128.load(b + o, 16), c01);
      c02 = madd(w, v128.load(b + o, 32), c02); c03 = madd(w, v128.load(b + o, 48), c03);
      c04 = madd(w, v128.load(b + o, 16384), c04);
      m = load<u32>(ix, 4);
      o = <usize>((m << 1) & 0x1C0);
      w = v128.load32_splat(a, 16);
      c10 = madd(w, v128.load(b + o), c10); c11 = madd(w, v128.load(b + o, 16), c11);
      c12 = madd(w, v128.load(b + o, 32), c12); c13 = madd(w, v128.load(b + o, 48), c13);
      c14 = madd(w, v128.load(b + o, 16384), c14);
      o = <usize>((m >> 7) & 0x1C0);
      w = v128.load32_splat(a, 20);
      c10 = madd(w, v128.load(b + o), c10); c11 = madd(w, v128.load(b + o, 16), c11);
      c12 = madd(w, v128.load(b + o, 32), c12); c13 = madd(w, v128.load(b + o, 48), c13);
      c14 = madd(w, v128.load(b + o, 16384), c14);
      o = <usize>((m >> 15) & 0x1C0);
      w = v128.load32_splat(a, 24);
      c10 = madd(w, v128.load(b + o), c10); c11 = madd(w, v128.load(b + o, 16), c11);
      c12 = madd(w, v128.load(b + o, 32), c12); c13 = madd(w, v128.load(b + o, 48), c13);
      c14 = madd(w, v128.load(b + o, 16384), c14);
      o = <usize>((m >> 23) & 0x1C0);
      w = v128.load32_splat(a, 28);
      c10 = madd(w, v128.load(b + o), c10); c11 = madd(w, v128.load(b + o, 16), c11);
      c12 = madd(w, v128.load(b + o, 32), c12); c13 = madd(w, v128.load(b + o, 48), c13);
      c14 = madd(w, v128.load(b + o, 16384), c14);
      a += 32; ix += 8; b += 512;
    }
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48); v128.store(c4, c04);
    v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32); v128.store(c + ldc, c13, 48); v128.store(c4 + ldc4, c14);
  }
}

/** as nmk24_1x20 for 4:8: groups of 8 k, 4 kept per row (offsets halved, see nmk48_2x16) */
function nmk48_1x20(r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, c4: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0), c5 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48); c5 = v128.load(c4);
    } else if (init == INIT_ROWBIAS) {
      c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c5 = c0;
    }
    a += <usize>r << 4; ix += <usize>r << 2;
    for (let g = 0; g < groups; g++) {
      const m = load<u32>(ix);
      const o0 = <usize>((m << 1) & 0x1C0), o1 = <usize>((m >> 7) & 0x1C0);
      const o2 = <usize>((m >> 15) & 0x1C0), o3 = <usize>((m >> 23) & 0x1C0);
      let w = v128.load32_splat(a);
      c0 = madd(w, v128.load(b + o0), c0); c1 = madd(w, v128.load(b + o0, 16), c1);
      c2 = madd(w, v128.load(b + o0, 32), c2); c3 = madd(w, v128.load(b + o0, 48), c3);
      c5 = madd(w, v128.load(b + o0, 16384), c5);
      w = v128.load32_splat(a, 4);
      c0 = madd(w, v128.load(b + o1), c0); c1 = madd(w, v128.load(b + o1, 16), c1);
      c2 = madd(w, v128.load(b + o1, 32), c2); c3 = madd(w, v128.load(b + o1, 48), c3);
      c5 = madd(w, v128.load(b + o1, 16384), c5);
      w = v128.load32_splat(a, 8);
      c0 = madd(w, v128.load(b + o2), c0); c1 = madd(w, v128.load(b + o2, 16), c1);
      c2 = madd(w, v128.load(b + o2, 32), c2); c3 = madd(w, v128.load(b + o2, 48), c3);
      c5 = madd(w, v128.load(b + o2, 16384), c5);
      w = v128.load32_splat(a, 12);
      c0 = madd(w, v128.load(b + o3), c0); c1 = madd(w, v128.load(b + o3, 16), c1);
      c2 = madd(w, v128.load(b + o3, 32), c2); c3 = madd(w, v128.load(b + o3, 48), c3);
      c5 = madd(w, v128.load(b + o3, 16384), c5);
      a += 32; ix += 8; b += 512;
    }
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48); v128.store(c4, c5);
  }
}

/** as nmk24_2x16 for 4:8: groups of 8 k, a: values [g][2][4], ix: offsets [g][2][4] (k % 8) * 32,
 *  b: B panel [8*g][16] */
function nmk48_2x16(groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
    if (init == INIT_LOAD) {
      c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
      c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32); c13 = v128.load(c + ldc, 48);
    } else if (init == INIT_ROWBIAS) {
      c00 = v128.load32_splat(bias); c01 = c00; c02 = c00; c03 = c00;
      c10 = v128.load32_splat(bias, 4); c11 = c10; c12 = c10; c13 = c10;
    }
    for (let g = 0; g < groups; g++) {
      // offsets are multiples of 32 below 256: doubled by shifting one bit less
      let m = load<u32>(ix);
      let o0 = b + <usize>((m << 1) & 0x1C0), o1 = b + <usize>((m >> 7) & 0x1C0);
      let o2 = b + <usize>((m >> 15) & 0x1C0), o3 = b + <usize>((m >> 23) & 0x1C0);
      let w = v128.load32_splat(a);
      c00 = madd(w, v128.load(o0), c00); c01 = madd(w, v128.load(o0, 16), c01);
      c02 = madd(w, v128.load(o0, 32), c02); c03 = madd(w, v128.load(o0, 48), c03);
      w = v128.load32_splat(a, 4);
      c00 = madd(w, v128.load(o1), c00); c01 = madd(w, v128.load(o1, 16), c01);
      c02 = madd(w, v128.load(o1, 32), c02); c03 = madd(w, v128.load(o1, 48), c03);
      w = v128.load32_splat(a, 8);
      c00 = madd(w, v128.load(o2), c00); c01 = madd(w, v128.load(o2, 16), c01);
      c02 = madd(w, v128.load(o2, 32), c02); c03 = madd(w, v128.load(o2, 48), c03);
      w = v128.load32_splat(a, 12);
      c00 = madd(w, v128.load(o3), c00); c01 = madd(w, v128.load(o3, 16), c01);
      c02 = madd(w, v128.load(o3, 32), c02); c03 = madd(w, v128.load(o3, 48), c03);
      m = load<u32>(ix, 4);
      o0 = b + <usize>((m << 1) & 0x1C0); o1 = b + <usize>((m >> 7) & 0x1C0);
      o2 = b + <usize>((m >> 15) & 0x1C0); o3 = b + <usize>((m >> 23) & 0x1C0);
      w = v128.load32_splat(a, 16);
      c10 = madd(w, v128.load(o0), c10); c11 = madd(w, v128.load(o0, 16), c11);
      c12 = madd(w, v128.load(o0, 32), c12); c13 = madd(w, v128.load(o0, 48), c13);
      w = v128.load32_splat(a, 20);
      c10 = madd(w, v128.load(o1), c10); c11 = madd(w, v128.load(o1, 16), c11);
      c12 = madd(w, v128.load(o1, 32), c12); c13 = madd(w, v128.load(o1, 48), c13);
      w = v128.load32_splat(a, 24);
      c10 = madd(w, v128.load(o2), c10); c11 = madd(w, v128.load(o2, 16), c11);
      c12 = madd(w, v128.load(o2, 32), c12); c13 = madd(w, v128.load(o2, 48), c13);
      w = v128.load32_splat(a, 28);
      c10 = madd(w, v128.load(o3), c10); c11 = madd(w, v128.load(o3, 16), c11);
      c12 = madd(w, v128.load(o3, 32), c12); c13 = madd(w, v128.load(o3, 48), c13);
      a += 32; ix += 8; b += 512;
    }
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
    v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32); v128.store(c + ldc, c13, 48);
  } else {
    nmk_scalar(8, 16, groups, a, ix, b, c, ldc, init, bias);
  }
}

/** C[2][4] = init + W·(the first 4 columns of the panel at b), 2:4 (as nmk24_2x16); two
 *  accumulators per row so that the adds of one group do not chain */
function nmk24_2x4(groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
    if (init == INIT_LOAD) { c0 = v128.load(c); c1 = v128.load(c + ldc); }
    else if (init == INIT_ROWBIAS) { c0 = v128.load32_splat(bias); c1 = v128.load32_splat(bias, 4); }
    for (let g = 0; g < groups; g++) {
      const m = load<u32>(ix);
      c0 = madd(v128.load32_splat(a), v128.load(b + <usize>(m & 0xFF)), c0);
      d0 = madd(v128.load32_splat(a, 4), v128.load(b + <usize>((m >> 8) & 0xFF)), d0);
      c1 = madd(v128.load32_splat(a, 8), v128.load(b + <usize>((m >> 16) & 0xFF)), c1);
      d1 = madd(v128.load32_splat(a, 12), v128.load(b + <usize>(m >> 24)), d1);
      a += 16; ix += 4; b += 256;
    }
    v128.store(c, f32x4.add(c0, d0)); v128.store(c + ldc, f32x4.add(c1, d1));
  } else {
    nmk_scalar(4, 4, groups, a, ix, b, c, ldc, init, bias);
  }
}

/** C[2][4] for 4:8 (as nmk48_2x16) */
function nmk48_2x4(groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
    if (init == INIT_LOAD) { c0 = v128.load(c); c1 = v128.load(c + ldc); }
    else if (init == INIT_ROWBIAS) { c0 = v128.load32_splat(bias); c1 = v128.load32_splat(bias, 4); }
    for (let g = 0; g < groups; g++) {
      let m = load<u32>(ix);
      c0 = madd(v128.load32_splat(a), v128.load(b + <usize>((m << 1) & 0x1C0)), c0);
      d0 = madd(v128.load32_splat(a, 4), v128.load(b + <usize>((m >> 7) & 0x1C0)), d0);
      c0 = madd(v128.load32_splat(a, 8), v128.load(b + <usize>((m >> 15) & 0x1C0)), c0);
      d0 = madd(v128.load32_splat(a, 12), v128.load(b + <usize>((m >> 23) & 0x1C0)), d0);
      m = load<u32>(ix, 4);
      c1 = madd(v128.load32_splat(a, 16), v128.load(b + <usize>((m << 1) & 0x1C0)), c1);
      d1 = madd(v128.load32_splat(a, 20), v128.load(b + <usize>((m >> 7) & 0x1C0)), d1);
      c1 = madd(v128.load32_splat(a, 24), v128.load(b + <usize>((m >> 15) & 0x1C0)), c1);
      d1 = madd(v128.load32_splat(a, 28), v128.load(b + <usize>((m >> 23) & 0x1C0)), d1);
      a += 32; ix += 8; b += 512;
    }
    v128.store(c, f32x4.add(c0, d0)); v128.store(c + ldc, f32x4.add(c1, d1));
  } else {
    nmk_scalar(8, 4, groups, a, ix, b, c, ldc, init, bias);
  }
}

/** the scalar body of the micro-kernels (wasm-mvp builds): C[2][cols], groups of m k (m = 4:
 *  2 kept per row, offsets as stored; m = 8: 4 kept per row, offsets doubled) */
function nmk_scalar(m: i32, cols: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  const n = m >> 1, shift = m == 8 ? 1 : 0, gstep = <usize>m << 6;
  for (let r = 0; r < 2; r++) {
    for (let q = 0; q < cols; q += 4) {
      const cp = c + <usize>r * ldc + (<usize>q << 2);
      let x0: f32 = 0, x1: f32 = 0, x2: f32 = 0, x3: f32 = 0;
      if (init == INIT_LOAD) { x0 = load<f32>(cp); x1 = load<f32>(cp, 4); x2 = load<f32>(cp, 8); x3 = load<f32>(cp, 12); }
      else if (init == INIT_ROWBIAS) { x0 = load<f32>(bias + (<usize>r << 2)); x1 = x0; x2 = x0; x3 = x0; }
      let ap = a + (<usize>(r * n) << 2), ip = ix + <usize>(r * n), bp = b + (<usize>q << 2);
      for (let g = 0; g < groups; g++) {
        for (let j = 0; j < n; j++) {
          const v = load<f32>(ap + (<usize>j << 2)), p = bp + (<usize>load<u8>(ip + <usize>j) << shift);
          x0 += v * load<f32>(p); x1 += v * load<f32>(p, 4); x2 += v * load<f32>(p, 8); x3 += v * load<f32>(p, 12);
        }
        ap += <usize>m << 2; ip += <usize>m; bp += gstep;
      }
      store<f32>(cp, x0); store<f32>(cp, x1, 4); store<f32>(cp, x2, 8); store<f32>(cp, x3, 12);
    }
  }
}

/** the 2x16 micro-kernel of pattern m */
@inline function nmk_2x16(m: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (m == 8) nmk48_2x16(groups, a, ix, b, c, ldc, init, bias);
  else nmk24_2x16(groups, a, ix, b, c, ldc, init, bias);
}

/** the 1x32 micro-kernel of pattern m (row r of the 2-row tile) */
@inline function nmk_1x32(m: i32, r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, init: i32, bias: usize): void {
  if (m == 8) { if (ASC_FEATURE_RELAXED_SIMD) nmk48_1x32_fma(r, groups, a, ix, b, c, init, bias); else nmk48_1x32(r, groups, a, ix, b, c, init, bias); }
  else nmk24_1x32(r, groups, a, ix, b, c, init, bias);
}

/** the 1x20 micro-kernel of pattern m (row r of the 2-row tile) */
@inline function nmk_1x20(m: i32, r: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, c4: usize, init: i32, bias: usize): void {
  if (m == 8) nmk48_1x20(r, groups, a, ix, b, c, c4, init, bias);
  else nmk24_1x20(r, groups, a, ix, b, c, c4, init, bias);
}

/** the 2x20 micro-kernel of pattern m */
@inline function nmk_2x20(m: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, c4: usize, ldc4: usize, init: i32, bias: usize): void {
  if (m == 8) nmk48_2x20(groups, a, ix, b, c, ldc, c4, ldc4, init, bias);
  else nmk24_2x20(groups, a, ix, b, c, ldc, c4, ldc4, init, bias);
}

/** the 2x4 micro-kernel of pattern m */
@inline function nmk_2x4(m: i32, groups: i32, a: usize, ix: usize, b: usize, c: usize, ldc: usize, init: i32, bias: usize): void {
  if (m == 8) nmk48_2x4(groups, a, ix, b, c, ldc, init, bias);
  else nmk24_2x4(groups, a, ix, b, c, ldc, init, bias);
}

/** packs B k [0,kc) x columns [0,nc) into 16-column panels [kc][16] ps bytes apart at dst
 *  (columns past nc zero). Element (k,n) of B is at b + (k*rs + n*cs)*4. */
export function nm_pack_panels(kc: i32, nc: i32, b: usize, rs: i32, cs: i32, dst: usize, ps: usize): void {
  const rsb = <usize>rs << 2, csb = <usize>cs << 2;
  for (let j = 0; j < nc; j += 16) {
    const cols = min(16, nc - j);
    const src = b + <usize>j * csb;
    let d = dst + <usize>(j >> 4) * ps;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      if (cols == 16 && cs == 1) {
        let s = src;
        for (; k < kc; k++) {
          v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
          v128.store(d, v128.load(s, 32), 32); v128.store(d, v128.load(s, 48), 48);
          s += rsb; d += 64;
        }
      } else if (cols == 16 && rs == 1) {
        // B stored transposed ([N][K], e.g. activations X[T][K] of a MatMul): 4x4 transposes
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          for (let q = 0; q < 4; q++) {
            const p = src + <usize>(q * 4) * csb + o;
            const r0 = v128.load(p), r1 = v128.load(p + csb), r2 = v128.load(p + 2 * csb), r3 = v128.load(p + 3 * csb);
            const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
            const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
            const dq = d + (<usize>q << 4);
            v128.store(dq, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
            v128.store(dq, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 64);
            v128.store(dq, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 128);
            v128.store(dq, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 192);
          }
          d += 256;
        }
      } else if (cols < 16) {
        // a narrow last panel (ViT's 17th token): zero the row with 4 stores, then its columns
        const z = f32x4.splat(0);
        for (; k < kc; k++) {
          const s = src + <usize>k * rsb;
          v128.store(d, z); v128.store(d, z, 16); v128.store(d, z, 32); v128.store(d, z, 48);
          for (let l = 0; l < cols; l++) store<f32>(d + (<usize>l << 2), load<f32>(s + <usize>l * csb));
          d += 64;
        }
      }
    }
    for (; k < kc; k++) {
      const s = src + <usize>k * rsb;
      for (let l = 0; l < 16; l++) store<f32>(d + (<usize>l << 2), l < cols ? load<f32>(s + <usize>l * csb) : 0);
      d += 64;
    }
  }
}

/** nm_pack_panels (NM_PS apart) for the GEMM's B: when B is row-major, its full panels 4 rows of B at a time
 *  (4 sequential source streams, 256 contiguous bytes into each panel). Panel by panel (64 bytes
 *  from each of kc rows 4-12 KiB apart) took 2.6x as long on conv-as-GEMM's 576x3136 B, which
 *  comes from L3/DRAM on every call (23% of the 2:4 GEMM's time, now about 9%). The conv path
 *  packs its fresh im2col rows (in L2) panel by panel, a few percent faster there. */
export function nm_pack_gemm_b(kc: i32, nc: i32, b: usize, rs: i32, cs: i32, dst: usize): void {
  if (!ASC_FEATURE_SIMD || cs != 1) { nm_pack_panels(kc, nc, b, rs, cs, dst, NM_PS); return; }
  const full = nc & ~15;
  nm_pack_rows16(kc, full, b, <usize>rs << 2, dst, NM_PS);
  if (full < nc) nm_pack_panels(kc, nc - full, b + (<usize>full << 2), rs, cs, dst + <usize>(full >> 4) * NM_PS, NM_PS);
}

function nm_pack_rows16(kc: i32, nc: i32, b: usize, rsb: usize, dst: usize, ps: usize): void {
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    let s = b + <usize>k * rsb, d = dst + (<usize>k << 6);
    for (let j = 0; j < nc; j += 16) {
      const s1 = s + rsb, s2 = s1 + rsb, s3 = s2 + rsb;
      v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
      v128.store(d, v128.load(s, 32), 32); v128.store(d, v128.load(s, 48), 48);
      v128.store(d, v128.load(s1), 64); v128.store(d, v128.load(s1, 16), 80);
      v128.store(d, v128.load(s1, 32), 96); v128.store(d, v128.load(s1, 48), 112);
      v128.store(d, v128.load(s2), 128); v128.store(d, v128.load(s2, 16), 144);
      v128.store(d, v128.load(s2, 32), 160); v128.store(d, v128.load(s2, 48), 176);
      v128.store(d, v128.load(s3), 192); v128.store(d, v128.load(s3, 16), 208);
      v128.store(d, v128.load(s3, 32), 224); v128.store(d, v128.load(s3, 48), 240);
      s += 64; d += ps;
    }
  }
  for (; k < kc; k++) {
    let s = b + <usize>k * rsb, d = dst + (<usize>k << 6);
    for (let j = 0; j < nc; j += 16) {
      v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
      v128.store(d, v128.load(s, 32), 32); v128.store(d, v128.load(s, 48), 48);
      s += 64; d += ps;
    }
  }
}

/** copies a rows x cols block of C (row stride ldcb bytes) into the staging tile (16 floats
 *  per row), or the row biases, or nothing (INIT_ZERO) */
function nm_stage_in(c: usize, ldcb: usize, rows: i32, cols: i32, init: i32, bias: usize, tmp: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      let v: f32 = 0;
      if (init == INIT_LOAD) v = load<f32>(c + <usize>r * ldcb + (<usize>j << 2));
      else if (init == INIT_ROWBIAS) v = load<f32>(bias + (<usize>r << 2));
      store<f32>(tmp + (<usize>(r * 16 + j) << 2), v);
    }
  }
}

function nm_stage_out(c: usize, ldcb: usize, rows: i32, cols: i32, tmp: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) store<f32>(c + <usize>r * ldcb + (<usize>j << 2), load<f32>(tmp + (<usize>(r * 16 + j) << 2)));
  }
}

/** one 1x40 sweep of 2:4 over mc rows (FMA builds): half 0 = nmk24_1x40a on the panels at b
 *  (columns 0-39 of five), half 1 = nmk24_1x40b with b at the third panel (columns 40-79) */
function nm_sweep_1x40(half: i32, mc: i32, groups: i32, wv: usize, wo: usize, tstride: usize, b: usize,
  c: usize, ldcb: usize, init: i32, bias: usize): void {
  for (let ir = 0; ir < mc; ir += 2) {
    const t = <usize>(ir >> 1) * tstride, a = wv + (t << 2), ix = wo + t;
    const cp = c + <usize>ir * ldcb, bb = bias + (<usize>ir << 2), two = ir + 1 < mc;
    if (half == 0) {
      nmk24_1x40a(0, groups, a, ix, b, cp, init, bb);
      if (two) nmk24_1x40a(1, groups, a, ix, b, cp + ldcb, init, bb + 4);
    } else {
      nmk24_1x40b(0, groups, a, ix, b, cp, init, bb);
      if (two) nmk24_1x40b(1, groups, a, ix, b, cp + ldcb, init, bb + 4);
    }
  }
}

/** C block [mc][nc] (row stride ldc elements) from the packed weights of its rows (wv, wo at the
 *  block's first slot; tiles tstride slots apart) and a packed B block (panels NM_PS bytes apart).
 *  m: 4 (2:4) or 8 (4:8); groups = ceil(kc/m). tmp: 128 bytes of staging for edge tiles. */
function nm_macro_f32(m: i32, mc: i32, nc: i32, groups: i32, wv: usize, wo: usize, tstride: usize, b: usize,
  c: usize, ldc: i32, init: i32, bias: usize, tmp: usize): void {
  const ldcb = <usize>ldc << 2;
  const sinit = init == INIT_ZERO ? INIT_ZERO : INIT_LOAD;
  for (let jr = 0; jr < nc; jr += 16) {
    const nr = min(16, nc - jr);
    const bp = b + <usize>(jr >> 4) * NM_PS;
    if (ASC_FEATURE_RELAXED_SIMD && m == 4 && nc - jr >= 80) {
      // five panels as two 40-column sweeps over the rows (each sweep's B in L1), one row per call
      const cp = c + (<usize>jr << 2);
      nm_sweep_1x40(0, mc, groups, wv, wo, tstride, bp, cp, ldcb, init, bias);
      nm_sweep_1x40(1, mc, groups, wv, wo, tstride, bp + 2 * NM_PS, cp + 160, ldcb, init, bias);
      jr += 64;
      continue;
    }
    if (ASC_FEATURE_SIMD && nc - jr >= 32) {
      // two panels at a time, one row per call
      for (let ir = 0; ir < mc; ir += 2) {
        const t = <usize>(ir >> 1) * tstride;
        const cp = c + <usize>ir * ldcb + (<usize>jr << 2), bb = bias + (<usize>ir << 2);
        nmk_1x32(m, 0, groups, wv + (t << 2), wo + t, bp, cp, init, bb);
        if (ir + 1 < mc) nmk_1x32(m, 1, groups, wv + (t << 2), wo + t, bp, cp + ldcb, init, bb + 4);
      }
      jr += 16;
      continue;
    }
    if (ASC_FEATURE_SIMD && nc - jr > 16 && nc - jr <= 20) {
      // a last 17-20 columns: one pass over the weights per row tile (2x20, 1x20 for an odd last
      // row) instead of a 2x16 pass and a 2x4 pass; the columns past 16 go through staging rows
      // when fewer than 4, staged in only for INIT_LOAD (with a row bias or zero the kernel does
      // not read them: ViT's 2:4 GEMMs 1.02x faster, same-run A/B)
      const rest = nc - jr - 16;
      for (let ir = 0; ir < mc; ir += 2) {
        const t = <usize>(ir >> 1) * tstride;
        const cp = c + <usize>ir * ldcb + (<usize>jr << 2), bb = bias + (<usize>ir << 2);
        if (ir + 1 >= mc) {
          // odd last row
          if (init == INIT_LOAD) nm_stage_in(cp + 64, ldcb, 1, rest, init, bb, tmp);
          nmk_1x20(m, 0, groups, wv + (t << 2), wo + t, bp, cp, tmp, init, bb);
          nm_stage_out(cp + 64, ldcb, 1, rest, tmp);
        } else if (rest == 4) {
          nmk_2x20(m, groups, wv + (t << 2), wo + t, bp, cp, ldcb, cp + 64, ldcb, init, bb);
        } else {
          if (init == INIT_LOAD) nm_stage_in(cp + 64, ldcb, 2, rest, init, bb, tmp);
          nmk_2x20(m, groups, wv + (t << 2), wo + t, bp, cp, ldcb, tmp, 64, init, bb);
          nm_stage_out(cp + 64, ldcb, 2, rest, tmp);
        }
      }
      break;
    }
    for (let ir = 0; ir < mc; ir += 2) {
      const mr = min(2, mc - ir);
      const t = <usize>(ir >> 1) * tstride;
      const a = wv + (t << 2), ix = wo + t;
      const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
      const bb = bias + (<usize>ir << 2);
      if (mr == 2 && nr == 16) {
        nmk_2x16(m, groups, a, ix, bp, cp, ldcb, init, bb);
      } else if (mr == 2) {
        // narrow last panel: 4 columns at a time, leftover columns staged
        let q = 0;
        for (; q + 4 <= nr; q += 4) nmk_2x4(m, groups, a, ix, bp + (<usize>q << 2), cp + (<usize>q << 2), ldcb, init, bb);
        if (q < nr) {
          // staged in only for INIT_LOAD: the kernel reads the biases itself, and zero needs nothing
          if (init == INIT_LOAD) nm_stage_in(cp + (<usize>q << 2), ldcb, 2, nr - q, init, bb, tmp);
          nmk_2x4(m, groups, a, ix, bp + (<usize>q << 2), tmp, 64, init, bb);
          nm_stage_out(cp + (<usize>q << 2), ldcb, 2, nr - q, tmp);
        }
      } else {
        // odd last row: the tile's second row is padding
        nm_stage_in(cp, ldcb, mr, nr, init, bb, tmp);
        nmk_2x16(m, groups, a, ix, bp, tmp, 64, sinit, 0);
        nm_stage_out(cp, ldcb, mr, nr, tmp);
      }
    }
  }
}

@inline function ceilTo(x: i32, m: i32): i32 { return (x + m - 1) / m * m; }
@inline function ceil16(x: i32): i32 { return (x + 15) & ~15; }

/** the K block size: K split into equal blocks of at most NM_KC, rounded up to m */
@inline function nm_kc(K: i32, m: i32): i32 {
  const nb = (K + NM_KC - 1) / NM_KC;
  return ceilTo((K + nb - 1) / nb, m);
}

/** C = W·B (+ bias, act) with W 2:4 packed (wv values, wo offsets; layout in the header), B read
 *  through strides: element (k,n) at b + (k*b_rs + n*b_cs)*4. C row-major, leading dim ldc.
 *  bias: M floats (one per row of C) or 0. */
export function gemm_nm24_f32(M: i32, N: i32, K: i32, wv: usize, wo: usize,
  b: usize, b_rs: i32, b_cs: i32, c: usize, ldc: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  nm_gemm(4, M, N, K, wv, wo, b, b_rs, b_cs, c, ldc, bias, act, alpha, beta, scratch);
}

/** as gemm_nm24_f32 with W 4:8 */
export function gemm_nm48_f32(M: i32, N: i32, K: i32, wv: usize, wo: usize,
  b: usize, b_rs: i32, b_cs: i32, c: usize, ldc: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  nm_gemm(8, M, N, K, wv, wo, b, b_rs, b_cs, c, ldc, bias, act, alpha, beta, scratch);
}

function nm_gemm(m: i32, M: i32, N: i32, K: i32, wv: usize, wo: usize,
  b: usize, b_rs: i32, b_cs: i32, c: usize, ldc: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { nm_bias_only(M, N, c, ldc, bias, act, alpha, beta); return; }
  const tstride = <usize>ceilTo(K, m); // slots per 2-row tile
  const bblk = scratch + TMP_BYTES, kcs = nm_kc(K, m);
  for (let jc = 0; jc < N; jc += NM_NC) {
    const nc = min(NM_NC, N - jc);
    for (let pc = 0; pc < K; pc += kcs) {
      const kc = min(kcs, K - pc);
      const init = pc > 0 ? INIT_LOAD : bias != 0 ? INIT_ROWBIAS : INIT_ZERO;
      nm_pack_gemm_b(kc, nc, b + (<usize>(pc * b_rs + jc * b_cs) << 2), b_rs, b_cs, bblk);
      for (let ic = 0; ic < M; ic += NM_MC) {
        const mc = min(NM_MC, M - ic);
        const t0 = <usize>(ic >> 1) * tstride + <usize>pc;
        nm_macro_f32(m, mc, nc, (kc + m - 1) / m, wv + (t0 << 2), wo + t0, tstride, bblk,
          c + (<usize>(ic * ldc + jc) << 2), ldc, init, bias + (<usize>ic << 2), scratch);
        if (act != 0 && pc + kc >= K) act_tile_f32(c + (<usize>(ic * ldc + jc) << 2), ldc, mc, nc, act, alpha, beta);
      }
    }
  }
}

function nm_bias_only(M: i32, N: i32, c: usize, ldc: i32, bias: usize, act: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < M; i++) {
    const v: f32 = bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0;
    for (let j = 0; j < N; j++) store<f32>(c + (<usize>(i * ldc + j) << 2), v);
  }
  act_tile_f32(c, ldc, M, N, act, alpha, beta);
}

/** Conv as W·im2col(X) with W 2:4 packed per group (wv, wo: groups back to back, each
 *  ceil(Cout_g/2)*2 x ceil4(Cin_g*kh*kw)/2 slots), otherwise as conv2d_f32 (assembly/conv.ts):
 *  NCHW, batch and groups looped, im2col blocked with the GEMM, 1x1 stride-1 unpadded convs
 *  packed straight from the input, convs with stride 1 along the width from a padded plane
 *  (conv_pad_plane_f32, assembly/conv.ts) a pair of panels at a time, or, with FMA at stride 1,
 *  with no panels at all (nm_conv_direct, at the end). bias: Cout floats or 0. */
export function conv2d_nm24_f32(x: usize, N: i32, C: i32, H: i32, W: i32,
  wv: usize, wo: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  nm_conv(4, x, N, C, H, W, wv, wo, y, Cout, Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw, G, bias, act, alpha, beta, scratch);
}

/** as conv2d_nm24_f32 with W 4:8 (groups of ceil(Cout_g/2)*2 x ceil8(Cin_g*kh*kw)/2 slots) */
export function conv2d_nm48_f32(x: usize, N: i32, C: i32, H: i32, W: i32,
  wv: usize, wo: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  nm_conv(8, x, N, C, H, W, wv, wo, y, Cout, Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw, G, bias, act, alpha, beta, scratch);
}

function nm_conv(m: i32, x: usize, N: i32, C: i32, H: i32, W: i32,
  wv: usize, wo: usize, y: usize, Cout: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: i32,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  const Cg = C / G, Mg = Cout / G, K = Cg * kh * kw, P = Ho * Wo;
  if (Mg <= 0 || P <= 0) return;
  const pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && Ho == H && Wo == W;
  const tstride = <usize>ceilTo(K, m); // slots per 2-row tile
  const slots = <usize>((Mg + 1) >> 1) * tstride; // per group
  const bblk = scratch + TMP_BYTES, kcs = nm_kc(K, m);
  const ldr = min(P, NM_NC) + 16;
  const rows = bblk + <usize>(min(ceil16(P), NM_NC) >> 4) * NM_PS;
  // the padded-plane path (below): stride 1 along the width, its plane inside the rows region
  const fused = ASC_FEATURE_SIMD && sw == 1;
  const ksz = kh * kw, Wp = Wo + (kw - 1) * dw, room = (<usize>min(K, NM_KC) * <usize>ldr) << 2;
  // with FMA at stride 1: straight from the plane when its blocks fit the scratch (below; its
  // plane rows share one pad: Ws = W + max(left pad, right pad) floats apart, at least Wo)
  const Ws = max(W + max(pl, Wp - W - pl), Wo);
  const R = ASC_FEATURE_RELAXED_SIMD && sh == 1 && sw == 1 && !pointwise
    ? nm_direct_rows(Mg, K, kcs, ksz, kh, kw, dh, dw, Ho, Wo, Ws, rows + room - bblk) : 0;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xg = x + (<usize>(n * C + g * Cg) * <usize>(H * W) << 2);
      const yg = y + (<usize>(n * Cout + g * Mg) * <usize>P << 2);
      const wvg = wv + (<usize>g * slots << 2), wog = wo + <usize>g * slots;
      const bg = bias != 0 ? bias + (<usize>(g * Mg) << 2) : 0;
      if (pointwise) {
        nm_gemm(m, Mg, P, K, wvg, wog, xg, P, 1, yg, P, bg, act, alpha, beta, scratch);
        continue;
      }
      if (ASC_FEATURE_RELAXED_SIMD && R > 0) { // (the flag again: no direct-path code in other builds)
        nm_conv_direct(m, R, Mg, K, kcs, tstride, xg, H, W, kh, kw, dh, dw, pt, pl, Ho, Wo, Ws, wvg, wog, yg, bg, act, alpha, beta, bblk);
        continue;
      }
      for (let jc = 0; jc < P; jc += NM_NC) {
        const nc = min(NM_NC, P - jc);
        const oy0 = jc / Wo, rowsIn = ((jc + nc - 1) / Wo - oy0) * sh + (kh - 1) * dh + 1;
        for (let pc = 0; pc < K; pc += kcs) {
          const kc = min(kcs, K - pc);
          const init = pc > 0 ? INIT_LOAD : bg != 0 ? INIT_ROWBIAS : INIT_ZERO;
          const ch0 = pc / ksz, nch = (pc + kc - 1) / ksz - ch0 + 1;
          const planeB = (<usize>(nch * rowsIn) * <usize>Wp) << 2;
          if (fused && planeB + (<usize>kc << 2) + 32 * 12 <= room) {
            // B from a padded plane of the block's input rows, a pair of panels at a time
            const koff = rows + planeB, pieces = koff + (<usize>kc << 2);
            conv_pad_plane_f32(xg + (<usize>(ch0 * H) * <usize>W << 2), nch, H, W, oy0 * sh - pt, rowsIn, pl, Wp, rows);
            conv_plane_koff(pc, kc, ksz, kw, dh, dw, ch0, rowsIn, Wp, koff);
            const groups = (kc + m - 1) / m;
            for (let jr = 0; jr < nc;) {
              const yj = yg + (<usize>(jc + jr) << 2);
              if (ASC_FEATURE_RELAXED_SIMD && m == 4 && nc - jr >= 96) {
                // 2:4 with FMA: 80 columns as nm_macro_f32's two 1x40 sweeps, each right after
                // the panels it reads are built, the ones it reads first built last
                nm_conv_pair(kc, jc + jr + 32, 32, Wo, oy0, sh, Wp, rows, koff, pieces, bblk + 2 * NM_PS);
                nm_conv_pair(kc, jc + jr, 32, Wo, oy0, sh, Wp, rows, koff, pieces, bblk);
                for (let ic = 0; ic < Mg; ic += NM_MC) {
                  const t0 = <usize>(ic >> 1) * tstride + <usize>pc;
                  nm_sweep_1x40(0, min(NM_MC, Mg - ic), groups, wvg + (t0 << 2), wog + t0, tstride, bblk,
                    yj + (<usize>(ic * P) << 2), <usize>P << 2, init, bg + (<usize>ic << 2));
                }
                nm_conv_pair(kc, jc + jr + 64, 32, Wo, oy0, sh, Wp, rows, koff, pieces, bblk + 4 * NM_PS);
                for (let ic = 0; ic < Mg; ic += NM_MC) {
                  const t0 = <usize>(ic >> 1) * tstride + <usize>pc;
                  nm_sweep_1x40(1, min(NM_MC, Mg - ic), groups, wvg + (t0 << 2), wog + t0, tstride, bblk + 2 * NM_PS,
                    yj + (<usize>(ic * P) << 2) + 160, <usize>P << 2, init, bg + (<usize>ic << 2));
                }
                jr += 80;
                continue;
              }
              const w = min(32, nc - jr);
              nm_conv_pair(kc, jc + jr, w, Wo, oy0, sh, Wp, rows, koff, pieces, bblk);
              for (let ic = 0; ic < Mg; ic += NM_MC) {
                const t0 = <usize>(ic >> 1) * tstride + <usize>pc;
                nm_macro_f32(m, min(NM_MC, Mg - ic), w, groups, wvg + (t0 << 2), wog + t0, tstride, bblk,
                  yj + (<usize>(ic * P) << 2), P, init, bg + (<usize>ic << 2), scratch);
              }
              jr += w;
            }
            if (act != 0 && pc + kc >= K) act_tile_f32(yg + (<usize>jc << 2), P, Mg, nc, act, alpha, beta);
            continue;
          }
          conv_im2col_f32(xg, H, W, kh, kw, sh, sw, pt, pl, dh, dw, Wo, pc, kc, jc, nc, rows, ldr);
          nm_pack_panels(kc, nc, rows, ldr, 1, bblk, NM_PS);
          for (let ic = 0; ic < Mg; ic += NM_MC) {
            const mc = min(NM_MC, Mg - ic);
            const t0 = <usize>(ic >> 1) * tstride + <usize>pc;
            nm_macro_f32(m, mc, nc, (kc + m - 1) / m, wvg + (t0 << 2), wog + t0, tstride, bblk,
              yg + (<usize>(ic * P + jc) << 2), P, init, bg + (<usize>ic << 2), scratch);
            if (act != 0 && pc + kc >= K) act_tile_f32(yg + (<usize>(ic * P + jc) << 2), P, mc, nc, act, alpha, beta);
          }
        }
      }
    }
  }
}


// ---------------------------------------------------------------- batch-1 GEMV (decode steps)
// y[M] = W[M,K]·x[K] (+ bias, act) with W 2:4 in the "nm-gemv" layout of compiler/pack/nm.ts:
// K in blocks of KB (a multiple of 32, at most 256; K padded to a multiple of KB), block-major:
// [K/KB][M] records of [KB/8 u8 meta][KB/2 f32 values], meta = p0*6 + p1 for the kept pairs of
// two consecutive groups (pair ids 0..5 = (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)), values in k order.
// Per block, x is copied zero-padded to scratch and expanded into a table with one v128 per
// pair of groups and combination (36 x 16 B per 8 k, 18 KiB for KB = 256: stays in L1), so one
// table load gives the 4 x values that meet a vector of 4 kept weights (perf.md: 1.5x dense from
// DRAM once the table fits L1). Rows go 4 at a time, a quarter of M apart (4 record streams).
// Scratch: KB floats + KB/8 * 576 bytes (gemm-blocking.ts).

function nm_expand_x36(n8: i32, x: usize, xe: usize): void {
  for (let g = 0; g < n8; g++) {
    const x0 = v128.load(x + (<usize>g << 5)), x1 = v128.load(x + (<usize>g << 5), 16);
    const d = xe + <usize>g * 576;
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 4, 5), 0);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 4, 6), 16);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 4, 7), 32);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 5, 6), 48);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 5, 7), 64);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 6, 7), 80);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 4, 5), 96);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 4, 6), 112);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 4, 7), 128);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 5, 6), 144);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 5, 7), 160);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 6, 7), 176);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 4, 5), 192);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 4, 6), 208);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 4, 7), 224);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 5, 6), 240);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 5, 7), 256);
      v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 6, 7), 272);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 4, 5), 288);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 4, 6), 304);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 4, 7), 320);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 5, 6), 336);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 5, 7), 352);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 6, 7), 368);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 4, 5), 384);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 4, 6), 400);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 4, 7), 416);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 5, 6), 432);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 5, 7), 448);
      v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 6, 7), 464);
      v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 4, 5), 480);
      v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 4, 6), 496);
      v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 4, 7), 512);
      v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 5, 6), 528);
      v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 5, 7), 544);
      v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 6, 7), 560);
  }
}

/** The dot products of 4 rows' records (r0..r3: each [meta][values] of one K block) with the x
 *  table, as the 4 lanes of a vector. ts: table bytes per 8 k (576 for 2:4, 1120 for 4:8).
 *  The caller takes the 4 rows a quarter of M apart: 4 record streams read at once keep more
 *  DRAM requests in flight than one (as gemv_f32's 4 streams). */
function nm_gemv4(n8: i32, ts: usize, r0: usize, r1: usize, r2: usize, r3: usize, metaBytes: usize, xe: usize): v128 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let o: usize = 0, vo = metaBytes, tp = xe;
  for (let u = 0; u < n8; u++) {
    a0 = madd(v128.load(r0 + vo), v128.load(tp + (<usize>load<u8>(r0 + o) << 4)), a0);
    a1 = madd(v128.load(r1 + vo), v128.load(tp + (<usize>load<u8>(r1 + o) << 4)), a1);
    a2 = madd(v128.load(r2 + vo), v128.load(tp + (<usize>load<u8>(r2 + o) << 4)), a2);
    a3 = madd(v128.load(r3 + vo), v128.load(tp + (<usize>load<u8>(r3 + o) << 4)), a3);
    o++; vo += 16; tp += ts;
  }
  const t01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t01, t23, 0, 1, 4, 5), v128.shuffle<f32>(t01, t23, 2, 3, 6, 7));
}

/** y[i] = (first K block: bias[i], else y[i]) + s */
@inline function nm_gemv_out(y: usize, i: i32, s: f32, first: bool, bias: usize): void {
  const yp = y + (<usize>i << 2);
  store<f32>(yp, first ? (bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0) + s : load<f32>(yp) + s);
}

/** rows [0, 4*floor(M/4)) of one K block through nm_gemv4, rows i, q+i, 2q+i, 3q+i together */
@inline function nm_gemv_streams(M: i32, n8: i32, ts: usize, blk: usize, recBytes: usize, metaBytes: usize, xe: usize, y: usize, first: bool, bias: usize): void {
  const q = M >> 2, qs = <usize>q * recBytes;
  for (let i = 0; i < q; i++) {
    const r = blk + <usize>i * recBytes;
    const h = nm_gemv4(n8, ts, r, r + qs, r + 2 * qs, r + 3 * qs, metaBytes, xe);
    nm_gemv_out(y, i, f32x4.extract_lane(h, 0), first, bias);
    nm_gemv_out(y, q + i, f32x4.extract_lane(h, 1), first, bias);
    nm_gemv_out(y, 2 * q + i, f32x4.extract_lane(h, 2), first, bias);
    nm_gemv_out(y, 3 * q + i, f32x4.extract_lane(h, 3), first, bias);
  }
}

/** y = act(W·x + bias) for one vector x of K floats, W 2:4; bias: M floats or 0 */
export function gemv_nm24_f32(M: i32, K: i32, KB: i32, rec: usize, x: usize, y: usize,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  nm_gemv(4, M, K, KB, rec, x, y, bias, act, alpha, beta, scratch);
}

// 4:8 GEMV: the same records ("nm-gemv", compiler/pack/nm.ts) with one meta byte per 8 k naming
// one of the 70 4-subsets of the 8 k (lexicographic), KB at most 128 so that the table (70 x 16 B
// per 8 k, 17.5 KiB) stays in L1. Scratch: KB floats + KB/8 * 1120 bytes.

function nm_expand_x70(n8: i32, x: usize, xe: usize): void {
  for (let g = 0; g < n8; g++) {
    const x0 = v128.load(x + (<usize>g << 5)), x1 = v128.load(x + (<usize>g << 5), 16);
    const d = xe + <usize>g * 1120;
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 2, 3), 0);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 2, 4), 16);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 2, 5), 32);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 2, 6), 48);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 2, 7), 64);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 3, 4), 80);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 3, 5), 96);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 3, 6), 112);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 3, 7), 128);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 4, 5), 144);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 4, 6), 160);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 4, 7), 176);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 5, 6), 192);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 5, 7), 208);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 1, 6, 7), 224);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 3, 4), 240);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 3, 5), 256);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 3, 6), 272);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 3, 7), 288);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 4, 5), 304);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 4, 6), 320);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 4, 7), 336);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 5, 6), 352);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 5, 7), 368);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 2, 6, 7), 384);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 4, 5), 400);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 4, 6), 416);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 4, 7), 432);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 5, 6), 448);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 5, 7), 464);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 3, 6, 7), 480);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 4, 5, 6), 496);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 4, 5, 7), 512);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 4, 6, 7), 528);
    v128.store(d, v128.shuffle<f32>(x0, x1, 0, 5, 6, 7), 544);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 3, 4), 560);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 3, 5), 576);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 3, 6), 592);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 3, 7), 608);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 4, 5), 624);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 4, 6), 640);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 4, 7), 656);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 5, 6), 672);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 5, 7), 688);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 2, 6, 7), 704);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 4, 5), 720);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 4, 6), 736);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 4, 7), 752);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 5, 6), 768);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 5, 7), 784);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 3, 6, 7), 800);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 4, 5, 6), 816);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 4, 5, 7), 832);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 4, 6, 7), 848);
    v128.store(d, v128.shuffle<f32>(x0, x1, 1, 5, 6, 7), 864);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 4, 5), 880);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 4, 6), 896);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 4, 7), 912);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 5, 6), 928);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 5, 7), 944);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 3, 6, 7), 960);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 4, 5, 6), 976);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 4, 5, 7), 992);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 4, 6, 7), 1008);
    v128.store(d, v128.shuffle<f32>(x0, x1, 2, 5, 6, 7), 1024);
    v128.store(d, v128.shuffle<f32>(x0, x1, 3, 4, 5, 6), 1040);
    v128.store(d, v128.shuffle<f32>(x0, x1, 3, 4, 5, 7), 1056);
    v128.store(d, v128.shuffle<f32>(x0, x1, 3, 4, 6, 7), 1072);
    v128.store(d, v128.shuffle<f32>(x0, x1, 3, 5, 6, 7), 1088);
    v128.store(d, v128.shuffle<f32>(x0, x1, 4, 5, 6, 7), 1104);
  }
}

// @ts-ignore: decorator
@lazy const COMBOS24 = memory.data<u8>([0, 1, 4, 5, 0, 1, 4, 6, 0, 1, 4, 7, 0, 1, 5, 6, 0, 1, 5, 7, 0, 1, 6, 7, 0, 2, 4, 5, 0, 2, 4, 6, 0, 2, 4, 7, 0, 2, 5, 6, 0, 2, 5, 7, 0, 2, 6, 7, 0, 3, 4, 5, 0, 3, 4, 6, 0, 3, 4, 7, 0, 3, 5, 6, 0, 3, 5, 7, 0, 3, 6, 7, 1, 2, 4, 5, 1, 2, 4, 6, 1, 2, 4, 7, 1, 2, 5, 6, 1, 2, 5, 7, 1, 2, 6, 7, 1, 3, 4, 5, 1, 3, 4, 6, 1, 3, 4, 7, 1, 3, 5, 6, 1, 3, 5, 7, 1, 3, 6, 7, 2, 3, 4, 5, 2, 3, 4, 6, 2, 3, 4, 7, 2, 3, 5, 6, 2, 3, 5, 7, 2, 3, 6, 7]);
// the positions of the 4 kept k of each meta byte value (the scalar body's decoder): 2:4 pair
// combinations p0*6 + p1, 4:8 4-subsets of 0..7
// @ts-ignore: decorator
@lazy const COMBOS48 = memory.data<u8>([0, 1, 2, 3, 0, 1, 2, 4, 0, 1, 2, 5, 0, 1, 2, 6, 0, 1, 2, 7, 0, 1, 3, 4, 0, 1, 3, 5, 0, 1, 3, 6, 0, 1, 3, 7, 0, 1, 4, 5, 0, 1, 4, 6, 0, 1, 4, 7, 0, 1, 5, 6, 0, 1, 5, 7, 0, 1, 6, 7, 0, 2, 3, 4, 0, 2, 3, 5, 0, 2, 3, 6, 0, 2, 3, 7, 0, 2, 4, 5, 0, 2, 4, 6, 0, 2, 4, 7, 0, 2, 5, 6, 0, 2, 5, 7, 0, 2, 6, 7, 0, 3, 4, 5, 0, 3, 4, 6, 0, 3, 4, 7, 0, 3, 5, 6, 0, 3, 5, 7, 0, 3, 6, 7, 0, 4, 5, 6, 0, 4, 5, 7, 0, 4, 6, 7, 0, 5, 6, 7, 1, 2, 3, 4, 1, 2, 3, 5, 1, 2, 3, 6, 1, 2, 3, 7, 1, 2, 4, 5, 1, 2, 4, 6, 1, 2, 4, 7, 1, 2, 5, 6, 1, 2, 5, 7, 1, 2, 6, 7, 1, 3, 4, 5, 1, 3, 4, 6, 1, 3, 4, 7, 1, 3, 5, 6, 1, 3, 5, 7, 1, 3, 6, 7, 1, 4, 5, 6, 1, 4, 5, 7, 1, 4, 6, 7, 1, 5, 6, 7, 2, 3, 4, 5, 2, 3, 4, 6, 2, 3, 4, 7, 2, 3, 5, 6, 2, 3, 5, 7, 2, 3, 6, 7, 2, 4, 5, 6, 2, 4, 5, 7, 2, 4, 6, 7, 2, 5, 6, 7, 3, 4, 5, 6, 3, 4, 5, 7, 3, 4, 6, 7, 3, 5, 6, 7, 4, 5, 6, 7]);

/** y = act(W·x + bias) for one vector x of K floats, W 4:8; bias: M floats or 0 */
/** y = act(W·x + bias) for one vector x of K floats, W 4:8; bias: M floats or 0 */
export function gemv_nm48_f32(M: i32, K: i32, KB: i32, rec: usize, x: usize, y: usize,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  nm_gemv(8, M, K, KB, rec, x, y, bias, act, alpha, beta, scratch);
}

/** the N:M GEMV of pattern m (4: 2:4, 8: 4:8), layout in the headers above */
function nm_gemv(m: i32, M: i32, K: i32, KB: i32, rec: usize, x: usize, y: usize,
  bias: usize, act: i32, alpha: f32, beta: f32, scratch: usize): void {
  const ts: usize = m == 8 ? 1120 : 576, combos = m == 8 ? COMBOS48 : COMBOS24;
  const xp = scratch, xe = scratch + (<usize>KB << 2);
  const metaBytes = <usize>(KB >> 3), recBytes = metaBytes + (<usize>KB << 1);
  const n8 = KB >> 3;
  let rp = rec;
  if (K <= 0) for (let i = 0; i < M; i++) store<f32>(y + (<usize>i << 2), bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0);
  for (let kb = 0; kb < K; kb += KB) {
    const kn = min(KB, K - kb);
    for (let i = 0; i < KB; i++) store<f32>(xp + (<usize>i << 2), i < kn ? load<f32>(x + (<usize>(kb + i) << 2)) : 0);
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      if (m == 8) nm_expand_x70(n8, xp, xe);
      else nm_expand_x36(n8, xp, xe);
      nm_gemv_streams(M, n8, ts, rp, recBytes, metaBytes, xe, y, kb == 0, bias);
      i = M & ~3;
      rp += <usize>i * recBytes;
    }
    for (; i < M; i++) {
      let s: f32 = 0;
      if (ASC_FEATURE_SIMD) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let mp = rp, vp = rp + metaBytes, tp = xe;
        for (let u = 0; u < n8; u += 4) {
          s0 = madd(v128.load(vp), v128.load(tp + (<usize>load<u8>(mp) << 4)), s0);
          s1 = madd(v128.load(vp, 16), v128.load(tp + ts + (<usize>load<u8>(mp, 1) << 4)), s1);
          s2 = madd(v128.load(vp, 32), v128.load(tp + 2 * ts + (<usize>load<u8>(mp, 2) << 4)), s2);
          s3 = madd(v128.load(vp, 48), v128.load(tp + 3 * ts + (<usize>load<u8>(mp, 3) << 4)), s3);
          mp += 4; vp += 64; tp += 4 * ts;
        }
        const t = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
        const h = f32x4.add(t, v128.shuffle<f32>(t, t, 2, 3, 0, 1));
        s = f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
      } else {
        for (let u = 0; u < n8; u++) {
          const cb = combos + (<usize>load<u8>(rp + <usize>u) << 2);
          const v = rp + metaBytes + (<usize>u << 4), xb = xp + (<usize>u << 5);
          s += load<f32>(v) * load<f32>(xb + (<usize>load<u8>(cb) << 2)) + load<f32>(v, 4) * load<f32>(xb + (<usize>load<u8>(cb, 1) << 2))
            + load<f32>(v, 8) * load<f32>(xb + (<usize>load<u8>(cb, 2) << 2)) + load<f32>(v, 12) * load<f32>(xb + (<usize>load<u8>(cb, 3) << 2));
        }
      }
      const yp = y + (<usize>i << 2);
      store<f32>(yp, kb == 0 ? (bias != 0 ? load<f32>(bias + (<usize>i << 2)) : 0) + s : load<f32>(yp) + s);
      rp += recBytes;
    }
  }
  act_apply_f32(y, M, act, alpha, beta);
}

// ---------------------------------------------------------------- conv B without im2col rows
// For convs with stride 1 along the width (every kxk stride-1 conv; stride 2 along the height
// too), per K x NC block: the input rows the block's positions read, zero-padded, for the
// channels of its K range (a small plane: 64 channels of 56x56 at 3x3 give 22 channels x 12 rows
// x 58 floats, 61 KiB); then per pair of 16-column panels the panels straight from that plane.
// Row kk of a pair is its 32 positions' plane floats at an offset of k's own (channel, dy, dx):
// each of the pair's 8 vectors of 4 positions sits at a plane offset that is the same for every
// k, so the offsets are hoisted out of the k loop and each k costs one table load and 8 vector
// copies (nm_conv_pair). This replaces im2col rows written to L2 and packed from there (16% of
// the 2:4 conv's time on 3x3 64->64 56x56) and keeps the pair's panels in L1 for the row sweep.
// A first version cut each k's row into runs (at output row ends and the panel boundary: 16, 8,
// 8 floats at Wo = 56), copied by variable-length loops from a run table (nm_conv_pieces, still
// the path of a last partial pair); the per-vector form made the 3x3 64->64 56x56 conv 1.07-1.09x
// (2:4) and 1.05-1.14x (4:8) faster on wasm-relaxed-simd, 1.07x on wasm-simd128 (same-run A/B,
// docs/sparse.md), 1.00-1.07x on the 28x28 / 14x14 / 7x7 stages; the panels now take ~3%.

/** plane byte offset of output position p for tap (0, 0) (output row oy0 at plane row 0) */
@inline function nm_conv_off(p: i32, Wo: i32, oy0: i32, sh: i32, Wp: i32): i32 {
  const oy = p / Wo;
  return ((oy - oy0) * sh * Wp + p - oy * Wo) << 2;
}

@inline function nm_copy4(d: usize, s: usize): void {
  v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
  v128.store(d, v128.load(s, 32), 32); v128.store(d, v128.load(s, 48), 48);
}

/** the two panels of one pair (output positions [j0, j0 + w), w <= 32) from the plane: row kk
 *  of the panels = the positions' plane floats at koff[kk] bytes. A full pair (Wo >= 4) goes by
 *  its 8 vectors of 4 positions, each at a plane offset constant across kk: inside one output
 *  row 8 copies at constant displacements, else 8 copies from 8 hoisted offsets
 *  (nm_conv_vecs), then (Wo not a multiple of 4) one pass per vector that a row end cuts. A
 *  last partial pair, or Wo < 4, goes by runs (nm_conv_pieces). */
function nm_conv_pair(kc: i32, j0: i32, w: i32, Wo: i32, oy0: i32, sh: i32, Wp: i32, plane: usize, koff: usize, pieces: usize, dst: usize): void {
  if (w < 32 || Wo < 4) {
    nm_conv_panels(kc, nm_conv_pieces(j0, w, Wo, oy0, sh, Wp, NM_PS, pieces), pieces, plane, koff, w, dst);
    return;
  }
  const kend = koff + (<usize>kc << 2);
  if (j0 % Wo + 32 <= Wo) {
    // inside one output row: 32 consecutive plane floats per kk
    const s0 = plane + <usize>nm_conv_off(j0, Wo, oy0, sh, Wp);
    for (let kp = koff, d = dst; kp < kend; kp += 4, d += 64) {
      const s = s0 + <usize>load<i32>(kp);
      nm_copy4(d, s); nm_copy4(d + NM_PS, s + 64);
    }
    return;
  }
  const o0 = plane + <usize>nm_conv_off(j0, Wo, oy0, sh, Wp), o1 = plane + <usize>nm_conv_off(j0 + 4, Wo, oy0, sh, Wp);
  const o2 = plane + <usize>nm_conv_off(j0 + 8, Wo, oy0, sh, Wp), o3 = plane + <usize>nm_conv_off(j0 + 12, Wo, oy0, sh, Wp);
  const o4 = plane + <usize>nm_conv_off(j0 + 16, Wo, oy0, sh, Wp), o5 = plane + <usize>nm_conv_off(j0 + 20, Wo, oy0, sh, Wp);
  const o6 = plane + <usize>nm_conv_off(j0 + 24, Wo, oy0, sh, Wp), o7 = plane + <usize>nm_conv_off(j0 + 28, Wo, oy0, sh, Wp);
  // (two call sites on purpose: with one, binaryen inlines nm_conv_vecs and V8 runs out of
  // registers for its 11 addresses, 3% slower)
  if (Wo % 4 == 0) {
    // every row end falls between vectors
    nm_conv_vecs(koff, kend, o0, o1, o2, o3, o4, o5, o6, o7, dst);
    return;
  }
  nm_conv_vecs(koff, kend, o0, o1, o2, o3, o4, o5, o6, o7, dst);
  // a vector that a row end cuts after its first a lanes got lanes a.. from past the row end:
  // one pass per such vector takes them from the next row's start
  for (let v = 0; v < 8; v++) {
    const p = j0 + (v << 2), a = Wo - p % Wo;
    if (a >= 4) continue;
    const q = plane + <usize>(nm_conv_off(p + a, Wo, oy0, sh, Wp) - (a << 2));
    const m = i32x4.gt_s(i32x4.splat(a), i32x4(0, 1, 2, 3));
    for (let kp = koff, d = dst + <usize>(v >> 2) * NM_PS + (<usize>(v & 3) << 4); kp < kend; kp += 4, d += 64) {
      v128.store(d, v128.bitselect(v128.load(d), v128.load(q + <usize>load<i32>(kp)), m));
    }
  }
}

/** rows of a pair's panels: the vectors at plane addresses o0..o7 plus koff[kk] (kp over koff
 *  up to kend); vectors 0-3 to the first panel, 4-7 to the second (own function: its 11
 *  addresses stay in registers) */
function nm_conv_vecs(kp: usize, kend: usize, o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, o5: usize, o6: usize, o7: usize, d: usize): void {
  for (; kp < kend; kp += 4, d += 64) {
    const k = <usize>load<i32>(kp);
    v128.store(d, v128.load(o0 + k)); v128.store(d, v128.load(o1 + k), 16);
    v128.store(d, v128.load(o2 + k), 32); v128.store(d, v128.load(o3 + k), 48);
    v128.store(d + NM_PS, v128.load(o4 + k)); v128.store(d + NM_PS, v128.load(o5 + k), 16);
    v128.store(d + NM_PS, v128.load(o6 + k), 32); v128.store(d + NM_PS, v128.load(o7 + k), 48);
  }
}

/** the runs of output positions [j0, j0 + w) (w <= 32): per run 3 i32 at pieces (panel byte
 *  offset for k = 0, plane byte offset for tap (0, 0), length); returns the number of runs */
function nm_conv_pieces(j0: i32, w: i32, Wo: i32, oy0: i32, sh: i32, Wp: i32, ps: usize, pieces: usize): i32 {
  let oy = j0 / Wo, ox = j0 - oy * Wo, j = 0, np = 0;
  while (j < w) {
    const len = min(min(Wo - ox, w - j), 16 - (j & 15));
    const p = pieces + <usize>(np * 12);
    store<i32>(p, <i32>(<usize>(j >> 4) * ps) + ((j & 15) << 2));
    store<i32>(p, (((oy - oy0) * sh) * Wp + ox) << 2, 4);
    store<i32>(p, len, 8);
    np++; j += len; ox += len;
    if (ox == Wo) { ox = 0; oy++; }
  }
  return np;
}

/** the panels of one pair (w <= 32 columns) from the plane: row kk of every panel from the runs,
 *  each at koff[kk] bytes into the plane; columns past w of a last panel zero */
function nm_conv_panels(kc: i32, np: i32, pieces: usize, plane: usize, koff: usize, w: i32, dst: usize): void {
  if (w & 15) zero_f32(dst + <usize>(w >> 4) * NM_PS, kc << 4);
  for (let kk = 0; kk < kc; kk++) {
    const base = plane + <usize>load<i32>(koff + (<usize>kk << 2)), drow = dst + (<usize>kk << 6);
    for (let q = 0; q < np; q++) {
      const p = pieces + <usize>(q * 12);
      const d = drow + <usize>load<i32>(p), s = base + <usize>load<i32>(p, 4), n = load<i32>(p, 8);
      let t = 0;
      for (; t + 4 <= n; t += 4) v128.store(d + (<usize>t << 2), v128.load(s + (<usize>t << 2)));
      for (; t < n; t++) store<f32>(d + (<usize>t << 2), load<f32>(s + (<usize>t << 2)));
    }
  }
}

// ---------------------------------------------------------------- N:M conv straight from the plane
// For stride-1 convs on FMA builds (2:4 and 4:8), B is not packed at all. The plane's rows are Ws =
// W + max(pl, pr) floats apart, the input row at columns [pl, pl + W) and zeros around it, so
// one run of zeros is both a row's right pad and the next row's left pad: a tap past a row's
// end reads the next row's leading zeros. Outputs are computed on that grid: column q = r*Ws + x
// stands for output (oy0 + r, x), so that row k of B over a block of R output rows is the plane
// itself at k's own (channel, dy, dx) offset: 40 consecutive plane floats per kept weight, an
// unaligned load per vector. The Ws - Wo columns per row that are not outputs (1 for 3x3 pad 1;
// a separate right and left pad made it 2) and the block's columns past R*Ws, up to a multiple
// of 40, are computed and dropped. The block's output goes to a buffer C' of Mg rows of ldcp
// columns and, after the last K block, is copied to Y row by row (and the activation applied).
// Per block of R output rows and K block: the plane (conv_pad_plane_f32), then each row tile's
// weights rewritten as records of 2 values and 2 i32 plane offsets per row and group
// (nm_direct_records: the u8 offsets of the packed layout turned into plane offsets through the
// K block's koff table, once per block: ceil(Mg/2)*kc/2 records against Mg*kc*R*Ws/2 FMAs),
// then per 40 columns a 1x40 sweep of all rows (nmkd_1x40).
// Against the panel path (nm_conv's pairs of 16-column panels built from the same plane) this
// drops the panel builds, which had cost the 2:4 3x3 conv a sixth of its time by displacing
// L1 (docs/sparse.md). Scratch: [records][koff][plane + slack][C'] inside conv2d_nm's.

/** the direct path takes a conv when the columns it computes and drops are at most 1 /
 *  NM_DIRECT_DROP of the outputs: 3x3 pad 1 at 56x56 (1 of 57 per row, 2.0% with the rounding
 *  to 40), not at 28x28 (7%: with two pads per row the direct path ran 0.89-0.95x the panel
 *  path there, docs/sparse.md) */
const NM_DIRECT_DROP: i32 = 25;
/** columns per tile (nmkd_1x40); blocks are computed in whole tiles */
const NM_DIRECT_CW: i32 = 40;
/** most bytes of C' per block: C' and the plane stay in L2 */
const NM_DIRECT_C_BYTES: usize = 512 << 10;

@inline function align64(x: usize): usize { return (x + 63) & ~(<usize>63); }

/** byte sizes of the direct path's regions: records (kcs / 4 of 32 bytes per row tile, kcs a
 *  multiple of m), one copy of the plane for blocks of rowsIn input rows */
@inline function nm_direct_rec_bytes(Mg: i32, kcs: i32): usize { return align64(<usize>((Mg + 1) >> 1) * <usize>(kcs >> 2) * 32); }
@inline function nm_direct_copy_bytes(nch: i32, rowsIn: i32, Ws: i32, kw: i32, dw: i32): usize {
  // slack: a last channel's last row reads up to (kw - 1) * dw + NM_DIRECT_CW - 1 floats past its end
  return align64(<usize>(nch * rowsIn * Ws + (kw - 1) * dw + NM_DIRECT_CW) << 2);
}

/** the most channels a K block of kcs k spans (ksz k per channel) */
@inline function nm_direct_nch(K: i32, kcs: i32, ksz: i32): i32 { return min((kcs - 1) / ksz + 2, (K + ksz - 1) / ksz); }

/** output rows per block: Ho in the fewest blocks of equal height whose regions fit `avail`
 *  bytes and whose C' fits NM_DIRECT_C_BYTES; 0 if none does or the dropped columns are too
 *  many (NM_DIRECT_DROP) */
function nm_direct_rows(Mg: i32, K: i32, kcs: i32, ksz: i32, kh: i32, kw: i32, dh: i32, dw: i32, Ho: i32, Wo: i32, Ws: i32, avail: usize): i32 {
  const nch = nm_direct_nch(K, kcs, ksz);
  const fixed = nm_direct_rec_bytes(Mg, kcs) + align64(<usize>kcs << 2);
  for (let nb = 1; nb <= Ho; nb++) {
    const R = (Ho + nb - 1) / nb, ldcp = ceilTo(R * Ws, NM_DIRECT_CW), cB = <usize>Mg * <usize>ldcp << 2;
    if (cB > NM_DIRECT_C_BYTES || fixed + nm_direct_copy_bytes(nch, R + (kh - 1) * dh, Ws, kw, dw) + cB > avail) continue;
    const cols = (nb - 1) * ldcp + ceilTo((Ho - (nb - 1) * R) * Ws, NM_DIRECT_CW);
    return (cols - Ho * Wo) * NM_DIRECT_DROP <= Ho * Wo ? R : 0;
  }
  return 0;
}

/** the K block's records: per row tile (tiles of tstride slots in wv / wo, from the block's first
 *  slot), per 2 kept weights of each row, 32 bytes: the 2 + 2 values, then their plane offsets
 *  (koff of the kept k). 2:4 (m = 4): one record per group of 4 k (slots [2][2]); 4:8: two per
 *  group of 8 k (slots [2][4], halves 0-1 and 2-3 of each row), so one kernel takes both. */
function nm_direct_records(m: i32, tiles: i32, groups: i32, wv: usize, wo: usize, tstride: usize, koff: usize, rec: usize): void {
  const s = m == 4 ? 6 : 5, row1 = <usize>(m >> 1);
  for (let t = 0; t < tiles; t++) {
    const v = wv + ((<usize>t * tstride) << 2), o = wo + <usize>t * tstride;
    for (let g = 0; g < groups; g++) {
      const k = koff + (<usize>(g * m) << 2);
      for (let h = 0; h < m; h += 4) {
        const a = <usize>(g * m + (h >> 1)), b = a + row1;
        store<u64>(rec, load<u64>(v + (a << 2)));
        store<u64>(rec, load<u64>(v + (b << 2)), 8);
        store<i32>(rec, load<i32>(k + (<usize>(load<u8>(o + a) >> s) << 2)), 16);
        store<i32>(rec, load<i32>(k + (<usize>(load<u8>(o + a, 1) >> s) << 2)), 20);
        store<i32>(rec, load<i32>(k + (<usize>(load<u8>(o + b) >> s) << 2)), 24);
        store<i32>(rec, load<i32>(k + (<usize>(load<u8>(o + b, 1) >> s) << 2)), 28);
        rec += 32;
      }
    }
  }
}

/** C'[1][40] (row r of a 2-row tile) = init + W_r·B, B row k = 40 plane floats at b plus the
 *  plane offset of k: `recs` records (nm_direct_records), per kept weight a splat and 10 loads at
 *  its offset into 10 f32x4 accumulators (as nmk24_1x40a) */
function nmkd_1x40(r: i32, recs: i32, rec: usize, b: usize, c: usize, init: i32, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
  if (init == INIT_LOAD) {
    c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48); c4 = v128.load(c, 64);
    c5 = v128.load(c, 80); c6 = v128.load(c, 96); c7 = v128.load(c, 112); c8 = v128.load(c, 128); c9 = v128.load(c, 144);
  } else if (init == INIT_ROWBIAS) {
    c0 = v128.load32_splat(bias); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0; c6 = c0; c7 = c0; c8 = c0; c9 = c0;
  }
  rec += <usize>r << 3;
  for (let g = 0; g < recs; g++) {
    const o0 = b + <usize>load<i32>(rec, 16), o1 = b + <usize>load<i32>(rec, 20);
    let w = v128.load32_splat(rec);
    c0 = madd(w, v128.load(o0), c0); c1 = madd(w, v128.load(o0, 16), c1);
    c2 = madd(w, v128.load(o0, 32), c2); c3 = madd(w, v128.load(o0, 48), c3);
    c4 = madd(w, v128.load(o0, 64), c4); c5 = madd(w, v128.load(o0, 80), c5);
    c6 = madd(w, v128.load(o0, 96), c6); c7 = madd(w, v128.load(o0, 112), c7);
    c8 = madd(w, v128.load(o0, 128), c8); c9 = madd(w, v128.load(o0, 144), c9);
    w = v128.load32_splat(rec, 4);
    c0 = madd(w, v128.load(o1), c0); c1 = madd(w, v128.load(o1, 16), c1);
    c2 = madd(w, v128.load(o1, 32), c2); c3 = madd(w, v128.load(o1, 48), c3);
    c4 = madd(w, v128.load(o1, 64), c4); c5 = madd(w, v128.load(o1, 80), c5);
    c6 = madd(w, v128.load(o1, 96), c6); c7 = madd(w, v128.load(o1, 112), c7);
    c8 = madd(w, v128.load(o1, 128), c8); c9 = madd(w, v128.load(o1, 144), c9);
    rec += 32;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48); v128.store(c, c4, 64);
  v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112); v128.store(c, c8, 128); v128.store(c, c9, 144);
}

/** one 40-column sweep over the Mg rows: row tiles `recs` records apart, C' rows ldcb bytes
 *  apart (two call sites of nmkd_1x40: not inlined) */
function nm_direct_sweep(Mg: i32, recs: i32, rec: usize, b: usize, c: usize, ldcb: usize, init: i32, bias: usize): void {
  for (let ir = 0; ir < Mg; ir += 2) {
    nmkd_1x40(0, recs, rec, b, c, init, bias);
    if (ir + 1 < Mg) nmkd_1x40(1, recs, rec, b, c + ldcb, init, bias + 4);
    rec += <usize>recs << 5; c += ldcb << 1; bias += 8;
  }
}

/** one image and group of an N:M (m = 4 or 8) stride-1 conv by the direct path, in blocks of R output rows
 *  (nm_direct_rows); base: the scratch past the staging tile */
function nm_conv_direct(m: i32, R: i32, Mg: i32, K: i32, kcs: i32, tstride: usize, xg: usize, H: i32, W: i32,
  kh: i32, kw: i32, dh: i32, dw: i32, pt: i32, pl: i32, Ho: i32, Wo: i32, Ws: i32, wv: usize, wo: usize, yg: usize,
  bias: usize, act: i32, alpha: f32, beta: f32, base: usize): void {
  const ksz = kh * kw, P = Ho * Wo, tiles = (Mg + 1) >> 1;
  const rowsIn = R + (kh - 1) * dh, ldcp = ceilTo(R * Ws, NM_DIRECT_CW), ldcb = <usize>ldcp << 2;
  const rec = base, koff = rec + nm_direct_rec_bytes(Mg, kcs), plane = koff + align64(<usize>kcs << 2);
  const cbuf = plane + nm_direct_copy_bytes(nm_direct_nch(K, kcs, ksz), rowsIn, Ws, kw, dw);
  for (let oy0 = 0; oy0 < Ho; oy0 += R) {
    const rb = min(R, Ho - oy0), cols = ceilTo(rb * Ws, NM_DIRECT_CW);
    for (let pc = 0; pc < K; pc += kcs) {
      const kc = min(kcs, K - pc), groups = (kc + m - 1) / m, nrec = groups * (m >> 2);
      const init = pc > 0 ? INIT_LOAD : bias != 0 ? INIT_ROWBIAS : INIT_ZERO;
      const ch0 = pc / ksz, nch = (pc + kc - 1) / ksz - ch0 + 1;
      conv_pad_plane_f32(xg + (<usize>(ch0 * H) * <usize>W << 2), nch, H, W, oy0 - pt, rowsIn, pl, Ws, plane);
      // past the last row the slack's zeros are its right pad (and what dropped columns read)
      zero_f32(plane + (<usize>(nch * rowsIn * Ws) << 2), (kw - 1) * dw + NM_DIRECT_CW);
      conv_plane_koff(pc, kc, ksz, kw, dh, dw, ch0, rowsIn, Ws, koff);
      nm_direct_records(m, tiles, groups, wv + (<usize>pc << 2), wo + <usize>pc, tstride, koff, rec);
      for (let j = 0; j < cols; j += NM_DIRECT_CW) {
        nm_direct_sweep(Mg, nrec, rec, plane + (<usize>j << 2), cbuf + (<usize>j << 2), ldcb, init, bias);
      }
    }
    // the block's outputs: Wo of every Ws columns
    const y0 = yg + (<usize>(oy0 * Wo) << 2);
    for (let co = 0; co < Mg; co++) {
      const yr = y0 + (<usize>co * <usize>P << 2), cr = cbuf + <usize>co * ldcb;
      for (let r = 0; r < rb; r++) copyBytes(yr + (<usize>(r * Wo) << 2), cr + (<usize>(r * Ws) << 2), <usize>Wo << 2);
    }
    if (act != 0) act_tile_f32(y0, P, Mg, rb * Wo, act, alpha, beta);
  }
}

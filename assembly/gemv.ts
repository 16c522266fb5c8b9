// Dense float32 GEMV for one activation row (a decode step, any layer with batch 1):
//   y[N] = W·x (+ bias[N]), then a fused activation,
// with the constant W in the B panels gemm_f32_pb reads: [ceil(N/8)][K][8], 8 output columns
// interleaved per k, columns past N zero (compiler/pack/dense.ts, packMatMulWeight). So a
// MatMul weight has one layout for any number of rows, and the GEMV reads it exactly once,
// panel after panel: at 4096x4096 (64 MiB) the product is bound by DRAM bandwidth
// (perf.md: this "p8" layout ran 17.5 GFLOP/s = 35 GB/s; 4 rows at a time as dot products, 10.9).
// Vectorised along N, so no horizontal sums: per k, one splat of x[k] and two 4-wide
// mul+adds. Each panel is read as 4 streams, one per quarter of K (8 accumulators, 4
// independent chains per output vector): more reads in flight than one stream gives, measured
// 1.4-1.6x from DRAM and 1.1-1.2x from L3 over reading the panel front to back (both on a
// loaded machine, same run); 4 panels at a time as 4 streams measured the same.
// Why not the GEMM with M = 1: its 4x8 micro-kernel computes 4 rows of which 3 are padding,
// and packs x per K block; the GEMV does a quarter of the arithmetic and no packing.
import { act_apply_f32 } from './activation';

/** y = W·x + bias (bias = 0: none), then act; W panels at wp, x and y contiguous */
export function gemv_f32(N: i32, K: i32, wp: usize, x: usize, y: usize, bias: usize, act: i32, alpha: f32, beta: f32): void {
  let w = wp;
  const qx = <usize>(K >> 2) << 2, qw = qx << 3; // a quarter of K: bytes of x, bytes of a panel
  for (let j = 0; j < N; j += 8) {
    const cols = min(8, N - j);
    const yp = y + (<usize>j << 2), bp = bias + (<usize>j << 2);
    if (ASC_FEATURE_SIMD) {
      // the panel's K is read as 4 streams, one per quarter of K, each into its own pair of
      // accumulators; the K % 4 tail follows the last quarter
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
      let wa = w, wb = w + qw, wc = wb + qw, wd = wc + qw;
      let xp = x;
      const xq = x + qx, xe = x + (<usize>K << 2);
      while (xp < xq) {
        const xa = v128.load32_splat(xp), xb = v128.load32_splat(xp + qx);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(wa), xa)); a1 = f32x4.add(a1, f32x4.mul(v128.load(wa, 16), xa));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(wb), xb)); b1 = f32x4.add(b1, f32x4.mul(v128.load(wb, 16), xb));
        const xc = v128.load32_splat(xp + 2 * qx), xd = v128.load32_splat(xp + 3 * qx);
        c0 = f32x4.add(c0, f32x4.mul(v128.load(wc), xc)); c1 = f32x4.add(c1, f32x4.mul(v128.load(wc, 16), xc));
        d0 = f32x4.add(d0, f32x4.mul(v128.load(wd), xd)); d1 = f32x4.add(d1, f32x4.mul(v128.load(wd, 16), xd));
        xp += 4; wa += 32; wb += 32; wc += 32; wd += 32;
      }
      xp = x + 4 * qx;
      while (xp < xe) {
        const xv = v128.load32_splat(xp);
        d0 = f32x4.add(d0, f32x4.mul(v128.load(wd), xv)); d1 = f32x4.add(d1, f32x4.mul(v128.load(wd, 16), xv));
        xp += 4; wd += 32;
      }
      w = wd;
      let s0 = f32x4.add(f32x4.add(a0, b0), f32x4.add(c0, d0)), s1 = f32x4.add(f32x4.add(a1, b1), f32x4.add(c1, d1));
      if (cols == 8) {
        if (bias != 0) { s0 = f32x4.add(s0, v128.load(bp)); s1 = f32x4.add(s1, v128.load(bp, 16)); }
        v128.store(yp, s0); v128.store(yp, s1, 16);
      } else {
        // the last, partial panel: lanes one by one (lane indices must be constants)
        storeLane(yp, bp, bias, 0, cols, f32x4.extract_lane(s0, 0)); storeLane(yp, bp, bias, 1, cols, f32x4.extract_lane(s0, 1));
        storeLane(yp, bp, bias, 2, cols, f32x4.extract_lane(s0, 2)); storeLane(yp, bp, bias, 3, cols, f32x4.extract_lane(s0, 3));
        storeLane(yp, bp, bias, 4, cols, f32x4.extract_lane(s1, 0)); storeLane(yp, bp, bias, 5, cols, f32x4.extract_lane(s1, 1));
        storeLane(yp, bp, bias, 6, cols, f32x4.extract_lane(s1, 2));
      }
    } else {
      // scalar: the panel's 8 columns in 8 accumulators
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, s4: f32 = 0, s5: f32 = 0, s6: f32 = 0, s7: f32 = 0;
      for (let k = 0; k < K; k++) {
        const xv = load<f32>(x + (<usize>k << 2));
        s0 += load<f32>(w) * xv; s1 += load<f32>(w, 4) * xv; s2 += load<f32>(w, 8) * xv; s3 += load<f32>(w, 12) * xv;
        s4 += load<f32>(w, 16) * xv; s5 += load<f32>(w, 20) * xv; s6 += load<f32>(w, 24) * xv; s7 += load<f32>(w, 28) * xv;
        w += 32;
      }
      storeLane(yp, bp, bias, 0, cols, s0); storeLane(yp, bp, bias, 1, cols, s1); storeLane(yp, bp, bias, 2, cols, s2); storeLane(yp, bp, bias, 3, cols, s3);
      storeLane(yp, bp, bias, 4, cols, s4); storeLane(yp, bp, bias, 5, cols, s5); storeLane(yp, bp, bias, 6, cols, s6); storeLane(yp, bp, bias, 7, cols, s7);
    }
  }
  act_apply_f32(y, N, act, alpha, beta);
}

/** y[l] = v + bias[l] for a lane l of a panel with `cols` valid columns */
@inline function storeLane(yp: usize, bp: usize, bias: usize, l: i32, cols: i32, v: f32): void {
  if (l < cols) store<f32>(yp + (<usize>l << 2), bias != 0 ? v + load<f32>(bp + (<usize>l << 2)) : v);
}

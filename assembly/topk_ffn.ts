// Dynamic FFN channel selection (ToaSt's run-time token channel selection, the graph
// compiler/prune/toast/dynamic.ts writes): fc2 reads only the k hidden units with the largest
// mean |h| over this input's rows,
//   s_j   = (Σ_t |H[t,j]|) · (1/rows)                    (ReduceMean(Abs(H)) over the rows)
//   sel   = the k largest s_j, largest first, equal scores: lower j first (ONNX TopK)
//   Y[t,:] = bias + Σ_{i<k} H[t, sel_i] · W2[sel_i, :]     (Gather, Gather, MatMul)
// H is [rows][hidden]; W2 is fc2's MatMul weight as stored, [hidden][out] row-major, so one
// selected unit's weights are one contiguous row: the product reads k rows of W2 and never
// the other hidden - k. The selected columns of H are first copied into a compact
// [rows][k] block, so the product's inner loop reads it with unit stride.
// fc1 runs in full before this kernel: the score needs every unit's activation.
//
// scratch (topkFfnScratchBytes in compiler/codegen/ops/dynamicChannels.ts): u64 keys[hidden],
// f32 scores[hidden], i32 sel[k], f32 hs[rows][k].

/** Y = bias + H[:, sel]·W2[sel, :] for the k units of largest mean |h|; bias = 0: none */
export function topk_ffn_f32(rows: i32, hidden: i32, out: i32, k: i32, h: usize, w2: usize, bias: usize, y: usize, scratch: usize): void {
  if (k > hidden) k = hidden;
  const keys = scratch, score = keys + (<usize>hidden << 3), sel = score + (<usize>hidden << 2), hs = sel + (<usize>k << 2);
  scoreUnits(rows, hidden, h, score);
  selectTopK(hidden, k, score, keys, sel);
  // the selected columns of H, compact
  for (let t = 0; t < rows; t++) {
    const src = h + (<usize>(t * hidden) << 2), dst = hs + (<usize>(t * k) << 2);
    for (let i = 0; i < k; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>load<i32>(sel + (<usize>i << 2)) << 2)));
  }
  let c0 = 0;
  if (ASC_FEATURE_SIMD) {
    // 8 output columns at a time: 4 rows (8 accumulators) then the rows left one by one
    const c8 = out & ~7;
    for (; c0 < c8; c0 += 8) {
      let t = 0;
      for (; t + 4 <= rows; t += 4) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
        let d0 = f32x4.splat(0), d1 = f32x4.splat(0), e0 = f32x4.splat(0), e1 = f32x4.splat(0);
        const stride = <usize>k << 2;
        let hp = hs + (<usize>(t * k) << 2);
        for (let i = 0; i < k; i++) {
          const wp = w2 + (<usize>(load<i32>(sel + (<usize>i << 2)) * out + c0) << 2);
          const w0 = v128.load(wp), w1 = v128.load(wp, 16);
          const x0 = v128.load32_splat(hp), x1 = v128.load32_splat(hp + stride);
          const x2 = v128.load32_splat(hp + 2 * stride), x3 = v128.load32_splat(hp + 3 * stride);
          a0 = f32x4.add(a0, f32x4.mul(w0, x0)); a1 = f32x4.add(a1, f32x4.mul(w1, x0));
          b0 = f32x4.add(b0, f32x4.mul(w0, x1)); b1 = f32x4.add(b1, f32x4.mul(w1, x1));
          d0 = f32x4.add(d0, f32x4.mul(w0, x2)); d1 = f32x4.add(d1, f32x4.mul(w1, x2));
          e0 = f32x4.add(e0, f32x4.mul(w0, x3)); e1 = f32x4.add(e1, f32x4.mul(w1, x3));
          hp += 4;
        }
        storeBlock(y, bias, out, t, c0, a0, a1); storeBlock(y, bias, out, t + 1, c0, b0, b1);
        storeBlock(y, bias, out, t + 2, c0, d0, d1); storeBlock(y, bias, out, t + 3, c0, e0, e1);
      }
      for (; t < rows; t++) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        let hp = hs + (<usize>(t * k) << 2);
        for (let i = 0; i < k; i++) {
          const wp = w2 + (<usize>(load<i32>(sel + (<usize>i << 2)) * out + c0) << 2);
          const x0 = v128.load32_splat(hp);
          a0 = f32x4.add(a0, f32x4.mul(v128.load(wp), x0)); a1 = f32x4.add(a1, f32x4.mul(v128.load(wp, 16), x0));
          hp += 4;
        }
        storeBlock(y, bias, out, t, c0, a0, a1);
      }
    }
  }
  // scalar: every column (wasm-mvp), or the out % 8 columns left by the SIMD blocks
  for (let t = 0; t < rows; t++) {
    const hp = hs + (<usize>(t * k) << 2), yp = y + (<usize>(t * out) << 2);
    for (let c = c0; c < out; c++) {
      let acc: f32 = 0;
      for (let i = 0; i < k; i++) acc += load<f32>(hp + (<usize>i << 2)) * load<f32>(w2 + (<usize>(load<i32>(sel + (<usize>i << 2)) * out + c) << 2));
      store<f32>(yp + (<usize>c << 2), bias != 0 ? acc + load<f32>(bias + (<usize>c << 2)) : acc);
    }
  }
}

/** score[j] = mean over the rows of |H[t,j]| (a sum, then times 1/rows, as ReduceMean) */
function scoreUnits(rows: i32, hidden: i32, h: usize, score: usize): void {
  memory.fill(score, 0, <usize>hidden << 2);
  const j4 = ASC_FEATURE_SIMD ? hidden & ~3 : 0;
  for (let t = 0; t < rows; t++) {
    const hp = h + (<usize>(t * hidden) << 2);
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < j4; j += 4) {
        const o = <usize>j << 2;
        v128.store(score + o, f32x4.add(v128.load(score + o), f32x4.abs(v128.load(hp + o))));
      }
    }
    for (let j = j4; j < hidden; j++) {
      const o = <usize>j << 2;
      store<f32>(score + o, load<f32>(score + o) + abs<f32>(load<f32>(hp + o)));
    }
  }
  const inv: f32 = 1 / <f32>rows;
  for (let j = 0; j < hidden; j++) store<f32>(score + (<usize>j << 2), load<f32>(score + (<usize>j << 2)) * inv);
}

/** sel[0..k) = indices of the k largest scores, largest first, ties by lower index. A score is
 *  ≥ 0 (a mean of |h|), so its f32 bits order like its value; key = bits << 32 | (~j), one u64
 *  compare per step, and a max-heap gives the k largest in O(hidden + k log hidden). */
function selectTopK(hidden: i32, k: i32, score: usize, keys: usize, sel: usize): void {
  for (let j = 0; j < hidden; j++) {
    store<u64>(keys + (<usize>j << 3), (<u64>load<u32>(score + (<usize>j << 2)) << 32) | <u64>(~(<u32>j)));
  }
  for (let i = (hidden >> 1) - 1; i >= 0; i--) siftDown(keys, i, hidden);
  let n = hidden;
  for (let i = 0; i < k; i++) {
    const top = load<u64>(keys);
    store<i32>(sel + (<usize>i << 2), <i32>(~(<u32>top)));
    n--;
    store<u64>(keys, load<u64>(keys + (<usize>n << 3)));
    siftDown(keys, 0, n);
  }
}

@inline function siftDown(keys: usize, i: i32, n: i32): void {
  const v = load<u64>(keys + (<usize>i << 3));
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    let cv = load<u64>(keys + (<usize>c << 3));
    if (c + 1 < n) {
      const rv = load<u64>(keys + (<usize>(c + 1) << 3));
      if (rv > cv) { c++; cv = rv; }
    }
    if (cv <= v) break;
    store<u64>(keys + (<usize>i << 3), cv);
    i = c;
  }
  store<u64>(keys + (<usize>i << 3), v);
}

/** Y[t, c0..c0+8) = s0|s1 + bias */
@inline function storeBlock(y: usize, bias: usize, out: i32, t: i32, c0: i32, s0: v128, s1: v128): void {
  const yp = y + (<usize>(t * out + c0) << 2);
  if (bias != 0) {
    const bp = bias + (<usize>c0 << 2);
    s0 = f32x4.add(s0, v128.load(bp)); s1 = f32x4.add(s1, v128.load(bp, 16));
  }
  v128.store(yp, s0); v128.store(yp, s1, 16);
}

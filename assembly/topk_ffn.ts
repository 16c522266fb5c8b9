// Dynamic FFN channel selection (ToaSt's run-time token channel selection, the graph
// compiler/prune/toast/dynamic.ts writes): fc2 reads only the k hidden units with the largest
// mean |h| over this input's rows,
//   s_j   = (Σ_t |H[t,j]|) · (1/rows)                    (ReduceMean(Abs(H)) over the rows)
//   sel   = the k largest s_j, equal scores: lower j first (ONNX TopK), kept in index order
//   Y[t,:] = bias + Σ_{i<k} H[t, sel_i] · W2[sel_i, :]     (Gather, Gather, MatMul)
// TopK lists the units by score, so onnxruntime sums them in that order; here they are summed
// in index order (W2's pieces read front to back): the same set, equal up to rounding.
// H is [rows][hidden]; W2 is fc2's weight in gemm_f32_pb's B panels, [ceil(out/8)][hidden][8]:
// one unit's weights are one 32-byte piece per panel, so the product reads the k selected units'
// pieces and never the other hidden - k. The selected columns of H are copied into a compact
// [rows][k] block and the selected pieces into B panels [ceil(out/8)][k][8], and gemm_f32_pb's
// 4x8 micro-kernel does the product. (A first version with its own 4x8 loop through the index
// list over W2 rows ran 1.7x slower than gemm_f32_pb at k = hidden; the copies cost
// O(k·(rows + out)) next to the product's O(rows·k·out).)
// fc1 runs in full before this kernel: the score needs every unit's activation.
//
// scratch (topkFfnScratchBytes in compiler/codegen/ops/dynamicChannels.ts): u64 keys[hidden],
// f32 scores[hidden], i32 sel[k], f32 hs[rows][k], f32 panels[ceil(out/8)][k][8]; gemmScratch
// is gemm_f32_pb's (gemmScratchBytes('pb', rows, out, k)).
import { gemm_f32_pb } from './gemm';

/** Y = bias + H[:, sel]·W2[sel, :] for the k units of largest mean |h|; bias = 0: none */
export function topk_ffn_f32(rows: i32, hidden: i32, out: i32, k: i32, h: usize, w2: usize, bias: usize, y: usize, scratch: usize, gemmScratch: usize): void {
  if (k > hidden) k = hidden;
  const P = (out + 7) >> 3;
  const keys = scratch, score = keys + (<usize>hidden << 3), sel = score + (<usize>hidden << 2), hs = sel + (<usize>k << 2);
  const panels = hs + (<usize>(rows * k) << 2);
  scoreUnits(rows, hidden, h, score);
  selectTopK(hidden, k, score, keys, sel);
  // the selected columns of H, compact [rows][k]
  for (let t = 0; t < rows; t++) {
    const src = h + (<usize>(t * hidden) << 2), dst = hs + (<usize>(t * k) << 2);
    for (let i = 0; i < k; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>load<i32>(sel + (<usize>i << 2)) << 2)));
  }
  // the selected units' weights as the GEMM's B panels [P][k][8]: W2 is stored as the B panels
  // of all hidden units, [P][hidden][8] (compiler/pack/dense.ts, columns past out zero), so per
  // panel the selected units' 8-column pieces are 32-byte copies read front to back
  let dst = panels;
  for (let p = 0; p < P; p++) {
    const base = w2 + (<usize>(p * hidden) << 5);
    for (let i = 0; i < k; i++) {
      const src = base + (<usize>load<i32>(sel + (<usize>i << 2)) << 5);
      if (ASC_FEATURE_SIMD) {
        v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
      } else {
        for (let c = 0; c < 8; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
      }
      dst += 32;
    }
  }
  // Y = Hs·panels + bias per column (BIAS_COL) on the dense GEMM's 4x8 micro-kernel
  gemm_f32_pb(1, rows, out, k, hs, 0, k, 1, panels, 0, y, 0, out, bias, bias != 0 ? 2 : 0, 0, 0, 0, gemmScratch);
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

/** sel[0..k) = indices of the k largest scores, in index order; equal scores: lower index
 *  first (ONNX TopK). A score is ≥ 0 (a mean of |h|), so its f32 bits order like its value;
 *  key = bits << 32 | ~j is unique and orders by (score, lower index): the k-th largest key
 *  (quickselect, O(hidden)) is the threshold, and the units with keys ≥ it are the selection.
 *  A heap giving them in score order cost more than the product at k = 344 of 384. */
function selectTopK(hidden: i32, k: i32, score: usize, keys: usize, sel: usize): void {
  if (k <= 0) return;
  for (let j = 0; j < hidden; j++) store<u64>(keys + (<usize>j << 3), unitKey(score, j));
  const target = k - 1;
  let lo = 0, hi = hidden - 1;
  while (lo < hi) {
    // Hoare partition into descending order around the median of three
    const a = load<u64>(keys + (<usize>lo << 3)), b = load<u64>(keys + (<usize>(lo + ((hi - lo) >> 1)) << 3)), c = load<u64>(keys + (<usize>hi << 3));
    const pivot = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
    let i = lo, j = hi;
    while (i <= j) {
      while (load<u64>(keys + (<usize>i << 3)) > pivot) i++;
      while (load<u64>(keys + (<usize>j << 3)) < pivot) j--;
      if (i <= j) {
        const t = load<u64>(keys + (<usize>i << 3));
        store<u64>(keys + (<usize>i << 3), load<u64>(keys + (<usize>j << 3)));
        store<u64>(keys + (<usize>j << 3), t);
        i++; j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  const threshold = load<u64>(keys + (<usize>target << 3));
  let n = 0;
  for (let j = 0; j < hidden; j++) if (unitKey(score, j) >= threshold) store<i32>(sel + (<usize>(n++) << 2), j);
}

@inline function unitKey(score: usize, j: i32): u64 {
  return (<u64>load<u32>(score + (<usize>j << 2)) << 32) | <u64>(~(<u32>j));
}

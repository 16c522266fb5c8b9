// Importance of head dimensions and FFN hidden units, higher = keep.
// Heads, per head j and dimension i (coupled pairs, spec §1 and §5.2):
//   data       s_qk = ‖q_i‖·‖k_i‖ and s_vo = ‖v_i‖·‖W_o[i,:]‖ over calibration tokens
//   gm         ToaSt's data-free score: distance of row i of [Q_j | K_j] (and [V_j | O_jᵀ]) from
//              the element-wise median of the head's d rows; rows near the median are redundant
//   magnitude  the baseline: ‖W_q[:,i]‖·‖W_k[:,i]‖ and ‖W_v[:,i]‖·‖W_o[i,:]‖
// FFN hidden units j:
//   data       ToaSt's token channel score made static: per calibration image
//              (2|h_0j| + Σ_p ā_p|h_pj|)/N with ā_p the class token's attention to patch p (heads
//              averaged), or mean |h_pj| without a class token; averaged over images, times
//              ‖W2[j,:]‖ (what the unit writes)
//   magnitude  ‖W1[:,j]‖·‖W2[j,:]‖ (also the data-free fallback)
import type { Graph } from '../../ir/graph.js';
import { valueOf } from '../../ir/graph.js';
import { featureOf, type AttentionBlock, type Side } from './attention.js';
import type { Activations } from './collect.js';
import { weightAt, type LinearOp } from './linearOp.js';

export type HeadScore = 'data' | 'gm' | 'magnitude';
export interface HeadScores { qk: Float64Array[]; vo: Float64Array[] }

const w32 = (g: Graph, op: LinearOp) => valueOf(g, op.weight).data as Float32Array;
/** column o (an output feature's weights over the inputs) of a linear op */
const column = (g: Graph, op: LinearOp, o: number): Float64Array => {
  const w = w32(g, op);
  return Float64Array.from({ length: op.dIn }, (_, i) => weightAt(w, op, i, o));
};
/** row i (an input feature's weights to every output) */
const row = (g: Graph, op: LinearOp, i: number): Float64Array => {
  const w = w32(g, op);
  return Float64Array.from({ length: op.dOut }, (_, o) => weightAt(w, op, i, o));
};
const norm = (x: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < x.length; i++) s += x[i] * x[i]; return Math.sqrt(s); };

/** ‖column f‖₂ over the calibration rows of a [rows, C] activation */
function activationNorms(a: Activations, value: string): Float64Array {
  const v = a.values.get(value)!;
  const out = new Float64Array(v.cols);
  for (let r = 0; r < a.rows; r++) for (let c = 0; c < v.cols; c++) out[c] += v.data[r * v.cols + c] ** 2;
  return out.map(Math.sqrt);
}

export function headScores(g: Graph, b: AttentionBlock, how: HeadScore, acts?: Activations): HeadScores {
  const { heads: h, headDim: d } = b;
  const f = (s: Side, j: number, i: number) => featureOf(s, h, d, j, i);
  const qk: Float64Array[] = [], vo: Float64Array[] = [];
  const outRow = (j: number, i: number) => row(g, b.out, j * d + i);
  if (how === 'data') {
    if (!acts) throw new Error('internal: data-aware head scores need calibration activations');
    const norms = new Map<string, Float64Array>();
    const n = (s: Side) => norms.get(s.proj.output) ?? norms.set(s.proj.output, activationNorms(acts, s.proj.output)).get(s.proj.output)!;
    for (let j = 0; j < h; j++) {
      qk.push(Float64Array.from({ length: d }, (_, i) => n(b.q)[f(b.q, j, i)] * n(b.k)[f(b.k, j, i)]));
      vo.push(Float64Array.from({ length: d }, (_, i) => n(b.v)[f(b.v, j, i)] * norm(outRow(j, i))));
    }
  } else if (how === 'magnitude') {
    for (let j = 0; j < h; j++) {
      qk.push(Float64Array.from({ length: d }, (_, i) => norm(column(g, b.q.proj, f(b.q, j, i))) * norm(column(g, b.k.proj, f(b.k, j, i)))));
      vo.push(Float64Array.from({ length: d }, (_, i) => norm(column(g, b.v.proj, f(b.v, j, i))) * norm(outRow(j, i))));
    }
  } else {
    for (let j = 0; j < h; j++) {
      qk.push(medianDistance(Array.from({ length: d }, (_, i) => concat(column(g, b.q.proj, f(b.q, j, i)), column(g, b.k.proj, f(b.k, j, i))))));
      vo.push(medianDistance(Array.from({ length: d }, (_, i) => concat(column(g, b.v.proj, f(b.v, j, i)), outRow(j, i)))));
    }
  }
  return { qk, vo };
}

const concat = (a: Float64Array, b: Float64Array): Float64Array => { const o = new Float64Array(a.length + b.length); o.set(a); o.set(b, a.length); return o; };

/** ‖row_i − median‖₂ with the median taken element-wise over the rows (FPGM-style). */
export function medianDistance(rows: Float64Array[]): Float64Array {
  const n = rows.length, m = rows[0].length;
  const med = new Float64Array(m), col = new Float64Array(n);
  for (let c = 0; c < m; c++) {
    for (let r = 0; r < n; r++) col[r] = rows[r][c];
    col.sort();
    med[c] = n % 2 ? col[(n - 1) / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
  }
  return Float64Array.from(rows, (x) => { let s = 0; for (let c = 0; c < m; c++) s += (x[c] - med[c]) ** 2; return Math.sqrt(s); });
}

export function hiddenScores(g: Graph, fc1: LinearOp, fc2: LinearOp, how: 'data' | 'magnitude', acts?: Activations, probs?: string | null): Float64Array {
  const H = fc1.dOut;
  const out2 = Float64Array.from({ length: H }, (_, j) => norm(row(g, fc2, j)));
  if (how === 'magnitude') return Float64Array.from({ length: H }, (_, j) => norm(column(g, fc1, j)) * out2[j]);
  if (!acts) throw new Error('internal: data-aware FFN scores need calibration activations');
  const v = acts.values.get(fc2.input)!;
  const attn = probs ? acts.classAttention.get(probs) : undefined;
  const score = new Float64Array(H), image = new Float64Array(H);
  let images = 0;
  for (let r0 = 0; r0 < acts.rows;) {
    let r1 = r0;
    while (r1 < acts.rows && acts.feed[r1] === acts.feed[r0]) r1++;
    const N = r1 - r0;
    image.fill(0);
    for (let r = r0; r < r1; r++) {
      const wgt = attn ? (acts.token[r] === 0 ? 2 : attn[r]) : 1;
      for (let j = 0; j < H; j++) image[j] += wgt * Math.abs(v.data[r * H + j]);
    }
    for (let j = 0; j < H; j++) score[j] += image[j] / N;
    images++;
    r0 = r1;
  }
  return score.map((s, j) => (s / Math.max(1, images)) * out2[j]);
}

/** The `k` highest scores' indices, ascending (ties keep the lower index). */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, k).sort((a, b) => a - b);
}

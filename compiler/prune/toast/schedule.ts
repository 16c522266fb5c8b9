// How much to prune where, fitted to a FLOPs (MAC) budget.
// Cost: the model's MACs with fixed shapes (inspect's nodeMacs over a shape-propagated copy);
// per attention block, one kept head dimension costs h·(3·N·C_in + 2·N² + N·C_out) MACs (q/k/v
// projection, QKᵀ, AV, W_o); per FFN, one hidden unit costs N·(C_in + C_out).
// Schedule (ToaSt's shape, post-training strength): block 0's attention stays dense, the other
// blocks keep the same head size k = d·(1 − s) rounded to a multiple of 4 (the SIMD lanes);
// FFN ratios are back-loaded, filled from the last block towards the first up to r = 0.9 each.
// One knob t ∈ [0, 1] drives both (s = 0.5·t, FFN fill = t·0.9·(FFNs − 1) block-units, so at
// t = 1 every FFN but the first is at 0.9); the smallest t that meets the budget is chosen.
import { SparsecError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { numel } from '../../ir/graph.js';
import { fixInputShapes } from '../../ir/passes/inputShapes.js';
import { propagate } from '../../ir/passes/propagate.js';
import { nodeMacs } from '../../inspect.js';
import type { AttentionBlock } from './attention.js';
import type { Ffn } from './ffn.js';
import { copyGraph } from './surgery.js';

export interface Cost {
  total: number;
  /** MACs of the prunable parts (every attention block and FFN, dense) */
  blocks: number;
  attention: { tokens: number; perDim: number; headDim: number }[];
  ffn: { tokens: number; perUnit: number; hidden: number }[];
}

export interface Schedule {
  /** kept head dimensions per attention block (= headDim: dense) */
  attention: number[];
  /** kept hidden units per FFN (= hidden: dense) */
  ffn: number[];
}

export const ATTENTION_MAX_SPARSITY = 0.5;
export const FFN_MAX_RATIO = 0.9;

/** Total MACs of a graph with the given input shapes (a copy is shape-propagated). */
export function graphMacs(g: Graph, inputShapes: Record<string, number[]>): { total: number; shaped: Graph } {
  const c = copyGraph(g);
  fixInputShapes(c, inputShapes);
  const { unknownOps } = propagate(c);
  if (unknownOps.length) throw new SparsecError('E_UNSUPPORTED', `cannot count MACs: no shape rule for ${[...new Set(unknownOps.map((n) => n.op))].join(', ')}`, { file: g.source });
  return { total: c.nodes.reduce((s, n) => s + nodeMacs(c, n), 0), shaped: c };
}

export function modelCost(g: Graph, blocks: readonly AttentionBlock[], ffns: readonly Ffn[], inputShapes: Record<string, number[]>): Cost {
  const { total, shaped } = graphMacs(g, inputShapes);
  const tokensOf = (value: string, width: number): number => {
    const s = shaped.values.get(value)?.shape;
    if (!s) throw new Error(`internal: no shape for '${value}'`);
    return numel(s) / width;
  };
  const cost: Cost = {
    total, blocks: 0,
    attention: blocks.map((b) => {
      const N = tokensOf(b.q.proj.output, b.q.proj.dOut);
      return { tokens: N, headDim: b.headDim, perDim: b.heads * (3 * N * b.q.proj.dIn + 2 * N * N + N * b.out.dOut) };
    }),
    ffn: ffns.map((f) => {
      const N = tokensOf(f.fc1.output, f.fc1.dOut);
      return { tokens: N, hidden: f.fc1.dOut, perUnit: N * (f.fc1.dIn + f.fc2.dOut) };
    }),
  };
  cost.blocks = savedMacs(cost, { attention: cost.attention.map(() => 0), ffn: cost.ffn.map(() => 0) });
  return cost;
}

/** What a budget is a fraction of: the whole model's MACs, or only the attention blocks' and
 *  FFNs' (a CNN-backed model such as PP-OCR's recognizer spends most MACs outside them). */
export type BudgetScope = 'model' | 'blocks';

/** MACs a schedule removes. */
export function savedMacs(c: Cost, s: Schedule): number {
  let saved = 0;
  c.attention.forEach((a, i) => { saved += (a.headDim - s.attention[i]) * a.perDim; });
  c.ffn.forEach((f, i) => { saved += (f.hidden - s.ffn[i]) * f.perUnit; });
  return saved;
}

/** x rounded to a multiple of 4 in [4, full]; `full` itself when no multiple of 4 is smaller. */
export function roundKeep(x: number, full: number): number {
  const r = Math.max(4, Math.round(x / 4) * 4);
  return r >= full ? full : r;
}

/** The schedule at knob t; `fill` (FFN block-units) overrides t's FFN part. */
export function scheduleAt(c: Cost, t: number, fill = t * FFN_MAX_RATIO * Math.max(1, c.ffn.length - 1)): Schedule {
  const s = ATTENTION_MAX_SPARSITY * t;
  const attention = c.attention.map((a, i) => (i === 0 ? a.headDim : roundKeep(a.headDim * (1 - s), a.headDim)));
  const ratios = new Array<number>(c.ffn.length).fill(0);
  for (let i = c.ffn.length - 1; i >= 0 && fill > 0; i--) { ratios[i] = Math.min(FFN_MAX_RATIO, fill); fill -= ratios[i]; }
  return { attention, ffn: c.ffn.map((f, i) => (ratios[i] > 0 ? roundKeep(f.hidden * (1 - ratios[i]), f.hidden) : f.hidden)) };
}

/** The back-loaded schedule with the smallest t whose MAC reduction reaches `target`; the
 *  head sizes move in steps of 4, so the FFN fill is then lowered to the least that still
 *  reaches it (otherwise a step overshoots the budget by several percent). */
export function fitSchedule(c: Cost, target: number, scope: BudgetScope = 'model'): { schedule: Schedule; t: number; reduction: number } {
  const base = scope === 'model' ? c.total : c.blocks;
  const reductionOf = (s: Schedule) => savedMacs(c, s) / base;
  for (let step = 0; step <= 1000; step++) {
    const t = step / 1000;
    if (reductionOf(scheduleAt(c, t)) < target) continue;
    const most = t * FFN_MAX_RATIO * Math.max(1, c.ffn.length - 1);
    for (let k = 0; k <= 1000; k++) {
      const schedule = scheduleAt(c, t, (most * k) / 1000);
      const reduction = reductionOf(schedule);
      if (reduction >= target) return { schedule, t, reduction };
    }
  }
  const most = reductionOf(scheduleAt(c, 1));
  throw new SparsecError('E_OPTION', `--flops-reduction ${target}: the schedule removes at most ${(most * 100).toFixed(1)}% of the MACs of ${scope === 'model' ? 'this model' : 'its attention blocks and FFNs'} (attention ≤ ${ATTENTION_MAX_SPARSITY * 100}% of each head, FFNs ≤ ${FFN_MAX_RATIO * 100}%)`);
}

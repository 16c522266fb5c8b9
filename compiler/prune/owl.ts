// OWL layer-wise sparsity (Yin et al. 2024; verified from luuyin/OWL, spec §4): blocks with more
// activation outliers keep more weights. Per block, LOD = % of Wanda scores |W_ij|·‖X_j‖ (all
// its linear layers together) above M × their mean; LODs are min-max scaled to [0, 2λ],
// centred, and added to the target density 1 − S, so the block sparsities average S and span
// 2λ. Every layer of a block gets its block's sparsity. Unstructured only for now.
import type { Graph } from '../ir/graph.js';
import type { ChannelStats } from '../calibrate/stats.js';
import { toOutIn, type LinearLayer } from './linear.js';

export interface OwlOptions {
  /** λ: half the spread of the block sparsities (OWL's default 0.08) */
  lambda: number;
  /** outlier threshold multiple of the mean (OWL's default 5) */
  m: number;
  /** node names → block: the first capture group (layers that do not match are their own block) */
  block: RegExp;
}

export const OWL_DEFAULTS: OwlOptions = { lambda: 0.08, m: 5, block: /(?:^|[/._])(?:blocks?|layers?|h)[._](\d+)(?:[/._]|$)/ };

/** percentage of the values (over all arrays) greater than m × their mean */
export function outlierRatio(metrics: readonly ArrayLike<number>[], m: number): number {
  let sum = 0, n = 0;
  for (const a of metrics) for (let i = 0; i < a.length; i++) { sum += a[i]; n++; }
  const thr = m * (sum / n);
  let count = 0;
  for (const a of metrics) for (let i = 0; i < a.length; i++) if (a[i] > thr) count++;
  return (100 * count) / n;
}

/** sparsity per block from the blocks' outlier ratios */
export function owlSparsities(ratios: readonly number[], sparsity: number, lambda: number): number[] {
  const lo = Math.min(...ratios), hi = Math.max(...ratios);
  const scaled = ratios.map((r) => (hi > lo ? ((r - lo) / (hi - lo)) * 2 * lambda : 0));
  const mean = scaled.reduce((s, v) => s + v, 0) / scaled.length;
  return scaled.map((v) => Math.min(1, Math.max(0, 1 - (v - mean + (1 - sparsity)))));
}

/** layer name → sparsity for the prunable layers */
export function owlLayerSparsity(g: Graph, layers: readonly LinearLayer[], stats: ReadonlyMap<string, ChannelStats>, sparsity: number, o: OwlOptions = OWL_DEFAULTS): Map<string, number> {
  const blocks = new Map<string, LinearLayer[]>();
  for (const l of layers.filter((x) => !x.skip)) {
    const key = o.block.exec(l.name)?.[1] ?? `layer ${l.name}`;
    if (!blocks.has(key)) blocks.set(key, []);
    blocks.get(key)!.push(l);
  }
  const ratios = [...blocks.values()].map((ls) => outlierRatio(ls.map((l) => {
    const w = toOutIn(g, l), x = stats.get(l.input)!.rms();
    const s = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) s[i] = Math.abs(w[i]) * x[i % l.dIn];
    return s;
  }), o.m));
  const sp = owlSparsities(ratios, sparsity, o.lambda);
  const out = new Map<string, number>();
  [...blocks.values()].forEach((ls, b) => ls.forEach((l) => out.set(l.name, sp[b])));
  return out;
}

// One pruning pass of the CRePE family: score every prunable linear layer, build its mask.
// Pure: weights and statistics in, masks and a per-layer report out; apply.ts writes them.
import type { Graph } from '../ir/graph.js';
import type { ChannelStats } from '../calibrate/stats.js';
import { SparsecError } from '../errors.js';
import { toOutIn, type LinearLayer } from './linear.js';
import { dsnot, type DsnotOptions } from './dsnot.js';
import { permutedNMMask } from './permute.js';
import { computeMask, prunedCount, type Pattern } from './masks.js';
import { CREPE_DEFAULTS, scoreMatrix, type CrepeOptions, type ScoreMethod } from './scores.js';

export interface PruneOptions {
  method: ScoreMethod;
  pattern: Pattern;
  crepe?: CrepeOptions;
  /** per-layer sparsity (OWL): overrides an unstructured pattern's sparsity; for N:M the layer
   *  keeps N_l = round((1 − s_l)·M) of M, clipped to [1, M] */
  layerSparsity?: ReadonlyMap<string, number>;
  /** DSnoT re-pruning of each mask (needs calibration statistics) */
  dsnot?: DsnotOptions;
  /** N:M only: choose the mask on channel-permuted columns (permute.ts); the caller carries π
   *  into the graph with permuteGraph.ts */
  permute?: boolean;
  /** with permute: refine π by linear sum assignment per in-group slot (RIA's --lsa) */
  lsa?: boolean;
}

export interface LayerReport { name: string; dOut: number; dIn: number; pruned: number; skip: string }

/** N:M (kept of M) nearest to a sparsity, at least 1 kept. */
export const nmForSparsity = (m: number, sparsity: number): Pattern => ({ kind: 'nm', n: Math.min(m, Math.max(1, Math.round((1 - sparsity) * m))), m });

export const needsActivations = (m: ScoreMethod): boolean => m !== 'magnitude';

/** Masks for every layer without a skip reason. `stats` maps a layer's input name to its
 *  statistics (not needed for magnitude). */
export function pruneMasks(g: Graph, layers: readonly LinearLayer[], stats: ReadonlyMap<string, ChannelStats> | null, o: PruneOptions): { masks: Map<string, Uint8Array>; report: LayerReport[]; perms: Map<string, Uint32Array> } {
  const active = layers.filter((l) => !l.skip);
  if (o.pattern.kind === 'nm') {
    const bad = active.filter((l) => l.dIn % (o.pattern as { m: number }).m !== 0);
    if (bad.length) {
      throw new SparsecError('E_OPTION', `${o.pattern.n}:${o.pattern.m} needs input dimensions divisible by ${o.pattern.m}; leave these layers dense with --ignore: ${bad.map((l) => `${l.name} (d_in ${l.dIn})`).join(', ')}`, { file: g.source });
    }
  }
  const masks = new Map<string, Uint8Array>();
  const perms = new Map<string, Uint32Array>();
  const report: LayerReport[] = [];
  for (const l of layers) {
    if (l.skip) { report.push({ name: l.name, dOut: l.dOut, dIn: l.dIn, pruned: 0, skip: l.skip }); continue; }
    const s = stats?.get(l.input);
    if (needsActivations(o.method) && !s) throw new Error(`internal: no calibration statistics for '${l.input}'`);
    const m = { w: toOutIn(g, l), rows: l.dOut, cols: l.dIn };
    const scores = scoreMatrix(o.method, m, s?.rms(), o.crepe ?? CREPE_DEFAULTS);
    const own = o.layerSparsity?.get(l.name);
    const pattern = own === undefined ? o.pattern : o.pattern.kind === 'unstructured' ? { ...o.pattern, sparsity: own } : nmForSparsity(o.pattern.m, own);
    let mask: Uint8Array;
    if (o.permute && pattern.kind === 'nm') {
      const p = permutedNMMask(scores, l.dOut, l.dIn, pattern.n, pattern.m, o.lsa);
      mask = p.mask;
      perms.set(l.name, p.perm);
    } else {
      mask = computeMask(scores, l.dOut, l.dIn, pattern);
    }
    if (o.dsnot) {
      if (!s) throw new Error(`internal: DSnoT needs calibration statistics for '${l.input}'`);
      mask = dsnot(m, mask, s.mean(), s.variance(), s.rms(), pattern, o.dsnot);
    }
    masks.set(l.name, mask);
    report.push({ name: l.name, dOut: l.dOut, dIn: l.dIn, pruned: prunedCount(l.dOut, l.dIn, pattern), skip: '' });
  }
  return { masks, report, perms };
}

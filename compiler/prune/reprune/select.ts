// REPrune's filter selection for one layer, or for one coupled group of layers that must keep the
// same output channels (every producer's filter c is dropped or kept together).
//
// Per producer conv: Ward-cluster each input channel's kernel set, read every channel's height at
// merge ñ = filters − k, cut all channels at the largest of them (the layer cut height h_l,
// Eq. 4–5), so no channel has more clusters than kept filters. A group's universe is the union
// of its producers' clusters, each producer cut at its own h_l (heights of different layers are
// in different units), and one greedy coverage picks the shared kept set.
import { cutAt, wardLinkage } from './ward.js';
import { greedyCoverage } from './coverage.js';

/** A conv weight [filters][channels][kH][kW] (group = 1), row-major. */
export interface ConvWeight { data: ArrayLike<number>; shape: readonly number[] }

/** Cluster labels of every input channel of `w` cut at the layer height for keeping `k` filters. */
export function channelClusters(w: ConvWeight, k: number): Int32Array[] {
  const [filters, channels] = w.shape;
  const kernel = w.shape.slice(2).reduce((a, b) => a * b, 1);
  const merges = Math.max(0, filters - k);
  const perChannel = [];
  const x = new Float64Array(filters * kernel);
  for (let j = 0; j < channels; j++) {
    for (let i = 0; i < filters; i++) for (let t = 0; t < kernel; t++) x[i * kernel + t] = w.data[(i * channels + j) * kernel + t];
    perChannel.push(wardLinkage(x, filters, kernel));
  }
  // h_l = max over channels of the ñ-th merge height (−∞ when nothing merges: every kernel its own cluster)
  const h = merges === 0 ? -Infinity : Math.max(...perChannel.map((m) => m[merges - 1].height));
  return perChannel.map((m) => cutAt(m, filters, h));
}

/** ‖F_i‖₂ over all producers' filter i (the tie-break of equal coverage gains). */
export function filterNorms(ws: readonly ConvWeight[], filters: number): Float64Array {
  const s = new Float64Array(filters);
  for (const w of ws) {
    const per = w.data.length / w.shape[0];
    for (let i = 0; i < filters; i++) for (let t = 0; t < per; t++) s[i] += w.data[i * per + t] ** 2;
  }
  return s.map(Math.sqrt);
}

/** The `k` of `filters` filters REPrune keeps (sorted). `gamma`: |BN scale| per filter,
 *  multiplied into the tie-break when present. With no producer to cluster (only grouped convs)
 *  the tie-break alone decides. */
export function repruneSelect(producers: readonly ConvWeight[], k: number, filters = producers[0].shape[0], gamma?: ArrayLike<number>): number[] {
  if (k >= filters) return Array.from({ length: filters }, (_, i) => i);
  const labels = producers.flatMap((w) => channelClusters(w, k));
  const tie = producers.length ? filterNorms(producers, filters) : new Float64Array(filters).fill(1);
  if (gamma) for (let i = 0; i < filters; i++) tie[i] *= Math.abs(gamma[i]);
  return greedyCoverage(labels, filters, k, tie).sort((a, b) => a - b);
}

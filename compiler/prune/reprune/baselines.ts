// The baselines REPrune is compared with, at the same kept count per group (so at equal FLOPs):
// L1-norm filter pruning (Li et al. 2017: keep the filters of largest Σ|w|, summed over the
// group's producers) and a seeded uniform random choice.
import { rng } from '../../util/random.js';
import type { ConvWeight } from './select.js';

/** The k filters of largest L1 norm (ties: lower index), sorted. */
export function l1Select(producers: readonly ConvWeight[], k: number): number[] {
  const filters = producers[0].shape[0];
  const s = new Float64Array(filters);
  for (const w of producers) {
    const per = w.data.length / w.shape[0];
    for (let i = 0; i < filters; i++) for (let t = 0; t < per; t++) s[i] += Math.abs(w.data[i * per + t]);
  }
  return Array.from({ length: filters }, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b).slice(0, k).sort((a, b) => a - b);
}

/** k of `filters` indices uniformly at random (partial Fisher–Yates with the project PRNG), sorted. */
export function randomSelect(filters: number, k: number, seed: number): number[] {
  const order = Array.from({ length: filters }, (_, i) => i);
  const r = rng(seed);
  for (let i = 0; i < Math.min(k, filters); i++) {
    const j = i + Math.floor(r() * (filters - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, k).sort((a, b) => a - b);
}

// How many channels each prunable group keeps, for a FLOPs reduction target.
//
// With BatchNorm scales on every prunable group, REPrune's global allocation (Eq. 8–9): a group's
// sparsity is the fraction of its |γ| at or below the global threshold γ*, capped per group. The
// paper hand-tunes the quantile s̄ to a FLOPs budget; here γ* is the smallest threshold (one of
// the |γ| values) whose allocation meets the target, found by bisection since FLOPs only fall as
// γ* rises. Without BN scales every group gets the same sparsity s (bisection on s), capped.
// Kept counts are k = ⌈(1 − s)·C⌉ and at least 1. L1 and random use the same counts, so the
// methods are compared at exactly equal FLOPs.

export interface RatioGroup {
  id: string;
  channels: number;
  /** |γ| per channel (mean over the group's BatchNorms), when every producer has one */
  gamma?: ArrayLike<number>;
}

export interface Allocation {
  kept: Map<string, number>;
  /** 1 − FLOPs(pruned) / FLOPs(dense) */
  reduction: number;
  /** 'bn': γ-quantile allocation; 'uniform': one sparsity for all groups */
  mode: 'bn' | 'uniform';
  /** γ* (bn) or s (uniform) */
  threshold: number;
}

const keep = (C: number, s: number) => Math.max(1, Math.ceil((1 - s) * C - 1e-9));

/** `flops(kept)` must give the model's FLOPs with those kept counts (absent groups: all kept). */
export function allocate(groups: readonly RatioGroup[], target: number, flops: (kept: Map<string, number>) => number, cap = 0.7): Allocation {
  const dense = flops(new Map());
  const reductionOf = (kept: Map<string, number>) => 1 - flops(kept) / dense;
  const useBn = groups.length > 0 && groups.every((g) => g.gamma);
  if (useBn) {
    const thresholds = [...new Set(groups.flatMap((g) => Array.from(g.gamma!, Math.abs)))].sort((a, b) => a - b);
    const at = (t: number) => new Map(groups.map((g) => {
      let below = 0;
      for (const v of Array.from(g.gamma!, Math.abs)) if (v <= t) below++;
      return [g.id, keep(g.channels, Math.min(cap, below / g.channels))];
    }));
    let lo = -1, hi = thresholds.length - 1; // invariant: lo misses the target (−1 = nothing pruned)
    if (reductionOf(at(thresholds[hi])) < target) return { kept: at(thresholds[hi]), reduction: reductionOf(at(thresholds[hi])), mode: 'bn', threshold: thresholds[hi] };
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (reductionOf(at(thresholds[mid])) >= target) hi = mid; else lo = mid;
    }
    const kept = at(thresholds[hi]);
    return { kept, reduction: reductionOf(kept), mode: 'bn', threshold: thresholds[hi] };
  }
  const at = (s: number) => new Map(groups.map((g) => [g.id, keep(g.channels, Math.min(cap, s))]));
  let lo = 0, hi = cap;
  if (reductionOf(at(hi)) < target) return { kept: at(hi), reduction: reductionOf(at(hi)), mode: 'uniform', threshold: hi };
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (reductionOf(at(mid)) >= target) hi = mid; else lo = mid;
  }
  const kept = at(hi);
  return { kept, reduction: reductionOf(kept), mode: 'uniform', threshold: hi };
}

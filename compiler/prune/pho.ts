// PHO, reconstructed (spec §3; the paper's method text is not public): search CRePE's
// coefficients and window size with CMA-ES on a cheap proxy instead of pruning and measuring
// perplexity for every candidate. One dense calibration is cached (W and ‖X_j‖ per layer);
// a candidate θ costs scores + masks only.
//   θ = (log α, log β, log γ, k_cont), k = 2·round(k_cont) + 1 in [1, 9], |log coefficient| ≤ 3.
//   proxy(θ) = mean over layers of the Gini coefficient of the pruned entries' Wanda scores
//   |W_ij|·‖X_j‖ (a θ-independent measure, so values compare across θ). Its sign is unknown:
//   the caller fixes it from a rank correlation with real perplexity on a few random θ.
//   Backup proxy: the fraction of the Wanda score mass that the mask keeps.
// The proxy ranks random θ well but its optimum can overshoot (docs/crepe.md), so PHO ends with
// a real check when the caller gives one (`validate`: e.g. bits per byte on calibration text
// that calibration did not use): the best few distinct proxy candidates, CRePE's defaults and
// the RIA point (CRePE with α = β = 1, γ = 0, raw terms, which is RIA exactly) are pruned and
// measured, and the lowest real value wins. So PHO never returns a choice that the check finds
// worse than RIA or the defaults, at the cost of a few real evaluations.
import type { Graph } from '../ir/graph.js';
import type { ChannelStats } from '../calibrate/stats.js';
import { rng } from '../util/random.js';
import { cmaes, type CmaesResult } from './cmaes.js';
import { toOutIn, type LinearLayer } from './linear.js';
import { computeMask, type Pattern } from './masks.js';
import { CREPE_DEFAULTS, crepeScores, type CrepeOptions, type Matrix } from './scores.js';

export interface CachedLayer { name: string; m: Matrix; xNorm: Float64Array; wanda: Float64Array }

export function cacheLayers(g: Graph, layers: readonly LinearLayer[], stats: ReadonlyMap<string, ChannelStats>): CachedLayer[] {
  return layers.filter((l) => !l.skip).map((l) => {
    const m = { w: toOutIn(g, l), rows: l.dOut, cols: l.dIn };
    const xNorm = stats.get(l.input)!.rms();
    const wanda = Float64Array.from(m.w, (v, i) => Math.abs(v) * xNorm[i % l.dIn]);
    return { name: l.name, m, xNorm, wanda };
  });
}

/** Gini of non-negative values: 2Σ i·x_(i) / (nΣx) − (n+1)/n over the ascending order, i = 1..n. */
export function gini(values: ArrayLike<number>): number {
  const x = Float64Array.from(values).sort();
  const n = x.length;
  let s = 0, sw = 0;
  for (let i = 0; i < n; i++) { s += x[i]; sw += (i + 1) * x[i]; }
  return n === 0 || s === 0 ? 0 : (2 * sw) / (n * s) - (n + 1) / n;
}

export const THETA_LOWER = [-3, -3, -3, 0];
export const THETA_UPPER = [3, 3, 3, 4];

export function decodeTheta(t: readonly number[]): CrepeOptions {
  const k = 2 * Math.min(4, Math.max(0, Math.round(t[3]))) + 1;
  return { ...CREPE_DEFAULTS, alpha: Math.exp(t[0]), beta: Math.exp(t[1]), gamma: Math.exp(t[2]), k };
}

/** θ of CRePE's defaults (α = β = 1, γ = 0.5, k = 3) */
export const THETA_DEFAULT = [0, 0, Math.log(CREPE_DEFAULTS.gamma), 1];

export interface ProxyValue { gini: number; keptEnergy: number }

export function proxy(layers: readonly CachedLayer[], crepe: CrepeOptions, pattern: Pattern): ProxyValue {
  let g = 0, kept = 0;
  for (const l of layers) {
    const mask = computeMask(crepeScores(l.m, l.xNorm, crepe), l.m.rows, l.m.cols, pattern);
    const pruned: number[] = [];
    let total = 0, keep = 0;
    for (let i = 0; i < mask.length; i++) {
      total += l.wanda[i];
      if (mask[i]) keep += l.wanda[i];
      else pruned.push(l.wanda[i]);
    }
    g += gini(pruned);
    kept += total > 0 ? keep / total : 1;
  }
  return { gini: g / layers.length, keptEnergy: kept / layers.length };
}

/** Random θ in the box, from the project PRNG (for the sign check). */
export function randomThetas(count: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: count }, () => THETA_LOWER.map((lo, i) => lo + (THETA_UPPER[i] - lo) * r()));
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ranks = (x: readonly number[]) => {
    const idx = x.map((_, i) => i).sort((i, j) => x[i] - x[j]);
    const r = new Array<number>(x.length);
    for (let s = 0; s < idx.length;) {
      let e = s;
      while (e + 1 < idx.length && x[idx[e + 1]] === x[idx[s]]) e++;
      for (let t = s; t <= e; t++) r[idx[t]] = (s + e) / 2;
      s = e + 1;
    }
    return r;
  };
  const ra = ranks(a), rb = ranks(b), n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n, mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) { num += (ra[i] - ma) * (rb[i] - mb); da += (ra[i] - ma) ** 2; db += (rb[i] - mb) ** 2; }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

/** CRePE options that give RIA's score exactly (tested in scores.test.ts). */
export const RIA_POINT: CrepeOptions = { ...CREPE_DEFAULTS, alpha: 1, beta: 1, gamma: 0, k: 1, normalize: false };

export interface PhoCandidate { source: 'proxy' | 'defaults' | 'ria'; crepe: CrepeOptions; proxy?: number; real?: number }

export interface PhoOptions {
  pattern: Pattern;
  /** which proxy, and +1 to minimise it or −1 to maximise it */
  objective: { proxy: keyof ProxyValue; sign: 1 | -1 };
  generations?: number;
  seed?: number;
  sigma0?: number;
  /** called after each CMA-ES generation */
  onProgress?: (done: number, total: number) => void;
  /** the real objective of a choice (lower is better); without it the proxy's best is returned */
  validate?: (crepe: CrepeOptions) => Promise<number>;
  /** how many distinct best proxy candidates to validate (default 3) */
  validateTop?: number;
}

export interface PhoResult { crepe: CrepeOptions; theta: number[]; search: CmaesResult; seconds: number; candidates: PhoCandidate[]; chosen: PhoCandidate }

export async function pho(layers: readonly CachedLayer[], o: PhoOptions): Promise<PhoResult> {
  const t0 = performance.now();
  const seen = new Map<string, PhoCandidate>();
  const objective = (t: number[]) => {
    const crepe = decodeTheta(t);
    const value = o.objective.sign * proxy(layers, crepe, o.pattern)[o.objective.proxy];
    const key = JSON.stringify(crepe);
    if (!seen.has(key) || value < seen.get(key)!.proxy!) seen.set(key, { source: 'proxy', crepe, proxy: value });
    return value;
  };
  const search = await cmaes(objective, {
    x0: THETA_DEFAULT, sigma0: o.sigma0 ?? 0.5, lower: THETA_LOWER, upper: THETA_UPPER, generations: o.generations ?? 20, seed: o.seed ?? 0, onGeneration: o.onProgress,
  });
  const best: PhoCandidate = { source: 'proxy', crepe: decodeTheta(search.best), proxy: search.bestValue };
  if (!o.validate) return { crepe: best.crepe, theta: search.best, search, seconds: (performance.now() - t0) / 1000, candidates: [best], chosen: best };
  // stable order: proxy value, then first seen
  const top = [...seen.values()].sort((a, b) => a.proxy! - b.proxy!).slice(0, o.validateTop ?? 3);
  const candidates: PhoCandidate[] = [...top, { source: 'defaults', crepe: CREPE_DEFAULTS }, { source: 'ria', crepe: RIA_POINT }];
  let chosen = candidates[0];
  for (const c of candidates) {
    c.real = await o.validate(c.crepe);
    if (c.real < chosen.real!) chosen = c;
  }
  return { crepe: chosen.crepe, theta: search.best, search, seconds: (performance.now() - t0) / 1000, candidates, chosen };
}

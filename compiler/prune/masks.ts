// Masks from scores (1 = keep, 0 = pruned), on W[out][in] row-major. Counts are exact: the
// lowest scores are pruned, ties broken by the lower flat index first, so the same scores
// always give the same mask (RIA's `score <= threshold` can over-prune on ties).

export type Pattern =
  | { kind: 'unstructured'; sparsity: number; scope: 'matrix' | 'row' }
  /** keep at most n of every m consecutive input columns in each row (2:4, 4:8) */
  | { kind: 'nm'; n: number; m: number };

/** Parse "0.5" or "50%" (unstructured) or "2:4" (N:M, N kept of M). */
export function parsePattern(s: string, scope: 'matrix' | 'row' = 'matrix'): Pattern | null {
  const nm = /^(\d+):(\d+)$/.exec(s.trim());
  if (nm) {
    const n = Number(nm[1]), m = Number(nm[2]);
    return n >= 0 && m > 0 && n <= m ? { kind: 'nm', n, m } : null;
  }
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s.trim());
  const v = pct ? Number(pct[1]) / 100 : Number(s);
  return s.trim() !== '' && Number.isFinite(v) && v >= 0 && v < 1 ? { kind: 'unstructured', sparsity: v, scope } : null;
}

export const patternName = (p: Pattern): string => (p.kind === 'nm' ? `${p.n}:${p.m}` : `${Math.round(p.sparsity * 1000) / 10}%${p.scope === 'row' ? ' per row' : ''}`);

/** Prune the `count` lowest of scores[start + t·stride], t < n (ties: lower index first). The
 *  threshold comes from a native numeric sort of a copy; entries equal to it are pruned in
 *  index order until the count is reached, which is the same as a stable (score, index) sort. */
function pruneLowest(scores: ArrayLike<number>, start: number, n: number, count: number, mask: Uint8Array): void {
  if (count <= 0) return;
  const v = new Float64Array(n);
  for (let t = 0; t < n; t++) v[t] = scores[start + t];
  const thr = v.slice().sort()[count - 1];
  let left = count;
  for (let t = 0; t < n; t++) if (v[t] < thr) { mask[start + t] = 0; left--; }
  for (let t = 0; t < n && left > 0; t++) if (v[t] === thr) { mask[start + t] = 0; left--; }
}

/** The same for one small N:M group: selection by repeated minimum, no allocation. */
function pruneGroup(scores: ArrayLike<number>, start: number, m: number, count: number, mask: Uint8Array): void {
  for (let k = 0; k < count; k++) {
    let best = -1;
    for (let t = 0; t < m; t++) if (mask[start + t] && (best < 0 || scores[start + t] < scores[start + best])) best = t;
    mask[start + best] = 0;
  }
}

export function computeMask(scores: ArrayLike<number>, rows: number, cols: number, p: Pattern): Uint8Array {
  if (scores.length !== rows * cols) throw new Error(`internal: ${scores.length} scores for a ${rows}x${cols} matrix`);
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) throw new Error(`internal: NaN score at ${i}`);
  const mask = new Uint8Array(rows * cols).fill(1);
  if (p.kind === 'unstructured' && p.scope === 'matrix') {
    pruneLowest(scores, 0, rows * cols, Math.floor(p.sparsity * rows * cols), mask);
  } else if (p.kind === 'unstructured') {
    const count = Math.floor(p.sparsity * cols);
    for (let r = 0; r < rows; r++) pruneLowest(scores, r * cols, cols, count, mask);
  } else {
    if (cols % p.m !== 0) throw new RangeError(`${p.n}:${p.m} needs the input dimension (${cols}) to be a multiple of ${p.m}`);
    for (let r = 0; r < rows; r++) for (let c0 = 0; c0 < cols; c0 += p.m) pruneGroup(scores, r * cols + c0, p.m, p.m - p.n, mask);
  }
  return mask;
}

/** How many entries a mask of this pattern prunes in a rows x cols matrix. */
export function prunedCount(rows: number, cols: number, p: Pattern): number {
  if (p.kind === 'nm') return rows * (cols / p.m) * (p.m - p.n);
  return p.scope === 'matrix' ? Math.floor(p.sparsity * rows * cols) : rows * Math.floor(p.sparsity * cols);
}

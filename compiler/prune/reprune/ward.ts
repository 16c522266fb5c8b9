// Ward agglomerative clustering of a small set of vectors (REPrune clusters the kernels of one
// input channel: one vector of kH·kW weights per filter).
//
// Exact Ward by the nearest-neighbour chain over a Lance–Williams distance matrix: O(n²) time
// and memory. Ward is reducible, so the chain finds exactly the merges of the naive
// "closest pair first" algorithm, only in another order; they are sorted by height afterwards.
//
// Heights are Ward's merge cost I(A,B) = SSE(A∪B) − SSE(A) − SSE(B)
//                                     = |A||B|/(|A|+|B|)·‖m_A − m_B‖²  (the spec's d),
// i.e. half the Lance–Williams value on squared distances (scipy's height is √(2·I)).
// Ties: the chain keeps its previous element when it is among the nearest, otherwise takes the
// lowest index; equal heights keep the order the chain produced them, which is deterministic.

export interface Merge {
  /** one original point of each merged cluster (the lowest index in it) */
  a: number;
  b: number;
  /** Ward cost of the merge, ΔSSE */
  height: number;
}

/** The n−1 merges of `n` points of dimension `dim` (row-major in `x`), by increasing height. */
export function wardLinkage(x: ArrayLike<number>, n: number, dim: number): Merge[] {
  if (n <= 1) return [];
  // Lance–Williams on squared Euclidean distances; D = 2·ΔSSE throughout
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) { const d = x[i * dim + t] - x[j * dim + t]; s += d * d; }
      D[i * n + j] = D[j * n + i] = s;
    }
  }
  const size = new Int32Array(n).fill(1);
  const alive = new Uint8Array(n).fill(1);
  const low = Int32Array.from({ length: n }, (_, i) => i); // lowest original point of cluster i
  const merges: Merge[] = [];
  const chain: number[] = [];
  let remaining = n;
  while (remaining > 1) {
    if (chain.length === 0) { let s = 0; while (!alive[s]) s++; chain.push(s); }
    const c = chain[chain.length - 1];
    const prev = chain.length > 1 ? chain[chain.length - 2] : -1;
    let best = -1, bestD = Infinity;
    if (prev >= 0) { best = prev; bestD = D[c * n + prev]; }
    for (let j = 0; j < n; j++) {
      if (!alive[j] || j === c) continue;
      const d = D[c * n + j];
      if (d < bestD) { bestD = d; best = j; }
    }
    if (best !== prev) { chain.push(best); continue; }
    // c and prev are reciprocal nearest neighbours: merge prev into the lower slot
    chain.length -= 2;
    const i = Math.min(c, prev), j = Math.max(c, prev);
    merges.push({ a: low[i], b: low[j], height: bestD / 2 });
    const ni = size[i], nj = size[j];
    for (let k = 0; k < n; k++) {
      if (!alive[k] || k === i || k === j) continue;
      const nk = size[k];
      const d = ((ni + nk) * D[k * n + i] + (nj + nk) * D[k * n + j] - nk * bestD) / (ni + nj + nk);
      D[k * n + i] = D[i * n + k] = d;
    }
    size[i] = ni + nj;
    low[i] = Math.min(low[i], low[j]);
    alive[j] = 0;
    remaining--;
  }
  // stable sort: equal heights keep the chain's order
  return merges.map((m, k) => ({ m, k })).sort((p, q) => p.m.height - q.m.height || p.k - q.k).map((p) => p.m);
}

/** Cluster labels 0.. (numbered by first appearance) after applying the merges of height ≤ h
 *  (all of them in order, stopping at the first one above h). */
export function cutAt(merges: readonly Merge[], n: number, h: number): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) { parent[i] = parent[parent[i]]; i = parent[i]; } return i; };
  for (const m of merges) {
    if (m.height > h) break;
    const ra = find(m.a), rb = find(m.b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  const labels = new Int32Array(n), id = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (!id.has(r)) id.set(r, id.size);
    labels[i] = id.get(r)!;
  }
  return labels;
}

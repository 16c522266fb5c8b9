// Linear sum assignment (the Hungarian method with potentials, O(n³)): the permutation that
// minimises Σ_i cost[i][assign[i]] over a square matrix. Used by the LSA refinement of channel
// permutation (permute.ts), where scipy.optimize.linear_sum_assignment plays this role in RIA.
// Ties resolve by the lowest column index, so results are deterministic.

/** assign[i] = the column given to row i */
export function linearSumAssignment(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  if (cost.some((r) => r.length !== n)) throw new RangeError('linearSumAssignment needs a square matrix');
  // 1-based arrays of the classic formulation: u, v potentials; p[j] = row matched to column j
  const u = new Float64Array(n + 1), v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1), way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do { const j1 = way[j0]; p[j0] = p[j1]; j0 = j1; } while (j0);
  }
  const assign = new Array<number>(n);
  for (let j = 1; j <= n; j++) assign[p[j] - 1] = j - 1;
  return assign;
}

// Greedy maximum cluster coverage (REPrune Alg. 1 lines 7–13): pick k filters so that as many
// kernel clusters as possible hold a kernel of a kept filter. Filter i covers exactly one cluster
// per input channel (the one its kernel falls in), so its gain is the number of channels whose
// cluster for it is still uncovered. The paper picks uniformly among the best gains; here ties go
// to the larger `tieScore`, then the lower index, so a compiler run is reproducible.
// Coverage is monotone submodular, so greedy is within 1 − 1/e of the optimum.

/** labels[j][i] = cluster of filter i's kernel in channel j (labels 0..). Returns the k chosen
 *  filters in the order picked. */
export function greedyCoverage(labels: readonly Int32Array[], filters: number, k: number, tieScore?: ArrayLike<number>): number[] {
  if (k >= filters) return Array.from({ length: filters }, (_, i) => i);
  const gain = new Int32Array(filters).fill(labels.length); // every cluster starts uncovered
  // members[j][c] = filters whose channel-j kernel is in cluster c
  const members = labels.map((lab) => {
    const m: number[][] = [];
    lab.forEach((c, i) => (m[c] ??= []).push(i));
    return m;
  });
  const covered = labels.map((lab) => new Uint8Array(lab.length === 0 ? 0 : Math.max(...lab) + 1));
  const chosen = new Uint8Array(filters);
  const picked: number[] = [];
  while (picked.length < k) {
    let best = -1;
    for (let i = 0; i < filters; i++) {
      if (chosen[i]) continue;
      if (best < 0 || gain[i] > gain[best] || (gain[i] === gain[best] && tieScore && tieScore[i] > tieScore[best])) best = i;
    }
    chosen[best] = 1;
    picked.push(best);
    for (let j = 0; j < labels.length; j++) {
      const c = labels[j][best];
      if (covered[j][c]) continue;
      covered[j][c] = 1;
      for (const i of members[j][c]) gain[i]--;
    }
  }
  return picked;
}

/** How many clusters the filters in `kept` cover (the objective of Eq. 6). */
export function coverageOf(labels: readonly Int32Array[], kept: readonly number[]): number {
  let n = 0;
  for (const lab of labels) n += new Set(kept.map((i) => lab[i])).size;
  return n;
}

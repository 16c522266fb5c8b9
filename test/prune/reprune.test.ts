// REPrune's pieces against independent references: Ward merges worked by hand and by a brute
// force over all cluster pairs (SSE computed from scratch), greedy coverage on a constructed
// case, the layer cut height, and ridge least squares recovering a known linear map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cutAt, wardLinkage } from '../../compiler/prune/reprune/ward.js';
import { coverageOf, greedyCoverage } from '../../compiler/prune/reprune/coverage.js';
import { channelClusters, repruneSelect } from '../../compiler/prune/reprune/select.js';
import { l1Select, randomSelect } from '../../compiler/prune/reprune/baselines.js';
import { allocate } from '../../compiler/prune/reprune/ratios.js';
import { Ridge } from '../../compiler/prune/reprune/ridge.js';
import { rng } from '../../compiler/util/random.js';

const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('Ward on 1-D points: merges and heights worked by hand', () => {
  // {0,1}: ½·1² = 0.5; {5,7}: ½·2² = 2; {0,1}+{5,7}: 2·2/4·(6−0.5)² = 30.25;
  // + {20}: 4·1/5·(20−3.25)² = 224.45 (= SSE of all 257.2 − SSE of {0,1,5,7} 32.75)
  const m = wardLinkage([0, 1, 5, 7, 20], 5, 1);
  assert.equal(m.map((x) => [x.a, x.b]), [[0, 1], [2, 3], [0, 2], [0, 4]]);
  const want = [0.5, 2, 30.25, 224.45];
  m.forEach((x, i) => assert.ok(close(x.height, want[i]), `merge ${i}: ${x.height} vs ${want[i]}`));
  assert.equal(Array.from(cutAt(m, 5, 2)), [0, 0, 1, 1, 2]);
  assert.equal(Array.from(cutAt(m, 5, 1.9)), [0, 0, 1, 2, 3]);
  assert.equal(Array.from(cutAt(m, 5, -1)), [0, 1, 2, 3, 4]);
});

test('Ward on a 2-D square and a far point', () => {
  // unit square corners (0,0),(1,0),(0,1),(1,1) and (10,10). First two merges cost ½ each;
  // the pairs {0,1} (mean (.5,0)) and {2,3} (mean (.5,1)) then merge at 2·2/4·1 = 1;
  // the square (mean (.5,.5)) with (10,10): 4/5·(9.5²·2) = 144.4
  const m = wardLinkage([0, 0, 1, 0, 0, 1, 1, 1, 10, 10], 5, 2);
  assert.equal(m.map((x) => x.height).map((h) => Math.round(h * 1e9) / 1e9), [0.5, 0.5, 1, 144.4]);
  assert.equal(m[3].b, 4);
});

/** The naive Ward: repeatedly merge the pair with the least SSE increase, SSE from the points. */
function bruteWard(x: number[], n: number, dim: number): number[] {
  const sse = (c: number[]) => {
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const mean = c.reduce((a, i) => a + x[i * dim + t], 0) / c.length;
      for (const i of c) s += (x[i * dim + t] - mean) ** 2;
    }
    return s;
  };
  let clusters = Array.from({ length: n }, (_, i) => [i]);
  const heights: number[] = [];
  while (clusters.length > 1) {
    let best = [0, 1], bestH = Infinity;
    for (let a = 0; a < clusters.length; a++) for (let b = a + 1; b < clusters.length; b++) {
      const h = sse([...clusters[a], ...clusters[b]]) - sse(clusters[a]) - sse(clusters[b]);
      if (h < bestH) { bestH = h; best = [a, b]; }
    }
    heights.push(bestH);
    const merged = [...clusters[best[0]], ...clusters[best[1]]];
    clusters = clusters.filter((_, i) => i !== best[0] && i !== best[1]).concat([merged]);
  }
  return heights;
}

test('Ward by nearest-neighbour chain equals brute force on random points', () => {
  const r = rng(7);
  for (const [n, dim] of [[12, 9], [20, 1], [9, 4]]) {
    const x = Array.from({ length: n * dim }, () => r() * 2 - 1);
    const fast = wardLinkage(x, n, dim).map((m) => m.height);
    const slow = bruteWard(x, n, dim);
    fast.forEach((h, i) => assert.ok(close(h, slow[i], 1e-9), `n=${n} merge ${i}: ${h} vs ${slow[i]}`));
    // heights never decrease, and cutting at merge c leaves n − c clusters
    for (let c = 1; c < n; c++) assert.is(Math.max(...cutAt(wardLinkage(x, n, dim), n, fast[c - 1])) + 1, n - c);
  }
});

test('greedy coverage on a constructed case', () => {
  // three channels, four filters. All gains start at 3; the tie-break (score) picks filter 0,
  // which covers cluster 0 of every channel: gains become f1 1, f2 2, f3 3 → filter 3.
  const labels = [Int32Array.from([0, 0, 0, 1]), Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 1, 1])];
  assert.equal(greedyCoverage(labels, 4, 2, [4, 3, 2, 1]), [0, 3]);
  assert.is(coverageOf(labels, [0, 3]), 6);
  assert.is(coverageOf(labels, [0, 1]), 4); // what the two largest scores would cover
  // without a score the lowest index wins ties; then f3 has the largest gain
  assert.equal(greedyCoverage(labels, 4, 3), [0, 3, 1]);
  // k ≥ filters keeps all
  assert.equal(greedyCoverage(labels, 4, 4), [0, 1, 2, 3]);
});

test('layer cut height: the channel that sets it ends with exactly filters − ñ clusters', () => {
  // 4 filters, 2 input channels, 1x1 kernels. Channel 0: 0, 0.1, 5, 9 (a near-duplicate pair);
  // channel 1: 0, 3, 7, 12. Keep k = 3 → ñ = 1 merge: channel 1's first merge (½·3² = 4.5) is
  // above channel 0's (½·0.1² = 0.005), so h = 4.5. Channel 0's next merge ({5,9}: ½·4² = 8) and
  // channel 1's ({3,7}: 8) are above h: 3 clusters each.
  const w = { data: [0, 0, 0.1, 3, 5, 7, 9, 12], shape: [4, 2, 1, 1] };
  const labels = channelClusters(w, 3);
  assert.equal(Array.from(labels[0]), [0, 0, 1, 2]);
  assert.is(Math.max(...labels[1]) + 1, 3);
  // the kept filters cover every cluster of both channels; filter 0 or 1 is the duplicate
  const kept = repruneSelect([w], 3);
  assert.is(kept.length, 3);
  assert.is(coverageOf(labels, kept), 6);
  assert.ok(kept.includes(2) && kept.includes(3));
});

test('baselines: L1 keeps the largest filters, random is seeded', () => {
  const w = { data: [1, -1, 0.1, 0.1, -3, 0, 2, 2], shape: [4, 2, 1, 1] };
  assert.equal(l1Select([w], 2), [2, 3]);
  assert.equal(randomSelect(10, 4, 3), randomSelect(10, 4, 3));
  assert.is(new Set(randomSelect(10, 4, 3)).size, 4);
  assert.not.equal(randomSelect(100, 10, 1), randomSelect(100, 10, 2));
});

test('ratios: γ-quantile allocation meets the FLOPs target with the smallest threshold', () => {
  // FLOPs = Σ kept² (made up, monotone). Group a: γ 0.1..0.8, group b: γ 1..8 (all above a's).
  const groups = [
    { id: 'a', channels: 8, gamma: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] },
    { id: 'b', channels: 8, gamma: [1, 2, 3, 4, 5, 6, 7, 8] },
  ];
  const flops = (kept: Map<string, number>) => (kept.get('a') ?? 8) ** 2 + (kept.get('b') ?? 8) ** 2;
  // target 25%: (64+64)·0.75 = 96 → a keeps 5 (25+64 = 89 ≤ 96; 6 gives 36+64 = 100 > 96)
  const r = allocate(groups, 0.25, flops, 0.7);
  assert.equal([r.kept.get('a'), r.kept.get('b')], [5, 8]);
  assert.ok(close(r.threshold, 0.3));
  // the cap (0.5) stops a at 4 kept, so b must give up channels too
  const c = allocate(groups, 0.5, flops, 0.5);
  assert.is(c.kept.get('a'), 4);
  assert.ok(c.reduction >= 0.5 && c.kept.get('b')! < 8);
  // no BN: one uniform ratio
  const u = allocate(groups.map(({ id, channels }) => ({ id, channels })), 0.5, flops, 0.9);
  assert.is(u.kept.get('a'), u.kept.get('b'));
  assert.ok(u.reduction >= 0.5);
});

test('ridge least squares recovers a known linear map and bias', () => {
  const r = rng(11), d = 6, o = 3;
  const W = Array.from({ length: o * d }, () => r() * 2 - 1), b = [0.5, -1, 2];
  const ridge = new Ridge(d, o);
  for (let n = 0; n < 200; n++) {
    const x = Array.from({ length: d }, () => r() * 2 - 1);
    ridge.add(x, b.map((bt, t) => bt + x.reduce((s, xi, i) => s + xi * W[t * d + i], 0)));
  }
  const s = ridge.solve(1e-12);
  W.forEach((w, i) => assert.ok(close(s.W[i], w, 1e-7), `W[${i}] ${s.W[i]} vs ${w}`));
  b.forEach((bt, t) => assert.ok(close(s.b[t], bt, 1e-7), `b[${t}] ${s.b[t]} vs ${bt}`));
  // a constant input channel (a removed channel's mean) ends in the bias, not in a huge weight
  const c = new Ridge(2, 1);
  for (let n = 0; n < 50; n++) { const x0 = r(); c.add([x0, 1], [2 * x0 + 3]); }
  const sc = c.solve(1e-4);
  assert.ok(Math.abs(sc.W[0] - 2) < 1e-2 && Math.abs(sc.W[1]) < 1e-6 && Math.abs(sc.b[0] - 3) < 1e-2, `${sc.W} ${sc.b}`);
});

test('ridge residual from the sums equals the residual over the rows; held-out strength', () => {
  const r = rng(12), d = 5, o = 2;
  const rows: [number[], number[]][] = Array.from({ length: 40 }, () => [Array.from({ length: d }, () => r() * 2 - 1), [r() * 3, r() - 2]]);
  const ridge = new Ridge(d, o);
  for (const [x, y] of rows) ridge.add(x, y);
  const sol = { W: Float64Array.from({ length: o * d }, () => r() - 0.5), b: Float64Array.from([0.3, -0.7]) };
  let direct = 0;
  for (const [x, y] of rows) for (let t = 0; t < o; t++) direct += (y[t] - sol.b[t] - x.reduce((s, xi, i) => s + xi * sol.W[t * d + i], 0)) ** 2;
  assert.ok(close(ridge.residual(sol), direct, 1e-9), `${ridge.residual(sol)} vs ${direct}`);
  // targets unrelated to the inputs, 15 rows per fold for 21 unknowns: any fit is noise, so the
  // held-out error prefers a strong shrinkage (≥ 1); an exact map with plenty of rows, the weakest
  const noise = [new Ridge(20, 1), new Ridge(20, 1)], exact = [new Ridge(3, 1), new Ridge(3, 1)];
  for (let n = 0; n < 30; n++) noise[n & 1].add(Array.from({ length: 20 }, () => r() * 2 - 1), [r() * 2 - 1]);
  for (let n = 0; n < 60; n++) { const x = [r(), r(), r()]; exact[n & 1].add(x, [x[0] - 2 * x[1] + 0.5 * x[2] + 1]); }
  assert.ok(Ridge.chooseStrength(noise[0], noise[1]) >= 1, `${Ridge.chooseStrength(noise[0], noise[1])}`);
  assert.is(Ridge.chooseStrength(exact[0], exact[1]), 1e-4);
  assert.is(Ridge.combine(exact[0], exact[1]).rows, 60);
});

test.run();

// The baseline PHO replaces: hill climbing on the real objective (perplexity after pruning).
// Coordinate search: try ±step on each coordinate in turn, move on the first improvement,
// halve the steps after a full round without one; stop after `budget` evaluations.
export interface HillClimbResult { best: number[]; bestValue: number; evaluations: number; history: { x: number[]; value: number }[] }

export async function hillClimb(f: (x: number[]) => number | Promise<number>, x0: number[], step: number[], lower: number[], upper: number[], budget: number): Promise<HillClimbResult> {
  const clip = (x: number[]) => x.map((v, i) => Math.min(upper[i], Math.max(lower[i], v)));
  const history: HillClimbResult['history'] = [];
  const evaluate = async (x: number[]) => { const value = await f(x); history.push({ x, value }); return value; };
  let best = clip(x0), bestValue = await evaluate(best);
  const s = [...step];
  while (history.length < budget) {
    let improved = false;
    for (let i = 0; i < best.length && history.length < budget; i++) {
      for (const dir of [1, -1]) {
        if (history.length >= budget) break;
        const x = clip(best.map((v, j) => (j === i ? v + dir * s[i] : v)));
        if (x[i] === best[i]) continue;
        const v = await evaluate(x);
        if (v < bestValue) { best = x; bestValue = v; improved = true; break; }
      }
    }
    if (!improved) for (let i = 0; i < s.length; i++) s[i] /= 2;
    if (s.every((v, i) => v < 1e-3 * (upper[i] - lower[i]))) break;
  }
  return { best, bestValue, evaluations: history.length, history };
}

// Sequential calibration: layers are pruned in stages, in graph order, and every stage is
// calibrated on the model with all earlier stages already pruned, so a layer's statistics
// describe the inputs it will really see (RIA and Wanda do this block by block). A stage is a
// run of consecutive layers none of which feeds another, so they share one pass: on a
// transformer, qkv | proj | fc | fc2 per block. Costs one calibration pass per stage.
import type { Graph } from '../ir/graph.js';
import { producers } from '../ir/graph.js';
import { writeOnnx } from '../onnx/write.js';
import { calibrate, type Feeds } from '../calibrate/calibrate.js';
import type { ChannelStats } from '../calibrate/stats.js';
import { applyMasks } from './apply.js';
import type { LinearLayer } from './linear.js';
import { pruneMasks, type LayerReport, type PruneOptions } from './prune.js';

/** Values upstream of `value` (itself included). */
function upstream(g: Graph, value: string, made: Map<string, number>): Set<string> {
  const seen = new Set<string>();
  const stack = [value];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = made.get(v);
    if (p !== undefined) stack.push(...g.nodes[p].inputs.filter((x) => x !== ''));
  }
  return seen;
}

/** Layers (in graph order) grouped into stages of mutually independent consecutive layers. */
export function stages(g: Graph, layers: readonly LinearLayer[]): LinearLayer[][] {
  const made = producers(g);
  const outputOf = new Map(g.nodes.map((n) => [n.name, n.outputs[0]]));
  const order = new Map(g.nodes.map((n, i) => [n.name, i]));
  const sorted = [...layers].sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const out: LinearLayer[][] = [];
  for (const l of sorted) {
    const up = upstream(g, l.input, made);
    const cur = out[out.length - 1];
    if (cur && !cur.some((p) => up.has(outputOf.get(p.name)!))) cur.push(l);
    else out.push([l]);
  }
  return out;
}

export async function pruneSequentially(g: Graph, layers: readonly LinearLayer[], feeds: readonly Feeds[], o: PruneOptions, onStage?: (done: number, total: number) => void): Promise<{ graph: Graph; report: LayerReport[]; stats: Map<string, ChannelStats>; perms: Map<string, Uint32Array> }> {
  const plan = stages(g, layers.filter((l) => !l.skip));
  let cur = g;
  const stats = new Map<string, ChannelStats>();
  const reports = new Map<string, LayerReport>();
  const perms = new Map<string, Uint32Array>();
  for (let s = 0; s < plan.length; s++) {
    const st = await calibrate(writeOnnx(cur), plan[s], feeds);
    for (const [k, v] of st) stats.set(k, v);
    const { masks, report, perms: p } = pruneMasks(cur, plan[s], st, o);
    for (const [k, v] of p) perms.set(k, v);
    for (const r of report) reports.set(r.name, r);
    cur = applyMasks(cur, plan[s], masks);
    onStage?.(s + 1, plan.length);
  }
  const report = layers.map((l) => reports.get(l.name) ?? { name: l.name, dOut: l.dOut, dIn: l.dIn, pruned: 0, skip: l.skip });
  return { graph: cur, report, stats, perms };
}

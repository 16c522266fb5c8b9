// Post-training recovery of a channel-pruned model, without gradients, from calibration inputs
// run through onnxruntime-node. Layers are visited input → output; each step runs the current
// pruned model, so later layers see (and compensate) the error left by earlier ones.
//
// - Reconstruction (consumers whose input channels were removed: Conv with group 1, Gemm, or
//   MatMul with a constant weight, whose bias is the constant of the Add after it, or a new Add):
//   ridge least squares from im2col patches of the *pruned* network's input, kept channels only,
//   to the *dense* network's output (pre-BN) at the same positions, kept output channels only:
//   new weights and a bias, which absorbs the removed channels' mean contribution. Layers with
//   fewer than 10 rows per unknown get the ridge strength with the least held-out error.
// - Recalibration (every other Conv/Gemm downstream of a change, depthwise ones included): per
//   output channel, the affine map a·y + b that gives the pruned output the dense output's mean
//   and standard deviation on the calibration set (a clamped to [0.5, 2]), folded into the
//   weights and bias. With BatchNorm after the conv this is BN statistics recalibration; without
//   it, bias correction. As the spec asks, a recalibration is kept only if it lowers the model's
//   output error against the dense model on the calibration inputs (KL for Softmax outputs,
//   else squared error relative to the dense output's variance); otherwise the mean-only shift
//   (a = 1) is tried, and if that does not help either the layer is left as it is.
import type * as ort from 'onnxruntime-node';
import type { Graph, Node } from '../../ir/graph.js';
import { attrFloat, attrInt, consumers, isConst, valueOf } from '../../ir/graph.js';
import { convPads } from '../../ir/shapes.js';
import { writeOnnx } from '../../onnx/write.js';
import { exposeValues } from '../../calibrate/expose.js';
import { ChannelStats } from '../../calibrate/stats.js';
import type { Feeds } from '../../calibrate/calibrate.js';
import { rng } from '../../util/random.js';
import { Ridge } from './ridge.js';
import { ortSession } from '../../eval/session.js';

/** Which original channels a pruned layer kept, on its input and output (null: all). */
export interface LayerChannels { keptIn: ArrayLike<number> | null; keptOut: ArrayLike<number> | null }

export interface RecoverOptions {
  /** ridge reconstruction of the consumers of removed channels */
  reconstruct: boolean;
  /** mean/std recalibration of the other changed layers (and of consumers when not reconstructing) */
  recalibrate: boolean;
  /** ridge strength relative to tr(XᵀX)/d */
  ridge?: number;
  /** patches per unknown (weights + bias) of a reconstructed layer, spread over the images */
  samplesPerUnknown?: number;
  seed?: number;
  /** keep a recalibration only if it lowers the output error (default true) */
  checkRecalibration?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** error: ridge — mean squared error of the pruned layer's output against the dense one on the
 *  sampled rows, before the refit; recalibrate — mean over channels of (Δmean² + Δstd²) before. */
export interface RecoverStep {
  node: string; op: string; action: 'ridge' | 'recalibrate'; rows: number; error: number;
  /** recalibrate with the check: what was kept (mean and scale, mean only, nothing) and the
   *  model's output error against the dense model before and after */
  kept?: 'scale' | 'mean' | 'none';
  /** ridge: the strength used, relative to tr(XᵀX)/d */
  strength?: number;
  outputError?: { before: number; after: number };
}

/** `out` is the value whose channels are fitted: the node's output, or for a MatMul the output of
 *  its bias Add (`bias`: that Add and which of its inputs is the constant). */
interface Site { node: Node; action: 'ridge' | 'recalibrate'; denseOut: string; out: string; bias: { node: string; input: number } | null; channels: LayerChannels }

async function runAll(model: Uint8Array, feeds: readonly Feeds[], fetch: string[], each: (out: Record<string, ort.Tensor>, image: number) => void): Promise<void> {
  const s = await ortSession(exposeValues(model, fetch));
  try {
    for (let i = 0; i < feeds.length; i++) each(await s.run(feeds[i], fetch), i);
  } finally {
    await s.release();
  }
}

/** Conv (group 1, 2-D) or Gemm geometry: how to read one input patch / output row. */
interface Geometry {
  /** positions per image */
  positions: number;
  /** features per patch */
  d: number;
  /** fills x with the patch at position p of input `inp` (dims `dims`) */
  patch(inp: Float32Array, dims: readonly number[], p: number, x: Float64Array): void;
  /** output channel t at position p */
  out(y: Float32Array, dims: readonly number[], t: number, p: number): number;
}

function geometry(g: Graph, n: Node, inDims: readonly number[], outDims: readonly number[]): Geometry {
  if (n.op !== 'Conv') { // Gemm [N, K] or MatMul [..., K]: one row per position
    const d = inDims[inDims.length - 1], N = outDims[outDims.length - 1];
    return {
      positions: inDims.reduce((a, b) => a * b, 1) / d, d,
      patch: (inp, _dims, p, x) => { for (let i = 0; i < d; i++) x[i] = inp[p * d + i]; },
      out: (y, _dims, t, p) => y[p * N + t],
    };
  }
  const w = valueOf(g, n.inputs[1]).shape!;
  const [C, H, W] = [inDims[1], inDims[2], inDims[3]];
  const [kh, kw] = [w[2], w[3]];
  const { pads, strides, dilations } = convPads(n, [H, W], [kh, kw]);
  const OW = outDims[3];
  return {
    positions: outDims[2] * OW, d: C * kh * kw,
    patch: (inp, _dims, p, x) => {
      const oy = Math.floor(p / OW), ox = p % OW;
      let f = 0;
      for (let c = 0; c < C; c++) for (let ky = 0; ky < kh; ky++) {
        const iy = oy * strides[0] - pads[0] + ky * dilations[0];
        for (let kx = 0; kx < kw; kx++, f++) {
          const ix = ox * strides[1] - pads[1] + kx * dilations[1];
          x[f] = iy >= 0 && iy < H && ix >= 0 && ix < W ? inp[(c * H + iy) * W + ix] : 0;
        }
      }
    },
    out: (y, dims, t, p) => y[t * dims[2] * dims[3] + p],
  };
}

/** Seeded positions of one image for one layer (the same in the dense and the pruned pass). */
function positionsOf(seed: number, site: number, image: number, total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  const r = rng((seed * 7919 + site * 104729 + image * 15485863) >>> 0);
  return Array.from({ length: count }, () => Math.floor(r() * total));
}

/** The graph with node `idx`'s weight and bias replaced by new tensors (the input graph is not
 *  touched). A MatMul's bias goes into the constant of its Add, or into a new Add after it. */
function setParams(g: Graph, idx: number, w: Float32Array, bias: Float32Array, site: Site): Graph {
  const n = g.nodes[idx];
  const values = new Map(g.values);
  const wv = valueOf(g, n.inputs[1]);
  values.set(n.inputs[1], { ...wv, shape: [...wv.shape!], data: w });
  const nodes = [...g.nodes];
  const fresh = (name: string) => { while (values.has(name)) name += '_'; return name; };
  if (n.op === 'MatMul') {
    const add = site.bias && nodes.find((x) => x.name === site.bias!.node);
    if (add) {
      const c = add.inputs[site.bias!.input], cv = valueOf(g, c);
      values.set(c, { ...cv, shape: [...cv.shape!], data: bias });
      return { ...g, nodes, values };
    }
    const y = n.outputs[0], mm = fresh(`${y}_matmul`), b = fresh(`${n.name || y}.bias_recovered`);
    values.set(mm, { ...valueOf(g, y), shape: null });
    values.set(b, { name: b, dtype: 'float32', shape: [bias.length], data: bias });
    nodes.splice(idx, 1, { ...n, outputs: [mm] }, { name: `${n.name}_bias_recovered`, op: 'Add', domain: '', inputs: [mm, b], outputs: [y], attrs: {} });
    return { ...g, nodes, values };
  }
  const inputs = [...n.inputs];
  if (!inputs[2]) inputs[2] = fresh(`${n.name || n.outputs[0]}.bias_recovered`);
  values.set(inputs[2], { name: inputs[2], dtype: 'float32', shape: [bias.length], data: bias });
  nodes[idx] = { ...n, inputs };
  return { ...g, nodes, values };
}

/** The Add that adds a constant bias of `n` values to a MatMul's output (its only user), if any. */
function biasAdd(g: Graph, mm: Node, users: Map<string, number[]>, n: number): { node: Node; input: number } | null {
  const after = users.get(mm.outputs[0]) ?? [];
  if (after.length !== 1 || g.nodes[after[0]].op !== 'Add' || g.outputs.includes(mm.outputs[0])) return null;
  const add = g.nodes[after[0]], input = add.inputs[0] === mm.outputs[0] ? 1 : 0;
  const c = add.inputs[input];
  if (!isConst(g, c) || (users.get(c)?.length ?? 0) > 1) return null;
  const cv = valueOf(g, c);
  return cv.dtype === 'float32' && cv.data && cv.data.length === n && cv.shape!.slice(0, -1).every((x) => x === 1) ? { node: add, input } : null;
}

/** The layers to touch, in graph order: Conv/Gemm with constant weights downstream of a change. */
function findSites(pruned: Graph, dense: Graph, channels: (node: string) => LayerChannels | undefined, o: RecoverOptions): Site[] {
  const changed = new Set<string>();
  const users = consumers(pruned);
  const denseByName = new Map(dense.nodes.map((n) => [n.name, n]));
  const sites: Site[] = [];
  for (const n of pruned.nodes) {
    const ch = channels(n.name) ?? { keptIn: null, keptOut: null };
    const inputChanged = n.inputs.some((x) => changed.has(x));
    if (inputChanged || ch.keptOut || ch.keptIn) for (const y of n.outputs) changed.add(y);
    if (!inputChanged && !ch.keptIn) continue;
    if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul') continue;
    if (!isConst(pruned, n.inputs[1]) || (users.get(n.inputs[1])?.length ?? 0) > 1) continue;
    if (n.op === 'MatMul' && (valueOf(pruned, n.inputs[1]).shape!.length !== 2 || isConst(pruned, n.inputs[0]))) continue;
    if (n.op !== 'MatMul' && n.inputs[2] && (!isConst(pruned, n.inputs[2]) || (users.get(n.inputs[2])?.length ?? 0) > 1)) continue;
    if (n.op === 'Gemm' && (attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1 || attrInt(n, 'transA', 0) !== 0)) continue;
    if (n.op === 'Conv' && valueOf(pruned, n.inputs[1]).shape!.length !== 4) continue;
    const d = denseByName.get(n.name);
    if (!d) continue;
    const grouped = n.op === 'Conv' && attrInt(n, 'group', 1) !== 1;
    const action = o.reconstruct && ch.keptIn && !grouped ? 'ridge' : o.recalibrate ? 'recalibrate' : null;
    if (!action) continue;
    if (n.op === 'MatMul') {
      const add = biasAdd(pruned, n, users, valueOf(pruned, n.inputs[1]).shape![1]);
      const denseAdd = add && dense.nodes.find((x) => x.name === add.node.name);
      if (add && !denseAdd) continue;
      sites.push({ node: n, action, denseOut: denseAdd ? denseAdd.outputs[0] : d.outputs[0], out: add ? add.node.outputs[0] : n.outputs[0], bias: add && { node: add.node.name, input: add.input }, channels: ch });
    } else sites.push({ node: n, action, denseOut: d.outputs[0], out: n.outputs[0], bias: null, channels: ch });
  }
  return sites;
}

/** Weight of output row t, input feature f, in the stored layout (Gemm transB=0 and MatMul are [d][o]). */
const weightIndex = (n: Node, dims: readonly number[]) =>
  n.op === 'MatMul' || (n.op === 'Gemm' && attrInt(n, 'transB', 0) === 0) ? (t: number, f: number) => f * dims[1] + t : (t: number, f: number) => t * (dims.length > 1 ? dims.slice(1).reduce((a, b) => a * b, 1) : 1) + f;

/** Output error of a model against the dense outputs: per graph output, KL(dense ‖ pruned) over
 *  the last axis when the dense model ends in Softmax, else Σ(ŷ − y)² / Σ(y − ȳ)²; summed. */
async function outputError(model: Uint8Array, names: readonly string[], softmax: readonly boolean[], feeds: readonly Feeds[], dense: readonly Float32Array[][]): Promise<number> {
  const num = names.map(() => 0), den = names.map(() => 0), sum = names.map(() => 0), count = names.map(() => 0);
  await runAll(model, feeds, [...names], (out, image) => names.forEach((name, k) => {
    const y = out[name], q = y.data as Float32Array, p = dense[image][k], last = y.dims[y.dims.length - 1];
    if (softmax[k]) {
      for (let r = 0; r < p.length; r += last) for (let i = r; i < r + last; i++) if (p[i] > 0) num[k] += p[i] * Math.log(p[i] / Math.max(q[i], 1e-12));
      den[k] += p.length / last;
    } else for (let i = 0; i < p.length; i++) { num[k] += (q[i] - p[i]) ** 2; sum[k] += p[i]; den[k] += p[i] * p[i]; count[k]++; }
  }));
  return names.reduce((e, _, k) => e + (softmax[k] ? num[k] / Math.max(1, den[k]) : num[k] / Math.max(den[k] - sum[k] ** 2 / Math.max(1, count[k]), 1e-30)), 0);
}

export async function recoverPruned(denseModel: Uint8Array, dense: Graph, pruned: Graph, channels: (node: string) => LayerChannels | undefined, feeds: readonly Feeds[], o: RecoverOptions): Promise<{ graph: Graph; steps: RecoverStep[] }> {
  const sites = findSites(pruned, dense, channels, o);
  if (!sites.length || !feeds.length) return { graph: pruned, steps: [] };
  const seed = o.seed ?? 0, perUnknown = o.samplesPerUnknown ?? 16;
  const check = o.checkRecalibration ?? true;
  const softmax = dense.outputs.map((y) => dense.nodes.some((n) => n.op === 'Softmax' && n.outputs[0] === y));
  const denseOutputs: Float32Array[][] = [];
  const channelAxisLast = (n: Node) => n.op !== 'Conv';
  // dense pass: output statistics of every site, the ridge targets at sampled positions, and
  // the graph outputs (for the recalibration check)
  const denseStats = sites.map(() => null as ChannelStats | null);
  const targets = sites.map(() => [] as Float32Array[]);
  const perImage = sites.map(() => 0);
  await runAll(denseModel, feeds, [...new Set(sites.map((s) => s.denseOut)), ...dense.outputs], (out, image) => {
    denseOutputs.push(dense.outputs.map((y) => Float32Array.from(out[y].data as Float32Array)));
    sites.forEach((s, k) => {
      const y = out[s.denseOut], dims = y.dims, data = y.data as Float32Array;
      const last = channelAxisLast(s.node), C = last ? dims[dims.length - 1] : dims[1];
      (denseStats[k] ??= new ChannelStats(C)).add(data, !last);
      if (s.action !== 'ridge') return;
      const total = last ? data.length / C : dims[2] * dims[3];
      const kept = s.channels.keptOut ?? Array.from({ length: C }, (_, i) => i);
      const wDims = valueOf(pruned, s.node.inputs[1]).shape!;
      const unknowns = (s.node.op === 'MatMul' ? wDims[0] : s.node.op === 'Gemm' ? (attrInt(s.node, 'transB', 0) ? wDims[1] : wDims[0]) : wDims[1] * wDims[2] * wDims[3]) + 1;
      if (image === 0) perImage[k] = Math.max(1, Math.ceil((perUnknown * unknowns) / feeds.length));
      for (const p of positionsOf(seed, k, image, total, perImage[k])) {
        const row = new Float32Array(kept.length);
        for (let t = 0; t < kept.length; t++) row[t] = last ? data[p * C + kept[t]] : data[kept[t] * dims[2] * dims[3] + p];
        targets[k].push(row);
      }
    });
  });
  let graph = pruned;
  const steps: RecoverStep[] = [];
  let current: number | null = null; // output error of `graph`, when known
  for (let k = 0; k < sites.length; k++) {
    const s = sites[k], idx = graph.nodes.findIndex((n) => n.name === s.node.name);
    const n = graph.nodes[idx];
    const wv = valueOf(graph, n.inputs[1]);
    const wDims = wv.shape!, w = wv.data as Float32Array;
    const oc = n.op === 'MatMul' || (n.op === 'Gemm' && attrInt(n, 'transB', 0) === 0) ? wDims[1] : wDims[0];
    const biasName = s.bias ? graph.nodes.find((x) => x.name === s.bias!.node)!.inputs[s.bias.input] : n.op === 'MatMul' ? '' : n.inputs[2];
    const bias = biasName ? Float32Array.from(valueOf(graph, biasName).data as Float32Array) : new Float32Array(oc);
    if (bias.length !== oc) continue; // a broadcast bias of another shape: leave the layer as it is
    const wi = weightIndex(n, wDims);
    const model = writeOnnx(graph);
    if (s.action === 'ridge') {
      // rows alternate between two accumulators: with fewer rows than the spec's 10 per unknown
      // (heads after global pooling: one row per image) the ridge strength is chosen on them by
      // held-out error, else a least-squares fit of ~1 row per unknown would overfit
      let geo: Geometry | null = null, folds: [Ridge, Ridge] | null = null, x: Float64Array | null = null, row = 0;
      let before = 0;
      await runAll(model, feeds, [n.inputs[0], s.out], (out, image) => {
        const inp = out[n.inputs[0]], y = out[s.out];
        geo ??= geometry(graph, n, inp.dims, y.dims);
        folds ??= [new Ridge(geo.d, oc), new Ridge(geo.d, oc)];
        x ??= new Float64Array(geo.d);
        for (const p of positionsOf(seed, k, image, geo.positions, perImage[k])) {
          geo.patch(inp.data as Float32Array, inp.dims, p, x);
          const target = targets[k][row];
          folds[row & 1].add(x, target);
          for (let t = 0; t < oc; t++) before += (geo.out(y.data as Float32Array, y.dims, t, p) - target[t]) ** 2;
          row++;
        }
      });
      const ridge = Ridge.combine(folds![0], folds![1]);
      const strength = o.ridge ?? (ridge.rows < 10 * (geo!.d + 1) ? Ridge.chooseStrength(folds![0], folds![1]) : 1e-4);
      const sol = ridge.solve(strength);
      const nw = new Float32Array(w.length);
      for (let t = 0; t < oc; t++) for (let f = 0; f < geo!.d; f++) nw[wi(t, f)] = sol.W[t * geo!.d + f];
      graph = setParams(graph, idx, nw, Float32Array.from(sol.b), s);
      current = null;
      steps.push({ node: n.name, op: n.op, action: 'ridge', rows: ridge.rows, error: before / row, strength });
    } else {
      let stats: ChannelStats | null = null;
      await runAll(model, feeds, [s.out], (out) => {
        const y = out[s.out], last = channelAxisLast(n);
        (stats ??= new ChannelStats(last ? y.dims[y.dims.length - 1] : y.dims[1])).add(y.data as Float32Array, !last);
      });
      const dm = denseStats[k]!.mean(), dv = denseStats[k]!.variance();
      const pm = stats!.mean(), pv = stats!.variance();
      const kept = s.channels.keptOut ?? Array.from({ length: oc }, (_, i) => i);
      const per = w.length / oc;
      let before = 0;
      const scales = new Float64Array(oc);
      for (let t = 0; t < oc; t++) {
        const sd = Math.sqrt(dv[kept[t]]), sdP = Math.sqrt(pv[t]);
        scales[t] = sdP > 1e-6 * Math.max(sd, 1e-12) && sd > 0 ? Math.min(2, Math.max(0.5, sd / sdP)) : 1;
        before += (dm[kept[t]] - pm[t]) ** 2 + (sd - sdP) ** 2;
      }
      /** y ← a·y + (μ − a·μ̂), folded into the weights and bias (withScale false: a = 1) */
      const corrected = (withScale: boolean) => {
        const nw = Float32Array.from(w), nb = new Float32Array(oc);
        for (let t = 0; t < oc; t++) {
          const a = withScale ? scales[t] : 1;
          for (let f = 0; f < per; f++) nw[wi(t, f)] *= a;
          nb[t] = a * bias[t] + (dm[kept[t]] - a * pm[t]);
        }
        return setParams(graph, idx, nw, nb, s);
      };
      const step: RecoverStep = { node: n.name, op: n.op, action: 'recalibrate', rows: stats!.count, error: before / oc };
      if (!check) graph = corrected(true);
      else {
        const names = graph.outputs;
        current ??= await outputError(model, names, softmax, feeds, denseOutputs);
        const start: number = current;
        step.kept = 'none';
        for (const withScale of [true, false]) {
          const g = corrected(withScale);
          const e = await outputError(writeOnnx(g), names, softmax, feeds, denseOutputs);
          if (e < start) { graph = g; current = e; step.kept = withScale ? 'scale' : 'mean'; break; }
        }
        step.outputError = { before: start, after: current };
      }
      steps.push(step);
    }
    o.onProgress?.(k + 1, sites.length);
  }
  return { graph, steps };
}

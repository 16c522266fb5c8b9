// `sparsec build --prune magnitude:2:4` (or magnitude:4:8, magnitude:0.8): magnitude masks on
// the Conv, MatMul and Gemm weights of a copy of the graph, before canonicalization, so that the
// build's kernels and formats can be exercised before the real pruners run. The linear layers
// reuse the CRePE-family pieces (findLinearLayers, pruneMasks with magnitude scores, applyMasks:
// the output head and tied embeddings stay dense); convolutions get the same computeMask on
// W[Cout][Cin_g*kh*kw] (N:M groups along Cin_g*kh*kw, the reduction axis of the conv GEMM).
// Depthwise convs stay dense (no sparse depthwise kernel), as do layers whose reduction length
// is not a multiple of M.
import type { Graph } from '../ir/graph.js';
import { attrInt, isConst, valueOf } from '../ir/graph.js';
import { SparsecError } from '../errors.js';
import { applyMasks } from './apply.js';
import { findLinearLayers } from './linear.js';
import { computeMask, parsePattern, prunedCount, type Pattern } from './masks.js';
import { magnitudeScores } from './scores.js';
import { pruneMasks } from './prune.js';

export interface BuildPruneLayer { name: string; op: string; rows: number; cols: number; pruned: number; skip: string }

/** parses `magnitude:<pattern>`, pattern as in `sparsec prune` (2:4, 4:8, 0.8, 80%) */
export function parseBuildPrune(spec: string): Pattern {
  const m = /^magnitude:(.+)$/.exec(spec.trim());
  const p = m ? parsePattern(m[1]) : null;
  if (!p) throw new SparsecError('E_OPTION', `--prune '${spec}': expected magnitude:<N:M> (e.g. magnitude:2:4) or magnitude:<sparsity> (e.g. magnitude:0.8)`);
  return p;
}

export function pruneForBuild(g: Graph, spec: string): { graph: Graph; layers: BuildPruneLayer[] } {
  const pattern = parseBuildPrune(spec);
  const report: BuildPruneLayer[] = [];
  const fits = (cols: number) => pattern.kind !== 'nm' || cols % pattern.m === 0;
  // linear layers
  const linear = findLinearLayers(g);
  for (const l of linear) if (!l.skip && !fits(l.dIn)) l.skip = `input dimension ${l.dIn} is not a multiple of ${(pattern as { m: number }).m}`;
  const { masks, report: lr } = pruneMasks(g, linear, null, { method: 'magnitude', pattern });
  for (const r of lr) report.push({ name: r.name, op: linear.find((l) => l.name === r.name)!.op, rows: r.dOut, cols: r.dIn, pruned: r.pruned, skip: r.skip });
  const out = applyMasks(g, linear, masks);
  // convolutions
  for (const n of g.nodes) {
    if (n.op !== 'Conv' || !isConst(g, n.inputs[1])) continue;
    const v = valueOf(g, n.inputs[1]);
    if (v.dtype !== 'float32' || !v.shape || v.shape.length < 3) continue;
    const rows = v.shape[0], cols = v.shape.slice(1).reduce((a, b) => a * b, 1);
    const G = attrInt(n, 'group', 1);
    let skip = '';
    if (G > 1 && v.shape[1] === 1) skip = 'depthwise (no sparse depthwise kernel)';
    else if (!fits(cols)) skip = `reduction length Cin_g*kh*kw = ${cols} is not a multiple of ${(pattern as { m: number }).m}`;
    else if (g.nodes.filter((o) => o.inputs.includes(n.inputs[1])).length > 1) skip = 'weight shared with another node';
    if (skip) { report.push({ name: n.name, op: 'Conv', rows, cols, pruned: 0, skip }); continue; }
    const w = Float32Array.from(v.data as Float32Array);
    const mask = computeMask(magnitudeScores({ w, rows, cols }), rows, cols, pattern);
    for (let i = 0; i < w.length; i++) if (!mask[i]) w[i] = 0;
    out.values.set(n.inputs[1], { ...v, shape: [...v.shape], data: w });
    report.push({ name: n.name, op: 'Conv', rows, cols, pruned: prunedCount(rows, cols, pattern), skip: '' });
  }
  return { graph: out, layers: report };
}

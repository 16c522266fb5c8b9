// `sparsec prune` as a function: read → find layers → calibrate (once, on the dense model) →
// score and mask → masked copy of the IR → ONNX bytes. The CLI and the benchmark call this;
// the benchmark reuses `stats` across methods.
import { readOnnx } from '../onnx/read.js';
import { writeOnnx } from '../onnx/write.js';
import type { Graph } from '../ir/graph.js';
import { calibrate, type Feeds } from '../calibrate/calibrate.js';
import type { ChannelStats } from '../calibrate/stats.js';
import { SparsecError } from '../errors.js';
import { applyMasks } from './apply.js';
import { permuteInputs, type PermutationReport } from './permuteGraph.js';
import { findLinearLayers, type LinearLayer, type LinearOptions } from './linear.js';
import { pruneSequentially } from './sequential.js';
import { owlLayerSparsity, type OwlOptions } from './owl.js';
import { cacheLayers, pho, type PhoCandidate } from './pho.js';
import { CREPE_DEFAULTS, type CrepeOptions } from './scores.js';
import { needsActivations, pruneMasks, type LayerReport, type PruneOptions } from './prune.js';

export interface PruneModelOptions extends PruneOptions, LinearOptions {
  /** calibration inputs; required unless the method is magnitude */
  feeds?: readonly Feeds[];
  /** statistics from an earlier calibration of the same model (skips calibration) */
  stats?: ReadonlyMap<string, ChannelStats>;
  /** calibrate stage by stage on the partly pruned model (see sequential.ts) */
  sequential?: boolean;
  /** OWL layer-wise sparsity (unstructured only; needs calibration even for magnitude) */
  owl?: OwlOptions;
  /** search CRePE's coefficients with PHO first (maximising the kept Wanda mass, the proxy and
   *  sign measured on the gpt fixture; see docs/crepe.md); `validate` scores a pruned model
   *  (ONNX bytes, lower is better) for PHO's final real check of its best candidates, the
   *  defaults and the RIA point */
  pho?: { generations: number; seed: number; validate?: (onnx: Uint8Array) => Promise<number>; onCandidate?: (c: PhoCandidate) => void };
  onProgress?: (done: number, total: number) => void;
  /** PHO's search: generations done of total */
  onSearch?: (done: number, total: number) => void;
}

export interface PruneResult {
  graph: Graph;
  onnx: Uint8Array;
  layers: LinearLayer[];
  stats: ReadonlyMap<string, ChannelStats> | null;
  report: LayerReport[];
  /** pruned / total weights over the pruned layers */
  sparsity: number;
  /** with `permute`: how each layer's input permutation is carried (absorbed or gathered) */
  permutations?: PermutationReport[];
  /** the CRePE coefficients used (PHO's choice with --pho) */
  crepe?: CrepeOptions;
}

export async function pruneModel(bytes: Uint8Array, file: string, o: PruneModelOptions): Promise<PruneResult> {
  const g = readOnnx(bytes, file);
  const layers = findLinearLayers(g, o);
  const active = layers.filter((l) => !l.skip);
  if (active.length === 0) throw new SparsecError('E_MODEL', 'no prunable linear layer (MatMul/Gemm with a constant 2-D float32 weight) is left after --include/--ignore', { file });
  let stats = o.stats ?? null;
  const needStats = needsActivations(o.method) || !!o.owl || !!o.dsnot;
  if (!stats && needStats && !o.feeds?.length) throw new SparsecError('E_OPTION', `--method ${o.method}${o.owl ? ' with --owl' : ''}${o.dsnot ? ' with --dsnot' : ''} needs calibration data (--calib)`);
  if (o.permute && o.dsnot) throw new SparsecError('E_OPTION', 'channel permutation and DSnoT cannot be combined yet (DSnoT swaps within contiguous groups)');
  if (o.owl && o.sequential) throw new SparsecError('E_OPTION', '--owl and --sequential cannot be combined yet');
  if (o.pho && (o.method !== 'crepe' || o.sequential)) throw new SparsecError('E_OPTION', '--pho searches CRePE\'s coefficients: use it with --method crepe and without --sequential');
  if (o.permute && o.pattern.kind !== 'nm') throw new SparsecError('E_OPTION', 'channel permutation (--permute) applies to N:M sparsity (2:4, 4:8) only');
  let graph: Graph, report: LayerReport[], perms: Map<string, Uint32Array>;
  if (o.sequential && needStats) {
    ({ graph, report, stats, perms } = await pruneSequentially(g, layers, o.feeds!, o, o.onProgress));
  } else {
    if (!stats && needStats) stats = await calibrate(bytes, active, o.feeds!, { onProgress: o.onProgress });
    const target = o.pattern.kind === 'unstructured' ? o.pattern.sparsity : 1 - o.pattern.n / o.pattern.m;
    const layerSparsity = o.owl ? owlLayerSparsity(g, layers, stats!, target, o.owl) : undefined;
    if (o.pho) {
      const { validate, onCandidate } = o.pho, base = o;
      const found = await pho(cacheLayers(g, layers, stats!), {
        pattern: o.pattern, objective: { proxy: 'keptEnergy', sign: -1 }, generations: o.pho.generations, seed: o.pho.seed, onProgress: o.onSearch,
        validate: validate && (async (crepe) => validate(writeOnnx(applyMasks(g, layers, pruneMasks(g, layers, stats, { ...base, crepe, layerSparsity }).masks)))),
      });
      found.candidates.forEach((c) => onCandidate?.(c));
      o = { ...o, crepe: found.crepe };
    }
    const r = pruneMasks(g, layers, stats, { ...o, layerSparsity });
    graph = applyMasks(g, layers, r.masks);
    report = r.report;
    perms = r.perms;
  }
  let permutations: PermutationReport[] | undefined;
  if (o.permute) ({ graph, report: permutations } = permuteInputs(graph, layers, perms));
  const total = active.reduce((s, l) => s + l.dIn * l.dOut, 0);
  const pruned = report.reduce((s, r) => s + r.pruned, 0);
  return { graph, onnx: writeOnnx(graph), layers, stats, report, sparsity: pruned / total, permutations, crepe: o.method === 'crepe' ? o.crepe ?? CREPE_DEFAULTS : undefined };
}

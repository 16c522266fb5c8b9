// `sparsec prune`: a masked ONNX model (pruned weights set to 0) that onnxruntime runs, written
// to a temporary file and renamed into place; the input model is never modified.
import { Command, Option } from 'commander';
import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { readModelBytes } from '../onnx/read.js';
import { resolve } from 'node:path';
import { SparsecError } from '../errors.js';
import { calibrationFeeds, isTextLines } from '../calibrate/feeds.js';
import type { Feeds } from '../calibrate/calibrate.js';
import { readBytes } from '../calibrate/data.js';
import { heldOutCheck } from '../eval/textModel.js';
import { parseInputShapes } from '../ir/passes/inputShapes.js';
import { parsePattern, patternName } from '../prune/masks.js';
import { CREPE_DEFAULTS, type ScoreMethod } from '../prune/scores.js';
import { pruneModel } from '../prune/pipeline.js';
import { OWL_DEFAULTS } from '../prune/owl.js';
import { DSNOT_DEFAULTS } from '../prune/dsnot.js';
import type { PhoCandidate } from '../prune/pho.js';
import { progress } from './progress.js';
import { pruneToast } from '../prune/toast/toast.js';
import { channelPruneCli } from './channelPrune.js';
import { reductionFraction } from './options.js';

interface PruneCliOptions {
  out: string; method: ScoreMethod | 'toast'; sparsity: string; flopsReduction?: string; flopsOf: 'model' | 'blocks'; headScore?: 'data' | 'gm' | 'magnitude'; refit: boolean; perRow?: boolean;
  calib?: string; calibWindows: string; inputShape: string[]; seq: string; seed: string; sequential?: boolean; owl?: boolean; owlLambda: string; owlM: string; dsnot?: boolean; dsnotCycles: string; dsnotThreshold: string; pho?: boolean; phoGenerations: string; phoValidate: string; permute?: boolean; permuteLsa?: boolean;
  include?: string; ignore?: string; pruneHead?: boolean;
  crepeK: string; crepeAlpha: string; crepeBeta: string; crepeGamma: string; crepeA: string; crepeVariant: 'A' | 'B'; crepeNormalize: boolean;
  json?: boolean; quiet?: boolean;
}

const int = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new SparsecError('E_OPTION', `${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};
const float = (name: string, v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new SparsecError('E_OPTION', `${name} must be a number >= 0, got '${v}'`);
  return n;
};
const regex = (name: string, v: string | undefined): RegExp | undefined => {
  if (v === undefined) return undefined;
  try { return new RegExp(v); } catch (e) { throw new SparsecError('E_OPTION', `${name} is not a valid regular expression: ${(e as Error).message}`); }
};

/** PHO's real check: with text calibration, bits per byte on up to --pho-validate windows of the
 *  calibration file that calibration did not use. */
function phoValidation(o: PruneCliOptions, T: number, feeds: readonly Feeds[] | undefined): ((onnx: Uint8Array) => Promise<number>) | undefined {
  const max = int('--pho-validate', o.phoValidate, 0);
  if (max === 0 || !o.calib) return undefined;
  const tokens = feeds?.[0] && Object.values(feeds[0])[0];
  if (isTextLines(o.calib) || !tokens || (tokens.type !== 'int64' && tokens.type !== 'int32')) {
    if (!o.quiet) process.stderr.write('PHO: no real check (it needs a byte-level language model calibrated on text): the proxy\'s best is used\n');
    return undefined;
  }
  return heldOutCheck(readBytes(o.calib), T, int('--calib-windows', o.calibWindows, 1), int('--seed', o.seed, 0), max);
}

const logCandidate = (c: PhoCandidate) => process.stderr.write(`  PHO ${c.source.padEnd(8)} α ${c.crepe.alpha.toFixed(3)} β ${c.crepe.beta.toFixed(3)} γ ${c.crepe.gamma.toFixed(3)} k ${c.crepe.k}${c.crepe.normalize ? '' : ' raw'}: ${c.real !== undefined ? `check ${c.real.toFixed(4)}` : 'no check'}\n`);

export function register(program: Command): void {
  program.command('prune')
    .description('prune an ONNX model after training and write an .onnx that onnxruntime runs: crepe, ria, wanda or magnitude mask the linear layers (unstructured or N:M); toast removes ViT head dimensions and FFN units, reprune, l1 or random remove CNN channels (smaller dense layers)')
    .argument('<model>', 'the .onnx file')
    .requiredOption('-o, --out <file>', 'the pruned .onnx file')
    .addOption(new Option('--method <name>', 'crepe|ria|wanda|magnitude: weights of linear layers; toast: ViT heads and FFN units; reprune|l1|random: channels of a CNN (the last two with --flops-reduction)').choices(['crepe', 'ria', 'wanda', 'magnitude', 'toast', 'reprune', 'l1', 'random']).default('crepe'))
    .option('--no-reconstruct', 'channel methods: no ridge least-squares refit of the layers that lost input channels')
    .option('--no-recalibrate', 'channel methods: no mean/std recalibration of the other changed layers')
    .addOption(new Option('--residual <how>', 'channel methods: channels shared by several producers (residual Add, SE gate): prune them as one group, or keep them').choices(['prune', 'keep']).default('prune'))
    .option('--cap <s>', 'channel methods: at most this fraction of one group\'s channels goes', '0.7')
    .option('--calib-images <n>', 'channel methods: calibration images (or lines) taken from --calib', '256')
    .option('--calib-rotate <degrees>', 'channel methods: also calibrate on each image or line turned by 180° (orientation classifiers such as PP-OCR cls need both classes)')
    .option('--sparsity <s>', 'unstructured fraction (0.5, 50%) or N:M kept of M along the input dimension (2:4, 4:8)', '0.5')
    .option('--per-row', 'unstructured: the same fraction in every output row (default: one threshold per matrix)')
    .option('--permute', 'N:M: channel permutation (RIA\'s heuristic); weights stored permuted, absorbed into the producer where the graph allows, else a Gather of the input')
    .option('--permute-lsa', 'with --permute: refine the permutation by linear sum assignment per in-group slot')
    .option('--calib <file>', 'calibration data, needed by all methods but magnitude: text (raw bytes = token ids) or rendered text lines (<stem> of .json + .u8.gz, image models); or raw uint8 images (pixel/255, models with a static float input); reprune|l1|random also take .f32 images (fed as is)')
    .option('--calib-windows <n>', 'calibration windows of --seq bytes (text) or lines (images), picked with --seed', '128')
    .option('--input-shape <name=dims...>', 'image calibration: the input shape, e.g. x=1x3x48x192 (default: the declared H and W, else 48 x 320)', [])
    .option('--seq <T>', 'window length in tokens', '128')
    .option('--seed <n>', 'seed of the window sampling', '0')
    .option('--sequential', 'calibrate stage by stage on the already pruned earlier layers (one pass per stage)')
    .option('--owl', 'OWL: per-block sparsity from activation outliers (average stays --sparsity; N:M: per-layer N = round((1 - s)·M))')
    .option('--owl-lambda <v>', 'OWL: half the spread of the block sparsities', String(OWL_DEFAULTS.lambda))
    .option('--owl-m <v>', 'OWL: outlier threshold, a multiple of the mean Wanda score', String(OWL_DEFAULTS.m))
    .option('--dsnot', 'DSnoT: re-prune each mask by swaps that shrink the expected output error (same sparsity)')
    .option('--dsnot-cycles <n>', 'DSnoT: swaps per row at most', String(DSNOT_DEFAULTS.maxCycles))
    .option('--dsnot-threshold <v>', 'DSnoT: stop a row when |expected error| is at most this', String(DSNOT_DEFAULTS.threshold))
    .option('--include <regex>', 'prune only layers whose node name matches')
    .option('--ignore <regex>', 'leave layers whose node name matches dense')
    .option('--prune-head', 'also prune the output head (left dense by default, as are embeddings)')
    .option('--crepe-k <k>', 'CRePE neighbourhood window size (odd)', String(CREPE_DEFAULTS.k))
    .option('--crepe-alpha <v>', 'CRePE weight of the column term', String(CREPE_DEFAULTS.alpha))
    .option('--crepe-beta <v>', 'CRePE weight of the row term', String(CREPE_DEFAULTS.beta))
    .option('--crepe-gamma <v>', 'CRePE weight of the neighbourhood term', String(CREPE_DEFAULTS.gamma))
    .option('--crepe-a <v>', 'CRePE activation exponent (‖X_j‖^a)', String(CREPE_DEFAULTS.a))
    .addOption(new Option('--crepe-variant <v>', 'A: |W| relative to its window mean; B: RI smoothed by the window').choices(['A', 'B']).default(CREPE_DEFAULTS.variant))
    .option('--pho', 'CRePE: search α, β, γ, k with PHO (seeded CMA-ES on a proxy) before pruning')
    .option('--pho-generations <n>', 'PHO: CMA-ES generations of 8 candidates', '20')
    .option('--pho-validate <n>', 'PHO: windows of the calibration text that calibration did not use, for the final real check of its best candidates, the defaults and RIA (0: no check)', '64')
    .option('--no-crepe-normalize', 'do not divide each CRePE term by its matrix mean')
    .option('--flops-reduction <x>', 'toast: fraction of the model MACs to remove (0.3 or 30%)')
    .addOption(new Option('--flops-of <scope>', 'toast: --flops-reduction is a fraction of the whole model or of the attention blocks and FFNs only').choices(['model', 'blocks']).default('model'))
    .addOption(new Option('--head-score <s>', 'toast: head-dimension score (default data with --calib, gm without)').choices(['data', 'gm', 'magnitude']))
    .option('--no-refit', 'toast: no least-squares refit of W_o and fc2 (the removed features\' means go into the bias)')
    .option('--json', 'print a report (layers, sparsity) as JSON on stdout')
    .option('-q, --quiet', 'no log or progress on stderr')
    .action(async (model: string, o: PruneCliOptions) => {
      const t0 = performance.now();
      if (o.method === 'toast') return toastCommand(model, o, t0);
      const chosen: string = o.method;
      if (chosen === 'reprune' || chosen === 'l1' || chosen === 'random') {
        if (resolve(model) === resolve(o.out)) throw new SparsecError('E_OPTION', '-o must differ from the input model (the input is never modified)');
        const co = o as unknown as Parameters<typeof channelPruneCli>[1];
        const r = await channelPruneCli(model, co);
        writeModel(o.out, r.onnx);
        if (o.json) process.stdout.write(JSON.stringify({ model, out: o.out, method: o.method, flops: r.flops, allocation: { ...r.allocation, kept: Object.fromEntries(r.allocation.kept) }, groups: r.groups, recovery: r.steps }, null, 2) + '\n');
        if (!o.quiet) {
          const pruned = r.groups.filter((g) => g.kept < g.channels);
          process.stderr.write(`pruned ${pruned.length} of ${r.groups.length} channel groups with ${o.method}: MACs ${r.flops.dense.toLocaleString('en-US')} -> ${r.flops.pruned.toLocaleString('en-US')} (${(r.flops.reduction * 100).toFixed(1)}% fewer), ${r.steps.length} layers recovered, in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${o.out}\n`);
          if (r.flops.reduction + 0.005 < r.target) process.stderr.write(`  note: ${(r.target * 100).toFixed(1)}% is out of reach with --cap ${co.cap}${co.residual === 'keep' ? ' and --residual keep' : ''}; every prunable group is at its cap\n`);
          for (const g of r.groups) process.stderr.write(`  ${g.id}: ${g.skip ? `kept whole (${g.skip})` : `${g.kept} of ${g.channels} channels`}\n`);
        }
        return;
      }
      const pattern = parsePattern(o.sparsity, o.perRow ? 'row' : 'matrix');
      if (!pattern) throw new SparsecError('E_OPTION', `--sparsity must be a fraction in [0, 1), a percentage or N:M such as 2:4, got '${o.sparsity}'`);
      if (resolve(model) === resolve(o.out)) throw new SparsecError('E_OPTION', '-o must differ from the input model (the input is never modified)');
      const k = int('--crepe-k', o.crepeK, 1);
      if (k % 2 !== 1) throw new SparsecError('E_OPTION', `--crepe-k must be odd, got ${k}`);
      const crepe = {
        k, alpha: float('--crepe-alpha', o.crepeAlpha), beta: float('--crepe-beta', o.crepeBeta), gamma: float('--crepe-gamma', o.crepeGamma),
        a: float('--crepe-a', o.crepeA), variant: o.crepeVariant, normalize: o.crepeNormalize,
      };
      const bytes = readModelBytes(model);
      const T = int('--seq', o.seq, 1);
      const method = o.method;
      const needCalib = method !== 'magnitude' || o.owl || o.dsnot;
      if (needCalib && !o.calib) throw new SparsecError('E_OPTION', `--method ${o.method}${o.owl ? ' with --owl' : ''}${o.dsnot ? ' with --dsnot' : ''} needs --calib <data.txt>`);
      const shape = Object.values(parseInputShapes(o.inputShape))[0];
      const feeds = needCalib && o.calib ? await calibrationFeeds(bytes, model, o.calib, { seq: T, count: int('--calib-windows', o.calibWindows, 1), seed: int('--seed', o.seed, 0), shape }) : undefined;
      const bar = progress(o.sequential ? 'stages' : 'calibrating', o.quiet);
      const search = progress('PHO search', o.quiet);
      const r = await pruneModel(bytes, model, {
        method, pattern, crepe, feeds, sequential: o.sequential, permute: o.permute || o.permuteLsa, lsa: o.permuteLsa,
        dsnot: o.dsnot ? { ...DSNOT_DEFAULTS, maxCycles: int('--dsnot-cycles', o.dsnotCycles, 0), threshold: float('--dsnot-threshold', o.dsnotThreshold) } : undefined,
        pho: o.pho ? { generations: int('--pho-generations', o.phoGenerations, 1), seed: int('--seed', o.seed, 0), validate: phoValidation(o, T, feeds), onCandidate: o.quiet ? undefined : (c) => { search.stop(); logCandidate(c); } } : undefined,
        owl: o.owl ? { ...OWL_DEFAULTS, lambda: float('--owl-lambda', o.owlLambda), m: float('--owl-m', o.owlM) } : undefined,
        include: regex('--include', o.include), ignore: regex('--ignore', o.ignore), pruneHead: o.pruneHead,
        onProgress: (d, t) => bar.update(d, t),
        onSearch: (d, t) => { bar.stop(); search.update(d, t, 'generations'); },
      }).finally(() => { bar.stop(); search.stop(); });
      writeModel(o.out, r.onnx);
      const pruned = r.report.filter((l) => !l.skip);
      if (o.json) {
        process.stdout.write(JSON.stringify({
          model, out: o.out, method: o.method, pattern: patternName(pattern), crepe: r.crepe,
          calibWindows: feeds?.length ?? 0, sequential: !!o.sequential, owl: !!o.owl, dsnot: !!o.dsnot, sparsity: r.sparsity, layers: r.report, permutations: r.permutations,
        }, null, 2) + '\n');
      }
      if (!o.quiet) {
        process.stderr.write(`pruned ${pruned.length} of ${r.report.length} linear layers with ${o.method} at ${patternName(pattern)} (${(r.sparsity * 100).toFixed(1)}% of their weights) in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${o.out}\n`);
        if (o.pho && r.crepe) process.stderr.write(`  PHO chose α ${r.crepe.alpha.toFixed(3)}, β ${r.crepe.beta.toFixed(3)}, γ ${r.crepe.gamma.toFixed(3)}, k ${r.crepe.k}\n`);
        for (const l of r.report.filter((x) => x.skip)) process.stderr.write(`  dense: ${l.name} (${l.skip})\n`);
        for (const p of r.permutations ?? []) process.stderr.write(`  permuted input of ${p.layer}: ${p.how === 'absorbed' ? `absorbed into ${p.producers.join(', ')}` : 'Gather at run time'}\n`);
      }
    });
}

function writeModel(out: string, onnx: Uint8Array): void {
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, onnx);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new SparsecError('E_FILE', `cannot write the pruned model: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: out });
  }
}

/** `sparsec prune --method toast`: calibration (optional: data-free without), prune, write. */
async function toastCommand(model: string, o: PruneCliOptions, t0: number): Promise<void> {
  if (resolve(model) === resolve(o.out)) throw new SparsecError('E_OPTION', '-o must differ from the input model (the input is never modified)');
  if (o.flopsReduction === undefined) throw new SparsecError('E_OPTION', '--method toast needs --flops-reduction <x> (e.g. 0.3)');
  const reduction = reductionFraction('--flops-reduction', o.flopsReduction);
  const bytes = readModelBytes(model);
  const shape = Object.values(parseInputShapes(o.inputShape))[0];
  const feeds = o.calib ? await calibrationFeeds(bytes, model, o.calib, { count: int('--calib-windows', o.calibWindows, 1), seq: int('--seq', o.seq, 1), seed: int('--seed', o.seed, 0), shape }) : undefined;
  const bar = progress('toast', o.quiet);
  const r = await pruneToast(bytes, model, {
    flopsReduction: reduction, budgetScope: o.flopsOf, feeds, headScore: o.headScore, refit: feeds ? o.refit : false, seed: int('--seed', o.seed, 0),
    onProgress: (_stage, d, t) => bar.update(d, t),
  }).finally(() => bar.stop());
  writeModel(o.out, r.onnx);
  if (o.json) process.stdout.write(JSON.stringify({ model, out: o.out, method: 'toast', calibInputs: feeds?.length ?? 0, ...r.report }, null, 2) + '\n');
  if (!o.quiet) {
    const m = r.report.macs;
    process.stderr.write(`toast: ${r.report.attention.length} attention blocks, ${r.report.ffn.length} FFNs; MACs ${m.dense.toLocaleString('en-US')} -> ${m.pruned.toLocaleString('en-US')} (-${(m.reduction * 100).toFixed(1)}%; attention and FFNs -${(m.blocksReduction * 100).toFixed(1)}%) in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${o.out}\n`);
    process.stderr.write(`  head dims kept: ${r.report.attention.map((a) => `${a.kept}/${a.headDim}`).join(' ')}; FFN units kept: ${r.report.ffn.map((f) => `${f.kept}/${f.hidden}`).join(' ')}\n`);
    process.stderr.write(`  scores: heads ${r.report.headScore}, FFN ${r.report.ffnScore}; ${r.report.refit ? 'W_o and fc2 refitted' : r.report.biasCorrection ? 'bias correction' : 'no corrections'}\n`);
  }
}

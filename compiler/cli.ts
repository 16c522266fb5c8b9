// The sparsec command line. Data and --json go to stdout, logs to stderr; user errors print
// one clear message and exit non-zero, never a stack trace.
import { Command, Option } from 'commander';
import { isSparsecError } from './errors.js';
import { buildModel } from './compile.js';
import { inspectModel } from './inspect.js';
import { channelGroupRows, formatChannelGroups } from './cli/channels.js';
import { parseInputShapes } from './ir/passes/inputShapes.js';
import { targetNames } from './codegen/target.js';
import { version } from './version.js';
import { register as registerPrune } from './cli/prune.js';
import { register as registerEval } from './cli/eval.js';
import { register as registerBench } from './cli/bench.js';
import { register as registerReport } from './cli/report.js';
import { progress } from './cli/progress.js';

const collect = (v: string, prev: string[]) => [...prev, v];
const log = (quiet: boolean | undefined, msg: string) => { if (!quiet) process.stderr.write(msg + '\n'); };
const fmt = (n: number) => n.toLocaleString('en-US');

const program = new Command()
  .name('sparsec')
  .description('Compile ONNX models to small, fast, model-specific WebAssembly (SIMD) programs')
  .version(version)
  .showHelpAfterError();

program.command('build')
  .description('compile an ONNX model to an output folder (model.wasm, model.mjs, model.d.ts, weights.bin, manifest.json)')
  .argument('<model>', 'the .onnx file')
  .requiredOption('-o, --out <dir>', 'output folder')
  .addOption(new Option('-t, --target <name>', 'device target (targets/*.json)').default('wasm-simd128').choices(targetNames()))
  .option('--input-shape <name=dims>', 'fix an input shape, e.g. x=1x3x48x320 (repeatable)', collect, [])
  .option('--prune <spec>', 'prune first: magnitude:2:4|4:8|0.8 (Conv/MatMul/Gemm), crepe|ria|wanda:2:4|4:8|0.5 (linear layers, needs --calib), toast:0.3[,crepe:2:4] (ViT attention head dims and FFN units to a MAC reduction, then N:M; needs --calib), or reprune|l1|random:0.5 (CNN channels to a FLOPs reduction, recovered with --calib images)')
  .option('--calib <data>', 'calibration data for --prune crepe|ria|wanda|toast: text (byte-level language models) or rendered text lines (image models); images (.u8 /255, .f32 as is) or lines for --prune reprune|l1|random')
  .option('--keep-source', 'also write the emitted AssemblyScript as model.ts')
  .option('--json', 'print the manifest as JSON on stdout')
  .option('-q, --quiet', 'no log on stderr')
  .action(async (model: string, o: { out: string; target: string; inputShape: string[]; prune?: string; calib?: string; keepSource?: boolean; json?: boolean; quiet?: boolean }) => {
    const t0 = performance.now();
    const bar = progress('building', o.quiet);
    const r = await buildModel(model, o.out, { target: o.target, inputShapes: parseInputShapes(o.inputShape), keepSource: o.keepSource, prune: o.prune, calib: o.calib, onProgress: (d, t, s) => bar.update(d, t, s) })
      .finally(() => bar.stop());
    const m = r.files.manifest as { sizes: { wasm: number; weights: number; arena: number } };
    if (o.json) process.stdout.write(JSON.stringify(r.files.manifest, null, 2) + '\n');
    log(o.quiet, `built ${o.out} for ${o.target} in ${((performance.now() - t0) / 1000).toFixed(1)} s: model.wasm ${fmt(m.sizes.wasm)} B, weights.bin ${fmt(m.sizes.weights)} B, arena ${fmt(m.sizes.arena)} B`);
  });

program.command('inspect')
  .description('list a model\'s ops, parameters and MACs per layer, and what sparsec cannot compile')
  .argument('<model>', 'the .onnx file')
  .option('--input-shape <name=dims>', 'fix an input shape, e.g. x=1x3x48x320 (repeatable)', collect, [])
  .option('--layers', 'list every layer')
  .option('--channels', 'list the channel coupling groups: what structured pruning can remove together, and why the rest stays')
  .option('--json', 'print the report as JSON')
  .option('-q, --quiet', 'print nothing but --json output')
  .action((model: string, o: { inputShape: string[]; layers?: boolean; channels?: boolean; json?: boolean; quiet?: boolean }) => {
    const r = inspectModel(model, parseInputShapes(o.inputShape));
    const channels = o.channels ? channelGroupRows(model, parseInputShapes(o.inputShape)) : undefined;
    if (o.json) { process.stdout.write(JSON.stringify(channels ? { ...r, channels } : r, null, 2) + '\n'); return; }
    if (o.quiet) return;
    const out: string[] = [];
    out.push(`${r.file} (opset ${r.opset})`);
    for (const i of r.inputs) out.push(`  input  ${i.name}: ${i.dtype} [${i.shape.join(', ')}]`);
    for (const i of r.outputs) out.push(`  output ${i.name}: ${i.dtype} [${i.shape?.join(', ') ?? '?'}]`);
    out.push(`parameters: ${fmt(r.params)}    MACs: ${r.macs === null ? 'unknown (shapes not fixed)' : fmt(r.macs)}`);
    out.push('ops: ' + Object.entries(r.ops).map(([k, v]) => `${k} ${v}`).join(', '));
    if (r.shapeNote) out.push(`note: ${r.shapeNote}`);
    if (o.layers) {
      out.push('', 'layer'.padEnd(40) + 'op'.padEnd(22) + 'output'.padEnd(22) + 'params'.padStart(10) + 'MACs'.padStart(14));
      for (const l of r.layers) out.push(l.name.slice(0, 39).padEnd(40) + l.op.padEnd(22) + `[${l.outputShape?.join(',') ?? '?'}]`.padEnd(22) + fmt(l.params).padStart(10) + fmt(l.macs).padStart(14));
    }
    if (channels) out.push('', ...formatChannelGroups(channels), '');
    out.push(r.unsupported.length ? `unsupported (${r.unsupported.length}):` : 'unsupported: none');
    for (const u of r.unsupported) out.push(`  ${u.op} in node '${u.node}': ${u.reason}`);
    process.stdout.write(out.join('\n') + '\n');
  });

registerPrune(program);
registerEval(program);
registerBench(program);
registerReport(program);

export async function main(argv = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (isSparsecError(e)) {
      process.stderr.write(`sparsec: error: ${e.message}\n`);
      process.exitCode = e.code === 'E_OPTION' ? 2 : 1;
      return;
    }
    throw e;
  }
}

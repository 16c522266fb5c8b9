// `sparsec eval`: bits per byte (and perplexity per byte, 2^bpb) of a byte-level language model
// on held-out text, through onnxruntime-node.
import type { Command } from 'commander';
import { SparsecError } from '../errors.js';
import { readBytes } from '../calibrate/data.js';
import { evalTextModel } from '../eval/textModel.js';
import { progress } from './progress.js';

export function register(program: Command): void {
  program.command('eval')
    .description('bits per byte of a byte-level language model on held-out text (onnxruntime-node)')
    .argument('<model>', 'the .onnx file')
    .requiredOption('--text <file>', 'held-out text, raw bytes as token ids, cut into non-overlapping windows of --seq')
    .option('--seq <T>', 'window length in tokens', '128')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (model: string, o: { text: string; seq: string; json?: boolean; quiet?: boolean }) => {
      const T = Number(o.seq);
      if (!Number.isInteger(T) || T < 1) throw new SparsecError('E_OPTION', `--seq must be a positive integer, got '${o.seq}'`);
      const text = readBytes(o.text);
      const bar = progress('evaluating', o.quiet);
      const r = await evalTextModel(model, text, T, (d, t) => bar.update(d, t)).finally(() => bar.stop());
      if (o.json) process.stdout.write(JSON.stringify({ model, text: o.text, seq: T, ...r }, null, 2) + '\n');
      else process.stdout.write(`bits per byte ${r.bitsPerByte.toFixed(4)}  perplexity per byte ${r.perplexityPerByte.toFixed(4)}  (${r.windows} windows of ${T}, ${r.seconds.toFixed(1)} s)\n`);
    });
}

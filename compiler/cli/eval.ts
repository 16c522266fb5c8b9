// `sparsec eval`: through onnxruntime-node, bits per byte (and perplexity per byte, 2^bpb) of a
// byte-level language model on held-out text; or, with --task ocr-rec|ocr-cls, the character
// error rate of a PP-OCR recognizer / the accuracy of its 0°/180° classifier on rendered lines;
// or, with --task classify, the top-1 accuracy of an image classifier on an image file.
import { Command, Option } from 'commander';
import { SparsecError } from '../errors.js';
import { readBytes } from '../calibrate/data.js';
import { readTextLines } from '../calibrate/lines.js';
import { evalTextModel } from '../eval/textModel.js';
import { CLS_INPUT, REC_INPUT, classifyOrientation, ortImageRunner, readDictionary, recognize } from '../eval/ocr.js';
import { progress } from './progress.js';
import { positiveInt } from './options.js';
import { evalImageClassifier } from '../eval/imageClassifier.js';

interface EvalCliOptions { task: 'text' | 'ocr-rec' | 'ocr-cls' | 'classify'; images?: string; labels?: string; text?: string; data?: string; dict?: string; width?: string; limit?: string; seq: string; json?: boolean; quiet?: boolean }

export function register(program: Command): void {
  program.command('eval')
    .description('quality through onnxruntime-node: bits per byte of a byte-level LM, OCR error rates on rendered text lines, or classifier accuracy')
    .argument('<model>', 'the .onnx file')
    .addOption(new Option('--task <task>', 'text: bits per byte; ocr-rec: CER of a CTC recognizer; ocr-cls: 0°/180° accuracy; classify: top-1 accuracy').choices(['text', 'ocr-rec', 'ocr-cls', 'classify']).default('text'))
    .option('--text <file>', 'text: held-out text, raw bytes as token ids, cut into non-overlapping windows of --seq')
    .option('--seq <T>', 'text: window length in tokens', '128')
    .option('--data <lines>', 'ocr-*: rendered lines (tools/render-text-lines.py: <stem>.json + <stem>.u8.gz)')
    .option('--dict <file>', 'ocr-rec: the character dictionary (ppocr_keys_v1.txt, cached by tools/fetch-models.mjs)')
    .option('--width <W>', `ocr-*: padded input width (default ${REC_INPUT.width} for ocr-rec, ${CLS_INPUT.width} for ocr-cls)`)
    .option('--limit <n>', 'ocr-*: only the first n lines')
    .option('--images <file>', 'classify: images back to back in the input layout (.u8 fed /255, .f32 as is)')
    .option('--labels <file>', 'classify: one label byte per image')
    .option('--json', 'print the result as JSON on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (model: string, o: EvalCliOptions) => {
      if (o.task === 'text') {
        if (!o.text) throw new SparsecError('E_OPTION', '--task text needs --text <held-out text file>');
        const T = positiveInt('--seq', o.seq);
        const text = readBytes(o.text);
        const bar = progress('evaluating', o.quiet);
        const r = await evalTextModel(model, text, T, (d, t) => bar.update(d, t)).finally(() => bar.stop());
        if (o.json) process.stdout.write(JSON.stringify({ model, text: o.text, seq: T, ...r }, null, 2) + '\n');
        else process.stdout.write(`bits per byte ${r.bitsPerByte.toFixed(4)}  perplexity per byte ${r.perplexityPerByte.toFixed(4)}  (${r.windows} windows of ${T}, ${r.seconds.toFixed(1)} s)\n`);
        return;
      }
      if (o.task === 'classify') {
        if (!o.images || !o.labels) throw new SparsecError('E_OPTION', '--task classify needs --images <file> and --labels <file>');
        const bar = progress('evaluating', o.quiet);
        const r = await evalImageClassifier(model, o.images, o.labels, (d, t) => bar.update(d, t)).finally(() => bar.stop());
        if (o.json) process.stdout.write(JSON.stringify({ model, task: o.task, imageFile: o.images, labelFile: o.labels, ...r }, null, 2) + '\n');
        else process.stdout.write(`accuracy ${r.accuracy.toFixed(4)}  (${r.correct} of ${r.images} images, ${r.seconds.toFixed(1)} s)\n`);
        return;
      }
      if (!o.data) throw new SparsecError('E_OPTION', `--task ${o.task} needs --data <rendered lines>`);
      if (o.task === 'ocr-rec' && !o.dict) throw new SparsecError('E_OPTION', '--task ocr-rec needs --dict <ppocr_keys_v1.txt> (node tools/fetch-models.mjs --print-paths --only ppocr-keys)');
      const base = o.task === 'ocr-rec' ? REC_INPUT : CLS_INPUT;
      const input = { height: base.height, width: o.width ? positiveInt('--width', o.width) : base.width };
      let lines = readTextLines(o.data);
      if (o.limit) lines = lines.slice(0, positiveInt('--limit', o.limit));
      const t0 = performance.now();
      const runner = await ortImageRunner(model, input);
      const bar = progress('evaluating', o.quiet);
      try {
        if (o.task === 'ocr-rec') {
          const r = await recognize(lines, readDictionary(o.dict!), runner.run, input, (d, t) => bar.update(d, t));
          const seconds = (performance.now() - t0) / 1000;
          if (o.json) process.stdout.write(JSON.stringify({ model, data: o.data, task: o.task, ...r, seconds }, null, 2) + '\n');
          else process.stdout.write(`character error rate ${(r.cer * 100).toFixed(2)}%  lines read exactly ${(r.lineAccuracy * 100).toFixed(1)}%  (${r.lines} lines, ${seconds.toFixed(1)} s)\n`);
        } else {
          const r = await classifyOrientation(lines, runner.run, input, (d, t) => bar.update(d, t));
          const seconds = (performance.now() - t0) / 1000;
          if (o.json) process.stdout.write(JSON.stringify({ model, data: o.data, task: o.task, ...r, seconds }, null, 2) + '\n');
          else process.stdout.write(`orientation accuracy ${(r.accuracy * 100).toFixed(2)}%  (0°: ${(r.upright * 100).toFixed(1)}%, 180°: ${(r.rotated * 100).toFixed(1)}%; ${r.lines} lines each way, ${seconds.toFixed(1)} s)\n`);
        }
      } finally {
        bar.stop();
        await runner.release();
      }
    });
}

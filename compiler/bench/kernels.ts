// Kernel benchmark of issue 3: GFLOP/s of each shape (rows) in each engine or kernel (columns),
// single thread, medians of interleaved rounds.
//
//   node dist/compiler/bench/kernels.js [--out out/bench-kernels.json] [--rounds 3] [--filter text[,text...]]
//        [--target wasm-simd128|wasm-relaxed-simd|all]   (default all: one table per target, TABLES)
//   node dist/compiler/bench/kernels.js --sweep [--target wasm-simd128|wasm-relaxed-simd|wasm-mvp|all] ...   (kernel-sweep.ts)
//
// Our columns call one registry kernel each, in one benchmark module built like a model
// (kernel-cases.ts). The onnxruntime columns run the same product as a one-node ONNX model with
// a constant weight (MatMul with an initializer, Conv with initializer weight and bias), built
// with compiler/onnx/write.ts; onnxruntime-web runs its wasm build (SIMD) in this process with
// 1 thread, onnxruntime-node its native CPU provider with 1 intra-op thread.
// Orientation: our GEMM shapes are C[M,N] = W[M,K]·X[K,N] (the weight on the left, as a conv
// lowers); onnxruntime runs Y[N,M] = X[N,K]·W[K,M], the same flops. 2:4 and unstructured
// columns count dense-equivalent flops (2·M·N·K), so their GFLOP/s compare directly with dense.
// Each cell warms up, then runs until it has at least 7 samples and 0.4 s; the whole table is
// timed `rounds` times, cells interleaved, so a noisy neighbour slows all columns alike. Cells
// show GFLOP/s from the median CPU time (the steadiest figure on this shared 2-core machine);
// the JSON also has the wall-time medians and the fastest sample. Every cell's output is
// checked on sampled entries against a float64 reference (maxRelErr). Both targets' modules
// run in this one process (relaxed SIMD behind a V8 flag on Node 20, set at start) and their
// cells share the rounds, so FMA / mul+add ratios come from one run; each table's header gives
// the SIMD ceilings (mul+add, FMA) measured in the same rounds.
//
// Adding a column: one entry in COLUMNS, whose cell() returns a Cell (a Case of kernel-cases.ts
// and the kernel it calls) for the shapes it covers and null elsewhere; a ratio to another
// column: one pair in RATIOS.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { enableEngineFlags, loadTarget, type Target } from '../codegen/target.js';
import { selectKernel } from '../codegen/kernels/registry.js';
import type { Graph, Value } from '../ir/graph.js';
import { writeOnnx } from '../onnx/write.js';
import { buildBenchModule, convCases, gemmCases, loadavg, median, newAlloc, PEAK_FLOPS, rand, timeRuns, type Case, type ConvShape, type Peak } from './kernel-cases.js';
import { ortSetup } from './latency.js';
import { benchTarget, nmTable, sweepTable, type Row as SweepRow } from './kernel-sweep.js';

/** The shapes of the issue. gemm: C[M,N] = W[M,K]·X[K,N]; gemv: y[N] = W[N,K]·x (batch 1, a
 *  decode step); conv: NCHW, batch 1, with bias. W is the constant weight throughout. */
export type Shape =
  | { name: string; op: 'gemm'; M: number; N: number; K: number }
  | { name: string; op: 'gemv'; N: number; K: number }
  | { name: string; op: 'conv'; conv: ConvShape };

export const SHAPES: Shape[] = [
  { name: '256³', op: 'gemm', M: 256, N: 256, K: 256 },
  { name: '512³', op: 'gemm', M: 512, N: 512, K: 512 },
  { name: '1024³', op: 'gemm', M: 1024, N: 1024, K: 1024 },
  { name: 'conv-as-GEMM 64x576x3136', op: 'gemm', M: 64, N: 3136, K: 576 },
  { name: '3x3 conv 64→64 56x56', op: 'conv', conv: { name: '3x3 conv 64→64 56x56', C: 64, Cout: 64, H: 56, W: 56, k: 3, s: 1, p: 1 } },
  { name: 'GEMV 4096x4096 (DRAM)', op: 'gemv', N: 4096, K: 4096 },
  { name: 'GEMV 1024x4096 (L3)', op: 'gemv', N: 1024, K: 4096 },
];

/** our cell of a shape: the registry kernel of `kind` in `format`, with the case the sweep uses */
export function kernelCell(target: Target, kind: string, format: string, s: Shape, sparsity = 0): Cell | null {
  const v = selectKernel(kind, target, format);
  if (!v) return null;
  const c = s.op === 'conv' ? convCases(kind, [s.conv], format, sparsity)[0] : s.op === 'gemv' ? gemmCases(kind, [[s.name, 1, s.N, s.K]], format, sparsity)[0] : gemmCases(kind, [[s.name, s.M, s.N, s.K]], format, sparsity)[0];
  return { kernel: v.id, callee: `k.${v.fn}`, c };
}

/** one of our cells: registry id, the AssemblyScript callee (`k.<fn>`) and the case to run */
export interface Cell { kernel: string; callee: string; c: Case }

export interface Column {
  id: string;
  label: string;
  /** our kernels: the cell of a shape, or null where the column has none */
  cell?(s: Shape, target: Target): Cell | null;
  /** onnxruntime columns */
  ort?: 'web' | 'node';
}

export const COLUMNS: Column[] = [
  { id: 'dense', label: 'our dense', cell: (s, t) => kernelCell(t, s.op === 'gemm' ? 'gemm_pa' : s.op === 'gemv' ? 'gemv' : 'conv2d', 'dense', s) },
  { id: '2:4', label: 'our 2:4', cell: (s, t) => kernelCell(t, s.op === 'gemm' ? 'gemm_nm' : s.op === 'gemv' ? 'gemv_nm' : 'conv2d_nm', '2:4', s) },
  { id: '4:8', label: 'our 4:8', cell: (s, t) => kernelCell(t, s.op === 'gemm' ? 'gemm_nm' : s.op === 'gemv' ? 'gemv_nm' : 'conv2d_nm', '4:8', s) },
  // unstructured (csr) at 70% and 90% zeros, random masks
  ...[0.7, 0.9].map((sp): Column => ({ id: `unstructured ${sp * 100}%`, label: `our unstructured ${sp * 100}%`,
    cell: (s, t) => kernelCell(t, s.op === 'gemm' ? 'gemm_csr' : s.op === 'gemv' ? 'gemv_csr' : 'conv2d_csr', 'csr', s, sp) })),
  { id: 'ort-web', label: 'onnxruntime-web (wasm SIMD)', ort: 'web' },
  { id: 'ort-node', label: 'onnxruntime-node (native)', ort: 'node' },
];

const flopsOf = (s: Shape): number => {
  if (s.op === 'gemm') return 2 * s.M * s.N * s.K;
  if (s.op === 'gemv') return 2 * s.N * s.K;
  const c = s.conv, Ho = Math.floor((c.H + 2 * c.p - c.k) / c.s) + 1, Wo = Math.floor((c.W + 2 * c.p - c.k) / c.s) + 1;
  return 2 * c.Cout * c.C * c.k * c.k * Ho * Wo;
};

// ---------------------------------------------------------------- onnxruntime cells

/** The one-node model of a shape, its input, and a checker of its output against float64. */
function ortModel(s: Shape): { bytes: Uint8Array; x: Float32Array; xShape: number[]; check(y: Float32Array): number } {
  const value = (name: string, shape: number[], data?: Float32Array): Value => ({ name, dtype: 'float32', shape, data });
  const graph = (op: string, inputs: Value[], y: Value, attrs: Graph['nodes'][number]['attrs'] = {}): Uint8Array => writeOnnx({
    name: 'bench', source: 'bench', opset: 17, nodes: [{ name: op, op, domain: '', inputs: inputs.map((v) => v.name), outputs: ['Y'], attrs }],
    values: new Map([...inputs, y].map((v) => [v.name, v])), inputs: ['X'], outputs: ['Y'],
  });
  if (s.op === 'conv') {
    const c = s.conv, Ho = Math.floor((c.H + 2 * c.p - c.k) / c.s) + 1, Wo = Math.floor((c.W + 2 * c.p - c.k) / c.s) + 1;
    const x = rand(c.C * c.H * c.W, 3), w = rand(c.Cout * c.C * c.k * c.k, 4), b = rand(c.Cout, 5);
    const bytes = graph('Conv', [value('X', [1, c.C, c.H, c.W]), value('W', [c.Cout, c.C, c.k, c.k], w), value('B', [c.Cout], b)], value('Y', [1, c.Cout, Ho, Wo]),
      { kernel_shape: [c.k, c.k], pads: [c.p, c.p, c.p, c.p], strides: [c.s, c.s] });
    const check = (y: Float32Array) => {
      let worst = 0;
      for (let t = 0; t < 64; t++) {
        const co = (t * 7919) % c.Cout, oy = (t * 31) % Ho, ox = (t * 104729) % Wo;
        let v = b[co], a = Math.abs(v);
        for (let ci = 0; ci < c.C; ci++) for (let dy = 0; dy < c.k; dy++) for (let dx = 0; dx < c.k; dx++) {
          const iy = oy * c.s - c.p + dy, ix = ox * c.s - c.p + dx;
          if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
          const p = x[(ci * c.H + iy) * c.W + ix] * w[((co * c.C + ci) * c.k + dy) * c.k + dx];
          v += p; a += Math.abs(p);
        }
        worst = Math.max(worst, Math.abs(y[(co * Ho + oy) * Wo + ox] - v) / (a || 1));
      }
      return worst;
    };
    return { bytes, x, xShape: [1, c.C, c.H, c.W], check };
  }
  // Y[P,N] = X[P,K]·W[K,N]: P = 1 for a GEMV; for C[M,N] = W[M,K]·X[K,N], P = N and N = M
  const [P, N, K] = s.op === 'gemv' ? [1, s.N, s.K] : [s.N, s.M, s.K];
  const x = rand(P * K, 2), w = rand(K * N, 1);
  const bytes = graph('MatMul', [value('X', [P, K]), value('W', [K, N], w)], value('Y', [P, N]));
  const check = (y: Float32Array) => {
    let worst = 0;
    for (let t = 0; t < 64; t++) {
      const i = (t * 7919) % P, n = (t * 104729) % N;
      let v = 0, a = 0;
      for (let k = 0; k < K; k++) { const p = x[i * K + k] * w[k * N + n]; v += p; a += Math.abs(p); }
      worst = Math.max(worst, Math.abs(y[i * N + n] - v) / (a || 1));
    }
    return worst;
  };
  return { bytes, x, xShape: [P, K], check };
}

// ---------------------------------------------------------------- the table

interface Timed { kernel: string; flops: number; run(): unknown; check(): Promise<number> | number; dispose?(): Promise<void> | void }

export interface CellResult {
  kernel: string;
  /** GFLOP/s from the median CPU time per call, one per round */
  cpuRounds: number[];
  /** GFLOP/s from the median wall time per call, one per round */
  wallRounds: number[];
  /** medians over the rounds */
  cpu: number; wall: number;
  /** GFLOP/s of the fastest sample seen */
  best: number;
  maxRelErr: number;
}

export interface TableRow { shape: string; flops: number; cells: Record<string, CellResult> }

/** The tables: wasm-simd128 with every column; wasm-relaxed-simd (f32x4.relaxed_madd in the
 *  kernels that multiply-add through assembly/fma.ts) with our dense and N:M columns. */
export const TABLES: { target: string; columns?: string[] }[] = [
  { target: 'wasm-simd128' },
  { target: 'wasm-relaxed-simd', columns: ['dense', '2:4', '4:8'] },
];

export interface Table {
  target: string;
  /** GFLOP/s of the target's SIMD ceiling tests (kernel-cases.ts), one per round */
  peaks: Record<string, number[]>;
  rows: TableRow[];
}

async function benchTables(rounds: number, filter: string, targets: string[]): Promise<Table[]> {
  const pick = (text: string) => !filter || filter.split(',').some((f) => text.includes(f));
  const tables: Table[] = [];
  const plan: { table: Table; shape: Shape; col: Column; make(): Promise<Timed> }[] = [];
  const peakRuns: { table: Table; id: Peak['id']; run(): void }[] = [];
  for (const { target: name, columns } of TABLES.filter((t) => targets.includes(t.target))) {
    const target = loadTarget(name);
    enableEngineFlags(target);
    const table: Table = { target: name, peaks: {}, rows: [] };
    tables.push(table);
    const al = newAlloc();
    const calls: { callee: string; args: (number | string)[] }[] = [];
    const mine: typeof plan = [];
    let module: Awaited<ReturnType<typeof buildBenchModule>> | undefined;
    for (const shape of SHAPES) {
      for (const col of COLUMNS) {
        if ((columns && !columns.includes(col.id)) || !pick(`${shape.name} ${col.id}`)) continue;
        if (col.cell) {
          const cell = col.cell(shape, target);
          if (!cell) continue;
          const { args, check } = cell.c.setup(al);
          const i = calls.push({ callee: cell.callee, args }) - 1;
          mine.push({ table, shape, col, make: async () => ({ kernel: cell.kernel, flops: cell.c.flops, run: module!.fns[i], check: () => check(module!.memory.buffer) }) });
        } else if (col.ort) {
          const which = col.ort;
          mine.push({
            table, shape, col, async make() {
              const { ort, opts } = ortSetup(which, 1), m = ortModel(shape);
              const session = await ort.InferenceSession.create(m.bytes, opts);
              const feeds = { X: new ort.Tensor('float32', m.x, m.xShape) };
              return {
                kernel: `onnxruntime-${which} ${ort.env.versions?.common ?? ''}`.trim(), flops: flopsOf(shape), run: () => session.run(feeds),
                check: async () => m.check((await session.run(feeds)).Y.data as Float32Array), dispose: () => session.release(),
              };
            },
          });
        }
      }
    }
    module = await buildBenchModule(target, al, calls);
    for (const p of module.peaks) { peakRuns.push({ table, id: p.id, run: p.run }); table.peaks[p.id] = []; }
    plan.push(...mine);
  }
  const timed: Timed[] = [];
  for (const p of plan) timed.push(await p.make());
  const cpu = timed.map(() => [] as number[]), wall = timed.map(() => [] as number[]), best = timed.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < timed.length; i++) {
      const t = await timeRuns(timed[i].run);
      cpu[i].push(timed[i].flops / t.cpu / 1e9); wall[i].push(timed[i].flops / t.med / 1e9); best[i] = Math.min(best[i], t.min);
    }
    for (const p of peakRuns) p.table.peaks[p.id].push(+(PEAK_FLOPS[p.id] / (await timeRuns(p.run)).cpu / 1e9).toFixed(1));
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const r2 = (x: number) => +x.toFixed(2);
  for (let i = 0; i < plan.length; i++) {
    const { table, shape, col } = plan[i];
    let row = table.rows.find((x) => x.shape === shape.name);
    if (!row) table.rows.push((row = { shape: shape.name, flops: flopsOf(shape), cells: {} }));
    row.cells[col.id] = {
      kernel: timed[i].kernel, cpuRounds: cpu[i].map(r2), wallRounds: wall[i].map(r2), cpu: r2(median(cpu[i])), wall: r2(median(wall[i])),
      best: r2(timed[i].flops / best[i] / 1e9), maxRelErr: +(await timed[i].check()).toExponential(2),
    };
  }
  for (const t of timed) await t.dispose?.();
  return tables;
}

/** relative error (|got - want| / sum of |terms|) above which a cell is marked ✗: float32
 *  accumulation over K = 4096 stays near 1e-7 */
const MAX_REL_ERR = 1e-5;

/** ratio columns of the table (column ids), shown where both columns have results */
export const RATIOS: [string, string][] = [['2:4', 'dense'], ['4:8', 'dense'], ['unstructured 70%', 'dense'], ['unstructured 90%', 'dense'], ['dense', 'ort-web']];

/** the markdown table: one row per shape, GFLOP/s (median CPU time) per column, then ratios */
export function markdownTable(rows: TableRow[], value: (c: CellResult) => number = (c) => c.cpu): string {
  const cols = COLUMNS.filter((c) => rows.some((r) => r.cells[c.id]));
  const ratios = RATIOS.filter(([a, b]) => rows.some((r) => r.cells[a] && r.cells[b]));
  const ratio = (r: TableRow, a: string, b: string) => (r.cells[a] && r.cells[b] ? (value(r.cells[a]) / value(r.cells[b])).toFixed(2) : '–');
  // a cell whose sampled outputs are off the float64 reference is marked, not hidden
  const fmt = (c?: CellResult) => (c ? `${value(c).toFixed(1)}${c.maxRelErr > MAX_REL_ERR ? ' ✗' : ''}` : '–');
  const out = [
    `| shape | ${[...cols.map((c) => c.label), ...ratios.map(([a, b]) => `${a} / ${b}`)].join(' | ')} |`,
    `|---|${[...cols, ...ratios].map(() => '---:').join('|')}|`,
  ];
  for (const r of rows) out.push(`| ${r.shape} | ${[...cols.map((c) => fmt(r.cells[c.id])), ...ratios.map(([a, b]) => ratio(r, a, b))].join(' | ')} |`);
  return out.join('\n');
}

/** the cells whose rounds disagree by more than 1.5x (CPU time): where the median hides noise */
function spreadNote(rows: TableRow[]): string {
  const wide: string[] = [];
  for (const r of rows) {
    for (const [id, c] of Object.entries(r.cells)) {
      const lo = Math.min(...c.cpuRounds), hi = Math.max(...c.cpuRounds);
      if (hi > 1.5 * lo) wide.push(`${r.shape} / ${id} ${lo.toFixed(1)}–${hi.toFixed(1)}`);
    }
  }
  return wide.length ? `Rounds more than 1.5x apart (CPU-time GFLOP/s, min–max): ${wide.join('; ')}.` : 'Every cell\'s rounds are within 1.5x of each other (CPU time).';
}


function writeJson(out: string, json: object): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, JSON.stringify(json, null, 1));
  renameSync(`${out}.tmp`, out);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const rounds = Number(opt('rounds', '3')), filter = opt('filter', '');
  const load = loadavg();
  if (argv.includes('--sweep')) {
    const out = opt('out', 'out/bench-kernels-sweep.json'), t = opt('target', 'wasm-simd128');
    const rows: SweepRow[] = [];
    for (const name of t === 'all' ? ['wasm-simd128', 'wasm-relaxed-simd', 'wasm-mvp'] : [t]) rows.push(...(await benchTarget(name, rounds, filter)));
    writeJson(out, { date: new Date().toISOString(), node: process.version, rounds, loadavg: load, rows });
    process.stdout.write(sweepTable(rows) + '\n');
    const nm = nmTable(rows);
    if (nm) process.stdout.write('\n' + nm + '\n');
    process.stderr.write(`load average before/after: ${load.join(' ')} / ${loadavg().join(' ')} (2 cores; above 1 means the run shared its core)\nwrote ${out}\n`);
    return;
  }
  const out = opt('out', 'out/bench-kernels.json'), t = opt('target', 'all');
  if (t !== 'all' && !TABLES.some((x) => x.target === t)) {
    process.stderr.write(`bench:kernels: --target ${t} has no table; one of ${TABLES.map((x) => x.target).join(', ')} or all\n`);
    process.exit(1);
  }
  const tables = await benchTables(rounds, filter, t === 'all' ? TABLES.map((x) => x.target) : [t]);
  const after = loadavg();
  for (const tb of tables) for (const r of tb.rows) for (const [id, c] of Object.entries(r.cells)) if (c.maxRelErr > MAX_REL_ERR) process.stderr.write(`${tb.target}: ${r.shape} / ${id}: max relative error ${c.maxRelErr} against float64 (marked ✗)\n`);
  writeJson(out, { date: new Date().toISOString(), node: process.version, rounds, loadavg: load, loadavgAfter: after, columns: COLUMNS.map(({ id, label }) => ({ id, label })), tables });
  const ceilings = (tb: Table) => Object.entries(tb.peaks).map(([id, g]) => `${id} ${median(g).toFixed(1)}`).join(', ');
  const md = [
    `GFLOP/s, single thread, median CPU time per call, median of ${rounds} interleaved rounds (${new Date().toISOString().slice(0, 16)}Z, node ${process.version}); load average before/after: ${load.join(' ')} / ${after.join(' ')}.`,
    ...tables.flatMap((tb) => [
      '', `### ${tb.target}`, '', `SIMD ceilings in the same rounds (kernel-cases.ts): ${ceilings(tb)} GFLOP/s.`,
      '', markdownTable(tb.rows), '', spreadNote(tb.rows), '', 'Wall-time medians:', '', markdownTable(tb.rows, (c) => c.wall),
    ]), '',
  ].join('\n');
  writeFileSync(out.replace(/\.json$/, '') + '.md', md);
  process.stdout.write(md);
  process.stderr.write(`wrote ${out} and ${out.replace(/\.json$/, '')}.md\n`);
}

await main();

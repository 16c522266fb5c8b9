// Where unstructured sparse (csr) starts to beat dense: for one shape of each path the lowerings
// choose between (MatMul over many tokens, 3x3 conv, batch-1 GEMV with the weight in L3 and
// from DRAM), the dense call a build runs next to the csr call at sparsities 20-95%, as lowered:
// MatMul: gemm_f32_pb on X·W against gemm_csr_f32 on Wᵀ·Xᵀ (X read transposed) plus the
// transpose back; conv: conv2d_f32 against conv2d_csr_f32; GEMV: gemv_f32 against gemv_csr_f32.
// Random masks (kernel-cases.ts maskRandom). Single thread; rounds interleaved (every cell once
// per round), GFLOP/s (dense-equivalent) from the median CPU time per call, median over rounds.
//
//   node dist/compiler/bench/csr-crossover.js [--rounds 5] [--out out/bench-csr-crossover.json]
//
// Writes the JSON and a Markdown table (same name, .md) and prints the table. The crossover of
// a shape is the lowest sparsity from which csr is at least as fast at every measured point
// above it, interpolated linearly; compiler/codegen/ops/csr.ts takes its thresholds from it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadTarget } from '../codegen/target.js';
import { csrScratchBytes } from '../codegen/kernels/gemm-blocking.js';
import { packCSRRows } from '../pack/csr.js';
import { buildBenchModule, checkGemm, convCases, gemmCases, maskRandom, loadavg, median, newAlloc, rand, timeRuns, type Case, type ConvShape } from './kernel-cases.js';

export const SPARSITIES = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

/** Y[T][N] = X[T][K]·W[K][N] as the MatMul lowering runs it with W csr: Yᵀ = Wᵀ·Xᵀ, transpose */
const CSR_MATMUL_SRC = `function csr_matmul(N: i32, T: i32, K: i32, ptr: usize, wv: usize, wo: usize, x: usize, yt: usize, y: usize, scratch: usize): void {
  k.gemm_csr_f32(N, T, K, ptr, wv, wo, x, 1, K, yt, T, 0, 0, 0, 0, scratch);
  k.transpose2d_32(yt, y, 1, N, T);
}`;

function csrMatMulCase(name: string, T: number, K: number, N: number, sparsity: number): Case {
  return {
    name, kind: 'csr_matmul', flops: 2 * T * K * N,
    setup(al) {
      // the same X and W as gemmCases('gemm_pb') (A = X[T][K] seed 1, B = W[K][N] seed 2), masked
      const X = rand(T * K, 1), W = maskRandom(rand(K * N, 2), sparsity);
      const pk = packCSRRows({ data: W, rowStride: 1, kStride: N }, N, K);
      const pY = al.reserve(T * N * 4);
      const args = [N, T, K, al.put(pk.ptr), al.put(pk.values), al.put(pk.offsets), al.put(X), al.reserve(T * N * 4), pY, al.reserve(csrScratchBytes(T, K))];
      return { args, check: (mem) => checkGemm(mem, pY, T, N, K, (i, k) => X[i * K + k], (k, n) => W[k * N + n]) };
    },
  };
}

interface Path { path: 'matmul' | 'conv' | 'gemv'; name: string; dense: Case; csr(s: number): Case; callee(kind: string): string }

const conv: ConvShape = { name: '3x3 conv 64→64 56x56', C: 64, Cout: 64, H: 56, W: 56, k: 3, s: 1, p: 1 };
const callee = (kind: string) => (kind === 'csr_matmul' ? 'csr_matmul' : `k.${{ gemm_pb: 'gemm_f32_pb', conv2d: 'conv2d_f32', conv2d_csr: 'conv2d_csr_f32', gemv: 'gemv_f32', gemv_csr: 'gemv_csr_f32' }[kind]}`);

export const PATHS = (): Path[] => [
  { path: 'matmul', name: 'MatMul 512x512·512x512', dense: gemmCases('gemm_pb', [['MatMul', 512, 512, 512]])[0], csr: (s) => csrMatMulCase('MatMul', 512, 512, 512, s), callee },
  { path: 'conv', name: conv.name, dense: convCases('conv2d', [conv])[0], csr: (s) => convCases('conv2d_csr', [conv], 'csr', s)[0], callee },
  ...[['L3', 1024], ['DRAM', 4096]].map(([where, N]) => ({
    path: 'gemv' as const, name: `GEMV ${N}x4096 (${where})`, callee,
    dense: gemmCases('gemv', [['GEMV', 1, N as number, 4096]])[0], csr: (s: number) => gemmCases('gemv_csr', [['GEMV', 1, N as number, 4096]], 'csr', s)[0],
  })),
];

export interface CrossoverRow { path: string; shape: string; sparsity: number; denseGflops: number; csrGflops: number; ratio: number; maxRelErr: number }

/** the lowest sparsity from which csr is at least as fast at every measured point above it,
 *  interpolated linearly between the two points around ratio 1; null if csr never wins */
export function crossover(points: { sparsity: number; ratio: number }[]): number | null {
  const p = [...points].sort((a, b) => a.sparsity - b.sparsity);
  let i = p.length;
  while (i > 0 && p[i - 1].ratio >= 1) i--;
  if (i === p.length) return null;
  if (i === 0) return p[0].sparsity;
  const a = p[i - 1], b = p[i];
  return a.sparsity + ((1 - a.ratio) / (b.ratio - a.ratio)) * (b.sparsity - a.sparsity);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const rounds = Number(opt('rounds', '5')), out = opt('out', 'out/bench-csr-crossover.json');
  const al = newAlloc(), paths = PATHS();
  const cells: { p: Path; sparsity: number | null; c: Case; check(mem: ArrayBuffer): number; call: { callee: string; args: (number | string)[] } }[] = [];
  for (const p of paths) {
    for (const s of [null, ...SPARSITIES]) {
      const c = s === null ? p.dense : p.csr(s), { args, check } = c.setup(al);
      cells.push({ p, sparsity: s, c, check, call: { callee: p.callee(c.kind), args } });
    }
  }
  const { fns, memory } = await buildBenchModule(loadTarget('wasm-simd128'), al, cells.map((x) => x.call), [CSR_MATMUL_SRC]);
  const load0 = loadavg();
  const cpu = cells.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cells.length; i++) cpu[i].push((await timeRuns(fns[i])).cpu);
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const rows: CrossoverRow[] = [];
  const summary: { path: string; shape: string; crossover: number | null }[] = [];
  for (const p of paths) {
    const mine = cells.map((x, i) => ({ x, t: median(cpu[i]) })).filter((y) => y.x.p === p);
    const dense = mine.find((y) => y.x.sparsity === null)!;
    for (const y of mine.filter((z) => z.x.sparsity !== null)) {
      rows.push({
        path: p.path, shape: p.name, sparsity: y.x.sparsity!, denseGflops: +(p.dense.flops / dense.t / 1e9).toFixed(2), csrGflops: +(y.x.c.flops / y.t / 1e9).toFixed(2),
        ratio: +(dense.t / y.t).toFixed(3), maxRelErr: +Math.max(y.x.check(memory.buffer), dense.x.check(memory.buffer)).toExponential(2),
      });
    }
    summary.push({ path: p.path, shape: p.name, crossover: crossover(rows.filter((r) => r.shape === p.name)) });
  }
  const after = loadavg();
  const table = [`GFLOP/s (dense-equivalent), median CPU time per call, median of ${rounds} interleaved rounds (${new Date().toISOString().slice(0, 16)}Z); load average before/after ${load0.join(' ')} / ${after.join(' ')} on 2 cores.`, '',
    '| path | shape | sparsity | dense GFLOP/s | csr GFLOP/s | csr / dense | max rel. err |', '|---|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.path} | ${r.shape} | ${(r.sparsity * 100).toFixed(0)}% | ${r.denseGflops.toFixed(1)} | ${r.csrGflops.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.maxRelErr.toExponential(1)} |`),
    '', '| path | shape | crossover sparsity |', '|---|---|---:|',
    ...summary.map((s) => `| ${s.path} | ${s.shape} | ${s.crossover === null ? 'none up to 95%' : `${(s.crossover * 100).toFixed(0)}%`} |`)].join('\n');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds, loadavg: [load0, after], rows, crossover: summary }, null, 1));
  writeFileSync(out.replace(/\.json$/, '.md'), table + '\n');
  process.stdout.write(table + '\n');
  process.stderr.write(`wrote ${out}\n`);
}

if (process.argv[1]?.endsWith('csr-crossover.js')) await main();

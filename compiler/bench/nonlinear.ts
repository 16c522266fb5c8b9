// Benchmark script (not a test): ns per float of the non-linear kernels the transformer fixtures
// run besides their products, at the fixtures' shapes: the GELU epilogue fused after fc1
// (act_apply_f32 on 128 x 512), causal softmax over rows of 128 (gpt attention, 4 heads, T=128:
// half of each row is -inf) and rows of 17 (vit), LayerNormalization over rows of 128, and the
// elementwise exp / erf / tanh kernels. One module, cases interleaved over rounds, medians.
//   npm run bench:nonlinear -- [--rounds 5] [--out out/bench-nonlinear.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTarget } from '../codegen/target.js';
import { normal as normalDraw, rng } from '../util/random.js';
import { buildBenchModule, loadavg, median, newAlloc, timeRuns } from './kernel-cases.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, out: { type: 'string', default: 'out/bench-nonlinear.json' } } });

/** n normal(0, sd) floats, seeded */
function normal(n: number, sd: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => sd * normalDraw(r));
}

const al = newAlloc();
interface Row { name: string; floats: number; callee: string; args: (number | string)[] }
const rows: Row[] = [];

// GELU in place destroys its input: each call first restores it with a v128 copy, and a
// copy-only case is subtracted
const GELU_N = 128 * 512;
const geluSrc = al.put(normal(GELU_N, 1, 1)), geluBuf = al.reserve(GELU_N * 4);
rows.push({ name: 'copy 128x512 (subtracted)', floats: GELU_N, callee: 'restore', args: [geluSrc, geluBuf, GELU_N] });
rows.push({ name: 'GELU epilogue 128x512', floats: GELU_N, callee: 'restore_act', args: [geluSrc, geluBuf, GELU_N, 6] });
const geluHalf = al.put(normal(GELU_N, 0.5, 9));
rows.push({ name: 'GELU epilogue 128x512, N(0, 0.5) inputs', floats: GELU_N, callee: 'restore_act', args: [geluHalf, geluBuf, GELU_N, 6] });
// vit's 2:4 fc1 applies GELU to its transposed output, rows of 17 tokens
const VIT_N = 384 * 17, vitSrc = al.put(normal(VIT_N + 3, 1, 10));
rows.push({ name: 'copy 384x17 (subtracted)', floats: VIT_N, callee: 'restore', args: [vitSrc, geluBuf, VIT_N + 3] });
rows.push({ name: 'GELU epilogue 384 rows x 17', floats: VIT_N, callee: 'restore_tile', args: [vitSrc, geluBuf, VIT_N + 3, 384, 17, 6] });
rows.push({ name: 'tanh epilogue 128x512', floats: GELU_N, callee: 'restore_act', args: [geluSrc, geluBuf, GELU_N, 9] });
rows.push({ name: 'sigmoid epilogue 128x512', floats: GELU_N, callee: 'restore_act', args: [geluSrc, geluBuf, GELU_N, 5] });

// causal attention scores: row t of each head keeps t + 1 values, the rest is -inf
const T = 128, H = 4;
const scores = normal(H * T * T, 2, 2);
for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let j = t + 1; j < T; j++) scores[(h * T + t) * T + j] = -Infinity;
const pS = al.put(scores), pSy = al.reserve(scores.byteLength);
rows.push({ name: 'Softmax causal 512 rows x 128', floats: H * T * T, callee: 'k.softmax_f32', args: [pS, pSy, H * T, T, 1] });
const dense = normal(H * T * T, 2, 3), pD = al.put(dense), pDy = al.reserve(dense.byteLength);
rows.push({ name: 'Softmax 512 rows x 128', floats: H * T * T, callee: 'k.softmax_f32', args: [pD, pDy, H * T, T, 1] });
const V = 4 * 17 * 17, pV = al.put(normal(V, 2, 4)), pVy = al.reserve(V * 4);
rows.push({ name: 'Softmax 68 rows x 17 (vit)', floats: V, callee: 'k.softmax_f32', args: [pV, pVy, 4 * 17, 17, 1] });

const LN = 128 * 128, pL = al.put(normal(LN, 3, 5)), pLs = al.put(normal(128, 1, 6)), pLb = al.put(normal(128, 1, 7)), pLy = al.reserve(LN * 4);
rows.push({ name: 'LayerNorm 128 rows x 128', floats: LN, callee: 'k.layernorm_f32', args: [pL, pLs, pLb, pLy, 128, 128, '<f32>1e-5', 0, 0] });

const E = 65536, pE = al.put(normal(E, 2, 8)), pEy = al.reserve(E * 4);
for (const f of ['exp', 'erf', 'tanh', 'gelu', 'sigmoid']) rows.push({ name: `ew_${f}_f32 65536`, floats: E, callee: `k.ew_${f}_f32`, args: [pE, pEy, E] });

const extra = [`
// @ts-ignore: decorator
@inline function copyv(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
}
function restore(src: usize, dst: usize, n: i32): void { copyv(src, dst, n); }
function restore_act(src: usize, dst: usize, n: i32, act: i32): void { copyv(src, dst, n); k.act_apply_f32(dst, n, act, 0, 0); }
function restore_tile(src: usize, dst: usize, n: i32, rows: i32, cols: i32, act: i32): void { copyv(src, dst, n); k.act_tile_f32(dst, cols, rows, cols, act, 0, 0); }`];

const mod = await buildBenchModule(loadTarget('wasm-simd128'), al, rows, extra);
const samples = rows.map(() => [] as number[]);
for (let r = 0; r < Number(args.rounds); r++) {
  for (let i = 0; i < rows.length; i++) samples[i].push((await timeRuns(mod.fns[i])).cpu);
}
const sec = samples.map(median);
const out = rows.map((c, i) => {
  // the restore cases minus the copy case listed last before them
  const copy = rows.slice(0, i).map((r) => r.callee).lastIndexOf('restore');
  const s = c.callee.startsWith('restore_') && copy >= 0 ? sec[i] - sec[copy] : sec[i];
  return { name: c.name, us: s * 1e6, nsPerFloat: (s * 1e9) / c.floats };
});
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify({ date: new Date().toISOString(), node: process.version, loadavg: loadavg(), rows: out }, null, 1));
process.stdout.write(['| kernel | µs per call (CPU time, median) | ns per float |', '|---|---|---|', ...out.map((o) => `| ${o.name} | ${o.us.toFixed(1)} | ${o.nsPerFloat.toFixed(2)} |`)].join('\n') + '\n');
process.stderr.write(`load average: ${loadavg().join(' ')}; wrote ${args.out}\n`);

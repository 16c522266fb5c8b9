// Same-run A/B of the N:M kernels (dev tool, not a test): one benchmark module holds the dense
// kernel, the N:M kernels of assembly/gemm_nm.ts ("new") and those of an untracked copy
// assembly/gemm_nm_old.ts ("old", e.g. `git show main:assembly/gemm_nm.ts > assembly/gemm_nm_old.ts`),
// timed in interleaved rounds (CPU-time medians), so new/old and x/dense ratios share the machine's load.
//   npx tsc -p tsconfig.json && node tools/nm-ab.mjs [wasm-relaxed-simd|wasm-simd128] [rounds] [shape,shape...]
// Shapes: mMkKnN (M x N x K GEMMs around conv-as-GEMM: which of small M, 3 K blocks or a large N
// costs), n16 / n20 / n32 (1024 x {16,20,32} x 1024: the 2x16, 2x20 and 1x32 tiles), vqkv / vproj /
// vfc1 / vfc2 (vit's layers at 17 tokens, B row-major), 256³, 512³,
// 1024³, convG (conv-as-GEMM 64x3136x576), conv (3x3 64→64 56x56), conv28 / conv14 / conv7
// (3x3 128→128 28x28, 256→256 14x14, 512→512 7x7). Every cell is checked against
// float64 on sampled entries (a BAD line when off).
import { enableEngineFlags, loadTarget } from '../dist/compiler/codegen/target.js';
import { selectKernel } from '../dist/compiler/codegen/kernels/registry.js';
import { buildBenchModule, convCases, gemmCases, median, newAlloc, timeRuns } from '../dist/compiler/bench/kernel-cases.js';
const tname = process.argv[2] ?? 'wasm-relaxed-simd', rounds = +(process.argv[3] ?? 3), only = process.argv[4];
const target = loadTarget(tname); enableEngineFlags(target);
const shapes = [['m64k576n512', 64, 512, 576], ['m256k576n512', 256, 512, 576], ['m64k256n512', 64, 512, 256], ['m256k256n512', 256, 512, 256], ['m128k192n3136', 128, 3136, 192], ['n16', 1024, 16, 1024], ['n20', 1024, 20, 1024], ['n32', 1024, 32, 1024], ['vqkv', 288, 17, 96], ['vproj', 96, 17, 96], ['vfc1', 384, 17, 96], ['vfc2', 96, 17, 384], ['256³', 256, 256, 256], ['512³', 512, 512, 512], ['1024³', 1024, 1024, 1024], ['convG', 64, 3136, 576], ['conv'], ['conv28'], ['conv14'], ['conv7']];
// 3x3 pad-1 convs of ResNet's stages (ResNet-18 widths): Wo 56 and 28 cut pairs on vector
// boundaries, 14 and 7 inside vectors
const convs = { conv: [64, 56], conv28: [128, 28], conv14: [256, 14], conv7: [512, 7] };
const cells = [];
for (const s of shapes) {
  if (only && !only.split(',').includes(s[0])) continue;
  const isConv = s[0] in convs;
  for (const [col, kind, fmt] of [['dense', isConv ? 'conv2d' : 'gemm_pa', 'dense'], ['2:4', isConv ? 'conv2d_nm' : 'gemm_nm', '2:4'], ['4:8', isConv ? 'conv2d_nm' : 'gemm_nm', '4:8']]) {
    const v = selectKernel(kind, target, fmt);
    const c = isConv ? convCases(kind, [{ name: s[0], C: convs[s[0]][0], Cout: convs[s[0]][0], H: convs[s[0]][1], W: convs[s[0]][1], k: 3, s: 1, p: 1 }], fmt)[0] : gemmCases(kind, [s], fmt)[0];
    const vars = fmt === 'dense' ? [['', 'k']] : [['new', 'k'], ['old', 'o']];
    for (const [tag, ns] of vars) cells.push({ shape: s[0], col: col + tag, callee: `${ns}.${v.fn}`, c });
  }
}
const al = newAlloc();
const setups = cells.map((x) => x.c.setup(al));
const { fns, memory } = await buildBenchModule(target, al, cells.map((x, i) => ({ callee: x.callee, args: setups[i].args })), [`import * as o from './gemm_nm_old';`]);
const t = cells.map(() => []);
for (let r = 0; r < rounds; r++) for (let i = 0; i < cells.length; i++) { const { cpu } = await timeRuns(fns[i]); t[i].push(cells[i].c.flops / cpu / 1e9); if (r === 0) { const e = setups[i].check(memory.buffer); if (e > 1e-4) console.log('BAD', cells[i].shape, cells[i].col, e); } }
const by = {};
cells.forEach((x, i) => { (by[x.shape] ??= {})[x.col] = median(t[i]); });
console.log(tname, 'GFLOP/s median CPU', new Date().toISOString());
for (const [s, v] of Object.entries(by)) {
  const f = (k) => (v[k] ?? 0).toFixed(1);
  console.log(s.padEnd(6), 'dense', f('dense'), '| 2:4 old', f('2:4old'), 'new', f('2:4new'), `(${(v['2:4old'] / v.dense).toFixed(2)} -> ${(v['2:4new'] / v.dense).toFixed(2)}, new/old ${(v['2:4new'] / v['2:4old']).toFixed(3)})`,
    '| 4:8 old', f('4:8old'), 'new', f('4:8new'), `(${(v['4:8old'] / v.dense).toFixed(2)} -> ${(v['4:8new'] / v.dense).toFixed(2)}, new/old ${(v['4:8new'] / v['4:8old']).toFixed(3)})`);
}

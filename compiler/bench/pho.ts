// Benchmark script (not a test): PHO (CMA-ES on a proxy) vs hill climbing on real bits per
// byte, for CRePE's coefficients on a byte-level LM, timed in one run. Per pattern:
//  1. proxy check: 10 random θ, proxy values vs real bits per byte on the search text
//     (Spearman); the proxy with the larger |ρ| is used, minimised or maximised by ρ's sign;
//  2. PHO: CMA-ES (8 x --generations) on that proxy, then its final real check (bits per byte
//     on 64 calibration-file windows calibration did not use) of its 3 best distinct
//     candidates, the defaults and the RIA point; both the proxy's own best and the checked
//     choice are reported;
//  3. baseline: hill climbing on real bits per byte, --budget evaluations;
//  4. held-out bits per byte of RIA, CRePE defaults, CRePE+PHO, CRePE+hill climbing.
// The search text is the calibration file (never the held-out text).
//   node dist/compiler/bench/pho.js [--patterns 2:4,0.5] [--generations 20] [--budget 24] [--out out/pho.json]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../paths.js';
import { readOnnx } from '../onnx/read.js';
import { findLinearLayers } from '../prune/linear.js';
import { calibrate, tokenFeeds } from '../calibrate/calibrate.js';
import { readBytes, sampleWindows } from '../calibrate/data.js';
import { parsePattern, type Pattern } from '../prune/masks.js';
import { type CrepeOptions } from '../prune/scores.js';
import { pruneModel } from '../prune/pipeline.js';
import { evalTextModel, heldOutCheck } from '../eval/textModel.js';
import { applyMasks } from '../prune/apply.js';
import { pruneMasks } from '../prune/prune.js';
import { writeOnnx } from '../onnx/write.js';
import { cacheLayers, decodeTheta, pho, proxy, randomThetas, spearman, THETA_DEFAULT, THETA_LOWER, THETA_UPPER, type ProxyValue } from '../prune/pho.js';
import { hillClimb } from '../prune/hillclimb.js';

const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: fix('gpt.onnx') },
    calib: { type: 'string', default: fix('data/sotu-calib-32k.txt') },
    text: { type: 'string', default: fix('data/sotu-heldout-64k.txt') },
    patterns: { type: 'string', default: '2:4,0.5' },
    'calib-windows': { type: 'string', default: '128' },
    'search-bytes': { type: 'string', default: '16384' },
    generations: { type: 'string', default: '20' },
    budget: { type: 'string', default: '24' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out/pho.json' },
  },
});
const T = 128, seed = Number(args.seed);
const log = (s: string) => process.stderr.write(s + '\n');
const bytes = new Uint8Array(readFileSync(args.model!));
const g = readOnnx(bytes, args.model);
const layers = findLinearLayers(g);
const active = layers.filter((l) => !l.skip);
const calibText = readBytes(args.calib!);
const searchText = calibText.subarray(0, Number(args['search-bytes']));
const heldout = readBytes(args.text!);
const stats = await calibrate(bytes, active, tokenFeeds(sampleWindows(calibText, T, Number(args['calib-windows']), seed), g.inputs[0], 'int64'));
const cached = cacheLayers(g, layers, stats);

const prunedOnnx = async (pattern: Pattern, method: 'ria' | 'crepe', crepe?: CrepeOptions) => (await pruneModel(bytes, args.model!, { method, pattern, crepe, stats })).onnx;
const real = async (pattern: Pattern, crepe: CrepeOptions, text = searchText) => (await evalTextModel(await prunedOnnx(pattern, 'crepe', crepe), text, T)).bitsPerByte;
const fmtTheta = (c: CrepeOptions) => `α ${c.alpha.toFixed(3)} β ${c.beta.toFixed(3)} γ ${c.gamma.toFixed(3)} k ${c.k}`;

const report: Record<string, unknown>[] = [];
for (const p of args.patterns!.split(',')) {
  const pattern = parsePattern(p) as Pattern;
  log(`== ${p}`);
  // 1. proxy check
  const thetas = randomThetas(10, seed + 1);
  const proxies: ProxyValue[] = [], reals: number[] = [];
  for (const t of thetas) {
    proxies.push(proxy(cached, decodeTheta(t), pattern));
    reals.push(await real(pattern, decodeTheta(t)));
  }
  const rho = { gini: spearman(proxies.map((x) => x.gini), reals), keptEnergy: spearman(proxies.map((x) => x.keptEnergy), reals) };
  const which: keyof ProxyValue = Math.abs(rho.gini) >= Math.abs(rho.keptEnergy) ? 'gini' : 'keptEnergy';
  const sign: 1 | -1 = rho[which] >= 0 ? 1 : -1;
  log(`proxy check: Spearman(gini, bpb) ${rho.gini.toFixed(3)}, Spearman(kept mass, bpb) ${rho.keptEnergy.toFixed(3)} -> ${sign > 0 ? 'minimise' : 'maximise'} ${which}`);
  // 2. PHO
  const check = heldOutCheck(calibText, T, Number(args['calib-windows']), seed, 64);
  const validate = async (crepe: CrepeOptions) => check(writeOnnx(applyMasks(g, layers, pruneMasks(g, layers, stats, { method: 'crepe', pattern, crepe }).masks)));
  const ph = await pho(cached, { pattern, objective: { proxy: which, sign }, generations: Number(args.generations), seed, validate });
  const proxyBest = decodeTheta(ph.theta);
  const phoSearchBpb = await real(pattern, proxyBest);
  log(`PHO: ${ph.search.evaluations} proxy + ${ph.candidates.length} real evaluations in ${ph.seconds.toFixed(1)} s; proxy best ${fmtTheta(proxyBest)} (search-text bpb ${phoSearchBpb.toFixed(4)}); checked: ${ph.candidates.map((c) => `${c.source} ${c.real!.toFixed(4)}`).join(', ')} -> ${ph.chosen.source} ${fmtTheta(ph.crepe)}`);
  // 3. hill climbing on real bits per byte
  const t0 = performance.now();
  const hc = await hillClimb((t) => real(pattern, decodeTheta(t)), THETA_DEFAULT, [1, 1, 1, 1], THETA_LOWER, THETA_UPPER, Number(args.budget));
  const hcSeconds = (performance.now() - t0) / 1000;
  const hcCrepe = decodeTheta(hc.best);
  log(`hill climbing: ${hc.evaluations} real evaluations in ${hcSeconds.toFixed(1)} s -> ${fmtTheta(hcCrepe)}, search-text bpb ${hc.bestValue.toFixed(4)}`);
  // 4. held-out
  const held = {
    ria: (await evalTextModel(await prunedOnnx(pattern, 'ria'), heldout, T)).bitsPerByte,
    crepeDefaults: await real(pattern, decodeTheta(THETA_DEFAULT), heldout),
    crepePhoProxyOnly: await real(pattern, proxyBest, heldout),
    crepePho: await real(pattern, ph.crepe, heldout),
    crepeHillClimb: await real(pattern, hcCrepe, heldout),
  };
  log(`held-out bpb: RIA ${held.ria.toFixed(4)}, CRePE defaults ${held.crepeDefaults.toFixed(4)}, CRePE+PHO proxy only ${held.crepePhoProxyOnly.toFixed(4)}, CRePE+PHO ${held.crepePho.toFixed(4)}, CRePE+hill climbing ${held.crepeHillClimb.toFixed(4)}`);
  report.push({
    pattern: p, proxyCheck: { thetas, proxies, searchBpb: reals, spearman: rho, chosen: which, sign },
    pho: { theta: ph.theta, proxyBest, crepe: ph.crepe, chosen: ph.chosen.source, candidates: ph.candidates, evaluations: ph.search.evaluations, seconds: ph.seconds, searchBpb: phoSearchBpb, history: ph.search.history },
    hillClimb: { theta: hc.best, crepe: hcCrepe, evaluations: hc.evaluations, seconds: hcSeconds, searchBpb: hc.bestValue, history: hc.history },
    heldout: held,
  });
}
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify({ model: args.model, calib: args.calib, searchBytes: searchText.length, text: args.text, seed, results: report }, null, 2) + '\n');
const md = ['| pattern | RIA | CRePE defaults | CRePE + PHO, proxy only | CRePE + PHO (checked) | CRePE + hill climbing | PHO time | hill-climbing time |', '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...report.map((r) => {
    const h = r.heldout as Record<string, number>, ph = r.pho as { seconds: number; evaluations: number; candidates: unknown[]; chosen: string }, hc = r.hillClimb as { seconds: number; evaluations: number };
    return `| ${r.pattern} | ${h.ria.toFixed(4)} | ${h.crepeDefaults.toFixed(4)} | ${h.crepePhoProxyOnly.toFixed(4)} | ${h.crepePho.toFixed(4)} (${ph.chosen}) | ${h.crepeHillClimb.toFixed(4)} | ${ph.seconds.toFixed(0)} s (${ph.evaluations} proxy + ${ph.candidates.length} real) | ${hc.seconds.toFixed(0)} s (${hc.evaluations} real) |`;
  })].join('\n');
writeFileSync(args.out!.replace(/\.json$/, '') + '.md', md + '\n');
process.stdout.write(md + '\n');

// OWL allocation on hand-computed numbers: outlier ratios, block sparsities that average the
// target and span 2λ, and the block pattern on transformer-style node names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OWL_DEFAULTS, outlierRatio, owlSparsities } from '../../compiler/prune/owl.js';
import { nmForSparsity } from '../../compiler/prune/prune.js';

test('outlier ratio: % of values above m × mean over all of a block\'s layers', () => {
  // mean 10.9, 5 × mean = 54.5: only the 100 is above
  assert.is(outlierRatio([[1, 1, 1, 1, 1], [1, 1, 1, 1, 100]], 5), 10);
  assert.is(outlierRatio([[1, 1, 1, 1]], 5), 0);
  // mean 2.5, 1 × mean: 3 and 4
  assert.is(outlierRatio([[1, 2, 3, 4]], 1), 50);
});

test('block sparsities: min-max scaled to [0, 2λ], centred on the target density', () => {
  const s = owlSparsities([1, 2, 3], 0.5, 0.08);
  [0.58, 0.5, 0.42].forEach((v, i) => assert.ok(Math.abs(s[i] - v) < 1e-12, `${s}`));
  const t = owlSparsities([5, 0, 10, 5], 0.7, 0.1); // scaled 0.1, 0, 0.2, 0.1 (mean 0.1)
  [0.7, 0.8, 0.6, 0.7].forEach((v, i) => assert.ok(Math.abs(t[i] - v) < 1e-12, `${t}`));
  assert.equal(owlSparsities([4, 4], 0.6, 0.08).map((v) => Math.round(v * 1e12) / 1e12), [0.6, 0.6]);
});

test('default block pattern: transformer node names', () => {
  const key = (n: string) => OWL_DEFAULTS.block.exec(n)?.[1];
  assert.is(key('/blocks.3/attn/qkv/MatMul'), '3');
  assert.is(key('/blocks.12/fc2/MatMul'), '12');
  assert.is(key('model.layers.7.mlp.down_proj'), '7');
  assert.is(key('/transformer/h.0/mlp/c_fc/MatMul'), '0');
  assert.is(key('/head/MatMul'), undefined);
});

test('OWL with N:M: a layer keeps N = round((1 - s)·M) of M, at least 1', () => {
  assert.equal(nmForSparsity(4, 0.42), { kind: 'nm', n: 2, m: 4 }); // 2.32 -> 2: OWL's default ±0.08 leaves 2:4 alone
  assert.equal(nmForSparsity(8, 0.375), { kind: 'nm', n: 5, m: 8 });
  assert.equal(nmForSparsity(8, 0.625), { kind: 'nm', n: 3, m: 8 });
  assert.equal(nmForSparsity(8, 0.99), { kind: 'nm', n: 1, m: 8 });
  assert.equal(nmForSparsity(4, 0), { kind: 'nm', n: 4, m: 4 });
});

test.run();

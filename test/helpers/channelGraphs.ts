// Hand-built graphs with every channel-coupling pattern of compiler/prune/groups.ts, for the
// group and surgery tests. Node names are fixed so the tests can name groups.
import type { Graph } from '../../compiler/ir/graph.js';
import type { ChannelGroup } from '../../compiler/prune/groups.js';
import { rng } from '../../compiler/util/random.js';
import { GraphBuilder } from './graphs.js';

/** Conv→BN→Relu→Conv→BN→Relu, then a residual pair of blocks on one stream, GAP→Flatten→Gemm */
export function residualNet(): Graph {
  const b = new GraphBuilder('residual');
  const x = b.input('x', [1, 3, 8, 8]);
  const stem = b.convBnRelu(x, 3, 8, 3, { name: 'stem' });
  const h = b.convBnRelu(stem, 8, 6, 3, { name: 'mid' });
  const r1 = b.op('Add', [stem, b.bn(b.conv(h, 6, 8, 3, { name: 'up1', bias: false }), 8)]);
  const h2 = b.convBnRelu(r1, 8, 5, 1, { name: 'mid2' });
  const r2 = b.op('Relu', [b.op('Add', [b.conv(h2, 5, 8, 3, { name: 'up2' }), r1])]);
  const f = b.op('Flatten', [b.op('GlobalAveragePool', [r2])], { axis: 1 });
  b.output(b.gemm(f, 8, 4, true, 'fc'));
  return b.build();
}

/** two convs concatenated on channels (with a constant block of zeros, as BlazeFace pads
 *  channels) added to a third, then depthwise, then pointwise */
export function concatNet(): Graph {
  const b = new GraphBuilder('concat');
  const x = b.input('x', [1, 4, 6, 6]);
  const a = b.convBnRelu(x, 4, 3, 3, { name: 'a' });
  const c = b.convBnRelu(x, 4, 5, 1, { name: 'c' });
  const zeros = b.constant([1, 2, 6, 6], 0, 0, 'pad');
  const cat = b.op('Concat', [a, c, zeros], { axis: 1 }, 'cat');
  const s = b.op('Add', [cat, b.conv(x, 4, 10, 3, { name: 'side' })]);
  const dw = b.op('Relu', [b.bn(b.conv(s, 10, 10, 3, { group: 10, name: 'dw' }), 10)]);
  const pw = b.conv(dw, 10, 7, 1, { name: 'pw' });
  b.output(b.op('Relu', [b.conv(pw, 7, 3, 1, { name: 'head' })]));
  return b.build();
}

/** grouped convs (2 groups) and a depthwise conv with multiplier 2 (one channel per group in) */
export function groupedNet(): Graph {
  const b = new GraphBuilder('grouped');
  const x = b.input('x', [1, 4, 6, 6]);
  const a = b.convBnRelu(x, 4, 8, 3, { name: 'a' });
  const g1 = b.op('Relu', [b.conv(a, 8, 12, 3, { group: 2, name: 'g1' })]);
  const g2 = b.op('Relu', [b.conv(g1, 12, 6, 1, { group: 2, name: 'g2' })]);
  const m = b.conv(g2, 6, 12, 3, { group: 6, name: 'dwm' });
  b.output(b.conv(m, 12, 2, 1, { name: 'out' }));
  return b.build();
}

/** an SE block: x → GAP → squeeze conv → Relu → excite conv → HardSigmoid → Mul(x, ·) → conv */
export function seNet(): Graph {
  const b = new GraphBuilder('se');
  const x = b.input('x', [1, 3, 6, 6]);
  const e = b.convBnRelu(x, 3, 8, 1, { name: 'expand' });
  const d = b.op('Relu', [b.bn(b.conv(e, 8, 8, 3, { group: 8, name: 'dw', bias: false }), 8)]);
  const sq = b.op('Relu', [b.conv(b.op('GlobalAveragePool', [d]), 8, 4, 1, { name: 'squeeze' })]);
  const gate = b.op('HardSigmoid', [b.conv(sq, 4, 8, 1, { name: 'excite' })], { alpha: 0.2, beta: 0.5 });
  const y = b.op('Mul', [d, gate]);
  const p = b.bn(b.conv(y, 8, 3, 1, { name: 'project', bias: false }), 3);
  b.output(b.op('Add', [p, x]));
  return b.build();
}

/** NCHW Flatten into Gemm (features c·H·W + p) and a Reshape to [1, C·H·W] into MatMul */
export function flattenNet(): Graph {
  const b = new GraphBuilder('flatten');
  const x = b.input('x', [1, 2, 4, 4]);
  const a = b.convBnRelu(x, 2, 5, 3, { name: 'a' });
  const p = b.op('MaxPool', [a], { kernel_shape: [2, 2], strides: [2, 2] });
  const f = b.op('Flatten', [p], { axis: 1 });
  const y1 = b.gemm(f, 20, 3, false, 'fc1');
  const c = b.convBnRelu(x, 2, 3, 1, { name: 'c' });
  const r = b.op('Reshape', [c, b.ints([1, 48])], {}, 'reshape');
  const y2 = b.matmul(r, 48, 3, 'fc2');
  b.output(b.op('Add', [y1, y2]));
  return b.build();
}

/** a transformer FFN on [1, T, D]: LayerNorm → fc1 (MatMul + bias Add) → GELU (erf form) → fc2
 *  → residual Add; the hidden channels are prunable, the residual stream is not (LayerNorm) */
export function ffnNet(): Graph {
  const b = new GraphBuilder('ffn');
  const x = b.input('x', [1, 5, 8]);
  const ln = b.op('LayerNormalization', [x, b.constant([8], 0.5, 1.5), b.constant([8])], { axis: -1, epsilon: 1e-5 });
  const h = b.op('Add', [b.matmul(ln, 8, 16, 'fc1'), b.constant([16])]);
  const erf = b.op('Erf', [b.op('Div', [h, b.constant([], 1.4142135, 1.4142135)])]);
  const gelu = b.op('Mul', [b.op('Mul', [h, b.op('Add', [erf, b.constant([], 1, 1)])]), b.constant([], 0.5, 0.5)]);
  const y = b.op('Add', [b.matmul(gelu, 16, 8, 'fc2'), b.constant([8])]);
  const r = b.op('Add', [x, y]);
  const q = b.op('Add', [b.matmul(r, 8, 6, 'fc3'), b.constant([6])]);
  b.output(b.matmul(b.op('Relu', [q]), 6, 2, 'head'));
  return b.build();
}

/** channels that must stay: a Reshape splitting them, a softmax over them, an op groups.ts does not analyse */
export function pinnedNet(): Graph {
  const b = new GraphBuilder('pinned');
  const x = b.input('x', [1, 2, 4, 4]);
  const a = b.conv(x, 2, 6, 1, { name: 'split_heads' });
  const r = b.op('Reshape', [a, b.ints([1, 2, 3, 16])]);
  const s = b.op('Softmax', [b.conv(x, 2, 4, 1, { name: 'soft' })], { axis: 1 });
  const u = b.op('LpNormalization', [b.conv(x, 2, 4, 1, { name: 'lpnorm' })], { axis: 1 });
  const ok = b.op('Relu', [b.conv(x, 2, 4, 1, { name: 'free' })]);
  b.output(r);
  b.output(b.op('Add', [b.op('Add', [s, u]), b.conv(ok, 4, 4, 1, { name: 'last' })]));
  return b.build();
}

/** shape ops on channels: Pad adding channels (value 0.5), an Add, an Expand with an explicit
 *  shape, Split and Slice on channels, Resize by scales and by sizes, Transpose to NHWC into a
 *  MatMul over the last axis */
export function shapeOpsNet(): Graph {
  const b = new GraphBuilder('shapeops');
  const x = b.input('x', [1, 3, 6, 6]);
  const a = b.convBnRelu(x, 3, 5, 3, { name: 'a' });
  const p = b.op('Pad', [a, b.ints([0, 1, 0, 0, 0, 2, 0, 0]), b.constant([], 0.5, 0.5)], { mode: 'constant' }, 'pad');
  const s0 = b.op('Add', [p, b.conv(x, 3, 8, 3, { name: 'side' })]);
  // plus its channel means broadcast back with an explicit Expand shape
  const s = b.op('Add', [s0, b.op('Expand', [b.op('GlobalAveragePool', [s0]), b.ints([1, 8, 6, 6])], {}, 'expand')]);
  const [s1, s2] = b.node('Split', [s, b.ints([3, 5])], { axis: 1 }, 2, 'split');
  const u = b.conv(s1, 3, 4, 1, { name: 'u' });
  const sl = b.op('Slice', [s2, b.ints([1]), b.ints([4]), b.ints([1])], {}, 'slice');
  const v = b.conv(sl, 3, 4, 1, { name: 'v' });
  b.output(b.conv(b.op('Add', [u, v]), 4, 2, 1, { name: 'out' }));
  const up = b.op('Resize', [b.op('Relu', [s]), '', b.floats([1, 1, 2, 2])], { mode: 'nearest' }, 'resize');
  const r = b.op('Resize', [up, '', '', b.ints([1, 8, 9, 9])], { mode: 'linear' }, 'resize_sizes');
  const t = b.op('Transpose', [r], { perm: [0, 2, 3, 1] });
  const m = b.matmul(t, 8, 4, 'nhwc');
  b.output(b.op('ReduceMean', [m], { axes: [1, 2], keepdims: 0 }));
  return b.build();
}

export const CHANNEL_GRAPHS: Record<string, () => Graph> = { residualNet, concatNet, groupedNet, seNet, flattenNet, ffnNet, shapeOpsNet, pinnedNet };

/** A random kept set per prunable group: 30–80% of each block, at least one channel. */
export function randomKeep(groups: readonly ChannelGroup[], seed: number): Map<string, number[]> {
  const r = rng(seed);
  const keep = new Map<string, number[]>();
  for (const gr of groups) {
    if (!gr.prunable || gr.size < 2) continue;
    const per = gr.size / gr.blocks, k = Math.max(1, Math.floor(per * (0.3 + 0.5 * r())));
    const kept: number[] = [];
    for (let b = 0; b < gr.blocks; b++) {
      const order = [...Array(per).keys()].map((i) => [r(), i]).sort((p, q) => p[0] - q[0]).map((p) => p[1]);
      kept.push(...order.slice(0, k).sort((p, q) => p - q).map((i) => b * per + i));
    }
    keep.set(gr.id, kept);
  }
  return keep;
}


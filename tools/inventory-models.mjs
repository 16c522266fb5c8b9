#!/usr/bin/env node
// Inventory of the real pretrained models fetched by tools/fetch-models.mjs:
// opsets, graph inputs/outputs, op counts, where the weights live (Constant
// nodes vs initializers), every attribute value per op type, the
// attribute-vs-input form of ops such as Split/Slice/Pad/Clip/Resize, and which
// ops only occur in shape-computing subgraphs (Shape -> Gather -> Concat -> Reshape).
// Then it runs each model once in onnxruntime-node (1 intra-op thread) at the
// fixed build shape and records the output shapes.
//
// usage:
//   node tools/inventory-models.mjs                   human-readable report on stdout
//   node tools/inventory-models.mjs --json            the full inventory as JSON on stdout
//   node tools/inventory-models.mjs --write-fixture   regenerate test/fixtures/real-models.json
//   node tools/inventory-models.mjs --no-ort          skip the onnxruntime-node run
//   node tools/inventory-models.mjs --only id,id      restrict to some models
//
// The hand-checked facts (layout, build shape, input value range, notes) live in
// SPEC below; everything else is measured from the model files.

import { writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnx from 'onnx-proto';
import { ensureModels, MODELS, PACKAGES } from './fetch-models.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(ROOT, 'test/fixtures/real-models.json');
const P = onnx.onnx;

/** Hand-checked facts per model (sources are named in each note). */
export const SPEC = {
  'ppocr-rec': {
    layout: 'NCHW',
    buildShape: [1, 3, 48, 320],
    inputRange: {
      range: [-1, 1],
      preprocess: '(x/255 - 0.5) / 0.5 per channel, BGR channel order as read by cv2 (PaddleOCR rec: resize to height 48 keeping aspect, right-pad with 0 to the width)',
      source: 'PaddleOCR tools/infer RecResizeImg/NormalizeImage (scale 1/255, mean 0.5, std 0.5); the graph has no normalisation of its own',
    },
    notes: [
      "Paddle2ONNX export (producer field empty), opset 9, IR 8: all 2.69M weights live in 325 Constant nodes; there are no initializers. Dynamic dims are named p2o.DynamicDimension.N.",
      "Input height must be 48: the neck AveragePool (kernel [3,2], strides [3,2], count_include_pad=0) brings H 3->1 and a later Squeeze(axes=[2]) needs H=1. Sequence length T = W/8 (40 at W=320).",
      "Output softmax_11.tmp_0 [1,T,6625] holds CTC probabilities (Softmax axis=2 over the classes). Blank is class 0, then the 6623 chars of ppocr_keys_v1.txt, then space.",
      "Opset-9 forms: Clip min/max are attributes (min 0, max 6); Slice starts/ends/axes are attributes; Squeeze axes attribute; ReduceMean axes=[-1] (negative axis); Softmax opset<13 semantics (2-D coercion at axis; axis is the last dim here, so it equals a plain last-axis softmax).",
      "HardSwish decomposed as Div(Mul(x, Clip(Add(x,3),0,6)), 6) with rank-0 Constant scalars. Swish is Mul(x, Sigmoid(Mul(x, beta))). PPLCNetV3 LearnableAffineBlock is Mul(scale[1] as input 0, x) + Add(bias[1]): the constant is on the LEFT operand of Mul.",
      "5 LayerNorms decomposed: ReduceMean(-1), Sub, Pow(2), ReduceMean(-1), Add(eps), Sqrt, Div, Mul(gamma), Add(beta).",
      "2 SVTR blocks: MatMul qkv [120,360] + Add, Reshape [0,T,3,8,15] (0 = copy dim; opset 9 has no allowzero), Transpose [2,0,3,1,4], Slice(axes 0)+Squeeze to split q/k/v, Mul(q, scale), Transpose [0,1,3,2], MatMul, Softmax(axis 3), MatMul, Transpose [0,2,1,3], Reshape [0,T,120], proj MatMul [120,120]; MLP 120->240 (Swish) ->120. 4 MatMuls have two activation operands (attention).",
      "Every Reshape target is computed from a shape subgraph: Shape -> Cast(int32) -> Slice -> Cast(int64) -> Concat with Cast(int32 Constant) -> Reshape. At the build shape they resolve to [1,120,-1], [0,40,3,8,15] x2, [0,40,120] x2, [0,1,40,120]. Shape and Cast occur only there; Slice and Concat occur on both the shape path and the data path.",
      "6 BatchNormalization nodes (stem conv and the SVTR neck convs) are not folded into the preceding bias-less Convs; momentum attribute present (ignored at inference); the other 32 Convs already carry folded biases. Conv strides include [2,1] and [1,2]; Conv 1x3 with pads [0,1,0,1]. Data-path Concat on axis 1 joins the pooled CNN features with the SVTR branch."
    ],
  },
  'ppocr-det': {
    layout: 'NCHW',
    buildShape: [1, 3, 320, 320],
    inputRange: {
      range: [-2.12, 2.64],
      preprocess: '(x/255 - mean)/std with ImageNet mean [0.485,0.456,0.406] std [0.229,0.224,0.225] (PaddleOCR DB det NormalizeImage); H and W multiples of 32',
      source: 'PaddleOCR det config (NormalizeImage ImageNet mean/std, DetResizeForTest to multiples of 32); the graph has no normalisation of its own',
    },
    notes: [
      "Paddle2ONNX export, opset 11: all 1.17M weights in 342 Constant nodes, no initializers; fully dynamic N,H,W (p2o.DynamicDimension.N); H and W must be multiples of 32.",
      "Opset-11 forms: Clip min/max are Constant INPUTS (0 and 6), unlike rec/cls. Resize mode=nearest, coordinate_transformation_mode=asymmetric, nearest_mode=floor, with roi = empty Constant and scales = Constant [1,1,2,2] x4, [1,1,4,4], [1,1,8,8] (no sizes input).",
      "No shape subgraph at all (no Shape/Reshape). FPN: Concat(axis 1) of 3 Resize outputs and one Add.",
      "DB head: 2 ConvTranspose kernel 2x2 stride 2, group 1, pads 0, no bias; 3 BatchNormalization left unfolded; final Sigmoid gives [1,1,H,W] probability map.",
      "HardSigmoid with alpha 0.2 (Paddle hardsigmoid, SE blocks) x8 and alpha 1/6 x2, beta 0.5: honour the attribute, do not assume 1/6. SE = GlobalAveragePool -> Conv 1x1 -> Relu -> Conv 1x1 -> HardSigmoid -> Mul.",
      "Backbone is PPLCNetV3 like rec: LearnableAffineBlock scalars as Mul input 0 / Add input 1 with shape [1]; HardSwish decomposed with Clip."
    ],
  },
  'ppocr-cls': {
    layout: 'NCHW',
    buildShape: [1, 3, 48, 192],
    inputRange: {
      range: [-1, 1],
      preprocess: '(x/255 - 0.5) / 0.5 (PaddleOCR ClsResizeImg to 3x48x192, right-pad with 0)',
      source: 'PaddleOCR cls config (image_shape 3,48,192; NormalizeImage mean 0.5 std 0.5)',
    },
    notes: [
      "Paddle2ONNX export, opset 9: all 134k weights in 250 Constant nodes, no initializers; dynamic N,H,W.",
      "MobileNetV3-small (scale 0.35): 35 BatchNormalization left unfolded after the 35 bias-less Convs; the 18 Convs with a bias are the 1x1 reduce/expand convs of the 9 SE blocks (Conv->Relu->Conv->HardSigmoid->Mul).",
      "Clip min/max attributes (opset 9); HardSwish decomposed; SE uses HardSigmoid alpha 0.2 beta 0.5; Conv strides [2,1] x4 (height-only downsampling) and [2,2]; MaxPool 2x2 s2.",
      "Flatten is Reshape with a computed target: Shape -> Cast(int32) -> Slice(0:1) -> Cast(int64) -> Concat with Cast(Constant) -> Reshape, resolving to [1,200] at 48x192. The shape path ops (Shape, Cast, Slice, Concat) occur only there. Then MatMul [200,2] + Add, Softmax(axis=1).",
      "Output softmax_0.tmp_0 [1,2]: class 0 = upright (0 deg), class 1 = rotated 180 deg."
    ],
  },
  'blazeface-front': {
    layout: 'NHWC',
    buildShape: [1, 128, 128, 3],
    inputRange: {
      range: [-1, 1],
      preprocess: 'RGB in [0,1] mapped to rgb*2 - 1, rows top to bottom',
      source: 'package Runtime/FaceDetector.cs uses Klak.NNUtils ImagePreprocess, whose default ColorCoeffs (-1,-1,-1,2) give rgb*2-1; MediaPipe BlazeFace is trained on [-1,1]; the graph starts with Transpose, no normalisation',
    },
    notes: [
      "tf2onnx 1.7.2, opset 12, IR 7: weights are 71 initializers (100k params) including int64 shape tensors; 3 initializers are unused (const_fold_opt__*), ORT warns about them. value_info present for 89 values; all shapes static.",
      "NHWC input input:0 [1,128,128,3] goes straight into Transpose perm [0,3,1,2]; the four outputs go through Transpose [0,2,3,1] and Reshape with constant shapes [1,512,1], [1,384,1], [1,512,16], [1,384,16]. Note the input name contains ':' (input:0), so a --input-shape parser must split on the last '='.",
      "TF SAME padding appears as explicit asymmetric Conv pads: 5x5 stride-2 stem pads [1,1,2,2], depthwise 3x3 stride-2 pads [0,0,1,1] x3 (begin 0, end 1). auto_pad is never used.",
      "Residual channel growth: Concat(axis 1) of the activation (or of MaxPool 2x2 s2 of it on stride-2 blocks) with ConstantOfShape zeros (value attribute absent = float 0; constant shape inputs such as [1,4,64,64]). 11 such ConstantOfShape are constant-foldable and batch-1 specific; a pruning pass must keep the zero channels aligned with the residual Add.",
      "The 16 depthwise 3x3 Convs have no bias input (Conv with 2 inputs) and feed the 1x1 Conv directly with no activation in between (fusable); the 1x1 convs carry the bias, followed by the residual Add and Relu. Only ops: Conv, Relu, Add, Concat, ConstantOfShape, Transpose, Reshape, MaxPool.",
      "Outputs are raw logits and anchor-relative boxes: Identity:0/Identity_2:0 = 16x16 grid x 2 anchors (512), Identity_1:0/Identity_3:0 = 8x8 grid x 6 anchors (384); 16 values = box x,y,w,h + 6 keypoints, in 128-pixel units; score needs Sigmoid (package Shaders/Postprocess1*)."
    ],
  },
  'mlsd-tiny': {
    layout: 'NHWC',
    buildShape: [1, 320, 320, 4],
    inputRange: {
      range: [0, 255],
      preprocess: 'channels 0..2 = RGB*255 in [0,255], channel 3 = 1.0 constant, rows top to bottom; the graph normalises internally',
      source: 'package Shader/Preprocess.compute (rgb*255, Tensor[offs+3] = 1)',
    },
    notes: [
      "tf2onnx 1.8.5, opset 11, IR 6: weights are 103 initializers (614k params); 4 unused initializers (ORT warns). All shapes static [1,320,320,4] NHWC; file name in the tarball is mlsd_320x320_tiny.onnx.",
      "In-graph normalisation: Mul(x, 1/127.5) then Sub(1), applied to all 4 channels (the constant-1 alpha channel becomes -0.992), then Transpose [0,3,1,2].",
      "Clip (ReLU6) min/max are initializer INPUTS (0, 6). The stem Conv (3x3 stride 2 on all 4 input channels, weight [32,4,3,3]) has pads [0,0,1,1] and an explicit auto_pad=NOTSET attribute; one dilated Conv 3x3 (dilations [5,5], pads [5,5,5,5]) in the decoder.",
      "Stride-2 depthwise blocks are preceded by an explicit Pad (mode attribute absent = constant, no constant_value input = 0) whose pads input comes from a constant-foldable Split(8 x [1]) -> Concat permutation of an initializer; resolved pads = [0,0,0,0,0,0,1,1] (end of H and W).",
      "Resize (opset 11) mode=linear, coordinate_transformation_mode=half_pixel, nearest_mode=floor, exclude_outside=0, roi and scales are EMPTY initializers and the sizes input is computed Shape -> Slice(0:2) -> Concat(const [H,W]) -> Resize; resolved sizes [1,64,40,40], [1,64,80,80], [1,16,160,160] (x2 bilinear upsampling).",
      "Output heads use Slice with axes input [0,2,3,1] (unordered) and ends 2147483647 (INT32_MAX as 'to the end') to take channels 7:8 (scores) and 8:12 (offsets) of the 16-channel map.",
      "Peak NMS inside the graph: scores = Sigmoid(s) * Cast(Equal(Sigmoid(s), MaxPool3x3 s1 p1(Sigmoid(s)))). Equal on floats means the MaxPool must return bit-identical values; the Reshape [1,160,160,1] stands in for a Transpose of a 1-channel map.",
      "offsets output is Transpose [0,2,3,1] back to NHWC [1,160,160,4]; Concat axis 0 occurs only in the shape/pad constant paths, axis 1 on data (FPN upblocks)."
    ],
  },
};

// ---------------------------------------------------------------- helpers

const num = (v) => (v && typeof v === 'object' && 'low' in v ? Number(v.toString()) : Number(v));
const DTYPE = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };
const AT = P.AttributeProto.AttributeType;

function dimsOf(vi) {
  const t = vi.type && vi.type.tensorType;
  if (!t) return null;
  if (!t.shape) return null;
  return t.shape.dim.map((d) => (d.dimParam ? d.dimParam : d.dimValue != null && num(d.dimValue) !== 0 ? num(d.dimValue) : d.dimValue != null ? num(d.dimValue) : '?'));
}

function tensorDims(t) {
  return t.dims.map(num);
}
function numel(dims) {
  return dims.reduce((a, b) => a * b, 1);
}

/** Values of a (small) TensorProto as plain numbers. */
function tensorValues(t, limit = 64) {
  const dims = tensorDims(t);
  const n = numel(dims);
  if (n > limit) return null;
  const dt = t.dataType;
  const raw = t.rawData && t.rawData.length ? Buffer.from(t.rawData) : null;
  const out = [];
  if (raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      if (dt === 1) out.push(dv.getFloat32(i * 4, true));
      else if (dt === 7) out.push(Number(dv.getBigInt64(i * 8, true)));
      else if (dt === 6) out.push(dv.getInt32(i * 4, true));
      else if (dt === 11) out.push(dv.getFloat64(i * 8, true));
      else if (dt === 9 || dt === 2) out.push(dv.getUint8(i));
      else if (dt === 3) out.push(dv.getInt8(i));
      else return null;
    }
    return out;
  }
  const src = dt === 1 ? t.floatData : dt === 7 ? t.int64Data : dt === 11 ? t.doubleData : t.int32Data;
  return Array.from(src || []).map(num);
}

function tensorBytes(t) {
  const sz = { 1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 }[t.dataType] || 4;
  return numel(tensorDims(t)) * sz;
}

function attrValue(a) {
  let type = a.type;
  if (!type) {
    // Old exporters omit the type: infer it from the populated field.
    if (a.ints && a.ints.length) type = AT.INTS;
    else if (a.floats && a.floats.length) type = AT.FLOATS;
    else if (a.strings && a.strings.length) type = AT.STRINGS;
    else if (a.t) type = AT.TENSOR;
    else if (a.s && a.s.length) type = AT.STRING;
    else if (a.f) type = AT.FLOAT;
    else type = AT.INT;
  }
  switch (type) {
    case AT.FLOAT:
      return Math.fround(a.f);
    case AT.INT:
      return num(a.i);
    case AT.STRING:
      return Buffer.from(a.s).toString('utf8');
    case AT.FLOATS:
      return a.floats.map((f) => Math.fround(f));
    case AT.INTS:
      return a.ints.map(num);
    case AT.STRINGS:
      return a.strings.map((s) => Buffer.from(s).toString('utf8'));
    case AT.TENSOR: {
      const d = tensorDims(a.t);
      const v = tensorValues(a.t, 16);
      return { tensor: DTYPE[a.t.dataType] || a.t.dataType, dims: d, ...(v ? { values: v.map(round) } : {}) };
    }
    case AT.GRAPH:
      return { graph: a.g ? a.g.name : '?', nodes: a.g ? a.g.node.length : 0 };
    default:
      return `<type ${type}>`;
  }
}

function round(x) {
  if (typeof x !== 'number' || Number.isInteger(x)) return x;
  return Number(x.toPrecision(6));
}

function fmt(v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Ops whose optional operands can be attributes or inputs, by opset. Index -> role. */
const OPERAND_ROLES = {
  Clip: { 1: 'min', 2: 'max' },
  Pad: { 1: 'pads', 2: 'constant_value', 3: 'axes' },
  Slice: { 1: 'starts', 2: 'ends', 3: 'axes', 4: 'steps' },
  Split: { 1: 'split' },
  Resize: { 1: 'roi', 2: 'scales', 3: 'sizes' },
  Upsample: { 1: 'scales' },
  Reshape: { 1: 'shape' },
  Squeeze: { 1: 'axes' },
  Unsqueeze: { 1: 'axes' },
  ReduceMean: { 1: 'axes' },
  ReduceSum: { 1: 'axes' },
  ReduceMax: { 1: 'axes' },
  Expand: { 1: 'shape' },
  Tile: { 1: 'repeats' },
  ConstantOfShape: { 0: 'shape' },
  Gather: { 1: 'indices' },
  TopK: { 1: 'k' },
};
const ATTR_FORM = {
  Clip: ['min', 'max'],
  Pad: ['pads', 'value'],
  Slice: ['starts', 'ends', 'axes'],
  Split: ['split'],
  Resize: ['scales'],
  Upsample: ['scales'],
  Squeeze: ['axes'],
  Unsqueeze: ['axes'],
  ReduceMean: ['axes'],
  ReduceSum: ['axes'],
  ReduceMax: ['axes'],
};
const WEIGHT_OPERANDS = { Conv: [1, 2], ConvTranspose: [1, 2], MatMul: [1], Gemm: [1, 2], BatchNormalization: [1, 2, 3, 4], PRelu: [1], Add: [0, 1], Mul: [0, 1], Sub: [0, 1], Div: [0, 1] };

// ---------------------------------------------------------------- analysis

export function inventory(buf) {
  const model = P.ModelProto.decode(buf);
  const g = model.graph;
  const opsets = Object.fromEntries(model.opsetImport.map((o) => [o.domain || 'ai.onnx', num(o.version)]));

  // Where every value comes from.
  const init = new Map(g.initializer.map((t) => [t.name, t]));
  const constOut = new Map(); // value name -> TensorProto of a Constant node
  const producer = new Map(); // value name -> node
  for (const n of g.node) {
    for (const o of n.output) producer.set(o, n);
    if (n.opType === 'Constant') {
      const a = n.attribute.find((x) => x.name === 'value');
      if (a && a.t) constOut.set(n.output[0], a.t);
    }
  }
  const graphInputs = g.input.filter((i) => !init.has(i.name));
  const constTensor = (name) => init.get(name) || constOut.get(name);

  // Per-value info known statically: shapes of graph inputs and values (value_info).
  const shapeOf = new Map();
  for (const vi of [...g.input, ...g.output, ...(g.valueInfo || [])]) shapeOf.set(vi.name, dimsOf(vi));

  // ---- weights: Constant nodes vs initializers
  const weights = { initializers: { count: 0, elements: 0, bytes: 0, dtypes: {} }, constantNodes: { count: 0, elements: 0, bytes: 0, dtypes: {}, large: 0, largeElements: 0 } };
  for (const t of g.initializer) {
    const w = weights.initializers;
    w.count++;
    w.elements += numel(tensorDims(t));
    w.bytes += tensorBytes(t);
    const dt = DTYPE[t.dataType] || t.dataType;
    w.dtypes[dt] = (w.dtypes[dt] || 0) + 1;
  }
  for (const t of constOut.values()) {
    const w = weights.constantNodes;
    const n = numel(tensorDims(t));
    w.count++;
    w.elements += n;
    w.bytes += tensorBytes(t);
    if (n >= 16) {
      w.large++;
      w.largeElements += n;
    }
    const dt = DTYPE[t.dataType] || t.dataType;
    w.dtypes[dt] = (w.dtypes[dt] || 0) + 1;
  }
  // Which storage feeds the weight operands of compute ops.
  const weightSource = {};
  for (const n of g.node) {
    const idx = WEIGHT_OPERANDS[n.opType];
    if (!idx) continue;
    for (const i of idx) {
      const name = n.input[i];
      if (!name) continue;
      const src = init.has(name) ? 'initializer' : constOut.has(name) ? 'Constant' : null;
      if (!src) continue;
      const key = `${n.opType}[${i}]`;
      weightSource[key] = weightSource[key] || { initializer: 0, Constant: 0 };
      weightSource[key][src]++;
    }
  }

  // ---- shape-computing subgraph: values derived only from Shape outputs and constants.
  const kind = new Map(); // value -> 'const' | 'shape' | 'data'
  for (const name of init.keys()) kind.set(name, 'const');
  for (const i of graphInputs) kind.set(i.name, 'data');
  const nodeKind = new Map();
  for (const n of g.node) {
    let k;
    if (n.opType === 'Constant') k = 'const';
    else if (n.opType === 'Shape' || n.opType === 'Size') k = 'shape';
    else {
      const ins = n.input.filter(Boolean).map((x) => kind.get(x) || 'data');
      if (ins.length === 0) k = 'const';
      else if (ins.includes('data')) k = 'data';
      else if (ins.includes('shape')) k = 'shape';
      else k = 'const';
    }
    nodeKind.set(n, k);
    for (const o of n.output) kind.set(o, k);
  }
  const byKind = { data: {}, shape: {}, const: {} };
  for (const n of g.node) {
    const k = nodeKind.get(n);
    byKind[k][n.opType] = (byKind[k][n.opType] || 0) + 1;
  }
  const shapeOnlyOps = Object.keys(byKind.shape).filter((op) => !byKind.data[op]).sort();
  const shapeAlsoDataOps = Object.keys(byKind.shape).filter((op) => byKind.data[op]).sort();
  // Where shape-derived values re-enter the data path.
  const shapeSinks = {};
  for (const n of g.node) {
    if (nodeKind.get(n) !== 'data') continue;
    n.input.forEach((x, i) => {
      if (x && kind.get(x) === 'shape') {
        const key = `${n.opType}[${i}]`;
        shapeSinks[key] = (shapeSinks[key] || 0) + 1;
      }
    });
  }
  // Example chains: walk back from each sink to the Shape node.
  const chains = new Set();
  const chainOf = (name, depth = 0) => {
    const p = producer.get(name);
    if (!p || depth > 12) return [];
    if (p.opType === 'Shape') return ['Shape'];
    const shapeIn = p.input.find((x) => x && kind.get(x) === 'shape');
    return shapeIn ? [...chainOf(shapeIn, depth + 1), p.opType] : [p.opType];
  };
  for (const n of g.node) {
    if (nodeKind.get(n) !== 'data') continue;
    for (const x of n.input) if (x && kind.get(x) === 'shape') chains.add([...chainOf(x), n.opType].join('->'));
  }
  // Operands that are computed (from Shape or from constants) rather than stored:
  // their values at the build shape are resolved by running ORT with them as extra outputs.
  const probeTargets = [];
  for (const n of g.node) {
    if (nodeKind.get(n) !== 'data') continue;
    n.input.forEach((x, i) => {
      if (!x || init.has(x) || constOut.has(x)) return;
      const k = kind.get(x);
      if ((k === 'shape' || k === 'const') && !probeTargets.some((t) => t.value === x && t.op === n.opType && t.index === i)) {
        probeTargets.push({ op: n.opType, node: n.name, index: i, role: OPERAND_ROLES[n.opType]?.[i] || `input${i}`, value: x, kind: k });
      }
    });
  }
  // Const-only compute nodes (foldable at compile time even without fixed shapes).
  const constFoldable = Object.fromEntries(Object.entries(byKind.const).filter(([op]) => op !== 'Constant'));

  const used = new Set(g.node.flatMap((n) => [...n.input]).concat(g.output.map((o) => o.name)));
  const unusedInitializers = g.initializer.filter((t) => !used.has(t.name)).map((t) => t.name);

  // ---- op counts and attributes
  const opCounts = {};
  const attrs = {}; // op -> attr -> Map(valueString -> count)
  const forms = {}; // op -> form string -> count
  const convKinds = {};
  const extra = {}; // op -> free-form facts
  const note = (op, key, val) => {
    extra[op] = extra[op] || {};
    const m = (extra[op][key] = extra[op][key] || new Map());
    const s = fmt(val);
    m.set(s, (m.get(s) || 0) + 1);
  };
  const describeOperand = (name) => {
    if (!name) return 'absent';
    const t = constTensor(name);
    if (t) {
      const v = tensorValues(t, 16);
      const src = init.has(name) ? 'init' : 'Constant';
      return v ? `${src}=${JSON.stringify(v.map(round))}` : `${src}[${tensorDims(t)}]`;
    }
    const k = kind.get(name);
    if (k === 'shape') return 'shape-derived';
    if (k === 'const') return `folded-const(${producer.get(name)?.opType})`;
    return 'dynamic';
  };

  for (const n of g.node) {
    const op = n.opType + (n.domain && n.domain !== 'ai.onnx' ? `@${n.domain}` : '');
    opCounts[op] = (opCounts[op] || 0) + 1;
    const a = (attrs[op] = attrs[op] || {});
    for (const at of n.attribute) {
      if (n.opType === 'Constant' && at.name === 'value') {
        // Summarise Constant tensors by dtype and rank, not by value.
        const t = at.t;
        const key = `${DTYPE[t.dataType] || t.dataType} rank${t.dims.length}${numel(tensorDims(t)) >= 16 ? ' (>=16 elems)' : ''}`;
        const m = (a.value = a.value || new Map());
        m.set(key, (m.get(key) || 0) + 1);
        continue;
      }
      const m = (a[at.name] = a[at.name] || new Map());
      const s = fmt(attrValue(at));
      m.set(s, (m.get(s) || 0) + 1);
    }
    // Attribute vs input form of optional operands.
    const roles = OPERAND_ROLES[n.opType];
    if (roles) {
      const parts = [];
      for (const [i, role] of Object.entries(roles)) {
        const name = n.input[Number(i)];
        if (name) parts.push(`${role}:input(${describeOperand(name).replace(/=.*/, '')})`);
      }
      for (const at of ATTR_FORM[n.opType] || []) if (n.attribute.some((x) => x.name === at)) parts.push(`${at}:attr`);
      const f = parts.length ? parts.join(' ') : 'defaults only';
      forms[n.opType] = forms[n.opType] || new Map();
      forms[n.opType].set(f, (forms[n.opType].get(f) || 0) + 1);
      for (const [i, role] of Object.entries(roles)) {
        const name = n.input[Number(i)];
        if (name && n.opType !== 'Gather') note(n.opType, `${role} values`, describeOperand(name));
      }
    }
    if (n.opType === 'Conv' || n.opType === 'ConvTranspose') {
      const w = constTensor(n.input[1]);
      const get = (k) => {
        const at = n.attribute.find((x) => x.name === k);
        return at ? attrValue(at) : undefined;
      };
      const group = get('group') ?? 1;
      const pads = get('pads');
      const autoPad = get('auto_pad');
      if (w) {
        const [co, ciPerG, ...k] = tensorDims(w);
        const ci = n.opType === 'Conv' ? ciPerG * group : co; // ConvTranspose weight is [Ci, Co/g, k...]
        let cls;
        if (n.opType === 'ConvTranspose') cls = `transpose k${k.join('x')}`;
        else if (group === 1) cls = k.every((x) => x === 1) ? 'pointwise 1x1' : `dense k${k.join('x')}`;
        else if (group === ci && ciPerG === 1) cls = `depthwise k${k.join('x')}${co !== ci ? ` (multiplier ${co / ci})` : ''}`;
        else cls = `grouped g${group} k${k.join('x')}`;
        convKinds[n.opType] = convKinds[n.opType] || new Map();
        convKinds[n.opType].set(cls, (convKinds[n.opType].get(cls) || 0) + 1);
        note(n.opType, 'bias', n.input[2] ? 'yes' : 'no');
      }
      if (pads) {
        const h = pads.length / 2;
        const sym = pads.slice(0, h).every((p, i) => p === pads[h + i]);
        if (!sym) note(n.opType, 'asymmetric pads', pads);
      }
      if (autoPad && autoPad !== 'NOTSET') note(n.opType, 'auto_pad', autoPad);
    }
    if (n.opType === 'MatMul' || n.opType === 'Gemm') {
      const w = constTensor(n.input[1]);
      note(n.opType, 'B operand', w ? `const [${tensorDims(w)}]` : 'activation (dynamic)');
    }
    if (['Add', 'Mul', 'Sub', 'Div', 'Pow'].includes(n.opType)) {
      const c = n.input.map((x) => (constTensor(x) ? tensorDims(constTensor(x)) : null));
      const where = c[0] && !c[1] ? 'const on input 0' : c[1] && !c[0] ? 'const on input 1' : c[0] && c[1] ? 'both const' : 'both dynamic';
      const shp = c.find(Boolean);
      note(n.opType, 'operands', shp ? `${where}, const shape [${shp}]` : where);
      if (n.opType === 'Pow' && c[1]) note('Pow', 'exponent', tensorValues(constTensor(n.input[1]), 4));
    }
    if (n.opType === 'ConstantOfShape') {
      const at = n.attribute.find((x) => x.name === 'value');
      note('ConstantOfShape', 'value', at ? attrValue(at) : 'absent (float32 0)');
    }
    if (n.opType === 'Pad') {
      const at = n.attribute.find((x) => x.name === 'mode');
      note('Pad', 'mode', at ? attrValue(at) : 'absent (constant)');
      note('Pad', 'constant value', n.input[2] ? describeOperand(n.input[2]) : 'absent (0)');
      const next = g.node.filter((m) => m.input.includes(n.output[0])).map((m) => m.opType);
      note('Pad', 'feeds', next);
    }
    if (n.opType === 'Concat') {
      // Channel padding with ConstantOfShape / zeros (tf2onnx 'pad channels' pattern).
      const srcs = n.input.map((x) => producer.get(x)?.opType || (init.has(x) ? 'initializer' : 'graph-input'));
      if (nodeKind.get(n) === 'data') note('Concat', 'input producers', srcs);
    }
  }

  const mapToObj = (m) => Object.fromEntries([...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, 40));
  const attrsOut = {};
  for (const [op, as] of Object.entries(attrs)) attrsOut[op] = Object.fromEntries(Object.entries(as).map(([k, m]) => [k, mapToObj(m)]));
  const extraOut = {};
  for (const [op, ks] of Object.entries(extra)) extraOut[op] = Object.fromEntries(Object.entries(ks).map(([k, m]) => [k, mapToObj(m)]));

  // First nodes after the graph input (shows layout transposes / in-graph normalisation).
  const head = [];
  let frontier = new Set(graphInputs.map((i) => i.name));
  for (let depth = 0; depth < 3; depth++) {
    const next = new Set();
    for (const n of g.node) {
      if (n.input.some((x) => frontier.has(x))) {
        const at = n.attribute.filter((x) => !(n.opType === 'Constant')).map((x) => `${x.name}=${fmt(attrValue(x))}`);
        const cin = n.input.filter((x) => !frontier.has(x)).map((x) => `${x.length > 40 ? '…' + x.slice(-37) : x}:${describeOperand(x)}`);
        head.push(`${'  '.repeat(depth)}${n.opType}${at.length ? ` {${at.join(', ')}}` : ''}${cin.length ? ` [${cin.join('; ')}]` : ''}`);
        for (const o of n.output) next.add(o);
      }
    }
    frontier = next;
  }

  return {
    producer: `${model.producerName || '?'} ${model.producerVersion || ''}`.trim(),
    irVersion: num(model.irVersion),
    opsets,
    inputs: graphInputs.map((i) => ({ name: i.name, dtype: DTYPE[i.type.tensorType.elemType], shape: dimsOf(i) })),
    outputs: g.output.map((o) => ({ name: o.name, dtype: DTYPE[o.type.tensorType.elemType], shape: dimsOf(o) })),
    nodes: g.node.length,
    valueInfo: (g.valueInfo || []).length,
    opCounts: Object.fromEntries(Object.entries(opCounts).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))),
    weights: { ...weights, operandSource: weightSource, unusedInitializers },
    attributes: attrsOut,
    operandForms: Object.fromEntries(Object.entries(forms).map(([k, m]) => [k, mapToObj(m)])),
    convKinds: Object.fromEntries(Object.entries(convKinds).map(([k, m]) => [k, mapToObj(m)])),
    operandDetails: extraOut,
    shapeSubgraph: {
      opsByKind: byKind,
      shapeOnlyOps,
      shapeAndDataOps: shapeAlsoDataOps,
      sinks: shapeSinks,
      chains: [...chains].sort(),
      constFoldableOps: constFoldable,
      computedOperands: probeTargets,
    },
    head,
  };
}

// ---------------------------------------------------------------- onnxruntime

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function runOrt(path, inputName, shape, range) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // the tf2onnx models carry unused initializers; ORT warns about them
  });
  const n = numel(shape);
  const data = new Float32Array(n);
  const rnd = lcg(12345);
  const [lo, hi] = range;
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rnd();
  if (shape.length === 4 && shape[3] === 4) for (let i = 3; i < n; i += 4) data[i] = 1; // M-LSD alpha channel = 1
  const feeds = { [inputName]: new ort.Tensor('float32', data, shape) };
  const t0 = performance.now();
  const res = await session.run(feeds);
  const ms = performance.now() - t0;
  const outputs = {};
  for (const name of session.outputNames) {
    const t = res[name];
    const d = t.data;
    let mn = Infinity;
    let mx = -Infinity;
    let sum = 0;
    for (let i = 0; i < d.length; i++) {
      const v = Number(d[i]);
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      sum += v;
    }
    outputs[name] = { shape: [...t.dims], dtype: t.type, min: round(mn), max: round(mx), mean: round(sum / d.length) };
  }
  await session.release?.();
  return { firstRunMs: round(ms), outputs, inputNames: session.inputNames, feeds };
}

/** Values of computed operands at the build shape: re-run ORT with them as extra graph outputs. */
async function probeOperands(buf, targets, feeds) {
  if (!targets.length) return [];
  const ort = await import('onnxruntime-node');
  const model = P.ModelProto.decode(buf);
  const names = [...new Set(targets.map((t) => t.value))];
  for (const name of names) model.graph.output.push(P.ValueInfoProto.create({ name }));
  const session = await ort.InferenceSession.create(P.ModelProto.encode(model).finish(), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  const res = await session.run(feeds);
  await session.release?.();
  return targets.map((t) => {
    const v = res[t.value];
    const vals = v.size <= 16 ? Array.from(v.data, (x) => round(Number(x))) : undefined;
    return { ...t, dtype: v.type, dims: [...v.dims], ...(vals ? { values: vals } : {}) };
  });
}

// ---------------------------------------------------------------- report

function printReport(id, meta, inv, ortRes) {
  const L = (s = '') => process.stdout.write(`${s}\n`);
  L(`=== ${id}  (${meta.pkg} ${meta.file})`);
  L(`producer ${inv.producer}, ir ${inv.irVersion}, opsets ${JSON.stringify(inv.opsets)}, ${inv.nodes} nodes, ${inv.valueInfo} value_info`);
  for (const i of inv.inputs) L(`input  ${i.name} ${i.dtype} [${i.shape.join(',')}]`);
  for (const o of inv.outputs) L(`output ${o.name} ${o.dtype} [${(o.shape || []).join(',')}]`);
  L(`ops: ${Object.entries(inv.opCounts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const w = inv.weights;
  L(`weights: initializers ${w.initializers.count} (${w.initializers.elements} elems, ${JSON.stringify(w.initializers.dtypes)}); Constant nodes ${w.constantNodes.count} (${w.constantNodes.elements} elems, ${w.constantNodes.large} with >=16 elems, ${JSON.stringify(w.constantNodes.dtypes)})`);
  L(`weight operands: ${Object.entries(w.operandSource).map(([k, v]) => `${k} ${v.initializer ? `init ${v.initializer}` : ''}${v.initializer && v.Constant ? ' ' : ''}${v.Constant ? `Constant ${v.Constant}` : ''}`).join('; ')}`);
  for (const [op, kinds] of Object.entries(inv.convKinds)) L(`${op} kinds: ${Object.entries(kinds).map(([k, v]) => `${k} x${v}`).join(', ')}`);
  L('attributes:');
  for (const [op, as] of Object.entries(inv.attributes)) {
    const keys = Object.keys(as);
    if (!keys.length) continue;
    L(`  ${op}: ${keys.map((k) => `${k}={${Object.entries(as[k]).map(([v, c]) => `${v}${c > 1 ? ` x${c}` : ''}`).join(' | ')}}`).join('  ')}`);
  }
  L('operand forms:');
  for (const [op, fs] of Object.entries(inv.operandForms)) L(`  ${op}: ${Object.entries(fs).map(([f, c]) => `${f} x${c}`).join(' | ')}`);
  L('operand details:');
  for (const [op, ks] of Object.entries(inv.operandDetails)) {
    for (const [k, vs] of Object.entries(ks)) L(`  ${op} ${k}: ${Object.entries(vs).map(([v, c]) => `${v}${c > 1 ? ` x${c}` : ''}`).join(' | ')}`);
  }
  const s = inv.shapeSubgraph;
  L(`shape subgraph: ops ${JSON.stringify(s.opsByKind.shape)}; only there: [${s.shapeOnlyOps.join(', ')}]; also on data path: [${s.shapeAndDataOps.join(', ')}]`);
  L(`  sinks: ${JSON.stringify(s.sinks)}`);
  for (const c of s.chains) L(`  chain: ${c}`);
  if (Object.keys(s.constFoldableOps).length) L(`  const-foldable (all inputs constant): ${JSON.stringify(s.constFoldableOps)}`);
  const seen = new Map();
  for (const t of s.computedOperands) {
    const k = `${t.op}.${t.role} (${t.kind}) = ${t.values ? JSON.stringify(t.values) : t.dims ? `${t.dtype}[${t.dims}]` : '?'}`;
    seen.set(k, (seen.get(k) || 0) + 1);
  }
  for (const [k, c] of seen) L(`  computed operand ${k}${c > 1 ? ` x${c}` : ''}${ortRes ? '' : ' (run without --no-ort to resolve)'}`);
  if (inv.weights.unusedInitializers.length) L(`unused initializers: ${inv.weights.unusedInitializers.length} (${inv.weights.unusedInitializers.slice(0, 4).join(', ')}${inv.weights.unusedInitializers.length > 4 ? ', …' : ''})`);
  L('head of graph:');
  for (const h of inv.head) L(`  ${h}`);
  if (ortRes) {
    L(`onnxruntime-node 1T @ ${JSON.stringify(ortRes.shape)}: ${ortRes.firstRunMs} ms first run`);
    for (const [k, v] of Object.entries(ortRes.outputs)) L(`  ${k} [${v.shape.join(',')}] min ${v.min} max ${v.max} mean ${v.mean}`);
  }
  L();
}

async function main(argv) {
  const onlyIdx = argv.indexOf('--only');
  const ids = onlyIdx >= 0 ? argv[onlyIdx + 1].split(',') : MODELS.map((m) => m.id);
  const json = argv.includes('--json');
  const write = argv.includes('--write-fixture');
  const doOrt = !argv.includes('--no-ort');
  const paths = await ensureModels({ ids, log: (m) => process.stderr.write(`${m}\n`) });

  const result = {};
  for (const id of ids) {
    const meta = MODELS.find((m) => m.id === id);
    const spec = SPEC[id];
    const buf = readFileSync(paths[id]);
    const inv = inventory(buf);
    const input = inv.inputs[0];
    let ortRes = null;
    if (doOrt) {
      ortRes = await runOrt(paths[id], input.name, spec.buildShape, spec.inputRange.range);
      ortRes.shape = spec.buildShape;
      inv.shapeSubgraph.computedOperands = await probeOperands(buf, inv.shapeSubgraph.computedOperands, ortRes.feeds);
      delete ortRes.feeds;
    }
    const pkg = PACKAGES[meta.pkg];
    result[id] = {
      package: pkg.name,
      version: pkg.version,
      integrity: pkg.integrity,
      license: pkg.license,
      file: meta.file.replace(/^package\//, ''),
      bytes: meta.size,
      sha256: createHash('sha256').update(buf).digest('hex'),
      producer: inv.producer,
      opsets: inv.opsets,
      input: { name: input.name, dtype: input.dtype, declaredShape: input.shape },
      layout: spec.layout,
      buildShape: spec.buildShape,
      inputShapeFlag: `${input.name}=${spec.buildShape.join('x')}`,
      inputRange: spec.inputRange,
      outputs: inv.outputs.map((o) => ({
        name: o.name,
        declaredShape: o.shape,
        ...(ortRes ? { shape: ortRes.outputs[o.name].shape, ortStats: (({ shape, ...rest }) => rest)(ortRes.outputs[o.name]) } : {}),
      })),
      opCounts: inv.opCounts,
      weightElements: inv.weights.initializers.elements + inv.weights.constantNodes.elements,
      notes: spec.notes,
      inventory: inv,
    };
    if (!json && !write) printReport(id, meta, inv, ortRes);
  }
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (write) {
    let existing = {};
    try {
      existing = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    } catch {}
    const doc = {
      $comment:
        'Generated by `node tools/inventory-models.mjs --write-fixture` from the models pinned in tools/fetch-models.mjs (cache: $SPARSEC_CACHE/models/<id>.onnx). ortStats come from onnxruntime-node 1.30, 1 thread, on a seeded uniform input over inputRange.range (LCG seed 12345; M-LSD channel 3 = 1).',
      models: { ...(existing.models || {}), ...result },
    };
    writeFileSync(FIXTURE, `${JSON.stringify(doc, null, 2)}\n`);
    process.stderr.write(`inventory-models: wrote ${FIXTURE}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(1);
  });
}

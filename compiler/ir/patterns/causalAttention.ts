// Causal self-attention recognised as one internal op, CausalAttention, that
// assembly/attention.ts runs computing only the kept scores (FlashAttention-style skipping):
//   S = MatMul(Q, Kᵀ) [· s | / s]                                (optional constant scale)
//   S' = Where(mask, fill, S) | Where(keep, S, fill) | Add(S, M)  (constant mask)
//   Y = MatMul(Softmax(S', last axis), V)
// becomes Y = CausalAttention(Q, Kᵀ, V) with attributes scale and diag. Fused only when
// - the mask is causal: in every [Tq, Tk] slice (any broadcast over batch and heads) row i keeps
//   exactly the columns j <= i + diag, diag >= 0 (every row keeps column 0);
// - the masked scores cannot weigh: fill (or M's masked entries) is -inf or <= -1e4, where
//   exp(fill - rowmax) is 0 in float32 once the row's largest kept score exceeds fill + 104
//   (any score above -9896 for -1e4 fills; always for -inf and float32 lowest). M's kept
//   entries must be 0;
// - every intermediate (S, S', softmax) has this one reader and is no graph output; operands are
//   float32 of rank 2-4 with the same leading (batch, head) dims, no broadcasting.
// A Transpose that only feeds Q, Kᵀ or V, or only reads Y, folds into the op (attributes
// q_perm, k_perm, v_perm, y_perm): the kernel reads and writes through strides, so the head
// split and merge around attention cost no copies.
// Recognised here rather than in an exporter-specific way so that the ONNX stays plain (the
// reference onnxruntime runs the same file) and the usual export of masked attention compiles.
import type { Graph, Node } from '../graph.js';
import { attrInt, attrInts, consumers, constNumbers, isConst, normAxis, producers } from '../graph.js';

export const CAUSAL_ATTENTION_OP = 'CausalAttention';

/** a fill at or below this weighs nothing after softmax (see the header) */
const MASK_FILL_MAX = -1e4;

/** the diagonal offset if `kept` (per element of a mask of shape `shape`, broadcast against
 *  scores [..., tq, tk]) is causal in every slice, else null */
function causalDiag(kept: (e: number) => boolean, shape: readonly number[], tq: number, tk: number): number | null {
  const r = shape.length;
  const mq = r >= 2 ? shape[r - 2] : 1, mk = r >= 1 ? shape[r - 1] : 1;
  if (mq !== tq || mk !== tk) return null; // a mask broadcast along rows or columns is not causal
  let count = 0;
  while (count < tk && kept(count)) count++;
  const diag = count - 1;
  if (diag < 0) return null;
  const total = shape.reduce((a, b) => a * b, 1);
  for (let e = 0; e < total; e++) {
    const j = e % tk, i = Math.floor(e / tk) % tq;
    if (kept(e) !== (j <= i + diag)) return null;
  }
  return diag;
}

/** a constant whose elements all equal one number (NaN: not a usable constant) */
function uniformConst(g: Graph, name: string): number {
  if (!isConst(g, name)) return NaN;
  const x = constNumbers(g, name);
  return x.length > 0 && x.every((v) => v === x[0]) ? x[0] : NaN;
}

/** the multiply-accumulates of the two MatMuls a CausalAttention node replaced (the model's,
 *  dense: what inspect reports; the kernel skips about half of them) */
export function causalAttentionMacs(g: Graph, n: Node): number {
  const logical = (i: number, key: string): number[] | null => {
    const s = g.values.get(n.inputs[i])?.shape, p = n.attrs[key] === undefined ? null : attrInts(n, key, []);
    return s ? (p ? p.map((a) => s[a]) : s) : null;
  };
  const q = logical(0, 'q_perm'), k = logical(1, 'k_perm'), v = logical(2, 'v_perm');
  if (!q || !k || !v) return 0;
  const r = q.length, rows = q.slice(0, r - 1).reduce((a, b) => a * b, 1);
  return rows * k[r - 1] * (q[r - 1] + v[r - 1]);
}

export function recognizeCausalAttention(g: Graph): number {
  const users = consumers(g), prod = producers(g);
  const only = (v: string): Node | null => {
    const u = users.get(v) ?? [];
    return u.length === 1 && !g.outputs.includes(v) ? g.nodes[u[0]] : null;
  };
  const producer = (v: string): Node | null => (prod.has(v) ? g.nodes[prod.get(v)!] : null);
  const shape = (v: string) => g.values.get(v)?.shape ?? null;
  const f32 = (v: string) => g.values.get(v)?.dtype === 'float32';
  const made = new Map<Node, Node>(), drop = new Set<Node>();
  for (const mm1 of g.nodes) {
    if (mm1.op !== 'MatMul' || drop.has(mm1)) continue;
    const [qName, ktName] = mm1.inputs, sName = mm1.outputs[0];
    const qs = shape(qName), ks = shape(ktName), ss = shape(sName);
    if (!qs || !ks || !ss || qs.length < 2 || qs.length > 4 || ks.length !== qs.length || !f32(qName) || !f32(ktName)) continue;
    if (isConst(g, qName) || isConst(g, ktName)) continue;
    const r = qs.length, tq = qs[r - 2], d = qs[r - 1], tk = ks[r - 1];
    if (ks[r - 2] !== d || qs.slice(0, r - 2).some((x, i) => x !== ks[i])) continue;
    // optional constant scale
    let node = only(sName), scale = 1, cur = sName;
    const scaleNode = node && (node.op === 'Mul' || node.op === 'Div') ? node : null;
    if (scaleNode) {
      const other = scaleNode.inputs[0] === cur ? scaleNode.inputs[1] : scaleNode.op === 'Mul' ? scaleNode.inputs[0] : '';
      const s = uniformConst(g, other);
      if (!Number.isFinite(s) || s === 0 || shape(scaleNode.outputs[0])?.join() !== ss.join()) continue;
      scale = scaleNode.op === 'Mul' ? s : 1 / s;
      cur = scaleNode.outputs[0];
      node = only(cur);
    }
    // the constant causal mask
    const maskNode = node;
    if (!maskNode || shape(maskNode.outputs[0])?.join() !== ss.join()) continue;
    let keptOf: ((e: number) => boolean) | null = null, maskName = '';
    if (maskNode.op === 'Where' && maskNode.inputs[0] !== cur) {
      const [cond, x, y] = maskNode.inputs;
      const fillName = x === cur ? y : y === cur ? x : '';
      const fill = uniformConst(g, fillName);
      if (!isConst(g, cond) || !(fill <= MASK_FILL_MAX)) continue;
      const c = constNumbers(g, cond), keepWhenTrue = x === cur;
      keptOf = (e) => (c[e] !== 0) === keepWhenTrue;
      maskName = cond;
    } else if (maskNode.op === 'Add') {
      const m = maskNode.inputs[0] === cur ? maskNode.inputs[1] : maskNode.inputs[0];
      if (!isConst(g, m) || !f32(m)) continue;
      const mv = constNumbers(g, m);
      if (!mv.every((x) => x === 0 || x <= MASK_FILL_MAX)) continue;
      keptOf = (e) => mv[e] === 0;
      maskName = m;
    } else continue;
    const ms = shape(maskName);
    if (!ms || ms.length > r || ms.some((x, i) => x !== 1 && x !== ss[r - ms.length + i])) continue;
    const diag = causalDiag(keptOf, ms, tq, tk);
    if (diag === null) continue;
    // softmax over the last axis (opset < 13 coerces to 2-D from `axis`: the same for the last)
    const sm = only(maskNode.outputs[0]);
    if (sm?.op !== 'Softmax' || normAxis(attrInt(sm, 'axis', g.opset < 13 ? 1 : -1), r) !== r - 1) continue;
    const mm2 = only(sm.outputs[0]);
    if (mm2?.op !== 'MatMul' || mm2.inputs[0] !== sm.outputs[0]) continue;
    const vName = mm2.inputs[1], vs = shape(vName);
    if (!vs || vs.length !== r || vs[r - 2] !== tk || !f32(vName) || isConst(g, vName) || vs.slice(0, r - 2).some((x, i) => x !== qs[i])) continue;
    // Transposes that only feed the operands or only read the result fold into strides
    const attrs: Node['attrs'] = { scale: Math.fround(scale), diag };
    const folded: Node[] = [];
    const operand = (name: string, reader: Node, key: string): string => {
      const t = producer(name);
      if (t?.op !== 'Transpose' || only(name) !== reader || (shape(t.inputs[0])?.length ?? 0) !== r) return name;
      attrs[key] = attrInts(t, 'perm', Array.from({ length: r }, (_, i) => r - 1 - i));
      folded.push(t);
      return t.inputs[0];
    };
    const q = operand(qName, mm1, 'q_perm'), kt = operand(ktName, mm1, 'k_perm'), v = operand(vName, mm2, 'v_perm');
    let y = mm2.outputs[0], last: Node = mm2;
    const after = only(y);
    if (after?.op === 'Transpose') {
      attrs.y_perm = attrInts(after, 'perm', Array.from({ length: r }, (_, i) => r - 1 - i));
      y = after.outputs[0];
      last = after;
    }
    made.set(last, { name: sm.name, op: CAUSAL_ATTENTION_OP, domain: '', inputs: [q, kt, v], outputs: [y], attrs });
    for (const n of [mm1, ...(scaleNode ? [scaleNode] : []), maskNode, sm, mm2, last, ...folded]) if (n !== last) drop.add(n);
  }
  if (!made.size) return 0;
  g.nodes = g.nodes.filter((n) => !drop.has(n)).map((n) => made.get(n) ?? n);
  return made.size;
}

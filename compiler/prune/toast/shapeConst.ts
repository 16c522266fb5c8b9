// The target shape of a Reshape, element by element, and the rewrite of one element when head
// dimensions shrink. Exporters write the target as one constant (torch) or as a Concat of
// one-element pieces, some constant (through Cast/Unsqueeze), some read from Shape at run time
// (Paddle: [0, Shape(x)[1], 3, 8, 15]). Rewrites never touch a constant in place: a shared
// initializer would change other nodes too, so the Reshape or Concat gets a fresh constant.
import { SparsecError } from '../../errors.js';
import type { DType, Graph, Node } from '../../ir/graph.js';
import { attrInt, attrInts, constNumbers, isConst, producers, typedArrayFrom, valueOf } from '../../ir/graph.js';
import { ONNX_DTYPES } from '../../onnx/read.js';

/** One element of a shape: its value when known at compile time, else null. */
interface Piece { value: string; length: number; numbers: number[] | null; dtype: DType | null }

const PASS = new Set(['Cast', 'Identity', 'Unsqueeze', 'Squeeze']);

/** A 1-D shape piece traced through Cast/Identity/(Un)squeeze: its constant numbers (or null),
 *  its length when known, and the dtype the Concat sees. */
function piece(g: Graph, value: string, made: Map<string, number>): Piece {
  let v = value, dtype: DType | null = null, length = -1;
  for (;;) {
    if (isConst(g, v)) {
      const nums = constNumbers(g, v);
      return { value, length: nums.length, numbers: nums, dtype: dtype ?? valueOf(g, v).dtype };
    }
    const p = made.get(v);
    if (p === undefined) break;
    const n = g.nodes[p];
    if (n.op === 'Cast' && dtype === null) dtype = ONNX_DTYPES[attrInt(n, 'to', 1)] ?? null;
    if (PASS.has(n.op)) { if (n.op === 'Unsqueeze' && length < 0) length = 1; v = n.inputs[0]; continue; }
    if (n.op === 'Slice' && length < 0) {
      const starts = n.inputs[1] && isConst(g, n.inputs[1]) ? constNumbers(g, n.inputs[1]) : attrInts(n, 'starts', []);
      const ends = n.inputs[2] && isConst(g, n.inputs[2]) ? constNumbers(g, n.inputs[2]) : attrInts(n, 'ends', []);
      if (starts.length === 1 && ends.length === 1 && starts[0] >= 0 && ends[0] > starts[0] && ends[0] < 2 ** 31) length = ends[0] - starts[0];
    }
    break;
  }
  return { value, length, numbers: null, dtype };
}

/** The Reshape's target as numbers (null = decided at run time), or null when it cannot be read. */
export function resolveShape(g: Graph, reshape: Node, made = producers(g)): (number | null)[] | null {
  const s = reshape.inputs[1];
  if (!s) return null;
  if (isConst(g, s)) return constNumbers(g, s);
  const p = made.get(s);
  const concat = p === undefined ? null : g.nodes[p];
  if (!concat || concat.op !== 'Concat') return null;
  const out: (number | null)[] = [];
  for (const x of concat.inputs) {
    const pc = piece(g, x, made);
    if (pc.numbers) out.push(...pc.numbers);
    else if (pc.length > 0) out.push(...new Array<number | null>(pc.length).fill(null));
    else return null;
  }
  return out;
}

/** Sets element `position` of the Reshape's target to `to` (the element must be a compile-time
 *  constant). Mutates g's nodes and values: call it on a copy. */
export function rewriteShapeElement(g: Graph, reshapeName: string, position: number, to: number): void {
  const reshape = g.nodes.find((n) => n.name === reshapeName)!;
  const made = producers(g);
  const s = reshape.inputs[1];
  const fresh = (base: string): string => {
    let name = `${base}_toast`;
    for (let k = 1; g.values.has(name); k++) name = `${base}_toast${k}`;
    return name;
  };
  if (isConst(g, s)) {
    const v = valueOf(g, s);
    const nums = constNumbers(g, s);
    nums[position] = to;
    const name = fresh(s);
    g.values.set(name, { name, dtype: v.dtype, shape: [...v.shape!], data: typedArrayFrom(v.dtype, nums) });
    reshape.inputs = [reshape.inputs[0], name, ...reshape.inputs.slice(2)];
    return;
  }
  const concat = g.nodes[made.get(s)!];
  let at = 0;
  for (let i = 0; i < concat.inputs.length; i++) {
    const pc = piece(g, concat.inputs[i], made);
    const len = pc.numbers ? pc.numbers.length : pc.length;
    if (position < at + len) {
      if (!pc.numbers) throw new SparsecError('E_UNSUPPORTED', `element ${position} of the Reshape target is computed at run time; it cannot be rewritten`, { file: g.source, node: reshapeName, op: 'Reshape' });
      const nums = [...pc.numbers];
      nums[position - at] = to;
      const dtype = pc.dtype ?? 'int64';
      const name = fresh(concat.inputs[i]);
      g.values.set(name, { name, dtype, shape: [nums.length], data: typedArrayFrom(dtype, nums) });
      concat.inputs = concat.inputs.map((x, j) => (j === i ? name : x));
      return;
    }
    at += len;
  }
  throw new Error(`internal: shape element ${position} out of range for '${reshapeName}'`);
}

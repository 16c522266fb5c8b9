// A small builder for hand-made IR graphs in tests: seeded random weights, shapes left for
// shape inference (prepareForChannels or canonicalize fills them in).
import type { AttrValue, Graph, Node, Value } from '../../compiler/ir/graph.js';
import { numel } from '../../compiler/ir/graph.js';
import { uniform } from '../../compiler/util/random.js';

export class GraphBuilder {
  private nodes: Node[] = [];
  private values = new Map<string, Value>();
  private inputs: string[] = [];
  private outputs: string[] = [];
  private seed = 1;
  private count = 0;

  constructor(private name = 'test', private opset = 17) {}

  input(name: string, shape: number[]): string {
    this.values.set(name, { name, dtype: 'float32', shape });
    this.inputs.push(name);
    return name;
  }

  /** a float32 constant, uniform in [lo, hi) */
  constant(shape: number[], lo = -1, hi = 1, name = `c${this.count++}`): string {
    this.values.set(name, { name, dtype: 'float32', shape, data: uniform(this.seed++, numel(shape), lo, hi) });
    return name;
  }

  floats(values: number[], name = `f${this.count++}`): string {
    this.values.set(name, { name, dtype: 'float32', shape: [values.length], data: Float32Array.from(values) });
    return name;
  }

  ints(values: number[], name = `i${this.count++}`): string {
    this.values.set(name, { name, dtype: 'int64', shape: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  }

  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1, name = `${op}_${this.count++}`): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => `${name}_out${i}`);
    for (const o of outs) this.values.set(o, { name: o, dtype: 'float32', shape: null });
    this.nodes.push({ name, op, domain: '', inputs, outputs: outs, attrs });
    return outs;
  }

  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.node(op, inputs, attrs, 1, name)[0];
  }

  conv(x: string, cin: number, cout: number, k = 3, o: { group?: number; bias?: boolean; name?: string } = {}): string {
    const group = o.group ?? 1;
    const w = this.constant([cout, cin / group, k, k], -0.5, 0.5);
    const ins = [x, w];
    if (o.bias !== false) ins.push(this.constant([cout], -0.5, 0.5));
    const pad = (k - 1) >> 1;
    return this.op('Conv', ins, { kernel_shape: [k, k], pads: [pad, pad, pad, pad], ...(group > 1 ? { group } : {}) }, o.name);
  }

  bn(x: string, c: number): string {
    return this.op('BatchNormalization', [x, this.constant([c], 0.5, 1.5), this.constant([c], -0.5, 0.5), this.constant([c], -0.2, 0.2), this.constant([c], 0.5, 1.5)], { epsilon: 1e-5 });
  }

  convBnRelu(x: string, cin: number, cout: number, k = 3, o: { group?: number; name?: string } = {}): string {
    return this.op('Relu', [this.bn(this.conv(x, cin, cout, k, { ...o, bias: false }), cout)]);
  }

  matmul(x: string, k: number, n: number, name?: string): string {
    return this.op('MatMul', [x, this.constant([k, n], -0.5, 0.5)], {}, name);
  }

  gemm(x: string, k: number, n: number, transB = true, name?: string): string {
    return this.op('Gemm', [x, this.constant(transB ? [n, k] : [k, n], -0.5, 0.5), this.constant([n], -0.5, 0.5)], transB ? { transB: 1 } : {}, name);
  }

  output(x: string): void {
    this.outputs.push(x);
  }

  build(): Graph {
    return { name: this.name, source: `${this.name}.onnx`, opset: this.opset, nodes: this.nodes, values: this.values, inputs: this.inputs, outputs: this.outputs };
  }
}

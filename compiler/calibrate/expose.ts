// Exposes intermediate tensors of an ONNX model as extra graph outputs, so one onnxruntime run
// returns the inputs of every layer to calibrate. Works on the original protobuf bytes (not an
// IR round trip), so the model that runs is exactly the user's model.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The model with `names` appended to its outputs (float32, shape left to onnxruntime). Names
 *  that are already outputs or graph inputs are left out: inputs come from the feeds. */
export function exposeValues(model: Uint8Array, names: readonly string[]): Uint8Array {
  const m = onnx.ModelProto.decode(model);
  const g = m.graph!;
  const have = new Set([...(g.output ?? []), ...(g.input ?? [])].map((v) => v.name!));
  const output = [...(g.output ?? [])];
  for (const name of new Set(names)) {
    if (have.has(name)) continue;
    output.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  }
  g.output = output;
  return onnx.ModelProto.encode(m).finish();
}

// One onnxruntime-node session for evaluation and calibration runs: 1 thread (the numbers must
// not depend on the machine's load), quiet logs, and a load failure as one clear line.
import * as ort from 'onnxruntime-node';
import { SparsecError } from '../errors.js';

/** `model` is a path or ONNX bytes; `file` names the model in the error when it is bytes. */
export async function ortSession(model: string | Uint8Array, file = typeof model === 'string' ? model : undefined): Promise<ort.InferenceSession> {
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 as const };
  try {
    return typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new SparsecError('E_FILE', `onnxruntime cannot load the model: ${(e as Error).message.split('\n')[0]}`, { file });
  }
}

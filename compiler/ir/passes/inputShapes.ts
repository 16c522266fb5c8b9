// Fix every graph input's shape: from --input-shape, else from the model when static.
// A symbolic leading (batch) dimension defaults to 1; any other symbolic one must be given.
import { SparsecError } from '../../errors.js';
import type { Graph } from '../graph.js';

/** Parses `name=1x3x48x320` (repeatable) into a map. */
export function parseInputShapes(specs: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs) {
    const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(spec.trim());
    if (!m) throw new SparsecError('E_OPTION', `--input-shape '${spec}' is not of the form name=1x3x224x224`);
    out[m[1]] = m[2].split('x').map(Number);
  }
  return out;
}

export function fixInputShapes(g: Graph, given: Record<string, number[]>): void {
  for (const name of Object.keys(given)) {
    if (!g.inputs.includes(name)) throw new SparsecError('E_SHAPE', `--input-shape names '${name}', but the model's inputs are: ${g.inputs.join(', ')}`, { file: g.source });
  }
  for (const name of g.inputs) {
    const v = g.values.get(name)!;
    const declared = v.declared ?? v.shape ?? null;
    const show = declared ? `[${declared.join(',')}]` : 'of unknown rank';
    const want = given[name];
    if (want) {
      if (declared && (declared.length !== want.length || declared.some((d, i) => typeof d === 'number' && d !== want[i]))) {
        throw new SparsecError('E_SHAPE', `--input-shape ${name}=${want.join('x')} does not fit the declared shape ${show}`, { file: g.source });
      }
      v.shape = want;
      continue;
    }
    if (!declared) throw new SparsecError('E_SHAPE', `input '${name}' has no declared shape; give it with --input-shape ${name}=...`, { file: g.source });
    const fixed = declared.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : -1));
    if (fixed.includes(-1)) {
      const example = declared.map((d) => (typeof d === 'number' ? d : 'N')).join('x');
      throw new SparsecError('E_SHAPE', `input '${name}' has dynamic dimensions ${show}; fix them with --input-shape ${name}=${example} (N = the size to compile for)`, { file: g.source });
    }
    v.shape = fixed;
  }
}

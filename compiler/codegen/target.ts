// Target descriptors (targets/*.json): the WASM features a build may use and its budgets.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { SparsecError } from '../errors.js';
import { packageRoot } from '../paths.js';

export interface Target {
  name: string;
  description: string;
  features: { simd: boolean; relaxedSimd: boolean; threads: boolean; bulkMemory: boolean };
  /** maximum linear memory in bytes the build may need */
  memoryLimit: number;
  /** code-size budget for model.wasm in bytes (a warning when exceeded) */
  codeSizeBudget: number;
  /** node flags an engine needs to run this target (enableEngineFlags sets them in this process) */
  engineFlags?: string[];
}

export function targetNames(): string[] {
  return readdirSync(join(packageRoot, 'targets')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadTarget(name: string): Target {
  const names = targetNames();
  if (!names.includes(name)) throw new SparsecError('E_OPTION', `unknown target '${name}'; known targets: ${names.join(', ')}`);
  return { name, ...JSON.parse(readFileSync(join(packageRoot, 'targets', `${name}.json`), 'utf8')) } as Target;
}

/** Node 20 runs some targets only behind engine flags (wasm-relaxed-simd:
 *  --experimental-wasm-relaxed-simd); V8 reads them when it compiles a module, so setting them
 *  before compiling is enough. */
export function enableEngineFlags(target: Target): void {
  for (const f of target.engineFlags ?? []) setFlagsFromString(f);
}

// One error type for everything a user can cause: bad files, unsupported ops, wrong inputs.
// The CLI prints `message` without a stack trace; anything else is a bug and keeps its stack.

export type ErrorCode =
  | 'E_FILE'          // missing, unreadable, truncated or non-ONNX file
  | 'E_UNSUPPORTED'   // ops or attributes the compiler cannot handle (all listed at once)
  | 'E_MODEL'         // a model that is malformed (dangling inputs, bad shapes)
  | 'E_SHAPE'         // a missing or wrong --input-shape
  | 'E_OPTION'        // a bad command-line option or target
  | 'E_INPUT'         // a wrong input at run time
  | 'E_BUILD';        // the AssemblyScript or binaryen step failed

export interface ErrorWhere { file?: string; node?: string; op?: string }

export class SparsecError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorWhere;
  constructor(code: ErrorCode, message: string, where: ErrorWhere = {}) {
    const at = [where.file, where.node && `node '${where.node}'`, where.op && `(${where.op})`].filter(Boolean).join(' ');
    super(at ? `${at}: ${message}` : message);
    this.name = 'SparsecError';
    this.code = code;
    this.where = where;
  }
}

export const isSparsecError = (e: unknown): e is SparsecError => e instanceof SparsecError;

// The kernel library: every kernel the emitted code may call, re-exported for `import * as k`.
export * from './probe';
export * from './elementwise';

// The kernel library: every kernel the emitted code may call, re-exported for `import * as k`.
export * from './probe';
export * from './elementwise'; export * from './reduce'; export * from './normalize'; export * from './layout'; export * from './pool'; export * from './resize';
export * from './gemm'; export * from './gemv'; export * from './conv'; export * from './gemm_nm'; export * from './gemm_csr'; export * from './topk_ffn'; export * from './attention'; export { ACT_NONE, ACT_RELU, ACT_CLIP, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_SIGMOID, ACT_GELU, ACT_SWISH, ACT_LEAKYRELU, ACT_TANH, erf_f32, sigmoid_f32, tanh_f32, gelu_f32, act_f32, act_apply_f32, act_tile_f32, act_f32_buf } from './activation'; // v128 helpers of activation.ts stay internal: wasm-mvp rejects v128 exports

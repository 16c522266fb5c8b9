// c + a·b on f32x4 for the GEMM micro-kernels: one fused multiply-add (f32x4.relaxed_madd) in
// builds for the wasm-relaxed-simd target, a mul and an add otherwise. relaxed_madd may round
// once (FMA) or twice (mul, add), whichever the hardware does; the kernel tests accept both.
// On the project machine (Zen 5) the dense 4x8 kernel is bound by its mul and add pipes either
// way, while the N:M kernels, bound by instruction throughput, run faster with FMA
// (docs/sparse.md). Kernels that call madd have a `relaxed` row in the registry
// (compiler/codegen/kernels/registry.ts): their body differs on that target.

// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

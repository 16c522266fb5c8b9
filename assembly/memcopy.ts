// Forward byte copy for the layout kernels. Our own loop instead of memory.copy: it works the
// same on wasm-mvp (no bulk memory) and 16 bytes a step with SIMD. Regions must not overlap
// unless dst == src (callers skip that case) or dst < src (a forward copy is then still right).
// @ts-ignore: decorator
@inline export function copyBytes(dst: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v128.load(src + i));
  } else {
    for (; i + 8 <= bytes; i += 8) store<u64>(dst + i, load<u64>(src + i));
  }
  for (; i < bytes; i++) store<u8>(dst + i, load<u8>(src + i));
}

// qnum — a barrier against floating-point contraction, for code that must reproduce another library's separately
// rounded float operations bit for bit.
//
// GCC contracts a * b + c into one fused multiply-add by default (-ffp-contract=fast, also across statements) when
// the target has FMA (-march=x86-64-v3, -mfma, AArch64). A fused result is rounded once instead of twice, so it can
// differ in the last bit from PyTorch's float32 tensor ops, which round after every operation. Passing a product
// through fp_barrier() makes it an opaque, already rounded value the compiler cannot fuse with the addition.
#pragma once

namespace qnum::detail {

/// Returns x unchanged, as a value the optimizer cannot look through (so it is rounded to its type here).
template <class T>
inline T fp_barrier(T x) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && defined(__SSE2__)
    __asm__("" : "+x"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
    __asm__("" : "+w"(x));
#else
    volatile T v = x;
    x = v;
#endif
    return x;
}

}  // namespace qnum::detail

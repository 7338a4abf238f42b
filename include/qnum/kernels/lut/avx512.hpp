// qnum — 8-bit table look-up with AVX-512 VBMI (runtime-dispatched; QNUM_TARGET_AVX512VBMI).
//
// vpermi2b (_mm512_permutex2var_epi8) selects bytes from a 128-byte pair of registers by the low 7 bits of each
// index, so two of them look up entries 0..127 and 128..255 and a mask blend on bit 7 picks the half: 4 instructions
// per 64 bytes. The tail is done with masked loads and stores, so every byte goes through the same instructions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qnum/cpu.hpp"

#if QNUM_HAS_X86_KERNELS
#include <immintrin.h>

namespace qnum::detail {

QNUM_INTRINSICS_BEGIN

/// y[i] = table[x[i]] for all n bytes; x == y is allowed.
QNUM_TARGET_AVX512VBMI inline void lut8_avx512vbmi(const std::uint8_t* x, std::uint8_t* y, std::size_t n,
                                                   const std::uint8_t* table) noexcept {
    const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
    const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
    std::size_t i = 0;
    for (; i + 128 <= n; i += 128) {  // two vectors per iteration: the permutes have a few cycles of latency
        const __m512i u0 = _mm512_loadu_si512(x + i), u1 = _mm512_loadu_si512(x + i + 64);
        const __m512i a0 = _mm512_permutex2var_epi8(t0, u0, t1), b0 = _mm512_permutex2var_epi8(t2, u0, t3);
        const __m512i a1 = _mm512_permutex2var_epi8(t0, u1, t1), b1 = _mm512_permutex2var_epi8(t2, u1, t3);
        _mm512_storeu_si512(y + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(u0), a0, b0));
        _mm512_storeu_si512(y + i + 64, _mm512_mask_blend_epi8(_mm512_movepi8_mask(u1), a1, b1));
    }
    for (; i < n; i += 64) {
        const std::size_t left = n - i;
        const __mmask64 m = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
        const __m512i u = _mm512_maskz_loadu_epi8(m, x + i);
        const __m512i a = _mm512_permutex2var_epi8(t0, u, t1), b = _mm512_permutex2var_epi8(t2, u, t3);
        _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(u), a, b));
    }
}

QNUM_INTRINSICS_END

}  // namespace qnum::detail
#endif

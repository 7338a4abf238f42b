// qnum — the fixed-point primitive xsimd 8.1 lacks: saturating rounding doubling high multiply on int32 batches
// (a signed 32x32 -> 64-bit multiply), per architecture; equal to qnum::saturating_rounding_doubling_high_mul lane by
// lane. Used by the array forms in fixed_point_math.hpp.
#pragma once

#include <cstdint>
#include <limits>

#include <xsimd/xsimd.hpp>

#include "qnum/cpu.hpp"
#include "qnum/detail/simd_int.hpp"
#include "qnum/fixed_point.hpp"

QNUM_INTRINSICS_BEGIN

namespace qnum::detail::simd {

/// floor((a*b + 2^30) / 2^31) per lane, INT32_MIN * INT32_MIN saturating to INT32_MAX. x86: even lanes from the
/// 64-bit products shifted right by 31, odd lanes shifted left by 1 (bits 31..62 land in the high half), then the
/// single overflow case (whose wrapped result is INT32_MIN) flipped to INT32_MAX. AArch64: sqrdmulh is this
/// operation. Other targets: lane by lane.
template <class A>
inline ibatch<A> srdhm(const ibatch<A>& a, const ibatch<A>& b) noexcept {
#if XSIMD_WITH_AVX512BW
    if constexpr (is_avx512_arch<A>) {
        const __m512i x = a, y = b, round = _mm512_set1_epi64(std::int64_t{1} << 30);
        const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, y), round), 31);
        const __m512i odd = _mm512_slli_epi64(
            _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(y, 32)), round), 1);
        const __m512i r = _mm512_mask_blend_epi32(0xAAAA, even, odd);
        const __mmask16 overflow = _mm512_cmpeq_epi32_mask(x, y) & _mm512_cmpeq_epi32_mask(x, _mm512_set1_epi32(
                                                                                             std::numeric_limits<std::int32_t>::min()));
        return _mm512_mask_xor_epi32(r, overflow, r, _mm512_set1_epi32(-1));
    }
#endif
#if XSIMD_WITH_AVX2
    if constexpr (is_avx2_arch<A>) {
        const __m256i x = a, y = b, round = _mm256_set1_epi64x(std::int64_t{1} << 30);
        const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, y), round), 31);
        const __m256i odd = _mm256_slli_epi64(
            _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(y, 32)), round), 1);
        const __m256i r = _mm256_blend_epi32(even, odd, 0xAA);
        const __m256i overflow = _mm256_and_si256(
            _mm256_cmpeq_epi32(x, y), _mm256_cmpeq_epi32(x, _mm256_set1_epi32(std::numeric_limits<std::int32_t>::min())));
        return _mm256_xor_si256(r, overflow);
    }
#endif
#if XSIMD_WITH_SSE4_1
    if constexpr (XSIMD_WITH_SSE4_1 && std::is_base_of_v<xsimd::sse4_1, A> && sizeof(ibatch<A>) == 16) {
        const __m128i x = a, y = b, round = _mm_set1_epi64x(std::int64_t{1} << 30);
        const __m128i even = _mm_srli_epi64(_mm_add_epi64(_mm_mul_epi32(x, y), round), 31);
        const __m128i odd =
            _mm_slli_epi64(_mm_add_epi64(_mm_mul_epi32(_mm_srli_epi64(x, 32), _mm_srli_epi64(y, 32)), round), 1);
        const __m128i r = _mm_blend_epi16(even, odd, 0xCC);
        const __m128i overflow = _mm_and_si128(
            _mm_cmpeq_epi32(x, y), _mm_cmpeq_epi32(x, _mm_set1_epi32(std::numeric_limits<std::int32_t>::min())));
        return _mm_xor_si128(r, overflow);
    }
#endif
#if XSIMD_WITH_NEON64
    if constexpr (is_neon_arch<A>) return vqrdmulhq_s32(a, b);
#endif
    alignas(64) std::int32_t x[ibatch<A>::size], y[ibatch<A>::size];
    a.store_aligned(x);
    b.store_aligned(y);
    for (std::size_t i = 0; i < ibatch<A>::size; ++i) x[i] = saturating_rounding_doubling_high_mul(x[i], y[i]);
    return ibatch<A>::load_aligned(x);
}

/// xsimd::select for int32 batches (xsimd 8.1's AVX-512BW int32 select does not compile: it blends bytes).
template <class A>
inline ibatch<A> select_i32(const xsimd::batch_bool<std::int32_t, A>& c, const ibatch<A>& a,
                            const ibatch<A>& b) noexcept {
#if XSIMD_WITH_AVX512BW
    if constexpr (is_avx512_arch<A>) {
        const __mmask16 m = c;
        return _mm512_mask_blend_epi32(m, b, a);
    } else
#endif
    {
        return xsimd::select(c, a, b);
    }
}

template <class A>
using sbatch = xsimd::batch<std::int16_t, A>;

/// xsimd::select for int16 batches (same AVX-512BW problem as select_i32).
template <class A>
inline sbatch<A> select_i16(const xsimd::batch_bool<std::int16_t, A>& c, const sbatch<A>& a,
                            const sbatch<A>& b) noexcept {
#if XSIMD_WITH_AVX512BW
    if constexpr (is_avx512_arch<A>) {
        const __mmask32 m = c;
        const __m512i x = a, y = b;
        return _mm512_mask_blend_epi16(m, y, x);
    } else
#endif
    {
        return xsimd::select(c, a, b);
    }
}

/// Q15 saturating rounding doubling high multiply per int16 lane: floor((a*b + 2^14) / 2^15), INT16_MIN * INT16_MIN
/// saturating to INT16_MAX. x86: pmulhrsw is exactly the rounding product; its one overflow (0x8000) is flipped.
/// AArch64: sqrdmulh. Other targets: lane by lane.
template <class A>
inline sbatch<A> srdhm16(const sbatch<A>& a, const sbatch<A>& b) noexcept {
#if XSIMD_WITH_AVX512BW
    if constexpr (is_avx512_arch<A>) {
        const __m512i x = a, y = b;
        const __mmask32 overflow = _mm512_cmpeq_epi16_mask(x, y) & _mm512_cmpeq_epi16_mask(x, _mm512_set1_epi16(-32768));
        const __m512i r = _mm512_mulhrs_epi16(x, y);
        return _mm512_xor_si512(r, _mm512_movm_epi16(overflow));
    } else
#endif
#if XSIMD_WITH_AVX2
    if constexpr (is_avx2_arch<A>) {
        const __m256i x = a, y = b;
        const __m256i overflow =
            _mm256_and_si256(_mm256_cmpeq_epi16(x, y), _mm256_cmpeq_epi16(x, _mm256_set1_epi16(-32768)));
        return _mm256_xor_si256(_mm256_mulhrs_epi16(x, y), overflow);
    } else
#endif
#if XSIMD_WITH_SSSE3
    if constexpr (std::is_base_of_v<xsimd::ssse3, A> && sizeof(sbatch<A>) == 16) {
        const __m128i x = a, y = b;
        const __m128i overflow = _mm_and_si128(_mm_cmpeq_epi16(x, y), _mm_cmpeq_epi16(x, _mm_set1_epi16(-32768)));
        return _mm_xor_si128(_mm_mulhrs_epi16(x, y), overflow);
    } else
#endif
#if XSIMD_WITH_NEON64
    if constexpr (is_neon_arch<A>) {
        return vqrdmulhq_s16(a, b);
    } else
#endif
    {
        alignas(64) std::int16_t x[sbatch<A>::size], y[sbatch<A>::size];
        a.store_aligned(x);
        b.store_aligned(y);
        for (std::size_t i = 0; i < sbatch<A>::size; ++i) x[i] = saturating_rounding_doubling_high_mul(x[i], y[i]);
        return sbatch<A>::load_aligned(x);
    }
}

}  // namespace qnum::detail::simd

QNUM_INTRINSICS_END

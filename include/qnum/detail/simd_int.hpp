// qnum — what xsimd 8.1 lacks for qnum's element-wise kernels: narrowing stores and widening loads between int32
// batches and 8/16-bit storage, and exact float division on every architecture.
//
// xsimd 8.1 converts between element widths only through a scalar loop, so these helpers use each architecture's
// pack/extend instructions. They assume the int32 lanes already lie inside the storage type's range (the quantizer
// clamps first), so saturating packs act as plain truncation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "qnum/cpu.hpp"

QNUM_INTRINSICS_BEGIN

namespace qnum::detail::simd {

template <class A>
using ibatch = xsimd::batch<std::int32_t, A>;
template <class A>
using fbatch = xsimd::batch<float, A>;

template <class A>
inline constexpr bool is_avx512_arch = XSIMD_WITH_AVX512BW&& std::is_base_of_v<xsimd::avx512bw, A>;
template <class A>
inline constexpr bool is_avx2_arch = XSIMD_WITH_AVX2&& std::is_base_of_v<xsimd::avx2, A> && !is_avx512_arch<A>;
template <class A>
inline constexpr bool is_sse_arch = XSIMD_WITH_SSE2&& std::is_base_of_v<xsimd::sse2, A> && sizeof(ibatch<A>) == 16;
template <class A>
inline constexpr bool is_neon_arch = XSIMD_WITH_NEON64&& std::is_base_of_v<xsimd::neon64, A>;

/// a / b correctly rounded (IEEE division). xsimd 8.1 divides float batches on AArch64 with a reciprocal estimate
/// and Newton steps, which is off by an ulp near ties; vdivq_f32 is exact.
template <class A>
inline fbatch<A> divide(const fbatch<A>& a, const fbatch<A>& b) noexcept {
#if XSIMD_WITH_NEON64
    if constexpr (is_neon_arch<A>) return vdivq_f32(a, b);
#endif
    return a / b;
}

/// Stores the lanes of `v` (each within T's range) as T at dst (unaligned).
template <class T, class A>
inline void store_narrow(T* dst, const ibatch<A>& v) noexcept {
    static_assert(std::is_integral_v<T> && sizeof(T) <= 2, "store_narrow: 8- or 16-bit storage only");
    constexpr bool is8 = sizeof(T) == 1;
    [[maybe_unused]] constexpr bool uns = std::is_unsigned_v<T>;
#if XSIMD_WITH_AVX512BW
    if constexpr (is_avx512_arch<A>) {
        const __m512i r = v;
        if constexpr (is8)
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(r));
        else
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_cvtepi32_epi16(r));
        return;
    }
#endif
#if XSIMD_WITH_AVX2
    if constexpr (is_avx2_arch<A>) {
        const __m256i r = v;
        const __m128i lo = _mm256_castsi256_si128(r), hi = _mm256_extracti128_si256(r, 1);
        const __m128i w = (uns && !is8) ? _mm_packus_epi32(lo, hi) : _mm_packs_epi32(lo, hi);
        if constexpr (is8) {
            const __m128i b = uns ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w);
            _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), b);
        } else {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), w);
        }
        return;
    }
#endif
#if XSIMD_WITH_SSE2
    if constexpr (is_sse_arch<A>) {
        const __m128i r = v;
        if constexpr (is8) {
            const __m128i w = _mm_packs_epi32(r, r);  // 0..255 fits int16, so signed packing is exact here
            const __m128i b = uns ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w);
            const int bits = _mm_cvtsi128_si32(b);
            std::memcpy(dst, &bits, 4);
        } else if constexpr (uns) {
            // SSE2 has no unsigned dword->word pack: bias into int16 range, pack, un-bias.
            const __m128i w = _mm_packs_epi32(_mm_sub_epi32(r, _mm_set1_epi32(32768)), _mm_setzero_si128());
            _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_xor_si128(w, _mm_set1_epi16(-32768)));
        } else {
            _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_packs_epi32(r, r));
        }
        return;
    }
#endif
#if XSIMD_WITH_NEON64
    if constexpr (is_neon_arch<A>) {
        const int32x4_t r = v;
        if constexpr (is8) {
            const int16x4_t w = vmovn_s32(r);
            const int8x8_t b = vmovn_s16(vcombine_s16(w, w));
            std::int32_t bits = vget_lane_s32(vreinterpret_s32_s8(b), 0);
            std::memcpy(dst, &bits, 4);
        } else {
            vst1_s16(reinterpret_cast<std::int16_t*>(dst), vmovn_s32(r));
        }
        return;
    }
#endif
    alignas(64) std::int32_t lanes[ibatch<A>::size];
    v.store_aligned(lanes);
    for (std::size_t i = 0; i < ibatch<A>::size; ++i) dst[i] = static_cast<T>(lanes[i]);
}

/// Loads ibatch<A>::size values of T from src (unaligned), sign- or zero-extended to int32.
template <class T, class A>
inline ibatch<A> load_widen(const T* src) noexcept {
    static_assert(std::is_integral_v<T> && sizeof(T) <= 2, "load_widen: 8- or 16-bit storage only");
    constexpr bool is8 = sizeof(T) == 1;
    [[maybe_unused]] constexpr bool uns = std::is_unsigned_v<T>;
#if XSIMD_WITH_AVX512BW
    if constexpr (is_avx512_arch<A>) {
        if constexpr (is8) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
            return uns ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
        } else {
            const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
            return uns ? _mm512_cvtepu16_epi32(w) : _mm512_cvtepi16_epi32(w);
        }
    }
#endif
#if XSIMD_WITH_AVX2
    if constexpr (is_avx2_arch<A>) {
        if constexpr (is8) {
            const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
            return uns ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b);
        } else {
            const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
            return uns ? _mm256_cvtepu16_epi32(w) : _mm256_cvtepi16_epi32(w);
        }
    }
#endif
#if XSIMD_WITH_SSE2
    if constexpr (is_sse_arch<A>) {
        __m128i w;
        if constexpr (is8) {
            std::int32_t bits;
            std::memcpy(&bits, src, 4);
            const __m128i b = _mm_cvtsi32_si128(bits);
            w = uns ? _mm_unpacklo_epi8(b, _mm_setzero_si128()) : _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8);
        } else {
            w = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
        }
        if constexpr (uns)
            return _mm_unpacklo_epi16(w, _mm_setzero_si128());
        else
            return _mm_srai_epi32(_mm_unpacklo_epi16(w, w), 16);
    }
#endif
#if XSIMD_WITH_NEON64
    if constexpr (is_neon_arch<A>) {
        if constexpr (is8) {
            std::int32_t bits;
            std::memcpy(&bits, src, 4);
            const int8x8_t b = vreinterpret_s8_s32(vdup_n_s32(bits));
            if constexpr (uns)
                return vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_s8(b)))));
            else
                return vmovl_s16(vget_low_s16(vmovl_s8(b)));
        } else {
            if constexpr (uns)
                return vreinterpretq_s32_u32(vmovl_u16(vld1_u16(reinterpret_cast<const std::uint16_t*>(src))));
            else
                return vmovl_s16(vld1_s16(reinterpret_cast<const std::int16_t*>(src)));
        }
    }
#endif
    alignas(64) std::int32_t lanes[ibatch<A>::size];
    for (std::size_t i = 0; i < ibatch<A>::size; ++i) lanes[i] = src[i];
    return ibatch<A>::load_aligned(lanes);
}

}  // namespace qnum::detail::simd

QNUM_INTRINSICS_END

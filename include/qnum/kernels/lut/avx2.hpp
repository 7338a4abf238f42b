// qnum — table look-up kernels for AVX2 (runtime-dispatched; compiled per function with QNUM_TARGET_AVX2).
//
// 8-bit tables: vpshufb looks up 16 entries at a time and returns 0 for index bytes with bit 7 set; it reads only
// bits 7 and 0..3 of each index. Let T_0..T_15 be the 16-entry sub-tables, u the input byte, h = u >> 4, and run one
// chain idx_0 = u, idx_k = idx_{k-1} - 16, XOR-accumulating vpshufb(d_k, idx_k), the subtraction wrapping for
// k <= 8 and saturating after. For u < 128, idx_k is non-negative exactly for k <= h (then negative for good), so
// d_k = T_k ^ T_{k-1} (k < 8) telescopes to T_h. For u >= 128, the wrapped idx_k (k < 8) is non-negative exactly for
// h - 8 < k <= 7, giving T_7 ^ T_{h-8}; idx_8 = u - 128 and the steps 8..8+(h-8) are active, so
// d_{8+j} = W_j ^ W_{j-1} with W_j = T_{8+j} ^ T_7 ^ T_j leaves T_h. 16 shuffles, 15 subtractions and 15 XORs per
// 32 bytes, no gathers and no blend (XNNPACK's AVX2 kernel uses the same idea).
//
// 16-bit interpolated tables: one 64-bit load of the knot pair (t[i], t[i+1]) per code, by scalar loads inserted into
// vectors (faster than vpgatherdq / vpgatherdd, which Zen 4 microcodes; segmented tables load their block parameters
// the same way), then the integer interpolation of kernels/lut/scalar.hpp with per-lane variable shifts
// (vpsllvd / vpsravd).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qnum/cpu.hpp"
#include "qnum/kernels/lut/scalar.hpp"

#if QNUM_HAS_X86_KERNELS
#include <immintrin.h>

namespace qnum::detail {

/// Looks up the largest multiple of 32 bytes of x (see the file comment); returns how many bytes were done.
QNUM_TARGET_AVX2 inline std::size_t lut8_avx2(const std::uint8_t* x, std::uint8_t* y, std::size_t n,
                                              const std::uint8_t* table) noexcept {
    auto sub = [table](int k) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * k)); };
    __m256i d[16];
    d[0] = _mm256_broadcastsi128_si256(sub(0));
    for (int k = 1; k < 8; ++k) d[k] = _mm256_broadcastsi128_si256(_mm_xor_si128(sub(k), sub(k - 1)));
    // W_j = U_j ^ T_7 ^ T_j (U_j = sub-table 8 + j), d[8 + j] = W_j ^ W_{j-1}: see the file comment
    __m128i w_prev = _mm_setzero_si128();
    for (int j = 0; j < 8; ++j) {
        const __m128i w = _mm_xor_si128(sub(8 + j), _mm_xor_si128(sub(7), sub(j)));
        d[8 + j] = _mm256_broadcastsi128_si256(_mm_xor_si128(w, w_prev));
        w_prev = w;
    }
    const __m256i sixteen = _mm256_set1_epi8(16);
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
        __m256i r = _mm256_shuffle_epi8(d[0], idx);
        for (int k = 1; k <= 8; ++k) {  // wrapping: u >= 128 reaches u - 128 in [0, 127] after 8 steps
            idx = _mm256_sub_epi8(idx, sixteen);
            r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[k], idx));
        }
        for (int k = 9; k < 16; ++k) {  // saturating: u < 128 stays negative (inactive) from here on
            idx = _mm256_subs_epi8(idx, sixteen);
            r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[k], idx));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), r);
    }
    return i;
}

/// Table position (i, r, s) of 8 keys (32-bit lanes) under the index rule Index, as in kernels/lut/scalar.hpp.
template <class Index>
struct interp_avx2;

template <>
struct interp_avx2<uniform_index> {
    QNUM_TARGET_AVX2 static void position(const uniform_index&, __m256i key, __m256i& i, __m256i& r, __m256i& s) {
        i = _mm256_srli_epi32(key, uniform_index::shift);
        r = _mm256_and_si256(key, _mm256_set1_epi32(127));
        s = _mm256_set1_epi32(uniform_index::shift);
    }
};

template <>
struct interp_avx2<segmented_index> {
    QNUM_TARGET_AVX2 static void position(const segmented_index& ix, __m256i key, __m256i& i, __m256i& r,
                                          __m256i& s) {
        // Block parameters by scalar loads: 8 loads + inserts beat Zen 4's microcoded 32-bit gather here.
        alignas(32) std::uint32_t k[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(k), key);
        const std::int32_t* pr = ix.params;
        const __m128i p_lo = _mm_setr_epi32(pr[k[0] >> 8], pr[k[1] >> 8], pr[k[2] >> 8], pr[k[3] >> 8]);
        const __m128i p_hi = _mm_setr_epi32(pr[k[4] >> 8], pr[k[5] >> 8], pr[k[6] >> 8], pr[k[7] >> 8]);
        const __m256i p = _mm256_inserti128_si256(_mm256_castsi128_si256(p_lo), p_hi, 1);
        s = _mm256_and_si256(p, _mm256_set1_epi32(15));
        const __m256i within = _mm256_and_si256(key, _mm256_set1_epi32(255));
        const __m256i q = _mm256_srlv_epi32(within, s);
        i = _mm256_add_epi32(_mm256_srli_epi32(p, 4), q);
        r = _mm256_sub_epi32(within, _mm256_sllv_epi32(q, s));
    }
};

/// Interpolated, clamped outputs of 8 keys (32-bit lanes).
template <class Index>
QNUM_TARGET_AVX2 inline __m256i interp8_avx2(__m256i key, const std::int32_t* t, const Index& ix, __m256i lo,
                                             __m256i hi) {
    __m256i i, r, s;
    interp_avx2<Index>::position(ix, key, i, r, s);
    // One 64-bit load per code fetches the knot pair (t[i], t[i+1]): half the loads of two 32-bit gathers.
    alignas(32) std::uint32_t at[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(at), i);
    auto pair = [t](std::uint32_t j) {
        long long v;
        std::memcpy(&v, t + j, sizeof v);
        return v;
    };
    const __m256i g0 = _mm256_setr_epi64x(pair(at[0]), pair(at[1]), pair(at[2]), pair(at[3]));  // codes 0..3
    const __m256i g1 = _mm256_setr_epi64x(pair(at[4]), pair(at[5]), pair(at[6]), pair(at[7]));  // codes 4..7
    // even dwords are t[i], odd ones t[i+1]; the shuffle leaves codes in order 0 1 4 5 | 2 3 6 7, undone by vpermd
    const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    const __m256i a = _mm256_permutevar8x32_epi32(
        _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(g0), _mm256_castsi256_ps(g1), 0x88)), order);
    const __m256i b = _mm256_permutevar8x32_epi32(
        _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(g0), _mm256_castsi256_ps(g1), 0xDD)), order);
    __m256i acc = _mm256_add_epi32(_mm256_sllv_epi32(a, s), _mm256_mullo_epi32(_mm256_sub_epi32(b, a), r));
    acc = _mm256_add_epi32(acc, _mm256_sllv_epi32(_mm256_set1_epi32(1 << (interp_frac_bits - 1)), s));
    const __m256i y = _mm256_srav_epi32(acc, _mm256_add_epi32(s, _mm256_set1_epi32(interp_frac_bits)));
    return _mm256_min_epi32(_mm256_max_epi32(y, lo), hi);
}

/// Interpolated look-up of the largest multiple of 16 codes of x; returns how many were done.
template <class In, class Out, class Index>
QNUM_TARGET_AVX2 std::size_t interp16_avx2(const In* x, Out* y, std::size_t n, const std::int32_t* t,
                                           const Index& ix, std::int32_t qmin, std::int32_t qmax) noexcept {
    const __m256i lo = _mm256_set1_epi32(qmin), hi = _mm256_set1_epi32(qmax);
    std::size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + k));
        __m256i k0, k1;
        if constexpr (std::is_signed_v<In>) {  // key = q + 32768 = q ^ 0x8000 as unsigned 16 bits
            const __m256i u = _mm256_xor_si256(v, _mm256_set1_epi16(static_cast<short>(0x8000)));
            k0 = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(u));
            k1 = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(u, 1));
        } else {
            k0 = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(v));
            k1 = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(v, 1));
        }
        const __m256i y0 = interp8_avx2(k0, t, ix, lo, hi), y1 = interp8_avx2(k1, t, ix, lo, hi);
        // Values are already in Out's range, so the saturating packs are exact; fix the lane interleave after.
        const __m256i packed =
            std::is_signed_v<Out> ? _mm256_packs_epi32(y0, y1) : _mm256_packus_epi32(y0, y1);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + k), _mm256_permute4x64_epi64(packed, 0xD8));
    }
    return k;
}

}  // namespace qnum::detail
#endif

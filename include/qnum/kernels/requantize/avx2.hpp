// qnum — requantization kernels for AVX2 (runtime-dispatched with per-function target attributes, so they are
// available in baseline x86-64 builds). Each equals kernels/requantize/scalar.hpp bit for bit; the identities used
// are stated where they are used. Handles whole blocks of 32 elements and returns how many it did; the caller
// finishes the tail with the scalar reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/cpu.hpp"
#include "qnum/kernels/requantize/scalar.hpp"

#if QNUM_HAS_X86_KERNELS
#include <immintrin.h>
#endif

namespace qnum::detail {

/// One channel in the form the SIMD kernels consume: acc' = saturating acc * 2^shl, then the method's rescale with
/// multiplier mul and right shift shr, or fp32's float scale.
struct requant_simd_channel {
    std::int32_t shl, mul, shr;
    float scale;
};

/// Eight consecutive channels' multipliers and right shifts: one 64-byte line, two aligned vector loads. Per-channel
/// kernels stream through an array of these (and, only when some channel shifts left or the method is fp32, through
/// arrays of 8-lane shl / scale vectors).
struct alignas(64) requant_channel_group {
    std::int32_t mul[8], shr[8];
};
/// Eight int32 or float lanes, vector aligned.
struct alignas(32) requant_lanes_i32 {
    std::int32_t v[8];
};
struct alignas(32) requant_lanes_f32 {
    float v[8];
};

/// SIMD form of one channel.
/// Double rounding and power_of_two: shl = max(shift, 0), shr = max(-shift, 0); the kernels evaluate
/// rounding_divide_by_pot(t, e) as (y >> e) + ((y >> (e - 1)) & 1) with y = t - (t < 0): for t >= 0 that is
/// floor((t + 2^(e-1)) / 2^e), for t < 0 it is ceil((t - 2^(e-1)) / 2^e), i.e. ties away from zero; for e = 0 the
/// count e - 1 = 0xFFFFFFFF makes the AVX2 shift fill with the sign bit, adding back the 1 taken from negative t.
/// y cannot overflow because t = SRDHM(x, M) > INT32_MIN for M <= 2^31 - 1 (power_of_two uses the masked form).
/// Single rounding / rndnu: t = floor(x' * M / 2^31) followed by a rounding right shift by r >= 1 with ties up,
/// (t >> r) + ((t >> (r - 1)) & 1), which equals floor((x*M*2^l + 2^(30+r)) / 2^(31+r)) because 2^(30+r) is a
/// multiple of 2^31 for r >= 1 and nested floor divisions compose. Shifts >= 0 therefore run as a left shift by
/// shift + 1 and r = 1. A left shift that saturates only happens when |x * 2^l| >= 2^31 with M >= 2^30, so the exact
/// result has magnitude >= 2^29 with the sign of the saturated one: the <= 16-bit clamp that follows maps both to
/// the same bound (M = 0 gives 0 either way).
template <class Method>
inline requant_simd_channel make_simd_channel(const requant_channel& ch) noexcept {
    requant_simd_channel s{0, ch.qm.multiplier, 0, ch.scale};
    const int shift = ch.qm.shift;
    if constexpr (std::is_same_v<Method, single_rounding> || std::is_same_v<Method, rndnu>) {
        s.shl = shift >= 0 ? shift + 1 : 0;
        s.shr = shift >= 0 ? 1 : -shift;
    } else {
        s.shl = shift > 0 ? shift : 0;
        s.shr = shift > 0 ? 0 : -shift;
    }
    return s;
}

#if QNUM_HAS_X86_KERNELS
namespace avx2 {

/// x * 2^n saturated per lane (n in [0, 31]): the shift is exact iff shifting back restores x.
QNUM_TARGET_AVX2 inline __m256i saturating_shl(__m256i x, __m256i n) noexcept {
    const __m256i shifted = _mm256_sllv_epi32(x, n);
    const __m256i exact = _mm256_cmpeq_epi32(_mm256_srav_epi32(shifted, n), x);
    const __m256i saturated = _mm256_xor_si256(_mm256_srai_epi32(x, 31), _mm256_set1_epi32(0x7FFFFFFF));
    return _mm256_blendv_epi8(saturated, shifted, exact);
}

/// a + b saturated per lane: overflow iff both operands' signs differ from the wrapped sum's.
QNUM_TARGET_AVX2 inline __m256i saturating_add(__m256i a, __m256i b) noexcept {
    const __m256i sum = _mm256_add_epi32(a, b);
    const __m256i overflow = _mm256_and_si256(_mm256_xor_si256(a, sum), _mm256_xor_si256(b, sum));
    const __m256i saturated = _mm256_xor_si256(_mm256_srai_epi32(a, 31), _mm256_set1_epi32(0x7FFFFFFF));
    // blendv_ps picks per 32-bit lane by its sign bit, which is the overflow flag
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(sum), _mm256_castsi256_ps(saturated),
                                                 _mm256_castsi256_ps(overflow)));
}

/// floor((x*m + round) / 2^31) per lane, round a 64-bit constant (0 or 2^30); the result must fit int32 (it does
/// unless x = m = INT32_MIN, handled by the caller where it can occur). Even lanes: the 64-bit product shifted right
/// by 31 leaves bits 31..62 in the low half; odd lanes: shifted left by 1 leaves them in the high half.
QNUM_TARGET_AVX2 inline __m256i mul_high_q31(__m256i x, __m256i m, __m256i m_odd, __m256i round) noexcept {
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m), round);
    const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_shuffle_epi32(x, 0xF5), m_odd), round);
    return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
}

/// rounding_divide_by_pot per lane, any x: (x >> e) + (remainder > mask/2 + (x < 0)), mask = 2^e - 1.
QNUM_TARGET_AVX2 inline __m256i rounding_divide_by_pot(__m256i x, __m256i e) noexcept {
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, e), one);
    const __m256i threshold = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_srai_epi32(x, 31));
    return _mm256_sub_epi32(_mm256_srav_epi32(x, e), _mm256_cmpgt_epi32(_mm256_and_si256(x, mask), threshold));
}

/// floor((y + 2^(r-1)) / 2^r) per lane, without overflow: (y >> r) + bit r-1 of y (r - 1 = -1: the sign bit).
QNUM_TARGET_AVX2 inline __m256i rounding_shr(__m256i y, __m256i r) noexcept {
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i bit = _mm256_and_si256(_mm256_srav_epi32(y, _mm256_sub_epi32(r, one)), one);
    return _mm256_add_epi32(_mm256_srav_epi32(y, r), bit);
}

/// The eight lanes' channel parameters as registers.
struct lanes {
    __m256i shl, mul, mul_odd, shr;
    __m256 scale;
};

QNUM_TARGET_AVX2 inline lanes broadcast(const requant_simd_channel& c) noexcept {
    return {_mm256_set1_epi32(c.shl), _mm256_set1_epi32(c.mul), _mm256_set1_epi32(c.mul), _mm256_set1_epi32(c.shr),
            _mm256_set1_ps(c.scale)};
}

/// Per-channel parameter arrays (8-channel groups), as kept by requantizer.
struct channel_tables {
    const requant_channel_group* groups;
    const requant_lanes_i32* shl;
    const requant_lanes_f32* scale;
};

QNUM_TARGET_AVX2 inline __m256i ld(const std::int32_t* p) noexcept {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
}

/// Loads group g's parameters (only those `Method` uses).
template <class Method, bool LeftShift>
QNUM_TARGET_AVX2 inline lanes load_lanes(const channel_tables& t, std::size_t g) noexcept {
    lanes l{};
    if constexpr (std::is_same_v<Method, fp32>) {
        l.scale = _mm256_load_ps(t.scale[g].v);
    } else {
        if constexpr (LeftShift) l.shl = ld(t.shl[g].v);
        l.shr = ld(t.groups[g].shr);
        if constexpr (!std::is_same_v<Method, power_of_two>) {
            l.mul = ld(t.groups[g].mul);
            l.mul_odd = _mm256_shuffle_epi32(l.mul, 0xF5);
        }
    }
    return l;
}

/// Rescale and output stage of 8 accumulators: int32 lanes clamped and offset by the zero point.
template <class Method, bool LeftShift>
QNUM_TARGET_AVX2 inline __m256i requant8(__m256i x, const lanes& l, __m256i lo_zp, __m256i hi_zp,
                                         __m256i zp) noexcept {
    if constexpr (std::is_same_v<Method, fp32>) {
        // float(acc) rounds to nearest-even like the scalar cast; no FMA can form (one multiply only).
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(x), l.scale);
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_cvtepi32_ps(lo_zp)), _mm256_cvtepi32_ps(hi_zp));
        return _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);  // cvtps: current rounding mode, like nearbyint
    } else {
        if constexpr (LeftShift) x = saturating_shl(x, l.shl);
        if constexpr (std::is_same_v<Method, double_rounding>) {
            // The multiplier is never INT32_MIN, so the SRDHM saturation case cannot occur, and t > INT32_MIN.
            const __m256i t = mul_high_q31(x, l.mul, l.mul_odd, _mm256_set1_epi64x(std::int64_t{1} << 30));
            x = rounding_shr(_mm256_add_epi32(t, _mm256_srai_epi32(t, 31)), l.shr);
        } else if constexpr (std::is_same_v<Method, power_of_two>) {
            x = rounding_divide_by_pot(x, l.shr);
        } else {
            x = rounding_shr(mul_high_q31(x, l.mul, l.mul_odd, _mm256_setzero_si256()), l.shr);
        }
        return _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(x, lo_zp), hi_zp), zp);
    }
}

/// Narrows four vectors of in-range int32 to 32 outputs in order and stores them.
template <class Out>
QNUM_TARGET_AVX2 inline void store32(Out* out, __m256i a, __m256i b, __m256i c, __m256i d) noexcept {
    if constexpr (sizeof(Out) == 1) {
        // packs interleave 128-bit lanes: dword groups come out as a0 b0 c0 d0 | a1 b1 c1 d1 (4 bytes each); the
        // permute restores a0 a1 b0 b1 c0 c1 d0 d1.
        const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        const __m256i bytes = std::is_signed_v<Out> ? _mm256_packs_epi16(ab, cd) : _mm256_packus_epi16(ab, cd);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                            _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    } else {
        const __m256i ab = std::is_signed_v<Out> ? _mm256_packs_epi32(a, b) : _mm256_packus_epi32(a, b);
        const __m256i cd = std::is_signed_v<Out> ? _mm256_packs_epi32(c, d) : _mm256_packus_epi32(c, d);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute4x64_epi64(ab, 0xD8));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), _mm256_permute4x64_epi64(cd, 0xD8));
    }
}

/// Requantizes the first floor(n / 32) * 32 elements; returns that count. PerChannel: element i uses the channel
/// at lane i % 8 of group g0 + i / 8 of `tables`; otherwise `single` for all. LeftShift: some channel has a non-zero
/// left shift.
template <class Out, class Method, bool PerChannel, bool LeftShift>
QNUM_TARGET_AVX2 std::size_t requant_run(const std::int32_t* acc, const std::int32_t* bias, Out* out, std::size_t n,
                                         const channel_tables& tables, std::size_t g0,
                                         const requant_simd_channel& single, const requant_output& o) noexcept {
    const __m256i lo_zp = _mm256_set1_epi32(o.lo - o.zero_point), hi_zp = _mm256_set1_epi32(o.hi - o.zero_point);
    const __m256i zp = _mm256_set1_epi32(o.zero_point);
    const lanes fixed = broadcast(single);
    const std::size_t blocks = n / 32 * 32;
    for (std::size_t i = 0; i < blocks; i += 32) {
        __m256i r[4];
        for (int k = 0; k < 4; ++k) {
            __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i + 8 * k));
            if (bias) x = saturating_add(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + i + 8 * k)));
            if constexpr (PerChannel) {
                r[k] = requant8<Method, LeftShift>(x, load_lanes<Method, LeftShift>(tables, g0 + i / 8 + k), lo_zp, hi_zp, zp);
            } else {
                r[k] = requant8<Method, LeftShift>(x, fixed, lo_zp, hi_zp, zp);
            }
        }
        store32(out + i, r[0], r[1], r[2], r[3]);
    }
    return blocks;
}

}  // namespace avx2
#endif  // QNUM_HAS_X86_KERNELS

}  // namespace qnum::detail

// qnum — GEMM microkernels for AVX2: pmaddubsw + pmaddwd for 8-bit when it provably cannot saturate, an exact
// widening pmaddwd kernel for 8-bit otherwise, and pmaddwd for 16-bit.
//
// The maddubs hazard: pmaddubsw adds two u8 x s8 products into a *saturating* int16, so 255 * -128 * 2 = -65280
// becomes -32768 and the GEMM is silently wrong. qnum's strategy: the driver measures the operands (A per row block
// while computing its row sums, B once at packing) and uses pmaddubsw only when 2 * max(u) * max|s| <= 32767, where
// u is the packed B' (B + 128 for s8s8/u8s8, B for u8u8) and s the A' in the signed slot (A, or A - 128 for uint8
// A): e.g. s8s8 with |A| <= 64, or uint8 A within [64, 192]. Otherwise it runs gemm_avx2_widen8, which sign-extends
// both operands to int16 and uses pmaddwd (exact; its only wrap case, -32768 * -32768 * 2, cannot occur with 8-bit
// inputs). Both therefore equal the scalar reference bit for bit. The kernels cover a 32-column panel as two halves
// of 16 columns, each a full sweep over K.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qnum/cpu.hpp"
#include "qnum/gemm_pack.hpp"

#if QNUM_HAS_X86_KERNELS
#include <immintrin.h>

namespace qnum::detail {

QNUM_INTRINSICS_BEGIN

/// pmaddubsw + pmaddwd(1): exact only when no int16 pair sum saturates (the driver checks the operand ranges).
template <class TA, class TB>
struct gemm_avx2_maddubs {
    static constexpr int mr = 4, acc_per_row = 2, b_regs = 2;
    QNUM_TARGET_AVX2 static __m256i prep_a(std::int32_t raw) { return _mm256_set1_epi32(raw); }
    QNUM_TARGET_AVX2 static void load_b(const char* p, __m256i* b) {
        b[0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
        b[1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(p + 32));
    }
    QNUM_TARGET_AVX2 static void mac(__m256i* acc, __m256i a, const __m256i* b) {
        const __m256i ones = _mm256_set1_epi16(1);
        for (int v = 0; v < 2; ++v) {
            const __m256i pairs =
                gemm_traits<TA, TB>::a_unsigned ? _mm256_maddubs_epi16(a, b[v]) : _mm256_maddubs_epi16(b[v], a);
            acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(pairs, ones));
        }
    }
    QNUM_TARGET_AVX2 static void finish(const __m256i* acc, std::int32_t* out) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), acc[0]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), acc[1]);
    }
};

/// 8-bit operands widened to int16, then pmaddwd: exact for every input. Accumulates pairs (k0k1, k2k3) per column
/// and adds them at the end.
template <class TA, class TB>
struct gemm_avx2_widen8 {
    static constexpr int mr = 2, acc_per_row = 4, b_regs = 4;
    QNUM_TARGET_AVX2 static __m256i prep_a(std::int32_t raw) {
        const __m128i bytes = _mm_cvtsi32_si128(raw);
        const __m128i wide = (std::is_signed_v<TA> || gemm_traits<TA, TB>::a_shift != 0)  // u8 A arrives as A - 128
                                 ? _mm_cvtepi8_epi16(bytes)
                                 : _mm_cvtepu8_epi16(bytes);
        return _mm256_broadcastq_epi64(wide);
    }
    QNUM_TARGET_AVX2 static void load_b(const char* p, __m256i* b) {
        for (int q = 0; q < 4; ++q) {
            const __m128i bytes = _mm_load_si128(reinterpret_cast<const __m128i*>(p + 16 * q));
            b[q] = std::is_signed_v<typename gemm_traits<TA, TB>::packed> ? _mm256_cvtepi8_epi16(bytes)
                                                                          : _mm256_cvtepu8_epi16(bytes);
        }
    }
    QNUM_TARGET_AVX2 static void mac(__m256i* acc, __m256i a, const __m256i* b) {
        for (int q = 0; q < 4; ++q) acc[q] = _mm256_add_epi32(acc[q], _mm256_madd_epi16(a, b[q]));
    }
    QNUM_TARGET_AVX2 static void finish(const __m256i* acc, std::int32_t* out) {
        for (int h = 0; h < 2; ++h) {  // [c0 c1 c4 c5 | c2 c3 c6 c7] -> columns in order
            const __m256i sums = _mm256_hadd_epi32(acc[2 * h], acc[2 * h + 1]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * h), _mm256_permute4x64_epi64(sums, 0xD8));
        }
    }
};

/// 16-bit: pmaddwd on (k0, k1) pairs. Its single wrap case (-32768 * -32768 * 2) wraps modulo 2^32 like the reference.
template <class TA, class TB>
struct gemm_avx2_madd16 {
    static constexpr int mr = 4, acc_per_row = 2, b_regs = 2;
    QNUM_TARGET_AVX2 static __m256i prep_a(std::int32_t raw) { return _mm256_set1_epi32(raw); }
    QNUM_TARGET_AVX2 static void load_b(const char* p, __m256i* b) { gemm_avx2_maddubs<TA, TB>::load_b(p, b); }
    QNUM_TARGET_AVX2 static void mac(__m256i* acc, __m256i a, const __m256i* b) {
        for (int v = 0; v < 2; ++v) acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(a, b[v]));
    }
    QNUM_TARGET_AVX2 static void finish(const __m256i* acc, std::int32_t* out) {
        gemm_avx2_maddubs<TA, TB>::finish(acc, out);
    }
};

/// The AVX2 microkernel for a policy above; same contract as gemm_kernel_scalar (MR <= Policy::mr rows).
template <int MR, class TA, class TB, class Policy>
QNUM_TARGET_AVX2 void gemm_kernel_avx2(std::size_t groups, const TA* a, std::size_t lda, std::size_t a_group_stride,
                                       const typename gemm_traits<TA, TB>::packed* b, const std::int32_t* a_tail,
                                       std::int32_t* tile, std::size_t ldt, bool accumulate,
                                       const std::uint32_t* row_term, const std::uint32_t* col_term) {
    constexpr int n_acc = Policy::acc_per_row;
    const std::size_t row_bytes = lda * sizeof(TA), group_bytes = a_group_stride * sizeof(TA);
    for (int half = 0; half < 2; ++half) {
        __m256i acc[MR][n_acc];
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r)
            for (int v = 0; v < n_acc; ++v) acc[r][v] = _mm256_setzero_si256();
        const char* ap = reinterpret_cast<const char*>(a);
        const char* bp = reinterpret_cast<const char*>(b) + 64 * half;
        __m256i bv[Policy::b_regs];
        for (std::size_t g = 0; g < groups; ++g, ap += group_bytes, bp += 128) {
            Policy::load_b(bp, bv);
#pragma GCC unroll 16
            for (int r = 0; r < MR; ++r) {
                std::int32_t raw;
                std::memcpy(&raw, ap + r * row_bytes, 4);
                Policy::mac(acc[r], Policy::prep_a(raw), bv);
            }
        }
        if (a_tail) {
            Policy::load_b(bp, bv);
#pragma GCC unroll 16
            for (int r = 0; r < MR; ++r) Policy::mac(acc[r], Policy::prep_a(a_tail[r]), bv);
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            std::int32_t* out = tile + r * ldt + 16 * half;
            if (accumulate) {  // policies keep partial sums in their own lane order: finish first, then add
                alignas(32) std::int32_t part[16];
                Policy::finish(acc[r], part);
                for (int q = 0; q < 2; ++q) {
                    __m256i* t = reinterpret_cast<__m256i*>(out + 8 * q);
                    _mm256_storeu_si256(
                        t, _mm256_add_epi32(_mm256_loadu_si256(t),
                                            _mm256_load_si256(reinterpret_cast<const __m256i*>(part + 8 * q))));
                }
            } else {
                Policy::finish(acc[r], out);
            }
        }
    }
    if (row_term)
        for (int r = 0; r < MR; ++r) {
            const __m256i rt = _mm256_set1_epi32(static_cast<std::int32_t>(row_term[r]));
            for (int q = 0; q < 4; ++q) {
                __m256i* t = reinterpret_cast<__m256i*>(tile + r * ldt + 8 * q);
                const __m256i ct = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_term + 8 * q));
                _mm256_storeu_si256(t, _mm256_sub_epi32(_mm256_loadu_si256(t), _mm256_add_epi32(rt, ct)));
            }
        }
}

/// gemm_pack_a for a full 8-row tile: 8 groups (32 bytes) of each row per step, an 8 x 8 transpose of 32-bit words
/// (unpack 32 / unpack 64 / permute 128), optionally xor 0x80 (u8 A -> A - 128). Returns the groups done; the
/// caller packs the rest (and the K tail) with the scalar gemm_pack_a.
template <class TA, bool Flip>
QNUM_TARGET_AVX2 std::size_t gemm_pack_a8_avx2(const TA* a, std::size_t lda, std::size_t full_groups, TA* out) {
    const char* src = reinterpret_cast<const char*>(a);
    char* dst = reinterpret_cast<char*>(out);
    const std::size_t row_bytes = lda * sizeof(TA);
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    std::size_t g = 0;
    for (; g + 8 <= full_groups; g += 8) {
        __m256i r[8];
        for (int i = 0; i < 8; ++i) {
            r[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i * row_bytes + g * 4));
            if (Flip) r[i] = _mm256_xor_si256(r[i], flip);
        }
        __m256i t[8], u[8];
        for (int i = 0; i < 4; ++i) {
            t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
        }
        for (int h = 0; h < 2; ++h) {  // rows 0-3 (h = 0) and 4-7 (h = 1)
            u[4 * h + 0] = _mm256_unpacklo_epi64(t[4 * h + 0], t[4 * h + 2]);
            u[4 * h + 1] = _mm256_unpackhi_epi64(t[4 * h + 0], t[4 * h + 2]);
            u[4 * h + 2] = _mm256_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);
            u[4 * h + 3] = _mm256_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);
        }
        for (int q = 0; q < 4; ++q) {  // group g + q from the low lanes, g + 4 + q from the high lanes
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (g + q) * 32),
                                _mm256_permute2x128_si256(u[q], u[4 + q], 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (g + 4 + q) * 32),
                                _mm256_permute2x128_si256(u[q], u[4 + q], 0x31));
        }
    }
    return g;
}

/// Exact sum of one row of A: psadbw for bytes (signed bytes biased by 128 first), pmaddwd by 1 for int16.
template <class TA>
QNUM_TARGET_AVX2 std::int64_t gemm_row_sum_avx2(const TA* row, std::size_t k) {
    std::size_t i = 0;
    std::int64_t total = 0;
    if constexpr (sizeof(TA) == 1) {
        const __m256i zero = _mm256_setzero_si256(), bias = _mm256_set1_epi8(static_cast<char>(0x80));
        __m256i acc = _mm256_setzero_si256();  // 4 x uint64
        for (; i + 32 <= k; i += 32) {
            __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + i));
            if (std::is_signed_v<TA>) x = _mm256_xor_si256(x, bias);
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(x, zero));
        }
        alignas(32) std::int64_t lanes[4];
        _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
        total = lanes[0] + lanes[1] + lanes[2] + lanes[3];
        if (std::is_signed_v<TA>) total -= 128 * static_cast<std::int64_t>(i);
    } else {
        const __m256i ones = _mm256_set1_epi16(1);
        while (i + 16 <= k) {
            __m256i acc = _mm256_setzero_si256();  // 8 x int32; <= 4096 elements per chunk cannot overflow
            for (std::size_t end = std::min(k - 15, i + 4096); i < end; i += 16)
                acc = _mm256_add_epi32(
                    acc, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + i)), ones));
            alignas(32) std::int32_t lanes[8];
            _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
            for (int l = 0; l < 8; ++l) total += lanes[l];
        }
    }
    for (; i < k; ++i) total += row[i];
    return total;
}

QNUM_INTRINSICS_END

}  // namespace qnum::detail
#endif

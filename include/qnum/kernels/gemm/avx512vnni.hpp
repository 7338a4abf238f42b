// qnum — GEMM microkernel for AVX-512 VNNI: one vpdpbusd (8-bit) or vpdpwssd (16-bit) per 16 x 4 (or 16 x 2) block.
//
// Tile MR x 32: 2 * MR zmm accumulators, the 128-byte packed B group loaded once as two zmm and reused by every row,
// 4 bytes of each A row broadcast (vpbroadcastd when A is the unsigned operand, u8s8/u8u8; folded into the
// instruction's {1to16} memory operand when it is the signed one, s8s8/s16). vpdpbusd / vpdpwssd do not saturate:
// products are exact and sums wrap modulo 2^32, the same integers as the scalar kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qnum/cpu.hpp"
#include "qnum/gemm_pack.hpp"

#if QNUM_HAS_X86_KERNELS
#include <immintrin.h>

/// 1: s8s8 and 16-bit fold the A broadcast into vpdpbusd / vpdpwssd's {1to16} memory operand (0: vpbroadcastd +
/// register form).
#ifndef QNUM_GEMM_EMBEDDED_BCAST
#define QNUM_GEMM_EMBEDDED_BCAST 1
#endif

namespace qnum::detail {

QNUM_INTRINSICS_BEGIN

// acc += dot(u, s) per 32-bit lane. Inline asm rather than the intrinsic: GCC 12 treats the intrinsic as
// non-destructive and copies every loop-carried accumulator each iteration (a vmovdqa per vpdpbusd halves the
// throughput); the "+v" constraint makes the accumulator the instruction's destination register in place.
template <class TA, class TB>
QNUM_TARGET_AVX512VNNI inline void gemm_dot_vnni(__m512i& acc, __m512i a, __m512i b) {
    using traits = gemm_traits<TA, TB>;
    if constexpr (traits::group == 2)
        __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    else if constexpr (traits::a_unsigned)
        __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));  // A unsigned, packed B signed
    else
        __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(b), "v"(a));  // packed B + 128 unsigned, A signed
}

/// A 4-byte word of any data (A bytes or int16 pairs), for asm memory operands.
typedef std::int32_t gemm_alias_i32 __attribute__((may_alias));

inline std::int32_t gemm_load4(const void* p) noexcept {
    std::int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

/// tile (MR x 32, row stride ldt) = the sum over `groups` k-groups of A rows (group g of row r at
/// a + r * lda + g * a_group_stride elements: in place or packed) x packed panel b, plus a last group
/// whose A bytes are a_tail[r] when a_tail is non-null, minus the row/column correction terms when given.
/// Same contract as gemm_kernel_scalar.
template <int MR, class TA, class TB>
QNUM_TARGET_AVX512VNNI void gemm_kernel_avx512vnni(std::size_t groups, const TA* a, std::size_t lda,
                                                   std::size_t a_group_stride,
                                                   const typename gemm_traits<TA, TB>::packed* b,
                                                   const std::int32_t* a_tail, std::int32_t* tile, std::size_t ldt,
                                                   bool accumulate, const std::uint32_t* row_term,
                                                   const std::uint32_t* col_term) {
    __m512i acc[MR][2];
    if (accumulate) {
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            acc[r][0] = _mm512_loadu_si512(tile + r * ldt);
            acc[r][1] = _mm512_loadu_si512(tile + r * ldt + 16);
        }
    } else {
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
    }
    const char* ap = reinterpret_cast<const char*>(a);
    const std::size_t row_bytes = lda * sizeof(TA), group_bytes = a_group_stride * sizeof(TA);
    const char* bp = reinterpret_cast<const char*>(b);
    for (std::size_t g = 0; g < groups; ++g, ap += group_bytes, bp += 128) {
        const __m512i b0 = _mm512_load_si512(bp), b1 = _mm512_load_si512(bp + 64);
        // Both 64-byte lines of the group 16 groups ahead; few-row tiles (GEMV) stream B from memory, so they also
        // reach further ahead (hardware prefetch alone left M = 1 at about half of the DRAM bandwidth).
        _mm_prefetch(bp + 2048, _MM_HINT_T0);
        _mm_prefetch(bp + 2048 + 64, _MM_HINT_T0);
        if constexpr (MR <= 2) {
            _mm_prefetch(bp + 8192, _MM_HINT_T1);
            _mm_prefetch(bp + 8192 + 64, _MM_HINT_T1);
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            if constexpr (QNUM_GEMM_EMBEDDED_BCAST && !gemm_traits<TA, TB>::a_unsigned) {
                // A is the signed operand (s8s8; int16 pairs, where both are signed), the one that may come from
                // memory: fold the broadcast in. In L1 this lifts the s8s8 microkernel from ~91% to ~98% of the
                // vpdpbusd peak; u8s8/u8u8 keep A in the unsigned slot, which must be a register, and pay a
                // vpbroadcastd per row.
                const auto* word = reinterpret_cast<const gemm_alias_i32*>(ap + r * row_bytes);
                if constexpr (gemm_traits<TA, TB>::group == 2) {
                    __asm__("vpdpwssd %2%{1to16%}, %1, %0" : "+v"(acc[r][0]) : "v"(b0), "m"(*word));
                    __asm__("vpdpwssd %2%{1to16%}, %1, %0" : "+v"(acc[r][1]) : "v"(b1), "m"(*word));
                } else {
                    __asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc[r][0]) : "v"(b0), "m"(*word));
                    __asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc[r][1]) : "v"(b1), "m"(*word));
                }
            } else {
                const __m512i av = _mm512_set1_epi32(gemm_load4(ap + r * row_bytes));
                gemm_dot_vnni<TA, TB>(acc[r][0], av, b0);
                gemm_dot_vnni<TA, TB>(acc[r][1], av, b1);
            }
        }
    }
    if (a_tail) {
        const __m512i b0 = _mm512_load_si512(bp), b1 = _mm512_load_si512(bp + 64);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            const __m512i av = _mm512_set1_epi32(a_tail[r]);
            gemm_dot_vnni<TA, TB>(acc[r][0], av, b0);
            gemm_dot_vnni<TA, TB>(acc[r][1], av, b1);
        }
    }
    if (row_term) {
        const __m512i c0 = _mm512_loadu_si512(col_term), c1 = _mm512_loadu_si512(col_term + 16);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
            const __m512i rt = _mm512_set1_epi32(static_cast<std::int32_t>(row_term[r]));
            acc[r][0] = _mm512_sub_epi32(acc[r][0], _mm512_add_epi32(rt, c0));
            acc[r][1] = _mm512_sub_epi32(acc[r][1], _mm512_add_epi32(rt, c1));
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
        _mm512_storeu_si512(tile + r * ldt, acc[r][0]);
        _mm512_storeu_si512(tile + r * ldt + 16, acc[r][1]);
    }
}

QNUM_INTRINSICS_END

}  // namespace qnum::detail
#endif

// qnum — GEMM scalar reference (the specification) and the portable microkernel on the packed layout.
//
// Specification: C[i][j] = sum_k (A[i][k] - za) * (B[k][j] - zb), computed exactly. With an int32 accumulator the
// result is that exact value, which gemm() guarantees fits by rejecting K * max|A - za| * max|B - zb| > 2^31 - 1;
// with int64 it always fits. Every SIMD kernel must produce the same integers bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qnum/gemm_pack.hpp"

namespace qnum {

/// Reference GEMM on unpacked operands: C (M x N, row stride ldc, element Acc = int32_t or int64_t) =
/// (A - za)(B - zb) exactly, A row-major M x K (row stride lda), B K x N or N x K per `layout` (row stride ldb).
/// Slow and obviously correct: the specification the packed SIMD kernels are tested against. Results that do not fit
/// Acc wrap modulo 2^bits (gemm() rejects such inputs instead).
template <class Acc, class TA, class TB>
void reference_gemm(std::size_t m, std::size_t n, std::size_t k, const TA* a, std::size_t lda,
                    std::int32_t a_zero_point, const TB* b, std::size_t ldb, b_layout layout, std::int32_t b_zero_point,
                    Acc* c, std::size_t ldc) {
    static_assert(std::is_same_v<Acc, std::int32_t> || std::is_same_v<Acc, std::int64_t>, "qnum: Acc is int32/int64");
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            std::int64_t sum = 0;
            for (std::size_t kk = 0; kk < k; ++kk) {
                const std::int64_t bv = layout == b_layout::k_by_n ? b[kk * ldb + j] : b[j * ldb + kk];
                sum += (std::int64_t{a[i * lda + kk]} - a_zero_point) * (bv - b_zero_point);
            }
            c[i * ldc + j] = static_cast<Acc>(static_cast<std::uint64_t>(sum));
        }
}

namespace detail {

/// Portable microkernel: tile[r][c] (r < MR, c < 32, row stride ldt) = sum over `groups` k-groups of A row r (group g
/// at a + r * lda + g * a_group_stride elements, so A may be in place or packed) times the packed panel `b`, plus, when
/// a_tail is non-null, one last group whose A bytes are a_tail[r] (zero-padded), minus row_term[r] + col_term[c] when
/// those are non-null (the zero-point correction); with `accumulate`, added to the tile's previous contents (K
/// blocking). Sums wrap modulo 2^32 exactly like vpdpbusd / vpdpwssd / pmaddwd.
template <int MR, class TA, class TB>
void gemm_kernel_scalar(std::size_t groups, const TA* a, std::size_t lda, std::size_t a_group_stride,
                        const typename gemm_traits<TA, TB>::packed* b, const std::int32_t* a_tail, std::int32_t* tile,
                        std::size_t ldt, bool accumulate, const std::uint32_t* row_term,
                        const std::uint32_t* col_term) {
    constexpr int g_size = gemm_traits<TA, TB>::group;
    constexpr std::size_t nr = gemm_nr;
    // u8 A arrives shifted (A - 128 as a signed byte): kernels only ever see packed A for those types.
    using a_slot = std::conditional_t<gemm_traits<TA, TB>::a_shift != 0, std::int8_t, TA>;
    std::uint32_t acc[MR][nr] = {};
    if (accumulate)
        for (int r = 0; r < MR; ++r)
            for (std::size_t c = 0; c < nr; ++c) acc[r][c] = static_cast<std::uint32_t>(tile[r * ldt + c]);
    auto step = [&](int r, const TA* av, const typename gemm_traits<TA, TB>::packed* bg) {
        for (std::size_t c = 0; c < nr; ++c) {
            std::uint32_t s = 0;
            for (int e = 0; e < g_size; ++e)
                s += static_cast<std::uint32_t>(std::int32_t{static_cast<a_slot>(av[e])} *
                                                std::int32_t{bg[c * g_size + e]});
            acc[r][c] += s;
        }
    };
    for (std::size_t g = 0; g < groups; ++g)
        for (int r = 0; r < MR; ++r) step(r, a + r * lda + g * a_group_stride, b + g * nr * g_size);
    if (a_tail)
        for (int r = 0; r < MR; ++r) {
            TA av[g_size];
            std::memcpy(av, a_tail + r, sizeof(av));
            step(r, av, b + groups * nr * g_size);
        }
    for (int r = 0; r < MR; ++r)
        for (std::size_t c = 0; c < nr; ++c)
            tile[r * ldt + c] = static_cast<std::int32_t>(row_term ? acc[r][c] - row_term[r] - col_term[c] : acc[r][c]);
}

/// Exact sum of one row of A (int32 partial sums over chunks that cannot overflow, then int64).
template <class TA>
std::int64_t gemm_row_sum_scalar(const TA* row, std::size_t k) noexcept {
    std::int64_t s = 0;
    for (std::size_t k0 = 0; k0 < k; k0 += 4096) {
        const std::size_t k1 = k0 + 4096 < k ? k0 + 4096 : k;
        std::int32_t part = 0;
        for (std::size_t i = k0; i < k1; ++i) part += row[i];
        s += part;
    }
    return s;
}

/// Packs `rows` rows of A (row stride lda, K elements) as [group][row][group element], K zero-padded to whole
/// groups: the kernel then reads A sequentially (a_group_stride = rows * group) instead of from `rows` streams.
/// With Flip, every byte is xor'ed with 0x80 (u8 A -> A - 128 as a signed byte); the K padding stays 0. Groups
/// before first_group are assumed packed already (by the AVX2 8-row version).
template <class TA, int Group, bool Flip = false>
void gemm_pack_a(const TA* a, std::size_t lda, std::size_t rows, std::size_t k, TA* out,
                 std::size_t first_group = 0) noexcept {
    const std::size_t full = k / Group, tail = k % Group;
    for (std::size_t g = first_group; g < full; ++g)
        for (std::size_t r = 0; r < rows; ++r) {
            std::uint32_t word;
            std::memcpy(&word, a + r * lda + g * Group, 4);
            if (Flip) word ^= 0x80808080u;
            std::memcpy(out + (g * rows + r) * Group, &word, 4);
        }
    if (tail)
        for (std::size_t r = 0; r < rows; ++r) {
            TA* dst = out + (full * rows + r) * Group;
            for (std::size_t e = 0; e < std::size_t(Group); ++e) {
                if (e >= tail) {  // padding: never read past the row's K elements
                    dst[e] = TA{0};
                    continue;
                }
                const TA v = a[r * lda + full * Group + e];
                dst[e] = Flip ? static_cast<TA>(v ^ 0x80) : v;
            }
        }
}

}  // namespace detail
}  // namespace qnum

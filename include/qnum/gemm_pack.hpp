// qnum — the GEMM operand types, and the pre-packed constant operand B (weights) owned by a small RAII object.
//
// Packed layout (shared by every kernel level, so one packed object serves scalar, AVX2 and AVX-512 VNNI):
// B (K x N) is cut into panels of 32 columns; inside a panel, K is cut into groups of G = 4 / sizeof(element)
// consecutive k (4 for 8-bit, 2 for 16-bit) and stored [group][column][k in group], i.e. 128 bytes per group.
// That is exactly the operand of one vpdpbusd / vpdpwssd (16 columns per zmm) or pmaddubsw / pmaddwd (8 per ymm).
// K and N are zero-padded to whole groups and panels. A (the activations) is never packed: kernels broadcast 4 bytes
// of an A row at a time, so A only needs unit stride along K.
//
// The +-128 shifts: vpdpbusd multiplies unsigned by signed bytes, and only its signed operand can be a broadcast from
// memory. So every 8-bit pair puts B' = B + delta in the unsigned slot (s8s8, u8s8: B + 128; u8u8: B) and
// A' = A + a_shift in the signed one (u8 A: A - 128, applied while A is packed). The kernel computes
// sum_k A'B' = sum AB + delta rowsum(A) + a_shift colsum(B) + K a_shift delta, and the driver removes those terms
// together with the zero-point correction — no widening in the inner loop.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "qnum/error.hpp"

namespace qnum {

/// How the constant operand B (K x N) is stored: row-major K x N (`ldb` >= N between rows of K), or as N rows of
/// K (`ldb` >= K) — the [out_features][in_features] layout of a linear layer's weights.
enum class b_layout : std::uint8_t { k_by_n, n_by_k };

namespace detail {

/// Per type pair: packed element type, k-group size, the shift applied to B and which dot-product slot A takes.
template <class TA, class TB>
struct gemm_traits {
    static_assert(sizeof(TA) == 0,
                  "qnum: gemm supports u8s8, s8s8, u8u8 (uint8_t/int8_t) and s16s16, s16s8 (int16_t x int16_t/int8_t)");
};
template <>
struct gemm_traits<std::uint8_t, std::int8_t> {
    using packed = std::uint8_t;  // B + 128
    static constexpr int group = 4, delta = 128, a_shift = -128;
    static constexpr bool a_unsigned = false;  // A - 128 in the signed slot (packed), so its broadcast folds
};
template <>
struct gemm_traits<std::int8_t, std::int8_t> {
    using packed = std::uint8_t;  // B + 128
    static constexpr int group = 4, delta = 128, a_shift = 0;
    static constexpr bool a_unsigned = false;
};
template <>
struct gemm_traits<std::uint8_t, std::uint8_t> {
    using packed = std::uint8_t;  // B as is, in the unsigned slot
    static constexpr int group = 4, delta = 0, a_shift = -128;
    static constexpr bool a_unsigned = false;
};
template <>
struct gemm_traits<std::int16_t, std::int16_t> {
    using packed = std::int16_t;
    static constexpr int group = 2, delta = 0, a_shift = 0;
    static constexpr bool a_unsigned = false;
};
template <>
struct gemm_traits<std::int16_t, std::int8_t> {  // "16x8": weights widened to int16 once, at packing
    using packed = std::int16_t;
    static constexpr int group = 2, delta = 0, a_shift = 0;
    static constexpr bool a_unsigned = false;
};

inline constexpr std::size_t gemm_nr = 32;  // columns per packed panel

struct aligned_free {
    void operator()(void* p) const noexcept { std::free(p); }
};

/// 64-byte aligned, zero-initialised array of n T.
template <class T>
std::unique_ptr<T[], aligned_free> aligned_zeros(std::size_t n) {
    const std::size_t bytes = std::max<std::size_t>(64, (n * sizeof(T) + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    std::fill_n(static_cast<unsigned char*>(p), bytes, static_cast<unsigned char>(0));
    return std::unique_ptr<T[], aligned_free>(static_cast<T*>(p));
}

}  // namespace detail

/// The constant operand B (K x N, elements TB) of gemm<TA, TB> packed once into the kernels' layout, with its column
/// sums and value range (for the zero-point correction and the overflow checks). Move-only; owns its buffer.
/// Throws qnum::error for a null `b` with K*N > 0 or `ldb` shorter than a row of the chosen layout.
template <class TA, class TB>
class packed_matrix_b {
    using traits = detail::gemm_traits<TA, TB>;

public:
    using packed_type = typename traits::packed;
    static constexpr std::size_t nr = detail::gemm_nr;
    static constexpr std::size_t group = traits::group;

    packed_matrix_b(const TB* b, std::size_t k, std::size_t n, std::size_t ldb, b_layout layout = b_layout::k_by_n,
                    std::int32_t zero_point = 0)
        : k_(k), n_(n), zero_point_(zero_point) {
        detail::require(b != nullptr || k == 0 || n == 0, "gemm: B is null but K x N is not empty");
        detail::require(layout == b_layout::k_by_n ? (ldb >= n || k <= 1) : (ldb >= k || n <= 1),
                        "gemm: ldb is smaller than a row of B");
        detail::require(k <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max() / 2),
                        "gemm: K is too large");
        const std::size_t panels = (n + nr - 1) / nr;
        groups_ = (k + group - 1) / group;
        panel_stride_ = groups_ * nr * group;
        data_ = detail::aligned_zeros<packed_type>(std::max<std::size_t>(1, panels * panel_stride_));
        colsum_.assign(n, 0);
        std::int32_t lo = 0, hi = 0;
        if (k > 0 && n > 0) lo = hi = b[0];
        packed_type* out = data_.get();
        // Two passes over B in its memory order: statistics (vectorisable), then the scatter into panels.
        if (layout == b_layout::k_by_n) {
            for (std::size_t kk = 0; kk < k; ++kk) {
                const TB* row = b + kk * ldb;
                TB row_lo = row[0], row_hi = row[0];
                for (std::size_t j = 0; j < n; ++j) {
                    colsum_[j] += row[j];
                    row_lo = std::min(row_lo, row[j]);
                    row_hi = std::max(row_hi, row[j]);
                }
                lo = std::min<std::int32_t>(lo, row_lo);
                hi = std::max<std::int32_t>(hi, row_hi);
            }
            for (std::size_t g = 0; g < groups_; ++g) {
                const std::size_t rows = std::min<std::size_t>(group, k - g * group);
                for (std::size_t j = 0; j < n; ++j) {
                    packed_type* dst = out + (j / nr) * panel_stride_ + g * nr * group + (j % nr) * group;
                    for (std::size_t e = 0; e < rows; ++e)
                        dst[e] = static_cast<packed_type>(b[(g * group + e) * ldb + j] + traits::delta);
                }
            }
        } else {
            for (std::size_t j = 0; j < n; ++j) {
                const TB* row = b + j * ldb;
                std::int64_t sum = 0;
                TB row_lo = row[0], row_hi = row[0];
                for (std::size_t kk = 0; kk < k; ++kk) {
                    sum += row[kk];
                    row_lo = std::min(row_lo, row[kk]);
                    row_hi = std::max(row_hi, row[kk]);
                }
                colsum_[j] = sum;
                lo = std::min<std::int32_t>(lo, row_lo);
                hi = std::max<std::int32_t>(hi, row_hi);
                packed_type* dst = out + (j / nr) * panel_stride_ + (j % nr) * group;
                for (std::size_t kk = 0; kk < k; ++kk)
                    dst[(kk / group) * nr * group + kk % group] = static_cast<packed_type>(row[kk] + traits::delta);
            }
        }
        min_ = lo;
        max_ = hi;
    }

    std::size_t k() const noexcept { return k_; }
    std::size_t n() const noexcept { return n_; }
    std::int32_t zero_point() const noexcept { return zero_point_; }
    /// Smallest and largest element of B (0 when empty); used for the overflow checks and kernel selection.
    std::int32_t min() const noexcept { return min_; }
    std::int32_t max() const noexcept { return max_; }
    /// Sum over k of column j of B (unshifted, without the zero point).
    std::int64_t column_sum(std::size_t j) const noexcept { return colsum_[j]; }
    const std::int64_t* column_sums() const noexcept { return colsum_.data(); }
    /// Number of k groups (K rounded up to the group size, divided by it) and elements between panels.
    std::size_t groups() const noexcept { return groups_; }
    /// Start of the packed panel holding columns [32 p, 32 p + 32).
    const packed_type* panel(std::size_t p) const noexcept { return data_.get() + p * panel_stride_; }
    std::size_t panels() const noexcept { return (n_ + nr - 1) / nr; }

private:
    std::size_t k_, n_, groups_ = 0, panel_stride_ = 0;
    std::int32_t zero_point_, min_ = 0, max_ = 0;
    std::unique_ptr<packed_type[], detail::aligned_free> data_;
    std::vector<std::int64_t> colsum_;
};

}  // namespace qnum

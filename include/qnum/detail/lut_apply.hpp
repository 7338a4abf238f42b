// qnum — element-wise application of any qnum table over same-shaped strided views.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/view.hpp"

namespace qnum::detail {

/// Debug-build preconditions of a table's apply(x, y, n): non-null pointers unless n == 0, and x, y either identical
/// (in place) or non-overlapping.
template <class In, class Out>
void check_apply_args(const In* x, const Out* y, std::size_t n) {
#if QNUM_DEBUG_CHECKS
    const auto xa = reinterpret_cast<std::uintptr_t>(x), ya = reinterpret_cast<std::uintptr_t>(y);
    QNUM_ASSERT(n == 0 || (x != nullptr && y != nullptr));
    QNUM_ASSERT(n == 0 || xa == ya || xa + n * sizeof(In) <= ya || ya + n * sizeof(Out) <= xa);
#else
    (void)x;
    (void)y;
    (void)n;
#endif
}

/// out = table(in) element-wise: contiguous runs go through table.apply() (the SIMD kernels), other runs through
/// table(x). Throws qnum::error for mismatched shapes.
template <class Table, class In, class Out>
void lut_apply_strided(const Table& table, const strided_view<const In>& in, const strided_view<Out>& out) {
    require(in.same_shape(out), "lut: input and output views have different shapes");
    std::size_t keep = no_axis;
    const auto [a, b] = coalesce(keep, in, out);
    const std::size_t last = a.rank() - 1;
    const auto n = static_cast<std::size_t>(a.extent(last));
    for_each_run(
        [&](const dims&, const auto& off, std::uint64_t) {
            const In* x = a.data() + off[0];
            Out* y = b.data() + off[1];
            if (a.stride(last) == 1 && b.stride(last) == 1) {
                table.apply(x, y, n);
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    const auto p = static_cast<std::ptrdiff_t>(i);
                    y[p * b.stride(last)] = table(x[p * a.stride(last)]);
                }
            }
        },
        a, b);
}

}  // namespace qnum::detail

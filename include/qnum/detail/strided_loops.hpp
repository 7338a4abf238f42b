// qnum — iteration over same-shaped strided views as runs along the innermost axis, after merging axes that are
// laid out contiguously in every view (so a contiguous NCHW tensor quantized per channel runs over H*W at a time).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include "qnum/view.hpp"

namespace qnum::detail {

inline constexpr std::size_t no_axis = static_cast<std::size_t>(-1);

template <std::size_t... K, class... T>
std::tuple<strided_view<T>...> make_views(std::index_sequence<K...>, std::size_t rank, const dims& shape,
                                          const std::array<dims, sizeof...(T)>& strides,
                                          const strided_view<T>&... views) {
    return {strided_view<T>(views.data(), rank, shape, strides[K])...};
}

/// Returns copies of `views` (all of the same shape) where adjacent axes d, d+1 are merged whenever every view
/// has stride[d] == stride[d+1] * extent[d+1]. Axis `keep` (or no_axis) is never merged with a neighbour; its new
/// position is written to `keep`.
template <class... T>
std::tuple<strided_view<T>...> coalesce(std::size_t& keep, const strided_view<T>&... views) {
    const auto& first = std::get<0>(std::forward_as_tuple(views...));
    const std::size_t rank = first.rank();
    dims shape{};
    std::array<dims, sizeof...(T)> strides{};
    std::size_t out = 0;
    std::size_t new_keep = no_axis;
    for (std::size_t d = 0; d < rank; ++d) {
        bool merge = out > 0 && d != keep && d - 1 != keep;
        if (merge) ((merge = merge && views.stride(d - 1) == views.stride(d) * views.extent(d)), ...);
        if (merge) {
            shape[out - 1] *= first.extent(d);
            std::size_t k = 0;
            ((strides[k++][out - 1] = views.stride(d)), ...);
        } else {
            shape[out] = first.extent(d);
            std::size_t k = 0;
            ((strides[k++][out] = views.stride(d)), ...);
            if (d == keep) new_keep = out;
            ++out;
        }
    }
    keep = new_keep;
    return make_views(std::index_sequence_for<T...>{}, out, shape, strides, views...);
}

/// Calls f(index, offsets, linear) once per run along the last axis of the same-shaped `views`, in row-major order.
/// `index` is the multi-index of the run's first element (last coordinate 0), offsets[k] the element offset of that
/// element in views[k], `linear` its row-major position. Nothing is called for an empty shape.
template <class F, class... T>
void for_each_run(F&& f, const strided_view<T>&... views) {
    const auto& first = std::get<0>(std::forward_as_tuple(views...));
    if (first.empty()) return;
    const std::size_t last = first.rank() - 1;
    const auto run = static_cast<std::uint64_t>(first.extent(last));
    dims index{};
    std::array<std::ptrdiff_t, sizeof...(T)> offsets{};
    std::uint64_t linear = 0;
    for (;;) {
        f(static_cast<const dims&>(index), static_cast<const std::array<std::ptrdiff_t, sizeof...(T)>&>(offsets),
          linear);
        linear += run;
        std::size_t d = last;
        for (;;) {
            if (d == 0) return;
            --d;
            ++index[d];
            std::size_t k = 0;
            ((offsets[k++] += views.stride(d)), ...);
            if (index[d] < first.extent(d)) break;
            k = 0;
            ((offsets[k++] -= views.stride(d) * first.extent(d)), ...);
            index[d] = 0;
        }
    }
}

}  // namespace qnum::detail

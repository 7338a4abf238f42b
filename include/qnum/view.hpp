// qnum — strided_view: a non-owning N-d view (pointer, shape, strides). No graph, no tensor library.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>

#include "qnum/error.hpp"

namespace qnum {

/// Highest rank a strided_view can have. Shapes live inline, so views never allocate.
inline constexpr std::size_t max_rank = 8;

/// Extents or strides of a view, stored inline.
using dims = std::array<std::ptrdiff_t, max_rank>;

/// A non-owning view of `T` elements: element (i0, i1, ...) lives at data[i0*stride0 + i1*stride1 + ...].
/// Strides are in elements (not bytes) and may be any value, including 0 (broadcast) or negative.
template <class T>
class strided_view {
public:
    using element_type = T;

    /// Empty rank-1 view.
    constexpr strided_view() noexcept = default;

    /// Contiguous 1-D view of n elements.
    strided_view(T* data, std::size_t n) : strided_view(data, {static_cast<std::ptrdiff_t>(n)}) {}

    /// Contiguous row-major view of the given shape. Throws qnum::error if the rank exceeds max_rank or an extent
    /// is negative.
    strided_view(T* data, std::initializer_list<std::ptrdiff_t> shape) : data_(data) {
        assign_shape(shape.begin(), shape.size());
        std::ptrdiff_t stride = 1;
        for (std::size_t i = rank_; i-- > 0;) {
            strides_[i] = stride;
            stride *= shape_[i];
        }
    }

    /// View with explicit strides (in elements). Throws qnum::error if the ranks differ, the rank exceeds max_rank
    /// or an extent is negative.
    strided_view(T* data, std::initializer_list<std::ptrdiff_t> shape, std::initializer_list<std::ptrdiff_t> strides)
        : data_(data) {
        detail::require(shape.size() == strides.size(), "strided_view: shape and strides have different ranks");
        assign_shape(shape.begin(), shape.size());
        std::size_t i = 0;
        for (auto s : strides) strides_[i++] = s;
    }

    /// View from rank + inline arrays (for code that builds shapes programmatically).
    strided_view(T* data, std::size_t rank, const dims& shape, const dims& strides) : data_(data) {
        assign_shape(shape.data(), rank);
        strides_ = strides;
    }

    /// Views of T convert to views of const T.
    template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
    constexpr strided_view(const strided_view<U>& other) noexcept  // NOLINT(google-explicit-constructor)
        : data_(other.data()), rank_(other.rank()), shape_(other.shape()), strides_(other.strides()) {}

    constexpr T* data() const noexcept { return data_; }
    constexpr std::size_t rank() const noexcept { return rank_; }
    constexpr const dims& shape() const noexcept { return shape_; }
    constexpr const dims& strides() const noexcept { return strides_; }
    constexpr std::ptrdiff_t extent(std::size_t axis) const noexcept { return shape_[axis]; }
    constexpr std::ptrdiff_t stride(std::size_t axis) const noexcept { return strides_[axis]; }

    /// Number of elements (product of extents).
    constexpr std::size_t size() const noexcept {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank_; ++i) n *= static_cast<std::size_t>(shape_[i]);
        return n;
    }

    constexpr bool empty() const noexcept { return size() == 0; }

    /// True when elements are densely packed in row-major order (so data()[0..size()) is the whole view).
    constexpr bool is_contiguous() const noexcept {
        std::ptrdiff_t expected = 1;
        for (std::size_t i = rank_; i-- > 0;) {
            if (shape_[i] != 1 && strides_[i] != expected) return false;
            expected *= shape_[i];
        }
        return true;
    }

    /// Element at a multi-index given as an inline array (no bounds check beyond debug builds).
    constexpr T& at(const dims& index) const noexcept {
        std::ptrdiff_t offset = 0;
        for (std::size_t i = 0; i < rank_; ++i) offset += index[i] * strides_[i];
        return data_[offset];
    }

    /// True when both views have the same rank and extents.
    template <class U>
    constexpr bool same_shape(const strided_view<U>& other) const noexcept {
        if (rank_ != other.rank()) return false;
        for (std::size_t i = 0; i < rank_; ++i)
            if (shape_[i] != other.extent(i)) return false;
        return true;
    }

private:
    template <class It>
    void assign_shape(It first, std::size_t rank) {
        detail::require(rank >= 1 && rank <= max_rank, "strided_view: rank must be in [1, max_rank]");
        rank_ = rank;
        for (std::size_t i = 0; i < rank; ++i) {
            detail::require(first[i] >= 0, "strided_view: negative extent");
            shape_[i] = first[i];
        }
    }

    T* data_ = nullptr;
    std::size_t rank_ = 1;
    dims shape_{};
    dims strides_{1};
};

}  // namespace qnum

// qnum — quantization parameters (scale, zero point) at per-tensor, per-channel and per-group granularity.
//
// real = (q - zero_point) * scale. Every constructor validates its input and throws qnum::error, so kernels that
// take these objects can assume: scale is a finite normal float > 0, and zero_point is inside the format's range.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// A plain (scale, zero_point) pair. Unvalidated; see validate() and the typed containers below.
struct qparams {
    float scale = 1.0f;
    std::int32_t zero_point = 0;
    friend constexpr bool operator==(qparams a, qparams b) noexcept {
        return a.scale == b.scale && a.zero_point == b.zero_point;
    }
};

/// True when `scale` can be used to quantize: finite, normal and > 0 (so 1/scale is finite too).
inline bool is_valid_scale(float scale) noexcept {
    return std::isfinite(scale) && scale >= std::numeric_limits<float>::min();
}

/// Throws qnum::error unless p.scale is a valid scale and p.zero_point lies in `range`.
inline void validate(const qparams& p, qrange range) {
    detail::require(is_valid_scale(p.scale), "scale must be finite, normal and > 0");
    detail::require(range.contains(p.zero_point), "zero point outside the format's range");
}

/// The real interval [(qmin - zp) * scale, (qmax - zp) * scale] that `p` represents without clipping.
/// It always contains 0 when zp is in range: real 0 is exactly representable (as q = zp).
inline std::pair<float, float> representable_range(const qparams& p, qrange range) noexcept {
    return {static_cast<float>(range.min - p.zero_point) * p.scale,
            static_cast<float>(range.max - p.zero_point) * p.scale};
}

/// One (scale, zero_point) for the whole tensor, validated against Format's range.
template <class Format>
class per_tensor {
    static_assert(is_int_format_v<Format>, "qnum: per_tensor<Format> needs an int_format");

public:
    using format = Format;
    /// Throws qnum::error for an invalid scale (0, negative, NaN, inf, subnormal) or an out-of-range zero point.
    explicit per_tensor(float scale, std::int32_t zero_point = 0) : p_{scale, zero_point} {
        validate(p_, Format::range);
    }
    explicit per_tensor(qparams p) : per_tensor(p.scale, p.zero_point) {}
    float scale() const noexcept { return p_.scale; }
    std::int32_t zero_point() const noexcept { return p_.zero_point; }
    qparams params() const noexcept { return p_; }

private:
    qparams p_;
};

namespace detail {
inline void validate_all(const std::vector<float>& scales, std::vector<std::int32_t>& zero_points, qrange range) {
    detail::require(!scales.empty(), "no scales given");
    if (zero_points.empty()) zero_points.assign(scales.size(), 0);
    detail::require(zero_points.size() == scales.size(), "scales and zero points have different lengths");
    for (std::size_t i = 0; i < scales.size(); ++i) validate({scales[i], zero_points[i]}, range);
}
}  // namespace detail

/// One (scale, zero_point) per index along `axis` (e.g. per output channel of a weight).
/// An empty zero_points vector means all zero (symmetric).
template <class Format>
class per_channel {
    static_assert(is_int_format_v<Format>, "qnum: per_channel<Format> needs an int_format");

public:
    using format = Format;
    /// Throws qnum::error if the vectors are empty or of different lengths, or any entry is invalid.
    per_channel(std::vector<float> scales, std::vector<std::int32_t> zero_points, std::size_t axis)
        : scales_(std::move(scales)), zero_points_(std::move(zero_points)), axis_(axis) {
        detail::validate_all(scales_, zero_points_, Format::range);
    }
    std::size_t axis() const noexcept { return axis_; }
    std::size_t channels() const noexcept { return scales_.size(); }
    const std::vector<float>& scales() const noexcept { return scales_; }
    const std::vector<std::int32_t>& zero_points() const noexcept { return zero_points_; }
    qparams operator[](std::size_t c) const noexcept { return {scales_[c], zero_points_[c]}; }

    /// Throws qnum::error unless `axis` exists in `v` and its extent equals channels().
    template <class T>
    void check(const strided_view<T>& v) const {
        detail::require(axis_ < v.rank(), "per_channel: axis out of range for the view");
        detail::require(static_cast<std::size_t>(v.extent(axis_)) == channels(),
                        "per_channel: number of channels differs from the view's extent along the axis");
    }

private:
    std::vector<float> scales_;
    std::vector<std::int32_t> zero_points_;
    std::size_t axis_;
};

/// One (scale, zero_point) per block of `group_size` consecutive elements along `axis`, for every position of the
/// other axes (e.g. int4 weights [N, K] with groups of 32/64/128 along K). The parameters form a row-major array
/// shaped like the tensor with the axis extent replaced by ceil(extent / group_size); a last partial block is allowed.
template <class Format>
class per_group {
    static_assert(is_int_format_v<Format>, "qnum: per_group<Format> needs an int_format");

public:
    using format = Format;
    /// Throws qnum::error for group_size 0, empty or mismatched vectors, or any invalid entry.
    per_group(std::vector<float> scales, std::vector<std::int32_t> zero_points, std::size_t axis,
              std::size_t group_size)
        : scales_(std::move(scales)), zero_points_(std::move(zero_points)), axis_(axis), group_size_(group_size) {
        detail::require(group_size_ > 0, "per_group: group size must be > 0");
        detail::validate_all(scales_, zero_points_, Format::range);
    }
    std::size_t axis() const noexcept { return axis_; }
    std::size_t group_size() const noexcept { return group_size_; }
    const std::vector<float>& scales() const noexcept { return scales_; }
    const std::vector<std::int32_t>& zero_points() const noexcept { return zero_points_; }
    qparams operator[](std::size_t i) const noexcept { return {scales_[i], zero_points_[i]}; }

    /// Number of groups along the axis for a tensor whose axis extent is `extent`.
    std::size_t groups_along_axis(std::ptrdiff_t extent) const noexcept {
        return (static_cast<std::size_t>(extent) + group_size_ - 1) / group_size_;
    }

    /// Throws qnum::error unless `axis` exists in `v` and the number of parameters matches v's shape.
    template <class T>
    void check(const strided_view<T>& v) const {
        detail::require(axis_ < v.rank(), "per_group: axis out of range for the view");
        std::size_t expected = groups_along_axis(v.extent(axis_));
        for (std::size_t i = 0; i < v.rank(); ++i)
            if (i != axis_) expected *= static_cast<std::size_t>(v.extent(i));
        detail::require(expected == scales_.size(), "per_group: number of parameters does not match the view's shape");
    }

private:
    std::vector<float> scales_;
    std::vector<std::int32_t> zero_points_;
    std::size_t axis_;
    std::size_t group_size_;
};

}  // namespace qnum

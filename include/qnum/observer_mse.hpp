// qnum — clipping search on the raw data (for weights, which are available whole): the range r * [min, max],
// r = 1, 1 - 1/K, ..., 1/K (MQBench / Horizon MSEObserver candidates), whose parameters minimize the mean
// |x - Q(x)|^p over the data itself, per tensor or per channel along any axis.
//
// Error spec: e = (x / scale - q) * scale with q the clamped, half-to-even rounded code (kernels/observe), the same
// float on every ISA; e^p is accumulated in double into four partial sums by element index mod 4, combined as
// (s0 + s1) + (s2 + s3), and divided by the number of finite values — so the chosen parameters do not depend on
// the SIMD level. Non-finite values are skipped. Cost: K passes over the data (per channel: over its slice).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qnum/choose_qparams.hpp"
#include "qnum/detail/observe_runs.hpp"
#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/histogram_search.hpp"
#include "qnum/observer_minmax.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

namespace detail {

// Mean |e|^p over n contiguous values (see the file comment); `finite` = number of finite values among them.
inline double mean_clip_error(const float* x, std::size_t n, std::uint64_t finite, qparams p, qrange range,
                              double power) {
    constexpr std::size_t chunk = 1024;
    std::array<float, chunk> e;
    std::array<double, 4> acc{0.0, 0.0, 0.0, 0.0};
    const auto lo = static_cast<float>(range.min - p.zero_point), hi = static_cast<float>(range.max - p.zero_point);
    // chunk is a multiple of 4, so element start + i always feeds partial sum i mod 4
    auto accumulate = [&](std::size_t m, auto norm) {
        std::size_t i = 0;
        for (; i + 4 <= m; i += 4) {
            acc[0] += norm(e[i]);
            acc[1] += norm(e[i + 1]);
            acc[2] += norm(e[i + 2]);
            acc[3] += norm(e[i + 3]);
        }
        for (; i < m; ++i) acc[i & 3] += norm(e[i]);
    };
    for (std::size_t start = 0; start < n; start += chunk) {
        const std::size_t m = std::min(chunk, n - start);
        clip_errors(x + start, m, p.scale, lo, hi, e.data());
        if (power == 2.0)
            accumulate(m, [](float v) { return static_cast<double>(v) * v; });
        else if (power == 1.0)
            accumulate(m, [](float v) { return static_cast<double>(std::fabs(v)); });
        else
            accumulate(m, [power](float v) { return std::pow(std::fabs(static_cast<double>(v)), power); });
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) / static_cast<double>(finite);
}

// The search over n contiguous values.
inline search_result mse_search_contiguous(const float* x, std::size_t n, qrange range, const scheme& sch,
                                           const clip_search& opt) {
    const minmax_state s = observe_minmax(strided_view<const float>(x, n));
    detail::require(!s.empty(), "mse_search: no finite values");
    return ratio_search(s.min, s.max, range, sch, opt,
                        [&](const qparams& p) { return mean_clip_error(x, n, s.count, p, range, opt.power); });
}

// Copies the elements of v (row-major) into out.
inline void gather(strided_view<const float> v, std::vector<float>& out) {
    out.resize(v.size());
    std::size_t keep = no_axis;
    const auto [c] = coalesce(keep, v);
    const std::size_t last = c.rank() - 1;
    const auto n = static_cast<std::size_t>(c.extent(last));
    float* dst = out.data();
    for_each_run(
        [&](const dims&, const auto& off, std::uint64_t) {
            for (std::size_t i = 0; i < n; ++i)
                *dst++ = c.data()[off[0] + static_cast<std::ptrdiff_t>(i) * c.stride(last)];
        },
        c);
}

}  // namespace detail

/// Mean |x - Q(x)|^p over the finite values of x quantized with `p` in `range` (the error spec of the file
/// comment). Throws qnum::error for invalid parameters, power <= 0 or no finite value.
inline double quantization_error(strided_view<const float> x, qparams p, qrange range, double power = 2.0) {
    validate(p, range);
    detail::require(power > 0.0, "quantization_error: the norm's power must be > 0");
    const minmax_state s = observe_minmax(x);
    detail::require(!s.empty(), "quantization_error: no finite values");
    std::vector<float> buffer;
    const float* data = x.data();
    if (!x.is_contiguous()) detail::gather(x, buffer), data = buffer.data();
    return detail::mean_clip_error(data, x.size(), s.count, p, range, power);
}

/// Per-tensor clipping search on the data (see the file comment). Throws qnum::error if x has no finite value or
/// the options are invalid.
inline search_result mse_search(strided_view<const float> x, qrange range, const scheme& sch = {},
                                const clip_search& opt = {}) {
    detail::check_search(opt);
    std::vector<float> buffer;
    const float* data = x.data();
    if (!x.is_contiguous()) detail::gather(x, buffer), data = buffer.data();
    return detail::mse_search_contiguous(data, x.size(), range, sch, opt);
}

/// Per-channel clipping search: one search per slice along `axis`. Throws qnum::error for a bad axis, a channel
/// without finite values, or invalid options.
inline std::vector<search_result> mse_search_per_channel(strided_view<const float> x, std::size_t axis, qrange range,
                                                         const scheme& sch = {}, const clip_search& opt = {}) {
    detail::check_search(opt);
    detail::require(axis < x.rank(), "mse_search_per_channel: axis out of range for the view");
    std::vector<search_result> out;
    std::vector<float> buffer;
    dims shape = x.shape();
    shape[axis] = 1;
    for (std::ptrdiff_t c = 0; c < x.extent(axis); ++c) {
        const strided_view<const float> slice(x.data() + c * x.stride(axis), x.rank(), shape, x.strides());
        detail::gather(slice, buffer);
        out.push_back(detail::mse_search_contiguous(buffer.data(), buffer.size(), range, sch, opt));
    }
    return out;
}

/// mse_search_per_channel() as validated per-channel parameters of a compile-time format.
template <class Format>
per_channel<Format> mse_search_per_channel(strided_view<const float> x, std::size_t axis, const scheme& sch = {},
                                           const clip_search& opt = {}) {
    std::vector<qparams> p;
    for (const auto& r : mse_search_per_channel(x, axis, Format::range, sch, opt)) p.push_back(r.params);
    return detail::make_per_channel<Format>(p, axis);
}

}  // namespace qnum

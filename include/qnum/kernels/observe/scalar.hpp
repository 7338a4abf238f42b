// qnum — observer kernels, scalar reference (the specification the SIMD kernels must equal bit for bit).
//
//  * min-max of a run: the smallest and largest finite value; NaN and +-inf are skipped (callers count them).
//    The sign of a zero extreme is not specified (-0.0 and +0.0 compare equal); callers normalize it to +0.0.
//  * histogram bin of a value: torch.histc's linear-interpolation formula in float32,
//        bin = int((x - lo) * bins / (hi - lo)),
//    computed operation by operation in float (subtract, multiply, divide, truncate), clamped to [0, bins - 1] so
//    that x == hi (and values outside a fixed range) land in the edge bins. Non-finite values map to the extra slot
//    `bins`, which callers use to count them without a branch.
//  * quantization error of a value in units of the float result: with v = x / scale (IEEE division) and
//    q = clamp(round_half_to_even(v), lo, hi) (lo, hi: the code range minus the zero point),
//        e = (v - q) * scale + 0  (-0 normalized to +0),
//    which has no multiply-add for a compiler to fuse, so every ISA computes the same float. Non-finite x give 0.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qnum/rounding.hpp"

namespace qnum::detail {

/// True for finite x (false for NaN and +-inf).
inline bool is_finite_value(float x) noexcept { return std::fabs(x) <= FLT_MAX; }

/// Running min-max of finite values.
struct finite_range {
    float min = HUGE_VALF;
    float max = -HUGE_VALF;
};

/// Updates r with the finite values among n elements at x (element stride `stride`); returns how many were not
/// finite.
inline std::size_t minmax_run_scalar(const float* x, std::ptrdiff_t stride, std::size_t n, finite_range& r) noexcept {
    std::size_t nonfinite = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = x[static_cast<std::ptrdiff_t>(i) * stride];
        if (!is_finite_value(v)) {
            ++nonfinite;
            continue;
        }
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
    }
    return nonfinite;
}

/// Counts the non-finite values among n elements at x.
inline std::size_t count_nonfinite_scalar(const float* x, std::ptrdiff_t stride, std::size_t n) noexcept {
    std::size_t nonfinite = 0;
    for (std::size_t i = 0; i < n; ++i)
        nonfinite += is_finite_value(x[static_cast<std::ptrdiff_t>(i) * stride]) ? 0 : 1;
    return nonfinite;
}

/// Column-wise min-max: element j of the run (j < n) belongs to column j; mins[j] / maxs[j] are updated with it if
/// it is finite, and nonfinite[j] is incremented otherwise.
inline void minmax_columns_scalar(const float* x, std::ptrdiff_t stride, std::size_t n, float* mins, float* maxs,
                                  std::uint64_t* nonfinite) noexcept {
    for (std::size_t j = 0; j < n; ++j) {
        const float v = x[static_cast<std::ptrdiff_t>(j) * stride];
        if (!is_finite_value(v)) {
            ++nonfinite[j];
            continue;
        }
        if (v < mins[j]) mins[j] = v;
        if (v > maxs[j]) maxs[j] = v;
    }
}

/// The float grid of a histogram as the binning formula uses it.
struct bin_grid {
    float lo;                     ///< left edge of bin 0
    float span;                   ///< hi - lo, finite and > 0
    float bins;                   ///< number of bins, as float
    float last;                   ///< bins - 1, as float
    std::int32_t nonfinite_slot;  ///< == bins: where non-finite values are counted
    bool magnitude;               ///< bin |x| instead of x
};

/// Bin of x (see the file comment); grid.nonfinite_slot for NaN and +-inf.
inline std::int32_t bin_index(float x, const bin_grid& g) noexcept {
    if (g.magnitude) x = std::fabs(x);
    if (!is_finite_value(x)) return g.nonfinite_slot;
    float f = (x - g.lo) * g.bins / g.span;
    f = f > 0.0f ? f : 0.0f;
    f = f < g.last ? f : g.last;
    return static_cast<std::int32_t>(f);
}

/// Bins of n elements at x (element stride `stride`) into idx.
inline void bin_indices_scalar(const float* x, std::ptrdiff_t stride, std::size_t n, const bin_grid& g,
                               std::int32_t* idx) noexcept {
    for (std::size_t i = 0; i < n; ++i) idx[i] = bin_index(x[static_cast<std::ptrdiff_t>(i) * stride], g);
}

/// Quantization error of x (see the file comment).
inline float clip_error(float x, float scale, float lo, float hi) noexcept {
    if (!is_finite_value(x)) return 0.0f;
    const float v = x / scale;
    float q = round_half_to_even{}(v);
    q = q < lo ? lo : (q > hi ? hi : q);
    return (v - q) * scale + 0.0f;  // + 0 turns -0 into +0 (the clamp may pick either zero)
}

/// Quantization errors of n contiguous values into e.
inline void clip_errors_scalar(const float* x, std::size_t n, float scale, float lo, float hi, float* e) noexcept {
    for (std::size_t i = 0; i < n; ++i) e[i] = clip_error(x[i], scale, lo, hi);
}

}  // namespace qnum::detail

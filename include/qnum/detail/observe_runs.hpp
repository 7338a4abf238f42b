// qnum — observer kernels over runs: the xsimd kernel of this translation unit's architecture for the unit-stride
// prefix, the scalar reference for the rest (and for everything under limit_isa(isa::scalar)).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "qnum/cpu.hpp"
#include "qnum/kernels/observe/scalar.hpp"

#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#include "qnum/kernels/observe/xsimd.hpp"
#define QNUM_OBSERVE_SIMD 1
#else
#define QNUM_OBSERVE_SIMD 0
#endif

namespace qnum::detail {

inline bool observe_simd_enabled() noexcept {
    return QNUM_OBSERVE_SIMD && isa_ceiling.load(std::memory_order_relaxed) != 0;
}

/// Updates r with the finite values of a run of n elements; returns how many were not finite.
inline std::size_t minmax_run(const float* x, std::ptrdiff_t stride, std::size_t n, finite_range& r) noexcept {
    std::size_t done = 0;
    bool saw_nonfinite = false;
#if QNUM_OBSERVE_SIMD
    if (stride == 1 && observe_simd_enabled()) done = simd::minmax_run<xsimd::default_arch>(x, n, r, saw_nonfinite);
#endif
    const std::size_t tail = minmax_run_scalar(x + static_cast<std::ptrdiff_t>(done) * stride, stride, n - done, r);
    return tail + (saw_nonfinite ? count_nonfinite_scalar(x, stride, done) : 0);
}

/// Column-wise min-max of a run (element j updates column j).
inline void minmax_columns(const float* x, std::ptrdiff_t stride, std::size_t n, float* mins, float* maxs,
                           std::uint64_t* nonfinite) noexcept {
    std::size_t done = 0;
#if QNUM_OBSERVE_SIMD
    if (stride == 1 && observe_simd_enabled())
        done = simd::minmax_columns<xsimd::default_arch>(x, n, mins, maxs, nonfinite);
#endif
    minmax_columns_scalar(x + static_cast<std::ptrdiff_t>(done) * stride, stride, n - done, mins + done, maxs + done,
                          nonfinite + done);
}

/// Bin indices of a run of n elements into idx.
inline void bin_indices(const float* x, std::ptrdiff_t stride, std::size_t n, const bin_grid& g,
                        std::int32_t* idx) noexcept {
    std::size_t done = 0;
#if QNUM_OBSERVE_SIMD
    if (stride == 1 && observe_simd_enabled()) done = simd::bin_indices<xsimd::default_arch>(x, n, g, idx);
#endif
    bin_indices_scalar(x + static_cast<std::ptrdiff_t>(done) * stride, stride, n - done, g, idx + done);
}

/// Quantization errors of n contiguous values into e.
inline void clip_errors(const float* x, std::size_t n, float scale, float lo, float hi, float* e) noexcept {
    std::size_t done = 0;
#if QNUM_OBSERVE_SIMD
    if (observe_simd_enabled()) done = simd::clip_errors<xsimd::default_arch>(x, n, scale, lo, hi, e);
#endif
    clip_errors_scalar(x + done, n - done, scale, lo, hi, e + done);
}

}  // namespace qnum::detail

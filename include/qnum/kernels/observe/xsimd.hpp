// qnum — observer kernels with xsimd on the architecture this translation unit is compiled for (see
// kernels/quantize/xsimd.hpp). Each equals kernels/observe/scalar.hpp bit for bit: min and max are exact (only the
// sign of a zero extreme may differ, which callers normalize), and bin indices use the same float operations in the
// same order. They process whole batches and return how many elements they handled; callers finish the tail with
// the scalar reference.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "qnum/detail/simd_int.hpp"
#include "qnum/kernels/observe/scalar.hpp"

QNUM_INTRINSICS_BEGIN

namespace qnum::detail::simd {

template <class A>
using obs_fbatch = xsimd::batch<float, A>;

template <class A>
inline xsimd::batch_bool<float, A> finite_lanes(const obs_fbatch<A>& v) noexcept {
    return xsimd::abs(v) <= obs_fbatch<A>(FLT_MAX);
}

// Min-max over whole batches of a contiguous run, four independent accumulators deep (min/max latency), updating r.
// Sets `saw_nonfinite` when a NaN or infinity was skipped, so the caller can count them with a second (rare) pass.
template <class A>
std::size_t minmax_run(const float* x, std::size_t n, finite_range& r, bool& saw_nonfinite) noexcept {
    using B = obs_fbatch<A>;
    constexpr std::size_t step = B::size;
    const B pinf(HUGE_VALF), ninf(-HUGE_VALF);
    B lo0(r.min), lo1 = pinf, lo2 = pinf, lo3 = pinf;
    B hi0(r.max), hi1 = ninf, hi2 = ninf, hi3 = ninf;
    auto bad = B(0.0f) != B(0.0f);  // all false
    std::size_t i = 0;
    for (; i + 4 * step <= n; i += 4 * step) {
        const B v0 = B::load_unaligned(x + i), v1 = B::load_unaligned(x + i + step);
        const B v2 = B::load_unaligned(x + i + 2 * step), v3 = B::load_unaligned(x + i + 3 * step);
        const auto f0 = finite_lanes<A>(v0), f1 = finite_lanes<A>(v1), f2 = finite_lanes<A>(v2),
                   f3 = finite_lanes<A>(v3);
        lo0 = xsimd::min(lo0, xsimd::select(f0, v0, pinf));
        lo1 = xsimd::min(lo1, xsimd::select(f1, v1, pinf));
        lo2 = xsimd::min(lo2, xsimd::select(f2, v2, pinf));
        lo3 = xsimd::min(lo3, xsimd::select(f3, v3, pinf));
        hi0 = xsimd::max(hi0, xsimd::select(f0, v0, ninf));
        hi1 = xsimd::max(hi1, xsimd::select(f1, v1, ninf));
        hi2 = xsimd::max(hi2, xsimd::select(f2, v2, ninf));
        hi3 = xsimd::max(hi3, xsimd::select(f3, v3, ninf));
        bad = bad | !((f0 & f1) & (f2 & f3));
    }
    for (; i + step <= n; i += step) {
        const B v = B::load_unaligned(x + i);
        const auto f = finite_lanes<A>(v);
        lo0 = xsimd::min(lo0, xsimd::select(f, v, pinf));
        hi0 = xsimd::max(hi0, xsimd::select(f, v, ninf));
        bad = bad | !f;
    }
    alignas(64) float lanes_lo[step], lanes_hi[step];
    xsimd::min(xsimd::min(lo0, lo1), xsimd::min(lo2, lo3)).store_aligned(lanes_lo);
    xsimd::max(xsimd::max(hi0, hi1), xsimd::max(hi2, hi3)).store_aligned(lanes_hi);
    for (std::size_t k = 0; k < step; ++k) {
        if (lanes_lo[k] < r.min) r.min = lanes_lo[k];
        if (lanes_hi[k] > r.max) r.max = lanes_hi[k];
    }
    saw_nonfinite = saw_nonfinite || xsimd::any(bad);
    return i;
}

// Column-wise min-max (element j of the run updates column j), whole batches; counts non-finite values per column.
template <class A>
std::size_t minmax_columns(const float* x, std::size_t n, float* mins, float* maxs, std::uint64_t* nonfinite) noexcept {
    using B = obs_fbatch<A>;
    constexpr std::size_t step = B::size;
    std::size_t j = 0;
    for (; j + step <= n; j += step) {
        const B v = B::load_unaligned(x + j);
        const auto f = finite_lanes<A>(v);
        const B lo = B::load_unaligned(mins + j), hi = B::load_unaligned(maxs + j);
        xsimd::select(f, xsimd::min(lo, v), lo).store_unaligned(mins + j);
        xsimd::select(f, xsimd::max(hi, v), hi).store_unaligned(maxs + j);
        if (!xsimd::all(f))
            for (std::size_t k = 0; k < step; ++k) nonfinite[j + k] += is_finite_value(x[j + k]) ? 0 : 1;
    }
    return j;
}

// Bin indices of whole batches (the scalar formula lane by lane), written to idx.
template <class A>
std::size_t bin_indices(const float* x, std::size_t n, const bin_grid& g, std::int32_t* idx) noexcept {
    using B = obs_fbatch<A>;
    constexpr std::size_t step = B::size;
    const B lo(g.lo), span(g.span), bins(g.bins), last(g.last), zero(0.0f);
    const B slot(static_cast<float>(g.nonfinite_slot));  // exact: a bin count is far below 2^24
    std::size_t i = 0;
    for (; i + step <= n; i += step) {
        B v = B::load_unaligned(x + i);
        if (g.magnitude) v = xsimd::abs(v);
        B p = divide<A>((v - lo) * bins, span);  // exact division on every ISA (see simd_int.hpp)
        p = xsimd::min(xsimd::max(p, zero), last);
        xsimd::to_int(xsimd::select(finite_lanes<A>(v), p, slot)).store_unaligned(idx + i);
    }
    return i;
}

// Quantization errors (the scalar formula lane by lane) of whole batches, written to e.
template <class A>
std::size_t clip_errors(const float* x, std::size_t n, float scale, float lo, float hi, float* e) noexcept {
    using B = obs_fbatch<A>;
    constexpr std::size_t step = B::size;
    const B s(scale), l(lo), h(hi), zero(0.0f);
    std::size_t i = 0;
    for (; i + step <= n; i += step) {
        const B x0 = B::load_unaligned(x + i);
        const B v = divide<A>(x0, s);
        const B q = xsimd::min(xsimd::max(xsimd::nearbyint(v), l), h);
        xsimd::select(finite_lanes<A>(x0), (v - q) * s + zero, zero).store_unaligned(e + i);
    }
    return i;
}

}  // namespace qnum::detail::simd

QNUM_INTRINSICS_END

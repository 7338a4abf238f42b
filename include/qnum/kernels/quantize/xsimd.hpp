// qnum — quantize / dequantize / fake-quantize with xsimd on the architecture this translation unit is compiled for
// (xsimd::default_arch: SSE2 on baseline x86-64, AVX2 with -mavx2 -mfma, AVX-512 with -mavx512bw, NEON on AArch64).
// These kernels are memory-bound, so the compile-time architecture is enough; each equals kernels/quantize/scalar.hpp
// bit for bit. They process whole batches and return how many elements they handled; callers finish the tail with
// the scalar reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "qnum/cpu.hpp"

#include "qnum/detail/simd_int.hpp"
#include "qnum/kernels/quantize/scalar.hpp"
#include "qnum/rounding.hpp"

QNUM_INTRINSICS_BEGIN

namespace qnum::detail::simd {

template <class A>
using ubatch = xsimd::batch<std::uint32_t, A>;

// ---- rounding: one overload per mode, each the batch form of the scalar tag in rounding.hpp -----------------------

template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_half_to_even, std::uint64_t) noexcept {
    return xsimd::nearbyint(v);
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_toward_zero, std::uint64_t) noexcept {
    return xsimd::trunc(v);
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_floor, std::uint64_t) noexcept {
    return xsimd::floor(v);
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_ceil, std::uint64_t) noexcept {
    return xsimd::ceil(v);
}

// The tie-handling modes below avoid compares and blends: with d = v - trunc(v) (or v - floor(v)), 2d is exact and
// trunc(2d) / floor(2d) is exactly the +-1 or 0 step the scalar definition adds. One inexact case: for -1 < v < 0,
// v - floor(v) = 1 + v may round up to 1.0 (tiny v), so floor(2d) is capped at 1 (the true d is >= 0.5 there).
// Half-down is half-up mirrored (ceil(v) - floor(2 (ceil(v) - v))); half-toward-zero is half-down of |v|, signed.
template <class A>
fbatch<A> step_from_fraction(const fbatch<A>& d) noexcept {
    return xsimd::min(xsimd::floor(d * fbatch<A>(2.0f)), fbatch<A>(1.0f));
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_half_away_from_zero, std::uint64_t) noexcept {
    const fbatch<A> t = xsimd::trunc(v);  // v - t is exact: t is +-0 when |v| < 1
    return t + xsimd::trunc((v - t) * fbatch<A>(2.0f));
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_half_up, std::uint64_t) noexcept {
    const fbatch<A> f = xsimd::floor(v);
    return f + step_from_fraction<A>(v - f);
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_half_down, std::uint64_t) noexcept {
    const fbatch<A> c = xsimd::ceil(v);
    return c - step_from_fraction<A>(c - v);
}
template <class A>
fbatch<A> round_batch(const fbatch<A>& v, round_half_toward_zero, std::uint64_t) noexcept {
    const fbatch<A> a = xsimd::abs(v), c = xsimd::ceil(a);
    return xsimd::copysign(c - step_from_fraction<A>(c - a), v);
}

template <class A>
ubatch<A> mix32(ubatch<A> x) noexcept {
    x ^= x >> 16;
    x *= ubatch<A>(0x7feb352du);
    x ^= x >> 15;
    x *= ubatch<A>(0x846ca68bu);
    x ^= x >> 16;
    return x;
}

inline constexpr std::uint32_t lane_iota[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                                32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                                                48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};

template <class A>
fbatch<A> round_batch(const fbatch<A>& v, const round_stochastic& r, std::uint64_t index) noexcept {
    constexpr std::size_t n = fbatch<A>::size;
    const auto lo = static_cast<std::uint32_t>(index);
    if (lo > UINT32_MAX - (n - 1)) {  // lanes straddle a 2^32 boundary of the index: rare, use the reference per lane
        alignas(64) float lanes[n];
        v.store_aligned(lanes);
        for (std::size_t j = 0; j < n; ++j) lanes[j] = r(lanes[j], index + j);
        return fbatch<A>::load_aligned(lanes);
    }
    const ubatch<A> key(stochastic_key(r.seed, static_cast<std::uint32_t>(index >> 32)));
    const ubatch<A> idx = ubatch<A>(lo) + ubatch<A>::load_unaligned(lane_iota);
    const ubatch<A> u = mix32<A>(mix32<A>(idx ^ key) + key) >> 8;
    const fbatch<A> uf = xsimd::to_float(xsimd::bitwise_cast<ibatch<A>>(u));  // < 2^24: exact
    const fbatch<A> t = xsimd::trunc(v), d = v - t;
    const fbatch<A> step = xsimd::select(uf < xsimd::abs(d) * fbatch<A>(16777216.0f), fbatch<A>(1.0f), fbatch<A>(0.0f));
    return t + xsimd::copysign(step, d);
}

// ---- parameters as batches ----------------------------------------------------------------------------------------

template <class A>
struct batch_params_uniform {
    fbatch<A> scale, inv_scale;
    ibatch<A> zero_point;
    fbatch<A> scale_at(std::size_t) const noexcept { return scale; }
    fbatch<A> inv_scale_at(std::size_t) const noexcept { return inv_scale; }
    ibatch<A> zero_point_at(std::size_t) const noexcept { return zero_point; }
};
template <class A>
batch_params_uniform<A> batched(const uniform_params& p) noexcept {
    return {fbatch<A>(p.p.scale), fbatch<A>(p.p.inv_scale), ibatch<A>(p.p.zero_point)};
}

template <class A>
struct batch_params_varying {
    const float* scales;
    const std::int32_t* zero_points;
    fbatch<A> scale_at(std::size_t i) const noexcept { return fbatch<A>::load_unaligned(scales + i); }
    fbatch<A> inv_scale_at(std::size_t i) const noexcept { return divide<A>(fbatch<A>(1.0f), scale_at(i)); }
    ibatch<A> zero_point_at(std::size_t i) const noexcept { return ibatch<A>::load_unaligned(zero_points + i); }
};
template <class A>
batch_params_varying<A> batched(const varying_params& p) noexcept {
    return {p.scales, p.zero_points};
}

// q - zero_point of batch i as float (NaN lanes -> 0), i.e. the rounded, clamped value of the specification.
template <class A, class Format, scale_op Op, class Rounding, class BP>
fbatch<A> quantized_offset(const fbatch<A>& x, const BP& bp, std::size_t i, const ibatch<A>& zp, const Rounding& r,
                           std::uint64_t index) noexcept {
    fbatch<A> v = Op == scale_op::divide ? divide<A>(x, bp.scale_at(i)) : x * bp.inv_scale_at(i);
    const auto nan = xsimd::isnan(v);
    const fbatch<A> lo = xsimd::to_float(ibatch<A>(Format::min) - zp);
    const fbatch<A> hi = xsimd::to_float(ibatch<A>(Format::max) - zp);
    // Modes built from v - floor(v) turn +-inf into NaN. Every mode is monotone, so clamping to [lo - 1, hi + 1]
    // first cannot change the clamped result, and keeps those lanes finite.
    if constexpr (!std::is_same_v<Rounding, round_half_to_even> && !std::is_same_v<Rounding, round_toward_zero> &&
                  !std::is_same_v<Rounding, round_floor> && !std::is_same_v<Rounding, round_ceil>)
        v = xsimd::min(xsimd::max(v, lo - fbatch<A>(1.0f)), hi + fbatch<A>(1.0f));
    v = round_batch<A>(v, r, index);
    v = xsimd::min(xsimd::max(v, lo), hi) + fbatch<A>(0.0f);  // + 0 turns -0 into +0, as float(int) does
    return xsimd::select(nan, fbatch<A>(0.0f), v);
}

// ---- run kernels --------------------------------------------------------------------------------------------------

template <class A, class Format, scale_op Op, class Rounding, class Params>
std::size_t quantize_run(const float* x, typename Format::storage* q, std::size_t n, const Params& params,
                         const Rounding& r, std::uint64_t index0) noexcept {
    constexpr std::size_t step = fbatch<A>::size;
    const auto bp = batched<A>(params);
    std::size_t i = 0;
    for (; i + step <= n; i += step) {
        const ibatch<A> zp = bp.zero_point_at(i);
        const fbatch<A> v = quantized_offset<A, Format, Op>(fbatch<A>::load_unaligned(x + i), bp, i, zp, r, index0 + i);
        store_narrow<typename Format::storage, A>(q + i, xsimd::to_int(v) + zp);
    }
    return i;
}

template <class A, class Storage, class Params>
std::size_t dequantize_run(const Storage* q, float* x, std::size_t n, const Params& params) noexcept {
    constexpr std::size_t step = fbatch<A>::size;
    const auto bp = batched<A>(params);
    std::size_t i = 0;
    for (; i + step <= n; i += step) {
        const ibatch<A> v = load_widen<Storage, A>(q + i) - bp.zero_point_at(i);
        (xsimd::to_float(v) * bp.scale_at(i)).store_unaligned(x + i);
    }
    return i;
}

template <class A, class Format, scale_op Op, class Rounding, class Params>
std::size_t fake_quantize_run(const float* x, float* y, std::size_t n, const Params& params, const Rounding& r,
                              std::uint64_t index0) noexcept {
    constexpr std::size_t step = fbatch<A>::size;
    const auto bp = batched<A>(params);
    std::size_t i = 0;
    for (; i + step <= n; i += step) {
        const fbatch<A> v = quantized_offset<A, Format, Op>(fbatch<A>::load_unaligned(x + i), bp, i,
                                                            bp.zero_point_at(i), r, index0 + i);
        (v * bp.scale_at(i)).store_unaligned(y + i);
    }
    return i;
}

}  // namespace qnum::detail::simd

QNUM_INTRINSICS_END

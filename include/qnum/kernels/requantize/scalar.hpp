// qnum — requantization, scalar reference: the per-element specification every SIMD kernel must equal bit for bit.
//
// out = clamp(zero_point + R_c(acc), lo, hi) where R_c is the method's rescaling of channel c (requantize.hpp), the
// sum is exact (int64) and lo/hi are the clamp bounds.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/fixed_point.hpp"

namespace qnum {

/// Requantization method: TFLite's classic form, saturating_rounding_doubling_high_mul then rounding_divide_by_pot
/// (two roundings; gemmlowp, TFLite reference kernels). See multiply_by_quantized_multiplier.
struct double_rounding {};
/// Requantization method: TFLite's single-rounding form, round-half-up(acc * M * 2^(shift-31)) computed exactly.
struct single_rounding {};
/// Requantization method: XNNPACK's rndnu (round to nearest, ties up): the real multiplier is first rounded to
/// float (XNNPACK passes float scales), then acc * scale is computed exactly and rounded once with ties toward +inf.
struct rndnu {};
/// Requantization method: XNNPACK's fp32: float(acc) * float(scale), clamped, then rounded to nearest-even
/// (lrintf in the default rounding mode). Cheapest on hardware with fast float conversion.
struct fp32 {};
/// Requantization method: shift only; every real multiplier must be an exact power of two 2^e, e in [-31, 30].
/// Right shifts round half away from zero (rounding_divide_by_pot), left shifts saturate.
struct power_of_two {};

namespace detail {

/// Everything a requantization kernel needs for one channel, derived once from the real multiplier.
struct requant_channel {
    quantized_multiplier qm;  ///< Q31 multiplier and shift (rndnu: of the float-rounded scale; pot: multiplier 0)
    float scale;              ///< fp32: the float scale
};

/// Output stage bounds, precomputed: out = clamp(v + zp, lo, hi) = min(max(v, lo - zp), hi - zp) + zp.
struct requant_output {
    std::int32_t zero_point, lo, hi;
};

template <class Method>
inline std::int32_t requant_rescale(std::int32_t acc, const requant_channel& ch) {
    if constexpr (std::is_same_v<Method, double_rounding>) {
        return multiply_by_quantized_multiplier(acc, ch.qm);
    } else if constexpr (std::is_same_v<Method, single_rounding> || std::is_same_v<Method, rndnu>) {
        return multiply_by_quantized_multiplier_single_rounding(acc, ch.qm);
    } else {
        static_assert(std::is_same_v<Method, power_of_two>, "qnum: unknown requantization method");
        return ch.qm.shift >= 0 ? saturating_left_shift(acc, ch.qm.shift) : rounding_divide_by_pot(acc, -ch.qm.shift);
    }
}

/// One element: the specification of requantizer<Out, Method>::apply.
template <class Out, class Method>
inline Out requant_one(std::int32_t acc, const requant_channel& ch, const requant_output& o) {
    if constexpr (std::is_same_v<Method, fp32>) {
        // XNNPACK's xnn_qs8_requantize_fp32: clamp in float against (bound - zero_point), lrintf, add zero point.
        float v = static_cast<float>(acc) * ch.scale;
        const auto lo = static_cast<float>(o.lo - o.zero_point), hi = static_cast<float>(o.hi - o.zero_point);
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        return static_cast<Out>(static_cast<std::int32_t>(std::nearbyint(v)) + o.zero_point);
    } else {
        std::int64_t v = static_cast<std::int64_t>(requant_rescale<Method>(acc, ch)) + o.zero_point;
        v = v < o.lo ? o.lo : v;
        v = v > o.hi ? o.hi : v;
        return static_cast<Out>(v);
    }
}

/// n elements starting at channel c0 (per_channel) or all with channel 0; bias (optional, nullptr for none) is added
/// to acc[i] first, saturating: bias[i] belongs to element i.
template <class Out, class Method>
inline void requant_run_scalar(const std::int32_t* acc, const std::int32_t* bias, Out* out, std::size_t n,
                               const requant_channel* channels, bool per_channel, std::size_t c0,
                               const requant_output& o) {
    const requant_output out_stage = o;  // local copies: stores through Out* (a char type) may alias anything
    const auto biased = [bias, acc](std::size_t i) {
        return bias ? saturate_to_int32(static_cast<std::int64_t>(acc[i]) + bias[i]) : acc[i];
    };
    if (per_channel) {
        for (std::size_t i = 0; i < n; ++i) out[i] = requant_one<Out, Method>(biased(i), channels[c0 + i], out_stage);
    } else {
        const requant_channel ch = channels[0];
        for (std::size_t i = 0; i < n; ++i) out[i] = requant_one<Out, Method>(biased(i), ch, out_stage);
    }
}

}  // namespace detail
}  // namespace qnum

// qnum — fixed-point arithmetic of integer inference engines: real multipliers carried as (Q31 or Q15 integer,
// power-of-two shift), the gemmlowp primitives built on them, and the "multiply by quantized multiplier" forms that
// TFLite and gemmlowp use to rescale int32 accumulators.
//
// These scalar functions are the specification; the array kernels (requantize.hpp and kernels/requantize/) equal
// them bit for bit. Definitions follow gemmlowp's fixedpoint.h (SaturatingRoundingDoublingHighMul,
// RoundingDivideByPOT) and TFLite's kernels/internal/{quantization_util.cc,common.h} (QuantizeMultiplier,
// MultiplyByQuantizedMultiplier in the double- and single-rounding forms); the tests compare against gemmlowp's
// header directly and against transcriptions of the TFLite/XNNPACK definitions.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qnum/error.hpp"

namespace qnum {

/// A positive real multiplier in fixed point: real ≈ multiplier * 2^(shift - 31). `multiplier` is a Q31 value in
/// [2^30, 2^31 - 1] (or 0 when the real multiplier is too small to change any int32 input, see quantize_multiplier)
/// and `shift` is in [-31, 30]: positive shifts scale up (left), negative ones down (right).
struct quantized_multiplier {
    std::int32_t multiplier;
    int shift;

    /// The real value this pair represents, multiplier * 2^(shift - 31) (exact in double).
    double real() const noexcept { return std::ldexp(static_cast<double>(multiplier), shift - 31); }
    friend constexpr bool operator==(quantized_multiplier a, quantized_multiplier b) noexcept {
        return a.multiplier == b.multiplier && a.shift == b.shift;
    }
    friend constexpr bool operator!=(quantized_multiplier a, quantized_multiplier b) noexcept { return !(a == b); }
};

/// A positive real multiplier for int16 paths: real ≈ multiplier * 2^(shift - 15), multiplier a Q15 value in
/// [2^14, 2^15 - 1] (or 0, see quantize_multiplier_q15), shift in [-15, 14].
struct quantized_multiplier16 {
    std::int16_t multiplier;
    int shift;

    /// The real value this pair represents, multiplier * 2^(shift - 15).
    double real() const noexcept { return std::ldexp(static_cast<double>(multiplier), shift - 15); }
    friend constexpr bool operator==(quantized_multiplier16 a, quantized_multiplier16 b) noexcept {
        return a.multiplier == b.multiplier && a.shift == b.shift;
    }
    friend constexpr bool operator!=(quantized_multiplier16 a, quantized_multiplier16 b) noexcept {
        return !(a == b);
    }
};

/// Decomposes a real multiplier exactly as TFLite's QuantizeMultiplier: real = q * 2^shift with q in [0.5, 1)
/// (frexp), multiplier = round-half-away(q * 2^31); when that rounds up to 2^31 it becomes 2^30 with shift + 1.
/// The result is the nearest Q31 value: |real - multiplier * 2^(shift-31)| <= 2^(shift-32), i.e. half an ULP.
/// Multipliers below 2^-32 (after rounding: shift < -31) give {0, 0} like TFLite; this is exact, because
/// |acc * real| < 1/2 for every int32 acc, so every rounding form of requantization returns 0 for them.
/// Throws qnum::error if real is NaN, infinite, <= 0, or >= 2^30 - 2^-2 (shift would exceed 30, where the left shift
/// of an int32 accumulator alone would overflow).
inline quantized_multiplier quantize_multiplier(double real) {
    detail::require(!std::isnan(real), "quantized multiplier: real multiplier is NaN");
    detail::require(!std::isinf(real), "quantized multiplier: real multiplier is infinite");
    detail::require(real > 0.0, "quantized multiplier: real multiplier must be > 0");
    int shift = 0;
    const double q = std::frexp(real, &shift);  // real = q * 2^shift, q in [0.5, 1)
    auto q_fixed = static_cast<std::int64_t>(std::round(q * 2147483648.0));  // exact: q has 53 bits, * 2^31 is exact
    if (q_fixed == (std::int64_t{1} << 31)) {  // q rounded up to 1.0: renormalise
        q_fixed /= 2;
        ++shift;
    }
    if (shift < -31) return {0, 0};
    detail::require(shift <= 30, "quantized multiplier: real multiplier must be < 2^30 (shift above 30)");
    return {static_cast<std::int32_t>(q_fixed), shift};
}

/// quantize_multiplier for each element (per-channel multipliers); throws qnum::error at the first bad one.
inline std::vector<quantized_multiplier> quantize_multipliers(const std::vector<double>& reals) {
    std::vector<quantized_multiplier> out;
    out.reserve(reals.size());
    for (double r : reals) out.push_back(quantize_multiplier(r));
    return out;
}

/// Q15 counterpart of quantize_multiplier for int16 fixed-point paths: multiplier = round-half-away(q * 2^15) in
/// [2^14, 2^15 - 1] (rounding up to 2^15 renormalises to 2^14 with shift + 1), error <= 2^(shift-16).
/// Multipliers with shift < -15 give {0, 0} (exact for int16 inputs: |x * real| < 1/2); throws qnum::error for NaN,
/// infinities, real <= 0 and shift > 14.
inline quantized_multiplier16 quantize_multiplier_q15(double real) {
    detail::require(!std::isnan(real), "quantized multiplier: real multiplier is NaN");
    detail::require(!std::isinf(real), "quantized multiplier: real multiplier is infinite");
    detail::require(real > 0.0, "quantized multiplier: real multiplier must be > 0");
    int shift = 0;
    const double q = std::frexp(real, &shift);
    auto q_fixed = static_cast<std::int32_t>(std::round(q * 32768.0));
    if (q_fixed == 32768) {
        q_fixed /= 2;
        ++shift;
    }
    if (shift < -15) return {0, 0};
    detail::require(shift <= 14, "quantized multiplier: Q15 real multiplier must be < 2^14 (shift above 14)");
    return {static_cast<std::int16_t>(q_fixed), shift};
}

/// gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b, rounded to nearest with ties toward
/// +infinity, i.e. floor((a*b + 2^30) / 2^31) (equal to gemmlowp's nudge-and-truncate form and to ARM's sqrdmulh).
/// The only overflow, a = b = INT32_MIN, saturates to INT32_MAX.
constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) noexcept {
    if (a == b && a == std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::max();
    const std::int64_t ab = static_cast<std::int64_t>(a) * b;
    return static_cast<std::int32_t>((ab + (std::int64_t{1} << 30)) >> 31);  // >> on negative: arithmetic (C++20 def.)
}

/// Q15 form (ARM sqrdmulh on int16): floor((a*b + 2^14) / 2^15); a = b = INT16_MIN saturates to INT16_MAX.
constexpr std::int16_t saturating_rounding_doubling_high_mul(std::int16_t a, std::int16_t b) noexcept {
    if (a == b && a == std::numeric_limits<std::int16_t>::min()) return std::numeric_limits<std::int16_t>::max();
    const std::int32_t ab = static_cast<std::int32_t>(a) * b;
    return static_cast<std::int16_t>((ab + (1 << 14)) >> 15);
}

/// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. exponent in [0, 31]
/// (checked by QNUM_ASSERT in debug builds).
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) noexcept {
    const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << exponent) - 1);
    const std::int32_t remainder = x & mask;
    const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// RoundingDivideByPOT on int16 (gemmlowp's int16 specialisation): ties away from zero, exponent in [0, 15].
constexpr std::int16_t rounding_divide_by_pot(std::int16_t x, int exponent) noexcept {
    const std::int32_t mask = (1 << exponent) - 1;
    const std::int32_t remainder = x & mask;
    const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return static_cast<std::int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/// x * 2^exponent saturated to [INT32_MIN, INT32_MAX]; exponent in [0, 31].
constexpr std::int32_t saturating_left_shift(std::int32_t x, int exponent) noexcept {
    const std::int64_t v = static_cast<std::int64_t>(x) * (std::int64_t{1} << exponent);
    if (v > std::numeric_limits<std::int32_t>::max()) return std::numeric_limits<std::int32_t>::max();
    if (v < std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::min();
    return static_cast<std::int32_t>(v);
}

namespace detail {
constexpr std::int32_t saturate_to_int32(std::int64_t v) noexcept {
    return v > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
           : v < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                          : static_cast<std::int32_t>(v);
}
}  // namespace detail

/// TFLite's classic (double-rounding) MultiplyByQuantizedMultiplier:
///   rounding_divide_by_pot(saturating_rounding_doubling_high_mul(acc * 2^max(shift,0), multiplier), max(-shift,0)).
/// Two roundings (ties up, then ties away from zero), so the result may differ from round(acc * real) by one in rare
/// ties. The left shift saturates (TFLite's int32 multiply would overflow there; the result then saturates too).
/// shift in [-31, 31].
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t acc, quantized_multiplier m) noexcept {
    const int left = m.shift > 0 ? m.shift : 0;
    const int right = m.shift > 0 ? 0 : -m.shift;
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(saturating_left_shift(acc, left), m.multiplier),
                                  right);
}

/// TFLite's single-rounding MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING):
///   floor((acc * multiplier + 2^(30 - shift)) / 2^(31 - shift)),
/// the exact product rounded once to nearest with ties toward +infinity, saturated to int32. shift in [-31, 30]
/// (QNUM_ASSERT), as quantize_multiplier produces.
constexpr std::int32_t multiply_by_quantized_multiplier_single_rounding(std::int32_t acc, quantized_multiplier m) {
    QNUM_ASSERT(m.shift >= -31 && m.shift <= 30);
    const int total_shift = 31 - m.shift;  // in [1, 62]
    const std::int64_t round = std::int64_t{1} << (total_shift - 1);
    return detail::saturate_to_int32((static_cast<std::int64_t>(acc) * m.multiplier + round) >> total_shift);
}

/// TFLite's 64-bit-accumulator MultiplyByQuantizedMultiplier (int16x8 kernels): the Q31 multiplier is reduced to
/// Q15 (round half up, capped at 2^15 - 1), then floor((acc * m15 + 2^(14 - shift)) / 2^(15 - shift)) saturated to
/// int32. Preconditions (QNUM_ASSERT): |acc| < 2^47, shift in [-31, 7], as TFLite requires.
inline std::int32_t multiply_by_quantized_multiplier(std::int64_t acc, quantized_multiplier m) {
    QNUM_ASSERT(acc >= -(std::int64_t{1} << 47) && acc < (std::int64_t{1} << 47));
    QNUM_ASSERT(m.shift >= -31 && m.shift <= 7);
    const std::int64_t reduced = m.multiplier < 0x7FFF0000 ? (m.multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - m.shift;
    const std::int64_t round = std::int64_t{1} << (total_shift - 1);
    return detail::saturate_to_int32((acc * reduced + round) >> total_shift);
}

/// Exact 64-bit form: round-half-up(acc * multiplier * 2^(shift-31)) for 64-bit accumulators, computed in 128 bits
/// and saturated to int32 (for int16 activations with wide accumulators when the reduced Q15 multiplier is too coarse).
/// shift in [-31, 30] (QNUM_ASSERT).
inline std::int32_t multiply_by_quantized_multiplier_exact(std::int64_t acc, quantized_multiplier m) {
    QNUM_ASSERT(m.shift >= -31 && m.shift <= 30);
    __extension__ using int128 = __int128;
    const int total_shift = 31 - m.shift;  // in [1, 62]
    const int128 v = (static_cast<int128>(acc) * m.multiplier + (static_cast<int128>(1) << (total_shift - 1))) >>
                     total_shift;
    return v > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
           : v < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                          : static_cast<std::int32_t>(v);
}

/// int16 form with a Q15 multiplier (gemmlowp int16 / ARM sqrdmulh + rounding shift):
///   rounding_divide_by_pot(srdhm(sat(x * 2^max(shift,0)), multiplier), max(-shift,0)) on int16.
constexpr std::int16_t multiply_by_quantized_multiplier(std::int16_t x, quantized_multiplier16 m) noexcept {
    const int left = m.shift > 0 ? m.shift : 0;
    const int right = m.shift > 0 ? 0 : -m.shift;
    std::int32_t shifted = static_cast<std::int32_t>(x) * (1 << left);
    shifted = shifted > 32767 ? 32767 : shifted < -32768 ? -32768 : shifted;
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(static_cast<std::int16_t>(shifted), m.multiplier), right);
}

}  // namespace qnum

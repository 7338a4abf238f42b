// qnum — choosing (scale, zero_point) from an observed float range [min, max].
//
// The arithmetic follows PyTorch's observers (torch.ao.quantization, _calculate_qparams) operation for operation in
// float32, so a range observed by qnum and by PyTorch gives bit-identical parameters:
//   affine:    scale = (max(max,0) - min(min,0)) / (qmax - qmin);  scale = max(scale, eps)
//              zero_point = clamp(qmin - round_half_to_even(min(min,0) / scale), qmin, qmax)
//   symmetric: scale = max(-min(min,0), max(max,0)) / ((qmax - qmin) / 2);  scale = max(scale, eps)
//              zero_point = 0 (signed) or (qmin + qmax + 1) / 2 (unsigned, 128 for uint8)
// The range is first widened to contain 0, so real 0 is always exactly representable as the integer zero point.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/qparams.hpp"
#include "qnum/rounding.hpp"

namespace qnum {

/// How a float range becomes quantization parameters.
struct scheme {
    bool symmetric = false;           ///< zero point pinned (0 for signed formats, mid-range for unsigned)
    bool power_of_two_scale = false;  ///< round the scale up to a power of two (nothing that fit before clips)
    float fixed_scale = 0.0f;         ///< if > 0, this exact scale is used as given (e.g. 100.0f / 32768)
    float eps = FLT_EPSILON;          ///< lower bound on a computed scale (PyTorch's observer eps)
};

/// Smallest power of two >= x, for finite x > 0 (exact: built from the exponent, no log2 rounding).
inline float power_of_two_at_least(float x) noexcept {
    int exponent = 0;
    const float mantissa = std::frexp(x, &exponent);  // x = mantissa * 2^exponent, mantissa in [0.5, 1)
    return mantissa == 0.5f ? x : std::ldexp(1.0f, exponent);
}

/// Zero point a symmetric scheme uses for `range`: 0 if the range has negative codes, else its upper midpoint
/// (128 for uint8, as PyTorch's default quint8; PyTorch's custom quant_min/quant_max use the lower midpoint instead).
constexpr std::int32_t symmetric_zero_point(qrange range) noexcept {
    return range.min < 0 ? 0 : (range.min + range.max + 1) / 2;
}

/// Parameters for data observed in [min, max] (see the file comment for the exact formulas).
/// Throws qnum::error if min or max is not finite, min > max, the resulting scale is not representable, or
/// s.fixed_scale is set but invalid.
inline qparams choose_qparams(float min, float max, qrange range, const scheme& s = {}) {
    detail::require(std::isfinite(min) && std::isfinite(max), "choose_qparams: min and max must be finite");
    detail::require(min <= max, "choose_qparams: min > max");
    detail::require(s.fixed_scale == 0.0f || is_valid_scale(s.fixed_scale),
                    "choose_qparams: fixed scale must be finite, normal and > 0");
    const float min_neg = std::fmin(min, 0.0f);
    const float max_pos = std::fmax(max, 0.0f);
    const float span = static_cast<float>(range.max - range.min);

    float scale = s.fixed_scale;
    if (scale == 0.0f) {
        scale = s.symmetric ? std::fmax(-min_neg, max_pos) / (span / 2.0f) : (max_pos - min_neg) / span;
        scale = std::fmax(scale, s.eps);
        detail::require(is_valid_scale(scale), "choose_qparams: range too wide for a float scale");
        if (s.power_of_two_scale) scale = power_of_two_at_least(scale);
    }

    std::int32_t zero_point = symmetric_zero_point(range);
    if (!s.symmetric) {
        const float zp = static_cast<float>(range.min) - round_half_to_even{}(min_neg / scale);
        zero_point = static_cast<std::int32_t>(
            std::fmin(std::fmax(zp, static_cast<float>(range.min)), static_cast<float>(range.max)));
    }
    qparams p{scale, zero_point};
    validate(p, range);
    return p;
}

/// choose_qparams() for a compile-time format, returning validated per-tensor parameters.
template <class Format>
per_tensor<Format> choose_per_tensor(float min, float max, const scheme& s = {}) {
    return per_tensor<Format>(choose_qparams(min, max, Format::range, s));
}

}  // namespace qnum

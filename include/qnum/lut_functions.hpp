// qnum — a catalogue of activation functions ready for look-up tables (lut8, lut16, segmented_lut).
//
// Each is a function object float -> float evaluated in double and rounded once to float, so tables built from
// them are correctly rounded up to that final float rounding. Functions with poles or overflow (exp, reciprocal,
// rsqrt) saturate to +-FLT_MAX instead of returning inf or NaN, because table builders reject non-finite values and
// a quantized input domain always contains real 0: the saturated value then quantizes to qmax / qmin.
#pragma once

#include <cfloat>
#include <cmath>

namespace qnum::fn {

namespace detail {
/// Rounds a double to float, saturating at +-FLT_MAX (NaN is kept, for the builder to reject).
inline float saturate(double y) noexcept {
    return y > double(FLT_MAX) ? FLT_MAX : (y < -double(FLT_MAX) ? -FLT_MAX : static_cast<float>(y));
}
}  // namespace detail

/// 1 / (1 + e^-x).
struct sigmoid {
    float operator()(float x) const noexcept { return static_cast<float>(1.0 / (1.0 + std::exp(-double(x)))); }
};

/// tanh(x).
struct tanh {
    float operator()(float x) const noexcept { return static_cast<float>(std::tanh(double(x))); }
};

/// GELU, exact form: x * Phi(x) = x/2 * (1 + erf(x / sqrt(2))).
struct gelu {
    float operator()(float x) const noexcept {
        return static_cast<float>(0.5 * double(x) * (1.0 + std::erf(double(x) * 0.70710678118654752440)));
    }
};

/// GELU, tanh approximation: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
struct gelu_tanh {
    float operator()(float x) const noexcept {
        const double d = x;
        return static_cast<float>(0.5 * d * (1.0 + std::tanh(0.79788456080286535588 * (d + 0.044715 * d * d * d))));
    }
};

/// SiLU / swish: x * sigmoid(x).
struct silu {
    float operator()(float x) const noexcept { return static_cast<float>(double(x) / (1.0 + std::exp(-double(x)))); }
};

/// Hard swish (MobileNetV3): x * relu6(x + 3) / 6.
struct hardswish {
    float operator()(float x) const noexcept {
        const double d = x, r = d + 3.0 < 0.0 ? 0.0 : (d + 3.0 > 6.0 ? 6.0 : d + 3.0);
        return static_cast<float>(d * r / 6.0);
    }
};

/// e^x, saturating at FLT_MAX.
struct exp {
    float operator()(float x) const noexcept { return detail::saturate(std::exp(double(x))); }
};

/// 1 / x, saturating at +-FLT_MAX; 1/0 gives +FLT_MAX.
struct reciprocal {
    float operator()(float x) const noexcept { return x == 0.0f ? FLT_MAX : detail::saturate(1.0 / double(x)); }
};

/// 1 / sqrt(x) for x > 0; +FLT_MAX for x <= 0 (the pole and the undefined part saturate, like reciprocal).
struct rsqrt {
    float operator()(float x) const noexcept {
        return x <= 0.0f ? FLT_MAX : detail::saturate(1.0 / std::sqrt(double(x)));
    }
};

/// softplus: log(1 + e^x), evaluated without overflow.
struct softplus {
    float operator()(float x) const noexcept {
        const double d = x;
        return static_cast<float>(d > 0.0 ? d + std::log1p(std::exp(-d)) : std::log1p(std::exp(d)));
    }
};

/// erf(x).
struct erf {
    float operator()(float x) const noexcept { return static_cast<float>(std::erf(double(x))); }
};

}  // namespace qnum::fn

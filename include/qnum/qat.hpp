// qnum — quantization-aware-training math as plain functions on float arrays: the fake-quantization forward pass
// with a float scale and offset, the straight-through estimator (STE) backward, LSQ / LSQ+ gradients for the scale
// and offset, PACT's clipping-level gradient and DoReFa's weight transform. No autograd: each backward function
// returns what PyTorch's autograd computes for the published formula, up to the rounding of PyTorch's float32 sums
// (tests/golden/make_metrics.py records autograd's results; the fake-quant, LSQ and PACT forward values match bit for
// bit).
//
// Notation: v = (x - offset) / scale (float division), c = clamp(v, qmin, qmax), q = round_half_to_even(c),
// forward y = q * scale + offset, each operation rounded to float like PyTorch's tensor ops (no fused multiply-add).
// "In range" means qmin <= v <= qmax (inclusive, as torch.clamp's gradient); outside, the STE passes no gradient to x.
// learnable_fake_quant_*() are PyTorch's own learnable fake quantization (scale and an integer zero point, the
// in-range test on the rounded value), for parity with models trained by torch.ao.quantization.
// Per-channel use: call the functions once per channel's contiguous slice with that channel's parameters.
// Gradient sums are accumulated in double.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qnum/detail/fp_barrier.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/rounding.hpp"

namespace qnum {

/// Parameters of a float-offset fake quantizer (LSQ+ form; offset 0 and a symmetric range give LSQ).
struct fake_quant_params {
    float scale = 1.0f;   ///< step size s > 0
    float offset = 0.0f;  ///< real-valued offset beta (LSQ+); 0 for LSQ / symmetric
    qrange range{-128, 127};
};

namespace detail {

inline void check_fake_quant(const fake_quant_params& p) {
    detail::require(std::isfinite(p.scale) && p.scale > 0.0f, "qat: scale must be finite and > 0");
    detail::require(std::isfinite(p.offset), "qat: offset must be finite");
    detail::require(p.range.min < p.range.max, "qat: empty range");
}

inline float qat_v(float x, const fake_quant_params& p) noexcept { return (x - p.offset) / p.scale; }

}  // namespace detail

/// Forward pass of fake quantization: y = round(clamp((x - offset) / scale, qmin, qmax)) * scale + offset, rounding
/// half to even (torch.round). n elements; in-place (x == y) allowed. Throws qnum::error for invalid parameters.
inline void fake_quant_forward(const float* x, float* y, std::size_t n, const fake_quant_params& p) {
    detail::check_fake_quant(p);
    const auto lo = static_cast<float>(p.range.min), hi = static_cast<float>(p.range.max);
    for (std::size_t i = 0; i < n; ++i) {
        float c = detail::qat_v(x[i], p);
        c = c < lo ? lo : (c > hi ? hi : c);
        y[i] = detail::fp_barrier(round_half_to_even{}(c)*p.scale) + p.offset;
    }
}

/// STE backward: dx = dy where qmin <= (x - offset) / scale <= qmax and 0 elsewhere (`clip_mask`), or dx = dy
/// everywhere (plain STE, `clip_mask` false). In-place (dy == dx) allowed.
inline void ste_backward(const float* x, const float* dy, float* dx, std::size_t n, const fake_quant_params& p,
                         bool clip_mask = true) {
    detail::check_fake_quant(p);
    const auto lo = static_cast<float>(p.range.min), hi = static_cast<float>(p.range.max);
    for (std::size_t i = 0; i < n; ++i) {
        const float v = detail::qat_v(x[i], p);
        dx[i] = !clip_mask || (v >= lo && v <= hi) ? dy[i] : 0.0f;
    }
}

/// LSQ's gradient scale g = 1 / sqrt(n * qmax) (Esser et al. 2020, "Learned Step Size Quantization"): n is the
/// number of weights of the layer, or of features of an activation tensor; qmax the largest positive level.
inline double lsq_grad_scale(std::size_t n, std::int32_t qmax) {
    detail::require(n > 0 && qmax > 0, "lsq_grad_scale: n and qmax must be > 0");
    return 1.0 / std::sqrt(static_cast<double>(n) * static_cast<double>(qmax));
}

/// Gradients of a loss with respect to the quantizer's scale and offset.
struct lsq_gradients {
    double scale = 0.0;   ///< dL/ds, times the gradient scale
    double offset = 0.0;  ///< dL/d(beta), times the gradient scale (LSQ+; ignore for LSQ)
};

/// LSQ / LSQ+ backward (Esser et al. 2020; Bhalgat et al. 2020, "LSQ+"): given dy = dL/dy, writes dx (STE with
/// clipping mask) and returns g * sum dy * dy/ds and g * sum dy * dy/d(beta), where
///     dy/ds = round(v) - v inside the range, qmin below it, qmax above it;
///     dy/d(beta) = 0 inside the range, 1 outside;
/// g = grad_scale (lsq_grad_scale(), or 1 for the raw gradient). dx may be null when only the parameters learn.
inline lsq_gradients lsq_backward(const float* x, const float* dy, float* dx, std::size_t n, const fake_quant_params& p,
                                  double grad_scale) {
    detail::check_fake_quant(p);
    detail::require(std::isfinite(grad_scale), "lsq_backward: gradient scale must be finite");
    const auto lo = static_cast<float>(p.range.min), hi = static_cast<float>(p.range.max);
    double ds = 0.0, db = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = detail::qat_v(x[i], p);
        const double g = dy[i];
        if (v < lo) {
            ds += g * lo, db += g;
        } else if (v > hi) {
            ds += g * hi, db += g;
        } else {
            ds += g * (static_cast<double>(round_half_to_even{}(v)) - static_cast<double>(v));
        }
        if (dx) dx[i] = v >= lo && v <= hi ? dy[i] : 0.0f;
    }
    return {ds * grad_scale, db * grad_scale};
}

/// Gradients of a loss with respect to a fake quantizer's scale and integer-grid zero point.
struct fake_quant_gradients {
    double scale = 0.0;       ///< dL/ds, times the gradient factor
    double zero_point = 0.0;  ///< dL/dz, times the gradient factor
};

/// PyTorch's learnable fake quantization forward (torch._fake_quantize_learnable_per_tensor_affine, behind
/// torch.ao.quantization's _LearnableFakeQuantize): with v = round_half_to_even(x * (1 / s)) + zero_point,
/// y = (clamp(v, qmin, qmax) - zero_point) * s in float. Throws qnum::error for an invalid scale or a zero point
/// outside the range (PyTorch rounds and clamps its float zero point first: pass the result).
inline void learnable_fake_quant_forward(const float* x, float* y, std::size_t n, float scale, std::int32_t zero_point,
                                         qrange range) {
    detail::check_fake_quant({scale, 0.0f, range});
    detail::require(range.contains(zero_point), "qat: zero point outside the range");
    const float inv = 1.0f / scale, z = static_cast<float>(zero_point);
    const auto lo = static_cast<float>(range.min), hi = static_cast<float>(range.max);
    for (std::size_t i = 0; i < n; ++i) {
        float v = round_half_to_even{}(detail::fp_barrier(x[i] * inv)) + z;
        v = v < lo ? lo : (v > hi ? hi : v);
        y[i] = detail::fp_barrier(v - z) * scale;
    }
}

/// Backward of learnable_fake_quant_forward(), PyTorch's formulas (the LSQ gradient in the zero-point
/// parametrization): with v as above, inside qmin <= v <= qmax: dx = dy, ds += dy * (y - x) / s (float, as
/// PyTorch: (y - x) * (1 / s)), dz += 0; outside: dx = 0, ds += dy * (qmin - z) or dy * (qmax - z), dz += -dy * s.
/// Both sums are multiplied by `grad_factor` (LSQ's gradient scale, lsq_grad_scale()). NaN inputs contribute
/// nothing (dx = 0). dx may be null. (PyTorch 1.13's backward reads a negative zero point z as int(z + 0.5), one
/// step off its forward's round(z), which shifts its mask; qnum uses the forward's zero point throughout.)
inline fake_quant_gradients learnable_fake_quant_backward(const float* x, const float* dy, float* dx, std::size_t n,
                                                          float scale, std::int32_t zero_point, qrange range,
                                                          double grad_factor) {
    detail::check_fake_quant({scale, 0.0f, range});
    detail::require(range.contains(zero_point), "qat: zero point outside the range");
    detail::require(std::isfinite(grad_factor), "qat: gradient factor must be finite");
    const float inv = 1.0f / scale, z = static_cast<float>(zero_point);
    const auto lo = static_cast<float>(range.min), hi = static_cast<float>(range.max);
    double ds = 0.0, dz = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const float v = round_half_to_even{}(detail::fp_barrier(x[i] * inv)) + z;
        const double g = dy[i];
        const bool inside = v >= lo && v <= hi;
        if (inside) {
            const float y = detail::fp_barrier(v - z) * scale;
            ds += g * static_cast<double>(detail::fp_barrier(y - x[i]) * inv);
        } else if (v < lo) {
            ds += g * (static_cast<double>(range.min) - zero_point), dz -= g * scale;
        } else if (v > hi) {
            ds += g * (static_cast<double>(range.max) - zero_point), dz -= g * scale;
        }
        if (dx) dx[i] = inside ? dy[i] : 0.0f;
    }
    return {ds * grad_factor, dz * grad_factor};
}

/// PACT forward (Choi et al. 2018): y = clamp(x, 0, alpha), quantized to `bits` unsigned levels over [0, alpha]:
/// y_q = round(y * (2^bits - 1) / alpha) * (alpha / (2^bits - 1)), in float, rounding half to even. Throws
/// qnum::error unless alpha is finite and > 0 and bits is in [1, 16].
inline void pact_forward(const float* x, float* y, std::size_t n, float alpha, int bits) {
    detail::require(std::isfinite(alpha) && alpha > 0.0f, "pact: alpha must be finite and > 0");
    detail::require(bits >= 1 && bits <= 16, "pact: bits must be in [1, 16]");
    const auto levels = static_cast<float>((1u << bits) - 1u);
    const float to_q = levels / alpha, step = alpha / levels;
    for (std::size_t i = 0; i < n; ++i) {
        float c = x[i] < 0.0f ? 0.0f : (x[i] > alpha ? alpha : x[i]);
        y[i] = round_half_to_even{}(detail::fp_barrier(c * to_q)) * step;
    }
}

/// PACT backward with the STE through the rounding (the paper's eq. 3): dx = dy for 0 <= x <= alpha, else 0, and
/// returns dL/d(alpha) = sum of dy over x >= alpha. dx may be null.
inline double pact_backward(const float* x, const float* dy, float* dx, std::size_t n, float alpha) {
    detail::require(std::isfinite(alpha) && alpha > 0.0f, "pact: alpha must be finite and > 0");
    double da = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (x[i] >= alpha) da += dy[i];
        if (dx) dx[i] = x[i] >= 0.0f && x[i] <= alpha ? dy[i] : 0.0f;
    }
    return da;
}

/// DoReFa-Net weight transform (Zhou et al. 2016) to `bits` bits: for bits >= 2,
///     w_t = tanh(w) / (2 max|tanh(w)|) + 1/2,   w_q = 2 round(w_t (2^bits - 1)) / (2^bits - 1) - 1   (in [-1, 1]),
/// and for bits == 1, w_q = mean|w| * sign(w) (sign(0) = +1). Float operations, rounding half to even; an all-zero
/// tensor maps to 0 (bits >= 2, where tanh is 0 everywhere). Throws qnum::error unless bits is in [1, 16].
inline void dorefa_weights(const float* w, float* out, std::size_t n, int bits) {
    detail::require(bits >= 1 && bits <= 16, "dorefa: bits must be in [1, 16]");
    if (n == 0) return;
    if (bits == 1) {
        double s = 0.0;
        for (std::size_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(w[i]));
        const auto e = static_cast<float>(s / static_cast<double>(n));
        for (std::size_t i = 0; i < n; ++i) out[i] = w[i] >= 0.0f ? e : -e;
        return;
    }
    float m = 0.0f;
    for (std::size_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(std::tanh(w[i])));
    const auto levels = static_cast<float>((1u << bits) - 1u);
    for (std::size_t i = 0; i < n; ++i) {
        if (m == 0.0f) {
            out[i] = 0.0f;
            continue;
        }
        const float t = std::tanh(w[i]) / (2.0f * m) + 0.5f;
        out[i] = 2.0f * (round_half_to_even{}(detail::fp_barrier(t * levels)) / levels) - 1.0f;
    }
}

}  // namespace qnum

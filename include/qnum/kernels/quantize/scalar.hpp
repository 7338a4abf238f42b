// qnum — quantize / dequantize / fake-quantize: the scalar reference, which is the specification.
//
//   quantize:      q = clamp(R(x (/) scale) + zero_point, qmin, qmax)
//   dequantize:    x = float(q - zero_point) * scale                     (one rounding)
//   fake-quantize: y = float(quantize(x) - zero_point) * scale
//
// where (/) is IEEE division (scale_op::divide) or multiplication by the float reciprocal 1.0f / scale
// (scale_op::multiply_by_reciprocal), and R is the rounding mode. R is applied before the zero point is added, in
// float, so the sum is exact. Non-finite inputs: NaN quantizes to the zero point (real 0); +inf and -inf saturate to
// qmax and qmin, like every other out-of-range value. SIMD kernels must match these functions bit for bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qnum/qparams.hpp"
#include "qnum/rounding.hpp"

namespace qnum {

/// How quantization divides by the scale; the two differ in the last bit of x/scale and so, near ties, in q.
enum class scale_op : std::uint8_t {
    divide,                  ///< x / scale (ONNX QuantizeLinear, TFLite reference kernels)
    multiply_by_reciprocal,  ///< x * (1.0f / scale) (PyTorch quantize_per_tensor and fake_quantize, XNNPACK)
};

namespace detail {

/// Parameters of one element, with the reciprocal precomputed for scale_op::multiply_by_reciprocal.
struct element_params {
    float scale;
    float inv_scale;
    std::int32_t zero_point;
};

/// Quantizes one value with Format's range (see the file comment). `index` feeds stochastic rounding.
template <class Format, scale_op Op, class Rounding>
inline std::int32_t quantize_element(float x, const element_params& p, const Rounding& r, std::uint64_t index) {
    float v = Op == scale_op::divide ? x / p.scale : x * p.inv_scale;
    if (std::isnan(v)) return p.zero_point;
    v = r(v, index);
    const float lo = static_cast<float>(Format::min - p.zero_point);
    const float hi = static_cast<float>(Format::max - p.zero_point);
    v = v < lo ? lo : (v > hi ? hi : v);
    return static_cast<std::int32_t>(v) + p.zero_point;
}

/// Dequantizes one code.
inline float dequantize_element(std::int32_t q, float scale, std::int32_t zero_point) {
    return static_cast<float>(q - zero_point) * scale;
}

/// The same (scale, zero point) for every element of a run.
struct uniform_params {
    element_params p;
    explicit uniform_params(qparams q) : p{q.scale, 1.0f / q.scale, q.zero_point} {}
    element_params at(std::size_t) const noexcept { return p; }
    uniform_params advanced(std::size_t) const noexcept { return *this; }
};

/// A different (scale, zero point) for each element of a run, read from contiguous arrays (e.g. per-channel
/// parameters along the innermost axis).
struct varying_params {
    const float* scales;
    const std::int32_t* zero_points;
    element_params at(std::size_t i) const noexcept { return {scales[i], 1.0f / scales[i], zero_points[i]}; }
    varying_params advanced(std::size_t k) const noexcept { return {scales + k, zero_points + k}; }
};

/// Reference run kernels over n elements with element strides (which may be any value).
template <class Format, scale_op Op, class Rounding, class Params>
void quantize_run_scalar(const float* x, std::ptrdiff_t xs, typename Format::storage* q, std::ptrdiff_t qs,
                         std::size_t n, const Params& params, const Rounding& r, std::uint64_t index0) {
    using storage = typename Format::storage;
    for (std::size_t i = 0; i < n; ++i) {
        const auto pos = static_cast<std::ptrdiff_t>(i);
        q[pos * qs] = static_cast<storage>(quantize_element<Format, Op>(x[pos * xs], params.at(i), r, index0 + i));
    }
}

template <class Storage, class Params>
void dequantize_run_scalar(const Storage* q, std::ptrdiff_t qs, float* x, std::ptrdiff_t xs, std::size_t n,
                           const Params& params) {
    for (std::size_t i = 0; i < n; ++i) {
        const auto pos = static_cast<std::ptrdiff_t>(i);
        const element_params p = params.at(i);
        x[pos * xs] = dequantize_element(q[pos * qs], p.scale, p.zero_point);
    }
}

template <class Format, scale_op Op, class Rounding, class Params>
void fake_quantize_run_scalar(const float* x, std::ptrdiff_t xs, float* y, std::ptrdiff_t ys, std::size_t n,
                              const Params& params, const Rounding& r, std::uint64_t index0) {
    for (std::size_t i = 0; i < n; ++i) {
        const auto pos = static_cast<std::ptrdiff_t>(i);
        const element_params p = params.at(i);
        y[pos * ys] =
            dequantize_element(quantize_element<Format, Op>(x[pos * xs], p, r, index0 + i), p.scale, p.zero_point);
    }
}

}  // namespace detail
}  // namespace qnum

// qnum — requantization: the output stage of integer engines, int32 accumulator -> int8 / uint8 / int16 / uint16.
//
//   out[i] = clamp(output_zero_point + R_c(acc[i]), clamp.min, clamp.max)
//
// where R_c rescales by channel c's real multiplier M_c = s_in * s_w / s_out with one of the methods below (tags in
// kernels/requantize/scalar.hpp): double_rounding (TFLite/gemmlowp classic), single_rounding (TFLite's newer form),
// rndnu and fp32 (XNNPACK), power_of_two (shift only). The clamp carries fused ReLU / ReLU6. The scalar reference
// (kernels/requantize/scalar.hpp, built on fixed_point.hpp) is the specification; the AVX2 kernel, picked at run time,
// equals it bit for bit (limit_isa(isa::scalar) forces the reference).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "qnum/cpu.hpp"
#include "qnum/error.hpp"
#include "qnum/fixed_point.hpp"
#include "qnum/format.hpp"
#include "qnum/kernels/requantize/avx2.hpp"
#include "qnum/kernels/requantize/scalar.hpp"

namespace qnum {

/// True for the requantization method tags.
template <class M>
inline constexpr bool is_requant_method_v =
    std::is_same_v<M, double_rounding> || std::is_same_v<M, single_rounding> || std::is_same_v<M, rndnu> ||
    std::is_same_v<M, fp32> || std::is_same_v<M, power_of_two>;

/// Activations fused into the output stage's clamp (TFLite's kTfLiteActRelu, Relu6, ReluN1To1).
enum class fused_activation : std::uint8_t { none, relu, relu6, relu_n1_to_1 };

/// TFLite's CalculateActivationRangeQuantized: the clamp range of Out for a fused activation, with bounds
/// zero_point + round(f / output_scale) (float division, round half away from zero) intersected with Out's range.
/// Throws qnum::error for a non-positive or non-finite scale or a zero point outside Out's range.
template <class Out>
inline qrange activation_range(fused_activation act, float output_scale, std::int32_t output_zero_point) {
    constexpr std::int32_t qmin = std::numeric_limits<Out>::min(), qmax = std::numeric_limits<Out>::max();
    detail::require(std::isfinite(output_scale) && output_scale > 0.0f, "activation_range: scale must be > 0");
    detail::require(output_zero_point >= qmin && output_zero_point <= qmax,
                    "activation_range: zero point outside the output type's range");
    const auto quantize = [&](float f) {
        const double q = static_cast<double>(output_zero_point) + std::round(f / output_scale);
        return static_cast<std::int32_t>(std::clamp(q, -2147483648.0, 2147483647.0));
    };
    switch (act) {
        case fused_activation::relu:
            return {std::max(qmin, quantize(0.0f)), qmax};
        case fused_activation::relu6:
            return {std::max(qmin, quantize(0.0f)), std::min(qmax, quantize(6.0f))};
        case fused_activation::relu_n1_to_1:
            return {std::max(qmin, quantize(-1.0f)), std::min(qmax, quantize(1.0f))};
        case fused_activation::none:
            break;
    }
    return {qmin, qmax};
}

/// v clamped to Out's range (the final narrowing of an output stage).
template <class Out>
constexpr Out saturating_cast(std::int32_t v) noexcept {
    static_assert(std::is_integral_v<Out> && sizeof(Out) <= 4, "qnum: saturating_cast to an integer of <= 32 bits");
    constexpr std::int64_t lo = std::numeric_limits<Out>::min(), hi = std::numeric_limits<Out>::max();
    return static_cast<Out>(v < lo ? lo : v > hi ? hi : v);
}

/// acc[r * cols + j] += bias[j] for every row, saturating (the bias stage when it is not fused into requantizer).
inline void add_bias(std::int32_t* acc, const std::int32_t* bias, std::size_t rows, std::size_t cols) noexcept {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < cols; ++j)
            acc[r * cols + j] = detail::saturate_to_int32(static_cast<std::int64_t>(acc[r * cols + j]) + bias[j]);
}

namespace detail {

/// Validates one real multiplier for `Method` and derives its channel parameters (throws qnum::error).
template <class Method>
inline requant_channel make_requant_channel(double real) {
    if constexpr (std::is_same_v<Method, fp32>) {
        detail::require(std::isfinite(real) && real > 0.0, "requantizer: multiplier must be finite and > 0");
        const auto f = static_cast<float>(real);
        detail::require(f > 0.0f && std::isfinite(f), "requantizer: fp32 multiplier is not a positive finite float");
        return {quantized_multiplier{0, 0}, f};
    } else if constexpr (std::is_same_v<Method, rndnu>) {
        detail::require(std::isfinite(real) && real > 0.0, "requantizer: multiplier must be finite and > 0");
        const auto f = static_cast<float>(real);
        detail::require(f > 0.0f && std::isfinite(f), "requantizer: rndnu multiplier is not a positive finite float");
        return {quantize_multiplier(static_cast<double>(f)), f};  // exact: a float's 24-bit mantissa fits Q31
    } else if constexpr (std::is_same_v<Method, power_of_two>) {
        detail::require(std::isfinite(real) && real > 0.0, "requantizer: multiplier must be finite and > 0");
        int e = 0;
        detail::require(std::frexp(real, &e) == 0.5, "requantizer: power_of_two needs exact powers of two");
        detail::require(e - 1 >= -31 && e - 1 <= 30, "requantizer: power_of_two exponent must be in [-31, 30]");
        return {quantized_multiplier{0, e - 1}, static_cast<float>(real)};
    } else {
        return {quantize_multiplier(real), static_cast<float>(real)};
    }
}

}  // namespace detail

/// Requantizes int32 accumulators to Out (int8_t, uint8_t, int16_t or uint16_t) with per-tensor or per-channel
/// real multipliers, an output zero point and a clamp range, using rescaling `Method` (default: TFLite's classic
/// double rounding). Construction validates and precomputes everything; apply() is a streaming kernel.
template <class Out, class Method = double_rounding>
class requantizer {
    static_assert(std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, std::uint8_t> ||
                      std::is_same_v<Out, std::int16_t> || std::is_same_v<Out, std::uint16_t>,
                  "qnum: requantizer output must be int8_t, uint8_t, int16_t or uint16_t");
    static_assert(is_requant_method_v<Method>, "qnum: unknown requantization method tag");

public:
    using output_type = Out;
    using method = Method;

    /// real_multipliers.size() == 1: per tensor; otherwise one per channel. Throws qnum::error for an empty list, a
    /// multiplier the method cannot represent (<= 0, NaN, inf; fixed-point methods: >= 2^30; fp32 / rndnu: zero or
    /// infinite as a float; power_of_two: not a power of two or exponent outside [-31, 30]), a zero
    /// point outside Out's range, or a clamp range that is empty or exceeds Out's range.
    requantizer(const std::vector<double>& real_multipliers, std::int32_t output_zero_point, qrange clamp)
        : output_{output_zero_point, clamp.min, clamp.max} {
        constexpr std::int32_t out_min = std::numeric_limits<Out>::min(), out_max = std::numeric_limits<Out>::max();
        detail::require(!real_multipliers.empty(), "requantizer: no multipliers");
        detail::require(output_zero_point >= out_min && output_zero_point <= out_max,
                        "requantizer: output zero point outside the output type's range");
        detail::require(clamp.min <= clamp.max, "requantizer: clamp range is empty (min > max)");
        detail::require(clamp.min >= out_min && clamp.max <= out_max,
                        "requantizer: clamp range exceeds the output type's range");
        channels_.reserve(real_multipliers.size());
        for (double m : real_multipliers) channels_.push_back(detail::make_requant_channel<Method>(m));
        const std::size_t c = channels_.size();
        const std::size_t groups = (c + 7) / 8;
        groups_.resize(groups);
        shl_.resize(groups);
        scale_.resize(groups);
        for (std::size_t i = 0; i < c; ++i) {
            const auto s = detail::make_simd_channel<Method>(channels_[i]);
            if (i == 0) single_ = s;
            groups_[i / 8].mul[i % 8] = s.mul;
            groups_[i / 8].shr[i % 8] = s.shr;
            shl_[i / 8].v[i % 8] = s.shl;
            scale_[i / 8].v[i % 8] = s.scale;
            any_left_shift_ = any_left_shift_ || s.shl != 0;
        }
    }

    /// out[i] = clamp(output_zero_point + M_{channel0 + i}(acc[i])) (per tensor: M_0 for every i). Per channel,
    /// channel0 + n must not exceed channels() (QNUM_ASSERT). acc and out must not overlap.
    void apply(const std::int32_t* acc, Out* out, std::size_t n, std::size_t channel0 = 0) const {
        run(acc, nullptr, out, n, channel0);
    }

    /// With a bias: out[i] = clamp(output_zero_point + M_{channel0 + i}(acc[i] + bias[channel0 + i])), the int32
    /// addition saturating. The bias is indexed by channel (output column) also when the multiplier is per tensor.
    void apply(const std::int32_t* acc, const std::int32_t* bias, Out* out, std::size_t n,
               std::size_t channel0 = 0) const {
        run(acc, bias + channel0, out, n, channel0);
    }

    /// Row-major [rows x cols] accumulators to outputs of the same shape; per channel, column j uses channel j and
    /// cols must equal channels() (QNUM_ASSERT). Same as apply() on each row.
    void apply_rows(const std::int32_t* acc, Out* out, std::size_t rows, std::size_t cols) const {
        QNUM_ASSERT(channels_.size() == 1 || cols == channels_.size());
        for (std::size_t r = 0; r < rows; ++r) run(acc + r * cols, nullptr, out + r * cols, cols, 0);
    }

    /// apply_rows with a per-column bias: bias[j] is added (saturating) to column j of every row.
    void apply_rows(const std::int32_t* acc, const std::int32_t* bias, Out* out, std::size_t rows,
                    std::size_t cols) const {
        QNUM_ASSERT(channels_.size() == 1 || cols == channels_.size());
        for (std::size_t r = 0; r < rows; ++r) run(acc + r * cols, bias, out + r * cols, cols, 0);
    }

    /// Requantizes one accumulator of channel c (the scalar reference).
    Out operator()(std::int32_t acc, std::size_t c = 0) const {
        return detail::requant_one<Out, Method>(acc, channels_[channels_.size() > 1 ? c : 0], output_);
    }

    /// Number of multipliers (1 = per tensor).
    std::size_t channels() const noexcept { return channels_.size(); }
    /// Channel c's fixed-point multiplier (rndnu: of the float-rounded scale; fp32: {0, 0}; power_of_two:
    /// {0, exponent}).
    quantized_multiplier multiplier(std::size_t c = 0) const noexcept { return channels_[c].qm; }
    std::int32_t output_zero_point() const noexcept { return output_.zero_point; }
    qrange clamp() const noexcept { return {output_.lo, output_.hi}; }

private:
    // acc[i] (+ bias[i] when bias is not null) of channel channel0 + i -> out[i].
    void run(const std::int32_t* acc, const std::int32_t* bias, Out* out, std::size_t n, std::size_t channel0) const {
        const bool per_channel = channels_.size() > 1;
        QNUM_ASSERT(!per_channel || channel0 + n <= channels_.size());
        std::size_t done = 0;
#if QNUM_HAS_X86_KERNELS
        if (n >= 32 && isa_enabled(isa::avx2)) {
            const detail::avx2::channel_tables t{groups_.data(), shl_.data(), scale_.data()};
            if (per_channel) {
                // Scalar up to the next group boundary, so the kernel reads whole aligned 8-channel groups.
                done = std::min(n, (8 - channel0 % 8) % 8);
                detail::requant_run_scalar<Out, Method>(acc, bias, out, done, channels_.data(), true, channel0,
                                                        output_);
                const std::int32_t* b = bias ? bias + done : nullptr;
                const std::size_t g0 = (channel0 + done) / 8;
                done += any_left_shift_ ? detail::avx2::requant_run<Out, Method, true, true>(
                                              acc + done, b, out + done, n - done, t, g0, single_, output_)
                                        : detail::avx2::requant_run<Out, Method, true, false>(
                                              acc + done, b, out + done, n - done, t, g0, single_, output_);
            } else {
                done = any_left_shift_
                           ? detail::avx2::requant_run<Out, Method, false, true>(acc, bias, out, n, t, 0, single_,
                                                                                 output_)
                           : detail::avx2::requant_run<Out, Method, false, false>(acc, bias, out, n, t, 0, single_,
                                                                                  output_);
            }
        }
#endif
        detail::requant_run_scalar<Out, Method>(acc + done, bias ? bias + done : nullptr, out + done, n - done,
                                                channels_.data(), per_channel, channel0 + done, output_);
    }

    std::vector<detail::requant_channel> channels_;
    // SIMD form, 8 channels per group (over-aligned element types: C++17 aligned new)
    std::vector<detail::requant_channel_group> groups_;
    std::vector<detail::requant_lanes_i32> shl_;
    std::vector<detail::requant_lanes_f32> scale_;
    detail::requant_simd_channel single_{};
    detail::requant_output output_;
    bool any_left_shift_ = false;
};

}  // namespace qnum

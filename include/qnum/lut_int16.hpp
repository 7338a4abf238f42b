// qnum — 16-bit interpolated look-up tables (the approach of TFLite's int16 LUT): 512 intervals of 128 input codes,
// 513 knots, linear interpolation in fixed point.
//
// For an int16/uint16 input code q with key k (q + 32768 for signed inputs), i = k >> 7 and r = k & 127:
//     y = clamp((t[i] * 128 + (t[i+1] - t[i]) * r + 2^10) >> 11, qmin, qmax)
// with knots t[] in 1/16 output LSB (kernels/lut/scalar.hpp is the specification; the AVX2 kernel equals it bit for
// bit). Knots are f at the interval ends, shifted by half the mean chord error at the neighbouring midpoints, so the
// interpolation error of a smooth function is about h^2 |f''| / 16 instead of h^2 |f''| / 8 (h = 128 input codes).
// Error bound: 0.5 LSB (final rounding) + 1/32 LSB (knot rounding) + h^2 max|f''| / 16 (h = 128 input codes, in
// real units, divided by the output scale). Measured over all 65536 inputs (tests/lut_test.cpp), inputs over
// [-8, 8), outputs at scale 1/32768 (sigmoid, tanh) and 8/32768 (GELU): sigmoid 0.72, GELU 0.69, tanh 2.03 LSB max
// (mean 0.25 / 0.14 / 0.29). tanh's 2.03 is the limit of 512 uniform intervals at that scale (max|tanh''| = 0.77
// makes the interpolation term 1.54 LSB); by input range +-R (output scale 1/32768, GELU's R/32768), max error:
//     R        3     4     6     7     7.5   8     10    16
//     tanh     0.75  0.89  1.39  1.70  1.79  2.03  2.88  6.59
//     sigmoid  0.55  0.56  0.62  0.67  0.69  0.72  0.81  1.28
//     GELU     0.60  0.60  0.66  0.67  0.68  0.69  0.74  0.90
// segmented_lut meets 1 LSB for tanh at R = 8 with 680 knots. Use measure_accuracy() for other functions and scales.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "qnum/detail/interp_table.hpp"
#include "qnum/detail/lut_apply.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/kernels/lut/scalar.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// A uniform interpolated table y = f(x) from a 16-bit InFormat (qint16, quint16, qint16_narrow) to a 16-bit
/// OutFormat; see the file comment for the arithmetic and its error bound.
template <class InFormat, class OutFormat>
class lut16 {
    static_assert(is_int_format_v<InFormat> && is_int_format_v<OutFormat>, "qnum: lut16 needs int_format types");
    static_assert(sizeof(typename InFormat::storage) == 2 && InFormat::bits == 16,
                  "qnum: lut16 needs a 16-bit input format; use lut8 for 8-bit inputs");
    static_assert(sizeof(typename OutFormat::storage) == 2,
                  "qnum: lut16 needs a 16-bit output format (qint16, quint16, ...)");

public:
    using in_format = InFormat;
    using out_format = OutFormat;
    using in_storage = typename InFormat::storage;
    using out_storage = typename OutFormat::storage;
    /// Number of knots: 512 intervals + 1.
    static constexpr std::size_t size = 513;

    /// Builds the table of f (any callable float -> float). f is evaluated at every 16-bit storage code and one
    /// code past the largest (the last knot); throws qnum::error if it returns NaN or inf at any of them (bad scales
    /// are rejected by per_tensor).
    template <class F, class = std::enable_if_t<std::is_invocable_v<F&, float>>>
    lut16(F f, const per_tensor<InFormat>& in, const per_tensor<OutFormat>& out) : in_(in), out_(out) {
        const auto target = detail::interp_targets<InFormat>(f, in.params(), out.params());
        knots_.reserve(size);
        detail::append_entries(target, 0, 512, detail::uniform_index::shift, knots_);
    }

    /// The output code for input code x (the scalar specification of apply()).
    out_storage operator()(in_storage x) const noexcept {
        const auto p = detail::uniform_index{}(detail::key16(x));
        return static_cast<out_storage>(
            detail::interp_value(knots_.data(), p.i, p.r, p.s, OutFormat::min, OutFormat::max));
    }

    /// y[i] = (*this)(x[i]) for n elements (AVX2 when available, bit-identical); any alignment, x == y allowed,
    /// other overlaps not (QNUM_ASSERT in debug builds).
    void apply(const in_storage* x, out_storage* y, std::size_t n) const {
        detail::check_apply_args(x, y, n);
        detail::interp16_apply(x, y, n, knots_.data(), detail::uniform_index{}, OutFormat::min, OutFormat::max);
    }

    /// apply() over same-shaped strided views (contiguous runs use the SIMD kernel); throws qnum::error for
    /// mismatched shapes.
    void apply(strided_view<const in_storage> in, strided_view<out_storage> out) const {
        detail::lut_apply_strided(*this, in, out);
    }

    /// The 513 knots in 1/16 output LSB.
    const std::vector<std::int32_t>& knots() const noexcept { return knots_; }
    const per_tensor<InFormat>& input_params() const noexcept { return in_; }
    const per_tensor<OutFormat>& output_params() const noexcept { return out_; }

private:
    std::vector<std::int32_t> knots_;
    per_tensor<InFormat> in_;
    per_tensor<OutFormat> out_;
};

}  // namespace qnum

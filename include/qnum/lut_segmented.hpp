// qnum — segmented 16-bit look-up tables: piecewise-linear interpolation with non-uniform intervals chosen so the
// error stays under a bound over the whole 16-bit input range (the idea of Horizon Robotics' SegmentLUT).
//
// A function on a wide int16 input range is steep in some places and flat or saturated in others (sigmoid: all the
// action within a few units of 0, then constant; exp, reciprocal, rsqrt: steep near one end). A uniform table must
// use the resolution of the steepest part everywhere. Here the 65536 keys (q + 32768 for signed inputs) form 256
// blocks of 256 codes, and each block gets its own interval width 2^s codes, s in [0, 8]: the builder picks for every
// block the widest intervals whose interpolation error, measured exactly over the block's 256 codes, is within
// `max_error_lsb`. The bound is therefore guaranteed for every input (checked by construction, not estimated);
// s = 0 stores every code, whose error is at most 0.5 + 1/32 LSB, so any bound >= 0.55 LSB can be met.
// Arithmetic (kernels/lut/scalar.hpp, segmented_index): block b = k >> 8 has params[b] = (first knot << 4) | s,
//     i = first + ((k & 255) >> s),  r = (k & 255) mod 2^s,
//     y = clamp((t[i] * 2^s + (t[i+1] - t[i]) * r + 2^(s+3)) >> (s+4), qmin, qmax)    (knots in 1/16 LSB)
#pragma once

#include <algorithm>
#include <array>
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

/// A segmented interpolated table y = f(x) from a 16-bit InFormat to a 16-bit OutFormat whose error against the
/// exact f (clamped to the output range) is at most max_error_lsb() for every input code.
template <class InFormat, class OutFormat>
class segmented_lut {
    static_assert(is_int_format_v<InFormat> && is_int_format_v<OutFormat>,
                  "qnum: segmented_lut needs int_format types");
    static_assert(sizeof(typename InFormat::storage) == 2 && InFormat::bits == 16,
                  "qnum: segmented_lut needs a 16-bit input format; use lut8 for 8-bit inputs");
    static_assert(sizeof(typename OutFormat::storage) == 2,
                  "qnum: segmented_lut needs a 16-bit output format (qint16, quint16, ...)");

public:
    using in_format = InFormat;
    using out_format = OutFormat;
    using in_storage = typename InFormat::storage;
    using out_storage = typename OutFormat::storage;

    /// Builds the table of f with the widest intervals meeting `max_error_lsb` in every block. f is evaluated at
    /// every 16-bit storage code and one past the largest; throws qnum::error if it returns NaN or inf at any of
    /// them, or if max_error_lsb < 0.55 (not always achievable).
    template <class F, class = std::enable_if_t<std::is_invocable_v<F&, float>>>
    segmented_lut(F f, const per_tensor<InFormat>& in, const per_tensor<OutFormat>& out, double max_error_lsb = 1.0)
        : in_(in), out_(out), bound_(max_error_lsb) {
        detail::require(max_error_lsb >= 0.55, "segmented_lut: the error bound must be at least 0.55 LSB");
        const auto target = detail::interp_targets<InFormat>(f, in.params(), out.params());
        std::vector<std::int32_t> trial;
        for (std::uint32_t b = 0; b < 256; ++b) {
            const std::uint32_t k0 = b * 256;
            for (int s = detail::interp_max_shift; s >= 0; --s) {
                trial.clear();
                detail::append_entries(target, k0, 256u >> s, s, trial);
                double worst = 0;
                for (std::uint32_t k = 0; k < 256 && worst <= max_error_lsb; ++k) {
                    const auto y = detail::interp_value(trial.data(), k >> s, k & ((1u << s) - 1u), s,
                                                        OutFormat::min, OutFormat::max);
                    worst = std::max(worst, detail::interp_error(y, target[k0 + k], OutFormat::min, OutFormat::max));
                }
                if (worst <= max_error_lsb || s == 0) {
                    params_[b] = static_cast<std::int32_t>((knots_.size() << 4) | static_cast<std::size_t>(s));
                    knots_.insert(knots_.end(), trial.begin(), trial.end());
                    break;
                }
            }
        }
    }

    /// The output code for input code x (the scalar specification of apply()).
    out_storage operator()(in_storage x) const noexcept {
        const auto p = detail::segmented_index{params_.data()}(detail::key16(x));
        return static_cast<out_storage>(
            detail::interp_value(knots_.data(), p.i, p.r, p.s, OutFormat::min, OutFormat::max));
    }

    /// y[i] = (*this)(x[i]) for n elements (AVX2 when available, bit-identical); any alignment, x == y allowed,
    /// other overlaps not (QNUM_ASSERT in debug builds).
    void apply(const in_storage* x, out_storage* y, std::size_t n) const {
        detail::check_apply_args(x, y, n);
        detail::interp16_apply(x, y, n, knots_.data(), detail::segmented_index{params_.data()}, OutFormat::min,
                               OutFormat::max);
    }

    /// apply() over same-shaped strided views (contiguous runs use the SIMD kernel); throws qnum::error for
    /// mismatched shapes.
    void apply(strided_view<const in_storage> in, strided_view<out_storage> out) const {
        detail::lut_apply_strided(*this, in, out);
    }

    /// The guaranteed error bound in output LSB.
    double max_error_lsb() const noexcept { return bound_; }
    /// Interval width (log2, in input codes) of each of the 256 blocks of 256 codes, in key order.
    int block_shift(std::size_t block) const noexcept { return params_[block] & 15; }
    /// All knots (1/16 output LSB); their number measures the table's memory (4 bytes each, plus 1 KiB of params).
    const std::vector<std::int32_t>& knots() const noexcept { return knots_; }
    const per_tensor<InFormat>& input_params() const noexcept { return in_; }
    const per_tensor<OutFormat>& output_params() const noexcept { return out_; }

private:
    std::vector<std::int32_t> knots_;
    std::array<std::int32_t, 256> params_{};
    per_tensor<InFormat> in_;
    per_tensor<OutFormat> out_;
    double bound_;
};

}  // namespace qnum

// qnum — 8-bit look-up tables: any float function of an int8/uint8 input, as 256 precomputed output codes.
//
// An integer engine computes a nonlinear op y = f(x) on 8-bit codes by table look-up: with input parameters
// (s_in, z_in) and output parameters (s_out, z_out), entry q holds
//     table[q] = quantize(f(dequantize(q)))  =  clamp(R(f(float(q - z_in) * s_in) (/) s_out) + z_out, qmin, qmax)
// with qnum's own quantize_element (quantize.hpp), so a table is exactly what quantize(f(dequantize(x))) gives, and
// with correct rounding its error against f is at most 0.5 LSB plus float rounding (< 1 LSB; tests check it over
// every input). Application runs at memory speed: AVX-512 VBMI vpermi2b (4 instructions / 64 bytes), AVX2 vpshufb
// sub-tables, or the scalar loop, chosen at run time (kernels/lut/).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/cpu.hpp"
#include "qnum/detail/lut_apply.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/kernels/lut/avx2.hpp"
#include "qnum/kernels/lut/avx512.hpp"
#include "qnum/kernels/lut/scalar.hpp"
#include "qnum/kernels/quantize/scalar.hpp"
#include "qnum/qparams.hpp"
#include "qnum/rounding.hpp"
#include "qnum/view.hpp"

namespace qnum {
namespace detail {

/// y[i] = table[x[i]] for n bytes with the best kernel dispatch allows; bit-identical on every level.
inline void lut8_apply(const std::uint8_t* x, std::uint8_t* y, std::size_t n, const std::uint8_t* table) noexcept {
    std::size_t done = 0;
#if QNUM_HAS_X86_KERNELS
    if (avx512_vbmi_enabled()) {
        lut8_avx512vbmi(x, y, n, table);
        return;
    }
    if (isa_enabled(isa::avx2)) done = lut8_avx2(x, y, n, table);
#endif
    lut8_scalar(x + done, y + done, n - done, table);
}

/// f(x) as a float; throws qnum::error unless it is finite (tables must not hide NaN or inf).
template <class F>
float checked_call(F& f, float x) {
    const auto y = static_cast<float>(f(x));
    if (!std::isfinite(y)) throw error("lut: the function returned a non-finite value (NaN or inf) on the input domain");
    return y;
}

}  // namespace detail

/// A 256-entry table y = f(x) from InFormat codes to OutFormat codes (both stored in 8 bits: qint8, quint8,
/// qint8_narrow, qint4, ...). Entry for code q is quantize(f(dequantize(q))) (see the file comment); entries for
/// storage values outside InFormat's range (e.g. -128 in qint8_narrow, 8..127 in qint4) repeat the nearest code's.
template <class InFormat, class OutFormat>
class lut8 {
    static_assert(is_int_format_v<InFormat> && is_int_format_v<OutFormat>, "qnum: lut8 needs int_format types");
    static_assert(sizeof(typename InFormat::storage) == 1,
                  "qnum: lut8 needs an 8-bit input format; use lut16 / segmented_lut for 16-bit inputs");
    static_assert(sizeof(typename OutFormat::storage) == 1,
                  "qnum: lut8 needs an 8-bit output format; use lut16 / segmented_lut for 16-bit outputs");

public:
    using in_format = InFormat;
    using out_format = OutFormat;
    using in_storage = typename InFormat::storage;
    using out_storage = typename OutFormat::storage;

    /// Builds the table of f (any callable float -> float) with rounding mode r and scale application op.
    /// Throws qnum::error if f returns NaN or inf for any input code (bad scales are rejected by per_tensor).
    template <class F, class Rounding = round_half_to_even,
              class = std::enable_if_t<is_rounding_v<Rounding> && std::is_invocable_v<F&, float>>>
    lut8(F f, const per_tensor<InFormat>& in, const per_tensor<OutFormat>& out, const Rounding& r = {},
         scale_op op = scale_op::divide)
        : in_(in), out_(out) {
        static_assert(!std::is_same_v<Rounding, round_stochastic>,
                      "qnum: a look-up table is deterministic; stochastic rounding is not supported");
        const detail::element_params e{out.scale(), 1.0f / out.scale(), out.zero_point()};
        for (int b = 0; b < 256; ++b) {
            const auto code = static_cast<in_storage>(static_cast<std::uint8_t>(b));  // the storage value with bits b
            std::int32_t q = code;
            q = q < InFormat::min ? InFormat::min : (q > InFormat::max ? InFormat::max : q);
            const float y = detail::checked_call(f, detail::dequantize_element(q, in.scale(), in.zero_point()));
            const std::int32_t v = op == scale_op::divide
                                       ? detail::quantize_element<OutFormat, scale_op::divide>(y, e, r, 0)
                                       : detail::quantize_element<OutFormat, scale_op::multiply_by_reciprocal>(y, e, r, 0);
            table_[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(static_cast<out_storage>(v));
        }
    }

    /// lut8 with a rounding mode chosen at run time (stochastic is rejected with qnum::error).
    template <class F, class = std::enable_if_t<std::is_invocable_v<F&, float>>>
    lut8(F f, const per_tensor<InFormat>& in, const per_tensor<OutFormat>& out, const rounding& r,
         scale_op op = scale_op::divide)
        : in_(in), out_(out) {
        detail::require(r.mode != rounding_mode::stochastic,
                        "lut: a look-up table is deterministic; stochastic rounding is not supported");
        visit_rounding(r, [&](const auto& tag) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(tag)>, round_stochastic>)
                *this = lut8(f, in, out, tag, op);
        });
    }

    /// The output code for input code x (the scalar specification of apply()).
    out_storage operator()(in_storage x) const noexcept {
        return static_cast<out_storage>(table_[static_cast<std::uint8_t>(x)]);
    }

    /// y[i] = (*this)(x[i]) for n elements, with the fastest kernel the CPU allows (bit-identical on every level).
    /// Any alignment; x == y (in place) is allowed, other overlaps are not (QNUM_ASSERT in debug builds).
    void apply(const in_storage* x, out_storage* y, std::size_t n) const {
        detail::check_apply_args(x, y, n);
        detail::lut8_apply(reinterpret_cast<const std::uint8_t*>(x), reinterpret_cast<std::uint8_t*>(y), n,
                           table_.data());
    }

    /// apply() over same-shaped strided views (contiguous runs use the SIMD kernels).
    /// Throws qnum::error for mismatched shapes.
    void apply(strided_view<const in_storage> in, strided_view<out_storage> out) const {
        detail::lut_apply_strided(*this, in, out);
    }

    /// The 256 entries as bytes, indexed by the input's bit pattern (uint8_t(x)).
    const std::array<std::uint8_t, 256>& table() const noexcept { return table_; }
    const per_tensor<InFormat>& input_params() const noexcept { return in_; }
    const per_tensor<OutFormat>& output_params() const noexcept { return out_; }

private:
    std::array<std::uint8_t, 256> table_{};
    per_tensor<InFormat> in_;
    per_tensor<OutFormat> out_;
};

}  // namespace qnum

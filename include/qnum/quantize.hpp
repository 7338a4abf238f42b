// qnum — quantize, dequantize and fake-quantize arrays and strided views, per tensor, per channel or per group.
//
// The element-wise contract is in kernels/quantize/scalar.hpp (the specification):
//   q = clamp(R(x (/) scale) + zero_point, qmin, qmax),  x' = float(q - zero_point) * scale,
// NaN -> zero_point, +-inf -> qmax/qmin. Contiguous runs use the xsimd kernel of the architecture this translation
// unit is compiled for; results are bit-identical to the scalar reference (limit_isa(isa::scalar) forces it).
// Inputs and outputs must not overlap, except that fake_quantize may run in place on identical views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/cpu.hpp"
#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/kernels/quantize/scalar.hpp"
#include "qnum/qparams.hpp"
#include "qnum/rounding.hpp"
#include "qnum/view.hpp"

#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#include "qnum/kernels/quantize/xsimd.hpp"
#define QNUM_QUANTIZE_SIMD 1
#else
#define QNUM_QUANTIZE_SIMD 0
#endif

namespace qnum {
namespace detail {

inline bool quantize_simd_enabled() noexcept {
    return QNUM_QUANTIZE_SIMD && detail::isa_ceiling.load(std::memory_order_relaxed) != 0;
}

// One run of n elements: SIMD over the unit-stride prefix, scalar reference for the rest.
template <class Format, scale_op Op, class Rounding, class Params>
void quantize_run(const float* x, std::ptrdiff_t xs, typename Format::storage* q, std::ptrdiff_t qs, std::size_t n,
                  const Params& p, const Rounding& r, std::uint64_t index0) {
    std::size_t done = 0;
#if QNUM_QUANTIZE_SIMD
    if (xs == 1 && qs == 1 && quantize_simd_enabled())
        done = simd::quantize_run<xsimd::default_arch, Format, Op>(x, q, n, p, r, index0);
#endif
    quantize_run_scalar<Format, Op>(x + done * xs, xs, q + done * qs, qs, n - done, p.advanced(done), r, index0 + done);
}

template <class Storage, class Params>
void dequantize_run(const Storage* q, std::ptrdiff_t qs, float* x, std::ptrdiff_t xs, std::size_t n, const Params& p) {
    std::size_t done = 0;
#if QNUM_QUANTIZE_SIMD
    if (xs == 1 && qs == 1 && quantize_simd_enabled()) done = simd::dequantize_run<xsimd::default_arch>(q, x, n, p);
#endif
    dequantize_run_scalar(q + done * qs, qs, x + done * xs, xs, n - done, p.advanced(done));
}

template <class Format, scale_op Op, class Rounding, class Params>
void fake_quantize_run(const float* x, std::ptrdiff_t xs, float* y, std::ptrdiff_t ys, std::size_t n, const Params& p,
                       const Rounding& r, std::uint64_t index0) {
    std::size_t done = 0;
#if QNUM_QUANTIZE_SIMD
    if (xs == 1 && ys == 1 && quantize_simd_enabled())
        done = simd::fake_quantize_run<xsimd::default_arch, Format, Op>(x, y, n, p, r, index0);
#endif
    fake_quantize_run_scalar<Format, Op>(x + done * xs, xs, y + done * ys, ys, n - done, p.advanced(done), r,
                                         index0 + done);
}

// Calls run(in_ptr, in_stride, out_ptr, out_stride, n, params, linear_index) over every run of elements sharing a
// parameter source, for each granularity. `params` is uniform_params or varying_params.
template <class In, class Out, class Format, class Run>
void for_each_param_run(const strided_view<In>& in, const strided_view<Out>& out, const per_tensor<Format>& p,
                        Run&& run) {
    detail::require(in.same_shape(out), "input and output views have different shapes");
    const uniform_params up(p.params());
    std::size_t keep = no_axis;
    const auto [a, b] = coalesce(keep, in, out);
    const std::size_t last = a.rank() - 1;
    for_each_run(
        [&](const dims&, const auto& off, std::uint64_t linear) {
            run(a.data() + off[0], a.stride(last), b.data() + off[1], b.stride(last),
                static_cast<std::size_t>(a.extent(last)), up, linear);
        },
        a, b);
}

template <class In, class Out, class Format, class Run>
void for_each_param_run(const strided_view<In>& in, const strided_view<Out>& out, const per_channel<Format>& p,
                        Run&& run) {
    detail::require(in.same_shape(out), "input and output views have different shapes");
    p.check(in);
    std::size_t axis = p.axis();
    const auto [a, b] = coalesce(axis, in, out);
    const std::size_t last = a.rank() - 1;
    const auto n = static_cast<std::size_t>(a.extent(last));
    for_each_run(
        [&](const dims& index, const auto& off, std::uint64_t linear) {
            if (axis == last)
                run(a.data() + off[0], a.stride(last), b.data() + off[1], b.stride(last), n,
                    varying_params{p.scales().data(), p.zero_points().data()}, linear);
            else
                run(a.data() + off[0], a.stride(last), b.data() + off[1], b.stride(last), n,
                    uniform_params(p[static_cast<std::size_t>(index[axis])]), linear);
        },
        a, b);
}

template <class In, class Out, class Format, class Run>
void for_each_param_run(const strided_view<In>& in, const strided_view<Out>& out, const per_group<Format>& p,
                        Run&& run) {
    detail::require(in.same_shape(out), "input and output views have different shapes");
    p.check(in);
    std::size_t axis = p.axis();
    const auto [a, b] = coalesce(axis, in, out);
    const std::size_t last = a.rank() - 1;
    const std::size_t g = p.group_size();
    const auto n = static_cast<std::size_t>(a.extent(last));
    // Row-major strides of the parameter array: the view's shape with the axis extent replaced by its group count.
    dims pstride{};
    std::ptrdiff_t s = 1;
    for (std::size_t d = a.rank(); d-- > 0;) {
        pstride[d] = s;
        s *= d == axis ? static_cast<std::ptrdiff_t>(p.groups_along_axis(a.extent(d))) : a.extent(d);
    }
    for_each_run(
        [&](const dims& index, const auto& off, std::uint64_t linear) {
            std::ptrdiff_t base = 0;
            for (std::size_t d = 0; d < last; ++d)
                base += (d == axis ? index[d] / static_cast<std::ptrdiff_t>(g) : index[d]) * pstride[d];
            if (axis == last) {  // the run crosses groups: one uniform segment per group
                for (std::size_t start = 0; start < n; start += g) {
                    const std::size_t len = start + g <= n ? g : n - start;
                    const auto pos = static_cast<std::ptrdiff_t>(start);
                    run(a.data() + off[0] + pos * a.stride(last), a.stride(last),
                        b.data() + off[1] + pos * b.stride(last), b.stride(last), len,
                        uniform_params(p[static_cast<std::size_t>(base) + start / g]), linear + start);
                }
            } else {  // parameters change with every element of the run, contiguously in the parameter array
                run(a.data() + off[0], a.stride(last), b.data() + off[1], b.stride(last), n,
                    varying_params{p.scales().data() + base, p.zero_points().data() + base}, linear);
            }
        },
        a, b);
}

// Turns the runtime scale_op into a compile-time one.
template <class F>
void visit_scale_op(scale_op op, F&& f) {
    if (op == scale_op::divide)
        f(std::integral_constant<scale_op, scale_op::divide>{});
    else
        f(std::integral_constant<scale_op, scale_op::multiply_by_reciprocal>{});
}

}  // namespace detail

/// Quantizes `in` into `out` (same shape) with `params` (per_tensor, per_channel or per_group of Format), rounding
/// mode `r` (a rounding tag) and scale application `op`. Throws qnum::error for mismatched shapes or parameters
/// that do not fit the view. Stochastic rounding draws for element i (row-major) depend on (seed, i) only.
template <class Params, class Rounding = round_half_to_even, class = std::enable_if_t<is_rounding_v<Rounding>>>
void quantize(strided_view<const float> in, strided_view<typename Params::format::storage> out, const Params& params,
              const Rounding& r = {}, scale_op op = scale_op::divide) {
    using Format = typename Params::format;
    detail::visit_scale_op(op, [&](auto op_c) {
        detail::for_each_param_run(in, out, params,
                                   [&](const float* x, std::ptrdiff_t xs, auto* q, std::ptrdiff_t qs, std::size_t n,
                                       const auto& p, std::uint64_t linear) {
                                       detail::quantize_run<Format, decltype(op_c)::value>(x, xs, q, qs, n, p, r,
                                                                                           linear);
                                   });
    });
}

/// quantize() with a rounding mode chosen at run time.
template <class Params>
void quantize(strided_view<const float> in, strided_view<typename Params::format::storage> out, const Params& params,
              const rounding& r, scale_op op = scale_op::divide) {
    visit_rounding(r, [&](const auto& tag) { quantize(in, out, params, tag, op); });
}

/// Dequantizes `in` into `out` (same shape): x = float(q - zero_point) * scale.
template <class Params>
void dequantize(strided_view<const typename Params::format::storage> in, strided_view<float> out,
                const Params& params) {
    detail::for_each_param_run(in, out, params,
                               [&](const auto* q, std::ptrdiff_t qs, float* x, std::ptrdiff_t xs, std::size_t n,
                                   const auto& p, std::uint64_t) { detail::dequantize_run(q, qs, x, xs, n, p); });
}

/// Quantizes then dequantizes (the forward pass of fake quantization) from `in` into `out`; in == out is allowed.
template <class Params, class Rounding = round_half_to_even, class = std::enable_if_t<is_rounding_v<Rounding>>>
void fake_quantize(strided_view<const float> in, strided_view<float> out, const Params& params, const Rounding& r = {},
                   scale_op op = scale_op::divide) {
    using Format = typename Params::format;
    detail::visit_scale_op(op, [&](auto op_c) {
        detail::for_each_param_run(in, out, params,
                                   [&](const float* x, std::ptrdiff_t xs, float* y, std::ptrdiff_t ys, std::size_t n,
                                       const auto& p, std::uint64_t linear) {
                                       detail::fake_quantize_run<Format, decltype(op_c)::value>(x, xs, y, ys, n, p, r,
                                                                                                linear);
                                   });
    });
}

/// fake_quantize() with a rounding mode chosen at run time.
template <class Params>
void fake_quantize(strided_view<const float> in, strided_view<float> out, const Params& params, const rounding& r,
                   scale_op op = scale_op::divide) {
    visit_rounding(r, [&](const auto& tag) { fake_quantize(in, out, params, tag, op); });
}

/// Quantizes one value (the scalar specification), returning the integer code.
template <class Format, class Rounding = round_half_to_even>
std::int32_t quantize_value(float x, const per_tensor<Format>& p, const Rounding& r = {},
                            scale_op op = scale_op::divide, std::uint64_t index = 0) {
    const detail::element_params e{p.scale(), 1.0f / p.scale(), p.zero_point()};
    return op == scale_op::divide ? detail::quantize_element<Format, scale_op::divide>(x, e, r, index)
                                  : detail::quantize_element<Format, scale_op::multiply_by_reciprocal>(x, e, r, index);
}

/// Dequantizes one code.
template <class Format>
float dequantize_value(std::int32_t q, const per_tensor<Format>& p) {
    return detail::dequantize_element(q, p.scale(), p.zero_point());
}

}  // namespace qnum

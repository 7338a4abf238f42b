// qnum — transcendental functions on fixed-point values for integer-only pipelines (softmax, sigmoid and tanh
// activations), in gemmlowp's formulation and bit-exact with gemmlowp's fixedpoint.h:
//   exp_on_negative_values  Taylor expansion of exp around -1/8 on [-1/4, 0), then a barrel shifter multiplying by
//                           exp(-2^k) for each set bit of the remainder;
//   one_over_one_plus_x     1 / (1 + x) on [0, 1) by three Newton-Raphson steps from the 48/17 - 32/17 x estimate;
//   logistic, tanh          built on the two above.
// Values are raw int32 in Q(IntegerBits).(31 - IntegerBits): raw = real * 2^(31 - IntegerBits); results are Q0.31
// (1.0 is represented by INT32_MAX). Each algorithm is written once, generic over the raw type: int32_t gives the
// scalar reference, xsimd batches give the array versions (bit-identical: the same operation sequence, with the
// SRDHM of kernels/fixed_point/xsimd.hpp). Maximum errors vs the real functions (double precision), measured over
// every int16 value in the top bits (4 low-bit patterns each) and 10^6 random int32 inputs for several IntegerBits
// (tests/fixed_point_math_test.cpp), are stated per function in units of 2^-31 (the Q0.31 output ULP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "qnum/cpu.hpp"
#include "qnum/fixed_point.hpp"

#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#include "qnum/kernels/fixed_point/xsimd.hpp"
#define QNUM_FIXED_POINT_SIMD 1
#else
#define QNUM_FIXED_POINT_SIMD 0
#endif

QNUM_INTRINSICS_BEGIN

namespace qnum::fixed {
namespace detail {

// ---- operations on a raw type R: int32_t (scalar) or an xsimd int32 batch; everything wraps like hardware --------
using raw = std::int32_t;

inline raw add(raw a, raw b) noexcept {
    return static_cast<raw>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}
inline raw sub(raw a, raw b) noexcept {
    return static_cast<raw>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}
template <int E>
inline raw shl(raw a) noexcept {
    return static_cast<raw>(static_cast<std::uint32_t>(a) << E);
}
inline raw select(bool m, raw a, raw b) noexcept { return m ? a : b; }
inline raw srdhm(raw a, raw b) noexcept { return saturating_rounding_doubling_high_mul(a, b); }

#if QNUM_FIXED_POINT_SIMD
template <class A>
using batch = xsimd::batch<std::int32_t, A>;
template <class A>
inline batch<A> add(const batch<A>& a, const batch<A>& b) noexcept {
    return a + b;
}
template <class A>
inline batch<A> sub(const batch<A>& a, const batch<A>& b) noexcept {
    return a - b;
}
template <int E, class A>
inline batch<A> shl(const batch<A>& a) noexcept {
    return a << E;
}
template <class A>
inline batch<A> select(const xsimd::batch_bool<std::int32_t, A>& m, const batch<A>& a, const batch<A>& b) noexcept {
    return qnum::detail::simd::select_i32<A>(m, a, b);
}
template <class A>
inline batch<A> srdhm(const batch<A>& a, const batch<A>& b) noexcept {
    return qnum::detail::simd::srdhm<A>(a, b);
}
#endif

template <class R>
inline R dup(std::int32_t v) noexcept {
    return R(v);
}

/// gemmlowp RoundingDivideByPOT (ties away from zero) by a constant exponent.
template <int E, class R>
inline R rdbpot(const R& x) noexcept {
    constexpr raw mask = static_cast<raw>((std::int64_t{1} << E) - 1);
    const R threshold = add(dup<R>(mask >> 1), select(x < dup<R>(0), dup<R>(1), dup<R>(0)));
    return add(x >> E, select((x & dup<R>(mask)) > threshold, dup<R>(1), dup<R>(0)));
}

/// gemmlowp SaturatingRoundingMultiplyByPOT<E>: saturating left shift for E > 0, rdbpot for E < 0.
template <int E, class R>
inline R sat_mul_pot(const R& x) noexcept {
    if constexpr (E == 0) {
        return x;
    } else if constexpr (E < 0) {
        return rdbpot<-E>(x);
    } else {
        constexpr raw threshold = (raw{1} << (31 - E)) - 1;
        R r = shl<E>(x);
        r = select(x > dup<R>(threshold), dup<R>(std::numeric_limits<raw>::max()), r);
        return select(x < dup<R>(-threshold), dup<R>(std::numeric_limits<raw>::min()), r);
    }
}

/// rdbpot with a run-time exponent in [0, 31].
template <class R>
inline R rdbpot_rt(const R& x, int e) noexcept {
    const auto mask = static_cast<raw>((std::int64_t{1} << e) - 1);
    const R threshold = add(dup<R>(mask >> 1), select(x < dup<R>(0), dup<R>(1), dup<R>(0)));
    return add(x >> e, select((x & dup<R>(mask)) > threshold, dup<R>(1), dup<R>(0)));
}

/// Saturating x * 2^e with a run-time e in [0, 31] (gemmlowp's threshold form; equals saturating_left_shift).
template <class R>
inline R sat_shl_rt(const R& x, int e) noexcept {
    const auto threshold = static_cast<raw>((std::int64_t{1} << (31 - e)) - 1);
    R r;
    if constexpr (std::is_same_v<R, raw>) {
        r = static_cast<raw>(static_cast<std::uint32_t>(x) << e);
    } else {
        r = x << e;
    }
    r = select(x > dup<R>(threshold), dup<R>(std::numeric_limits<raw>::max()), r);
    return select(x < dup<R>(-threshold), dup<R>(std::numeric_limits<raw>::min()), r);
}

/// gemmlowp RoundingHalfSum: (a + b) / 2 rounded half away from zero, without a 64-bit sum: with a = 2p + q and
/// b = 2r + s, the result is p + r + (q | s) when a + b >= 0 and p + r + (q & s) otherwise; p + r < 0 decides the
/// sign except for a + b = 0 with q = s = 1, where both forms agree.
template <class R>
inline R rounding_half_sum(const R& a, const R& b) noexcept {
    const R pr = add(a >> 1, b >> 1);
    const R q = a & dup<R>(1), s = b & dup<R>(1);
    return add(pr, select(pr < dup<R>(0), q & s, q | s));
}

/// exp(x) for x in [-1/4, 0), Q0.31 in and out.
template <class R>
inline R exp_on_interval_between_negative_one_quarter_and_0_excl(const R& a) noexcept {
    const R constant_term = dup<R>(1895147668);     // exp(-1/8)
    const R constant_1_over_3 = dup<R>(715827883);  // 1/3
    const R x = add(a, dup<R>(1 << 28));           // x = a + 1/8
    const R x2 = srdhm(x, x);
    const R x3 = srdhm(x2, x);
    const R x4 = srdhm(x2, x2);
    const R x4_over_4 = sat_mul_pot<-2>(x4);
    const R poly = sat_mul_pot<-1>(add(srdhm(add(x4_over_4, x3), constant_1_over_3), x2));
    return add(constant_term, srdhm(constant_term, add(x, poly)));
}

template <int IntegerBits, class R>
inline R exp_on_negative_values(const R& a) noexcept {
    static_assert(IntegerBits >= 0 && IntegerBits <= 30, "qnum: IntegerBits must be in [0, 30]");
    constexpr int fractional_bits = 31 - IntegerBits;
    const R one_quarter = dup<R>(raw{1} << (fractional_bits - 2));
    const R a_mod_quarter_minus_one_quarter = sub(a & sub(one_quarter, dup<R>(1)), one_quarter);
    R result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_mul_pot<IntegerBits>(a_mod_quarter_minus_one_quarter));
    const R remainder = sub(a_mod_quarter_minus_one_quarter, a);
    // exp(-2^k) in Q0.31 for k = -2 .. 4, applied for each remainder bit the format has
    constexpr raw multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    for (int k = -2; k <= 4; ++k) {
        if (IntegerBits > k) {
            const R bit = dup<R>(raw{1} << (fractional_bits + k));
            result = select((remainder & bit) != dup<R>(0), srdhm(result, dup<R>(multipliers[k + 2])), result);
        }
    }
    if constexpr (IntegerBits > 5) {  // below -32 the barrel shifter has no bit: exp underflows Q0.31 anyway
        result = select(a < dup<R>(-(raw{1} << (36 - IntegerBits))), dup<R>(0), result);
    }
    return select(a == dup<R>(0), dup<R>(std::numeric_limits<raw>::max()), result);
}

/// Newton-Raphson 1 / (1 + a) on [0, 1), returned in Q2.29 (x ≈ 1 / half_denominator).
template <class R>
inline R reciprocal_newton(const R& half_denominator) noexcept {
    const R constant_48_over_17 = dup<R>(1515870810);    // Q2.29
    const R constant_neg_32_over_17 = dup<R>(-1010580540);
    const R one_q2 = dup<R>(raw{1} << 29);
    R x = add(constant_48_over_17, srdhm(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; ++i) {
        const R one_minus_half_denominator_times_x = sub(one_q2, srdhm(half_denominator, x));
        x = add(x, sat_mul_pot<2>(srdhm(x, one_minus_half_denominator_times_x)));
    }
    return x;
}

template <class R>
inline R one_over_one_plus_x_for_x_in_0_1(const R& a) noexcept {
    const R x = reciprocal_newton(rounding_half_sum(a, dup<R>(std::numeric_limits<raw>::max())));
    return sat_mul_pot<1>(x);  // Q2.29 halved is Q1.30 with the same raw; rescaled to Q0.31
}

template <class R>
inline R one_minus_x_over_one_plus_x_for_x_in_0_1(const R& a) noexcept {
    const R x = reciprocal_newton(rounding_half_sum(a, dup<R>(std::numeric_limits<raw>::max())));
    return sat_mul_pot<2>(sub(x, dup<R>(raw{1} << 29)));
}

template <int IntegerBits, class R>
inline R logistic(const R& a) noexcept {
    const R zero = dup<R>(0);
    const auto positive = a > zero;
    const R abs_input = select(positive, a, sub(zero, a));
    const R if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values<IntegerBits>(sub(zero, abs_input)));
    const R if_negative = sub(dup<R>(std::numeric_limits<raw>::max()), if_positive);
    return select(a == zero, dup<R>(1 << 30), select(positive, if_positive, if_negative));
}

template <int IntegerBits, class R>
inline R tanh(const R& a) noexcept {
    static_assert(IntegerBits <= 29, "qnum: tanh doubles its input, IntegerBits must be <= 29");
    const R zero = dup<R>(0);
    const auto negative = a < zero;
    const R n = select(negative, a, sub(zero, a));
    const R t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values<IntegerBits + 1>(n));
    return select(a == zero, zero, select(negative, sub(zero, t), t));
}

#if QNUM_FIXED_POINT_SIMD
// Array form: xsimd batches over whole batches, the scalar reference for the tail.
template <class F>
inline void map_array(const std::int32_t* in, std::int32_t* out, std::size_t n, F&& f) {
    std::size_t i = 0;
    if (qnum::detail::isa_ceiling.load(std::memory_order_relaxed) != 0) {
        using B = batch<xsimd::default_arch>;
        for (; i + B::size <= n; i += B::size) f(B::load_unaligned(in + i)).store_unaligned(out + i);
    }
    for (; i < n; ++i) out[i] = f(in[i]);
}
template <class F>
inline void map_array2(const std::int32_t* a, const std::int32_t* b, std::int32_t* out, std::size_t n, F&& f) {
    std::size_t i = 0;
    if (qnum::detail::isa_ceiling.load(std::memory_order_relaxed) != 0) {
        using B = batch<xsimd::default_arch>;
        for (; i + B::size <= n; i += B::size)
            f(B::load_unaligned(a + i), B::load_unaligned(b + i)).store_unaligned(out + i);
    }
    for (; i < n; ++i) out[i] = f(a[i], b[i]);
}
#else
template <class F>
inline void map_array2(const std::int32_t* a, const std::int32_t* b, std::int32_t* out, std::size_t n, F&& f) {
    for (std::size_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
}
template <class F>
inline void map_array(const std::int32_t* in, std::int32_t* out, std::size_t n, F&& f) {
    for (std::size_t i = 0; i < n; ++i) out[i] = f(in[i]);
}
#endif

}  // namespace detail

/// exp(a) for INT32_MIN < a <= 0 in Q(IntegerBits).(31 - IntegerBits), result Q0.31 (exp(0) = INT32_MAX); a > 0
/// is outside the contract. Bit-exact with gemmlowp::exp_on_negative_values. Max error |result - exp(a) * 2^31| < 500 units of
/// 2^-31 (2.4e-7; measured 493, see header comment).
template <int IntegerBits>
inline std::int32_t exp_on_negative_values(std::int32_t a) noexcept {
    return detail::exp_on_negative_values<IntegerBits>(a);
}

/// 1 / (1 + a) for a in [0, 1), Q0.31 in and out (a reciprocal for integer softmax). Bit-exact with
/// gemmlowp::one_over_one_plus_x_for_x_in_0_1. Max error < 8 units of 2^-31 (measured 6.9).
inline std::int32_t one_over_one_plus_x(std::int32_t a) noexcept { return detail::one_over_one_plus_x_for_x_in_0_1(a); }

/// logistic(a) = 1 / (1 + exp(-a)) for any a > INT32_MIN in Q(IntegerBits).(31 - IntegerBits), result Q0.31.
/// Bit-exact with gemmlowp::logistic. Max error < 160 units of 2^-31 (7.5e-8; measured 154).
template <int IntegerBits>
inline std::int32_t logistic(std::int32_t a) noexcept {
    return detail::logistic<IntegerBits>(a);
}

/// tanh(a) for any a > INT32_MIN in Q(IntegerBits).(31 - IntegerBits), IntegerBits <= 29, result Q0.31.
/// Bit-exact with gemmlowp::tanh. Max error < 320 units of 2^-31 (1.5e-7; measured 307).
template <int IntegerBits>
inline std::int32_t tanh(std::int32_t a) noexcept {
    return detail::tanh<IntegerBits>(a);
}

/// Array forms of the functions above (SIMD when xsimd supports the target, scalar tail; bit-identical).
template <int IntegerBits>
inline void exp_on_negative_values(const std::int32_t* in, std::int32_t* out, std::size_t n) {
    detail::map_array(in, out, n, [](const auto& v) { return detail::exp_on_negative_values<IntegerBits>(v); });
}
inline void one_over_one_plus_x(const std::int32_t* in, std::int32_t* out, std::size_t n) {
    detail::map_array(in, out, n, [](const auto& v) { return detail::one_over_one_plus_x_for_x_in_0_1(v); });
}
template <int IntegerBits>
inline void logistic(const std::int32_t* in, std::int32_t* out, std::size_t n) {
    detail::map_array(in, out, n, [](const auto& v) { return detail::logistic<IntegerBits>(v); });
}
template <int IntegerBits>
inline void tanh(const std::int32_t* in, std::int32_t* out, std::size_t n) {
    detail::map_array(in, out, n, [](const auto& v) { return detail::tanh<IntegerBits>(v); });
}

/// Array forms of the fixed_point.hpp primitives (SIMD when xsimd supports the target, bit-identical):
/// out[i] = saturating_rounding_doubling_high_mul(a[i], b[i]).
inline void saturating_rounding_doubling_high_mul(const std::int32_t* a, const std::int32_t* b, std::int32_t* out,
                                                  std::size_t n) {
    detail::map_array2(a, b, out, n, [](const auto& x, const auto& y) { return detail::srdhm(x, y); });
}

/// out[i] = rounding_divide_by_pot(x[i], exponent), exponent in [0, 31].
inline void rounding_divide_by_pot(const std::int32_t* x, int exponent, std::int32_t* out, std::size_t n) {
    QNUM_ASSERT(exponent >= 0 && exponent <= 31);
    detail::map_array(x, out, n, [exponent](const auto& v) { return detail::rdbpot_rt(v, exponent); });
}

/// out[i] = multiply_by_quantized_multiplier(acc[i], m) (double rounding, int32 result), shift in [-31, 31].
inline void multiply_by_quantized_multiplier(const std::int32_t* acc, quantized_multiplier m, std::int32_t* out,
                                             std::size_t n) {
    QNUM_ASSERT(m.shift >= -31 && m.shift <= 31);
    const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
    detail::map_array(acc, out, n, [&](const auto& v) {
        using R = std::decay_t<decltype(v)>;
        return detail::rdbpot_rt(detail::srdhm(detail::sat_shl_rt(v, left), detail::dup<R>(m.multiplier)), right);
    });
}

/// out[i] = multiply_by_quantized_multiplier(x[i], m) for int16 data and a Q15 multiplier (shift in [-15, 15]):
/// saturating left shift, Q15 SRDHM, rounding_divide_by_pot, all on int16 lanes.
inline void multiply_by_quantized_multiplier(const std::int16_t* x, quantized_multiplier16 m, std::int16_t* out,
                                             std::size_t n) {
    QNUM_ASSERT(m.shift >= -15 && m.shift <= 15);
    const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
    std::size_t i = 0;
#if QNUM_FIXED_POINT_SIMD
    if (qnum::detail::isa_ceiling.load(std::memory_order_relaxed) != 0) {
        using A = xsimd::default_arch;
        using B = xsimd::batch<std::int16_t, A>;
        namespace simd = qnum::detail::simd;
        const auto threshold = static_cast<std::int16_t>((1 << (15 - left)) - 1);
        const auto mask = static_cast<std::int16_t>((1 << right) - 1);
        const B mult(m.multiplier), zero(std::int16_t{0}), one(std::int16_t{1});
        for (; i + B::size <= n; i += B::size) {
            const B v = B::load_unaligned(x + i);
            B s = simd::select_i16<A>(v > B(threshold), B(std::int16_t{32767}), v << left);
            s = simd::select_i16<A>(v < B(static_cast<std::int16_t>(-threshold)), B(std::int16_t{-32768}), s);
            const B p = simd::srdhm16<A>(s, mult);
            const B thr = B(static_cast<std::int16_t>(mask >> 1)) + simd::select_i16<A>(p < zero, one, zero);
            const B r = (p >> right) + simd::select_i16<A>((p & B(mask)) > thr, one, zero);
            r.store_unaligned(out + i);
        }
    }
#endif
    for (; i < n; ++i) out[i] = qnum::multiply_by_quantized_multiplier(x[i], m);
}

}  // namespace qnum::fixed

QNUM_INTRINSICS_END

// Tests for fixed_point_math.hpp: exp_on_negative_values, one_over_one_plus_x, logistic and tanh are bit-exact with
// gemmlowp's fixedpoint.h (libgemmlowp-dev, included here) on an exhaustive grid of int16-derived inputs plus random
// int32 inputs, the array (xsimd) forms equal the scalar reference, and the measured maximum errors vs the real
// functions stay within the bounds documented in the header.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/fixed_point_math.hpp>

#include <doctest/doctest.h>

#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

#if defined(QNUM_TEST_SANITIZED) && QNUM_TEST_SANITIZED
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

// Inputs: every int16 value in the top bits (and a few low-bit patterns), then random int32; INT32_MIN excluded
// (negating it overflows in gemmlowp too).
std::vector<std::int32_t> inputs(bool non_positive_only, bool unit_interval_only) {
    std::vector<std::int32_t> v;
    for (std::int32_t k = -32768; k <= 32767; ++k)
        for (std::int32_t low : {0, 1, 0x7FFF, 0xFFFF}) v.push_back(static_cast<std::int32_t>(k * 65536 + low));
    std::mt19937_64 rng(3);
    const int n = sanitized ? 20000 : 1000000;
    for (int i = 0; i < n; ++i) v.push_back(static_cast<std::int32_t>(rng()) >> (rng() % 31));
    v.push_back(std::numeric_limits<std::int32_t>::max());
    v.push_back(std::numeric_limits<std::int32_t>::min() + 1);
    std::vector<std::int32_t> out;
    for (std::int32_t x : v) {
        if (x == std::numeric_limits<std::int32_t>::min()) continue;
        if (non_positive_only && x > 0) x = -x;
        if (unit_interval_only && x < 0) x = -x;
        out.push_back(x);
    }
    return out;
}

double q31(std::int32_t raw) { return std::ldexp(static_cast<double>(raw), -31); }

template <int IntegerBits>
double real_of(std::int32_t raw) {
    return std::ldexp(static_cast<double>(raw), IntegerBits - 31);
}

// Runs the array form at the current dispatch and with the scalar reference forced; both must equal `scalar`.
template <class ArrayF>
void check_array(const std::vector<std::int32_t>& in, const std::vector<std::int32_t>& scalar, ArrayF&& f) {
    std::vector<std::int32_t> out(in.size());
    f(in.data(), out.data(), in.size());
    CHECK(out == scalar);
    qnum::limit_isa(qnum::isa::scalar);
    std::fill(out.begin(), out.end(), 0);
    f(in.data(), out.data(), in.size());
    qnum::unlimit_isa();
    CHECK(out == scalar);
}

template <int IntegerBits>
void check_exp() {
    using F = gemmlowp::FixedPoint<std::int32_t, IntegerBits>;
    const auto in = inputs(true, false);
    std::vector<std::int32_t> ours(in.size());
    long bad = 0;
    double worst = 0.0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        ours[i] = qnum::fixed::exp_on_negative_values<IntegerBits>(in[i]);
        bad += ours[i] != gemmlowp::exp_on_negative_values(F::FromRaw(in[i])).raw();
        worst = std::max(worst, std::abs(q31(ours[i]) - std::exp(real_of<IntegerBits>(in[i]))) * 2147483648.0);
    }
    INFO("IntegerBits ", IntegerBits);
    CHECK(bad == 0);
    MESSAGE("exp_on_negative_values<", IntegerBits, ">: max error ", worst, " units of 2^-31");
    CHECK(worst <= 500.0);
    check_array(in, ours, [](const std::int32_t* a, std::int32_t* b, std::size_t n) {
        qnum::fixed::exp_on_negative_values<IntegerBits>(a, b, n);
    });
}

template <int IntegerBits>
void check_logistic_tanh() {
    using F = gemmlowp::FixedPoint<std::int32_t, IntegerBits>;
    const auto in = inputs(false, false);
    std::vector<std::int32_t> lo(in.size()), th(in.size());
    long bad = 0;
    double worst_logistic = 0.0, worst_tanh = 0.0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        lo[i] = qnum::fixed::logistic<IntegerBits>(in[i]);
        th[i] = qnum::fixed::tanh<IntegerBits>(in[i]);
        bad += lo[i] != gemmlowp::logistic(F::FromRaw(in[i])).raw();
        bad += th[i] != gemmlowp::tanh(F::FromRaw(in[i])).raw();
        const double x = real_of<IntegerBits>(in[i]);
        worst_logistic = std::max(worst_logistic, std::abs(q31(lo[i]) - 1.0 / (1.0 + std::exp(-x))) * 2147483648.0);
        worst_tanh = std::max(worst_tanh, std::abs(q31(th[i]) - std::tanh(x)) * 2147483648.0);
    }
    INFO("IntegerBits ", IntegerBits);
    CHECK(bad == 0);
    MESSAGE("logistic<", IntegerBits, ">: max error ", worst_logistic, ", tanh<", IntegerBits, ">: ", worst_tanh,
            " units of 2^-31");
    CHECK(worst_logistic <= 160.0);
    CHECK(worst_tanh <= 320.0);
    check_array(in, lo, [](const std::int32_t* a, std::int32_t* b, std::size_t n) {
        qnum::fixed::logistic<IntegerBits>(a, b, n);
    });
    check_array(in, th, [](const std::int32_t* a, std::int32_t* b, std::size_t n) {
        qnum::fixed::tanh<IntegerBits>(a, b, n);
    });
}

}  // namespace

TEST_CASE("exp_on_negative_values equals gemmlowp; documented error bound") {
    check_exp<0>();
    check_exp<1>();
    check_exp<4>();
    check_exp<5>();
    check_exp<6>();
    check_exp<12>();
}

TEST_CASE("one_over_one_plus_x equals gemmlowp; documented error bound") {
    using F0 = gemmlowp::FixedPoint<std::int32_t, 0>;
    const auto in = inputs(false, true);
    std::vector<std::int32_t> ours(in.size());
    long bad = 0;
    double worst = 0.0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        ours[i] = qnum::fixed::one_over_one_plus_x(in[i]);
        bad += ours[i] != gemmlowp::one_over_one_plus_x_for_x_in_0_1(F0::FromRaw(in[i])).raw();
        worst = std::max(worst, std::abs(q31(ours[i]) - 1.0 / (1.0 + q31(in[i]))) * 2147483648.0);
    }
    CHECK(bad == 0);
    MESSAGE("one_over_one_plus_x: max error ", worst, " units of 2^-31");
    CHECK(worst <= 8.0);
    check_array(in, ours, [](const std::int32_t* a, std::int32_t* b, std::size_t n) {
        qnum::fixed::one_over_one_plus_x(a, b, n);
    });
}

TEST_CASE("logistic and tanh equal gemmlowp; documented error bounds") {
    check_logistic_tanh<0>();
    check_logistic_tanh<3>();
    check_logistic_tanh<4>();
    check_logistic_tanh<5>();
    check_logistic_tanh<8>();
}

TEST_CASE("array forms of SRDHM, RDBPOT and multiply_by_quantized_multiplier equal the scalar primitives") {
    std::mt19937_64 rng(17);
    const std::size_t n = sanitized ? 5000 : 200000;
    std::vector<std::int32_t> a(n), b(n), out(n);
    const std::int32_t mn = std::numeric_limits<std::int32_t>::min(), mx = std::numeric_limits<std::int32_t>::max();
    for (std::size_t i = 0; i < n; ++i) {
        a[i] = static_cast<std::int32_t>(rng()) >> (rng() % 32);
        b[i] = static_cast<std::int32_t>(rng()) >> (rng() % 32);
    }
    const std::int32_t edges[] = {mn, mn + 1, mx, mx - 1, 0, 1, -1, 1 << 30, -(1 << 30)};
    for (std::size_t i = 0; i < 81; ++i) a[i] = edges[i % 9], b[i] = edges[i / 9];
    for (bool reference : {false, true}) {
        if (reference) qnum::limit_isa(qnum::isa::scalar);
        qnum::fixed::saturating_rounding_doubling_high_mul(a.data(), b.data(), out.data(), n);
        for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == qnum::saturating_rounding_doubling_high_mul(a[i], b[i]));
        for (int e : {0, 1, 7, 30, 31}) {
            qnum::fixed::rounding_divide_by_pot(a.data(), e, out.data(), n);
            for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == qnum::rounding_divide_by_pot(a[i], e));
        }
        for (int shift : {-31, -20, -1, 0, 1, 5, 30, 31}) {
            for (std::int32_t m : {1 << 30, mx, 1518500250}) {
                qnum::fixed::multiply_by_quantized_multiplier(a.data(), {m, shift}, out.data(), n);
                for (std::size_t i = 0; i < n; ++i)
                    REQUIRE(out[i] == qnum::multiply_by_quantized_multiplier(a[i], qnum::quantized_multiplier{m, shift}));
            }
        }
        qnum::unlimit_isa();
    }
}

TEST_CASE("int16 array form with a Q15 multiplier equals the scalar primitive, all int16 inputs") {
    std::vector<std::int16_t> x(65536 + 13), out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int16_t>(static_cast<int>(i % 65536) - 32768);
    for (bool reference : {false, true}) {
        if (reference) qnum::limit_isa(qnum::isa::scalar);
        for (int shift = -15; shift <= 15; shift += sanitized ? 5 : 1)
            for (std::int16_t m : {std::int16_t{16384}, std::int16_t{32767}, std::int16_t{23170}, std::int16_t{0}}) {
                qnum::fixed::multiply_by_quantized_multiplier(x.data(), qnum::quantized_multiplier16{m, shift}, out.data(),
                                                              x.size());
                for (std::size_t i = 0; i < x.size(); ++i)
                    REQUIRE(out[i] == qnum::multiply_by_quantized_multiplier(x[i], qnum::quantized_multiplier16{m, shift}));
            }
        qnum::unlimit_isa();
    }
}

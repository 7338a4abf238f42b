// Tests for fixed_point.hpp and requantize.hpp: the primitives against gemmlowp's own fixedpoint.h (included from
// libgemmlowp-dev), the multiplier decomposition against TFLite's definition, and every requantizer kernel against
// the scalar reference at every dispatch level.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/fixed_point.hpp>
#include <qnum/requantize.hpp>

#include <doctest/doctest.h>

#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using namespace qnum;

constexpr std::int32_t i32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t i32_max = std::numeric_limits<std::int32_t>::max();

#if defined(QNUM_TEST_SANITIZED) && QNUM_TEST_SANITIZED
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

// TFLite's MultiplyByQuantizedMultiplier (kernels/internal/common.h, classic double rounding), composed from
// gemmlowp's real functions exactly as TFLite does; only defined while x * 2^left_shift fits int32.
std::int32_t tflite_double_rounding(std::int32_t x, std::int32_t multiplier, int shift) {
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    return gemmlowp::RoundingDivideByPOT(
        gemmlowp::SaturatingRoundingDoublingHighMul(static_cast<std::int32_t>(x * (std::int64_t{1} << left_shift)),
                                                    multiplier),
        right_shift);
}

// Accumulators that stress every branch: extremes, zero, values near powers of two, then random.
std::vector<std::int32_t> edge_accumulators() {
    std::vector<std::int32_t> v{0, 1, -1, 2, -2, i32_min, i32_min + 1, i32_max, i32_max - 1, 127, -128, 255};
    for (int b = 1; b < 31; ++b) {
        const std::int32_t p = std::int32_t{1} << b;
        for (std::int32_t d : {-1, 0, 1}) {
            v.push_back(p + d);
            v.push_back(-p + d);
        }
    }
    return v;
}

// Every dispatch level this CPU has, scalar first.
std::vector<isa> levels() {
    std::vector<isa> l{isa::scalar};
    for (isa i : {isa::avx2, isa::avx512})
        if (cpu_supports(i)) l.push_back(i);
    return l;
}

}  // namespace

TEST_CASE("quantize_multiplier: TFLite decomposition, corners and errors") {
    CHECK(quantize_multiplier(0.5) == quantized_multiplier{1 << 30, 0});
    CHECK(quantize_multiplier(1.0) == quantized_multiplier{1 << 30, 1});
    CHECK(quantize_multiplier(0.75) == quantized_multiplier{3 << 29, 0});
    CHECK(quantize_multiplier(3.0) == quantized_multiplier{3 << 29, 2});
    // q * 2^31 rounds up to 2^31: renormalised to 2^30 with shift + 1
    CHECK(quantize_multiplier(std::nextafter(1.0, 0.0)) == quantized_multiplier{1 << 30, 1});
    CHECK(quantize_multiplier(1.0 - std::ldexp(1.0, -33)) == quantized_multiplier{1 << 30, 1});
    CHECK(quantize_multiplier(1.0 - std::ldexp(1.0, -31)) == quantized_multiplier{i32_max, 0});
    // tiny multipliers flush to {0, 0} like TFLite; 2^-32 is the smallest kept
    CHECK(quantize_multiplier(std::ldexp(1.0, -32)) == quantized_multiplier{1 << 30, -31});
    CHECK(quantize_multiplier(std::ldexp(1.0, -33)) == quantized_multiplier{0, 0});
    CHECK(quantize_multiplier(std::ldexp(1.0, -32) * (1.0 - 1e-12)) == quantized_multiplier{1 << 30, -31});
    CHECK(quantize_multiplier(std::ldexp(1.0, -32) * (1.0 - 1e-9)) == quantized_multiplier{0, 0});
    CHECK(quantize_multiplier(1e-300) == quantized_multiplier{0, 0});
    CHECK(quantize_multiplier(std::ldexp(1.0, 29)) == quantized_multiplier{1 << 30, 30});
    CHECK(quantize_multiplier(std::ldexp(1.0, 30) - 0.5) == quantized_multiplier{i32_max, 30});
    CHECK_THROWS_AS(quantize_multiplier(std::ldexp(1.0, 30)), error);
    CHECK_THROWS_AS(quantize_multiplier(std::ldexp(1.0, 30) - 0.25), error);  // rounds up to 2^30
    CHECK_THROWS_AS(quantize_multiplier(0.0), error);
    CHECK_THROWS_AS(quantize_multiplier(-0.0), error);
    CHECK_THROWS_AS(quantize_multiplier(-0.5), error);
    CHECK_THROWS_AS(quantize_multiplier(std::numeric_limits<double>::quiet_NaN()), error);
    CHECK_THROWS_AS(quantize_multiplier(std::numeric_limits<double>::infinity()), error);
    CHECK_THROWS_AS(quantize_multiplier(-std::numeric_limits<double>::infinity()), error);
    CHECK_THROWS_AS(quantize_multiplier(1e300), error);
}

TEST_CASE("SRDHM and RDBPOT equal gemmlowp on edges and random inputs") {
    const auto acc = edge_accumulators();
    for (std::int32_t a : acc)
        for (std::int32_t b : acc) REQUIRE(saturating_rounding_doubling_high_mul(a, b) ==
                                           gemmlowp::SaturatingRoundingDoublingHighMul(a, b));
    CHECK(saturating_rounding_doubling_high_mul(i32_min, i32_min) == i32_max);
    for (std::int32_t a : acc)
        for (int e = 0; e <= 31; ++e) REQUIRE(rounding_divide_by_pot(a, e) == gemmlowp::RoundingDivideByPOT(a, e));
    std::mt19937_64 rng(1);
    const long n = sanitized ? 200000 : 4000000;
    for (long i = 0; i < n; ++i) {
        const auto a = static_cast<std::int32_t>(rng()), b = static_cast<std::int32_t>(rng());
        const int e = static_cast<int>(rng() % 32);
        REQUIRE(saturating_rounding_doubling_high_mul(a, b) == gemmlowp::SaturatingRoundingDoublingHighMul(a, b));
        REQUIRE(rounding_divide_by_pot(a, e) == gemmlowp::RoundingDivideByPOT(a, e));
    }
}

TEST_CASE("multiply_by_quantized_multiplier equals TFLite's definition where it is defined") {
    std::mt19937_64 rng(2);
    const long n = sanitized ? 200000 : 4000000;
    for (long i = 0; i < n; ++i) {
        const auto x = static_cast<std::int32_t>(rng());
        const auto m = static_cast<std::int32_t>((1u << 30) + (rng() % (1u << 30)));
        const int shift = static_cast<int>(rng() % 62) - 31;  // [-31, 30]
        const int left = shift > 0 ? shift : 0;
        const std::int64_t shifted = static_cast<std::int64_t>(x) * (std::int64_t{1} << left);
        if (shifted < i32_min || shifted > i32_max) continue;
        REQUIRE(multiply_by_quantized_multiplier(x, {m, shift}) == tflite_double_rounding(x, m, shift));
    }
}

TEST_CASE_TEMPLATE("requantizer: every dispatch level equals the scalar reference", Out, std::int8_t, std::uint8_t,
                   std::int16_t, std::uint16_t) {
    std::mt19937_64 rng(3);
    const std::size_t n = 1000, channels = 1000;
    std::vector<std::int32_t> acc(n);
    const auto edges = edge_accumulators();
    for (std::size_t i = 0; i < n; ++i)
        acc[i] = i < edges.size() ? edges[i] : static_cast<std::int32_t>(rng() >> (rng() % 40));
    constexpr std::int32_t lo = std::numeric_limits<Out>::min(), hi = std::numeric_limits<Out>::max();
    const std::int32_t zp = static_cast<std::int32_t>(lo + (hi - lo) / 3);
    std::vector<double> per_channel(channels);
    for (auto& m : per_channel) m = std::ldexp(0.5 + 0.5 * std::uniform_real_distribution<double>()(rng),
                                               static_cast<int>(rng() % 40) - 34);  // shifts [-33, 5]
    std::vector<double> pot(channels);
    for (auto& m : pot) m = std::ldexp(1.0, static_cast<int>(rng() % 37) - 31);
    auto run = [&](auto method, const std::vector<double>& ms, qrange clamp) {
        using M = decltype(method);
        const requantizer<Out, M> rq(ms, zp, clamp);
        for (std::size_t c0 : {std::size_t{0}, std::size_t{3}}) {
            const std::size_t len = ms.size() > 1 ? n - c0 : n;
            std::vector<Out> ref(len), got(len);
            limit_isa(isa::scalar);
            rq.apply(acc.data() + c0, ref.data(), len, ms.size() > 1 ? c0 : 0);
            for (std::size_t i = 0; i < len; ++i)
                REQUIRE(ref[i] == rq(acc[c0 + i], ms.size() > 1 ? c0 + i : 0));
            for (isa level : levels()) {
                limit_isa(level);
                std::fill(got.begin(), got.end(), Out{0});
                rq.apply(acc.data() + c0, got.data(), len, ms.size() > 1 ? c0 : 0);
                for (std::size_t i = 0; i < len; ++i) {
                    INFO("level ", isa_name(level), " i ", i, " acc ", acc[c0 + i]);
                    REQUIRE(static_cast<int>(got[i]) == static_cast<int>(ref[i]));
                }
            }
            unlimit_isa();
        }
    };
    const qrange full{lo, hi}, relu{zp, hi}, narrow{lo + 7, zp + 9};
    for (qrange clamp : {full, relu, narrow}) {
        for (double m : {0.0001234, 0.5, 0.999999, 1.0, 3.75, 1000.5, std::ldexp(1.0, -32), std::ldexp(1.0, -40),
                         std::ldexp(1.0, 29) * 1.5}) {
            run(double_rounding{}, {m}, clamp);
            run(single_rounding{}, {m}, clamp);
            run(rndnu{}, {m}, clamp);
            run(fp32{}, {m}, clamp);
        }
        run(double_rounding{}, per_channel, clamp);
        run(single_rounding{}, per_channel, clamp);
        run(rndnu{}, per_channel, clamp);
        run(fp32{}, per_channel, clamp);
        run(power_of_two{}, pot, clamp);
        for (int e : {-31, -8, -1, 0, 1, 5, 30}) run(power_of_two{}, {std::ldexp(1.0, e)}, clamp);
    }
}

TEST_CASE("requantizer: bad multipliers, zero points and clamps throw") {
    const qrange i8{-128, 127};
    CHECK_THROWS_AS((requantizer<std::int8_t>({}, 0, i8)), error);
    for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                       std::ldexp(1.0, 30)}) {
        CHECK_THROWS_AS((requantizer<std::int8_t>({0.5, bad}, 0, i8)), error);
        CHECK_THROWS_AS((requantizer<std::int8_t, single_rounding>({bad}, 0, i8)), error);
        CHECK_THROWS_AS((requantizer<std::int8_t, rndnu>({bad}, 0, i8)), error);
    }
    CHECK_THROWS_AS((requantizer<std::int8_t, fp32>({1e-50}, 0, i8)), error);  // zero as a float
    CHECK_THROWS_AS((requantizer<std::int8_t, fp32>({1e50}, 0, i8)), error);   // inf as a float
    CHECK_THROWS_AS((requantizer<std::int8_t, power_of_two>({0.3}, 0, i8)), error);
    CHECK_THROWS_AS((requantizer<std::int8_t, power_of_two>({std::ldexp(1.0, -32)}, 0, i8)), error);
    CHECK_THROWS_AS((requantizer<std::int8_t>({0.5}, 128, i8)), error);
    CHECK_THROWS_AS((requantizer<std::uint8_t>({0.5}, -1, {0, 255})), error);
    CHECK_THROWS_AS((requantizer<std::int8_t>({0.5}, 0, {5, 4})), error);
    CHECK_THROWS_AS((requantizer<std::int8_t>({0.5}, 0, {-129, 127})), error);
    CHECK_THROWS_AS((requantizer<std::uint8_t>({0.5}, 0, {0, 256})), error);
    CHECK_NOTHROW((requantizer<std::int16_t>({0.5, 0.25}, -32768, {-32768, 32767})));
}

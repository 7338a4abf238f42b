// Tests for fixed_point.hpp and requantize.hpp.
//  - primitives against gemmlowp's own fixedpoint.h (libgemmlowp-dev, header-only, included here);
//  - the requantization methods against the deployed definitions: TFLite's double rounding composed from gemmlowp's
//    functions, and C++ transcriptions of TFLite's single-rounding and XNNPACK's rndnu / fp32 scalar definitions
//    (libXNNPACK does not export them) over >= 10^8 random (acc, multiplier, shift) triples and every edge case;
//  - golden vectors from tests/golden/make_requantize.py (independent Python transcriptions of the same definitions);
//  - fp32 against libXNNPACK's real qs8 / qu8 fully-connected operators (when the library is linked);
//  - exhaustive int16 accumulators, the decomposition error over a sweep of doubles, every SIMD dispatch level
//    against the scalar reference, and bad input.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/fixed_point.hpp>
#include <qnum/requantize.hpp>

#include <doctest/doctest.h>

#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#if defined(QNUM_HAVE_XNNPACK)
#include <xnnpack.h>
#endif

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

// TFLite's single-rounding MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING), transcribed; nullopt-like
// flag when TFLite's DCHECK (result fits int32) would fire.
bool tflite_single_rounding(std::int32_t x, std::int32_t multiplier, int shift, std::int32_t& result) {
    const std::int64_t total_shift = 31 - shift;
    const std::int64_t round = std::int64_t{1} << (total_shift - 1);
    const std::int64_t r = (x * static_cast<std::int64_t>(multiplier) + round) >> total_shift;
    result = static_cast<std::int32_t>(r);
    return r >= i32_min && r <= i32_max;
}

// XNNPACK src/xnnpack/requantization.h, xnn_qs8_requantize_rndnu / xnn_qu8_requantize_rndnu, transcribed
// (generalised to an int32 output range so one function serves int8, uint8 and int16).
std::int32_t xnn_requantize_rndnu(std::int32_t input, float scale, std::int32_t zero_point, std::int32_t min,
                                  std::int32_t max) {
    std::uint32_t scale_bits = 0;
    std::memcpy(&scale_bits, &scale, sizeof scale);
    const std::int32_t multiplier = (static_cast<std::int32_t>(scale_bits) & 0x007FFFFF) | 0x00800000;
    const std::uint32_t shift = 127 + 23 - (scale_bits >> 23);
    const std::int64_t rounding = std::int64_t{1} << (shift - 1);
    const std::int32_t min_less_zero_point = min - zero_point;
    const std::int32_t max_less_zero_point = max - zero_point;
    const std::int64_t abs_prescaled_input = static_cast<std::int64_t>(input) * multiplier;
    auto output = static_cast<std::int32_t>((abs_prescaled_input + rounding) >> shift);
    output = std::max(output, min_less_zero_point);
    output = std::min(output, max_less_zero_point);
    return output + zero_point;
}

// XNNPACK xnn_qs8_requantize_fp32 / xnn_qu8_requantize_fp32, transcribed (generalised output range).
std::int32_t xnn_requantize_fp32(std::int32_t input, float scale, std::int32_t zero_point, std::int32_t min,
                                 std::int32_t max) {
    const auto min_less_zero_point = static_cast<float>(min - zero_point);
    const auto max_less_zero_point = static_cast<float>(max - zero_point);
    float scaled_input = static_cast<float>(input) * scale;
    scaled_input = std::max(scaled_input, min_less_zero_point);
    scaled_input = std::min(scaled_input, max_less_zero_point);
    return static_cast<std::int32_t>(std::lrintf(scaled_input)) + zero_point;
}

// splitmix64: fast enough for 10^8 draws.
struct splitmix {
    std::uint64_t s;
    std::uint64_t operator()() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
};

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
    const auto per_channel = quantize_multipliers({0.5, 3.0, 1e-300});
    REQUIRE(per_channel.size() == 3);
    CHECK(per_channel[1] == quantized_multiplier{3 << 29, 2});
    CHECK(per_channel[2] == quantized_multiplier{0, 0});
    CHECK_THROWS_AS(quantize_multipliers({0.5, -1.0}), error);
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
            const std::size_t len = n - c0;
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

TEST_CASE("10^8 random (acc, multiplier, shift) triples: bit-exact with TFLite (gemmlowp) and XNNPACK definitions") {
    // Per triple: double rounding vs TFLite's composition of gemmlowp's SRDHM + RDBPOT (where TFLite's x * 2^left
    // is defined; otherwise vs the saturated input), single rounding vs TFLite's single-rounding form (where its
    // result fits int32), and rndnu / fp32 vs XNNPACK for the float scale built from the same triple.
    const long n = sanitized ? 1000000 : 100000000;
    splitmix rng{42};
    long mismatches = 0, tflite_double_defined = 0, tflite_single_defined = 0;
    std::int32_t bad_acc = 0, bad_m = 0;
    int bad_shift = 0, bad_kind = -1;
    const detail::requant_output o8{0, -128, 127};
    for (long i = 0; i < n; ++i) {
        const std::uint64_t r = rng();
        auto acc = static_cast<std::int32_t>(r);
        if (r & (1ull << 32)) acc >>= (r >> 33) % 32;  // half the accumulators small
        auto m = static_cast<std::int32_t>((1u << 30) | static_cast<std::uint32_t>((r >> 38) & 0x3FFFFFFF));
        if (((r >> 40) & 63) == 0) m = ((r >> 46) & 1) ? (1 << 30) : i32_max;  // edge multipliers, 1/64
        const int shift = static_cast<int>((r >> 47) % 62) - 31;                // [-31, 30]
        const quantized_multiplier qm{m, shift};
        bool ok = true;
        int kind = 0;
        // double rounding
        const int left = shift > 0 ? shift : 0;
        const std::int64_t shifted = static_cast<std::int64_t>(acc) * (std::int64_t{1} << left);
        if (shifted >= i32_min && shifted <= i32_max) {
            ++tflite_double_defined;
            ok = multiply_by_quantized_multiplier(acc, qm) == tflite_double_rounding(acc, m, shift);
        } else {
            const auto sat = static_cast<std::int32_t>(shifted < 0 ? i32_min : i32_max);
            ok = multiply_by_quantized_multiplier(acc, qm) ==
                 gemmlowp::RoundingDivideByPOT(gemmlowp::SaturatingRoundingDoublingHighMul(sat, m), 0);
        }
        // single rounding
        std::int32_t single = 0;
        if (ok && (kind = 1, tflite_single_rounding(acc, m, shift, single))) {
            ++tflite_single_defined;
            ok = multiply_by_quantized_multiplier_single_rounding(acc, qm) == single;
        }
        // rndnu and fp32 with a float scale derived from the triple, output int8 (XNNPACK's range of scales)
        if (ok && shift <= 0) {
            kind = 2;
            const auto scale = static_cast<float>(qm.real());
            if (scale >= std::ldexp(1.0f, -32)) {
                const auto ch = detail::make_requant_channel<rndnu>(scale);
                ok = detail::requant_one<std::int8_t, rndnu>(acc, ch, o8) ==
                     xnn_requantize_rndnu(acc, scale, 0, -128, 127);
                if (ok) {
                    kind = 3;
                    const auto chf = detail::make_requant_channel<fp32>(scale);
                    ok = detail::requant_one<std::int8_t, fp32>(acc, chf, o8) ==
                         xnn_requantize_fp32(acc, scale, 0, -128, 127);
                }
            }
        }
        if (!ok) {
            if (mismatches == 0) bad_acc = acc, bad_m = m, bad_shift = shift, bad_kind = kind;
            ++mismatches;
        }
    }
    INFO("first mismatch: kind ", bad_kind, " acc ", bad_acc, " multiplier ", bad_m, " shift ", bad_shift);
    CHECK(mismatches == 0);
    CHECK(tflite_double_defined > n / 3);
    CHECK(tflite_single_defined > n / 2);
}

TEST_CASE("edge cases: INT32_MIN/MAX, shifts 0 / +-31, multipliers 2^30 and 2^31-1") {
    const auto accs = edge_accumulators();
    std::vector<std::int32_t> mults{0, 1 << 30, (1 << 30) + 1, i32_max, i32_max - 1, 0x7FFFFF80, 1518500250};
    __extension__ using int128 = __int128;
    for (std::int32_t acc : accs)
        for (std::int32_t m : mults)
            for (int shift = -31; shift <= 31; ++shift) {
                INFO("acc ", acc, " m ", m, " shift ", shift);
                const quantized_multiplier qm{m, shift};
                const int left = shift > 0 ? shift : 0;
                const std::int64_t shifted = static_cast<std::int64_t>(acc) * (std::int64_t{1} << left);
                const std::int32_t sat = shifted < i32_min   ? i32_min
                                         : shifted > i32_max ? i32_max
                                                             : static_cast<std::int32_t>(shifted);
                REQUIRE(saturating_left_shift(acc, left) == sat);
                REQUIRE(multiply_by_quantized_multiplier(acc, qm) ==
                        gemmlowp::RoundingDivideByPOT(gemmlowp::SaturatingRoundingDoublingHighMul(sat, m),
                                                      shift > 0 ? 0 : -shift));
                if (shift <= 30) {
                    // single rounding: the exact product rounded half up, saturated
                    const int128 exact = (static_cast<int128>(acc) * m + (static_cast<int128>(1) << (30 - shift))) >>
                                         (31 - shift);
                    const std::int32_t expect = exact < i32_min   ? i32_min
                                                : exact > i32_max ? i32_max
                                                                  : static_cast<std::int32_t>(exact);
                    REQUIRE(multiply_by_quantized_multiplier_single_rounding(acc, qm) == expect);
                    REQUIRE(multiply_by_quantized_multiplier_exact(std::int64_t{acc}, qm) == expect);
                    std::int32_t t = 0;
                    if (tflite_single_rounding(acc, m, shift, t))
                        REQUIRE(multiply_by_quantized_multiplier_single_rounding(acc, qm) == t);
                }
            }
    // the SRDHM saturation and RDBPOT extremes
    CHECK(saturating_rounding_doubling_high_mul(i32_min, i32_min) == i32_max);
    CHECK(saturating_rounding_doubling_high_mul(i32_min, i32_max) == -i32_max);
    CHECK(saturating_rounding_doubling_high_mul(i32_max, i32_max) == i32_max - 1);
    CHECK(rounding_divide_by_pot(i32_min, 31) == -1);
    CHECK(rounding_divide_by_pot(i32_max, 31) == 1);
    CHECK(rounding_divide_by_pot(-3, 1) == -2);  // ties away from zero
    CHECK(rounding_divide_by_pot(3, 1) == 2);
    CHECK(rounding_divide_by_pot(i32_min, 0) == i32_min);
    // every requantizer path at the extreme accumulators, every level, int8 and int16 (saturating left shifts)
    for (double real : {std::ldexp(1.0, 29) * 1.75, 1.0, std::ldexp(1.0, -31), std::ldexp(1.0, -32)}) {
        std::vector<std::int32_t> a(64);
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = accs[i % accs.size()];
        const requantizer<std::int16_t, double_rounding> d({real}, 0, {-32768, 32767});
        const requantizer<std::int16_t, single_rounding> s({real}, 0, {-32768, 32767});
        std::vector<std::int16_t> ref(64), got(64);
        for (isa level : levels()) {
            limit_isa(level);
            d.apply(a.data(), got.data(), 64);
            for (std::size_t i = 0; i < 64; ++i)
                REQUIRE(got[i] == std::clamp(multiply_by_quantized_multiplier(a[i], quantize_multiplier(real)),
                                             -32768, 32767));
            s.apply(a.data(), got.data(), 64);
            for (std::size_t i = 0; i < 64; ++i)
                REQUIRE(got[i] == std::clamp(multiply_by_quantized_multiplier_single_rounding(
                                                 a[i], quantize_multiplier(real)),
                                             -32768, 32767));
        }
        unlimit_isa();
    }
}

TEST_CASE("exhaustive int16 accumulators for random multipliers, every method and level") {
    std::vector<std::int32_t> acc(65536);
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<std::int32_t>(i) - 32768;
    std::mt19937_64 rng(5);
    const int multipliers = sanitized ? 3 : 24;
    for (int k = 0; k < multipliers; ++k) {
        // scales of real int8/int16 layers: [2^-20, 2^4)
        const double real = std::ldexp(1.0, -20) * std::pow(2.0, 24.0 * std::uniform_real_distribution<double>()(rng));
        const auto scale = static_cast<float>(real);
        const auto qm = quantize_multiplier(real);
        const std::int32_t zp = static_cast<std::int32_t>(rng() % 256) - 128;
        INFO("real ", real, " zp ", zp);
        const requantizer<std::int8_t, double_rounding> d({real}, zp, {-128, 127});
        const requantizer<std::int8_t, single_rounding> s({real}, zp, {-128, 127});
        const requantizer<std::int8_t, rndnu> r({real}, zp, {-128, 127});
        const requantizer<std::int8_t, fp32> f({real}, zp, {-128, 127});
        const requantizer<std::int16_t, double_rounding> d16({real}, 0, {-32768, 32767});
        std::vector<std::int8_t> od(acc.size()), os(acc.size()), orr(acc.size()), of(acc.size());
        std::vector<std::int16_t> o16(acc.size());
        for (isa level : levels()) {
            limit_isa(level);
            d.apply(acc.data(), od.data(), acc.size());
            s.apply(acc.data(), os.data(), acc.size());
            r.apply(acc.data(), orr.data(), acc.size());
            f.apply(acc.data(), of.data(), acc.size());
            d16.apply(acc.data(), o16.data(), acc.size());
            long bad = 0, off_by_one = 0;
            for (std::size_t i = 0; i < acc.size(); ++i) {
                const std::int32_t a = acc[i];
                const std::int32_t td = tflite_double_rounding(a, qm.multiplier, qm.shift);
                std::int32_t ts = 0;
                tflite_single_rounding(a, qm.multiplier, qm.shift, ts);
                bad += od[i] != std::clamp(td + zp, -128, 127);
                bad += o16[i] != std::clamp(td, -32768, 32767);
                bad += os[i] != std::clamp(ts + zp, -128, 127);
                bad += orr[i] != xnn_requantize_rndnu(a, scale, zp, -128, 127);
                bad += of[i] != xnn_requantize_fp32(a, scale, zp, -128, 127);
                // double rounding is within one of the exactly rounded value, single rounding equals it
                const double exact = static_cast<double>(a) * qm.real();
                off_by_one += std::abs(td - std::floor(exact + 0.5)) > 0;
                bad += std::abs(td - std::floor(exact + 0.5)) > 1;
                bad += ts != static_cast<std::int32_t>(std::floor(exact + 0.5));
            }
            INFO("level ", isa_name(level), " double-rounding results one off the exact rounding: ", off_by_one);
            REQUIRE(bad == 0);
        }
        unlimit_isa();
    }
}

TEST_CASE("decomposition error <= 1/2 ULP of Q31 over a sweep of doubles; Q15 likewise") {
    std::vector<double> reals;
    for (int e = -40; e <= 31; ++e) {
        double p = std::ldexp(1.0, e);
        for (int k = 0; k < 40; ++k) {
            reals.push_back(p);
            reals.push_back(std::nextafter(p, 0.0));
            p = std::nextafter(p, 1e300);
        }
        for (double f : {1.0 - std::ldexp(1.0, -32), 1.0 - std::ldexp(1.0, -33), 1.0 + std::ldexp(1.0, -31),
                         1.0 - std::ldexp(1.0, -31) - std::ldexp(1.0, -40), 0.75, 0.7071067811865476})
            reals.push_back(std::ldexp(f, e));
    }
    std::mt19937_64 rng(9);
    const long random = sanitized ? 100000 : 2000000;
    for (long i = 0; i < random; ++i)
        reals.push_back(std::ldexp(1.0 + std::uniform_real_distribution<double>()(rng),
                                   static_cast<int>(rng() % 66) - 35));
    long checked = 0, flushed = 0, rejected = 0;
    double worst_ulps = 0.0;
    for (double real : reals) {
        INFO("real ", real);
        if (real >= std::ldexp(1.0, 30) - 0.25) {
            CHECK_THROWS_AS(quantize_multiplier(real), error);
            ++rejected;
            continue;
        }
        const auto qm = quantize_multiplier(real);
        if (qm.multiplier == 0) {
            // flushed: |acc * real| < 1/2 for every int32 acc, so every method returns 0 anyway
            REQUIRE(qm.shift == 0);
            REQUIRE(real * 2147483648.0 < 0.5);
            ++flushed;
            continue;
        }
        REQUIRE(qm.multiplier >= (1 << 30));
        REQUIRE(qm.shift >= -31);
        REQUIRE(qm.shift <= 30);
        // one ULP of the Q31 multiplier is 2^(shift - 31); the scaled difference is exact (Sterbenz)
        const double ulps = std::abs(std::ldexp(real, 31 - qm.shift) - static_cast<double>(qm.multiplier));
        REQUIRE(ulps <= 0.5);
        worst_ulps = std::max(worst_ulps, ulps);
        ++checked;
        if (real < std::ldexp(1.0, 14) - 0.25 && real >= std::ldexp(1.0, -15)) {
            const auto q15 = quantize_multiplier_q15(real);
            REQUIRE(q15.multiplier >= (1 << 14));
            REQUIRE(std::abs(std::ldexp(real, 15 - q15.shift) - q15.multiplier) <= 0.5);
        }
    }
    MESSAGE("decomposition: ", checked, " checked (worst ", worst_ulps, " ULP), ", flushed, " flushed, ", rejected,
            " rejected");
    CHECK(checked > random / 2);
    CHECK(flushed > 0);
    CHECK_THROWS_AS(quantize_multiplier_q15(0.0), error);
    CHECK_THROWS_AS(quantize_multiplier_q15(std::numeric_limits<double>::quiet_NaN()), error);
    CHECK_THROWS_AS(quantize_multiplier_q15(std::ldexp(1.0, 14)), error);
    CHECK(quantize_multiplier_q15(1.0 - std::ldexp(1.0, -17)) == quantized_multiplier16{1 << 14, 1});
    CHECK(quantize_multiplier_q15(std::ldexp(1.0, -17)) == quantized_multiplier16{0, 0});
}

TEST_CASE("int16 (Q15) and 64-bit forms") {
    // Q15 SRDHM / RDBPOT against gemmlowp's int16 specialisations
    const std::vector<std::int16_t> e16{0, 1, -1, 2, -2, 16383, 16384, -16384, 32767, -32767, -32768, 255, -256};
    for (std::int16_t a : e16)
        for (std::int16_t b : e16) REQUIRE(saturating_rounding_doubling_high_mul(a, b) ==
                                           gemmlowp::SaturatingRoundingDoublingHighMul(a, b));
    splitmix rng{7};
    const long n = sanitized ? 100000 : 10000000;
    long bad = 0;
    for (long i = 0; i < n; ++i) {
        const std::uint64_t r = rng();
        const auto a = static_cast<std::int16_t>(r), b = static_cast<std::int16_t>(r >> 16);
        const int e = static_cast<int>((r >> 32) % 16);
        bad += saturating_rounding_doubling_high_mul(a, b) != gemmlowp::SaturatingRoundingDoublingHighMul(a, b);
        bad += rounding_divide_by_pot(a, e) != gemmlowp::RoundingDivideByPOT(a, e);
        // Q15 multiply of an int16: gemmlowp composition, saturating left shift
        const auto m = static_cast<std::int16_t>((1 << 14) | ((r >> 40) & 0x3FFF));
        const int shift = static_cast<int>((r >> 54) % 30) - 15;  // [-15, 14]
        const int left = shift > 0 ? shift : 0;
        const auto sat = static_cast<std::int16_t>(std::clamp(static_cast<std::int32_t>(a) * (1 << left), -32768, 32767));
        bad += multiply_by_quantized_multiplier(a, quantized_multiplier16{m, shift}) !=
               gemmlowp::RoundingDivideByPOT(gemmlowp::SaturatingRoundingDoublingHighMul(sat, m),
                                             shift > 0 ? 0 : -shift);
        // TFLite's 64-bit accumulator form, transcribed
        const auto x = static_cast<std::int64_t>(rng()) >> 17;  // |x| < 2^47
        const auto m32 = static_cast<std::int32_t>((1u << 30) | static_cast<std::uint32_t>(r & 0x3FFFFFFF));
        const int s64 = static_cast<int>((r >> 30) % 39) - 31;  // [-31, 7]
        const std::int32_t reduced = m32 < 0x7FFF0000 ? ((m32 + (1 << 15)) >> 16) : 0x7FFF;
        const int total_shift = 15 - s64;
        const std::int64_t t = (x * reduced + (std::int64_t{1} << (total_shift - 1))) >> total_shift;
        if (t >= i32_min && t <= i32_max)
            bad += multiply_by_quantized_multiplier(x, quantized_multiplier{m32, s64}) != static_cast<std::int32_t>(t);
    }
    CHECK(bad == 0);
}

TEST_CASE("golden vectors from tests/golden/make_requantize.py (TFLite / XNNPACK definitions in Python)") {
    std::ifstream in(std::string(QNUM_GOLDEN_DIR) + "/requantize.txt");
    REQUIRE(in.good());
    std::string line;
    long lines = 0;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string method, out, real_hex;
        std::int32_t zp = 0, lo = 0, hi = 0, acc = 0, expected = 0;
        ls >> method >> out >> zp >> lo >> hi >> real_hex >> acc >> expected;
        const double real = std::strtod(real_hex.c_str(), nullptr);
        INFO(line);
        auto got = [&](auto out_tag) -> std::int32_t {
            using O = decltype(out_tag);
            const qrange clamp{lo, hi};
            if (method == "tflite_double") return requantizer<O, double_rounding>({real}, zp, clamp)(acc);
            if (method == "tflite_single") return requantizer<O, single_rounding>({real}, zp, clamp)(acc);
            if (method == "xnn_rndnu") return requantizer<O, rndnu>({real}, zp, clamp)(acc);
            return requantizer<O, fp32>({real}, zp, clamp)(acc);
        };
        const std::int32_t g = out == "s8" ? got(std::int8_t{}) : out == "u8" ? got(std::uint8_t{}) : got(std::int16_t{});
        REQUIRE(g == expected);
        ++lines;
    }
    CHECK(lines > 5000);
}

TEST_CASE("SIMD equals the scalar reference on 10^7 random accumulators, random configurations") {
    splitmix rng{99};
    const std::size_t len = 4099;
    std::vector<std::int32_t> acc(len);
    std::vector<std::int8_t> a8(len), b8(len);
    const int configs = sanitized ? 20 : 2500;
    long bad = 0;
    for (int k = 0; k < configs; ++k) {
        for (auto& a : acc) {
            const std::uint64_t r = rng();
            a = static_cast<std::int32_t>(r) >> ((r >> 32) % 32);
        }
        const std::size_t channels = (k % 2) ? 1 : len + 5;
        std::vector<double> ms(channels);
        for (auto& m : ms) m = std::ldexp(1.0 + static_cast<double>(rng() % 1000000) / 1e6,
                                          static_cast<int>(rng() % 44) - 36);  // [2^-36, 2^8)
        const std::int32_t zp = static_cast<std::int32_t>(rng() % 256) - 128;
        const std::size_t c0 = channels > 1 ? rng() % 6 : 0;
        auto check = [&](auto method) {
            const requantizer<std::int8_t, decltype(method)> rq(ms, zp, {-128, 127});
            limit_isa(isa::scalar);
            rq.apply(acc.data(), a8.data(), len, c0);
            unlimit_isa();
            rq.apply(acc.data(), b8.data(), len, c0);
            bad += std::memcmp(a8.data(), b8.data(), len) != 0;
        };
        switch (k % 4) {
            case 0: check(double_rounding{}); break;
            case 1: check(single_rounding{}); break;
            case 2: check(rndnu{}); break;
            default: check(fp32{}); break;
        }
    }
    CHECK(bad == 0);
}

#if defined(QNUM_HAVE_XNNPACK)
TEST_CASE("fp32 requantization equals libXNNPACK's qs8 / qu8 fully-connected operators") {
    // A 1-input fully-connected layer with zero weights: every output channel's accumulator is exactly its bias, so
    // XNNPACK requantizes the biases with scale = input_scale * kernel_scale / output_scale = kernel_scale.
    REQUIRE(xnn_initialize(nullptr) == xnn_status_success);
    const std::size_t oc = 2048;
    std::mt19937_64 rng(13);
    std::vector<std::int32_t> bias(oc);
    long compared = 0, differs_from_rndnu = 0;
    const int layers = sanitized ? 10 : 150;
    for (int t = 0; t < layers; ++t) {
        // every third layer a power-of-two scale, whose exact ties separate fp32 (ties to even) from rndnu (ties up)
        const float mant = t % 3 == 0 ? 1.0f : 1.0f + static_cast<float>(rng() % 1000000) / 1e6f;
        const float scale = std::ldexp(mant, -static_cast<int>(rng() % 31) - 1);
        for (std::size_t i = 0; i < oc; ++i) {
            // mostly accumulators whose result spans the output range, some anywhere in int32
            const double span = 300.0 / static_cast<double>(scale);
            bias[i] = i % 8 == 0 ? static_cast<std::int32_t>(rng()) >> (rng() % 32)
                                 : static_cast<std::int32_t>(std::min(2147483647.0, span) *
                                                             (std::uniform_real_distribution<double>()(rng) * 2 - 1));
        }
        const bool is_signed = t % 2 == 0;
        const std::int32_t lo = is_signed ? -128 + static_cast<std::int32_t>(rng() % 20) : static_cast<std::int32_t>(rng() % 20);
        const std::int32_t hi = is_signed ? 127 - static_cast<std::int32_t>(rng() % 20) : 255 - static_cast<std::int32_t>(rng() % 20);
        const std::int32_t zp = lo + static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
        std::vector<std::int32_t> theirs(oc), ours(oc), ours_rndnu(oc);
        xnn_operator_t op = nullptr;
        if (is_signed) {
            const std::vector<std::int8_t> w(oc, 0);
            std::vector<std::int8_t> out(oc);
            const std::int8_t in = 0;
            REQUIRE(xnn_create_fully_connected_nc_qs8(1, oc, 1, oc, 0, 1.0f, scale, w.data(), bias.data(),
                                                      static_cast<std::int8_t>(zp), 1.0f, static_cast<std::int8_t>(lo),
                                                      static_cast<std::int8_t>(hi), 0, &op) == xnn_status_success);
            REQUIRE(xnn_setup_fully_connected_nc_qs8(op, 1, &in, out.data(), nullptr) == xnn_status_success);
            REQUIRE(xnn_run_operator(op, nullptr) == xnn_status_success);
            std::vector<std::int8_t> q(oc), qr(oc);
            requantizer<std::int8_t, fp32>({scale}, zp, {lo, hi}).apply(bias.data(), q.data(), oc);
            requantizer<std::int8_t, rndnu>({scale}, zp, {lo, hi}).apply(bias.data(), qr.data(), oc);
            for (std::size_t i = 0; i < oc; ++i) theirs[i] = out[i], ours[i] = q[i], ours_rndnu[i] = qr[i];
        } else {
            const std::vector<std::uint8_t> w(oc, 128);  // kernel zero point 128: zero weights
            std::vector<std::uint8_t> out(oc);
            const std::uint8_t in = 0;
            REQUIRE(xnn_create_fully_connected_nc_qu8(1, oc, 1, oc, 0, 1.0f, 128, scale, w.data(), bias.data(),
                                                      static_cast<std::uint8_t>(zp), 1.0f, static_cast<std::uint8_t>(lo),
                                                      static_cast<std::uint8_t>(hi), 0, &op) == xnn_status_success);
            REQUIRE(xnn_setup_fully_connected_nc_qu8(op, 1, &in, out.data(), nullptr) == xnn_status_success);
            REQUIRE(xnn_run_operator(op, nullptr) == xnn_status_success);
            std::vector<std::uint8_t> q(oc), qr(oc);
            requantizer<std::uint8_t, fp32>({scale}, zp, {lo, hi}).apply(bias.data(), q.data(), oc);
            requantizer<std::uint8_t, rndnu>({scale}, zp, {lo, hi}).apply(bias.data(), qr.data(), oc);
            for (std::size_t i = 0; i < oc; ++i) theirs[i] = out[i], ours[i] = q[i], ours_rndnu[i] = qr[i];
        }
        xnn_delete_operator(op);
        for (std::size_t i = 0; i < oc; ++i) {
            INFO("scale ", scale, " acc ", bias[i], " zp ", zp, " [", lo, ", ", hi, "]");
            REQUIRE(ours[i] == theirs[i]);
            differs_from_rndnu += ours_rndnu[i] != theirs[i];
            ++compared;
        }
    }
    MESSAGE("libXNNPACK fully-connected: ", compared, " outputs equal to qnum fp32; ", differs_from_rndnu,
            " of them differ from rndnu (the comparison discriminates the methods)");
    CHECK(differs_from_rndnu > 0);
}
#endif

TEST_CASE("output stage: fused bias (saturating) at every level, activation ranges, saturating cast") {
    splitmix rng{77};
    const std::size_t cols = 203, rows = 5;
    std::vector<std::int32_t> acc(rows * cols), bias(cols);
    for (auto& a : acc) a = static_cast<std::int32_t>(rng()) >> (rng() % 32);
    for (auto& b : bias) b = static_cast<std::int32_t>(rng()) >> (rng() % 32);
    acc[0] = i32_max, bias[0] = i32_max;  // saturating sums
    acc[1] = i32_min, bias[1] = i32_min;
    acc[cols + 2] = i32_max, bias[2] = 5;
    std::vector<double> ms(cols);
    for (auto& m : ms) m = std::ldexp(1.0 + static_cast<double>(rng() % 1000) / 1000.0, -static_cast<int>(rng() % 30));
    auto check = [&](auto method, const std::vector<double>& mult) {
        const requantizer<std::int8_t, decltype(method)> rq(mult, -7, {-100, 120});
        std::vector<std::int8_t> got(rows * cols), fused(rows * cols);
        std::vector<std::int32_t> biased = acc;
        add_bias(biased.data(), bias.data(), rows, cols);
        CHECK(biased[0] == i32_max);
        CHECK(biased[1] == i32_min);
        for (isa level : levels()) {
            limit_isa(level);
            rq.apply_rows(acc.data(), bias.data(), fused.data(), rows, cols);
            rq.apply_rows(biased.data(), got.data(), rows, cols);
            REQUIRE(fused == got);
            for (std::size_t c0 : {std::size_t{0}, std::size_t{9}}) {
                rq.apply(acc.data() + cols + c0, bias.data(), fused.data(), cols - c0, c0);
                rq.apply(biased.data() + cols + c0, got.data(), cols - c0, c0);
                REQUIRE(std::equal(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(cols - c0), fused.begin()));
            }
        }
        unlimit_isa();
    };
    check(double_rounding{}, ms);
    check(single_rounding{}, ms);
    check(fp32{}, ms);
    check(rndnu{}, {0.01});
    check(double_rounding{}, {3.5});

    // TFLite CalculateActivationRangeQuantized
    CHECK(activation_range<std::int8_t>(fused_activation::none, 0.1f, 3) == qrange{-128, 127});
    CHECK(activation_range<std::int8_t>(fused_activation::relu, 0.1f, 3) == qrange{3, 127});
    CHECK(activation_range<std::int8_t>(fused_activation::relu6, 0.1f, -128) == qrange{-128, -68});
    CHECK(activation_range<std::int8_t>(fused_activation::relu6, 0.01f, 0) == qrange{0, 127});
    CHECK(activation_range<std::uint8_t>(fused_activation::relu_n1_to_1, 1.0f / 64, 128) == qrange{64, 192});
    CHECK(activation_range<std::uint8_t>(fused_activation::relu, 0.5f, 0) == qrange{0, 255});
    CHECK(activation_range<std::int16_t>(fused_activation::relu6, 6.0f / 32767, 0) == qrange{0, 32767});
    CHECK_THROWS_AS(activation_range<std::int8_t>(fused_activation::relu, 0.0f, 0), error);
    CHECK_THROWS_AS(activation_range<std::int8_t>(fused_activation::relu, 0.1f, 200), error);
    CHECK(saturating_cast<std::int8_t>(300) == 127);
    CHECK(saturating_cast<std::int8_t>(-300) == -128);
    CHECK(saturating_cast<std::uint8_t>(-1) == 0);
    CHECK(saturating_cast<std::int16_t>(i32_min) == -32768);
    CHECK(saturating_cast<std::int16_t>(1234) == 1234);
}

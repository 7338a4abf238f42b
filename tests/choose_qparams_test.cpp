// choose_qparams: PyTorch parity (golden values from torch.ao.quantization observers' _calculate_qparams), zero
// always exactly representable, power-of-two scales that never clip more, fixed user scales kept as given, errors.
#include <qnum/choose_qparams.hpp>
#include <qnum/quantize.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>

using namespace qnum;

namespace {
float from_hex(const std::string& token) {
    const auto bits = static_cast<std::uint32_t>(std::stoul(token, nullptr, 16));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
}  // namespace

TEST_CASE("choose_qparams equals PyTorch's _calculate_qparams bit for bit") {
    std::ifstream in(std::string(QNUM_GOLDEN_DIR) + "/choose_qparams.txt");
    REQUIRE(in.good());
    std::string line;
    std::size_t cases = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string min_hex, max_hex, scale_hex;
        std::int32_t qmin, qmax, symmetric, zp;
        ls >> qmin >> qmax >> symmetric >> min_hex >> max_hex >> scale_hex >> zp;
        scheme s;
        s.symmetric = symmetric != 0;
        const qparams p = choose_qparams(from_hex(min_hex), from_hex(max_hex), {qmin, qmax}, s);
        INFO(line);
        CHECK(p.scale == from_hex(scale_hex));
        // Documented difference: for a custom unsigned range PyTorch's symmetric zero point is the lower midpoint
        // (qmin + qmax) / 2 (7 for [0, 15]) while its default quint8 uses 128; qnum always uses the upper midpoint.
        const bool custom_unsigned_symmetric = s.symmetric && qmin >= 0 && !(qmin == 0 && qmax == 255);
        CHECK(p.zero_point == (custom_unsigned_symmetric ? (qmin + qmax + 1) / 2 : zp));
        ++cases;
    }
    CHECK(cases >= 100);
}

TEST_CASE("zero is exactly representable and the observed range is covered") {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-50.0f, 50.0f);
    for (int i = 0; i < 20000; ++i) {
        float a = u(rng), b = u(rng);
        if (a > b) std::swap(a, b);
        for (bool symmetric : {false, true}) {
            for (qrange r : {qint8::range, quint8::range, qint4::range, qint16::range, qint8_narrow::range}) {
                scheme s;
                s.symmetric = symmetric;
                const qparams p = choose_qparams(a, b, r, s);
                REQUIRE(r.contains(p.zero_point));
                REQUIRE(static_cast<float>(p.zero_point - p.zero_point) * p.scale == 0.0f);  // q = zp is real 0
                const auto [lo, hi] = representable_range(p, r);
                REQUIRE(lo <= 0.0f);
                REQUIRE(hi >= 0.0f);
                // The observed range fits up to half a step (zero point rounding, or PyTorch's symmetric
                // denominator (qmax - qmin) / 2), plus float rounding of the scale.
                const float slack = 0.5f * p.scale + 1e-6f * std::fmax(std::fabs(a), std::fabs(b));
                REQUIRE(lo <= std::fmin(a, 0.0f) + slack);
                REQUIRE(hi >= std::fmax(b, 0.0f) - slack);
            }
        }
    }
}

TEST_CASE("power-of-two scales round up, so nothing that fitted before clips") {
    CHECK(power_of_two_at_least(1.0f) == 1.0f);
    CHECK(power_of_two_at_least(0.75f) == 1.0f);
    CHECK(power_of_two_at_least(0.5000001f) == 1.0f);
    CHECK(power_of_two_at_least(0.5f) == 0.5f);
    CHECK(power_of_two_at_least(3e-39f) == std::ldexp(1.0f, -127));  // subnormal input, 2^-128 < x < 2^-127
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> u(-10.0f, 10.0f);
    for (int i = 0; i < 5000; ++i) {
        float a = u(rng), b = u(rng);
        if (a > b) std::swap(a, b);
        for (bool symmetric : {false, true}) {
            scheme plain, pot;
            plain.symmetric = pot.symmetric = symmetric;
            pot.power_of_two_scale = true;
            const qparams p = choose_qparams(a, b, qint8::range, plain), q = choose_qparams(a, b, qint8::range, pot);
            int exponent = 0;
            REQUIRE(std::frexp(q.scale, &exponent) == 0.5f);
            REQUIRE(q.scale >= p.scale);
            REQUIRE(q.scale < 2.0f * p.scale);
            if (symmetric) {  // same zero point, larger scale: the representable range only grows
                const auto [plo, phi] = representable_range(p, qint8::range);
                const auto [qlo, qhi] = representable_range(q, qint8::range);
                REQUIRE(qlo <= plo);
                REQUIRE(qhi >= phi);
            }
        }
    }
}

TEST_CASE("fixed user scales are respected as given") {
    scheme s;
    s.fixed_scale = 100.0f / 32768.0f;
    s.symmetric = true;
    const qparams p = choose_qparams(-7.0f, 3.0f, qint16::range, s);
    CHECK(p.scale == 100.0f / 32768.0f);
    CHECK(p.zero_point == 0);
    s.fixed_scale = 7.0f / 32767.0f;
    s.symmetric = false;
    const qparams q = choose_qparams(-1.0f, 6.0f, quint16::range, s);
    CHECK(q.scale == 7.0f / 32767.0f);
    CHECK(q.zero_point == static_cast<std::int32_t>(std::nearbyint(1.0f / (7.0f / 32767.0f))));
    // And used as given by quantize: 1.0 -> round(1 / (100/32768)) = 328 (327.68).
    const per_tensor<qint16> pt(100.0f / 32768.0f);
    CHECK(quantize_value(1.0f, pt) == 328);
}

TEST_CASE("symmetric unsigned uses the mid-range zero point (128 for uint8), signed uses 0") {
    scheme s;
    s.symmetric = true;
    CHECK(choose_qparams(-1.0f, 2.0f, quint8::range, s).zero_point == 128);
    CHECK(choose_qparams(-1.0f, 2.0f, qint8::range, s).zero_point == 0);
    CHECK(choose_qparams(-1.0f, 2.0f, qint8_narrow::range, s).scale == 2.0f / 127.0f);
    CHECK(symmetric_zero_point(quint4::range) == 8);
}

TEST_CASE("all-zero and one-sided ranges give valid parameters") {
    const qparams z = choose_qparams(0.0f, 0.0f, qint8::range);
    CHECK(z.scale == FLT_EPSILON);
    CHECK(choose_qparams(2.0f, 5.0f, quint8::range).zero_point == 0);      // all positive: min widened to 0
    CHECK(choose_qparams(-5.0f, -2.0f, quint8::range).zero_point == 255);  // all negative: max widened to 0
}

TEST_CASE("bad ranges and fixed scales get clear errors") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(choose_qparams(1.0f, -1.0f, qint8::range), "qnum: choose_qparams: min > max", error);
    CHECK_THROWS_AS(choose_qparams(nan, 1.0f, qint8::range), error);
    CHECK_THROWS_AS(choose_qparams(-inf, 1.0f, qint8::range), error);
    CHECK_THROWS_AS(choose_qparams(-3e38f, 3e38f, qint8::range), error);  // scale would be infinite
    scheme s;
    s.fixed_scale = -1.0f;
    CHECK_THROWS_AS(choose_qparams(-1.0f, 1.0f, qint8::range, s), error);
    s.fixed_scale = nan;
    CHECK_THROWS_AS(choose_qparams(-1.0f, 1.0f, qint8::range, s), error);
}

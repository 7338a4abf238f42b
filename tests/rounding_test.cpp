// The rounding tags (the scalar specification every SIMD kernel is compared against) checked against independent
// definitions evaluated in double, where x + 0.5, x - 0.5, floor and ceil are exact for every float x. This is what
// catches an error in the specification itself, which SIMD-vs-scalar tests cannot.
#include <qnum/rounding.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using namespace qnum;

float from_bits(std::uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
}

// Independent definitions in double (exact for float inputs).
double ref_half_up(double x) { return std::floor(x + 0.5); }
double ref_half_down(double x) { return std::ceil(x - 0.5); }
double ref_half_away(double x) { return x >= 0 ? ref_half_up(x) : ref_half_down(x); }
double ref_half_toward_zero(double x) { return x >= 0 ? ref_half_down(x) : ref_half_up(x); }
double ref_half_even(double x) {
    const double f = std::floor(x), d = x - f;
    if (d != 0.5) return ref_half_up(x);
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

std::uint64_t bits_index(float x);

std::size_t check(float x) {
    const double xd = x;
    std::size_t bad = 0;
    bad += round_half_to_even{}(x) != ref_half_even(xd);
    bad += round_half_away_from_zero{}(x) != ref_half_away(xd);
    bad += round_half_up{}(x) != ref_half_up(xd);
    bad += round_half_down{}(x) != ref_half_down(xd);
    bad += round_half_toward_zero{}(x) != ref_half_toward_zero(xd);
    bad += round_toward_zero{}(x) != std::trunc(xd);
    bad += round_floor{}(x) != std::floor(xd);
    bad += round_ceil{}(x) != std::ceil(xd);
    const float s = round_stochastic{7}(x, bits_index(x));
    bad += !(s == std::floor(xd) || s == std::ceil(xd));
    return bad;
}

std::uint64_t bits_index(float x) {
    std::uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

}  // namespace

TEST_CASE("every rounding tag equals an independent exact definition over a sweep of all float exponents") {
#if defined(QNUM_TEST_SANITIZED)
    const std::uint32_t stride = 4099;  // ~1M patterns
#else
    const std::uint32_t stride = 409;  // ~10M patterns
#endif
    std::size_t bad = 0, finite = 0;
    for (std::uint64_t b = 0; b <= 0xFFFFFFFFu; b += stride) {
        const float x = from_bits(static_cast<std::uint32_t>(b));
        if (!std::isfinite(x)) continue;
        ++finite;
        bad += check(x);
    }
    CHECK(finite > 1000000 / (stride > 1000 ? 10 : 1));
    CHECK(bad == 0);
}

TEST_CASE("every float within 64 ulps of each tie k + 0.5 for |k| <= 4096, and every float in (-1, 1) near 0.5") {
    std::size_t bad = 0;
    for (int k = -4096; k <= 4096; ++k) {
        float x = static_cast<float>(k) + 0.5f, lo = x, hi = x;
        for (int i = 0; i < 64; ++i) {
            lo = std::nextafter(lo, -1e30f);
            hi = std::nextafter(hi, 1e30f);
            bad += check(lo) + check(hi);
        }
        bad += check(x);
    }
    // All floats in [0.25, 0.75] and their negatives: the region where x - floor(x) is inexact for negative x.
    for (float x = 0.25f; x <= 0.75f; x = std::nextafter(x, 1.0f)) bad += check(x) + check(-x);
    for (float x : {1e-45f, -1e-45f, 1e-38f, -1e-38f, 0.0f, -0.0f, 8388607.5f, -8388607.5f, 16777216.0f, 3.4e38f})
        bad += check(x);
    CHECK(bad == 0);
}

TEST_CASE("the -0.49999997 family: nearest integer is 0 in every round-to-nearest mode") {
    const float x = -0.49999997f;
    CHECK(round_half_down{}(x) == 0.0f);
    CHECK(round_half_up{}(x) == 0.0f);
    CHECK(round_half_to_even{}(x) == 0.0f);
    CHECK(round_half_away_from_zero{}(x) == 0.0f);
    CHECK(round_half_toward_zero{}(x) == 0.0f);
}

TEST_CASE("runtime rounding visits the matching tag") {
    for (int m = 0; m <= static_cast<int>(rounding_mode::stochastic); ++m) {
        const auto mode = static_cast<rounding_mode>(m);
        visit_rounding(rounding{mode, 3}, [&](const auto& tag) { CHECK(tag.mode == mode); });
    }
    CHECK(is_rounding_v<round_half_up>);
    CHECK(!is_rounding_v<float>);
}

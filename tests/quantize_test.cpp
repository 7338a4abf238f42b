// Tests for quantize / dequantize / fake_quantize: the SIMD path equals the scalar reference bit for bit for every
// rounding mode, format, scale application, size, alignment and edge value; exhaustive round trips; tie behaviour;
// stochastic rounding statistics; granularities over strided views; and bad input.
// Built three times (SSE2, AVX2, AVX-512) so each xsimd architecture is checked.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/qnum.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

namespace {

using namespace qnum;

// Runs `f` with the scalar reference forced, restoring dispatch afterwards.
template <class F>
void with_reference(F&& f) {
    limit_isa(isa::scalar);
    f();
    unlimit_isa();
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Index of the first element whose bytes differ (a.size() if none): reported with the input when a check fails.
template <class T>
std::size_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return i;
    return a.size();
}

// Inputs that stress every branch: ties at .5 in units of the scale, values just around ties, saturation, zeros of
// both signs, subnormals, NaN and infinities, then random values over several magnitudes.
std::vector<float> edge_inputs(float scale, std::size_t n_random, unsigned seed) {
    std::vector<float> v;
    for (int k = -70000; k <= 70000; k += (k > -300 && k < 300) ? 1 : 997) {
        const float t = (static_cast<float>(k) + 0.5f) * scale;
        v.push_back(t);
        v.push_back(std::nextafter(t, 1e30f));
        v.push_back(std::nextafter(t, -1e30f));
        v.push_back(static_cast<float>(k) * scale);
    }
    const float inf = std::numeric_limits<float>::infinity();
    for (float s : {0.0f,
                    -0.0f,
                    1e-45f,
                    -1e-45f,
                    1e-38f,
                    0.49999997f,
                    -0.49999997f,
                    0.5f,
                    -0.5f,
                    1.5f,
                    -1.5f,
                    2.5f,
                    -2.5f,
                    8388607.5f,
                    -8388607.5f,
                    8388608.0f,
                    1e10f,
                    -1e10f,
                    3.4e38f,
                    -3.4e38f,
                    inf,
                    -inf,
                    std::numeric_limits<float>::quiet_NaN(),
                    -std::numeric_limits<float>::quiet_NaN()})
        v.push_back(s);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> magnitude(-6.0f, 6.0f);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    for (std::size_t i = 0; i < n_random; ++i) v.push_back(unit(rng) * std::pow(10.0f, magnitude(rng)) * scale);
    return v;
}

const rounding all_roundings[] = {
    {rounding_mode::half_to_even},
    {rounding_mode::half_away_from_zero},
    {rounding_mode::half_up},
    {rounding_mode::half_down},
    {rounding_mode::half_toward_zero},
    {rounding_mode::toward_zero},
    {rounding_mode::floor},
    {rounding_mode::ceil},
    {rounding_mode::stochastic, 12345},
};

// SIMD (default dispatch) vs scalar reference for quantize, fake_quantize and dequantize on one input vector, at
// several offsets (unaligned pointers) and lengths (empty, odd, tails).
template <class Format>
void check_simd_matches_reference(float scale, std::int32_t zp) {
    const per_tensor<Format> p(scale, zp);
    const std::vector<float> x = edge_inputs(scale, 3000, 11);
    using S = typename Format::storage;
    for (const rounding& r : all_roundings) {
        for (scale_op op : {scale_op::divide, scale_op::multiply_by_reciprocal}) {
            for (std::size_t offset : {0u, 1u, 3u}) {
                for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{17}, std::size_t{67},
                                      x.size() - offset}) {
                    const strided_view<const float> in(x.data() + offset, n);
                    std::vector<S> q(n + 1), q_ref(n + 1);
                    std::vector<float> y(n + 1), y_ref(n + 1), d(n + 1), d_ref(n + 1);
                    quantize(in, {q.data() + 1, n}, p, r, op);
                    fake_quantize(in, {y.data() + 1, n}, p, r, op);
                    dequantize(strided_view<const S>(q.data() + 1, n), {d.data() + 1, n}, p);
                    with_reference([&] {
                        quantize(in, {q_ref.data() + 1, n}, p, r, op);
                        fake_quantize(in, {y_ref.data() + 1, n}, p, r, op);
                        dequantize(strided_view<const S>(q_ref.data() + 1, n), {d_ref.data() + 1, n}, p);
                    });
                    const std::size_t at = std::min(first_difference(q, q_ref), first_difference(y, y_ref));
                    INFO("bits=" << Format::bits << " signed=" << Format::is_signed
                                 << " mode=" << static_cast<int>(r.mode) << " op=" << static_cast<int>(op) << " n=" << n
                                 << " first difference at input " << (at > 0 && at <= n ? in.data()[at - 1] : 0.0f)
                                 << " (simd q=" << (at < q.size() ? +q[at] : 0) << " y=" << (at < y.size() ? y[at] : 0)
                                 << ", scalar q=" << (at < q.size() ? +q_ref[at] : 0)
                                 << " y=" << (at < y.size() ? y_ref[at] : 0) << ")");
                    REQUIRE(same_bits(q, q_ref));
                    REQUIRE(same_bits(y, y_ref));
                    REQUIRE(same_bits(d, d_ref));
                }
            }
        }
    }
}

}  // namespace

TEST_CASE("SIMD quantize/dequantize/fake_quantize equal the scalar reference for every mode, format and size") {
    check_simd_matches_reference<qint8>(0.05f, 3);
    check_simd_matches_reference<quint8>(1.0f, 128);
    check_simd_matches_reference<qint16>(100.0f / 32768.0f, 0);
    check_simd_matches_reference<quint16>(7.0f / 32767.0f, 40000);
    check_simd_matches_reference<qint4>(0.25f, -1);
    check_simd_matches_reference<quint4>(0.3f, 8);
    check_simd_matches_reference<qint2>(1.0f, 0);
    check_simd_matches_reference<quint2>(0.5f, 1);
    check_simd_matches_reference<qint8_narrow>(1.0f / 127.0f, 0);
    check_simd_matches_reference<int_format<12, true>>(1e-3f, 17);
    check_simd_matches_reference<int_format<7, false, true>>(2.0f, 64);
}

TEST_CASE("non-finite inputs: NaN -> zero point, +-inf saturate") {
    const per_tensor<qint8> p(0.1f, 5);
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x = {std::nanf(""), inf, -inf, std::nanf(""), 0.0f, -0.0f, 1e30f, -1e30f, inf};
    std::vector<std::int8_t> q(x.size());
    quantize({x.data(), x.size()}, {q.data(), q.size()}, p);
    CHECK(q == std::vector<std::int8_t>{5, 127, -128, 5, 5, 5, 127, -128, 127});
    std::vector<float> y(x.size());
    fake_quantize({x.data(), x.size()}, {y.data(), y.size()}, p);
    CHECK(y[0] == 0.0f);
    CHECK(!std::signbit(y[5]));  // -0 fake-quantizes to +0, as float(q - zp) * scale does
    CHECK(y[1] == doctest::Approx(12.2f));
}

TEST_CASE("every code of int8/uint8/int16/uint16 dequantizes and requantizes to itself") {
    auto round_trip = [](auto format, float scale, std::int32_t zp) {
        using Format = decltype(format);
        using S = typename Format::storage;
        const per_tensor<Format> p(scale, zp);
        std::vector<S> codes;
        for (std::int32_t c = Format::min; c <= Format::max; ++c) codes.push_back(static_cast<S>(c));
        std::vector<float> x(codes.size());
        std::vector<S> back(codes.size());
        dequantize(strided_view<const S>(codes.data(), codes.size()), {x.data(), x.size()}, p);
        for (const rounding& r : all_roundings) {
            if (r.mode == rounding_mode::floor || r.mode == rounding_mode::ceil ||
                r.mode == rounding_mode::toward_zero || r.mode == rounding_mode::stochastic)
                continue;  // directed modes may land one below/above when (q - zp) * scale / scale is not exact
            for (scale_op op : {scale_op::divide, scale_op::multiply_by_reciprocal}) {
                quantize({x.data(), x.size()}, {back.data(), back.size()}, p, r, op);
                INFO("bits=" << Format::bits << " scale=" << scale << " zp=" << zp);
                REQUIRE(back == codes);
            }
        }
    };
    for (float scale : {1.0f, 0.1f, 100.0f / 32768.0f, 7.0f / 32767.0f, 3.3e-5f, 1234.5f}) {
        round_trip(qint8{}, scale, 0);
        round_trip(qint8{}, scale, -17);
        round_trip(quint8{}, scale, 128);
        round_trip(quint8{}, scale, 3);
        round_trip(qint16{}, scale, 0);
        round_trip(qint16{}, scale, 1000);
        round_trip(quint16{}, scale, 32768);
    }
}

TEST_CASE("ties at .5 follow each rounding mode") {
    // scale 1, zero point 0: q = R(x) exactly.
    const per_tensor<qint8> p(1.0f, 0);
    const std::vector<float> x = {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, -2.4f, 2.6f};
    auto run = [&](rounding_mode m) {
        std::vector<std::int8_t> q(x.size());
        quantize({x.data(), x.size()}, {q.data(), q.size()}, p, rounding{m});
        return q;
    };
    using v = std::vector<std::int8_t>;
    CHECK(run(rounding_mode::half_to_even) == v{-2, -2, 0, 0, 2, 2, -2, 3});
    CHECK(run(rounding_mode::half_away_from_zero) == v{-3, -2, -1, 1, 2, 3, -2, 3});
    CHECK(run(rounding_mode::half_up) == v{-2, -1, 0, 1, 2, 3, -2, 3});
    CHECK(run(rounding_mode::half_down) == v{-3, -2, -1, 0, 1, 2, -2, 3});
    CHECK(run(rounding_mode::half_toward_zero) == v{-2, -1, 0, 0, 1, 2, -2, 3});
    CHECK(run(rounding_mode::toward_zero) == v{-2, -1, 0, 0, 1, 2, -2, 2});
    CHECK(run(rounding_mode::floor) == v{-3, -2, -1, 0, 1, 2, -3, 2});
    CHECK(run(rounding_mode::ceil) == v{-2, -1, 0, 1, 2, 3, -2, 3});
    // The classic floor(x + 0.5) bug: 0.49999997 + 0.5 rounds to 1.0 in float; half_up must still give 0.
    CHECK(round_half_up{}(0.49999997f) == 0.0f);
    CHECK(round_half_away_from_zero{}(-0.49999997f) == 0.0f);
    for (int k = -300; k <= 300; ++k) {  // every tie in a range, each mode against its definition
        const float t = static_cast<float>(k) + 0.5f;
        CHECK(round_half_to_even{}(t) == (k % 2 == 0 ? static_cast<float>(k) : static_cast<float>(k + 1)));
        CHECK(round_half_away_from_zero{}(t) == (t > 0 ? static_cast<float>(k + 1) : static_cast<float>(k)));
        CHECK(round_half_up{}(t) == static_cast<float>(k + 1));
        CHECK(round_half_down{}(t) == static_cast<float>(k));
        CHECK(round_half_toward_zero{}(t) == (t > 0 ? static_cast<float>(k) : static_cast<float>(k + 1)));
    }
}

TEST_CASE("stochastic rounding is reproducible, seed-dependent and unbiased") {
    const per_tensor<qint16> p(1.0f, 0);
    const std::size_t n = 1 << 20;
    for (float frac : {0.1f, 0.3f, 0.5f, 0.77f, 0.999f}) {
        const std::vector<float> x(n, 5.0f + frac);
        std::vector<std::int16_t> a(n), b(n), c(n);
        quantize({x.data(), n}, {a.data(), n}, p, round_stochastic{1});
        quantize({x.data(), n}, {b.data(), n}, p, round_stochastic{1});
        quantize({x.data(), n}, {c.data(), n}, p, round_stochastic{2});
        CHECK(a == b);
        CHECK(a != c);
        double mean = 0;
        for (auto q : a) {
            CHECK((q == 5 || q == 6));
            mean += q;
        }
        mean /= static_cast<double>(n);
        // Binomial standard error sqrt(f(1-f)/n) <= 0.0005; allow 5 sigma.
        CHECK(std::abs(mean - (5.0 + frac)) < 0.0025);
    }
    // Negative values and integers: integers never move, negatives round to floor or floor + 1.
    const std::vector<float> x = {-2.25f, -7.0f, 3.0f};
    std::vector<std::int16_t> q(3);
    quantize({x.data(), 3}, {q.data(), 3}, p, round_stochastic{9});
    CHECK((q[0] == -3 || q[0] == -2));
    CHECK(q[1] == -7);
    CHECK(q[2] == 3);
    // Draws depend on the element index only, so a shifted sub-range sees the same draws at the same indices when
    // quantized as part of a 2-D view row-major.
    CHECK(round_stochastic{3}(0.5f, 1000) == round_stochastic{3}(0.5f, 1000));
}

TEST_CASE("per-channel along any axis of strided views equals the element-wise reference") {
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.0f, 3.0f);
    const std::ptrdiff_t d0 = 3, d1 = 5, d2 = 19;
    std::vector<float> x(static_cast<std::size_t>(d0 * d1 * d2));
    for (auto& v : x) v = dist(rng);
    const std::ptrdiff_t extents[3] = {d0, d1, d2};
    for (std::size_t axis = 0; axis < 3; ++axis) {
        std::vector<float> scales;
        std::vector<std::int32_t> zps;
        for (std::ptrdiff_t c = 0; c < extents[axis]; ++c) {
            scales.push_back(0.01f + 0.02f * static_cast<float>(c));
            zps.push_back(static_cast<std::int32_t>(c) * 7 - 10);
        }
        const per_channel<qint8> p(scales, zps, axis);
        // Contiguous and a transposed (non-contiguous, reversed) view of the same data.
        const strided_view<const float> contiguous(x.data(), {d0, d1, d2});
        const strided_view<const float> reversed(x.data() + (d0 * d1 * d2 - 1), {d0, d1, d2}, {-d1 * d2, -d2, -1});
        for (const auto& in : {contiguous, reversed}) {
            std::vector<std::int8_t> q(x.size());
            std::vector<float> y(x.size());
            quantize(in, {q.data(), {d0, d1, d2}}, p, round_half_away_from_zero{});
            fake_quantize(in, {y.data(), {d0, d1, d2}}, p, round_half_away_from_zero{});
            for (std::ptrdiff_t i = 0; i < d0; ++i)
                for (std::ptrdiff_t j = 0; j < d1; ++j)
                    for (std::ptrdiff_t k = 0; k < d2; ++k) {
                        const std::ptrdiff_t idx[3] = {i, j, k};
                        const per_tensor<qint8> e(p[static_cast<std::size_t>(idx[axis])]);
                        const float v = in.at({i, j, k});
                        const auto flat = static_cast<std::size_t>((i * d1 + j) * d2 + k);
                        REQUIRE(q[flat] == quantize_value(v, e, round_half_away_from_zero{}));
                        REQUIRE(y[flat] == dequantize_value(quantize_value(v, e, round_half_away_from_zero{}), e));
                    }
        }
    }
}

TEST_CASE("per-group blocks along any axis equal the element-wise reference, including a partial last block") {
    std::mt19937 rng(8);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    const std::ptrdiff_t rows = 4, cols = 70;  // groups of 32 along cols: 32 + 32 + 6
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (auto& v : w) v = dist(rng);
    for (std::size_t axis : {0u, 1u}) {
        const std::size_t g = axis == 1 ? 32 : 3;
        const std::size_t groups = axis == 1 ? (cols + 31) / 32 : (rows + 2) / 3;
        const std::size_t count = groups * static_cast<std::size_t>(axis == 1 ? rows : cols);
        std::vector<float> scales(count);
        std::vector<std::int32_t> zps(count);
        for (std::size_t i = 0; i < count; ++i) {
            scales[i] = 0.05f + 0.01f * static_cast<float>(i % 13);
            zps[i] = static_cast<std::int32_t>(i % 5) - 2;
        }
        const per_group<qint4> p(scales, zps, axis, g);
        std::vector<std::int8_t> q(w.size());
        quantize(strided_view<const float>(w.data(), {rows, cols}), {q.data(), {rows, cols}}, p);
        for (std::ptrdiff_t r = 0; r < rows; ++r)
            for (std::ptrdiff_t c = 0; c < cols; ++c) {
                const std::size_t pi = axis == 1
                                           ? static_cast<std::size_t>(r) * groups + static_cast<std::size_t>(c) / g
                                           : (static_cast<std::size_t>(r) / g) * cols + static_cast<std::size_t>(c);
                const auto flat = static_cast<std::size_t>(r * cols + c);
                REQUIRE(q[flat] == quantize_value(w[flat], per_tensor<qint4>(p[pi])));
            }
    }
}

TEST_CASE("runtime and compile-time rounding selection agree; scale_op changes results only near ties") {
    const per_tensor<qint8> p(0.1f, 0);
    const std::vector<float> x = edge_inputs(0.1f, 1000, 3);
    std::vector<std::int8_t> a(x.size()), b(x.size());
    quantize({x.data(), x.size()}, {a.data(), a.size()}, p, rounding{rounding_mode::half_up});
    quantize({x.data(), x.size()}, {b.data(), b.size()}, p, round_half_up{});
    CHECK(a == b);
    // 0.3f / 0.1f and 0.3f * (1 / 0.1f) differ in the last bit; near a tie that flips the code.
    std::size_t differ = 0;
    quantize({x.data(), x.size()}, {a.data(), a.size()}, p, round_half_to_even{}, scale_op::divide);
    quantize({x.data(), x.size()}, {b.data(), b.size()}, p, round_half_to_even{}, scale_op::multiply_by_reciprocal);
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (a[i] != b[i]) {
            ++differ;
            CHECK(std::abs(a[i] - b[i]) == 1);
        }
    }
    CHECK(differ < x.size() / 20);
}

TEST_CASE("bad input gets a clear error") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (float s : {0.0f, -0.0f, -1.0f, nan, inf, -inf, 1e-40f})
        CHECK_THROWS_WITH_AS(per_tensor<qint8>(s, 0), "qnum: scale must be finite, normal and > 0", error);
    CHECK_THROWS_WITH_AS(per_tensor<qint8>(1.0f, 128), "qnum: zero point outside the format's range", error);
    CHECK_THROWS_AS(per_tensor<quint8>(1.0f, -1), error);
    CHECK_THROWS_AS(per_tensor<qint8_narrow>(1.0f, -128), error);
    CHECK_THROWS_AS(per_tensor<qint4>(1.0f, 8), error);
    CHECK_THROWS_AS(qrange::of_bits(1, true), error);
    CHECK_THROWS_AS(qrange::of_bits(17, false), error);
    CHECK_THROWS_AS(per_channel<qint8>({1.0f, 2.0f}, {0}, 0), error);
    CHECK_THROWS_AS(per_channel<qint8>({}, {}, 0), error);
    CHECK_THROWS_AS(per_channel<qint8>({1.0f, 0.0f}, {}, 0), error);
    CHECK_THROWS_AS(per_group<qint4>({1.0f}, {}, 0, 0), error);

    std::vector<float> x(12);
    std::vector<std::int8_t> q(12);
    CHECK_THROWS_WITH_AS(
        quantize(strided_view<const float>(x.data(), {3, 4}), {q.data(), {4, 3}}, per_tensor<qint8>(1.0f)),
        "qnum: input and output views have different shapes", error);
    CHECK_THROWS_AS(quantize(strided_view<const float>(x.data(), {3, 4}), {q.data(), {3, 4}},
                             per_channel<qint8>({1.0f, 1.0f}, {}, 1)),
                    error);  // 4 channels along axis 1, 2 given
    CHECK_THROWS_AS(quantize(strided_view<const float>(x.data(), {3, 4}), {q.data(), {3, 4}},
                             per_channel<qint8>({1.0f, 1.0f, 1.0f}, {}, 2)),
                    error);  // axis out of range
    CHECK_THROWS_AS(quantize(strided_view<const float>(x.data(), {3, 4}), {q.data(), {3, 4}},
                             per_group<qint8>({1.0f, 1.0f}, {}, 1, 2)),
                    error);  // needs 3 * 2 parameters
    CHECK_THROWS_AS(strided_view<float>(x.data(), {3, -1}), error);
    CHECK_THROWS_AS(strided_view<float>(x.data(), {1, 1, 1, 1, 1, 1, 1, 1, 1}), error);
    CHECK_THROWS_AS(strided_view<float>(x.data(), {3, 4}, {4}), error);
}

TEST_CASE("empty views are accepted and write nothing") {
    std::vector<float> x;
    std::vector<std::int8_t> q;
    quantize(strided_view<const float>(x.data(), {0, 5}), {q.data(), {0, 5}}, per_tensor<qint8>(1.0f));
    quantize(strided_view<const float>(x.data(), {5, 0}), {q.data(), {5, 0}},
             per_channel<qint8>({1, 1, 1, 1, 1}, {}, 0));
    CHECK(q.empty());
}

// Tests for the error metrics: hand-computed values, every degenerate-input convention (empty, all-zero, identical,
// constant reference, NaN/inf counted and excluded), mismatched shapes, the SIMD kernel against the scalar
// reference bit for bit (sizes, misalignment, non-finite values, strided views), accuracy of the blocked pairwise
// sums against long double, comparisons of dequantized codes, allclose and the KL divergence.
// Built three times (SSE2, AVX2, AVX-512) so each xsimd architecture is checked.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/metrics.hpp>
#include <qnum/quantize.hpp>

#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using namespace qnum;

const double inf = std::numeric_limits<double>::infinity();
const float finf = std::numeric_limits<float>::infinity();
const float fnan = std::numeric_limits<float>::quiet_NaN();

std::vector<float> normal(std::size_t n, unsigned seed, float mean = 0.0f, float sd = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(mean, sd);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void check_identical(const comparison& a, const comparison& b) {
    CHECK(a.count == b.count);
    CHECK(a.skipped == b.skipped);
    CHECK(a.nan_reference == b.nan_reference);
    CHECK(a.nan_test == b.nan_test);
    CHECK(a.inf_reference == b.inf_reference);
    CHECK(a.inf_test == b.inf_test);
    CHECK(same_bits(a.sum_reference, b.sum_reference));
    CHECK(same_bits(a.sum_reference_sq, b.sum_reference_sq));
    CHECK(same_bits(a.sum_test_sq, b.sum_test_sq));
    CHECK(same_bits(a.sum_product, b.sum_product));
    CHECK(same_bits(a.sum_error_sq, b.sum_error_sq));
    CHECK(same_bits(a.sum_abs_error, b.sum_abs_error));
    CHECK(same_bits(a.max_abs, b.max_abs));
    CHECK(same_bits(a.max_rel, b.max_rel));
}

comparison compare_at(isa level, strided_view<const float> r, strided_view<const float> t) {
    limit_isa(level);
    auto c = compare(r, t);
    unlimit_isa();
    return c;
}

comparison compare_scalar(strided_view<const float> r, strided_view<const float> t) {
    return compare_at(isa::scalar, r, t);
}

// Every dispatch level (AVX-512 intrinsics kernel, xsimd kernel of this build's architecture) equals the reference.
void check_all_levels(strided_view<const float> r, strided_view<const float> t) {
    const comparison ref = compare_scalar(r, t);
    check_identical(compare(r, t), ref);
    check_identical(compare_at(isa::avx2, r, t), ref);  // below AVX-512: the xsimd kernel
}

}  // namespace

TEST_CASE("metrics: hand-computed values") {
    const std::vector<float> r{1, 2, 3, 4}, t{1, 2, 3, 5};
    const comparison c = compare(r, t);
    CHECK(c.count == 4);
    CHECK(!c.has_nonfinite());
    CHECK(c.mse() == 0.25);
    CHECK(c.rmse() == 0.5);
    CHECK(c.mean_abs_error() == 0.25);
    CHECK(c.max_abs_error() == 1.0);
    CHECK(c.max_rel_error() == 0.25);
    CHECK(c.max_error_in_steps(0.5) == 2.0);
    CHECK(c.sqnr_db() == doctest::Approx(10.0 * std::log10(30.0)).epsilon(1e-15));  // sum r^2 = 30, noise 1
    CHECK(c.snr_db() == doctest::Approx(10.0 * std::log10(5.0)).epsilon(1e-15));    // 30 - 4 * 2.5^2 = 5
    CHECK(c.cosine() == doctest::Approx(34.0 / std::sqrt(30.0 * 39.0)).epsilon(1e-15));
    CHECK(c.noise_to_signal() == doctest::Approx(1.0 / 30.0).epsilon(1e-15));
    const strided_view<const float> rv(r.data(), r.size()), tv(t.data(), t.size());
    CHECK(mse(rv, tv) == 0.25);
    CHECK(rmse(rv, tv) == 0.5);
    CHECK(mean_abs_error(rv, tv) == 0.25);
    CHECK(max_abs_error(rv, tv) == 1.0);
    CHECK(max_rel_error(rv, tv) == 0.25);
    CHECK(max_error_in_steps(rv, tv, 0.25) == 4.0);
    CHECK(cosine_similarity(rv, tv) == c.cosine());
    CHECK(snr_db(rv, tv) == c.snr_db());
    CHECK(sqnr_db(rv, tv) == c.sqnr_db());

    // Opposite vectors: cosine -1; error 2r.
    const std::vector<float> a{3, -4}, b{-3, 4};
    const comparison o = compare(a, b);
    CHECK(o.cosine() == -1.0);
    CHECK(o.mse() == 50.0);
    CHECK(o.max_rel_error() == 2.0);
    CHECK(o.sqnr_db() == doctest::Approx(10.0 * std::log10(25.0 / 100.0)));
}

TEST_CASE("metrics: degenerate inputs are defined") {
    SUBCASE("empty") {
        const comparison c = compare(std::vector<float>{}, std::vector<float>{});
        CHECK(c.count == 0);
        CHECK(c.mse() == 0.0);
        CHECK(c.mean_abs_error() == 0.0);
        CHECK(c.max_abs_error() == 0.0);
        CHECK(c.cosine() == 1.0);
        CHECK(c.sqnr_db() == inf);
        CHECK(c.snr_db() == inf);
        CHECK(c.noise_to_signal() == 0.0);
    }
    SUBCASE("identical") {
        const auto x = normal(1000, 1);
        const comparison c = compare(x, x);
        CHECK(c.mse() == 0.0);
        CHECK(c.max_rel_error() == 0.0);
        CHECK(c.sqnr_db() == inf);
        CHECK(c.snr_db() == inf);
        CHECK(c.cosine() == doctest::Approx(1.0).epsilon(1e-15));
    }
    SUBCASE("all zero") {
        const std::vector<float> z(100, 0.0f), nz(100, -0.0f);
        const comparison c = compare(z, nz);
        CHECK(c.count == 100);
        CHECK(c.mse() == 0.0);
        CHECK(c.cosine() == 1.0);
        CHECK(c.sqnr_db() == inf);
        CHECK(c.snr_db() == inf);
        CHECK(c.max_rel_error() == 0.0);
    }
    SUBCASE("zero reference, non-zero test") {
        const std::vector<float> z(10, 0.0f), one(10, 1.0f);
        const comparison c = compare(z, one);
        CHECK(c.cosine() == 0.0);
        CHECK(c.sqnr_db() == -inf);
        CHECK(c.snr_db() == -inf);
        CHECK(c.max_rel_error() == inf);
        CHECK(c.noise_to_signal() == inf);
        CHECK(compare(one, z).cosine() == 0.0);
    }
    SUBCASE("constant reference (zero variance)") {
        const std::vector<float> r(64, 3.0f);
        std::vector<float> t = r;
        t[5] = 3.5f;
        const comparison c = compare(r, t);
        CHECK(c.snr_db() == -inf);  // no variation to measure the noise against
        CHECK(std::isfinite(c.sqnr_db()));
        CHECK(compare(r, r).snr_db() == inf);
    }
}

TEST_CASE("metrics: NaN and infinity are counted, not propagated") {
    const std::vector<float> r{1, fnan, 3, finf, 5, fnan}, t{1, 2, -finf, 4, 6, fnan};
    const comparison c = compare(r, t);
    CHECK(c.count == 2);
    CHECK(c.skipped == 4);
    CHECK(c.nan_reference == 2);
    CHECK(c.nan_test == 1);
    CHECK(c.inf_reference == 1);
    CHECK(c.inf_test == 1);
    CHECK(c.has_nonfinite());
    CHECK(c.mse() == 0.5);  // pairs (1, 1) and (5, 6)
    CHECK(c.max_abs_error() == 1.0);
    CHECK(c.max_rel_error() == 0.2);
    CHECK(std::isfinite(c.cosine()));
    CHECK(std::isfinite(c.sqnr_db()));
    // Only non-finite pairs: nothing valid.
    const comparison d = compare(std::vector<float>{fnan}, std::vector<float>{1.0f});
    CHECK(d.count == 0);
    CHECK(d.skipped == 1);
    CHECK(d.sqnr_db() == inf);
}

TEST_CASE("metrics: bad input") {
    const std::vector<float> a(4), b(5);
    CHECK_THROWS_AS(compare(a, b), error);
    CHECK_THROWS_AS(compare(strided_view<const float>(a.data(), {2, 2}), strided_view<const float>(a.data(), 4)),
                    error);
    CHECK_THROWS_AS(mse(strided_view<const float>(a.data(), {2, 2}), strided_view<const float>(b.data(), {2, 1})),
                    error);
    CHECK_THROWS_AS(compare(a, a).max_error_in_steps(0.0), error);
    CHECK_THROWS_AS(allclose(strided_view<const float>(a.data(), 4), strided_view<const float>(b.data(), 5)), error);
    const std::vector<std::int8_t> q(5);
    CHECK_THROWS_AS(compare_dequantized(strided_view<const float>(a.data(), 4),
                                        strided_view<const std::int8_t>(q.data(), 5), per_tensor<qint8>(0.1f)),
                    error);
}

TEST_CASE("metrics: SIMD equals the scalar reference bit for bit") {
    const std::size_t sizes[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 100, 2047, 2048, 2049, 4103, 20000, 70001};
    for (std::size_t n : sizes) {
        for (std::size_t offset : {0u, 1u, 3u}) {
            CAPTURE(n);
            CAPTURE(offset);
            auto r = normal(n + offset, static_cast<unsigned>(n), 0.5f, 2.0f);
            auto t = r;
            auto noise = normal(n + offset, static_cast<unsigned>(n) + 99, 0.0f, 0.01f);
            for (std::size_t i = 0; i < t.size(); ++i) t[i] += noise[i];
            for (std::size_t i = 0; i < t.size(); i += 37) r[i] = 0.0f;  // relative error +inf or 0
            for (std::size_t i = 5; i < t.size(); i += 41) t[i] = r[i];
            const strided_view<const float> rv(r.data() + offset, n), tv(t.data() + offset, n);
            check_all_levels(rv, tv);
            if (n > 50) {  // non-finite values in some blocks: those blocks fall back to the scalar reference
                r[offset + n / 3] = fnan;
                t[offset + n / 2] = -finf;
                check_all_levels(rv, tv);
            }
        }
    }
}

TEST_CASE("metrics: strided views follow the logical row-major order") {
    const std::ptrdiff_t rows = 123, cols = 77;
    const auto r = normal(static_cast<std::size_t>(rows * cols), 5),
               t = normal(static_cast<std::size_t>(rows * cols), 6);
    // Transposed views [cols, rows] of the same data, and contiguous copies in that order.
    const strided_view<const float> rt(r.data(), {cols, rows}, {1, cols}), tt(t.data(), {cols, rows}, {1, cols});
    std::vector<float> rc, tc;
    for (std::ptrdiff_t j = 0; j < cols; ++j)
        for (std::ptrdiff_t i = 0; i < rows; ++i)
            rc.push_back(r[static_cast<std::size_t>(i * cols + j)]),
                tc.push_back(t[static_cast<std::size_t>(i * cols + j)]);
    check_identical(compare(rt, tt), compare(rc, tc));
    check_all_levels(rt, tt);
    // Mixed layout: contiguous reference, transposed test.
    const strided_view<const float> rcv(rc.data(), {cols, rows});
    check_identical(compare(rcv, tt), compare(rc, tc));
}

TEST_CASE("metrics: sums are accurate (blocked pairwise in double)") {
#if defined(QNUM_TEST_SANITIZED)
    const std::size_t n = 1u << 16;
#else
    const std::size_t n = 1u << 21;
#endif
    // Large offset, tiny errors: naive float sums would lose everything; compare with long double.
    const auto r = normal(n, 11, 1000.0f, 1.0f);
    auto t = r;
    const auto noise = normal(n, 12, 0.0f, 1e-3f);
    for (std::size_t i = 0; i < n; ++i) t[i] += noise[i];
    long double sr = 0, srr = 0, stt = 0, srt = 0, see = 0, sae = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const long double a = r[i], b = t[i], e = b - a;
        sr += a, srr += a * a, stt += b * b, srt += a * b, see += e * e, sae += std::fabs(e);
    }
    const comparison c = compare(r, t);
    const auto rel = [](double got, long double want) { return static_cast<double>(std::fabs((got - want) / want)); };
    CHECK(rel(c.sum_reference, sr) < 1e-14);
    CHECK(rel(c.sum_reference_sq, srr) < 1e-14);
    CHECK(rel(c.sum_test_sq, stt) < 1e-14);
    CHECK(rel(c.sum_product, srt) < 1e-14);
    CHECK(rel(c.sum_error_sq, see) < 1e-13);
    CHECK(rel(c.sum_abs_error, sae) < 1e-13);
    const long double var = srr - sr * sr / n;  // n * variance of the reference, about n
    CHECK(c.snr_db() == doctest::Approx(static_cast<double>(10.0L * std::log10(var / see))).epsilon(1e-6));
}

TEST_CASE("metrics: dequantized codes") {
    const std::size_t rows = 37, cols = 515;
    const auto x = normal(rows * cols, 21, 0.0f, 1.0f);
    const strided_view<const float> xv(x.data(),
                                       {static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)});
    SUBCASE("per tensor, int8 affine") {
        const per_tensor<qint8> p(0.05f, 3);
        std::vector<std::int8_t> q(x.size());
        std::vector<float> d(x.size());
        quantize(xv, {q.data(), {static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)}}, p);
        dequantize(strided_view<const std::int8_t>(q.data(), q.size()), strided_view<float>(d.data(), d.size()), p);
        const strided_view<const std::int8_t> qv(
            q.data(), {static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)});
        const comparison c = compare_dequantized(xv, qv, p);
        check_identical(c, compare(x, d));
        // In range, round to nearest: at most half a step (the range, [-6.55, 6.2], holds every value).
        CHECK(c.max_error_in_steps(0.05) <= 0.5 + 1e-6);
        CHECK(c.sqnr_db() > 30.0);
    }
    SUBCASE("per channel, int16, strided codes") {
        std::vector<float> scales;
        for (std::size_t i = 0; i < rows; ++i) scales.push_back(1e-4f * static_cast<float>(i + 1));
        const per_channel<qint16> p(scales, {}, 0);
        std::vector<std::int16_t> q(x.size());
        std::vector<float> d(x.size());
        const strided_view<std::int16_t> qv(q.data(),
                                            {static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)});
        quantize(xv, qv, p);
        dequantize(
            strided_view<const std::int16_t>(qv),
            strided_view<float>(d.data(), {static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)}), p);
        check_identical(compare_dequantized(xv, strided_view<const std::int16_t>(qv), p), compare(x, d));
        // Transposed views of both: still equal to the comparison of the dequantized transposed data.
        const strided_view<const float> xt(x.data(),
                                           {static_cast<std::ptrdiff_t>(cols), static_cast<std::ptrdiff_t>(rows)},
                                           {1, static_cast<std::ptrdiff_t>(cols)});
        const strided_view<const std::int16_t> qt(
            q.data(), {static_cast<std::ptrdiff_t>(cols), static_cast<std::ptrdiff_t>(rows)},
            {1, static_cast<std::ptrdiff_t>(cols)});
        const per_channel<qint16> pt(scales, {}, 1);
        const strided_view<const float> dt(d.data(),
                                           {static_cast<std::ptrdiff_t>(cols), static_cast<std::ptrdiff_t>(rows)},
                                           {1, static_cast<std::ptrdiff_t>(cols)});
        check_identical(compare_dequantized(xt, qt, pt), compare(xt, dt));
    }
}

TEST_CASE("metrics: per-channel comparisons equal comparisons of the slices") {
    const std::ptrdiff_t d0 = 5, d1 = 7, d2 = 300;
    const auto r = normal(static_cast<std::size_t>(d0 * d1 * d2), 41), t = normal(r.size(), 42);
    const strided_view<const float> rv(r.data(), {d0, d1, d2}), tv(t.data(), {d0, d1, d2});
    for (std::size_t axis = 0; axis < 3; ++axis) {
        CAPTURE(axis);
        const auto per = compare_per_channel(rv, tv, axis);
        REQUIRE(per.size() == static_cast<std::size_t>(rv.extent(axis)));
        for (std::size_t c = 0; c < per.size(); ++c) {
            // The slice at index c along `axis`, as a rank-2 strided view.
            dims shape{}, rs{};
            std::size_t k = 0;
            for (std::size_t d = 0; d < 3; ++d)
                if (d != axis) shape[k] = rv.extent(d), rs[k] = rv.stride(d), ++k;
            const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(c) * rv.stride(axis);
            const strided_view<const float> rc(r.data() + base, 2, shape, rs), tc(t.data() + base, 2, shape, rs);
            check_identical(per[c], compare(rc, tc));
        }
    }
    CHECK_THROWS_AS(compare_per_channel(rv, tv, 3), error);
    CHECK_THROWS_AS(compare_per_channel(rv, strided_view<const float>(t.data(), {d0, d2, d1}), 0), error);
}

TEST_CASE("metrics: edge values (huge, subnormal, signed zeros) on every level") {
    std::vector<float> r = normal(3000, 51), t = normal(3000, 52);
    const float edges[] = {FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, 1e-45f, -1e-45f, 0.0f, -0.0f, 1e30f, -1e30f};
    for (std::size_t i = 0; i < r.size(); i += 7) r[i] = edges[(i / 7) % 10];
    for (std::size_t i = 3; i < t.size(); i += 11) t[i] = edges[(i / 11) % 10];
    r[1] = FLT_MAX, t[1] = -FLT_MAX;  // the largest possible error, exact in double
    const strided_view<const float> rv(r.data(), r.size()), tv(t.data(), t.size());
    check_all_levels(rv, tv);
    const comparison c = compare(rv, tv);
    CHECK(c.count == r.size());
    CHECK(std::isfinite(c.sum_error_sq));
    CHECK(c.max_abs_error() == 2.0 * static_cast<double>(FLT_MAX));
}

TEST_CASE("metrics: merging batches") {
    const auto r = normal(5000, 31), t = normal(5000, 32);
    const comparison whole = compare(r, t);
    const comparison a = compare(r.data(), t.data(), 1234), b = compare(r.data() + 1234, t.data() + 1234, 5000 - 1234);
    const comparison m = merge(a, b);
    CHECK(m.count == whole.count);
    CHECK(m.max_abs == whole.max_abs);
    CHECK(m.max_rel == whole.max_rel);
    CHECK(m.sum_error_sq == doctest::Approx(whole.sum_error_sq).epsilon(1e-14));
    CHECK(m.cosine() == doctest::Approx(whole.cosine()).epsilon(1e-14));
    CHECK(m.snr_db() == doctest::Approx(whole.snr_db()).epsilon(1e-12));
    const comparison n = merge(compare(std::vector<float>{fnan}, std::vector<float>{1.0f}), a);
    CHECK(n.skipped == 1);
    CHECK(n.nan_reference == 1);
    CHECK(n.count == a.count);
}

TEST_CASE("metrics: allclose") {
    const std::vector<float> r{1.0f, 100.0f, finf}, t{1.000001f, 100.0001f, finf};
    const strided_view<const float> rv(r.data(), 3), tv(t.data(), 3);
    CHECK(allclose(rv, tv, 1e-5, 1e-8));
    CHECK(!allclose(rv, tv, 1e-7, 1e-8));
    const std::vector<float> n{1.0f, fnan, finf};
    CHECK(!allclose(rv, strided_view<const float>(n.data(), 3)));
    CHECK(!allclose(strided_view<const float>(n.data(), 3), strided_view<const float>(n.data(), 3)));
}

TEST_CASE("metrics: KL divergence of histograms") {
    CHECK(kl_divergence(std::vector<double>{1, 1}, std::vector<double>{1, 3}) ==
          doctest::Approx(0.5 * std::log(4.0 / 3.0)).epsilon(1e-15));
    CHECK(kl_divergence(std::vector<double>{2, 0, 2}, std::vector<double>{1, 1, 1}) ==
          doctest::Approx(std::log(1.5)).epsilon(1e-15));  // p = (.5, 0, .5), q = 1/3 each
    CHECK(kl_divergence(std::vector<double>{5, 5}, std::vector<double>{1, 1}) == 0.0);
    CHECK(kl_divergence(std::vector<double>{1, 1}, std::vector<double>{1, 0}) == inf);
    // Smoothing with epsilon = 1: p = (2, 2)/4, q = (2, 1)/3.
    CHECK(kl_divergence(std::vector<double>{1, 1}, std::vector<double>{1, 0}, 1.0) ==
          doctest::Approx(0.5 * std::log(0.5 / (2.0 / 3.0)) + 0.5 * std::log(0.5 / (1.0 / 3.0))).epsilon(1e-15));
    // qnum histograms on a common fixed grid.
    histogram hp(4, 0.0f, 4.0f), hq(4, 0.0f, 4.0f), other(4, 0.0f, 8.0f);
    const std::vector<float> xp{0.5f, 1.5f, 2.5f, 3.5f}, xq{0.5f, 0.6f, 2.5f, 3.5f};
    hp.observe(strided_view<const float>(xp.data(), xp.size()));
    hq.observe(strided_view<const float>(xq.data(), xq.size()));
    CHECK(kl_divergence(hp, hq) == inf);                                                  // bin 1 empty in Q
    CHECK(kl_divergence(hq, hp) == doctest::Approx(0.5 * std::log(2.0)).epsilon(1e-15));  // (.5,0,.25,.25) vs 1/4
    CHECK_THROWS_AS(kl_divergence(hp, other), error);
    CHECK_THROWS_AS(kl_divergence(std::vector<double>{1, 1}, std::vector<double>{1}), error);
    CHECK_THROWS_AS(kl_divergence(std::vector<double>{}, std::vector<double>{}), error);
    CHECK_THROWS_AS(kl_divergence(std::vector<double>{0, 0}, std::vector<double>{1, 1}), error);
    CHECK_THROWS_AS(kl_divergence(std::vector<double>{-1, 2}, std::vector<double>{1, 1}), error);
    CHECK_THROWS_AS(kl_divergence(std::vector<double>{1, std::nan("")}, std::vector<double>{1, 1}), error);
    CHECK_THROWS_AS(kl_divergence(std::vector<double>{1, 1}, std::vector<double>{1, 1}, -1.0), error);
}

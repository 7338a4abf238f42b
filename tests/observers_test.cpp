// Tests for the observers: SIMD kernels equal the scalar reference bit for bit (min-max, column min-max, histogram
// bins, quantization errors) over sizes, alignments and edge values; per-tensor and per-channel observers on
// strided views against naive references; merges of shards against a single pass (exact where promised); the
// histogram's range growth, quantiles and byte image; the searches; and every documented error.
// Built three times (SSE2, AVX2, AVX-512) so each xsimd architecture is checked.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/qnum.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "observer_data.hpp"

namespace {

using namespace qnum;

#if defined(QNUM_TEST_SANITIZED)
constexpr int heavy = 1;
#else
constexpr int heavy = 8;
#endif

const float inf = std::numeric_limits<float>::infinity();
const float qnan = std::numeric_limits<float>::quiet_NaN();

std::uint32_t bits_of(float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
}

template <class F>
auto with_isa(bool scalar, F&& f) {
    if (scalar) limit_isa(isa::scalar);
    auto r = f();
    unlimit_isa();
    return r;
}

std::vector<float> random_values(std::size_t n, unsigned seed, float scale = 3.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Random data salted with edge values at random positions.
// Random data salted with edge values at random positions (`huge`: also +-FLT_MAX and +-1e30, whose range
// overflows float).
std::vector<float> edgy_values(std::size_t n, unsigned seed, bool huge = true) {
    std::vector<float> v = random_values(n, seed);
    const float edges[] = {0.0f,     -0.0f,  inf,     -inf,    qnan,     -qnan, FLT_MIN,
                           -FLT_MIN, 1e-45f, -1e-45f, FLT_MAX, -FLT_MAX, 1e30f, -1e30f};
    std::mt19937 rng(seed + 1);
    const std::size_t choices = std::size(edges) - (huge ? 0 : 4);
    for (std::size_t k = 0; k < n / 7 + 1 && n > 0; ++k) v[rng() % n] = edges[rng() % choices];
    return v;
}

struct naive_stats {
    float min = inf, max = -inf;
    std::uint64_t count = 0, nonfinite = 0;
    void add(float v) {
        if (!std::isfinite(v)) {
            ++nonfinite;
            return;
        }
        ++count;
        min = std::min(min, v);
        max = std::max(max, v);
    }
};

}  // namespace

// ---- kernels: SIMD == scalar reference ------------------------------------------------------------------------------

TEST_CASE("min-max kernel: SIMD equals the scalar reference for every size, offset and edge value") {
    const std::vector<float> base = edgy_values(700, 11);
    const std::vector<float> clean = random_values(700, 12);
    for (const auto* src : {&base, &clean})
        for (std::size_t offset = 0; offset < 5; ++offset)
            for (std::size_t n = 0; n + offset <= src->size(); n += (n < 80 ? 1 : 37)) {
                const float* x = src->data() + offset;
                auto run = [&] {
                    detail::finite_range r;
                    const std::size_t nf = detail::minmax_run(x, 1, n, r);
                    return std::make_tuple(r.min + 0.0f, r.max + 0.0f, nf);
                };
                const auto simd = with_isa(false, run), ref = with_isa(true, run);
                CHECK(bits_of(std::get<0>(simd)) == bits_of(std::get<0>(ref)));
                CHECK(bits_of(std::get<1>(simd)) == bits_of(std::get<1>(ref)));
                CHECK(std::get<2>(simd) == std::get<2>(ref));
                naive_stats nv;
                for (std::size_t i = 0; i < n; ++i) nv.add(x[i]);
                CHECK(std::get<0>(ref) == nv.min);
                CHECK(std::get<1>(ref) == nv.max);
                CHECK(std::get<2>(ref) == nv.nonfinite);
            }
}

TEST_CASE("column min-max kernel: SIMD equals the scalar reference") {
    for (std::size_t n : {1u, 3u, 7u, 8u, 15u, 16u, 17u, 33u, 64u, 100u})
        for (unsigned seed = 0; seed < 4; ++seed) {
            const std::vector<float> rows = edgy_values(n * 9, 20 + seed);
            auto run = [&] {
                std::vector<float> mins(n, inf), maxs(n, -inf);
                std::vector<std::uint64_t> nf(n, 0);
                for (std::size_t r = 0; r < 9; ++r)
                    detail::minmax_columns(rows.data() + r * n, 1, n, mins.data(), maxs.data(), nf.data());
                for (auto& m : mins) m += 0.0f;
                for (auto& m : maxs) m += 0.0f;
                return std::make_tuple(mins, maxs, nf);
            };
            const auto a = with_isa(false, run), b = with_isa(true, run);
            CHECK(std::get<2>(a) == std::get<2>(b));
            for (std::size_t j = 0; j < n; ++j) {
                CHECK(bits_of(std::get<0>(a)[j]) == bits_of(std::get<0>(b)[j]));
                CHECK(bits_of(std::get<1>(a)[j]) == bits_of(std::get<1>(b)[j]));
            }
        }
}

TEST_CASE("histogram bin kernel: SIMD equals the scalar reference, including edges, ties and non-finite values") {
    std::vector<float> x = edgy_values(4000, 31);
    // values exactly on and next to bin edges of the grids below
    for (int k = -3; k <= 2051; ++k)
        for (float lo : {-2.0f, 0.0f, 0.37f}) {
            const float e = lo + static_cast<float>(k) * (3.0f / 2048.0f);
            x.push_back(e);
            x.push_back(std::nextafter(e, inf));
            x.push_back(std::nextafter(e, -inf));
        }
    for (const bool magnitude : {false, true})
        for (const auto& [lo, hi] : {std::pair{-2.0f, 1.0f}, {0.0f, 3.0f}, {0.37f, 3.37f}, {-1e-3f, 5e-4f}})
            for (std::uint32_t bins : {1u, 2u, 7u, 256u, 2048u}) {
                if (magnitude && lo != 0.0f) continue;
                const histogram h(bins, lo, hi, magnitude ? histogram_mode::magnitudes : histogram_mode::values);
                const detail::bin_grid g = h.grid();
                for (std::size_t offset : {0u, 1u, 3u}) {
                    const std::size_t n = x.size() - offset;
                    auto run = [&] {
                        std::vector<std::int32_t> idx(n);
                        detail::bin_indices(x.data() + offset, 1, n, g, idx.data());
                        return idx;
                    };
                    const auto a = with_isa(false, run), b = with_isa(true, run);
                    CHECK(a == b);
                    for (std::size_t i = 0; i < n; ++i) {
                        const float v = x[offset + i];
                        if (!std::isfinite(v)) CHECK(b[i] == static_cast<std::int32_t>(bins));
                        if (std::isfinite(v)) CHECK((b[i] >= 0 && b[i] < static_cast<std::int32_t>(bins)));
                    }
                }
            }
}

TEST_CASE("quantization-error kernel: SIMD equals the scalar reference") {
    std::vector<float> x = edgy_values(3000, 41);
    for (int k = -300; k <= 300; ++k) x.push_back((static_cast<float>(k) + 0.5f) * 0.02f);  // ties
    for (const auto& [scale, lo, hi] :
         {std::tuple{0.02f, -128.0f, 127.0f}, {0.5f, 0.0f, 255.0f}, {1e-3f, -8.0f, 7.0f}, {3.0f, -32768.0f, 32767.0f}})
        for (std::size_t offset : {0u, 1u, 5u}) {
            const std::size_t n = x.size() - offset;
            auto run = [&, scale = scale, lo = lo, hi = hi] {
                std::vector<float> e(n);
                detail::clip_errors(x.data() + offset, n, scale, lo, hi, e.data());
                return e;
            };
            const auto a = with_isa(false, run), b = with_isa(true, run);
            for (std::size_t i = 0; i < n; ++i) CHECK(bits_of(a[i]) == bits_of(b[i]));
        }
}

// ---- min-max observers --------------------------------------------------------------------------------------------

TEST_CASE("minmax_observer: strided and broadcast views, NaN/inf skipped and counted, zeros normalized") {
    std::vector<float> buf = edgy_values(6 * 5 * 4, 51);
    buf[3] = -0.0f;
    const strided_view<const float> full(buf.data(), {6, 5, 4});
    const strided_view<const float> transposed(buf.data(), {4, 5, 6}, {1, 4, 20});  // non-contiguous
    const strided_view<const float> reversed(buf.data() + buf.size() - 1, {static_cast<std::ptrdiff_t>(buf.size())},
                                             {-1});
    const strided_view<const float> broadcast(buf.data() + 7, {3, 50}, {0, 0});
    naive_stats nv;
    for (float v : buf) nv.add(v);
    for (const auto& v : {full, transposed, reversed}) {
        minmax_observer o;
        o.observe(v);
        CHECK(o.state().min == nv.min);
        CHECK(o.state().max == nv.max);
        CHECK(o.state().count == nv.count);
        CHECK(o.state().nonfinite == nv.nonfinite);
    }
    minmax_observer b;
    b.observe(broadcast);
    CHECK(b.state().count + b.state().nonfinite == 150);

    std::vector<float> zeros{-0.0f, 0.0f, -0.0f};
    minmax_observer z;
    z.observe({zeros.data(), zeros.size()});
    CHECK(bits_of(z.state().min) == 0u);  // +0.0
    CHECK(bits_of(z.state().max) == 0u);
}

TEST_CASE("per-channel min-max on every axis of contiguous and transposed views equals a naive loop") {
    const std::vector<float> buf = edgy_values(3 * 4 * 5 * 6, 61);
    const strided_view<const float> views[] = {strided_view<const float>(buf.data(), {3, 4, 5, 6}),
                                               strided_view<const float>(buf.data(), {6, 5, 4, 3}, {1, 6, 30, 120})};
    for (const auto& v : views)
        for (std::size_t axis = 0; axis < 4; ++axis) {
            auto run = [&] {
                per_channel_minmax_observer o(axis);
                o.observe(v);
                return o.states();
            };
            const auto a = with_isa(false, run), b = with_isa(true, run);
            REQUIRE(a.size() == static_cast<std::size_t>(v.extent(axis)));
            std::vector<naive_stats> nv(a.size());
            dims i{};
            for (i[0] = 0; i[0] < v.extent(0); ++i[0])
                for (i[1] = 0; i[1] < v.extent(1); ++i[1])
                    for (i[2] = 0; i[2] < v.extent(2); ++i[2])
                        for (i[3] = 0; i[3] < v.extent(3); ++i[3]) nv[i[axis]].add(v.at(i));
            for (std::size_t c = 0; c < a.size(); ++c) {
                CHECK(a[c] == b[c]);
                CHECK(a[c].min == nv[c].min);
                CHECK(a[c].max == nv[c].max);
                CHECK(a[c].count == nv[c].count);
                CHECK(a[c].nonfinite == nv[c].nonfinite);
            }
        }
}

TEST_CASE("min-max merge: shards merged == single pass, with empty shards and a shard of one value") {
    const std::vector<float> x = edgy_values(10000, 71);
    minmax_observer single;
    single.observe({x.data(), x.size()});
    for (const std::vector<std::size_t>& cuts :
         {std::vector<std::size_t>{0, 0, 5000, 5001, 10000, 10000}, std::vector<std::size_t>{0, 1, 2, 9999, 10000}}) {
        minmax_observer merged;
        for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
            minmax_observer shard;
            shard.observe({x.data() + cuts[k], cuts[k + 1] - cuts[k]});
            const minmax_state wire = shard.state();  // what would cross a process boundary
            merged.merge(minmax_observer(wire));
        }
        CHECK(merged.state() == single.state());
        CHECK_THROWS_WITH_AS(merged.calculate_qparams(qint8::range), doctest::Contains("too wide"), qnum::error);
    }

    per_channel_minmax_observer pc_single(1), pc_merged(1), empty(1);
    const strided_view<const float> v(x.data(), {100, 10, 10});
    pc_single.observe(v);
    pc_merged.merge(empty);
    for (std::ptrdiff_t b = 0; b < 100; b += 25) {
        per_channel_minmax_observer shard(1);
        shard.observe(strided_view<const float>(x.data() + b * 100, {25, 10, 10}));
        pc_merged.merge(shard);
    }
    pc_merged.merge(empty);
    CHECK(pc_merged.states() == pc_single.states());
}

TEST_CASE("min-max observers: bad input gives clear errors") {
    minmax_observer o;
    CHECK_THROWS_WITH_AS(o.calculate_qparams(qint8::range), doctest::Contains("no finite values"), qnum::error);
    std::vector<float> bad{qnan, inf, -inf};
    o.observe({bad.data(), bad.size()});
    o.observe({bad.data(), std::size_t{0}});  // empty batch: ignored
    CHECK(o.state().nonfinite == 3);
    CHECK(o.state().count == 0);
    CHECK_THROWS_AS(o.calculate_qparams(qint8::range), qnum::error);
    std::vector<float> same(100, 2.5f);  // all-equal data: a valid range containing 0
    o.observe({same.data(), same.size()});
    const qparams p = o.calculate_qparams(quint8::range);
    CHECK(p.zero_point == 0);
    CHECK(p.scale == 2.5f / 255.0f);
    CHECK(o.params<qint8>(scheme{true}).scale() == 2.5f / 127.5f);

    per_channel_minmax_observer pc(2);
    std::vector<float> buf(24, 1.0f);
    CHECK_THROWS_WITH_AS(pc.calculate_qparams(qint8::range), doctest::Contains("no batch"), qnum::error);
    CHECK_THROWS_WITH_AS(pc.observe(strided_view<const float>(buf.data(), {4, 6})), doctest::Contains("axis"),
                         qnum::error);
    pc.observe(strided_view<const float>(buf.data(), {2, 3, 4}));
    CHECK_THROWS_WITH_AS(pc.observe(strided_view<const float>(buf.data(), {2, 4, 3})),
                         doctest::Contains("number of channels"), qnum::error);
    per_channel_minmax_observer other(0);
    CHECK_THROWS_AS(pc.merge(other), qnum::error);
    std::vector<float> nans(8, qnan);  // a channel that never saw a finite value
    per_channel_minmax_observer pn(0);
    pn.observe(strided_view<const float>(nans.data(), {2, 4}));
    CHECK_THROWS_WITH_AS(pn.calculate_qparams(qint8::range), doctest::Contains("no finite values"), qnum::error);
    CHECK(pc.params<qint8>(scheme{true}).channels() == 4);
}

// ---- moving average ---------------------------------------------------------------------------------------------

TEST_CASE("moving average: first batch initializes, empty and all-NaN batches are skipped, merge == sequence") {
    moving_average_minmax_observer o(0.25f);
    CHECK_THROWS_AS(o.calculate_qparams(qint8::range), qnum::error);
    std::vector<float> a{-1.0f, 2.0f}, b{-3.0f, 6.0f}, bad{qnan, inf};
    o.observe({bad.data(), bad.size()});
    o.observe({a.data(), std::size_t{0}});
    CHECK(o.state().batches == 0);
    o.observe({a.data(), a.size()});
    CHECK(o.state().min == -1.0f);
    CHECK(o.state().max == 2.0f);
    o.observe({b.data(), b.size()});
    CHECK(o.state().min == -1.5f);  // -1 + 0.25 * (-3 - -1)
    CHECK(o.state().max == 3.0f);
    CHECK(o.state().nonfinite == 2);
    CHECK_THROWS_AS(moving_average_minmax_observer(0.0f), qnum::error);
    CHECK_THROWS_AS(moving_average_minmax_observer(1.5f), qnum::error);
    CHECK_THROWS_AS(moving_average_minmax_observer{qnan}, qnum::error);

    // merge(a, b) == a's batches then b's (to float rounding)
    const auto batches = observer_data::generate("laplace", 99, 1.0f, 20, 257);
    for (const float c : {0.01f, 0.3f, 1.0f})
        for (std::size_t split : {0u, 1u, 7u, 19u, 20u}) {
            moving_average_minmax_observer seq(c), first(c), second(c);
            for (std::size_t k = 0; k < batches.size(); ++k) {
                seq.observe({batches[k].data(), batches[k].size()});
                (k < split ? first : second).observe({batches[k].data(), batches[k].size()});
            }
            first.merge(second);
            CHECK(first.state().batches == seq.state().batches);
            CHECK(first.state().count == seq.state().count);
            CHECK(first.state().min == doctest::Approx(seq.state().min).epsilon(1e-5));
            CHECK(first.state().max == doctest::Approx(seq.state().max).epsilon(1e-5));
        }
    moving_average_minmax_observer c1(0.1f), c2(0.2f);
    CHECK_THROWS_AS(c1.merge(c2), qnum::error);

    per_channel_moving_average_minmax_observer pc(0, 0.5f), pc2(0, 0.5f);
    const strided_view<const float> v(batches[0].data(), {1, 257});
    pc.observe(v);
    pc2.observe(v);
    pc.merge(pc2);
    CHECK(pc.states()[0].batches == 2);
    CHECK(pc.params<qint8>().channels() == 1);
}

// ---- histogram --------------------------------------------------------------------------------------------------

TEST_CASE("histogram: first batch bins like torch.histc over [min, max]; SIMD and scalar counts are identical") {
    const std::vector<float> x = edgy_values(50000, 81, false);
    auto run = [&] {
        histogram h(2048);
        h.observe({x.data(), x.size()});
        return h;
    };
    const histogram a = with_isa(false, run), b = with_isa(true, run);
    CHECK(a.counts() == b.counts());
    naive_stats nv;
    for (float v : x) nv.add(v);
    CHECK(a.lo() == nv.min);
    CHECK(a.hi() == nv.max);
    CHECK(a.total() == static_cast<double>(nv.count));
    CHECK(a.header().nonfinite == nv.nonfinite);
    std::vector<double> naive(2048, 0.0);
    for (float v : x)
        if (std::isfinite(v))
            naive[std::min<std::size_t>(static_cast<std::size_t>((v - nv.min) * 2048.0f / (nv.max - nv.min)), 2047)]++;
    CHECK(a.counts() == naive);
}

TEST_CASE("histogram range growth: whole-bin re-binning keeps every count, equals binning on the final grid") {
    for (const auto& [dist, seed] : {std::pair{"normal", 1u}, {"relu", 2u}, {"bimodal", 3u}, {"outliers", 4u}})
        for (const auto mode : {histogram_mode::values, histogram_mode::magnitudes}) {
            CAPTURE(dist);
            const auto batches = observer_data::generate(dist, seed, 1.0f, 6, 3000);
            histogram grown(512, mode);
            std::uint64_t n = 0;
            for (std::size_t k = 0; k < batches.size(); ++k) {
                std::vector<float> b = batches[k];
                for (auto& v : b) v *= static_cast<float>(k + 1);  // every batch widens the range
                grown.observe({b.data(), b.size()});
                n += b.size();
                CHECK(grown.total() == static_cast<double>(n));
                CHECK(grown.lo() <= grown.header().bmin);
                CHECK(grown.hi() >= grown.header().bmax);
            }
            // Re-bin the raw data directly on the final grid: almost every value lands where growth put it (only
            // values within float rounding of a bin edge may differ).
            histogram direct(512, grown.lo(), grown.hi(), mode);
            for (std::size_t k = 0; k < batches.size(); ++k) {
                std::vector<float> b = batches[k];
                for (auto& v : b) v *= static_cast<float>(k + 1);
                direct.observe({b.data(), b.size()});
            }
            double moved = 0.0;
            for (std::size_t i = 0; i < 512; ++i) moved += std::fabs(direct.counts()[i] - grown.counts()[i]);
            CHECK(moved <= 1e-3 * static_cast<double>(n));
        }
}

TEST_CASE("histogram: all-equal data is a point mass, re-gridded exactly when other values arrive") {
    std::vector<float> same(1000, 0.75f), more{-2.0f, 4.0f};
    histogram h(64);
    h.observe({same.data(), same.size()});
    CHECK(h.is_point_mass());
    CHECK(h.lo() == -0.25f);
    CHECK(h.hi() == 1.75f);
    CHECK(h.quantile(0.5) == 0.75);
    h.observe({same.data(), same.size()});
    h.observe({more.data(), more.size()});
    CHECK(h.lo() == -2.0f);
    CHECK(h.hi() == 4.0f);
    CHECK(h.counts()[h.bin_of(0.75f)] == 2000.0);
    CHECK(h.total() == 2002.0);
    histogram zeros(16, histogram_mode::magnitudes);
    std::vector<float> z(10, 0.0f);
    zeros.observe({z.data(), z.size()});
    CHECK(zeros.hi() == 1.0f);
    CHECK(percentile_range(zeros, 99.0, true).max == 0.0f);
}

TEST_CASE("histogram merge: fixed range and aligned grids are exact; other grids re-bin within one bin") {
    const auto batches = observer_data::generate("laplace", 5, 1.0f, 8, 4000);
    // fixed range (two-pass calibration): exact, including empty shards and a one-value shard
    histogram single(1024, -20.0f, 20.0f), merged(1024, -20.0f, 20.0f), empty(1024, -20.0f, 20.0f);
    for (const auto& b : batches) single.observe({b.data(), b.size()});
    merged.merge(empty);
    for (const auto& b : batches) {
        histogram shard(1024, -20.0f, 20.0f);
        shard.observe({b.data(), b.size() - 1});
        histogram one(1024, -20.0f, 20.0f);
        one.observe({b.data() + b.size() - 1, 1});
        const std::vector<unsigned char> wire = shard.serialize();
        merged.merge(histogram::deserialize(wire.data(), wire.size()));
        merged.merge(one);
    }
    CHECK(merged.counts() == single.counts());
    CHECK(merged.header().count == single.header().count);
    CHECK(merged.header().min == single.header().min);
    CHECK(merged.header().max == single.header().max);

    // growing histograms that started from equal grids and widened to aligned grids: merging is exact
    std::vector<float> seed_batch{0.0f, 1.0f}, wide_a(1000), wide_b(1000);
    for (std::size_t i = 0; i < 1000; ++i) wide_a[i] = 1.9f * static_cast<float>(i) / 999.0f;
    for (std::size_t i = 0; i < 1000; ++i) wide_b[i] = 3.7f * static_cast<float>((i * 7) % 1000) / 999.0f;
    histogram g1(256), g2(256), g12(256);
    for (auto* h : {&g1, &g2, &g12}) h->observe({seed_batch.data(), seed_batch.size()});
    g12.observe({seed_batch.data(), seed_batch.size()});
    g1.observe({wide_a.data(), wide_a.size()});
    g2.observe({wide_b.data(), wide_b.size()});
    g12.observe({wide_a.data(), wide_a.size()});
    g12.observe({wide_b.data(), wide_b.size()});
    histogram m = g1;
    m.merge(g2);
    CHECK(m.lo() == g12.lo());
    CHECK(m.hi() == g12.hi());
    CHECK(m.counts() == g12.counts());

    // unrelated grids: proportional re-binning keeps the total; quantiles move by less than a bin
    histogram a(2048), b(2048), ab(2048);
    a.observe({batches[2].data(), batches[2].size()});
    std::vector<float> shifted = batches[3];
    for (auto& v : shifted) v = v * 0.37f + 0.11f;
    b.observe({shifted.data(), shifted.size()});
    ab.observe({batches[2].data(), batches[2].size()});
    ab.observe({shifted.data(), shifted.size()});
    a.merge(b);
    CHECK(a.total() == doctest::Approx(ab.total()).epsilon(1e-12));
    for (double q : {0.001, 0.1, 0.5, 0.9, 0.999})
        CHECK(std::fabs(a.quantile(q) - ab.quantile(q)) <= 1.01 * std::max(a.bin_width(), ab.bin_width()));

    // point masses on either side
    histogram p(128), q(128);
    std::vector<float> pv(10, 3.0f);
    p.observe({pv.data(), pv.size()});
    q.observe({batches[0].data(), batches[0].size()});
    histogram pq = p;
    pq.merge(q);
    q.merge(p);
    CHECK(pq.total() == q.total());
    CHECK(pq.counts() == q.counts());

    histogram wrong(100);
    CHECK_THROWS_AS(a.merge(wrong), qnum::error);
    histogram mags(2048, histogram_mode::magnitudes);
    CHECK_THROWS_AS(a.merge(mags), qnum::error);
}

TEST_CASE("histogram: byte image round trip and corrupt images are rejected") {
    const auto x = observer_data::generate("bimodal", 6, 2.0f, 1, 5000)[0];
    histogram h(300);
    h.observe({x.data(), x.size()});
    std::vector<unsigned char> wire = h.serialize();
    const histogram back = histogram::deserialize(wire.data(), wire.size());
    CHECK(back.counts() == h.counts());
    CHECK(std::memcmp(&back.header(), &h.header(), sizeof(histogram_header)) == 0);
    CHECK_THROWS_AS(histogram::deserialize(wire.data(), wire.size() - 1), qnum::error);
    wire[0] ^= 1;
    CHECK_THROWS_AS(histogram::deserialize(wire.data(), wire.size()), qnum::error);
    wire[0] ^= 1;
    double negative = -1.0;
    std::memcpy(wire.data() + wire.size() - sizeof(double), &negative, sizeof negative);
    CHECK_THROWS_AS(histogram::deserialize(wire.data(), wire.size()), qnum::error);
}

TEST_CASE("histogram: bad construction and queries give clear errors") {
    CHECK_THROWS_AS(histogram(0), qnum::error);
    CHECK_THROWS_AS(histogram(histogram::max_bins + 1), qnum::error);
    CHECK_THROWS_AS(histogram(16, 1.0f, 1.0f), qnum::error);
    CHECK_THROWS_AS(histogram(16, 0.0f, inf), qnum::error);
    CHECK_THROWS_AS(histogram(16, -3e38f, 3e38f), qnum::error);  // hi - lo overflows
    CHECK_THROWS_AS(histogram(16, -1.0f, 1.0f, histogram_mode::magnitudes), qnum::error);
    histogram h(16);
    CHECK_THROWS_WITH_AS(h.quantile(0.5), doctest::Contains("no values"), qnum::error);
    std::vector<float> v{1.0f, 2.0f, qnan, -inf};
    h.observe({v.data(), v.size()});
    CHECK(h.header().nonfinite == 2);
    CHECK_THROWS_AS(h.quantile(1.5), qnum::error);
    histogram_header hd;
    hd.bins = 4;
    CHECK_THROWS_AS(histogram(hd, {1.0, 2.0}), qnum::error);
    std::vector<float> huge{-3e38f, 3e38f};
    histogram g(16);
    g.observe({v.data(), 2});
    CHECK_THROWS_WITH_AS(g.observe({huge.data(), huge.size()}), doctest::Contains("beyond float"), qnum::error);
}

TEST_CASE("histogram quantiles and fixed-range clipping") {
    std::vector<float> u(10000);
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<float>(i) / 9999.0f;  // uniform on [0, 1]
    histogram h(1000);
    h.observe({u.data(), u.size()});
    for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.999, 1.0}) CHECK(h.quantile(q) == doctest::Approx(q).epsilon(2e-3));
    CHECK(h.cdf(0.5) == doctest::Approx(0.5).epsilon(1e-3));
    const clip_range r = percentile_range(h, 90.0, false);
    CHECK(r.min == doctest::Approx(0.1f).epsilon(2e-3));
    CHECK(r.max == doctest::Approx(0.9f).epsilon(2e-3));
    std::vector<float> s(u.size());
    for (std::size_t i = 0; i < u.size(); ++i) s[i] = u[i] * 2.0f - 1.0f;  // uniform on [-1, 1]
    histogram hs(1000);
    hs.observe({s.data(), s.size()});
    CHECK(hs.magnitude_quantile(0.5) == doctest::Approx(0.5).epsilon(3e-3));
    CHECK(percentile_range(hs, 80.0, true).max == doctest::Approx(0.8f).epsilon(3e-3));
    CHECK_THROWS_AS(percentile_range(hs, 0.0, true), qnum::error);

    histogram fixed(10, 0.0f, 0.5f);
    fixed.observe({u.data(), u.size()});
    CHECK(fixed.header().outside == 5000);  // i / 9999 > 0.5 for i >= 5000
    CHECK(fixed.counts()[9] >= 5000.0);
    CHECK(fixed.lo() == 0.0f);
    CHECK(fixed.hi() == 0.5f);
}

// ---- searches -----------------------------------------------------------------------------------------------------

TEST_CASE("expected_error matches the measured error of quantizing the data, and lp_search improves on min-max") {
    for (const char* dist : {"normal", "laplace", "outliers", "relu", "bimodal"}) {
        CAPTURE(dist);
        const auto x = observer_data::generate(dist, 7, 1.0f, 1, 60000)[0];
        const strided_view<const float> v(x.data(), x.size());
        histogram h(2048);
        h.observe(v);
        for (const auto& [range, sym] : {std::pair{qint8::range, true}, {quint8::range, false}, {qint4::range, true}}) {
            const qparams p = calculate_qparams(observe_minmax(v), range, {sym});
            const double model = expected_error(h, p, range), measured = quantization_error(v, p, range);
            CHECK(model == doctest::Approx(measured).epsilon(0.03));
            const clip_search opt{2.0, 50};
            const search_result lp = lp_search(h, range, {sym}, opt);
            CHECK(lp.error <= model);
            const search_result raw = mse_search(v, range, {sym}, opt);
            CHECK(raw.error <= measured);
            CHECK(quantization_error(v, lp.params, range) <= measured * 1.0001);
            // the histogram search lands close to the raw-data search
            CHECK(quantization_error(v, lp.params, range) <= raw.error * 1.1);
        }
    }
}

TEST_CASE("searches honour the scheme: power-of-two scales, narrow and reduced ranges") {
    const auto x = observer_data::generate("laplace", 13, 1.0f, 1, 50000)[0];
    const strided_view<const float> v(x.data(), x.size());
    histogram h(2048);
    h.observe(v);
    const scheme pow2{true, true};
    for (const qrange range : {qint8::range, qint8_narrow::range, qrange{-64, 63}, qint4::range}) {
        const search_result lp = lp_search(h, range, pow2), raw = mse_search(v, range, pow2);
        for (const qparams& p : {lp.params, raw.params}) {
            CHECK(p.zero_point == 0);
            CHECK(power_of_two_at_least(p.scale) == p.scale);
        }
        const qparams mm = calculate_qparams(observe_minmax(v), range, pow2);
        CHECK(raw.error <= quantization_error(v, mm, range));
        CHECK(lp.error <= expected_error(h, mm, range));
        histogram_observer pct(histogram_calibration::percentile_of(99.9));
        pct.observe(v);
        CHECK(power_of_two_at_least(pct.calculate_qparams(range, pow2).scale) ==
              pct.calculate_qparams(range, pow2).scale);
    }
}

TEST_CASE("entropy search on synthetic histograms; uniform data keeps (almost) every bin") {
    std::vector<float> u(100000);
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<float>(i % 5000) / 4999.0f;
    histogram h(2048, histogram_mode::magnitudes);
    h.observe({u.data(), u.size()});
    const entropy_result e = entropy_threshold(h, 128);
    CHECK(e.bins_kept >= 2000);
    CHECK(entropy_levels(qint8::range, {true}, false) == 128);
    CHECK(entropy_levels(quint8::range, {}, true) == 256);
    histogram small(64, histogram_mode::magnitudes);
    small.observe({u.data(), u.size()});
    CHECK(entropy_threshold(small, 128).threshold == small.hi());  // nothing to search
    histogram values(64);
    std::vector<float> neg{-1.0f, 1.0f};
    values.observe({neg.data(), neg.size()});
    CHECK_THROWS_AS(entropy_threshold(values, 8), qnum::error);
    // post-ReLU data: the spike of zeros pulls the published method's threshold down; flattening bin 0 lifts it
    const auto relu = observer_data::generate("relu", 12, 1.0f, 1, 100000)[0];
    histogram r(2048, histogram_mode::magnitudes);
    r.observe({relu.data(), relu.size()});
    CHECK(entropy_threshold(r, 256, true).threshold > entropy_threshold(r, 256).threshold);
    CHECK_THROWS_AS(entropy_threshold(small, 1), qnum::error);
}

TEST_CASE("raw-data MSE search: per tensor and per channel, strided, SIMD-independent") {
    const auto x = observer_data::generate("laplace", 8, 0.5f, 1, 16 * 300)[0];
    const strided_view<const float> w(x.data(), {16, 300});
    const strided_view<const float> wt(x.data(), {300, 16}, {1, 300});  // the same weights, transposed
    auto run = [&] { return mse_search_per_channel(w, 0, qint8::range, {true}); };
    const auto a = with_isa(false, run), b = with_isa(true, run);
    const auto t = mse_search_per_channel(wt, 1, qint8::range, {true});
    REQUIRE(a.size() == 16);
    for (std::size_t c = 0; c < 16; ++c) {
        CHECK(a[c].params == b[c].params);
        CHECK(a[c].error == b[c].error);
        CHECK(a[c].params == t[c].params);
        const strided_view<const float> row(x.data() + c * 300, 300);
        CHECK(mse_search(row, qint8::range, {true}).params == a[c].params);
        CHECK(a[c].error <=
              quantization_error(row, calculate_qparams(observe_minmax(row), qint8::range, {true}), qint8::range));
    }
    CHECK(mse_search_per_channel<qint8>(w, 0, {true}).channels() == 16);
    CHECK(mse_search(wt, qint8::range).params == mse_search(w, qint8::range).params);
    std::vector<float> nans(10, qnan);
    CHECK_THROWS_AS(mse_search({nans.data(), nans.size()}, qint8::range), qnum::error);
    CHECK_THROWS_AS(mse_search(w, qint8::range, {}, {2.0, 0}), qnum::error);
    CHECK_THROWS_AS(mse_search(w, qint8::range, {}, {-1.0, 10}), qnum::error);
    CHECK_THROWS_AS(mse_search_per_channel(w, 2, qint8::range), qnum::error);
    CHECK_THROWS_AS(quantization_error(w, {0.0f, 0}, qint8::range), qnum::error);
}

TEST_CASE("histogram_observer: every method, merge, restore, errors") {
    const auto batches = observer_data::generate("outliers", 9, 1.0f, 4, 20000);
    for (const auto& c : default_candidates()) {
        CAPTURE(c.name());
        histogram_observer one(c), merged(c);
        CHECK_THROWS_WITH_AS(one.calculate_qparams(qint8::range), doctest::Contains("no finite values"), qnum::error);
        for (const auto& b : batches) {
            one.observe({b.data(), b.size()});
            histogram_observer shard(c);
            shard.observe({b.data(), b.size()});
            merged.merge(shard);
        }
        const clip_range r = one.calculate_range(qint8::range, {true});
        CHECK(r.min <= 0.0f);
        CHECK(r.max > 0.0f);
        CHECK(r.min >= one.hist().header().min);
        CHECK(r.max <= one.hist().header().max);
        CHECK(merged.hist().total() == doctest::Approx(one.hist().total()).epsilon(1e-12));
        const qparams p = one.calculate_qparams(quint8::range);
        CHECK(is_valid_scale(p.scale));
        const histogram_observer restored(c, one.hist());
        CHECK(restored.calculate_qparams(quint8::range) == p);
        CHECK(one.params<qint8>(scheme{true}).scale() > 0.0f);
    }
    // the clipping methods cut the 0.2% outliers at 6..9 sigma; min-max keeps them
    histogram_observer mm(histogram_calibration::minmax()), pct(histogram_calibration::percentile_of(99.5));
    for (const auto& b : batches) mm.observe({b.data(), b.size()}), pct.observe({b.data(), b.size()});
    CHECK(pct.calculate_range(qint8::range, {true}).max < 0.6f * mm.calculate_range(qint8::range, {true}).max);
    histogram_observer a(histogram_calibration::entropy()), b(histogram_calibration::lp_norm());
    CHECK_THROWS_AS(a.merge(b), qnum::error);
    CHECK_THROWS_AS(histogram_observer(histogram_calibration::entropy(), histogram(16)), qnum::error);
}

TEST_CASE("mixed_observer picks the candidate with the smallest error, per tensor") {
    for (const char* dist : {"normal", "outliers", "relu"}) {
        CAPTURE(dist);
        const auto x = observer_data::generate(dist, 10, 1.0f, 1, 50000)[0];
        mixed_observer m;
        CHECK_THROWS_AS(m.calculate_qparams(qint8::range), qnum::error);
        m.observe({x.data(), x.size()});
        const auto all = m.evaluate(quint8::range);
        REQUIRE(all.size() == default_candidates().size());
        const candidate_score best = m.best(quint8::range);
        for (const auto& c : all) CHECK(best.error <= c.error);
        CHECK(m.calculate_qparams(quint8::range) == best.params);
        CHECK(m.params<quint8>().scale() == best.params.scale);
        mixed_observer half1, half2;
        half1.observe({x.data(), 25000});
        half2.observe({x.data() + 25000, 25000});
        half1.merge(half2);
        CHECK(half1.values().total() == doctest::Approx(m.values().total()).epsilon(1e-12));
    }
    CHECK_THROWS_AS(mixed_observer(std::vector<histogram_calibration>{}), qnum::error);
    CHECK_THROWS_AS(mixed_observer(default_candidates(), 0.0), qnum::error);
}

TEST_CASE("fixed_qparams_observer: user scale, clipping statistics, exact merge") {
    const fixed_qparams_observer proto({100.0f / 32768.0f, 0}, qint16::range);
    CHECK(proto.calculate_qparams().scale == 100.0f / 32768.0f);  // available before any data
    CHECK(proto.clipped_fraction() == 0.0);
    std::vector<float> x{-150.0f, -99.0f, 0.0f, 50.0f, 99.99f, 101.0f, 300.0f, qnan};
    fixed_qparams_observer o = proto, a = proto, b = proto;
    o.observe({x.data(), x.size()});
    CHECK(o.state().below == 1);
    CHECK(o.state().above == 2);
    CHECK(o.state().seen.nonfinite == 1);
    CHECK(o.clipped_fraction() == doctest::Approx(3.0 / 7.0));
    a.observe({x.data(), 3});
    b.observe({x.data() + 3, x.size() - 3});
    a.merge(fixed_qparams_observer(b.state()));
    CHECK(a.state().seen == o.state().seen);
    CHECK(a.state().below == o.state().below);
    CHECK(a.state().above == o.state().above);
    CHECK_THROWS_AS(fixed_qparams_observer({0.0f, 0}, qint16::range), qnum::error);
    CHECK_THROWS_AS(fixed_qparams_observer({1.0f, 300}, qint8::range), qnum::error);
    fixed_qparams_observer other({1.0f, 0}, qint16::range);
    CHECK_THROWS_AS(a.merge(other), qnum::error);
}

TEST_CASE("large batches: the SIMD paths and the reference agree on 16M-element-scale data") {
    const std::size_t n = static_cast<std::size_t>(heavy) * 250000 + 13;
    const std::vector<float> x = edgy_values(n, 91, false);
    auto run = [&] {
        histogram h(2048);
        h.observe({x.data(), x.size()});
        minmax_observer m;
        m.observe({x.data(), x.size()});
        return std::make_pair(h.counts(), m.state());
    };
    const auto a = with_isa(false, run), b = with_isa(true, run);
    CHECK(a.first == b.first);
    CHECK(a.second == b.second);
}

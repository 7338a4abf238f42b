// Tests for the sensitivity helper: ranking order and ties, top-k, the smallest raise set for each aggregate
// (checked against brute force over all subsets), best effort when the target is out of reach, and bad input.
#include <qnum/sensitivity.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace qnum;

TEST_CASE("sensitivity: ranking and top-k") {
    const std::vector<layer_metric> snr{{"fc1", 40, 70}, {"fc2", 22, 60}, {"fc3", 35, 66}, {"head", 22, 80}};
    // Worst SNR first; fc2 and head tie at 22 dB, head gains more from int16.
    CHECK(rank_by_sensitivity(snr, better::higher) == std::vector<std::size_t>{3, 1, 2, 0});
    CHECK(top_k_sensitive(snr, 2, better::higher) == std::vector<std::size_t>{3, 1});
    CHECK(top_k_sensitive(snr, 10, better::higher).size() == 4);
    const std::vector<layer_metric> mse{{"a", 1e-3, 1e-6}, {"b", 5e-3, 2e-6}, {"c", 1e-4, 1e-7}};
    CHECK(rank_by_sensitivity(mse, better::lower) == std::vector<std::size_t>{1, 0, 2});
}

TEST_CASE("sensitivity: worst-layer target") {
    const std::vector<layer_metric> snr{{"fc1", 40, 70}, {"fc2", 22, 60}, {"fc3", 35, 66}, {"head", 28, 80}};
    const precision_plan p = plan_precision(snr, 30.0, better::higher, aggregate::worst);
    CHECK(p.raise == std::vector<std::size_t>{1, 3});  // fc2 (22 dB) then head (28 dB)
    CHECK(p.before == 22.0);
    CHECK(p.achieved == 35.0);
    CHECK(p.met);
    // Already met: nothing to raise.
    const precision_plan none = plan_precision(snr, 20.0, better::higher);
    CHECK(none.raise.empty());
    CHECK(none.met);
    // Unreachable: fc2 cannot reach 65 dB even at int16; raise everything below the target that improves.
    const precision_plan best = plan_precision(snr, 65.0, better::higher);
    CHECK(!best.met);
    CHECK(best.raise.size() == 4);
    CHECK(best.achieved == 60.0);
}

TEST_CASE("sensitivity: sum and mean targets pick the fewest layers (brute force)") {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t n = 1 + static_cast<std::size_t>(trial % 9);
        std::vector<layer_metric> layers;
        for (std::size_t i = 0; i < n; ++i) {
            const double low = u(rng);
            layers.push_back({"l" + std::to_string(i), low, trial % 5 == 0 ? low * 1.5 : low * u(rng)});
        }
        const double target = u(rng) * 0.5 * static_cast<double>(n);
        for (aggregate agg : {aggregate::sum, aggregate::mean}) {
            const double t = agg == aggregate::mean ? target / static_cast<double>(n) : target;
            const precision_plan p = plan_precision(layers, t, better::lower, agg);
            // Brute force: the smallest subset whose aggregate is <= t.
            std::size_t best = n + 1;
            for (std::uint32_t mask = 0; mask < (1u << n); ++mask) {
                double s = 0.0;
                for (std::size_t i = 0; i < n; ++i) s += (mask >> i) & 1u ? layers[i].high : layers[i].low;
                if (agg == aggregate::mean) s /= static_cast<double>(n);
                if (s <= t) best = std::min<std::size_t>(best, static_cast<std::size_t>(__builtin_popcount(mask)));
            }
            CAPTURE(trial);
            if (best <= n) {
                CHECK(p.met);
                CHECK(p.raise.size() == best);
            } else {
                CHECK(!p.met);
            }
        }
    }
}

TEST_CASE("sensitivity: bad input") {
    CHECK_THROWS_AS(rank_by_sensitivity({}, better::higher), error);
    CHECK_THROWS_AS(plan_precision({{"x", std::nan(""), 1.0}}, 1.0, better::higher), error);
    CHECK_THROWS_AS(plan_precision({{"x", 1.0, 2.0}}, std::nan(""), better::higher), error);
}

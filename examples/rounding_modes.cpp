// Rounding modes: quantize the same values (ties at .5 included) with every mode qnum offers, chosen at run time,
// and show that stochastic rounding is unbiased: the mean of many quantizations of x converges to x / scale.
#include <qnum/quantize.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    const qnum::per_tensor<qnum::qint8> p(/*scale=*/1.0f);  // scale 1: codes are the rounded values themselves
    const std::vector<float> x = {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 0.3f, -0.7f};
    const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(x.size());
    const struct {
        const char* name;
        qnum::rounding_mode mode;
    } modes[] = {{"half_to_even", qnum::rounding_mode::half_to_even},
                 {"half_away_from_zero", qnum::rounding_mode::half_away_from_zero},
                 {"half_up", qnum::rounding_mode::half_up},
                 {"half_down", qnum::rounding_mode::half_down},
                 {"half_toward_zero", qnum::rounding_mode::half_toward_zero},
                 {"toward_zero", qnum::rounding_mode::toward_zero},
                 {"floor", qnum::rounding_mode::floor},
                 {"ceil", qnum::rounding_mode::ceil},
                 {"stochastic (seed 1)", qnum::rounding_mode::stochastic}};

    std::printf("%-20s", "x");
    for (float v : x) std::printf("%6.1f", v);
    std::printf("\n");
    std::vector<std::int8_t> q(x.size());
    for (const auto& m : modes) {
        qnum::quantize(qnum::strided_view<const float>(x.data(), {n}), {q.data(), {n}}, p, qnum::rounding{m.mode, 1});
        std::printf("%-20s", m.name);
        for (auto v : q) std::printf("%6d", v);
        std::printf("\n");
    }

    // Unbiasedness: 2^20 stochastic roundings of 0.3 average to 0.3 (round-to-nearest would give 0 every time).
    const std::ptrdiff_t draws = 1 << 20;
    std::vector<float> same(static_cast<std::size_t>(draws), 0.3f);
    std::vector<std::int8_t> codes(same.size());
    qnum::quantize(qnum::strided_view<const float>(same.data(), {draws}), {codes.data(), {draws}}, p,
                   qnum::round_stochastic{42});
    double sum = 0;
    for (auto c : codes) sum += c;
    const double mean = sum / static_cast<double>(draws);
    std::printf("\nstochastic rounding of 0.3, mean of %td draws: %.5f\n", draws, mean);
    return std::fabs(mean - 0.3) < 0.003 ? 0 : 1;
}

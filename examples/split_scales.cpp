// Splitting a non-uniform constant vector into two groups with their own scales before a division.
//
// A layer divides activations by a constant per-element vector c (e.g. a normalization or a per-channel
// de-scaling): y = x / c. If c is stored in int8 with one scale, its small entries get only a few levels — a
// relative rounding error of up to (scale / 2) / |c_i| — and the division turns that relative error of c_i straight
// into a relative error of y_i. Splitting c by magnitude into two groups (large and small entries), each with its own
// int8 scale, gives the small entries their own fine grid. The split point is chosen by trying every boundary of the
// sorted magnitudes and keeping the one with the smallest max relative error of c (a one-dimensional search, cheap for
// constant vectors).
//
// Self-checks: the split cuts the max relative error of y by > 10x and raises the SQNR of y by > 15 dB.
#include <qnum/qnum.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

namespace {

// Symmetric int8 fake quantization of the given entries of c with one scale (max |c| / 127).
void quantize_group(const std::vector<float>& c, const std::vector<std::size_t>& idx, std::vector<float>& out) {
    if (idx.empty()) return;
    float m = 0.0f;
    for (std::size_t i : idx) m = std::max(m, std::fabs(c[i]));
    const qnum::per_tensor<qnum::qint8> p(qnum::choose_qparams(-m, m, qnum::qint8::range, {true}));
    for (std::size_t i : idx) out[i] = qnum::dequantize_value(qnum::quantize_value(c[i], p), p);
}

// c in int8 with two groups: entries with |c| >= threshold share one scale, the rest another.
std::vector<float> split_quantize(const std::vector<float>& c, float threshold) {
    std::vector<std::size_t> big, small;
    for (std::size_t i = 0; i < c.size(); ++i) (std::fabs(c[i]) >= threshold ? big : small).push_back(i);
    std::vector<float> out(c.size());
    quantize_group(c, big, out);
    quantize_group(c, small, out);
    return out;
}

}  // namespace

int main() {
    std::mt19937 rng(11);
    const std::size_t n = 256;
    // Mostly O(1) constants plus a cluster of small ones (0.02 .. 0.1): non-uniform, two populations.
    std::uniform_real_distribution<float> big(0.5f, 4.0f), small(0.02f, 0.1f);
    std::vector<float> c(n);
    for (std::size_t i = 0; i < n; ++i) c[i] = i % 5 == 0 ? small(rng) : big(rng);

    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> x(n * 64);
    for (auto& v : x) v = d(rng);
    auto divide = [&](const std::vector<float>& cc) {
        std::vector<float> y(x.size());
        for (std::size_t k = 0; k < x.size(); ++k) y[k] = x[k] / cc[k % n];
        return y;
    };
    const auto y_ref = divide(c);

    // One scale.
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t{0});
    std::vector<float> c1(n);
    quantize_group(c, all, c1);

    // Two groups: best split of the sorted magnitudes by the max relative error of c.
    std::vector<float> mags(n);
    for (std::size_t i = 0; i < n; ++i) mags[i] = std::fabs(c[i]);
    std::sort(mags.begin(), mags.end());
    float best_t = mags[0];
    double best_err = HUGE_VAL;
    for (std::size_t j = 1; j < n; ++j) {
        const double err = qnum::compare(c, split_quantize(c, mags[j])).max_rel_error();
        if (err < best_err) best_err = err, best_t = mags[j];
    }
    const auto c2 = split_quantize(c, best_t);

    const auto e1 = qnum::compare(c, c1), e2 = qnum::compare(c, c2);
    const auto y1 = qnum::compare(y_ref, divide(c1)), y2 = qnum::compare(y_ref, divide(c2));
    std::printf("constant vector: %zu entries in [%.3g, %.3g]; split at |c| >= %.3g (%zu small entries)\n", n,
                static_cast<double>(mags.front()), static_cast<double>(mags.back()), static_cast<double>(best_t),
                static_cast<std::size_t>(std::lower_bound(mags.begin(), mags.end(), best_t) - mags.begin()));
    std::printf("\n%-22s %16s %14s %16s %12s\n", "int8 encoding of c", "max rel err c", "SQNR of y", "max rel err y",
                "cosine y");
    std::printf("%-22s %16.4g %11.1f dB %16.4g %12.8f\n", "one scale", e1.max_rel_error(), y1.sqnr_db(),
                y1.max_rel_error(), y1.cosine());
    std::printf("%-22s %16.4g %11.1f dB %16.4g %12.8f\n", "two groups", e2.max_rel_error(), y2.sqnr_db(),
                y2.max_rel_error(), y2.cosine());

    const bool ok = y2.max_rel_error() * 10.0 < y1.max_rel_error() && y2.sqnr_db() > y1.sqnr_db() + 15.0;
    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

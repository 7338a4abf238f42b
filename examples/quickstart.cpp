// Quick start: quantize a weight tensor [out_channels, in_features] to int8 per output channel (symmetric scales
// chosen from each row's range), dequantize it back, and print the error per channel.
#include <qnum/qnum.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main() {
    const std::ptrdiff_t out_channels = 6, in_features = 256;
    std::vector<float> w(static_cast<std::size_t>(out_channels * in_features));
    std::mt19937 rng(7);
    for (std::ptrdiff_t c = 0; c < out_channels; ++c) {  // rows with very different magnitudes
        std::normal_distribution<float> dist(0.0f, 0.01f * static_cast<float>(1 << c));
        for (std::ptrdiff_t k = 0; k < in_features; ++k) w[static_cast<std::size_t>(c * in_features + k)] = dist(rng);
    }

    // One symmetric scale per row, from the row's [min, max].
    std::vector<float> scales;
    for (std::ptrdiff_t c = 0; c < out_channels; ++c) {
        const auto row = w.begin() + c * in_features;
        const auto [lo, hi] = std::minmax_element(row, row + in_features);
        scales.push_back(qnum::choose_qparams(*lo, *hi, qnum::qint8::range, {/*symmetric=*/true}).scale);
    }
    const qnum::per_channel<qnum::qint8> params(scales, /*zero_points=*/{}, /*axis=*/0);

    std::vector<std::int8_t> q(w.size());
    std::vector<float> back(w.size());
    const qnum::strided_view<const float> w_view(w.data(), {out_channels, in_features});
    qnum::quantize(w_view, {q.data(), {out_channels, in_features}}, params);
    qnum::dequantize(qnum::strided_view<const std::int8_t>(q.data(), {out_channels, in_features}),
                     {back.data(), {out_channels, in_features}}, params);

    std::printf("channel      scale   max|err|  max|err|/scale   SQNR(dB)\n");
    for (std::ptrdiff_t c = 0; c < out_channels; ++c) {
        double signal = 0, noise = 0, max_err = 0;
        for (std::ptrdiff_t k = 0; k < in_features; ++k) {
            const auto i = static_cast<std::size_t>(c * in_features + k);
            const double e = static_cast<double>(back[i]) - w[i];
            signal += static_cast<double>(w[i]) * w[i];
            noise += e * e;
            max_err = std::max(max_err, std::abs(e));
        }
        const double scale = scales[static_cast<std::size_t>(c)];
        std::printf("%7td  %9.3g  %9.3g  %14.3f  %9.2f\n", c, scale, max_err, max_err / scale,
                    10.0 * std::log10(signal / noise));
        // Round-to-nearest errs by at most half a step (+ the float rounding of q * scale).
        if (max_err > 0.5 * scale * (1 + 1e-4)) return 1;
    }
    return 0;
}

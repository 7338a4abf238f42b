// Integer-only output stage of an int8 linear layer y = relu6(x W^T + b): from the float scales to per-channel
// fixed-point multipliers, int32 accumulators with a fused int32 bias, requantization with the ReLU6 clamp, and the
// result compared with the same layer computed in floating point. Every requantization method is shown.
#include <qnum/qnum.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int rows = 64, k_dim = 256, channels = 48;

template <class Method>
int run(const char* name, const std::vector<std::int32_t>& acc, const std::vector<std::int32_t>& bias,
        const std::vector<double>& multipliers, std::int32_t zp_y, qnum::qrange clamp, float s_y,
        const std::vector<double>& y_exact, const std::vector<double>& y_float) {
    const qnum::requantizer<std::int8_t, Method> rq(multipliers, zp_y, clamp);
    std::vector<std::int8_t> y_q(acc.size());
    rq.apply_rows(acc.data(), bias.data(), y_q.data(), rows, channels);

    int max_code_diff = 0, off_by_one = 0;
    double max_err = 0.0;
    for (std::size_t i = 0; i < acc.size(); ++i) {
        // reference code: the exact rescaled accumulator, rounded half to even, clamped
        const double r = std::clamp(std::nearbyint(y_exact[i]) + zp_y, double(clamp.min), double(clamp.max));
        const int diff = std::abs(static_cast<int>(y_q[i]) - static_cast<int>(r));
        max_code_diff = std::max(max_code_diff, diff);
        off_by_one += diff == 1;
        max_err = std::max(max_err, std::abs((y_q[i] - zp_y) * static_cast<double>(s_y) - y_float[i]));
    }
    std::printf("%-16s %14d %12d %22.4f %10.2f\n", name, max_code_diff, off_by_one, max_err, max_err / s_y);
    return max_code_diff <= 1 && max_err <= 0.5 * s_y + 0.05 ? 0 : 1;
}

}  // namespace

int main() {
    std::mt19937 rng(3);
    std::normal_distribution<float> act(0.5f, 1.0f), wdist(0.0f, 0.05f);
    std::vector<float> x(rows * k_dim), w(channels * k_dim), b(channels);
    for (auto& v : x) v = act(rng);
    for (int n = 0; n < channels; ++n)  // channels of different magnitudes: per-channel scales matter
        for (int k = 0; k < k_dim; ++k) w[n * k_dim + k] = wdist(rng) * (0.25f + static_cast<float>(n % 8) / 4);
    for (auto& v : b) v = 0.3f * act(rng);

    // Float scales: input affine int8, weights symmetric int8 per output channel, output from ReLU6's range.
    const auto [xmin, xmax] = std::minmax_element(x.begin(), x.end());
    const qnum::qparams px = qnum::choose_qparams(*xmin, *xmax, qnum::qint8::range);
    std::vector<float> s_w(channels);
    for (int n = 0; n < channels; ++n) {
        const auto [lo, hi] = std::minmax_element(w.begin() + n * k_dim, w.begin() + (n + 1) * k_dim);
        s_w[n] = qnum::choose_qparams(*lo, *hi, qnum::qint8::range, {/*symmetric=*/true}).scale;
    }
    const qnum::qparams py = qnum::choose_qparams(0.0f, 6.0f, qnum::qint8::range);

    // Quantized operands and the int32 bias (scale s_x * s_w[n], zero point 0), as an engine stores them.
    std::vector<std::int8_t> xq(x.size()), wq(w.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        xq[i] = qnum::saturating_cast<std::int8_t>(static_cast<std::int32_t>(std::nearbyint(x[i] / px.scale)) +
                                                   px.zero_point);
    for (int n = 0; n < channels; ++n)
        for (int k = 0; k < k_dim; ++k)
            wq[n * k_dim + k] = qnum::saturating_cast<std::int8_t>(
                static_cast<std::int32_t>(std::nearbyint(w[n * k_dim + k] / s_w[n])));
    std::vector<std::int32_t> bias(channels);
    std::vector<double> multipliers(channels);
    for (int n = 0; n < channels; ++n) {
        const double s_acc = static_cast<double>(px.scale) * s_w[n];
        bias[n] = static_cast<std::int32_t>(std::nearbyint(b[n] / s_acc));
        multipliers[n] = s_acc / py.scale;  // M_n = s_x * s_w[n] / s_y
    }

    // Integer accumulators (zero-point corrected), then the output stage with the fused bias and ReLU6 clamp.
    std::vector<std::int32_t> acc(rows * channels);
    for (int m = 0; m < rows; ++m)
        for (int n = 0; n < channels; ++n) {
            std::int32_t s = 0;
            for (int k = 0; k < k_dim; ++k) s += (xq[m * k_dim + k] - px.zero_point) * wq[n * k_dim + k];
            acc[m * channels + n] = s;
        }
    const qnum::qrange clamp = qnum::activation_range<std::int8_t>(qnum::fused_activation::relu6, py.scale,
                                                                  py.zero_point);

    // References: y_exact = the exact real value the integer pipeline approximates, (acc + bias) * M_n in output
    // units; y_float = the float layer on the unquantized operands.
    std::vector<double> y_exact(acc.size()), y_float(acc.size());
    for (int m = 0; m < rows; ++m)
        for (int n = 0; n < channels; ++n) {
            const std::size_t i = static_cast<std::size_t>(m * channels + n);
            y_exact[i] = (static_cast<double>(acc[i]) + bias[n]) * multipliers[n];
            double f = b[n];
            for (int k = 0; k < k_dim; ++k) f += static_cast<double>(x[m * k_dim + k]) * w[n * k_dim + k];
            y_float[i] = std::clamp(f, 0.0, 6.0);
        }

    std::printf("int8 linear layer %dx%d -> %d channels, ReLU6 clamp [%d, %d], output scale %.5f zero point %d\n",
                rows, k_dim, channels, clamp.min, clamp.max, static_cast<double>(py.scale), py.zero_point);
    std::printf("multipliers M_n = s_x s_w[n] / s_y in [%.3g, %.3g]; first as Q31: %d * 2^(%d - 31)\n",
                *std::min_element(multipliers.begin(), multipliers.end()),
                *std::max_element(multipliers.begin(), multipliers.end()),
                qnum::quantize_multiplier(multipliers[0]).multiplier, qnum::quantize_multiplier(multipliers[0]).shift);
    std::printf("\n%-16s %14s %12s %22s %10s\n", "method", "max code diff", "off by one", "max |y - y_float|",
                "in steps");
    int failures = 0;
    failures += run<qnum::double_rounding>("double_rounding", acc, bias, multipliers, py.zero_point, clamp, py.scale,
                                           y_exact, y_float);
    failures += run<qnum::single_rounding>("single_rounding", acc, bias, multipliers, py.zero_point, clamp, py.scale,
                                           y_exact, y_float);
    failures += run<qnum::rndnu>("rndnu", acc, bias, multipliers, py.zero_point, clamp, py.scale, y_exact, y_float);
    failures += run<qnum::fp32>("fp32", acc, bias, multipliers, py.zero_point, clamp, py.scale, y_exact, y_float);
    std::printf("\ncode diff: vs the exactly rescaled accumulator rounded half to even (ties and the fixed-point\n"
                "multiplier's rounding give the rare off-by-one); |y - y_float|: the dequantized output against the\n"
                "float layer, i.e. input, weight and output quantization together.\n");
    return failures;
}

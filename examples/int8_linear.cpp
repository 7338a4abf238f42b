// A quantized linear layer end to end: y = x W^T + b with x uint8 (per-tensor affine), W int8 (per-output-channel
// symmetric, packed once), int32 accumulation with the zero-point correction and an int32 bias, finished two ways:
//   1. fused dequantize stage (scale_x * scale_w[j]) -> float y, and
//   2. fused per-channel requantize (multiplier scale_x * scale_w[j] / scale_y, TFLite double rounding) -> uint8 y,
//      as the next quantized layer would consume it, then dequantized for the comparison.
// Compared with the float layer: SQNR and speed (the float reference is a plain compiled loop, vectorised by the
// compiler — not a BLAS).
#include <qnum/qnum.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

template <class F>
double best_ms(F&& f, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

double sqnr_db(const std::vector<float>& ref, const std::vector<float>& test) {
    double signal = 0, noise = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        signal += double(ref[i]) * ref[i];
        noise += (double(ref[i]) - test[i]) * (double(ref[i]) - test[i]);
    }
    return 10.0 * std::log10(signal / noise);
}

}  // namespace

int main() {
    const std::size_t batch = 64, in_features = 1024, out_features = 1024;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> act(-0.5f, 2.0f);  // e.g. after a shifted activation: asymmetric
    std::normal_distribution<float> weight(0.0f, 0.05f);
    std::vector<float> x(batch * in_features), w(out_features * in_features), bias(out_features);
    for (auto& v : x) v = act(rng);
    for (auto& v : w) v = weight(rng);
    for (auto& v : bias) v = weight(rng);

    // Float reference, y[i][j] = sum_k x[i][k] w[j][k] + b[j] (W transposed once so the inner loop is contiguous).
    std::vector<float> wt(in_features * out_features), y(batch * out_features);
    for (std::size_t j = 0; j < out_features; ++j)
        for (std::size_t k = 0; k < in_features; ++k) wt[k * out_features + j] = w[j * in_features + k];
    auto float_layer = [&] {
        for (std::size_t i = 0; i < batch; ++i) {
            float* yi = y.data() + i * out_features;
            std::copy(bias.begin(), bias.end(), yi);
            for (std::size_t k = 0; k < in_features; ++k) {
                const float xik = x[i * in_features + k];
                const float* wk = wt.data() + k * out_features;
                for (std::size_t j = 0; j < out_features; ++j) yi[j] += xik * wk[j];
            }
        }
    };
    const double float_ms = best_ms(float_layer, 5);

    // Weights: int8, one symmetric scale per output channel, packed once into the kernel layout.
    std::vector<float> w_scales(out_features);
    for (std::size_t j = 0; j < out_features; ++j) {
        const auto row = w.begin() + std::ptrdiff_t(j * in_features);
        const auto [lo, hi] = std::minmax_element(row, row + std::ptrdiff_t(in_features));
        w_scales[j] = qnum::choose_qparams(*lo, *hi, qnum::qint8::range, {/*symmetric=*/true}).scale;
    }
    std::vector<std::int8_t> wq(w.size());
    const auto shape_w = std::vector<std::ptrdiff_t>{std::ptrdiff_t(out_features), std::ptrdiff_t(in_features)};
    qnum::quantize(qnum::strided_view<const float>(w.data(), {shape_w[0], shape_w[1]}),
                   {wq.data(), {shape_w[0], shape_w[1]}}, qnum::per_channel<qnum::qint8>(w_scales, {}, 0));
    const qnum::packed_matrix_b<std::uint8_t, std::int8_t> w_packed(wq.data(), in_features, out_features, in_features,
                                                                    qnum::b_layout::n_by_k);

    // Activations: uint8, per-tensor affine from the observed range. Bias: int32 in units of scale_x * scale_w[j].
    const auto [x_lo, x_hi] = std::minmax_element(x.begin(), x.end());
    const qnum::per_tensor<qnum::quint8> x_params(qnum::choose_qparams(*x_lo, *x_hi, qnum::quint8::range));
    std::vector<std::uint8_t> xq(x.size());
    std::vector<std::int32_t> bias_q(out_features);
    std::vector<float> out_scales(out_features), yq(batch * out_features);
    for (std::size_t j = 0; j < out_features; ++j) {
        out_scales[j] = x_params.scale() * w_scales[j];
        bias_q[j] = static_cast<std::int32_t>(std::lround(bias[j] / out_scales[j]));
    }
    namespace os = qnum::output_stage;
    auto int8_layer = [&] {
        qnum::quantize(qnum::strided_view<const float>(x.data(), {std::ptrdiff_t(batch), std::ptrdiff_t(in_features)}),
                       {xq.data(), {std::ptrdiff_t(batch), std::ptrdiff_t(in_features)}}, x_params);
        qnum::gemm(batch, xq.data(), in_features, x_params.zero_point(), w_packed,
                   os::chain(os::bias{bias_q.data()},
                             os::dequantize{yq.data(), out_features, out_scales.data(), out_features}));
    };
    const double int8_ms = best_ms(int8_layer, 20);

    // Requantized output: uint8 with per-tensor output parameters from the float layer's range (calibration).
    const auto [y_lo, y_hi] = std::minmax_element(y.begin(), y.end());
    const qnum::per_tensor<qnum::quint8> y_params(qnum::choose_qparams(*y_lo, *y_hi, qnum::quint8::range));
    std::vector<double> multipliers(out_features);
    for (std::size_t j = 0; j < out_features; ++j) multipliers[j] = double(out_scales[j]) / double(y_params.scale());
    const qnum::requantizer<std::uint8_t> requant(multipliers, y_params.zero_point(), qnum::quint8::range);
    std::vector<std::uint8_t> y_u8(batch * out_features);
    std::vector<float> y_back(batch * out_features);
    auto requant_layer = [&] {
        qnum::quantize(qnum::strided_view<const float>(x.data(), {std::ptrdiff_t(batch), std::ptrdiff_t(in_features)}),
                       {xq.data(), {std::ptrdiff_t(batch), std::ptrdiff_t(in_features)}}, x_params);
        qnum::gemm(batch, xq.data(), in_features, x_params.zero_point(), w_packed,
                   os::chain(os::bias{bias_q.data()}, os::requantize_to(requant, y_u8.data(), out_features)));
    };
    const double requant_ms = best_ms(requant_layer, 20);
    qnum::dequantize(
        qnum::strided_view<const std::uint8_t>(y_u8.data(), {std::ptrdiff_t(batch), std::ptrdiff_t(out_features)}),
        {y_back.data(), {std::ptrdiff_t(batch), std::ptrdiff_t(out_features)}}, y_params);

    std::printf("linear %zu x %zu -> %zu (dispatch: %s)\n", batch, in_features, out_features,
                qnum::isa_name(qnum::best_isa()));
    std::printf("  float reference   %8.3f ms\n", float_ms);
    std::printf("  uint8 x int8      %8.3f ms  (quantize x + GEMM + bias + dequantize), %.1fx the float loop\n",
                int8_ms, float_ms / int8_ms);
    std::printf(
        "  uint8 x int8      %8.3f ms  (quantize x + GEMM + bias + per-channel requantize to uint8), %.1fx the float "
        "loop\n",
        requant_ms, float_ms / requant_ms);
    const double sqnr = sqnr_db(y, yq), sqnr_u8 = sqnr_db(y, y_back);
    std::printf("  SQNR vs float     %8.2f dB (float output), %.2f dB (uint8 output, includes its own rounding)\n",
                sqnr, sqnr_u8);
    return sqnr > 30.0 && sqnr_u8 > 25.0 ? 0 : 1;  // 8-bit weights and activations: expect roughly 35-45 dB
}

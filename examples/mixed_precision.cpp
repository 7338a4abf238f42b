// Mixed int8 / int16 precision for a small synthetic MLP, the workflow of quantization toolkits: quantize one layer
// at a time (weights per tensor, symmetric; input activations per tensor, affine; fake quantization) at int8 and at
// int16, measure the SNR of the model output against float for each, rank the layers by their int8 SNR, raise the
// top-k most sensitive ones to int16 and re-check the whole model. Some layers have outlier weights or outlier
// activation channels, so int8 hurts them much more than the others.
//
// Self-checks: the plan picked by qnum::plan_precision for an SNR target is met, and raising the top-k layers
// improves the all-int8 model's SNR.
#include <qnum/qnum.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int width = 128, batch = 64, depth = 6;
enum class precision { f32, i8, i16 };

struct mlp {
    std::vector<std::vector<float>> w;  // [depth][width * width]
    explicit mlp(std::mt19937& rng) {
        std::normal_distribution<float> d(0.0f, 1.0f / std::sqrt(static_cast<float>(width)));
        for (int l = 0; l < depth; ++l) {
            std::vector<float> m(width * width);
            for (auto& v : m) v = d(rng);
            if (l == 1) m[5] *= 40.0f;  // one outlier weight
            if (l == 4)
                for (int o = 0; o < width; ++o) m[o * width + 7] *= 25.0f;  // one hot input channel
            w.push_back(std::move(m));
        }
    }
};

// Fake-quantizes x in place per tensor: symmetric for weights, affine min-max for activations.
void fake_quant(std::vector<float>& x, precision p, bool symmetric) {
    if (p == precision::f32) return;
    const qnum::strided_view<const float> in(x.data(), x.size());
    const auto s = qnum::observe_minmax(in);
    const qnum::scheme sch{symmetric};
    if (p == precision::i8) {
        const auto params = qnum::per_tensor<qnum::qint8>(qnum::calculate_qparams(s, qnum::qint8::range, sch));
        qnum::fake_quantize(in, {x.data(), x.size()}, params);
    } else {
        const auto params = qnum::per_tensor<qnum::qint16>(qnum::calculate_qparams(s, qnum::qint16::range, sch));
        qnum::fake_quantize(in, {x.data(), x.size()}, params);
    }
}

// Runs the MLP (relu between layers, none after the last) with layer l at precision[l].
std::vector<float> run(const mlp& net, const std::vector<float>& input, const std::vector<precision>& prec) {
    std::vector<float> x = input, y(batch * width);
    for (int l = 0; l < depth; ++l) {
        std::vector<float> w = net.w[static_cast<std::size_t>(l)];
        fake_quant(w, prec[static_cast<std::size_t>(l)], true);
        fake_quant(x, prec[static_cast<std::size_t>(l)], false);
        for (int n = 0; n < batch; ++n)
            for (int o = 0; o < width; ++o) {
                float acc = 0.0f;
                for (int i = 0; i < width; ++i) acc += w[o * width + i] * x[n * width + i];
                y[n * width + o] = l + 1 < depth && acc < 0.0f ? 0.0f : acc;
            }
        std::swap(x, y);
    }
    return x;
}

}  // namespace

int main() {
    std::mt19937 rng(42);
    const mlp net(rng);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> input(batch * width);
    for (auto& v : input) v = d(rng);
    for (int n = 0; n < batch; ++n) input[n * width + 3] *= 20.0f;  // an outlier input channel for layer 0

    const std::vector<float> ref = run(net, input, std::vector<precision>(depth, precision::f32));
    auto model_snr = [&](const std::vector<precision>& prec) {
        const auto out = run(net, input, prec);
        return qnum::compare(ref, out).snr_db();
    };

    // Per-layer sensitivity: only layer l quantized, at int8 and at int16.
    std::vector<qnum::layer_metric> layers;
    std::printf("%-8s %12s %12s %10s %12s\n", "layer", "SNR int8", "SNR int16", "cos int8", "max err int8");
    for (int l = 0; l < depth; ++l) {
        std::vector<precision> p8(depth, precision::f32), p16 = p8;
        p8[static_cast<std::size_t>(l)] = precision::i8;
        p16[static_cast<std::size_t>(l)] = precision::i16;
        const auto c8 = qnum::compare(ref, run(net, input, p8));
        const double s16 = model_snr(p16);
        layers.push_back({"fc" + std::to_string(l), c8.snr_db(), s16});
        std::printf("%-8s %9.2f dB %9.2f dB %10.6f %12.3g\n", layers.back().name.c_str(), c8.snr_db(), s16, c8.cosine(),
                    c8.max_abs_error());
    }

    const std::size_t k = 2;
    const auto top = qnum::top_k_sensitive(layers, k, qnum::better::higher);
    std::vector<precision> all8(depth, precision::i8), all16(depth, precision::i16), mixed = all8;
    std::printf("\ntop-%zu sensitive layers by int8 SNR:", k);
    for (std::size_t i : top) mixed[i] = precision::i16, std::printf(" %s", layers[i].name.c_str());
    const double snr8 = model_snr(all8), snr_mixed = model_snr(mixed), snr16 = model_snr(all16);
    std::printf("\nwhole model SNR: all int8 %.2f dB, top-%zu to int16 %.2f dB, all int16 %.2f dB\n", snr8, k,
                snr_mixed, snr16);

    // Smallest set so that every layer alone keeps >= 35 dB.
    const auto plan = qnum::plan_precision(layers, 35.0, qnum::better::higher, qnum::aggregate::worst);
    std::printf("per-layer target 35 dB: raise");
    for (std::size_t i : plan.raise) std::printf(" %s", layers[i].name.c_str());
    std::printf(" -> worst layer %.2f dB (was %.2f dB), met: %s\n", plan.achieved, plan.before,
                plan.met ? "yes" : "no");

    const bool ok = plan.met && snr_mixed > snr8 + 3.0 && snr16 > snr_mixed;
    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

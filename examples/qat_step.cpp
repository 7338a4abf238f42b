// QAT math without a framework: fold a batch norm into a linear layer's weights, then run one LSQ training step on
// the folded weights' fake quantizer (forward, STE backward, learned step size) and PACT on the activation clip.
#include <qnum/bn_fold.hpp>
#include <qnum/metrics.hpp>
#include <qnum/qat.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main() {
    const std::size_t out = 16, in = 64;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(out * in), bias(out), gamma(out), beta(out), mean(out), var(out);
    for (auto& v : w) v = 0.1f * normal(rng);
    for (std::size_t c = 0; c < out; ++c) {
        bias[c] = 0.05f * normal(rng);
        gamma[c] = 1.0f + 0.2f * normal(rng);
        beta[c] = 0.1f * normal(rng);
        mean[c] = 0.1f * normal(rng);
        var[c] = 0.5f + std::fabs(normal(rng));
    }

    // 1. BN folding with running statistics: W'[c,:] = W[c,:] * gamma_c / sqrt(var_c + eps), b' = beta + (b - mean) f.
    std::vector<float> w_folded(w.size());
    const qnum::batchnorm_params bn{gamma.data(), beta.data(), mean.data(), var.data(), 1e-5f};
    const std::vector<float> b_folded = qnum::fold_batchnorm(w.data(), w_folded.data(), out, in, bias.data(), bn);
    std::printf("folded bias[0..3]: %.4f %.4f %.4f %.4f\n", b_folded[0], b_folded[1], b_folded[2], b_folded[3]);

    // 2. LSQ on the folded weights: int8 symmetric, step size initialised to 2 mean|w| / sqrt(qmax) (Esser et al.).
    double mean_abs = 0;
    for (float v : w_folded) mean_abs += std::fabs(v);
    mean_abs /= static_cast<double>(w_folded.size());
    qnum::fake_quant_params fq{static_cast<float>(2 * mean_abs / std::sqrt(127.0)), 0.0f, {-127, 127}};
    const double g = qnum::lsq_grad_scale(w_folded.size(), 127);

    std::vector<float> wq(w.size()), dy(w.size()), dx(w.size());
    for (int step = 0; step < 50; ++step) {
        qnum::fake_quant_forward(w_folded.data(), wq.data(), w.size(), fq);
        // Loss L = 1/2 sum (wq - w)^2: dL/dwq = wq - w (the quantizer learns the step that best fits the weights).
        for (std::size_t i = 0; i < w.size(); ++i) dy[i] = wq[i] - w_folded[i];
        const qnum::lsq_gradients grads = qnum::lsq_backward(w_folded.data(), dy.data(), dx.data(), w.size(), fq, g);
        fq.scale -= static_cast<float>(0.01 * grads.scale);
        if (step % 10 == 0 || step == 49) {
            const auto cmp = qnum::compare({w_folded.data(), {static_cast<std::ptrdiff_t>(w.size())}},
                                           {wq.data(), {static_cast<std::ptrdiff_t>(w.size())}});
            std::printf("step %2d  scale %.6f  SQNR %.2f dB\n", step, fq.scale, cmp.sqnr_db());
        }
    }

    // 3. PACT: activations clipped to [0, alpha], 4-bit; the gradient of alpha is the upstream gradient of the clipped.
    std::vector<float> act(4096), act_q(act.size()), dact(act.size(), 1.0f);
    for (auto& v : act) v = std::fabs(2.0f * normal(rng));
    const float alpha = 3.0f;
    qnum::pact_forward(act.data(), act_q.data(), act.size(), alpha, 4);
    const double dalpha = qnum::pact_backward(act.data(), dact.data(), nullptr, act.size(), alpha);
    std::printf("PACT: dL/dalpha = %.0f (elements at or above alpha)\n", dalpha);
    return fq.scale > 0 && dalpha > 0 ? 0 : 1;
}

// Tests for the QAT math and batch-norm folding: forward values by hand, STE masks, LSQ / LSQ+ and PACT gradients
// against central finite differences of the STE surrogate (the forward pass with the rounding residue frozen, which
// is the function whose derivative the STE defines), the gradient scale, DoReFa by hand, BN folding against
// layer + BN in eval and training mode (fold then freeze), and bad input.
#include <qnum/bn_fold.hpp>
#include <qnum/qat.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace qnum;

namespace {

std::vector<float> uniform(std::size_t n, unsigned seed, float lo, float hi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Keeps values whose v = (x - offset) / scale is at least `margin` away from the clamp bounds, so central
// differences do not straddle a kink.
std::vector<float> away_from_kinks(const std::vector<float>& x, const fake_quant_params& p, double margin) {
    std::vector<float> out;
    for (float xi : x) {
        const double v = (static_cast<double>(xi) - p.offset) / p.scale;
        if (std::fabs(v - p.range.min) > margin && std::fabs(v - p.range.max) > margin) out.push_back(xi);
    }
    return out;
}

// Loss of the STE surrogate: sum dy * (s * (clamp(v) + d) + beta), with the rounding residue d frozen at (s0, b0).
double surrogate(const std::vector<float>& x, const std::vector<float>& dy, const std::vector<double>& d, double s,
                 double b, const fake_quant_params& p) {
    double loss = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        double v = (x[i] - b) / s;
        v = std::fmin(std::fmax(v, p.range.min), p.range.max);
        loss += dy[i] * (s * (v + d[i]) + b);
    }
    return loss;
}

std::vector<double> residues(const std::vector<float>& x, double s, double b, const fake_quant_params& p) {
    std::vector<double> d;
    for (float xi : x) {
        double v = (xi - b) / s;
        v = std::fmin(std::fmax(v, p.range.min), p.range.max);
        d.push_back(std::nearbyint(v) - v);
    }
    return d;
}

}  // namespace

TEST_CASE("qat: fake-quant forward and STE masks by hand") {
    const fake_quant_params p{0.5f, 0.25f, {-4, 3}};
    const std::vector<float> x{0.25f, 0.5f, 0.75f, 1.0f, -3.0f, 5.0f, 1.75f};
    // v = (x - 0.25) / 0.5 = 0, 0.5, 1, 1.5, -6.5, 9.5, 3  ->  q = 0, 0, 1, 2, -4, 3, 3 (half to even, clamped)
    std::vector<float> y(x.size());
    fake_quant_forward(x.data(), y.data(), x.size(), p);
    CHECK(y == std::vector<float>{0.25f, 0.25f, 0.75f, 1.25f, -1.75f, 1.75f, 1.75f});
    const std::vector<float> dy(x.size(), 2.0f);
    std::vector<float> dx(x.size());
    ste_backward(x.data(), dy.data(), dx.data(), x.size(), p, true);
    CHECK(dx == std::vector<float>{2, 2, 2, 2, 0, 0, 2});  // v == qmax (3) is inside, as torch.clamp's gradient
    ste_backward(x.data(), dy.data(), dx.data(), x.size(), p, false);
    CHECK(dx == dy);
    // LSQ gradient by hand: in range round(v) - v = 0, -0.5, 0, 0.5, 0 (v = 3); below: qmin = -4; above: qmax = 3.
    const lsq_gradients g = lsq_backward(x.data(), dy.data(), dx.data(), x.size(), p, 1.0);
    CHECK(g.scale == 2.0 * (0.0 - 0.5 + 0.0 + 0.5 - 4.0 + 3.0 + 0.0));
    CHECK(g.offset == 2.0 * 2);
    CHECK(lsq_grad_scale(100, 127) == doctest::Approx(1.0 / std::sqrt(12700.0)));
}

TEST_CASE("qat: PyTorch's learnable fake quantization by hand") {
    const std::vector<float> x{0.2f, 0.25f, 1.0f, 5.0f, -5.0f}, dy(5, 1.0f);
    // x / 0.5 = 0.4, 0.5, 2, 10, -10 -> round (half to even) 0, 0, 2, 10, -10 -> + zp 1 -> clamp to [-4, 3]
    std::vector<float> y(5), dx(5);
    learnable_fake_quant_forward(x.data(), y.data(), 5, 0.5f, 1, {-4, 3});
    CHECK(y == std::vector<float>{0.0f, 0.0f, 1.0f, 1.0f, -2.5f});
    const fake_quant_gradients g =
        learnable_fake_quant_backward(x.data(), dy.data(), dx.data(), 5, 0.5f, 1, {-4, 3}, 1.0);
    CHECK(dx == std::vector<float>{1, 1, 1, 0, 0});
    CHECK(g.scale == doctest::Approx(-0.4 - 0.5 + 0.0 + (3 - 1) + (-4 - 1)).epsilon(1e-7));  // (y - x) / s inside
    CHECK(g.zero_point == -1.0);                                                             // -s per clipped value
    CHECK(learnable_fake_quant_backward(x.data(), dy.data(), nullptr, 5, 0.5f, 1, {-4, 3}, 0.25).zero_point == -0.25);
    CHECK_THROWS_AS(learnable_fake_quant_forward(x.data(), y.data(), 5, 0.5f, 9, {-4, 3}), error);
}

TEST_CASE("qat: LSQ and LSQ+ gradients match finite differences of the STE surrogate") {
    for (int variant = 0; variant < 3; ++variant) {
        const fake_quant_params p = variant == 0   ? fake_quant_params{0.02f, 0.0f, {-128, 127}}  // LSQ int8
                                    : variant == 1 ? fake_quant_params{0.1f, -0.3f, {0, 15}}      // LSQ+ uint4
                                                   : fake_quant_params{0.05f, 0.1f, {-8, 7}};     // LSQ+ int4
        CAPTURE(variant);
        const auto x = away_from_kinks(uniform(4000, 7 + static_cast<unsigned>(variant), -3.0f, 3.0f), p, 1e-3);
        const auto dy = uniform(x.size(), 99, -1.0f, 1.0f);
        std::vector<float> dx(x.size());
        const double g = lsq_grad_scale(x.size(), p.range.max);
        const lsq_gradients got = lsq_backward(x.data(), dy.data(), dx.data(), x.size(), p, g);
        const auto d = residues(x, p.scale, p.offset, p);
        const double hs = 1e-7 * p.scale, hb = 1e-7;
        const double fd_s =
            (surrogate(x, dy, d, p.scale + hs, p.offset, p) - surrogate(x, dy, d, p.scale - hs, p.offset, p)) /
            (2 * hs);
        const double fd_b =
            (surrogate(x, dy, d, p.scale, p.offset + hb, p) - surrogate(x, dy, d, p.scale, p.offset - hb, p)) /
            (2 * hb);
        CHECK(got.scale / g == doctest::Approx(fd_s).epsilon(1e-5));
        CHECK(got.offset / g == doctest::Approx(fd_b).epsilon(1e-5));
        // dx: d(surrogate)/dx_i = dy_i inside the range, 0 outside.
        for (std::size_t i = 0; i < x.size(); i += 97) {
            const double v = (static_cast<double>(x[i]) - p.offset) / p.scale;
            CHECK(dx[i] == (v >= p.range.min && v <= p.range.max ? dy[i] : 0.0f));
        }
    }
}

TEST_CASE("qat: PACT") {
    const float alpha = 2.0f;
    const std::vector<float> x{-1.0f, 0.0f, 0.5f, 1.9f, 2.0f, 3.0f};
    std::vector<float> y(x.size()), dx(x.size());
    pact_forward(x.data(), y.data(), x.size(), alpha, 2);  // levels 0, 2/3, 4/3, 2
    CHECK(y[0] == 0.0f);
    CHECK(y[2] == doctest::Approx(2.0f / 3.0f));  // 0.5 * 1.5 = 0.75 -> 1
    CHECK(y[3] == 2.0f);                          // 1.9 * 1.5 = 2.85 -> 3
    CHECK(y[5] == 2.0f);
    const std::vector<float> dy{1, 2, 3, 4, 5, 6};
    CHECK(pact_backward(x.data(), dy.data(), dx.data(), x.size(), alpha) == 11.0);  // x >= alpha: 5 + 6
    CHECK(dx == std::vector<float>{0, 2, 3, 4, 5, 0});
    // Finite differences of the surrogate clamp(x, 0, alpha) + frozen residue, away from the kink at alpha.
    auto xs = uniform(3000, 5, -1.0f, 4.0f);
    std::vector<float> kept;
    for (float v : xs)
        if (std::fabs(v - alpha) > 1e-3f && std::fabs(v) > 1e-3f) kept.push_back(v);
    const auto g = uniform(kept.size(), 6, -1.0f, 1.0f);
    const double h = 1e-6;
    auto loss = [&](double a) {
        double s = 0.0;
        for (std::size_t i = 0; i < kept.size(); ++i) s += g[i] * std::fmin(std::fmax(kept[i], 0.0), a);
        return s;
    };
    const double fd = (loss(alpha + h) - loss(alpha - h)) / (2 * h);
    CHECK(pact_backward(kept.data(), g.data(), nullptr, kept.size(), alpha) == doctest::Approx(fd).epsilon(1e-6));
}

TEST_CASE("qat: DoReFa weights") {
    const std::vector<float> w{0.0f, 1.0f, -1.0f, 2.0f};
    std::vector<float> q(w.size());
    dorefa_weights(w.data(), q.data(), w.size(), 2);
    // tanh / (2 max) + 0.5 = 0.5, 0.895, 0.105, 1  ->  x3 rounded = 2, 3, 0, 3  ->  2 q / 3 - 1
    CHECK(q[0] == doctest::Approx(1.0f / 3.0f));
    CHECK(q[1] == 1.0f);
    CHECK(q[2] == -1.0f);
    CHECK(q[3] == 1.0f);
    dorefa_weights(w.data(), q.data(), w.size(), 1);
    CHECK(q == std::vector<float>{1.0f, 1.0f, -1.0f, 1.0f});  // mean |w| = 1
    const std::vector<float> z(3, 0.0f);
    dorefa_weights(z.data(), q.data(), 3, 4);
    CHECK(q[0] == 0.0f);
}

TEST_CASE("bn_fold: folded layer equals layer + BN (eval and training, fold then freeze)") {
    const std::size_t out = 8, k = 12, batch = 16;
    const auto w = uniform(out * k, 1, -1.0f, 1.0f), b = uniform(out, 2, -0.5f, 0.5f);
    const auto gamma = uniform(out, 3, 0.5f, 1.5f), beta = uniform(out, 4, -0.5f, 0.5f);
    const auto rmean = uniform(out, 5, -0.2f, 0.2f), rvar = uniform(out, 6, 0.5f, 2.0f);
    const auto xs = uniform(batch * k, 7, -2.0f, 2.0f);
    const float eps = 1e-5f;
    auto layer = [&](const std::vector<float>& wt, const float* bias, std::size_t n, std::size_t c) {
        double z = bias ? bias[c] : 0.0;
        for (std::size_t j = 0; j < k; ++j) z += static_cast<double>(wt[c * k + j]) * xs[n * k + j];
        return z;
    };
    // Eval mode: running statistics.
    const batchnorm_params run{gamma.data(), beta.data(), rmean.data(), rvar.data(), eps};
    std::vector<float> wf(w.size());
    const auto bf = fold_batchnorm(w.data(), wf.data(), out, k, b.data(), run);
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t c = 0; c < out; ++c) {
            const double want = gamma[c] * (layer(w, b.data(), n, c) - rmean[c]) / std::sqrt(rvar[c] + 1e-5) + beta[c];
            CHECK(layer(wf, bf.data(), n, c) == doctest::Approx(want).epsilon(1e-5));
        }
    // Training mode before the freeze: batch statistics of z, weights folded with the running variance, output
    // corrected by sigma_running / sigma_batch, bias from the batch statistics.
    std::vector<float> bmean(out), bvar(out);
    for (std::size_t c = 0; c < out; ++c) {
        double s = 0.0, s2 = 0.0;
        for (std::size_t n = 0; n < batch; ++n) s += layer(w, b.data(), n, c);
        const double m = s / batch;
        for (std::size_t n = 0; n < batch; ++n) s2 += (layer(w, b.data(), n, c) - m) * (layer(w, b.data(), n, c) - m);
        bmean[c] = static_cast<float>(m);
        bvar[c] = static_cast<float>(s2 / batch);  // biased, as BN normalizes with
    }
    const batchnorm_params bat{gamma.data(), beta.data(), bmean.data(), bvar.data(), eps};
    const auto corr = bn_correction(rvar.data(), bvar.data(), out, eps);
    const auto bb = fold_bias(b.data(), bat, out);
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t c = 0; c < out; ++c) {
            const double want = gamma[c] * (layer(w, b.data(), n, c) - bmean[c]) / std::sqrt(bvar[c] + 1e-5) + beta[c];
            const double got = layer(wf, nullptr, n, c) * corr[c] + bb[c];
            CHECK(got == doctest::Approx(want).epsilon(1e-5));
        }
    // Factors, no gamma/beta/bias, in place.
    const auto f = bn_fold_factors({nullptr, nullptr, rmean.data(), rvar.data(), eps}, out);
    std::vector<float> w2 = w;
    const auto b2 =
        fold_batchnorm(w2.data(), w2.data(), out, k, nullptr, {nullptr, nullptr, rmean.data(), rvar.data(), eps});
    CHECK(f[0] == doctest::Approx(1.0 / std::sqrt(rvar[0] + 1e-5)));
    CHECK(w2[3] == doctest::Approx(w[3] * f[0]));
    CHECK(b2[1] == doctest::Approx(-rmean[1] * f[1]));
}

TEST_CASE("qat / bn_fold: bad input") {
    const float x = 1.0f;
    float y = 0.0f;
    CHECK_THROWS_AS(fake_quant_forward(&x, &y, 1, {0.0f, 0.0f, {-128, 127}}), error);
    CHECK_THROWS_AS(fake_quant_forward(&x, &y, 1, {1.0f, std::nanf(""), {-128, 127}}), error);
    CHECK_THROWS_AS(ste_backward(&x, &x, &y, 1, {-1.0f, 0.0f, {-128, 127}}), error);
    CHECK_THROWS_AS(lsq_backward(&x, &x, &y, 1, {1.0f, 0.0f, {5, 5}}, 1.0), error);
    CHECK_THROWS_AS(lsq_grad_scale(0, 127), error);
    CHECK_THROWS_AS(pact_forward(&x, &y, 1, 0.0f, 8), error);
    CHECK_THROWS_AS(pact_forward(&x, &y, 1, 1.0f, 0), error);
    CHECK_THROWS_AS(dorefa_weights(&x, &y, 1, 17), error);
    const float m = 0.0f, v = -1.0f;
    CHECK_THROWS_AS(bn_fold_factors({nullptr, nullptr, &m, &v, 1e-5f}, 1), error);
    CHECK_THROWS_AS(bn_fold_factors({nullptr, nullptr, nullptr, &v, 1e-5f}, 1), error);
    CHECK_THROWS_AS(bn_correction(&v, &v, 1, 1e-5f), error);
}

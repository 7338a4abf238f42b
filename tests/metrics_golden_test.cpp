// Golden vectors from PyTorch / NumPy (tests/golden/make_metrics.py): every metric on several tensor pairs (float64
// NumPy and torch.nn.functional, PyTorch Numeric Suite's compute_sqnr), KL divergences (torch kl_div), LSQ / LSQ+ /
// PACT gradients from PyTorch autograd of the published formulas, DoReFa weights, and BN folding against
// torch.nn.utils.fusion and Conv2d/Linear + BatchNorm in eval mode.
#include <qnum/bn_fold.hpp>
#include <qnum/metrics.hpp>
#include <qnum/qat.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace qnum;

namespace {

float from_hex(const std::string& s) {
    const auto bits = static_cast<std::uint32_t>(std::stoul(s, nullptr, 16));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

double num(const std::string& s) {
    if (s == "inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
    return std::stod(s);
}

// Reads tokens of one record in order.
struct reader {
    std::vector<std::string> t;
    std::size_t i = 0;
    const std::string& next() { return t.at(i++); }
    double number() { return num(next()); }
    std::vector<float> floats() {
        std::vector<float> v(std::stoul(next()));
        for (auto& x : v) x = from_hex(next());
        return v;
    }
    std::vector<double> doubles() {
        std::vector<double> v(std::stoul(next()));
        for (auto& x : v) x = number();
        return v;
    }
};

std::vector<reader> records(const std::string& kind) {
    std::ifstream in(std::string(QNUM_GOLDEN_DIR) + "/metrics.txt");
    REQUIRE(in.good());
    std::vector<reader> out;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        reader r;
        for (std::string tok; ls >> tok;) r.t.push_back(tok);
        if (r.t[0] == kind) {
            r.i = 1;
            out.push_back(std::move(r));
        }
    }
    return out;
}

bool close(double got, double want, double rel, double abs = 0.0) {
    if (std::isinf(want)) return got == want;
    return std::fabs(got - want) <= abs + rel * std::fabs(want);
}

}  // namespace

TEST_CASE("golden: metrics on tensor pairs (NumPy float64, torch.nn.functional, compute_sqnr)") {
    const auto recs = records("pair");
    REQUIRE(recs.size() == 7);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        const auto ref = r.floats(), test = r.floats();
        const comparison c = compare(ref, test);
        CHECK(c.count == ref.size());
        CHECK(close(c.cosine(), r.number(), 1e-13));
        CHECK(close(c.mse(), r.number(), 1e-12));
        CHECK(close(c.rmse(), r.number(), 1e-12));
        CHECK(close(c.mean_abs_error(), r.number(), 1e-12));
        CHECK(c.max_abs_error() == r.number());  // exact: a difference of two floats in double
        CHECK(close(c.max_rel_error(), r.number(), 1e-15));
        CHECK(close(c.sqnr_db(), r.number(), 1e-12));
        CHECK(close(c.snr_db(), r.number(), 1e-9));  // one-pass variance: a little cancellation
        const std::string torch_sqnr = r.next();
        if (torch_sqnr != "nan")
            CHECK(close(c.sqnr_db(), num(torch_sqnr), 0.0, 1e-4));  // PyTorch's float32 compute_sqnr
    }
}

TEST_CASE("golden: KL divergence (torch.nn.functional.kl_div)") {
    const auto recs = records("kl");
    REQUIRE(recs.size() == 2);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        const auto p = r.doubles(), q = r.doubles();
        CHECK(close(kl_divergence(p, q), r.number(), 1e-12, 1e-15));
    }
}

TEST_CASE("golden: LSQ / LSQ+ forward and gradients (PyTorch autograd)") {
    const auto recs = records("lsq");
    REQUIRE(recs.size() == 4);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        fake_quant_params p;
        p.range.min = std::stoi(r.next());
        p.range.max = std::stoi(r.next());
        p.scale = r.floats().at(0);
        p.offset = r.floats().at(0);
        const double g = r.number();
        const auto x = r.floats(), dy = r.floats(), y_ref = r.floats(), dx_ref = r.floats();
        CHECK(g == doctest::Approx(lsq_grad_scale(x.size(), p.range.max)).epsilon(1e-15));
        const double ds_ref = r.number(), db_ref = r.number();
        std::vector<float> y(x.size()), dx(x.size());
        fake_quant_forward(x.data(), y.data(), x.size(), p);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(y[i] == y_ref[i]);  // bit for bit (+0 == -0)
        const lsq_gradients got = lsq_backward(x.data(), dy.data(), dx.data(), x.size(), p, g);
        // torch's dx is (dy * s) / s in float32, ours exactly dy; torch sums the gradients in float32.
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(close(dx[i], dx_ref[i], 1e-6));
        double mag = 0.0;
        for (float v : dy) mag += std::fabs(v);
        const double tol = 1e-5 * mag * g * std::max(-p.range.min, p.range.max);
        CHECK(close(got.scale, ds_ref, 0.0, tol));
        CHECK(close(got.offset, db_ref, 0.0, 1e-5 * mag * g));
        if (p.offset == 0.0f) continue;
        CHECK(db_ref != 0.0);  // LSQ+ records exercise the offset gradient
    }
}

TEST_CASE("golden: PyTorch's learnable fake quantization (torch._fake_quantize_learnable_per_tensor_affine)") {
    const auto recs = records("learnable");
    REQUIRE(recs.size() == 3);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        qrange range{std::stoi(r.next()), 0};
        range.max = std::stoi(r.next());
        const float scale = r.floats().at(0);
        const auto zp = static_cast<std::int32_t>(std::stoi(r.next()));
        const double g = r.number();  // the float32 grad_factor PyTorch used
        const auto x = r.floats(), dy = r.floats(), y_ref = r.floats(), dx_ref = r.floats();
        const double ds_ref = r.number(), dz_ref = r.number();
        std::vector<float> y(x.size()), dx(x.size());
        learnable_fake_quant_forward(x.data(), y.data(), x.size(), scale, zp, range);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(y[i] == y_ref[i]);
        const fake_quant_gradients got =
            learnable_fake_quant_backward(x.data(), dy.data(), dx.data(), x.size(), scale, zp, range, g);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(dx[i] == dx_ref[i]);
        double mag = 0.0;
        for (float v : dy) mag += std::fabs(v);
        const double tol = 1e-5 * mag * g * (range.max - range.min);  // PyTorch sums float32 terms
        CHECK(close(got.scale, ds_ref, 0.0, tol));
        CHECK(close(got.zero_point, dz_ref, 0.0, 1e-5 * mag * g * scale));
        CHECK(dz_ref != 0.0);  // every record clips some values
    }
}

TEST_CASE("golden: PACT forward and gradients (PyTorch autograd)") {
    const auto recs = records("pact");
    REQUIRE(recs.size() == 2);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        const int bits = std::stoi(r.next());
        const float alpha = r.floats().at(0);
        const auto x = r.floats(), dy = r.floats(), y_ref = r.floats(), dx_ref = r.floats();
        const double da_ref = r.number();
        std::vector<float> y(x.size()), dx(x.size());
        pact_forward(x.data(), y.data(), x.size(), alpha, bits);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(y[i] == y_ref[i]);
        const double da = pact_backward(x.data(), dy.data(), dx.data(), x.size(), alpha);
        for (std::size_t i = 0; i < x.size(); ++i) CHECK(dx[i] == dx_ref[i]);
        double mag = 0.0;
        for (float v : dy) mag += std::fabs(v);
        CHECK(close(da, da_ref, 0.0, 1e-6 * mag));
    }
}

TEST_CASE("golden: DoReFa weights") {
    const auto recs = records("dorefa");
    REQUIRE(recs.size() == 4);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        const int bits = std::stoi(r.next());
        const auto w = r.floats(), want = r.floats();
        std::vector<float> out(w.size());
        dorefa_weights(w.data(), out.data(), w.size(), bits);
        for (std::size_t i = 0; i < w.size(); ++i) CHECK(close(out[i], want[i], 1e-6, 1e-7));
    }
}

TEST_CASE("golden: BN folding (torch.nn.utils.fusion, layer + BatchNorm in eval mode)") {
    const auto recs = records("bnfold");
    REQUIRE(recs.size() == 2);
    for (auto r : recs) {
        const std::string name = r.next();
        CAPTURE(name);
        const std::size_t out = std::stoul(r.next()), k = std::stoul(r.next());
        const float eps = r.floats().at(0);
        const auto w = r.floats(), b = r.floats(), gamma = r.floats(), beta = r.floats(), mean = r.floats(),
                   var = r.floats(), fw_ref = r.floats(), fb_ref = r.floats();
        const std::size_t batch = std::stoul(r.next());
        const auto x = r.floats(), y_ref = r.floats();
        REQUIRE(w.size() == out * k);
        std::vector<float> fw(w.size());
        const auto fb = fold_batchnorm(w.data(), fw.data(), out, k, b.data(),
                                       {gamma.data(), beta.data(), mean.data(), var.data(), eps});
        for (std::size_t i = 0; i < w.size(); ++i) CHECK(close(fw[i], fw_ref[i], 1e-6, 1e-7));
        for (std::size_t c = 0; c < out; ++c) CHECK(close(fb[c], fb_ref[c], 1e-6, 1e-6));
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t c = 0; c < out; ++c) {
                double z = fb[c];
                for (std::size_t j = 0; j < k; ++j) z += static_cast<double>(fw[c * k + j]) * x[n * k + j];
                CHECK(close(z, y_ref[n * out + c], 1e-5, 1e-5));
            }
    }
}

TEST_CASE("golden: fold then freeze, before the freeze (Linear + BatchNorm1d in training mode)") {
    const auto recs = records("bntrain");
    REQUIRE(recs.size() == 1);
    auto r = recs[0];
    const std::string name = r.next();
    const std::size_t out = std::stoul(r.next()), k = std::stoul(r.next());
    const float eps = r.floats().at(0);
    const auto w = r.floats(), b = r.floats(), gamma = r.floats(), beta = r.floats(), rmean = r.floats(),
               rvar = r.floats();
    const std::size_t batch = std::stoul(r.next());
    const auto x = r.floats(), y_ref = r.floats();
    // Batch statistics of the layer output z = W x + b (biased variance).
    std::vector<double> z(batch * out);
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t c = 0; c < out; ++c) {
            double acc = b[c];
            for (std::size_t j = 0; j < k; ++j) acc += static_cast<double>(w[c * k + j]) * x[n * k + j];
            z[n * out + c] = acc;
        }
    std::vector<float> bmean(out), bvar(out);
    for (std::size_t c = 0; c < out; ++c) {
        double s = 0.0, s2 = 0.0;
        for (std::size_t n = 0; n < batch; ++n) s += z[n * out + c];
        const double m = s / static_cast<double>(batch);
        for (std::size_t n = 0; n < batch; ++n) s2 += (z[n * out + c] - m) * (z[n * out + c] - m);
        bmean[c] = static_cast<float>(m), bvar[c] = static_cast<float>(s2 / static_cast<double>(batch));
    }
    // Weights folded with the running variance (no bias: it cancels against the batch mean), output corrected.
    std::vector<float> fw(w.size());
    fold_batchnorm(w.data(), fw.data(), out, k, nullptr, {gamma.data(), beta.data(), rmean.data(), rvar.data(), eps});
    const auto corr = bn_correction(rvar.data(), bvar.data(), out, eps);
    const auto bias = fold_bias(b.data(), {gamma.data(), beta.data(), bmean.data(), bvar.data(), eps}, out);
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t c = 0; c < out; ++c) {
            double acc = 0.0;
            for (std::size_t j = 0; j < k; ++j) acc += static_cast<double>(fw[c * k + j]) * x[n * k + j];
            CHECK(close(acc * corr[c] + bias[c], y_ref[n * out + c], 1e-5, 1e-5));
        }
}

TEST_CASE("golden: BN folding into a transposed convolution (fuse_conv_bn_weights, transpose=True)") {
    const auto recs = records("bnfoldt");
    REQUIRE(recs.size() == 1);
    auto r = recs[0];
    const std::string name = r.next();
    const std::size_t in = std::stoul(r.next()), out = std::stoul(r.next()), k = std::stoul(r.next());
    const float eps = r.floats().at(0);
    const auto w = r.floats(), b = r.floats(), gamma = r.floats(), beta = r.floats(), mean = r.floats(),
               var = r.floats(), fw_ref = r.floats(), fb_ref = r.floats();
    REQUIRE(w.size() == in * out * k);
    std::vector<float> fw(w.size());
    const auto fb = fold_batchnorm_transposed(w.data(), fw.data(), in, out, k, b.data(),
                                              {gamma.data(), beta.data(), mean.data(), var.data(), eps});
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(close(fw[i], fw_ref[i], 1e-6, 1e-7));
    for (std::size_t c = 0; c < out; ++c) CHECK(close(fb[c], fb_ref[c], 1e-6, 1e-6));
}

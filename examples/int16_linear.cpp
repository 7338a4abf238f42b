// A linear layer y = W x with int16 input, computed as a broadcast multiply + sum (x broadcast over the rows of W,
// element-wise products of integer codes, a sum per row in int64, then one rescale), as accelerators without a
// matrix unit or int16 GEMM do it. Two weight encodings are compared against the float layer by SQNR:
//   * int16 weights, one per-tensor scale: 16 bits leave ~10 bits of resolution even for rows 1000x smaller;
//   * int8 weights, one scale per output channel: each row uses its full int8 range.
// The rows' magnitudes span three decades, the case where a single int8 scale fails (also shown). Overall int16
// per tensor wins by far (the large rows dominate the output power); on the smallest rows the two are about even,
// since int16 loses log2(1000) ~ 10 bits there and int8 per channel loses none.
//
// Self-checks: the int16 per-tensor layer beats per-channel int8, which beats per-tensor int8.
#include <qnum/qnum.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int in_features = 512, out_features = 96;

// y[o] = scale_x * scale_w[o] * sum_i (xq[i] - zx) * wq[o, i]  (weights symmetric), exact integer sums.
template <class W>
std::vector<float> int_linear(const std::vector<std::int16_t>& xq, qnum::qparams px, const std::vector<W>& wq,
                              const std::vector<float>& w_scales) {
    std::vector<float> y(out_features);
    for (int o = 0; o < out_features; ++o) {
        std::int64_t acc = 0;
        for (int i = 0; i < in_features; ++i)  // broadcast multiply, then sum
            acc += static_cast<std::int64_t>(xq[i] - px.zero_point) * wq[o * in_features + i];
        const float s = w_scales.size() == 1 ? w_scales[0] : w_scales[static_cast<std::size_t>(o)];
        y[static_cast<std::size_t>(o)] = static_cast<float>(static_cast<double>(acc) * px.scale * s);
    }
    return y;
}

}  // namespace

int main() {
    std::mt19937 rng(3);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> w(in_features * out_features), x(in_features);
    for (int o = 0; o < out_features; ++o) {
        const float row_scale = std::pow(10.0f, -3.0f * static_cast<float>(o) / (out_features - 1));  // 1 .. 1e-3
        for (int i = 0; i < in_features; ++i) w[o * in_features + i] = d(rng) * row_scale;
    }
    for (auto& v : x) v = d(rng) * 2.0f + 0.5f;

    // Float reference.
    std::vector<float> ref(out_features);
    for (int o = 0; o < out_features; ++o) {
        double acc = 0.0;
        for (int i = 0; i < in_features; ++i) acc += static_cast<double>(w[o * in_features + i]) * x[i];
        ref[static_cast<std::size_t>(o)] = static_cast<float>(acc);
    }

    // int16 input, affine per tensor.
    const qnum::strided_view<const float> xv(x.data(), x.size());
    const auto px = qnum::calculate_qparams(qnum::observe_minmax(xv), qnum::qint16::range);
    std::vector<std::int16_t> xq(x.size());
    qnum::quantize(xv, {xq.data(), xq.size()}, qnum::per_tensor<qnum::qint16>(px));
    std::printf("input: int16 codes, scale %.3g, zero point %d, SQNR %.1f dB\n", static_cast<double>(px.scale),
                px.zero_point,
                qnum::compare_dequantized(xv, qnum::strided_view<const std::int16_t>(xq.data(), xq.size()),
                                          qnum::per_tensor<qnum::qint16>(px))
                    .sqnr_db());

    const qnum::strided_view<const float> wv(w.data(), {out_features, in_features});
    const qnum::scheme sym{true};

    // (1) int16 weights, per tensor.
    const auto p16 =
        qnum::per_tensor<qnum::qint16>(qnum::calculate_qparams(qnum::observe_minmax(wv), qnum::qint16::range, sym));
    std::vector<std::int16_t> w16(w.size());
    qnum::quantize(wv, {w16.data(), {out_features, in_features}}, p16);
    const auto y16 = int_linear(xq, px, w16, {p16.scale()});

    // (2) int8 weights, per output channel.
    qnum::per_channel_minmax_observer obs(0);
    obs.observe(wv);
    const auto p8c = obs.params<qnum::qint8>(sym);
    std::vector<std::int8_t> w8c(w.size());
    qnum::quantize(wv, {w8c.data(), {out_features, in_features}}, p8c);
    const auto y8c = int_linear(xq, px, w8c, p8c.scales());

    // (3) int8 weights, per tensor (for contrast).
    const auto p8t =
        qnum::per_tensor<qnum::qint8>(qnum::calculate_qparams(qnum::observe_minmax(wv), qnum::qint8::range, sym));
    std::vector<std::int8_t> w8t(w.size());
    qnum::quantize(wv, {w8t.data(), {out_features, in_features}}, p8t);
    const auto y8t = int_linear(xq, px, w8t, {p8t.scale()});

    const auto c16 = qnum::compare(ref, y16), c8c = qnum::compare(ref, y8c), c8t = qnum::compare(ref, y8t);
    // Output SQNR of the small rows only (the last third, magnitudes < 1e-2): where the encodings differ most.
    const std::size_t tail = out_features * 2 / 3;
    auto tail_sqnr = [&](const std::vector<float>& y) {
        return qnum::compare(ref.data() + tail, y.data() + tail, out_features - tail).sqnr_db();
    };
    std::printf("\n%-34s %12s %16s %12s\n", "weights", "SQNR", "SQNR small rows", "max rel err");
    std::printf("%-34s %9.1f dB %13.1f dB %12.3g\n", "int16, per tensor", c16.sqnr_db(), tail_sqnr(y16),
                c16.max_rel_error());
    std::printf("%-34s %9.1f dB %13.1f dB %12.3g\n", "int8, per output channel", c8c.sqnr_db(), tail_sqnr(y8c),
                c8c.max_rel_error());
    std::printf("%-34s %9.1f dB %13.1f dB %12.3g\n", "int8, per tensor", c8t.sqnr_db(), tail_sqnr(y8t),
                c8t.max_rel_error());

    const bool ok = c16.sqnr_db() > c8c.sqnr_db() && tail_sqnr(y8c) > tail_sqnr(y8t) + 10.0;
    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

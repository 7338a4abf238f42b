// Differential test against XNNPACK's int8 sigmoid and tanh operators (Debian libxnnpack-dev), on every int8 /
// uint8 input with the same quantization parameters. XNNPACK builds its table as
// lrintf(f(x) * (1 / s_out)) + z_out with f evaluated in float (expf / tanhf), i.e. round half to even with
// multiply-by-reciprocal; qnum's catalogue evaluates f in double, so the two may differ by 1 LSB where f(x)/s_out
// lies within a float rounding error of a tie (the test allows that 1 LSB; on the 5 fixed and 200 random qparams
// here none occurs). With XNNPACK's float formula as the callable, qnum's table is identical by construction.
#include <qnum/lut.hpp>
#include <qnum/lut_functions.hpp>

#include <doctest/doctest.h>
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

using namespace qnum;

struct xnn_init {
    xnn_init() { REQUIRE(xnn_initialize(nullptr) == xnn_status_success); }
};

// Runs an XNNPACK qs8/qu8 unary operator over all 256 codes.
template <class T, class Create, class Setup>
std::vector<T> run_xnn(Create create, Setup setup, float in_scale, int in_zp, float out_scale, int out_zp) {
    static xnn_init once;
    xnn_operator_t op = nullptr;
    const bool is_signed = std::is_same_v<T, std::int8_t>;
    REQUIRE(create(1, 1, 1, static_cast<T>(in_zp), in_scale, static_cast<T>(out_zp), out_scale,
                   static_cast<T>(is_signed ? -128 : 0), static_cast<T>(is_signed ? 127 : 255), 0u,
                   &op) == xnn_status_success);
    std::vector<T> x(256), y(256);
    for (int i = 0; i < 256; ++i) x[std::size_t(i)] = static_cast<T>(is_signed ? i - 128 : i);
    REQUIRE(setup(op, 256, x.data(), y.data(), nullptr) == xnn_status_success);
    REQUIRE(xnn_run_operator(op, nullptr) == xnn_status_success);
    xnn_delete_operator(op);
    return y;
}

// XNNPACK's float formulas (src/operators/lut-elementwise-nc.c): sigmoid split at 0 for accuracy, tanhf.
struct xnn_sigmoid_float {
    float operator()(float x) const {
        return std::signbit(x) ? 1.0f / (1.0f + std::exp(-x)) : 1.0f - 1.0f / (1.0f + std::exp(x));
    }
};
struct xnn_tanh_float {
    float operator()(float x) const { return std::tanh(x); }
};

struct diff_count {
    int differ = 0, worst = 0;
};

template <class Format, class T>
diff_count compare(const lut8<Format, Format>& t, const std::vector<T>& xnn) {
    diff_count d;
    for (int i = 0; i < 256; ++i) {
        const T q = static_cast<T>(std::is_signed_v<T> ? i - 128 : i);
        const int diff = std::abs(int(t(q)) - int(xnn[std::size_t(i)]));
        d.differ += diff != 0;
        d.worst = std::max(d.worst, diff);
    }
    return d;
}

const std::pair<float, int> input_params[] = {{0.0625f, 0}, {0.1f, -5}, {0.03f, 17}, {0.5f, 100}, {0.0123f, -90}};

}  // namespace

TEST_CASE("lut8 vs XNNPACK qs8 sigmoid / tanh on every int8 input") {
    for (const auto& [scale, zp] : input_params) {
        CAPTURE(scale);
        CAPTURE(zp);
        const per_tensor<qint8> in(scale, zp);
        const per_tensor<qint8> sig_out(1.0f / 256, -128), tanh_out(1.0f / 128, 0);  // XNNPACK's fixed outputs
        const auto xs = run_xnn<std::int8_t>(xnn_create_sigmoid_nc_qs8, xnn_setup_sigmoid_nc_qs8, scale, zp,
                                             1.0f / 256, -128);
        const auto xt = run_xnn<std::int8_t>(xnn_create_tanh_nc_qs8, xnn_setup_tanh_nc_qs8, scale, zp, 1.0f / 128, 0);
        const auto op = scale_op::multiply_by_reciprocal;
        const auto ds = compare<qint8, std::int8_t>(
            lut8<qint8, qint8>(fn::sigmoid{}, in, sig_out, round_half_to_even{}, op), xs);
        const auto dt = compare<qint8, std::int8_t>(
            lut8<qint8, qint8>(fn::tanh{}, in, tanh_out, round_half_to_even{}, op), xt);
        MESSAGE("qs8 scale " << scale << " zp " << zp << ": sigmoid differs on " << ds.differ << "/256, tanh on "
                             << dt.differ << "/256 (max " << std::max(ds.worst, dt.worst) << " LSB)");
        CHECK(ds.worst <= 1);
        CHECK(dt.worst <= 1);
        // XNNPACK's own float formula as the callable: identical tables
        CHECK(compare<qint8, std::int8_t>(
                  lut8<qint8, qint8>(xnn_sigmoid_float{}, in, sig_out, round_half_to_even{}, op), xs)
                  .differ == 0);
        CHECK(compare<qint8, std::int8_t>(
                  lut8<qint8, qint8>(xnn_tanh_float{}, in, tanh_out, round_half_to_even{}, op), xt)
                  .differ == 0);
    }
}

TEST_CASE("lut8 vs XNNPACK qu8 sigmoid / tanh on every uint8 input") {
    for (const auto& [scale, zp0] : input_params) {
        const int zp = zp0 + 128;
        CAPTURE(scale);
        CAPTURE(zp);
        const per_tensor<quint8> in(scale, zp);
        const per_tensor<quint8> sig_out(1.0f / 256, 0), tanh_out(1.0f / 128, 128);
        const auto xs = run_xnn<std::uint8_t>(xnn_create_sigmoid_nc_qu8, xnn_setup_sigmoid_nc_qu8, scale, zp,
                                              1.0f / 256, 0);
        const auto xt = run_xnn<std::uint8_t>(xnn_create_tanh_nc_qu8, xnn_setup_tanh_nc_qu8, scale, zp, 1.0f / 128,
                                              128);
        const auto op = scale_op::multiply_by_reciprocal;
        const auto ds = compare<quint8, std::uint8_t>(
            lut8<quint8, quint8>(fn::sigmoid{}, in, sig_out, round_half_to_even{}, op), xs);
        const auto dt = compare<quint8, std::uint8_t>(
            lut8<quint8, quint8>(fn::tanh{}, in, tanh_out, round_half_to_even{}, op), xt);
        CHECK(ds.worst <= 1);
        CHECK(dt.worst <= 1);
        CHECK(compare<quint8, std::uint8_t>(
                  lut8<quint8, quint8>(xnn_sigmoid_float{}, in, sig_out, round_half_to_even{}, op), xs)
                  .differ == 0);
        CHECK(compare<quint8, std::uint8_t>(
                  lut8<quint8, quint8>(xnn_tanh_float{}, in, tanh_out, round_half_to_even{}, op), xt)
                  .differ == 0);
    }
}

TEST_CASE("lut8 vs XNNPACK qs8 sigmoid / tanh, 200 random input scales and zero points") {
    std::uint32_t state = 12345;
    auto next = [&] { return state = state * 1664525u + 1013904223u; };
    int differ = 0, worst = 0;
    for (int trial = 0; trial < 200; ++trial) {
        const float scale = std::ldexp(1.0f + float(next() >> 8) / 16777216.0f, int(next() % 10) - 9);  // 2^-9..2^1
        const int zp = int(next() % 256) - 128;
        const per_tensor<qint8> in(scale, zp);
        const auto op = scale_op::multiply_by_reciprocal;
        const auto ds = compare<qint8>(lut8<qint8, qint8>(fn::sigmoid{}, in, per_tensor<qint8>(1.0f / 256, -128),
                                                          round_half_to_even{}, op),
                                       run_xnn<std::int8_t>(xnn_create_sigmoid_nc_qs8, xnn_setup_sigmoid_nc_qs8,
                                                            scale, zp, 1.0f / 256, -128));
        const auto dt = compare<qint8>(lut8<qint8, qint8>(fn::tanh{}, in, per_tensor<qint8>(1.0f / 128, 0),
                                                          round_half_to_even{}, op),
                                       run_xnn<std::int8_t>(xnn_create_tanh_nc_qs8, xnn_setup_tanh_nc_qs8, scale, zp,
                                                            1.0f / 128, 0));
        differ += ds.differ + dt.differ;
        worst = std::max({worst, ds.worst, dt.worst});
    }
    MESSAGE("200 random qparams x 2 functions x 256 inputs: " << differ << " entries differ, max " << worst << " LSB");
    CHECK(worst <= 1);
}

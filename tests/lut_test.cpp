// Tests for look-up tables: every int8/uint8 input through every dispatch level (limit_isa) equals the scalar
// reference bit for bit (odd sizes, unaligned pointers, in place, strided views); table entries are the
// quantize(f(dequantize(q))) specification and within 0.5 LSB (1 LSB for directed rounding) of the exact function;
// the 16-bit interpolated and segmented tables over all 65536 inputs: SIMD == scalar and their documented error
// bounds; accuracy reports; and every documented error.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/lut.hpp>
#include <qnum/lut_accuracy.hpp>
#include <qnum/lut_int16.hpp>
#include <qnum/lut_segmented.hpp>
#include <qnum/lut_functions.hpp>
#include <qnum/quantize.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using namespace qnum;

// Dispatch levels this CPU can run (scalar first: the reference).
std::vector<isa> levels() {
    std::vector<isa> v;
    for (isa l : {isa::scalar, isa::avx2, isa::avx512})
        if (cpu_supports(l)) v.push_back(l);
    return v;
}

template <class T>
std::vector<T> random_codes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(rng());
    return v;
}

// |q - clamp(f(x)/s + z)| in LSB, the exact real-valued target.
template <class Format>
double error_lsb(std::int32_t q, double fx, const per_tensor<Format>& out) {
    double t = fx / out.scale() + out.zero_point();
    t = t < Format::min ? Format::min : (t > Format::max ? Format::max : t);
    return std::fabs(q - t);
}

// Every input code, every level, sizes 0..n, offsets 0..3, in place: equal to the scalar reference.
template <class Table>
void check_simd_equals_scalar(const Table& t) {
    using In = typename Table::in_storage;
    using Out = typename Table::out_storage;
    const auto src = random_codes<In>(4096 + 67, 7);
    std::vector<Out> ref(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) ref[i] = t(src[i]);
    for (isa level : levels()) {
        CAPTURE(isa_name(level));
        limit_isa(level);
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{31}, std::size_t{32},
                              std::size_t{33}, std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{127},
                              std::size_t{129}, std::size_t{255}, std::size_t{1000}, std::size_t{4096}})
            for (std::size_t off = 0; off < 4; ++off) {
                std::vector<Out> out(n + 8, Out(0x5A));
                t.apply(src.data() + off, out.data() + (3 - off), n);
                bool same = true;
                for (std::size_t i = 0; i < n; ++i) same = same && out[3 - off + i] == ref[off + i];
                for (std::size_t i = 0; i < 3 - off; ++i) same = same && out[i] == Out(0x5A);
                for (std::size_t i = 3 - off + n; i < out.size(); ++i) same = same && out[i] == Out(0x5A);
                CAPTURE(n);
                CAPTURE(off);
                CHECK(same);
            }
        std::vector<In> inplace(src);  // in place (In and Out have the same size here)
        if constexpr (sizeof(In) == sizeof(Out) && std::is_same_v<In, Out>) {
            t.apply(inplace.data(), inplace.data(), inplace.size());
            CHECK(std::memcmp(inplace.data(), ref.data(), ref.size() * sizeof(Out)) == 0);
        }
    }
    unlimit_isa();
}

}  // namespace

TEST_CASE("lut8: entries are quantize(f(dequantize(q))) and within 0.5 LSB of f, every input") {
    const per_tensor<qint8> in(0.0625f, 3);
    const per_tensor<qint8> out_s(1.0f / 256, -128);
    const lut8<qint8, qint8> t(fn::sigmoid{}, in, out_s);
    for (int q = -128; q <= 127; ++q) {
        const float x = dequantize_value(q, in);
        const auto expect = quantize_value(fn::sigmoid{}(x), out_s);
        CHECK(t(static_cast<std::int8_t>(q)) == expect);
        CHECK(error_lsb(t(static_cast<std::int8_t>(q)), 1.0 / (1.0 + std::exp(-double(x))), out_s) <= 0.5 + 1e-4);
    }
    // uint8 -> uint8, tanh with an asymmetric output; every rounding mode
    const per_tensor<quint8> uin(0.05f, 131), uout(2.0f / 255, 127);
    for (auto mode : {rounding_mode::half_to_even, rounding_mode::half_away_from_zero, rounding_mode::half_up,
                      rounding_mode::half_down, rounding_mode::half_toward_zero, rounding_mode::toward_zero,
                      rounding_mode::floor, rounding_mode::ceil}) {
        const lut8<quint8, quint8> u(fn::tanh{}, uin, uout, rounding{mode});
        const bool directed = mode == rounding_mode::toward_zero || mode == rounding_mode::floor ||
                              mode == rounding_mode::ceil;
        double worst = 0;
        for (int q = 0; q <= 255; ++q) {
            const double x = double(dequantize_value(q, uin));
            worst = std::max(worst, error_lsb(u(static_cast<std::uint8_t>(q)), std::tanh(x), uout));
        }
        CHECK(worst <= (directed ? 1.0 : 0.5 + 1e-4));
    }
    // int8 -> uint8 and uint8 -> int8, multiply-by-reciprocal
    const lut8<qint8, quint8> a(fn::gelu{}, in, per_tensor<quint8>(0.05f, 10), round_half_away_from_zero{},
                                scale_op::multiply_by_reciprocal);
    const lut8<quint8, qint8> b(fn::silu{}, uin, per_tensor<qint8>(0.04f, -20));
    for (int q = -128; q <= 127; ++q)
        CHECK(a(static_cast<std::int8_t>(q)) ==
              quantize_value(fn::gelu{}(dequantize_value(q, in)), per_tensor<quint8>(0.05f, 10),
                             round_half_away_from_zero{}, scale_op::multiply_by_reciprocal));
    for (int q = 0; q <= 255; ++q)
        CHECK(b(static_cast<std::uint8_t>(q)) ==
              quantize_value(fn::silu{}(dequantize_value(q, uin)), per_tensor<qint8>(0.04f, -20)));
    // narrow input: the unused code -128 repeats -127's entry
    const lut8<qint8_narrow, qint8> n(fn::tanh{}, per_tensor<qint8_narrow>(0.03f), per_tensor<qint8>(1.0f / 128));
    CHECK(n(std::int8_t(-128)) == n(std::int8_t(-127)));
}

TEST_CASE("lut8: SIMD == scalar on every dispatch level, odd sizes, unaligned, in place") {
    check_simd_equals_scalar(lut8<qint8, qint8>(fn::sigmoid{}, per_tensor<qint8>(0.1f, -5),
                                                per_tensor<qint8>(1.0f / 256, -128)));
    check_simd_equals_scalar(lut8<quint8, quint8>(fn::gelu{}, per_tensor<quint8>(0.07f, 128),
                                                  per_tensor<quint8>(0.05f, 20)));
    check_simd_equals_scalar(lut8<qint8, quint8>(fn::exp{}, per_tensor<qint8>(0.05f), per_tensor<quint8>(0.1f)));
    // a table whose 256 entries all differ (a permutation), so any mis-selected sub-table shows
    struct scramble {
        float operator()(float x) const { return float((int(x) * 77 + 13) & 255) - 128.0f; }
    };
    const lut8<quint8, qint8> perm(scramble{}, per_tensor<quint8>(1.0f, 0), per_tensor<qint8>(1.0f, 0));
    std::vector<std::uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[std::size_t(i)] = std::uint8_t(i);
    for (isa level : levels()) {
        limit_isa(level);
        std::vector<std::int8_t> y(256);
        perm.apply(all.data(), y.data(), 256);
        for (int i = 0; i < 256; ++i) CHECK(int(y[std::size_t(i)]) == ((i * 77 + 13) & 255) - 128);
    }
    unlimit_isa();
    check_simd_equals_scalar(perm);
}

TEST_CASE("lut8: strided views") {
    const lut8<qint8, qint8> t(fn::tanh{}, per_tensor<qint8>(0.04f), per_tensor<qint8>(1.0f / 128));
    const auto src = random_codes<std::int8_t>(6 * 40, 3);
    std::vector<std::int8_t> dst(3 * 40, 0);
    // every other row of a [6, 40] tensor into a dense [3, 40] one, and a transposed (column-stride) output
    t.apply(strided_view<const std::int8_t>(src.data(), 2, {3, 40, 0, 0, 0, 0, 0, 0}, {80, 1, 0, 0, 0, 0, 0, 0}),
            strided_view<std::int8_t>(dst.data(), {3, 40}));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 40; ++c) CHECK(dst[std::size_t(r * 40 + c)] == t(src[std::size_t(r * 80 + c)]));
    std::vector<std::int8_t> tr(40 * 3, 0);
    t.apply(strided_view<const std::int8_t>(dst.data(), {3, 40}),
            strided_view<std::int8_t>(tr.data(), 2, {3, 40, 0, 0, 0, 0, 0, 0}, {1, 3, 0, 0, 0, 0, 0, 0}));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 40; ++c) CHECK(tr[std::size_t(c * 3 + r)] == t(dst[std::size_t(r * 40 + c)]));
    CHECK_THROWS_AS(t.apply(strided_view<const std::int8_t>(src.data(), {6, 40}),
                            strided_view<std::int8_t>(dst.data(), {3, 40})),
                    error);
}

TEST_CASE("lut8: bad input") {
    const per_tensor<qint8> in(0.1f);
    const per_tensor<qint8> out(0.1f);
    using L = lut8<qint8, qint8>;
    using LU = lut8<qint8, quint8>;
    CHECK_THROWS_AS(L([](float x) { return std::log(x); }, in, out), error);  // log(0) = -inf
    CHECK_THROWS_AS(L([](float x) { return x > 1 ? std::numeric_limits<float>::quiet_NaN() : x; },
                                       in, out),
                    error);
    CHECK_THROWS_AS(L(fn::tanh{}, in, out, rounding{rounding_mode::stochastic}), error);
    CHECK_THROWS_AS(per_tensor<qint8>(0.0f), error);
    CHECK_THROWS_AS(per_tensor<qint8>(-1.0f), error);
    CHECK_THROWS_AS(per_tensor<qint8>(std::numeric_limits<float>::infinity()), error);
    // the saturating catalogue functions never throw, even with real 0 (a pole) in the domain
    CHECK_NOTHROW(LU(fn::reciprocal{}, in, per_tensor<quint8>(0.1f)));
    CHECK_NOTHROW(LU(fn::rsqrt{}, in, per_tensor<quint8>(0.1f)));
    CHECK_NOTHROW(LU(fn::exp{}, per_tensor<qint8>(100.0f), per_tensor<quint8>(0.1f)));
}

namespace {
// Every 16-bit input through every level equals operator() (the scalar specification).
template <class Table>
void check_all_16bit_inputs(const Table& t) {
    using In = typename Table::in_storage;
    using Out = typename Table::out_storage;
    std::vector<In> all(65536 + 5);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<In>(i * 40503u);  // a permutation of 16 bits
    std::vector<Out> ref(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) ref[i] = t(all[i]);
    for (isa level : levels()) {
        CAPTURE(isa_name(level));
        limit_isa(level);
        std::vector<Out> y(all.size());
        t.apply(all.data(), y.data(), all.size());
        CHECK(std::memcmp(y.data(), ref.data(), ref.size() * sizeof(Out)) == 0);
        for (std::size_t n : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{33},
                              std::size_t{100}})
            for (std::size_t off = 0; off < 3; ++off) {
                std::vector<Out> z(n + 4, Out(0x1234));
                t.apply(all.data() + off, z.data() + 1 + off, n);
                CHECK(std::memcmp(z.data() + 1 + off, ref.data() + off, n * sizeof(Out)) == 0);
                CHECK(z[off] == Out(0x1234));
                CHECK(z[1 + off + n] == Out(0x1234));
            }
        if constexpr (std::is_same_v<In, Out>) {
            std::vector<In> inplace(all);
            t.apply(inplace.data(), inplace.data(), inplace.size());
            CHECK(std::memcmp(inplace.data(), ref.data(), ref.size() * sizeof(Out)) == 0);
        }
    }
    unlimit_isa();
}
}  // namespace

TEST_CASE("lut16: sigmoid, tanh, GELU over all int16 inputs: SIMD == scalar, error <= 2 LSB") {
    const per_tensor<qint16> in(8.0f / 32768);  // inputs over [-8, 8)
    const per_tensor<qint16> unit(1.0f / 32768);
    const lut16<qint16, qint16> sig(fn::sigmoid{}, in, unit), th(fn::tanh{}, in, unit);
    const lut16<qint16, qint16> ge(fn::gelu{}, in, per_tensor<qint16>(8.0f / 32768));
    const auto es = measure_accuracy(sig, fn::sigmoid{}), et = measure_accuracy(th, fn::tanh{}),
               eg = measure_accuracy(ge, fn::gelu{});
    MESSAGE("lut16 sigmoid max " << es.max_error_lsb << " mean " << es.mean_error_lsb << "; tanh max "
                                 << et.max_error_lsb << " mean " << et.mean_error_lsb << "; gelu max "
                                 << eg.max_error_lsb << " mean " << eg.mean_error_lsb);
    CHECK(es.inputs == 65536);
    CHECK(es.max_error_lsb <= 2.0);
    // tanh at this scale: 0.5 (rounding) + 1/32 (knots) + h^2 max|tanh''| / 16 = 1.54 (h = 128 codes) -> 2.03 LSB, the
    // limit of 512 uniform intervals; the segmented table below meets 1 LSB for the same scales.
    CHECK(et.max_error_lsb <= 2.04);
    const segmented_lut<qint16, qint16> th_seg(fn::tanh{}, in, unit, 1.0);
    CHECK(measure_accuracy(th_seg, fn::tanh{}).max_error_lsb <= 1.0);
    MESSAGE("segmented tanh (same scales, bound 1 LSB): " << th_seg.knots().size() << " knots");
    CHECK(eg.max_error_lsb <= 2.0);
    check_all_16bit_inputs(sig);
    check_all_16bit_inputs(th);
    check_all_16bit_inputs(ge);
    // unsigned input / output, and a saturating output range
    const lut16<quint16, quint16> u(fn::exp{}, per_tensor<quint16>(1.0f / 8192, 32768), per_tensor<quint16>(1e-4f));
    check_all_16bit_inputs(u);
    const lut16<qint16, quint16> mixed(fn::softplus{}, in, per_tensor<quint16>(1.0f / 4096));
    check_all_16bit_inputs(mixed);
    CHECK(measure_accuracy(mixed, fn::softplus{}).max_error_lsb <= 2.0);
}

TEST_CASE("segmented_lut: guaranteed bound over a wide int16 range, with far fewer knots than codes") {
    const per_tensor<qint16> wide(1.0f / 256);  // inputs over [-128, 128): a uniform table cannot follow sigmoid
    const per_tensor<qint16> unit(1.0f / 32768);
    for (double bound : {0.6, 1.0, 2.0}) {
        const segmented_lut<qint16, qint16> s(fn::sigmoid{}, wide, unit, bound);
        const auto e = measure_accuracy(s, fn::sigmoid{});
        MESSAGE("segmented sigmoid bound " << bound << ": max " << e.max_error_lsb << " mean " << e.mean_error_lsb
                                           << ", " << s.knots().size() << " knots");
        CHECK(e.max_error_lsb <= bound);
        CHECK(s.knots().size() < (bound >= 1.0 ? 4000u : 20000u));
        check_all_16bit_inputs(s);
    }
    const lut16<qint16, qint16> uniform(fn::sigmoid{}, wide, unit);
    CHECK(measure_accuracy(uniform, fn::sigmoid{}).max_error_lsb > 2.0);  // why segments are needed
    // functions with a steep end: rsqrt and reciprocal on a positive range, exp, GELU
    const segmented_lut<quint16, qint16> rs(fn::rsqrt{}, per_tensor<quint16>(1.0f / 64), per_tensor<qint16>(1.0f / 4096));
    CHECK(measure_accuracy(rs, fn::rsqrt{}).max_error_lsb <= 1.0);
    check_all_16bit_inputs(rs);
    const segmented_lut<qint16, quint16> ex(fn::exp{}, per_tensor<qint16>(1.0f / 2048), per_tensor<quint16>(1.0f / 8192));
    CHECK(measure_accuracy(ex, fn::exp{}).max_error_lsb <= 1.0);
    check_all_16bit_inputs(ex);
    const segmented_lut<qint16, qint16> ge(fn::gelu{}, wide, per_tensor<qint16>(128.0f / 32768), 0.75);
    CHECK(measure_accuracy(ge, fn::gelu{}).max_error_lsb <= 0.75);
    check_all_16bit_inputs(ge);
}

TEST_CASE("lut16 / segmented_lut: bad input") {
    const per_tensor<qint16> in(1.0f / 256), out(1.0f / 32768);
    using U = lut16<qint16, qint16>;
    using S = segmented_lut<qint16, qint16>;
    CHECK_THROWS_AS(U([](float x) { return std::log(x); }, in, out), error);
    CHECK_THROWS_AS(S([](float x) { return 1.0f / x; }, in, out), error);  // inf at x = 0
    CHECK_THROWS_AS(S(fn::tanh{}, in, out, 0.5), error);                    // bound below 0.55 LSB
    CHECK_THROWS_AS(per_tensor<qint16>(-0.5f), error);
}

TEST_CASE("measure_accuracy on 8-bit tables") {
    const lut8<qint8, qint8> t(fn::erf{}, per_tensor<qint8>(0.03f), per_tensor<qint8>(1.0f / 127));
    const auto e = measure_accuracy(t, fn::erf{});
    CHECK(e.inputs == 256);
    CHECK(e.max_error_lsb <= 0.5 + 1e-4);
    CHECK(e.mean_error_lsb > 0.0);
    CHECK(e.mean_error_lsb < 0.5);
    const lut8<qint8_narrow, qint8> n(fn::hardswish{}, per_tensor<qint8_narrow>(0.05f), per_tensor<qint8>(0.05f));
    CHECK(measure_accuracy(n, fn::hardswish{}).inputs == 255);
}

TEST_CASE("lut16 / segmented_lut: strided views") {
    const lut16<qint16, qint16> u(fn::silu{}, per_tensor<qint16>(1.0f / 2048), per_tensor<qint16>(1.0f / 2048));
    const segmented_lut<qint16, qint16> s(fn::silu{}, per_tensor<qint16>(1.0f / 2048), per_tensor<qint16>(1.0f / 2048));
    const auto src = random_codes<std::int16_t>(5 * 70, 11);
    auto check = [&](const auto& t) {
        std::vector<std::int16_t> dst(70 * 5, 0);
        // transpose a [5, 70] tensor into [70, 5] storage while applying the table
        t.apply(strided_view<const std::int16_t>(src.data(), {5, 70}),
                strided_view<std::int16_t>(dst.data(), 2, {5, 70, 0, 0, 0, 0, 0, 0}, {1, 5, 0, 0, 0, 0, 0, 0}));
        bool same = true;
        for (int r = 0; r < 5; ++r)
            for (int c = 0; c < 70; ++c) same = same && dst[std::size_t(c * 5 + r)] == t(src[std::size_t(r * 70 + c)]);
        CHECK(same);
        std::vector<std::int16_t> dense(src.size());
        t.apply(strided_view<const std::int16_t>(src.data(), {5, 70}), strided_view<std::int16_t>(dense.data(), {5, 70}));
        for (std::size_t i = 0; i < src.size(); ++i) same = same && dense[i] == t(src[i]);
        CHECK(same);
        CHECK_THROWS_AS(t.apply(strided_view<const std::int16_t>(src.data(), {5, 70}),
                                strided_view<std::int16_t>(dense.data(), {70, 5})),
                        error);
    };
    check(u);
    check(s);
}

TEST_CASE("catalogue: every function builds int8 and int16 tables within their bounds") {
    auto check = [](const char* name, auto f, float out_scale, int out_zp) {
        CAPTURE(name);
        const lut8<qint8, qint8> t8(f, per_tensor<qint8>(6.0f / 128), per_tensor<qint8>(out_scale, out_zp));
        CHECK(measure_accuracy(t8, f).max_error_lsb <= 0.5 + 1e-4);
        const segmented_lut<qint16, qint16> s16(f, per_tensor<qint16>(6.0f / 32768),
                                                per_tensor<qint16>(out_scale / 256, out_zp * 256));
        CHECK(measure_accuracy(s16, f).max_error_lsb <= 1.0);
    };
    check("sigmoid", fn::sigmoid{}, 1.0f / 256, -128);
    check("tanh", fn::tanh{}, 1.0f / 128, 0);
    check("gelu", fn::gelu{}, 6.2f / 255, -100);
    check("gelu_tanh", fn::gelu_tanh{}, 6.2f / 255, -100);
    check("silu", fn::silu{}, 6.3f / 255, -100);
    check("hardswish", fn::hardswish{}, 6.4f / 255, -100);
    check("exp", fn::exp{}, 1.0f, -128);
    check("reciprocal", fn::reciprocal{}, 1.0f / 16, 0);
    check("rsqrt", fn::rsqrt{}, 1.0f / 32, -128);
    check("softplus", fn::softplus{}, 6.1f / 255, -128);
    check("erf", fn::erf{}, 1.0f / 127, 0);
    // spot values of the catalogue itself
    CHECK(fn::sigmoid{}(0.0f) == 0.5f);
    CHECK(fn::gelu{}(1.0f) == doctest::Approx(0.8413447460685429).epsilon(1e-7));
    CHECK(fn::softplus{}(100.0f) == 100.0f);
    CHECK(fn::softplus{}(-100.0f) > 0.0f);
    CHECK(fn::hardswish{}(-3.0f) == 0.0f);
    CHECK(fn::hardswish{}(3.0f) == 3.0f);
    CHECK(fn::exp{}(1000.0f) == std::numeric_limits<float>::max());
    CHECK(fn::reciprocal{}(0.0f) == std::numeric_limits<float>::max());
    CHECK(fn::reciprocal{}(-1e-40f) == -std::numeric_limits<float>::max());
    CHECK(fn::rsqrt{}(-1.0f) == std::numeric_limits<float>::max());
    CHECK(fn::rsqrt{}(4.0f) == 0.5f);
}

TEST_CASE("tables deduce their formats from the parameters (CTAD)") {
    const lut8 a(fn::sigmoid{}, per_tensor<qint8>(0.1f), per_tensor<quint8>(1.0f / 256));
    const lut16 b(fn::tanh{}, per_tensor<qint16>(0.001f), per_tensor<qint16>(1.0f / 32768));
    const segmented_lut c(fn::gelu{}, per_tensor<quint16>(0.001f, 32768), per_tensor<qint16>(1.0f / 4096), 1.0);
    static_assert(std::is_same_v<std::decay_t<decltype(a)>, lut8<qint8, quint8>>);
    static_assert(std::is_same_v<std::decay_t<decltype(b)>, lut16<qint16, qint16>>);
    static_assert(std::is_same_v<std::decay_t<decltype(c)>, segmented_lut<quint16, qint16>>);
    CHECK(a(std::int8_t(0)) == 128);
    CHECK(b(std::int16_t(0)) == 0);
    CHECK(c(std::uint16_t(32768)) == 0);
}

TEST_CASE("apply: debug-build preconditions (overlap, null)") {
    const lut8<qint8, qint8> t(fn::tanh{}, per_tensor<qint8>(0.05f), per_tensor<qint8>(1.0f / 128));
    const lut16<qint16, qint16> u(fn::tanh{}, per_tensor<qint16>(1.0f / 4096), per_tensor<qint16>(1.0f / 32768));
    std::vector<std::int8_t> b(64, 1);
    std::vector<std::int16_t> w(64, 1);
    CHECK_NOTHROW(t.apply(b.data(), b.data(), 64));        // in place
    CHECK_THROWS_AS(t.apply(b.data(), b.data() + 1, 32), error);  // shifted overlap
    CHECK_THROWS_AS(u.apply(w.data() + 3, w.data(), 32), error);
    CHECK_THROWS_AS(t.apply(nullptr, b.data(), 4), error);
    CHECK_NOTHROW(t.apply(nullptr, nullptr, 0));
}

// GEMM: every dispatch level bit-exact against the scalar reference for all type pairs, shapes 1..67 and large ones,
// odd strides, unaligned pointers, worst-case values (the pmaddubsw saturation hazard), int64 accumulation, output
// stages, threading, and bad input.
#include <doctest/doctest.h>

#include <qnum/gemm.hpp>
#include <qnum/requantize.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

#if defined(QNUM_TEST_SANITIZED)
constexpr int kSweepStride = 6;
#else
constexpr int kSweepStride = 1;
#endif

std::vector<qnum::isa> levels() {
    std::vector<qnum::isa> out;
    for (auto l : {qnum::isa::scalar, qnum::isa::avx2, qnum::isa::avx512, qnum::isa::avx512_vnni})
        if (qnum::cpu_supports(l)) out.push_back(l);
    return out;
}

struct isa_guard {
    explicit isa_guard(qnum::isa l) { qnum::limit_isa(l); }
    ~isa_guard() { qnum::unlimit_isa(); }
};

template <class T>
void fill(std::vector<T>& v, std::mt19937& rng, std::int32_t lo, std::int32_t hi) {
    std::uniform_int_distribution<std::int32_t> d(lo, hi);
    for (auto& x : v) x = static_cast<T>(d(rng));
}

// Runs one gemm at the current dispatch level on buffers offset by `misalign` elements, checks against the reference.
template <class Acc, class TA, class TB>
void check_case(std::size_t m, std::size_t n, std::size_t k, std::mt19937& rng, std::int32_t a_lo, std::int32_t a_hi,
                std::int32_t b_lo, std::int32_t b_hi, std::int32_t za, std::int32_t zb, qnum::b_layout layout,
                std::size_t pad, std::size_t misalign) {
    const std::size_t lda = k + pad, ldb = (layout == qnum::b_layout::k_by_n ? n : k) + pad, ldc = n + pad;
    const std::size_t b_rows = layout == qnum::b_layout::k_by_n ? k : n;
    std::vector<TA> a(misalign + m * lda);
    std::vector<TB> b(b_rows * ldb);
    fill(a, rng, a_lo, a_hi);
    fill(b, rng, b_lo, b_hi);
    std::vector<Acc> want(m * ldc, 7), got(misalign + m * ldc, 7);
    qnum::reference_gemm<Acc>(m, n, k, a.data() + misalign, lda, za, b.data(), ldb, layout, zb, want.data(), ldc);
    const qnum::packed_matrix_b<TA, TB> packed(b.data(), k, n, ldb, layout, zb);
    qnum::gemm<Acc>(m, a.data() + misalign, lda, za, packed,
                    qnum::output_stage::store<Acc>{got.data() + misalign, ldc});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            if (want[i * ldc + j] != got[misalign + i * ldc + j]) {
                FAIL_CHECK("mismatch at (" << i << "," << j << ") m=" << m << " n=" << n << " k=" << k
                                           << " isa=" << qnum::isa_name(qnum::best_isa())
                                           << " want=" << want[i * ldc + j] << " got=" << got[misalign + i * ldc + j]);
                return;
            }
}

// Shapes: every M, N and K in 1..67 (each with the other two random), plus a few large ones.
template <class TA, class TB>
void sweep(std::int32_t a_lo, std::int32_t a_hi, std::int32_t b_lo, std::int32_t b_hi, std::int32_t zp_span) {
    for (auto level : levels()) {
        isa_guard guard(level);
        std::mt19937 rng(1234);
        std::uniform_int_distribution<int> dim(1, 67), zp(-zp_span, zp_span), coin(0, 1), pad(0, 5);
        for (int which = 0; which < 3; ++which)
            for (int v = 1; v <= 67; v += kSweepStride) {
                std::size_t s[3] = {std::size_t(dim(rng)), std::size_t(dim(rng)), std::size_t(dim(rng))};
                s[which] = std::size_t(v);
                check_case<std::int32_t, TA, TB>(s[0], s[1], s[2], rng, a_lo, a_hi, b_lo, b_hi, zp(rng), zp(rng),
                                                 coin(rng) ? qnum::b_layout::k_by_n : qnum::b_layout::n_by_k,
                                                 std::size_t(pad(rng)), std::size_t(coin(rng)));
            }
        // Large: several row blocks and panels, K remainder, odd strides (int64 for 16-bit A: K * 2^22 > 2^31).
        using big_acc = std::conditional_t<sizeof(TA) == 2, std::int64_t, std::int32_t>;
        check_case<big_acc, TA, TB>(203, 131, 1029, rng, a_lo, a_hi, b_lo, b_hi, 3, -2, qnum::b_layout::n_by_k, 3, 1);
        if (!QNUM_DEBUG_CHECKS && kSweepStride == 1)
            check_case<big_acc, TA, TB>(300, 96, 4099, rng, a_lo, a_hi, b_lo, b_hi, 1, 1, qnum::b_layout::k_by_n, 0, 0);
    }
}

}  // namespace

TEST_CASE("reference gemm: a hand-computed 2x2 with zero points") {
    const std::uint8_t a[] = {1, 2, 3, 4, 5, 6};   // 2x3
    const std::int8_t b[] = {1, -1, 0, 2, -3, 1};  // 3x2
    std::int32_t c[4];
    qnum::reference_gemm<std::int32_t>(2, 2, 3, a, 3, 1, b, 2, qnum::b_layout::k_by_n, 1, c, 2);
    // (A - 1)(B - 1): rows [0 1 2], [3 4 5]; B-1 = [[0 -2] [-1 1] [-4 0]]
    CHECK(c[0] == -9);
    CHECK(c[1] == 1);
    CHECK(c[2] == -24);
    CHECK(c[3] == -2);
}

TEST_CASE("gemm u8s8: all levels bit-exact vs reference") {
    sweep<std::uint8_t, std::int8_t>(0, 255, -128, 127, 20);
    sweep<std::uint8_t, std::int8_t>(64, 192, -128, 127, 0);  // |A - 128| <= 64: the AVX2 pmaddubsw path is safe
}
TEST_CASE("gemm s8s8: all levels bit-exact vs reference") {
    sweep<std::int8_t, std::int8_t>(-128, 127, -128, 127, 20);
    sweep<std::int8_t, std::int8_t>(-64, 64, -128, 127, 0);  // pmaddubsw path (A is the signed operand)
}
TEST_CASE("gemm u8u8: all levels bit-exact vs reference") { sweep<std::uint8_t, std::uint8_t>(0, 255, 0, 255, 128); }
TEST_CASE("gemm s16s16: all levels bit-exact vs reference") {
    sweep<std::int16_t, std::int16_t>(-2000, 2000, -2000, 2000, 100);
}
TEST_CASE("gemm s16s8: all levels bit-exact vs reference") {
    sweep<std::int16_t, std::int8_t>(-32768, 32767, -128, 127, 0);
}

TEST_CASE("gemm: worst-case values, including the pmaddubsw saturation hazard") {
    for (auto level : levels()) {
        isa_guard guard(level);
        CAPTURE(qnum::isa_name(level));
        const std::size_t m = 9, n = 40, k = 1027;
        // All-255 x all-(-128): a pmaddubsw pair would saturate to -32768 instead of -65280.
        std::vector<std::uint8_t> a(m * k, 255);
        std::vector<std::int8_t> b(k * n, -128);
        std::vector<std::int32_t> c(m * n);
        qnum::gemm(m, n, k, a.data(), k, 0, b.data(), n, qnum::b_layout::k_by_n, 0,
                   qnum::output_stage::store<>{c.data(), n});
        for (auto v : c) REQUIRE(v == -255 * 128 * static_cast<std::int32_t>(k));
        // s8s8 all -128 x all -128 (A in the signed slot, B + 128 = 0) and x all 127 (B + 128 = 255).
        std::vector<std::int8_t> as(m * k, -128), bs(k * n, -128);
        qnum::gemm(m, n, k, as.data(), k, 0, bs.data(), n, qnum::b_layout::k_by_n, 0,
                   qnum::output_stage::store<>{c.data(), n});
        for (auto v : c) REQUIRE(v == 128 * 128 * static_cast<std::int32_t>(k));
        std::fill(bs.begin(), bs.end(), std::int8_t{127});
        qnum::gemm(m, n, k, as.data(), k, 0, bs.data(), n, qnum::b_layout::k_by_n, 0,
                   qnum::output_stage::store<>{c.data(), n});
        for (auto v : c) REQUIRE(v == -128 * 127 * static_cast<std::int32_t>(k));
        // u8u8 255 x 255 with zero points 0: fits int32 for K = 1027.
        std::vector<std::uint8_t> bu(k * n, 255);
        qnum::gemm(m, n, k, a.data(), k, 0, bu.data(), n, qnum::b_layout::k_by_n, 0,
                   qnum::output_stage::store<>{c.data(), n});
        for (auto v : c) REQUIRE(v == 255 * 255 * static_cast<std::int32_t>(k));
        // 255 x -64, and the largest maddubs-safe magnitudes for u8s8: A - 128 = 64 with B + 128 = 255
        // (2 * 255 * 64 = 32640 <= 32767), i.e. A = 192 x B = 127.
        std::fill(b.begin(), b.end(), std::int8_t{-64});
        qnum::gemm(m, n, k, a.data(), k, 0, b.data(), n, qnum::b_layout::k_by_n, 0,
                   qnum::output_stage::store<>{c.data(), n});
        for (auto v : c) REQUIRE(v == -255 * 64 * static_cast<std::int32_t>(k));
        std::fill(a.begin(), a.end(), std::uint8_t{192});
        std::fill(b.begin(), b.end(), std::int8_t{127});
        qnum::gemm(m, n, k, a.data(), k, 0, b.data(), n, qnum::b_layout::k_by_n, 0,
                   qnum::output_stage::store<>{c.data(), n});
        for (auto v : c) REQUIRE(v == 192 * 127 * static_cast<std::int32_t>(k));
    }
}

TEST_CASE("gemm int64 accumulation: full-range s16s16 with long K is exact") {
    for (auto level : levels()) {
        isa_guard guard(level);
        CAPTURE(qnum::isa_name(level));
        const std::size_t m = 5, n = 33, k = 4097;
        std::vector<std::int16_t> a(m * k, -32768), b(k * n, -32768);
        std::vector<std::int64_t> c(m * n);
        qnum::gemm<std::int64_t>(m, n, k, a.data(), k, 0, b.data(), n, qnum::b_layout::k_by_n, 0,
                                 qnum::output_stage::store<std::int64_t>{c.data(), n});
        for (auto v : c) REQUIRE(v == 4097 * (std::int64_t{1} << 30));
        std::mt19937 rng(7);
        check_case<std::int64_t, std::int16_t, std::int16_t>(13, 45, 3001, rng, -32768, 32767, -32768, 32767, 5, -3,
                                                             qnum::b_layout::n_by_k, 1, 1);
        check_case<std::int64_t, std::uint8_t, std::int8_t>(13, 45, 301, rng, 0, 255, -128, 127, 5, -3,
                                                            qnum::b_layout::k_by_n, 0, 0);
        check_case<std::int64_t, std::int16_t, std::int8_t>(7, 35, 999, rng, -32768, 32767, -128, 127, 0, 0,
                                                            qnum::b_layout::k_by_n, 2, 0);
        // >= 4 panels: A is packed per tile, including the one-group chunks of full-range int16.
        check_case<std::int64_t, std::int16_t, std::int16_t>(11, 150, 517, rng, -32768, 32767, -32768, 32767, 0, 0,
                                                             qnum::b_layout::k_by_n, 1, 1);
        check_case<std::int64_t, std::int8_t, std::int8_t>(17, 130, 1031, rng, -128, 127, -128, 127, -4, 9,
                                                           qnum::b_layout::n_by_k, 0, 1);
    }
}

TEST_CASE("gemm output stages: bias, clamp, dequantize per channel, requantize through any requantizer") {
    const std::size_t m = 19, n = 37, k = 50;
    std::mt19937 rng(3);
    std::vector<std::uint8_t> a(m * k);
    std::vector<std::int8_t> b(n * k);
    fill(a, rng, 0, 255);
    fill(b, rng, -128, 127);
    std::vector<std::int32_t> raw(m * n), bias(n);
    fill(bias, rng, -5000, 5000);
    qnum::reference_gemm<std::int32_t>(m, n, k, a.data(), k, 128, b.data(), k, qnum::b_layout::n_by_k, 0, raw.data(),
                                       n);
    const qnum::packed_matrix_b<std::uint8_t, std::int8_t> w(b.data(), k, n, k, qnum::b_layout::n_by_k);
    namespace os = qnum::output_stage;

    std::vector<std::int32_t> c(m * n);
    qnum::gemm(m, a.data(), k, 128, w, os::chain(os::bias{bias.data()}, os::clamp{0, 20000}, os::store<>{c.data(), n}));
    for (std::size_t i = 0; i < m * n; ++i)
        REQUIRE(c[i] == std::min<std::int32_t>(20000, std::max<std::int32_t>(0, raw[i] + bias[i % n])));

    std::vector<float> scales(n), f(m * n);
    for (std::size_t j = 0; j < n; ++j) scales[j] = 0.001f * static_cast<float>(j + 1);
    qnum::gemm(m, a.data(), k, 128, w, os::dequantize{f.data(), n, scales.data(), n});
    for (std::size_t i = 0; i < m * n; ++i) REQUIRE(f[i] == static_cast<float>(raw[i]) * scales[i % n]);

    // A test-local requantizer with the requantize.hpp interface: out = clamp(zp + acc / (channel + 1)).
    struct mock_requantizer {
        void apply(const std::int32_t* acc, std::int8_t* out, std::size_t count, std::size_t channel0) const {
            for (std::size_t i = 0; i < count; ++i) {
                const std::int32_t v = 3 + acc[i] / static_cast<std::int32_t>(channel0 + i + 1);
                out[i] = static_cast<std::int8_t>(std::min(127, std::max(-128, v)));
            }
        }
    } req;
    std::vector<std::int8_t> q(m * n);
    qnum::gemm(m, a.data(), k, 128, w, os::requantize_to(req, q.data(), n));
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            REQUIRE(q[i * n + j] ==
                    std::min(127, std::max(-128, 3 + raw[i * n + j] / static_cast<std::int32_t>(j + 1))));
}

// The fused requantize stage with qnum::requantizer must equal the reference int32 GEMM followed by the same
// requantizer over whole rows, for every method, per tensor and per channel, at every dispatch level.
template <class Method, class Out, class TA, class TB>
void check_requantized(bool per_channel, std::int32_t out_zp, qnum::qrange clamp) {
    const std::size_t m = 23, n = 77, k = 301;
    std::mt19937 rng(per_channel ? 21 : 22);
    std::vector<TA> a(m * k);
    std::vector<TB> b(n * k);
    fill(a, rng, std::numeric_limits<TA>::min(), std::numeric_limits<TA>::max());
    fill(b, rng, sizeof(TB) == 2 ? -3000 : -127, sizeof(TB) == 2 ? 3000 : 127);
    const std::int32_t za = std::is_signed_v<TA> ? -3 : 131;
    std::vector<double> multipliers(per_channel ? n : 1);
    for (std::size_t j = 0; j < multipliers.size(); ++j)
        multipliers[j] = std::is_same_v<Method, qnum::power_of_two> ? std::ldexp(1.0, -12 - int(j % 5))
                                                                    : 1.0 / (3000.0 + 997.0 * double(j));
    const qnum::requantizer<Out, Method> req(multipliers, out_zp, clamp);
    std::vector<std::int32_t> acc(m * n);
    qnum::reference_gemm<std::int32_t>(m, n, k, a.data(), k, za, b.data(), k, qnum::b_layout::n_by_k, 0, acc.data(), n);
    std::vector<Out> want(m * n);
    for (std::size_t i = 0; i < m; ++i) req.apply(acc.data() + i * n, want.data() + i * n, n, 0);
    const qnum::packed_matrix_b<TA, TB> w(b.data(), k, n, k, qnum::b_layout::n_by_k);
    for (auto level : levels()) {
        isa_guard guard(level);
        CAPTURE(qnum::isa_name(level));
        std::vector<Out> got(m * n);
        qnum::gemm(m, a.data(), k, za, w, qnum::output_stage::requantize_to(req, got.data(), n));
        REQUIRE(got == want);
    }
}

TEST_CASE("gemm: K blocking through a non-store stage (accumulators of the row block in a scratch buffer)") {
    const std::size_t m = 37, n = 70, k = 2100;  // 525 groups > one K block; N not a multiple of 32
    std::mt19937 rng(8);
    std::vector<std::int8_t> a(m * k), b(k * n);
    fill(a, rng, -128, 127);
    fill(b, rng, -128, 127);
    std::vector<std::int32_t> want(m * n), got(m * n), bias(n, 5);
    qnum::reference_gemm<std::int32_t>(m, n, k, a.data(), k, 2, b.data(), n, qnum::b_layout::k_by_n, -1, want.data(),
                                       n);
    for (auto& v : want) v += 5;
    const qnum::packed_matrix_b<std::int8_t, std::int8_t> w(b.data(), k, n, n, qnum::b_layout::k_by_n, -1);
    namespace os = qnum::output_stage;
    for (auto level : levels()) {
        isa_guard guard(level);
        CAPTURE(qnum::isa_name(level));
        std::fill(got.begin(), got.end(), 0);
        qnum::gemm(m, a.data(), k, 2, w, os::chain(os::bias{bias.data()}, os::store<>{got.data(), n}));
        REQUIRE(got == want);
    }
}

TEST_CASE("gemm + qnum::requantizer: every method, per tensor and per channel, int8/uint8/int16 outputs") {
    const qnum::qrange s8{-128, 127}, u8{0, 255}, relu_s8{-5, 127};
    check_requantized<qnum::double_rounding, std::int8_t, std::uint8_t, std::int8_t>(false, -5, s8);
    check_requantized<qnum::double_rounding, std::int8_t, std::uint8_t, std::int8_t>(true, 3, relu_s8);
    check_requantized<qnum::single_rounding, std::uint8_t, std::int8_t, std::int8_t>(true, 128, u8);
    check_requantized<qnum::rndnu, std::int8_t, std::int8_t, std::int8_t>(false, 0, s8);
    check_requantized<qnum::rndnu, std::int8_t, std::int8_t, std::int8_t>(true, 0, s8);
    check_requantized<qnum::fp32, std::uint8_t, std::uint8_t, std::int8_t>(true, 100, u8);
    check_requantized<qnum::power_of_two, std::int8_t, std::uint8_t, std::int8_t>(true, 0, s8);
    // 16x8: int16 activations, int8 weights, int16 outputs.
    check_requantized<qnum::double_rounding, std::int16_t, std::int16_t, std::int8_t>(true, 0, {-32768, 32767});
    {  // a per-channel requantizer with fewer channels than N is rejected before any work
        const qnum::requantizer<std::int8_t> short_req(std::vector<double>(10, 0.01), 0, {-128, 127});
        std::vector<std::uint8_t> a1(4 * 8, 1);
        std::vector<std::int8_t> b1(8 * 16, 1), c1(4 * 16);
        const qnum::packed_matrix_b<std::uint8_t, std::int8_t> w1(b1.data(), 8, 16, 16);
        CHECK_THROWS_AS(qnum::gemm(4, a1.data(), 8, 0, w1, qnum::output_stage::requantize_to(short_req, c1.data(), 16)),
                        qnum::error);
    }
    // Fused chain: bias then requantize (the requantizer sees biased accumulators).
    const std::size_t m = 9, n = 40, k = 64;
    std::mt19937 rng(4);
    std::vector<std::uint8_t> a(m * k);
    std::vector<std::int8_t> b(k * n);
    std::vector<std::int32_t> bias(n), acc(m * n);
    fill(a, rng, 0, 255);
    fill(b, rng, -128, 127);
    fill(bias, rng, -20000, 20000);
    qnum::reference_gemm<std::int32_t>(m, n, k, a.data(), k, 7, b.data(), n, qnum::b_layout::k_by_n, 0, acc.data(), n);
    for (std::size_t i = 0; i < m * n; ++i) acc[i] += bias[i % n];
    const qnum::requantizer<std::int8_t> req({1.0 / 700.0}, 0, {-128, 127});
    std::vector<std::int8_t> want(m * n), got(m * n);
    req.apply(acc.data(), want.data(), m * n);
    const qnum::packed_matrix_b<std::uint8_t, std::int8_t> w(b.data(), k, n, n);
    namespace os = qnum::output_stage;
    qnum::gemm(m, a.data(), k, 7, w, os::chain(os::bias{bias.data()}, os::requantize_to(req, got.data(), n)));
    CHECK(got == want);
}

TEST_CASE("gemm threading: std::threads and a user parallel-for give the reference result") {
    const std::size_t m = 70, n = 300, k = 129;
    std::mt19937 rng(11);
    std::vector<std::int8_t> a(m * k), b(k * n);
    fill(a, rng, -128, 127);
    fill(b, rng, -128, 127);
    std::vector<std::int32_t> want(m * n), got(m * n);
    qnum::reference_gemm<std::int32_t>(m, n, k, a.data(), k, 0, b.data(), n, qnum::b_layout::k_by_n, 0, want.data(), n);
    const qnum::packed_matrix_b<std::int8_t, std::int8_t> w(b.data(), k, n, n);
    qnum::gemm_options opt;
    opt.threads = 3;
    qnum::gemm(m, a.data(), k, 0, w, qnum::output_stage::store<>{got.data(), n}, opt);
    CHECK(got == want);
    std::fill(got.begin(), got.end(), 0);
    std::size_t calls = 0, tasks_seen = 0;
    opt.parallel_for = [&](std::size_t tasks, const std::function<void(std::size_t)>& body) {
        ++calls;
        tasks_seen = tasks;
        for (std::size_t t = tasks; t-- > 0;) body(t);  // any order
    };
    qnum::gemm(m, a.data(), k, 0, w, qnum::output_stage::store<>{got.data(), n}, opt);
    CHECK(got == want);
    CHECK(calls == 1);
    CHECK(tasks_seen > 1);
}

TEST_CASE("gemm bad input: null pointers, short strides, K too large for int32") {
    std::vector<std::uint8_t> a(64, 1);
    std::vector<std::int8_t> b(64, 1);
    std::vector<std::int32_t> c(64);
    namespace os = qnum::output_stage;
    using packed = qnum::packed_matrix_b<std::uint8_t, std::int8_t>;
    CHECK_THROWS_AS(packed(nullptr, 4, 4, 4), qnum::error);
    CHECK_THROWS_AS(packed(b.data(), 4, 8, 7), qnum::error);                          // ldb < N
    CHECK_THROWS_AS(packed(b.data(), 8, 4, 7, qnum::b_layout::n_by_k), qnum::error);  // ldb < K
    const packed w(b.data(), 8, 8, 8);
    CHECK_THROWS_AS(qnum::gemm(4, static_cast<const std::uint8_t*>(nullptr), 8, 0, w, os::store<>{c.data(), 8}),
                    qnum::error);
    CHECK_THROWS_AS(qnum::gemm(4, a.data(), 7, 0, w, os::store<>{c.data(), 8}), qnum::error);  // lda < K
    CHECK_THROWS_AS(qnum::gemm(4, a.data(), 8, 0, w, os::store<>{nullptr, 8}), qnum::error);
    CHECK_THROWS_AS(qnum::gemm(4, a.data(), 8, 0, w, os::store<>{c.data(), 7}), qnum::error);  // ldc < N
    CHECK_THROWS_AS(qnum::gemm(4, a.data(), 8, 0, w, os::dequantize{nullptr, 8, nullptr, 1}), qnum::error);
    CHECK_NOTHROW(qnum::gemm(0, static_cast<const std::uint8_t*>(nullptr), 0, 0, w, os::store<>{nullptr, 8}));
    // K = 0: every output is the empty sum, 0, whatever the zero points.
    const packed empty_k(nullptr, 0, 5, 5, qnum::b_layout::k_by_n, 3);
    std::fill(c.begin(), c.end(), 99);
    qnum::gemm(3, static_cast<const std::uint8_t*>(nullptr), 0, 7, empty_k, os::store<>{c.data(), 5});
    for (std::size_t i = 0; i < 15; ++i) CHECK(c[i] == 0);

    // s16s16 with int32: full-range operands overflow already at K = 2; the int64 variant accepts them.
    std::vector<std::int16_t> a16(2 * 3, -32768), b16(3 * 2, -32768);
    std::vector<std::int64_t> c64(4);
    CHECK_THROWS_AS(
        qnum::gemm(2, 2, 3, a16.data(), 3, 0, b16.data(), 2, qnum::b_layout::k_by_n, 0, os::store<>{c.data(), 2}),
        qnum::error);
    CHECK_NOTHROW(qnum::gemm<std::int64_t>(2, 2, 3, a16.data(), 3, 0, b16.data(), 2, qnum::b_layout::k_by_n, 0,
                                           os::store<std::int64_t>{c64.data(), 2}));
    CHECK(c64[0] == 3 * (std::int64_t{1} << 30));
    // Moderate int16 values are fine with int32: 1000 * 1000 * 2000 < 2^31.
    std::vector<std::int16_t> a2(2000, 1000), b2(2000, -1000);
    CHECK_NOTHROW(
        qnum::gemm(1, 1, 2000, a2.data(), 2000, 0, b2.data(), 1, qnum::b_layout::k_by_n, 0, os::store<>{c.data(), 1}));
    CHECK(c[0] == -2000000000);
    // u8s8: the limit is K * 255 * 128 (zero points 0) — 65793; beyond it int32 is refused.
    std::vector<std::uint8_t> al(70000, 255);
    std::vector<std::int8_t> bl(70000, -128);
    CHECK_THROWS_AS(
        qnum::gemm(1, 1, 70000, al.data(), 70000, 0, bl.data(), 1, qnum::b_layout::k_by_n, 0, os::store<>{c.data(), 1}),
        qnum::error);
}

// ---- differential tests against other libraries on the same inputs (when built with them) -------------------------
#if defined(QNUM_TEST_DNNL)
#include <oneapi/dnnl/dnnl.h>

TEST_CASE("gemm vs oneDNN dnnl_gemm_u8s8s32 / dnnl_gemm_s8s8s32 (with zero points)") {
    std::mt19937 rng(99);
    std::uniform_int_distribution<int> dim(1, 130);
    for (int trial = 0; trial < 40; ++trial) {
        const std::size_t m = std::size_t(dim(rng)), n = std::size_t(dim(rng)), k = std::size_t(dim(rng)) * 3;
        std::vector<std::uint8_t> au(m * k);
        std::vector<std::int8_t> as(m * k), b(k * n);
        fill(au, rng, 0, 255);
        fill(as, rng, -128, 127);
        fill(b, rng, -128, 127);
        const int za = trial % 3 == 0 ? 0 : 1 + trial, zb = trial % 4 == 0 ? 0 : trial - 20;
        const std::int32_t co = 0;
        std::vector<std::int32_t> want(m * n), got(m * n);
        REQUIRE(dnnl_gemm_u8s8s32('N', 'N', 'F', dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), 1.0f, au.data(),
                                  dnnl_dim_t(k), std::uint8_t(za), b.data(), dnnl_dim_t(n), std::int8_t(zb), 0.0f,
                                  want.data(), dnnl_dim_t(n), &co) == dnnl_success);
        qnum::gemm(m, n, k, au.data(), k, za, b.data(), n, qnum::b_layout::k_by_n, zb,
                   qnum::output_stage::store<>{got.data(), n});
        REQUIRE(got == want);
        REQUIRE(dnnl_gemm_s8s8s32('N', 'N', 'F', dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), 1.0f, as.data(),
                                  dnnl_dim_t(k), std::int8_t(za), b.data(), dnnl_dim_t(n), std::int8_t(zb), 0.0f,
                                  want.data(), dnnl_dim_t(n), &co) == dnnl_success);
        qnum::gemm(m, n, k, as.data(), k, za, b.data(), n, qnum::b_layout::k_by_n, zb,
                   qnum::output_stage::store<>{got.data(), n});
        REQUIRE(got == want);
    }
}
#endif

#if defined(QNUM_TEST_GEMMLOWP)
#include <gemmlowp/public/gemmlowp.h>

TEST_CASE("gemm u8u8 vs gemmlowp (offsets = -zero points)") {
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> dim(1, 90), zp(0, 255);
    gemmlowp::GemmContext context;
    for (int trial = 0; trial < 20; ++trial) {
        const int m = dim(rng), n = dim(rng), k = dim(rng);
        const int za = zp(rng), zb = zp(rng);
        std::vector<std::uint8_t> a(std::size_t(m * k)), b(std::size_t(k * n));
        fill(a, rng, 0, 255);
        fill(b, rng, 0, 255);
        std::vector<std::int32_t> want(std::size_t(m * n)), got(std::size_t(m * n));
        gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::RowMajor> lhs(a.data(), m, k);
        gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::RowMajor> rhs(b.data(), k, n);
        gemmlowp::MatrixMap<std::int32_t, gemmlowp::MapOrder::RowMajor> res(want.data(), m, n);
        gemmlowp::GemmWithOutputPipeline<std::uint8_t, std::int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
            &context, lhs, rhs, &res, -za, -zb, std::make_tuple());
        qnum::gemm(std::size_t(m), std::size_t(n), std::size_t(k), a.data(), std::size_t(k), za, b.data(),
                   std::size_t(n), qnum::b_layout::k_by_n, zb, qnum::output_stage::store<>{got.data(), std::size_t(n)});
        REQUIRE(got == want);
    }
}
#endif

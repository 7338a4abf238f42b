// quantize / dequantize / fake-quantize of 16M elements, fp32 <-> int8 / int16, SIMD (xsimd on the compile-time
// architecture) and the scalar reference, next to memcpy moving the same bytes in the same run.
//   build/bench/quantize_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <qnum/quantize.hpp>

#include <random>
#include <vector>

#include "bench_ratio.hpp"

namespace {

constexpr std::size_t n = std::size_t{1} << 24;

const std::vector<float>& input() {
    static const std::vector<float> x = [] {
        std::vector<float> v(n);
        std::mt19937 rng(1);
        std::normal_distribution<float> dist(0.0f, 2.0f);
        for (auto& e : v) e = dist(rng);
        return v;
    }();
    return x;
}

enum class path { simd, scalar };

struct scope_isa {
    explicit scope_isa(path p) {
        if (p == path::scalar) qnum::limit_isa(qnum::isa::scalar);
    }
    ~scope_isa() { qnum::unlimit_isa(); }
};

template <class Format, class Rounding, qnum::scale_op Op, path P>
void bm_quantize(benchmark::State& state) {
    using S = typename Format::storage;
    const auto& x = input();
    std::vector<S> q(n);
    const qnum::per_tensor<Format> p(0.02f, 0);
    scope_isa isa(P);
    for (auto _ : state) {
        qnum::quantize({x.data(), n}, {q.data(), n}, p, Rounding{}, Op);
        benchmark::DoNotOptimize(q.data());
    }
    qnum_bench::set_traffic(state, static_cast<double>(n * (sizeof(float) + sizeof(S))));
}

template <class Format, path P>
void bm_dequantize(benchmark::State& state) {
    using S = typename Format::storage;
    std::vector<S> q(n);
    qnum::quantize({input().data(), n}, {q.data(), n}, qnum::per_tensor<Format>(0.02f, 0));
    std::vector<float> x(n);
    const qnum::per_tensor<Format> p(0.02f, 0);
    scope_isa isa(P);
    for (auto _ : state) {
        qnum::dequantize(qnum::strided_view<const S>(q.data(), n), {x.data(), n}, p);
        benchmark::DoNotOptimize(x.data());
    }
    qnum_bench::set_traffic(state, static_cast<double>(n * (sizeof(float) + sizeof(S))));
}

template <class Format, path P>
void bm_fake_quantize(benchmark::State& state) {
    const auto& x = input();
    std::vector<float> y(n);
    const qnum::per_tensor<Format> p(0.02f, 0);
    scope_isa isa(P);
    for (auto _ : state) {
        qnum::fake_quantize({x.data(), n}, {y.data(), n}, p);
        benchmark::DoNotOptimize(y.data());
    }
    qnum_bench::set_traffic(state, static_cast<double>(n * 2 * sizeof(float)));
}

using qnum::qint16;
using qnum::qint8;
using qnum::scale_op;
constexpr auto div = scale_op::divide;
constexpr auto rcp = scale_op::multiply_by_reciprocal;

// memcpy of half the traffic of each kernel below: fp32+int8 (5 B/elem), fp32+int16 (6), fp32+fp32 (8).
BENCHMARK(qnum_bench::bm_memcpy)->Arg(n * 5 / 2)->Arg(n * 3)->Arg(n * 4)->Unit(benchmark::kMillisecond);

BENCHMARK(bm_quantize<qint8, qnum::round_half_to_even, div, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_quantize<qint8, qnum::round_half_to_even, rcp, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_quantize<qint8, qnum::round_half_away_from_zero, div, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_quantize<qint8, qnum::round_stochastic, div, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_quantize<qint8, qnum::round_half_to_even, div, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_quantize<qint16, qnum::round_half_to_even, div, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_quantize<qint16, qnum::round_half_to_even, div, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_dequantize<qint8, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_dequantize<qint8, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_dequantize<qint16, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_dequantize<qint16, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_fake_quantize<qint8, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_fake_quantize<qint8, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_fake_quantize<qint16, path::simd>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_fake_quantize<qint16, path::scalar>)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return qnum_bench::run_with_ratios(argc, argv); }

// Benchmarks of the one-pass comparison (every metric at once) over 16M element pairs, next to memcpy of the same
// traffic and a read-bandwidth roof (an xsimd sum over both arrays, the least work that reads them). best_isa is the
// runtime-dispatched kernel (AVX-512 where available), xsimd_avx2 the portable kernel of this -march=x86-64-v3 build.
//
//   ./build/bench/metrics_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <qnum/metrics.hpp>
#include <qnum/quantize.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "bench_ratio.hpp"

namespace {

constexpr std::size_t n = std::size_t{1} << 24;  // 16M pairs: 128 MB of floats, beyond the 32 MiB L3

struct data {
    std::vector<float> ref, test;
    std::vector<std::int8_t> codes;
    data() : ref(n), test(n), codes(n) {
        std::mt19937 rng(1);
        std::normal_distribution<float> d(0.0f, 1.0f), e(0.0f, 0.01f);
        for (std::size_t i = 0; i < n; ++i) ref[i] = d(rng), test[i] = ref[i] + e(rng);
        qnum::quantize(qnum::strided_view<const float>(ref.data(), n), qnum::strided_view<std::int8_t>(codes.data(), n),
                       qnum::per_tensor<qnum::qint8>(0.05f));
    }
};

const data& inputs() {
    static const data d;
    return d;
}

void bm_compare(benchmark::State& state) {
    const auto& d = inputs();
    if (state.range(0) == 0) qnum::limit_isa(qnum::isa::scalar);
    if (state.range(0) == 2) qnum::limit_isa(qnum::isa::avx2);  // the xsimd kernel of this build (AVX2)
    for (auto _ : state) {
        auto c = qnum::compare(d.ref.data(), d.test.data(), n);
        benchmark::DoNotOptimize(c);
    }
    qnum::unlimit_isa();
    qnum_bench::set_traffic(state, 2.0 * n * sizeof(float));
}

void bm_compare_dequantized_int8(benchmark::State& state) {
    const auto& d = inputs();
    const qnum::per_tensor<qnum::qint8> p(0.05f);
    for (auto _ : state) {
        auto c = qnum::compare_dequantized(qnum::strided_view<const float>(d.ref.data(), n),
                                           qnum::strided_view<const std::int8_t>(d.codes.data(), n), p);
        benchmark::DoNotOptimize(c);
    }
    qnum_bench::set_traffic(state, static_cast<double>(n) * (sizeof(float) + 1));
}

// Read roof: the cheapest pass that reads both arrays (float sums, 4 accumulators).
void bm_read_roof(benchmark::State& state) {
    const auto& d = inputs();
    using B = xsimd::batch<float>;
    for (auto _ : state) {
        B a0(0.0f), a1(0.0f), a2(0.0f), a3(0.0f);
        for (std::size_t i = 0; i + 2 * B::size <= n; i += 2 * B::size) {
            a0 += B::load_unaligned(d.ref.data() + i);
            a1 += B::load_unaligned(d.test.data() + i);
            a2 += B::load_unaligned(d.ref.data() + i + B::size);
            a3 += B::load_unaligned(d.test.data() + i + B::size);
        }
        float s = xsimd::hadd((a0 + a1) + (a2 + a3));
        benchmark::DoNotOptimize(s);
    }
    qnum_bench::set_traffic(state, 2.0 * n * sizeof(float));
}

// A naive one-metric loop as users write it (MSE with a double accumulator, scalar).
void bm_naive_mse(benchmark::State& state) {
    const auto& d = inputs();
    for (auto _ : state) {
        double s = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double e = static_cast<double>(d.test[i]) - d.ref[i];
            s += e * e;
        }
        benchmark::DoNotOptimize(s);
    }
    qnum_bench::set_traffic(state, 2.0 * n * sizeof(float));
}

}  // namespace

BENCHMARK(qnum_bench::bm_memcpy)->Arg(n * sizeof(float))->Name("memcpy/64MiB")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_read_roof)->Name("read_roof/16M_pairs")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_compare)->Arg(1)->Name("compare_all_metrics/best_isa/16M_pairs")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_compare)->Arg(2)->Name("compare_all_metrics/xsimd_avx2/16M_pairs")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_compare)->Arg(0)->Name("compare_all_metrics/scalar_reference/16M_pairs")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_naive_mse)->Name("naive_mse_loop/16M_pairs")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_compare_dequantized_int8)->Name("compare_dequantized/int8_vs_float/16M")->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) { return qnum_bench::run_with_ratios(argc, argv); }

// Requantization of 16M int32 accumulators to int8 (per tensor and per channel), the runtime-dispatched qnum kernel
// next to qnum's scalar reference, a naive scalar loop (what an engine writes by hand), and memcpy moving the same
// bytes (64 MiB read + 16 MiB written) in the same process.
//   build/bench/requantize_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <qnum/requantize.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "bench_ratio.hpp"

namespace {

constexpr std::size_t n = std::size_t{1} << 24;
constexpr std::size_t channels = 1024;  // per channel: a [16384 x 1024] row-major accumulator matrix

const std::vector<std::int32_t>& accumulators() {
    static const std::vector<std::int32_t> a = [] {
        std::vector<std::int32_t> v(n);
        std::mt19937 rng(1);
        std::normal_distribution<double> dist(0.0, 20000.0);
        for (auto& e : v) e = static_cast<std::int32_t>(dist(rng));
        return v;
    }();
    return a;
}

std::vector<double> channel_multipliers() {
    std::vector<double> m(channels);
    std::mt19937 rng(2);
    std::uniform_real_distribution<double> dist(0.0005, 0.02);
    for (auto& e : m) e = dist(rng);
    return m;
}

enum class path { dispatched, scalar };

struct scope_isa {
    explicit scope_isa(path p) {
        if (p == path::scalar) qnum::limit_isa(qnum::isa::scalar);
    }
    ~scope_isa() { qnum::unlimit_isa(); }
};

constexpr double traffic = static_cast<double>(n * (sizeof(std::int32_t) + sizeof(std::int8_t)));

template <class Method, path P>
void bm_per_tensor(benchmark::State& state) {
    const auto& acc = accumulators();
    std::vector<std::int8_t> out(n);
    const qnum::requantizer<std::int8_t, Method> rq({0.0042}, -3, {-128, 127});
    scope_isa isa(P);
    for (auto _ : state) {
        rq.apply(acc.data(), out.data(), n);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    qnum_bench::set_traffic(state, traffic);
}

template <class Method, path P>
void bm_per_channel(benchmark::State& state) {
    const auto& acc = accumulators();
    std::vector<std::int8_t> out(n);
    const qnum::requantizer<std::int8_t, Method> rq(channel_multipliers(), 5, {-128, 127});
    scope_isa isa(P);
    for (auto _ : state) {
        rq.apply_rows(acc.data(), out.data(), n / channels, channels);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    qnum_bench::set_traffic(state, traffic);
}

// The loop an engine writes by hand: TFLite's MultiplyByQuantizedMultiplier per element, add zero point, clamp.
void bm_naive_per_tensor(benchmark::State& state) {
    const auto& acc = accumulators();
    std::vector<std::int8_t> out(n);
    const auto m = qnum::quantize_multiplier(0.0042);
    for (auto _ : state) {
        for (std::size_t i = 0; i < n; ++i) {
            const std::int32_t v = qnum::multiply_by_quantized_multiplier(acc[i], m) - 3;
            out[i] = static_cast<std::int8_t>(std::min(std::max(v, -128), 127));
        }
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    qnum_bench::set_traffic(state, traffic);
}

void bm_naive_per_channel(benchmark::State& state) {
    const auto& acc = accumulators();
    std::vector<std::int8_t> out(n);
    std::vector<qnum::quantized_multiplier> m;
    for (double r : channel_multipliers()) m.push_back(qnum::quantize_multiplier(r));
    for (auto _ : state) {
        for (std::size_t i = 0; i < n; ++i) {
            const std::int32_t v = qnum::multiply_by_quantized_multiplier(acc[i], m[i % channels]) + 5;
            out[i] = static_cast<std::int8_t>(std::min(std::max(v, -128), 127));
        }
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    qnum_bench::set_traffic(state, traffic);
}

using qnum::double_rounding;
using qnum::fp32;
using qnum::power_of_two;
using qnum::rndnu;
using qnum::single_rounding;

BENCHMARK(qnum_bench::bm_memcpy)->Arg(n * 5 / 2)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_tensor<double_rounding, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_tensor<single_rounding, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_tensor<rndnu, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_tensor<fp32, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_tensor<double_rounding, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_naive_per_tensor)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_channel<double_rounding, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_channel<single_rounding, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_channel<fp32, path::dispatched>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_per_channel<double_rounding, path::scalar>)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_naive_per_channel)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return qnum_bench::run_with_ratios(argc, argv); }

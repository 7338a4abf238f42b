// Look-up tables on 16M elements: int8 -> int8 (256-entry table, each dispatch level), int16 -> int16 interpolated
// and segmented tables, next to memcpy of the same bytes and XNNPACK's qs8 sigmoid operator (a 256-entry table
// look-up, single-threaded) in the same process.
//   build/bench/lut_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <qnum/lut.hpp>
#include <qnum/lut_functions.hpp>
#include <qnum/lut_int16.hpp>
#include <qnum/lut_segmented.hpp>

#if defined(QNUM_BENCH_XNNPACK)
#include <xnnpack.h>
#endif

#include <cstdint>
#include <random>
#include <vector>

#include "bench_ratio.hpp"

namespace {

using namespace qnum;

constexpr std::size_t n = std::size_t{1} << 24;

template <class T>
std::vector<T> random_codes() {
    std::vector<T> v(n);
    std::mt19937 rng(1);
    for (auto& e : v) e = static_cast<T>(rng());
    return v;
}

struct scope_isa {
    explicit scope_isa(isa level) { limit_isa(level); }
    ~scope_isa() { unlimit_isa(); }
};

template <isa Level>
void bm_lut8(benchmark::State& state) {
    if (!cpu_supports(Level)) {
        state.SkipWithError("level not supported by this CPU");
        return;
    }
    const auto x = random_codes<std::int8_t>();
    std::vector<std::int8_t> y(n, 0);
    const lut8<qint8, qint8> t(fn::sigmoid{}, per_tensor<qint8>(0.0625f), per_tensor<qint8>(1.0f / 256, -128));
    scope_isa s(Level);
    for (auto _ : state) {
        t.apply(x.data(), y.data(), n);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    qnum_bench::set_traffic(state, 2.0 * n);
}

#if defined(QNUM_BENCH_XNNPACK)
void bm_xnnpack_sigmoid_qs8(benchmark::State& state) {
    if (xnn_initialize(nullptr) != xnn_status_success) {
        state.SkipWithError("xnn_initialize failed");
        return;
    }
    const auto x = random_codes<std::int8_t>();
    std::vector<std::int8_t> y(n, 0);
    xnn_operator_t op = nullptr;
    if (xnn_create_sigmoid_nc_qs8(1, 1, 1, 0, 0.0625f, -128, 1.0f / 256, -128, 127, 0, &op) != xnn_status_success ||
        xnn_setup_sigmoid_nc_qs8(op, n, x.data(), y.data(), nullptr) != xnn_status_success) {
        state.SkipWithError("XNNPACK sigmoid setup failed");
        return;
    }
    for (auto _ : state) {
        xnn_run_operator(op, nullptr);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    xnn_delete_operator(op);
    qnum_bench::set_traffic(state, 2.0 * n);
}
BENCHMARK(bm_xnnpack_sigmoid_qs8)->Unit(benchmark::kMillisecond);
#endif

template <class Table, isa Level>
void bm_lut16(benchmark::State& state) {
    const auto x = random_codes<std::int16_t>();
    std::vector<std::int16_t> y(n, 0);
    const Table t(fn::gelu{}, per_tensor<qint16>(8.0f / 32768), per_tensor<qint16>(8.0f / 32768));
    scope_isa s(Level);
    for (auto _ : state) {
        t.apply(x.data(), y.data(), n);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    qnum_bench::set_traffic(state, 4.0 * n);
}

}  // namespace

BENCHMARK(qnum_bench::bm_memcpy)->Arg(n)->Arg(2 * n)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut8<isa::avx512>)->Name("lut8 int8 sigmoid, dispatched (AVX-512 VBMI)")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut8<isa::avx2>)->Name("lut8 int8 sigmoid, AVX2 vpshufb")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut8<isa::scalar>)->Name("lut8 int8 sigmoid, scalar")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut16<lut16<qint16, qint16>, isa::avx2>)
    ->Name("lut16 int16 GELU, AVX2")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut16<lut16<qint16, qint16>, isa::scalar>)
    ->Name("lut16 int16 GELU, scalar")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut16<segmented_lut<qint16, qint16>, isa::avx2>)
    ->Name("segmented_lut int16 GELU (1 LSB), AVX2")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_lut16<segmented_lut<qint16, qint16>, isa::scalar>)
    ->Name("segmented_lut int16 GELU (1 LSB), scalar")
    ->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) { return qnum_bench::run_with_ratios(argc, argv); }

// Observers on 16M floats (64 MiB, beyond the last-level cache): min-max, per-channel min-max and histogram binning
// in GB/s of input read, next to memcpy (bytes copied) and a plain SIMD read-and-sum (the read-bandwidth roof) in
// the same process; and the calibration searches, timed per tensor (2048-bin histogram).
//   ./build/bench/observers_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <qnum/qnum.hpp>

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include <xsimd/xsimd.hpp>

namespace {

constexpr std::size_t big = std::size_t{1} << 24;  // 16M floats

const std::vector<float>& data() {
    static const std::vector<float> x = [] {
        std::vector<float> v(big);
        std::mt19937 rng(1);
        std::normal_distribution<float> d(0.0f, 1.0f);
        for (auto& e : v) e = d(rng);
        return v;
    }();
    return x;
}

void set_bytes(benchmark::State& state, std::size_t bytes) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}

// Scoped isa cap for the reference paths.
struct isa_cap {
    explicit isa_cap(bool scalar) {
        if (scalar) qnum::limit_isa(qnum::isa::scalar);
    }
    ~isa_cap() { qnum::unlimit_isa(); }
};

void BM_memcpy(benchmark::State& state) {
    const auto& x = data();
    std::vector<float> y(big);
    for (auto _ : state) {
        std::memcpy(y.data(), x.data(), big * sizeof(float));
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_bytes(state, big * sizeof(float));
}
BENCHMARK(BM_memcpy)->Unit(benchmark::kMillisecond);

// Read-bandwidth roof: sum every float with four SIMD accumulators.
void BM_read_sum(benchmark::State& state) {
    using B = xsimd::batch<float>;
    const auto& x = data();
    for (auto _ : state) {
        B a0(0.0f), a1(0.0f), a2(0.0f), a3(0.0f);
        for (std::size_t i = 0; i < big; i += 4 * B::size) {
            a0 += B::load_unaligned(x.data() + i);
            a1 += B::load_unaligned(x.data() + i + B::size);
            a2 += B::load_unaligned(x.data() + i + 2 * B::size);
            a3 += B::load_unaligned(x.data() + i + 3 * B::size);
        }
        benchmark::DoNotOptimize(xsimd::hadd((a0 + a1) + (a2 + a3)));
    }
    set_bytes(state, big * sizeof(float));
}
BENCHMARK(BM_read_sum)->Unit(benchmark::kMillisecond);

void BM_minmax(benchmark::State& state) {
    const isa_cap cap(state.range(0) == 0);
    const auto& x = data();
    for (auto _ : state) {
        qnum::minmax_observer o;
        o.observe({x.data(), x.size()});
        benchmark::DoNotOptimize(o.state());
    }
    set_bytes(state, big * sizeof(float));
    state.SetLabel(state.range(0) ? "simd" : "scalar reference");
}
BENCHMARK(BM_minmax)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

// Per-channel min-max: NCHW [16, 64, 128, 128] along axis 1 (runs of H*W) and NHWC [16, 128, 128, 64] along the last
// axis (column-wise across channels).
void BM_minmax_per_channel(benchmark::State& state) {
    const auto& x = data();
    const bool nhwc = state.range(0) == 1;
    const qnum::strided_view<const float> v =
        nhwc ? qnum::strided_view<const float>(x.data(), {16, 128, 128, 64})
             : qnum::strided_view<const float>(x.data(), {16, 64, 128, 128});
    for (auto _ : state) {
        qnum::per_channel_minmax_observer o(nhwc ? 3 : 1);
        o.observe(v);
        benchmark::DoNotOptimize(o.states().data());
    }
    set_bytes(state, big * sizeof(float));
    state.SetLabel(nhwc ? "NHWC, channels last" : "NCHW, axis 1");
}
BENCHMARK(BM_minmax_per_channel)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_histogram(benchmark::State& state) {
    const isa_cap cap(state.range(0) == 0);
    const auto mode = state.range(1) ? qnum::histogram_mode::magnitudes : qnum::histogram_mode::values;
    const auto& x = data();
    for (auto _ : state) {
        qnum::histogram h(2048, mode);
        h.observe({x.data(), x.size()});
        benchmark::DoNotOptimize(h.counts().data());
    }
    set_bytes(state, big * sizeof(float));
    state.SetLabel(std::string(state.range(0) ? "simd" : "scalar reference") +
                   (state.range(1) ? ", |x| (entropy)" : ", x"));
}
BENCHMARK(BM_histogram)->Args({1, 0})->Args({1, 1})->Args({0, 0})->Unit(benchmark::kMillisecond);

// ---- searches, per tensor, over a 2048-bin histogram of the 16M values ----------------------------------------------

const qnum::histogram& hist(qnum::histogram_mode mode) {
    static const qnum::histogram values = [] {
        qnum::histogram h(2048);
        h.observe({data().data(), big});
        return h;
    }();
    static const qnum::histogram magnitudes = [] {
        qnum::histogram h(2048, qnum::histogram_mode::magnitudes);
        h.observe({data().data(), big});
        return h;
    }();
    return mode == qnum::histogram_mode::values ? values : magnitudes;
}

void BM_search_entropy(benchmark::State& state) {
    const auto& h = hist(qnum::histogram_mode::magnitudes);
    const auto levels = static_cast<std::uint32_t>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(qnum::entropy_threshold(h, levels));
    state.SetLabel("TensorRT KL, 2048 bins");
}
BENCHMARK(BM_search_entropy)->Arg(128)->Arg(256)->Unit(benchmark::kMillisecond);

void BM_search_pytorch_norm(benchmark::State& state) {
    const auto& h = hist(qnum::histogram_mode::values);
    for (auto _ : state) benchmark::DoNotOptimize(qnum::pytorch_norm_search(h, 256));
    state.SetLabel("PyTorch HistogramObserver L2, 2048 bins");
}
BENCHMARK(BM_search_pytorch_norm)->Unit(benchmark::kMillisecond);

void BM_search_lp(benchmark::State& state) {
    const auto& h = hist(qnum::histogram_mode::values);
    for (auto _ : state) benchmark::DoNotOptimize(qnum::lp_search(h, qnum::qint8::range, {true}));
    state.SetLabel("MSE over clipping ranges, 100 candidates, 2048 bins");
}
BENCHMARK(BM_search_lp)->Unit(benchmark::kMillisecond);

void BM_search_percentile(benchmark::State& state) {
    const auto& h = hist(qnum::histogram_mode::values);
    for (auto _ : state) benchmark::DoNotOptimize(qnum::percentile_range(h, 99.99, state.range(0) != 0));
    state.SetLabel(state.range(0) ? "99.99%, symmetric (|x| by bisection)" : "99.99%, per side");
}
BENCHMARK(BM_search_percentile)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Raw-data MSE search on a weight tensor of 1M values: per tensor, and per channel over 1024 rows of 1024.
void BM_search_mse_raw(benchmark::State& state) {
    const qnum::strided_view<const float> w(data().data(), {1024, 1024});
    const bool per_channel = state.range(0) != 0;
    for (auto _ : state) {
        if (per_channel)
            benchmark::DoNotOptimize(qnum::mse_search_per_channel(w, 0, qnum::qint8::range, {true}));
        else
            benchmark::DoNotOptimize(qnum::mse_search(w, qnum::qint8::range, {true}));
    }
    set_bytes(state, std::size_t{1} << 22);
    state.SetLabel(per_channel ? "1M weights, per channel (1024 x 1024), 100 candidates"
                               : "1M weights, per tensor, 100 candidates");
}
BENCHMARK(BM_search_mse_raw)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_mixed_evaluate(benchmark::State& state) {
    qnum::mixed_observer m;
    m.observe({data().data(), std::size_t{1} << 20});
    for (auto _ : state) benchmark::DoNotOptimize(m.best(qnum::quint8::range));
    state.SetLabel("7 candidates scored by MSE, 2048 bins");
}
BENCHMARK(BM_mixed_evaluate)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

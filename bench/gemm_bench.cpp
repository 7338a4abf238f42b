// GEMM throughput: qnum vs oneDNN (dnnl_gemm_u8s8s32 / s8s8s32), gemmlowp (u8u8), XNNPACK (fully_connected_nc_qs8)
// and OpenBLAS cblas_sgemm (fp32 reference point), same process, 1 and 2 threads, plus the peak of the inner
// instructions (vpdpbusd, vpdpwssd, pmaddwd) so results read as a % of this CPU's peak.
//
// Shapes are M x K x N (C = A[M x K] B[K x N]); "GOPS" counts 2 M N K operations per second. qnum runs on pre-packed
// weights (its intended use; qnum_u8s8_packing includes packing B on every call), oneDNN's gemm API packs internally
// on every call, XNNPACK packs at operator creation and also requantizes to int8, gemmlowp packs per call.
#include <benchmark/benchmark.h>

#include <qnum/gemm.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#if __has_include(<oneapi/dnnl/dnnl.h>) && defined(QNUM_BENCH_DNNL)
#include <oneapi/dnnl/dnnl.h>
#define HAVE_DNNL 1
#else
#define HAVE_DNNL 0
#endif
#if __has_include(<cblas.h>) && defined(QNUM_BENCH_OPENBLAS)
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#define HAVE_OPENBLAS 1
#else
#define HAVE_OPENBLAS 0
#endif
#if __has_include(<gemmlowp/public/gemmlowp.h>) && defined(QNUM_BENCH_GEMMLOWP)
#include <gemmlowp/public/gemmlowp.h>
#define HAVE_GEMMLOWP 1
#else
#define HAVE_GEMMLOWP 0
#endif
#if __has_include(<xnnpack.h>) && defined(QNUM_BENCH_XNNPACK)
#include <pthreadpool.h>
#include <xnnpack.h>
#define HAVE_XNNPACK 1
#else
#define HAVE_XNNPACK 0
#endif
#if HAVE_DNNL
extern "C" void omp_set_num_threads(int);
#endif

namespace {

// With --benchmark_repetitions=N the table reports the "best" aggregate: the highest GOPS of the N runs (on a shared
// machine the least disturbed run is the closest to the code's real speed; the time columns of "best" are not used).
double best_of(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

struct shape {
    std::int64_t m, k, n;
};

template <class T>
std::vector<T> random_vector(std::size_t n, int lo, int hi, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng));
    return v;
}

void set_gops(benchmark::State& state, std::int64_t m, std::int64_t n, std::int64_t k) {
    state.counters["GOPS"] = benchmark::Counter(2.0 * double(m) * double(n) * double(k) / 1e9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// qnum: args m, k, n, threads. Raw int32 output.
template <class TA, class TB, bool PackEachCall = false>
void bm_qnum(benchmark::State& state) {
    const auto m = state.range(0), k = state.range(1), n = state.range(2);
    const auto a =
        random_vector<TA>(std::size_t(m * k), std::is_signed_v<TA> ? -128 : 0, std::is_signed_v<TA> ? 127 : 255, 1);
    const int b_lo = sizeof(TB) == 2 ? -1000 : (std::is_signed_v<TB> ? -128 : 0);
    const int b_hi = sizeof(TB) == 2 ? 1000 : (std::is_signed_v<TB> ? 127 : 255);
    const auto b = random_vector<TB>(std::size_t(k * n), b_lo, b_hi, 2);
    std::vector<std::int32_t> c(std::size_t(m * n));
    qnum::gemm_options opt;
    opt.threads = unsigned(state.range(3));
    const qnum::packed_matrix_b<TA, TB> packed(b.data(), std::size_t(k), std::size_t(n), std::size_t(n));
    for (auto _ : state) {
        if constexpr (PackEachCall)
            qnum::gemm(std::size_t(m), std::size_t(n), std::size_t(k), a.data(), std::size_t(k), 0, b.data(),
                       std::size_t(n), qnum::b_layout::k_by_n, 0, qnum::output_stage::store<>{c.data(), std::size_t(n)},
                       opt);
        else
            qnum::gemm(std::size_t(m), a.data(), std::size_t(k), 0, packed,
                       qnum::output_stage::store<>{c.data(), std::size_t(n)}, opt);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_gops(state, m, n, k);
}

// qnum s16s16 with operands in [-500, 500] (int32 accumulation is then proven safe for K <= 8589).
void bm_qnum_s16(benchmark::State& state) {
    const auto m = state.range(0), k = state.range(1), n = state.range(2);
    const auto a = random_vector<std::int16_t>(std::size_t(m * k), -500, 500, 1);
    const auto b = random_vector<std::int16_t>(std::size_t(k * n), -500, 500, 2);
    std::vector<std::int32_t> c(std::size_t(m * n));
    qnum::gemm_options opt;
    opt.threads = unsigned(state.range(3));
    const qnum::packed_matrix_b<std::int16_t, std::int16_t> packed(b.data(), std::size_t(k), std::size_t(n),
                                                                   std::size_t(n));
    try {
        for (auto _ : state) {
            qnum::gemm(std::size_t(m), a.data(), std::size_t(k), 0, packed,
                       qnum::output_stage::store<>{c.data(), std::size_t(n)}, opt);
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
        }
    } catch (const qnum::error& e) {
        state.SkipWithError(e.what());
    }
    set_gops(state, m, n, k);
}

#if HAVE_DNNL
template <bool S8S8>
void bm_onednn(benchmark::State& state) {
    const auto m = state.range(0), k = state.range(1), n = state.range(2);
    omp_set_num_threads(int(state.range(3)));
    const auto au = random_vector<std::uint8_t>(std::size_t(m * k), 0, 255, 1);
    const auto as = random_vector<std::int8_t>(std::size_t(m * k), -128, 127, 1);
    const auto b = random_vector<std::int8_t>(std::size_t(k * n), -128, 127, 2);
    std::vector<std::int32_t> c(std::size_t(m * n));
    const std::int32_t co = 0;
    for (auto _ : state) {
        const auto st = S8S8 ? dnnl_gemm_s8s8s32('N', 'N', 'F', m, n, k, 1.0f, as.data(), k, 0, b.data(), n, 0, 0.0f,
                                                 c.data(), n, &co)
                             : dnnl_gemm_u8s8s32('N', 'N', 'F', m, n, k, 1.0f, au.data(), k, 0, b.data(), n, 0, 0.0f,
                                                 c.data(), n, &co);
        if (st != dnnl_success) state.SkipWithError("dnnl_gemm failed");
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_gops(state, m, n, k);
}
#endif

#if HAVE_OPENBLAS
void bm_openblas_sgemm(benchmark::State& state) {
    const auto m = state.range(0), k = state.range(1), n = state.range(2);
    openblas_set_num_threads(int(state.range(3)));
    std::vector<float> a(std::size_t(m * k), 0.5f), b(std::size_t(k * n), 0.25f), c(std::size_t(m * n));
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a.data(), int(k), b.data(),
                    int(n), 0.0f, c.data(), int(n));
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_gops(state, m, n, k);
}
#endif

#if HAVE_GEMMLOWP
void bm_gemmlowp_u8u8(benchmark::State& state) {
    const auto m = state.range(0), k = state.range(1), n = state.range(2);
    const auto a = random_vector<std::uint8_t>(std::size_t(m * k), 0, 255, 1);
    const auto b = random_vector<std::uint8_t>(std::size_t(k * n), 0, 255, 2);
    std::vector<std::int32_t> c(std::size_t(m * n));
    gemmlowp::GemmContext context;
    context.set_max_num_threads(int(state.range(3)));
    gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::RowMajor> lhs(a.data(), int(m), int(k));
    gemmlowp::MatrixMap<const std::uint8_t, gemmlowp::MapOrder::RowMajor> rhs(b.data(), int(k), int(n));
    gemmlowp::MatrixMap<std::int32_t, gemmlowp::MapOrder::RowMajor> res(c.data(), int(m), int(n));
    for (auto _ : state) {
        gemmlowp::GemmWithOutputPipeline<std::uint8_t, std::int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
            &context, lhs, rhs, &res, -128, -128, std::make_tuple());
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_gops(state, m, n, k);
}
#endif

#if HAVE_XNNPACK
// XNNPACK's quantized fully-connected operator: int8 in, int8 out (requantized), weights packed at creation.
void bm_xnnpack_qs8(benchmark::State& state) {
    const auto m = state.range(0), k = state.range(1), n = state.range(2);
    static const bool init = xnn_initialize(nullptr) == xnn_status_success;
    if (!init) {
        state.SkipWithError("xnn_initialize failed");
        return;
    }
    const auto a = random_vector<std::int8_t>(std::size_t(m * k), -128, 127, 1);
    const auto w = random_vector<std::int8_t>(std::size_t(k * n), -127, 127, 2);
    std::vector<std::int32_t> bias(std::size_t(n), 0);
    std::vector<std::int8_t> c(std::size_t(m * n));
    pthreadpool_t pool = state.range(3) > 1 ? pthreadpool_create(std::size_t(state.range(3))) : nullptr;
    xnn_operator_t op = nullptr;
    if (xnn_create_fully_connected_nc_qs8(std::size_t(k), std::size_t(n), std::size_t(k), std::size_t(n), 0, 1.0f, 1.0f,
                                          w.data(), bias.data(), 0, 4096.0f, -128, 127, 0, &op) != xnn_status_success ||
        xnn_setup_fully_connected_nc_qs8(op, std::size_t(m), a.data(), c.data(), pool) != xnn_status_success) {
        state.SkipWithError("xnnpack setup failed");
    } else {
        for (auto _ : state) {
            xnn_run_operator(op, pool);
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
        }
    }
    if (op) xnn_delete_operator(op);
    if (pool) pthreadpool_destroy(pool);
    set_gops(state, m, n, k);
}
#endif

// ---- peak of the inner instructions: 16 independent accumulator chains, no memory traffic ----
#if QNUM_HAS_X86_KERNELS
QNUM_INTRINSICS_BEGIN
template <int Kind>
QNUM_TARGET_AVX512VNNI std::int64_t peak_loop(std::int64_t iters) {
    std::int64_t sink = 0;
    if constexpr (Kind < 2) {
        __m512i acc[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) acc[j] = _mm512_set1_epi32(j);  // distinct, so no chains can be merged
        __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x02020202);
        __asm__ volatile("" : "+v"(a), "+v"(b));
        for (std::int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j) {
                if constexpr (Kind == 0)
                    qnum::detail::gemm_dot_vnni<std::uint8_t, std::int8_t>(acc[j], a, b);
                else
                    qnum::detail::gemm_dot_vnni<std::int16_t, std::int16_t>(acc[j], a, b);
            }
        }
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) sink += _mm_cvtsi128_si32(_mm512_castsi512_si128(acc[j]));
    } else {
        __m256i acc[12];
#pragma GCC unroll 12
        for (int j = 0; j < 12; ++j) acc[j] = _mm256_set1_epi32(j);  // distinct, so no chains can be merged
        __m256i a = _mm256_set1_epi32(0x00010001), b = _mm256_set1_epi32(0x00020002);
        __asm__ volatile("" : "+v"(a), "+v"(b));
        for (std::int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
            for (int j = 0; j < 12; ++j) acc[j] = _mm256_add_epi32(_mm256_madd_epi16(acc[j], b), a);
        }
#pragma GCC unroll 12
        for (int j = 0; j < 12; ++j) sink += _mm_cvtsi128_si32(_mm256_castsi256_si128(acc[j]));
    }
    return sink;
}
QNUM_INTRINSICS_END

// 16 independent accumulators (more than latency x throughput), no loads. Kind 0: vpdpbusd zmm (64 u8 x s8 MACs = 128
// ops); 1: vpdpwssd zmm (32 int16 MACs = 64 ops); 2: vpmaddwd + vpaddd ymm (16 int16 MACs = 32 ops per pair).
template <int Kind>
void bm_peak(benchmark::State& state) {
    if (!qnum::cpu_supports(qnum::isa::avx512_vnni)) {
        state.SkipWithError("no AVX-512 VNNI");
        return;
    }
    constexpr std::int64_t iters = 1 << 16;
    for (auto _ : state) benchmark::DoNotOptimize(peak_loop<Kind>(iters));
    const double ops = Kind == 0 ? 16.0 * 128 : Kind == 1 ? 16.0 * 64 : 12.0 * 32;
    state.counters["GOPS"] =
        benchmark::Counter(ops * double(iters) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
// The qnum VNNI microkernel alone (8 x 32 tile, K = 256: A and the B panel stay in L1): its % of peak bounds the
// whole GEMM's.
template <class TA, class TB>
void bm_microkernel(benchmark::State& state) {
    if (!qnum::cpu_supports(qnum::isa::avx512_vnni)) {
        state.SkipWithError("no AVX-512 VNNI");
        return;
    }
    const std::size_t k = 256;
    const auto a = random_vector<TA>(QNUM_GEMM_VNNI_MR * k, 0, 100, 1);
    const auto b = random_vector<TB>(k * 32, 0, 100, 2);
    const qnum::packed_matrix_b<TA, TB> packed(b.data(), k, 32, 32);
    alignas(64) std::int32_t tile[QNUM_GEMM_VNNI_MR * 32];
    for (auto _ : state) {
        qnum::detail::gemm_kernel_avx512vnni<QNUM_GEMM_VNNI_MR, TA, TB>(
            packed.groups(), a.data(), k, packed.group, packed.panel(0), nullptr, tile, 32, false, nullptr, nullptr);
        benchmark::DoNotOptimize(tile);
    }
    state.counters["GOPS"] = benchmark::Counter(2.0 * QNUM_GEMM_VNNI_MR * 32 * double(k) / 1e9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_TEMPLATE(bm_microkernel, std::uint8_t, std::int8_t)
    ->Name("microkernel_u8s8")
    ->ComputeStatistics("best", best_of);
BENCHMARK_TEMPLATE(bm_microkernel, std::int8_t, std::int8_t)
    ->Name("microkernel_s8s8")
    ->ComputeStatistics("best", best_of);
BENCHMARK_TEMPLATE(bm_microkernel, std::int16_t, std::int16_t)
    ->Name("microkernel_s16s16")
    ->ComputeStatistics("best", best_of);
BENCHMARK_TEMPLATE(bm_peak, 0)->Name("peak_vpdpbusd_zmm")->ComputeStatistics("best", best_of);
BENCHMARK_TEMPLATE(bm_peak, 1)->Name("peak_vpdpwssd_zmm")->ComputeStatistics("best", best_of);
BENCHMARK_TEMPLATE(bm_peak, 2)->Name("peak_vpmaddwd_ymm")->ComputeStatistics("best", best_of);
#endif

const shape kShapes[] = {{256, 256, 256}, {512, 512, 512},   {1024, 1024, 1024}, {2048, 2048, 2048},
                         {1, 4096, 4096}, {128, 4096, 4096}, {3136, 576, 64}};

// Single-thread rows are timed in process CPU time (the machine is shared: time spent descheduled is not counted);
// two-thread rows in wall time (CPU time would sum both threads).
void shapes_1t(benchmark::internal::Benchmark* b) {
    for (const auto& s : kShapes) b->Args({s.m, s.k, s.n, 1});
    b->ArgNames({"M", "K", "N", "threads"})->Unit(benchmark::kMicrosecond)->ComputeStatistics("best", best_of);
}
void shapes_2t(benchmark::internal::Benchmark* b) {
    for (const auto& s : kShapes) b->Args({s.m, s.k, s.n, 2});
    b->ArgNames({"M", "K", "N", "threads"})
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond)
        ->ComputeStatistics("best", best_of);
}
#define QNUM_GEMM_BENCH(call, name)     \
    call->Name(name)->Apply(shapes_1t); \
    call->Name(name)->Apply(shapes_2t)

#define QNUM_REG(fn) benchmark::RegisterBenchmark("", fn)
void register_all() {
    QNUM_GEMM_BENCH(QNUM_REG((bm_qnum<std::uint8_t, std::int8_t>)), "qnum_u8s8");
#if HAVE_DNNL
    QNUM_GEMM_BENCH(QNUM_REG(bm_onednn<false>), "onednn_u8s8");
#endif
    QNUM_GEMM_BENCH(QNUM_REG((bm_qnum<std::int8_t, std::int8_t>)), "qnum_s8s8");
#if HAVE_DNNL
    QNUM_GEMM_BENCH(QNUM_REG(bm_onednn<true>), "onednn_s8s8");
#endif
    QNUM_GEMM_BENCH(QNUM_REG((bm_qnum<std::uint8_t, std::uint8_t>)), "qnum_u8u8");
    QNUM_GEMM_BENCH(QNUM_REG((bm_qnum<std::uint8_t, std::int8_t, true>)), "qnum_u8s8_packing");
    QNUM_GEMM_BENCH(QNUM_REG(bm_qnum_s16), "qnum_s16s16");
#if HAVE_GEMMLOWP
    QNUM_GEMM_BENCH(QNUM_REG(bm_gemmlowp_u8u8), "gemmlowp_u8u8");
#endif
#if HAVE_XNNPACK
    QNUM_GEMM_BENCH(QNUM_REG(bm_xnnpack_qs8), "xnnpack_qs8");
#endif
#if HAVE_OPENBLAS
    QNUM_GEMM_BENCH(QNUM_REG(bm_openblas_sgemm), "openblas_sgemm");
#endif
}

// After the usual table: GOPS of every run, its ratio to oneDNN u8s8 on the same shape and threads, and the % of the
// single-core instruction peak (x threads) it reaches.
class gops_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.run_type == Run::RT_Aggregate ? r.aggregate_name != "best" : r.repetitions > 1) continue;
            const auto g = r.counters.find("GOPS");
            if (g == r.counters.end() || r.error_occurred) continue;
            const std::string name = r.run_name.str();
            const auto slash = name.find('/');
            rows_.push_back(
                {name.substr(0, slash), slash == std::string::npos ? "" : name.substr(slash), g->second.value});
        }
    }
    void Finalize() override {
        ConsoleReporter::Finalize();
        std::map<std::string, double> base, peak;
        for (const auto& r : rows_) {
            if (r.lib == "onednn_u8s8") base[r.args] = r.gops;
            if (r.lib.rfind("peak_", 0) == 0) peak[r.lib] = r.gops;
        }
        std::printf("\n%-20s %-44s %9s %12s %10s\n", "library", "shape", "GOPS", "vs oneDNN", "% peak");
        for (const auto& r : rows_) {
            const auto b = base.find(r.args);
            const bool two = r.args.find("threads:2") != std::string::npos;
            const char* peak_name = r.lib.find("s16") != std::string::npos ? "peak_vpdpwssd_zmm" : "peak_vpdpbusd_zmm";
            const auto p = peak.find(peak_name);
            char ratio[32] = "-", pct[32] = "-";
            if (b != base.end() && b->second > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", r.gops / b->second);
            if (p != peak.end() && r.lib.rfind("peak_", 0) != 0 && r.lib.find("sgemm") == std::string::npos &&
                r.lib.find("gemmlowp") == std::string::npos)
                std::snprintf(pct, sizeof pct, "%.0f%%", 100.0 * r.gops / (p->second * (two ? 2 : 1)));
            std::printf("%-20s %-44s %9.1f %12s %10s\n", r.lib.c_str(), r.args.c_str(), r.gops, ratio, pct);
        }
    }

private:
    struct row {
        std::string lib, args;
        double gops;
    };
    std::vector<row> rows_;
};

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    gops_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}

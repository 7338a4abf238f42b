// Shared by qnum's benchmarks: a memcpy baseline and a reporter that prints, after the usual table, each benchmark's
// bandwidth as a ratio to the memcpy run that moved the same number of bytes in the same process.
//
// Bandwidth convention: "GB/s" counts bytes read + bytes written per second (so memcpy of B bytes moves 2B).
// A benchmark declares its traffic with set_traffic(state, bytes) and is matched with the memcpy run of bytes / 2.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace qnum_bench {

/// Sets the GB/s counter (read + written bytes per iteration) and remembers the traffic for the ratio table.
inline void set_traffic(benchmark::State& state, double bytes_per_iteration) {
    state.counters["GB/s"] = benchmark::Counter(bytes_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
    state.counters["traffic_MB"] = bytes_per_iteration / 1e6;
}

/// memcpy of state.range(0) bytes: the bandwidth every streaming kernel is measured against.
inline void bm_memcpy(benchmark::State& state) {
    const auto bytes = static_cast<std::size_t>(state.range(0));
    std::vector<char> src(bytes, 1), dst(bytes);
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), bytes);
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    set_traffic(state, 2.0 * static_cast<double>(bytes));
}

/// Console reporter that also prints "<benchmark>  GB/s  ratio vs memcpy" once all runs are done.
class ratio_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
            const auto gbs = r.counters.find("GB/s"), traffic = r.counters.find("traffic_MB");
            if (gbs == r.counters.end() || traffic == r.counters.end()) continue;
            rows_.push_back({r.benchmark_name(), gbs->second.value / 1e9, traffic->second.value});
        }
    }

    void Finalize() override {
        ConsoleReporter::Finalize();
        std::map<long long, double> memcpy_by_traffic;
        for (const auto& row : rows_)
            if (row.name.find("memcpy") != std::string::npos) memcpy_by_traffic[key(row.traffic)] = row.gbs;
        std::printf("\n%-70s %10s %10s\n", "benchmark (median if repeated)", "GB/s", "vs memcpy");
        for (const auto& row : rows_) {
            const auto m = memcpy_by_traffic.find(key(row.traffic));
            if (m == memcpy_by_traffic.end())
                std::printf("%-70s %10.2f %10s\n", row.name.c_str(), row.gbs, "-");
            else
                std::printf("%-70s %10.2f %9.0f%%\n", row.name.c_str(), row.gbs, 100.0 * row.gbs / m->second);
        }
    }

private:
    struct row {
        std::string name;
        double gbs, traffic;
    };
    static long long key(double traffic_mb) { return static_cast<long long>(traffic_mb * 1000.0 + 0.5); }
    std::vector<row> rows_;
};

/// main() body for benchmarks that want the ratio table.
inline int run_with_ratios(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}

}  // namespace qnum_bench

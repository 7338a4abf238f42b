// qnum — fused GEMM output stages: what happens to each finished row of accumulators while it is still in L1.
//
// gemm() hands every stage a row segment of the exact, zero-point-corrected accumulators:
//   stage(Acc* acc, std::size_t row, std::size_t col0, std::size_t n)   — columns [col0, col0 + n) of output row `row`
// (col0 is also the output channel of acc[0]), and calls stage.check(m, n) once before any work, where checks throw
// qnum::error. A stage may also offer prefetch(row, col0, n): gemm calls it for every row of a tile before computing
// the tile, so the output lines are being fetched while the kernel runs (otherwise the stores stall on misses). Stages
// that transform (bias, clamp) modify acc in place; terminal stages (store, requantize, dequantize) write the output.
// chain(s1, s2, ...) runs several in order. Any type with that shape is a stage.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "qnum/error.hpp"

namespace qnum::output_stage {

/// Prefetches n output elements at p for writing (a hint; compiles to nothing where unsupported).
template <class T>
inline void prefetch_for_write(const T* p, std::size_t n) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    const char* bytes = reinterpret_cast<const char*>(p);
    for (std::size_t off = 0; off < n * sizeof(T); off += 64) __builtin_prefetch(bytes + off, 1, 3);
    __builtin_prefetch(bytes + n * sizeof(T) - 1, 1, 3);
#else
    (void)p;
    (void)n;
#endif
}

/// Stores the raw accumulators (int32_t or int64_t) to C (row stride ldc >= N).
template <class Acc = std::int32_t>
struct store {
    Acc* c;
    std::size_t ldc;
    void check(std::size_t m, std::size_t n) const {
        detail::require(c != nullptr || m == 0 || n == 0, "gemm: C is null but M x N is not empty");
        detail::require(ldc >= n || m <= 1, "gemm: ldc is smaller than N");
    }
    void prefetch(std::size_t row, std::size_t col0, std::size_t n) const {
        prefetch_for_write(c + row * ldc + col0, n);
    }
    void operator()(const Acc* acc, std::size_t row, std::size_t col0, std::size_t n) const {
        if (n == 32)  // the usual full tile row: a fixed-size copy the compiler inlines
            std::memcpy(c + row * ldc + col0, acc, 32 * sizeof(Acc));
        else
            std::memcpy(c + row * ldc + col0, acc, n * sizeof(Acc));
    }
};

/// Adds a per-output-channel bias (bias[j], one per column, already in accumulator units), wrapping like int32.
struct bias {
    const std::int32_t* values;
    void check(std::size_t, std::size_t n) const { detail::require(values != nullptr || n == 0, "gemm: bias is null"); }
    template <class Acc>
    void operator()(Acc* acc, std::size_t, std::size_t col0, std::size_t n) const {
        for (std::size_t j = 0; j < n; ++j)
            acc[j] = static_cast<Acc>(static_cast<std::make_unsigned_t<Acc>>(acc[j]) +
                                      static_cast<std::make_unsigned_t<Acc>>(values[col0 + j]));
    }
};

/// Clamps the accumulators to [lo, hi] (e.g. a fused ReLU on int32 before storing or dequantizing).
struct clamp {
    std::int64_t lo, hi;
    void check(std::size_t, std::size_t) const { detail::require(lo <= hi, "gemm: clamp needs lo <= hi"); }
    template <class Acc>
    void operator()(Acc* acc, std::size_t, std::size_t, std::size_t n) const {
        for (std::size_t j = 0; j < n; ++j)
            acc[j] = static_cast<Acc>(std::min<std::int64_t>(hi, std::max<std::int64_t>(lo, acc[j])));
    }
};

/// A requantizer that reports channels() (qnum::requantizer does) must be per tensor or have one per column.
template <class R>
auto check_channels(const R& r, std::size_t n) -> decltype(void(r.channels())) {
    detail::require(r.channels() == 1 || r.channels() >= n, "gemm: the requantizer has fewer channels than N");
}
inline void check_channels(...) {}

/// Requantizes int32 accumulators with any requantizer offering apply(const int32_t*, Out*, n, channel0) — e.g.
/// qnum::requantizer<Out, Method> per tensor or per channel (channel = column) — and writes Out (int8/uint8/int16).
/// The requantizer is referenced, not copied: it must outlive the gemm call.
template <class Out, class Requantizer>
struct requantize {
    const Requantizer* requantizer;
    Out* c;
    std::size_t ldc;
    void check(std::size_t m, std::size_t n) const {
        detail::require(requantizer != nullptr, "gemm: requantizer is null");
        check_channels(*requantizer, n);
        detail::require(c != nullptr || m == 0 || n == 0, "gemm: C is null but M x N is not empty");
        detail::require(ldc >= n || m <= 1, "gemm: ldc is smaller than N");
    }
    void prefetch(std::size_t row, std::size_t col0, std::size_t n) const {
        prefetch_for_write(c + row * ldc + col0, n);
    }
    template <class Acc>
    void operator()(const Acc* acc, std::size_t row, std::size_t col0, std::size_t n) const {
        static_assert(std::is_same_v<Acc, std::int32_t>, "qnum: requantize takes int32 accumulators");
        requantizer->apply(acc, c + row * ldc + col0, n, col0);
    }
};

/// requantize stage writing Out to C (row stride ldc) through `r`.
template <class Out, class Requantizer>
requantize<Out, Requantizer> requantize_to(const Requantizer& r, Out* c, std::size_t ldc) {
    return {&r, c, ldc};
}

/// Dequantizes to float: C[i][j] = float(acc) * scales[j] per channel (n_scales == N) or scales[0] per tensor
/// (n_scales == 1); the scale is usually scale_A * scale_B[j]. One float multiply, round to nearest.
struct dequantize {
    float* c;
    std::size_t ldc;
    const float* scales;
    std::size_t n_scales = 1;
    void check(std::size_t m, std::size_t n) const {
        detail::require(c != nullptr || m == 0 || n == 0, "gemm: C is null but M x N is not empty");
        detail::require(ldc >= n || m <= 1, "gemm: ldc is smaller than N");
        detail::require(scales != nullptr && (n_scales == 1 || n_scales == n), "gemm: dequantize needs 1 or N scales");
    }
    void prefetch(std::size_t row, std::size_t col0, std::size_t n) const {
        prefetch_for_write(c + row * ldc + col0, n);
    }
    template <class Acc>
    void operator()(const Acc* acc, std::size_t row, std::size_t col0, std::size_t n) const {
        float* out = c + row * ldc + col0;
        if (n_scales == 1)
            for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<float>(acc[j]) * scales[0];
        else
            for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<float>(acc[j]) * scales[col0 + j];
    }
};

/// Calls s.prefetch(row, col0, n) when the stage has one.
template <class S>
auto try_prefetch(const S& s, std::size_t row, std::size_t col0, std::size_t n) -> decltype(s.prefetch(row, col0, n)) {
    s.prefetch(row, col0, n);
}
inline void try_prefetch(...) {}

/// Several stages applied in order (transforming ones first, a terminal one last).
template <class... Stages>
struct chain {
    std::tuple<Stages...> stages;
    explicit chain(Stages... s) : stages(std::move(s)...) {}
    void check(std::size_t m, std::size_t n) const {
        std::apply([&](const auto&... s) { (s.check(m, n), ...); }, stages);
    }
    void prefetch(std::size_t row, std::size_t col0, std::size_t n) const {
        std::apply([&](const auto&... s) { (try_prefetch(s, row, col0, n), ...); }, stages);
    }
    template <class Acc>
    void operator()(Acc* acc, std::size_t row, std::size_t col0, std::size_t n) const {
        std::apply([&](const auto&... s) { (s(acc, row, col0, n), ...); }, stages);
    }
};

}  // namespace qnum::output_stage

// qnum — error metrics between a reference tensor and a test tensor (e.g. float vs fake-quantized or dequantized
// outputs of a layer): cosine similarity, MSE / RMSE, SNR and SQNR in dB, mean and max absolute error, max relative
// error, max error in quantization steps, and the KL divergence of two histograms.
//
// compare() reads both tensors once and returns a `comparison` holding every statistic (compare_per_channel(): one per
// index along an axis; compare_dequantized(): integer codes against float); the one-metric functions are conveniences
// over it. Sums are kept in double with a fixed blocked + pairwise order (kernels/metrics/scalar.hpp),
// so results are deterministic, independent of the ISA (the SIMD kernels equal the scalar reference bit for bit) and
// each sum is within ~1e-13 of the sum of its terms' magnitudes, for any size. Conventions for degenerate inputs:
//   * NaN and +-inf: a pair where either side is non-finite is excluded from every statistic and counted
//     (nan_reference, nan_test, inf_reference, inf_test, skipped); nothing NaN leaks into the results.
//   * no valid pairs (empty tensors, or all skipped): every error is 0, cosine is 1, SNR and SQNR are +inf.
//   * zero error (identical tensors, including all-zero ones): SNR and SQNR are +inf.
//   * cosine of two zero vectors is 1 (identical); of a zero and a non-zero vector 0.
//   * zero signal power with non-zero error: SQNR is -inf; SNR uses the reference's variance, so a constant
//     reference (zero variance) also gives -inf.
//   * relative error of an element is |t - r| / |r|: 0 when t == r, +inf when r == 0 != t.
// Mismatched shapes throw qnum::error.
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "qnum/cpu.hpp"
#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/histogram.hpp"
#include "qnum/kernels/metrics/avx512.hpp"
#include "qnum/kernels/metrics/scalar.hpp"
#include "qnum/qparams.hpp"
#include "qnum/quantize.hpp"
#include "qnum/view.hpp"

#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#include "qnum/kernels/metrics/xsimd.hpp"
#define QNUM_METRICS_SIMD 1
#else
#define QNUM_METRICS_SIMD 0
#endif

namespace qnum {

/// Every statistic of one reference-vs-test comparison (sums over the valid pairs, in double) and the metrics
/// derived from them. Plain data; see merge() to combine comparisons of several batches.
struct comparison {
    std::uint64_t count = 0;          ///< valid pairs (both values finite)
    std::uint64_t skipped = 0;        ///< pairs excluded because either value is NaN or +-inf
    std::uint64_t nan_reference = 0;  ///< NaNs in the reference
    std::uint64_t nan_test = 0;       ///< NaNs in the test tensor
    std::uint64_t inf_reference = 0;  ///< +-infs in the reference
    std::uint64_t inf_test = 0;       ///< +-infs in the test tensor
    double sum_reference = 0.0;       ///< sum r
    double sum_reference_sq = 0.0;    ///< sum r^2 (signal power times count)
    double sum_test_sq = 0.0;         ///< sum t^2
    double sum_product = 0.0;         ///< sum r*t
    double sum_error_sq = 0.0;        ///< sum (t - r)^2 (noise power times count)
    double sum_abs_error = 0.0;       ///< sum |t - r|
    double max_abs = 0.0;             ///< max |t - r| (atol needed for allclose)
    double max_rel = 0.0;             ///< max |t - r| / |r| (rtol needed; +inf if some r == 0 != t)

    /// True when some input value was NaN or infinite (those pairs were skipped).
    bool has_nonfinite() const noexcept { return skipped != 0; }
    /// Mean squared error; 0 without valid pairs.
    double mse() const noexcept { return count ? sum_error_sq / static_cast<double>(count) : 0.0; }
    /// Root mean squared error.
    double rmse() const noexcept { return std::sqrt(mse()); }
    /// Mean absolute error (L1 error per element); 0 without valid pairs.
    double mean_abs_error() const noexcept { return count ? sum_abs_error / static_cast<double>(count) : 0.0; }
    /// Max absolute error.
    double max_abs_error() const noexcept { return max_abs; }
    /// Max relative error |t - r| / |r| (0 where t == r; +inf where r == 0 != t).
    double max_rel_error() const noexcept { return max_rel; }
    /// Max absolute error in units of a quantization step `scale` (e.g. <= 0.5 for round-to-nearest in range).
    double max_error_in_steps(double scale) const {
        detail::require(scale > 0.0 && std::isfinite(scale), "max_error_in_steps: scale must be finite and > 0");
        return max_abs / scale;
    }
    /// Cosine similarity sum(r*t) / (|r| |t|), clamped to [-1, 1]; 1 for two zero vectors, 0 if only one is zero.
    double cosine() const noexcept {
        if (sum_reference_sq == 0.0 || sum_test_sq == 0.0) return sum_reference_sq == sum_test_sq ? 1.0 : 0.0;
        const double c = sum_product / (std::sqrt(sum_reference_sq) * std::sqrt(sum_test_sq));
        return c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
    }
    /// Signal-to-quantization-noise ratio 10 log10(sum r^2 / sum (t - r)^2) in dB (PyTorch Numeric Suite's
    /// compute_sqnr); +inf for zero error, -inf for zero signal and non-zero error.
    double sqnr_db() const noexcept { return ratio_db(sum_reference_sq, sum_error_sq); }
    /// Signal-to-noise ratio 10 log10(sum (r - mean r)^2 / sum (t - r)^2) in dB: like sqnr_db() but the signal is
    /// the reference's variation about its mean, so a DC offset does not inflate it; -inf for a constant reference
    /// with non-zero error, +inf for zero error.
    double snr_db() const noexcept {
        double var = count ? sum_reference_sq - sum_reference * (sum_reference / static_cast<double>(count)) : 0.0;
        return ratio_db(var > 0.0 ? var : 0.0, sum_error_sq);
    }
    /// Noise-to-signal power ratio sum (t - r)^2 / sum r^2 (linear, lower is better; 0 for zero error, +inf for zero
    /// signal and non-zero error).
    double noise_to_signal() const noexcept {
        if (sum_error_sq == 0.0) return 0.0;
        return sum_reference_sq == 0.0 ? std::numeric_limits<double>::infinity() : sum_error_sq / sum_reference_sq;
    }

private:
    static double ratio_db(double signal, double noise) noexcept {
        if (noise == 0.0) return std::numeric_limits<double>::infinity();
        if (signal == 0.0) return -std::numeric_limits<double>::infinity();
        return 10.0 * std::log10(signal / noise);
    }
};

/// Comparison of the union of two disjoint sets of pairs (e.g. batches or shards): counts and sums add, maxima take
/// the larger. Equal to one pass over everything up to the rounding of the sums (a different summation order).
constexpr comparison merge(const comparison& a, const comparison& b) noexcept {
    comparison c;
    c.count = a.count + b.count;
    c.skipped = a.skipped + b.skipped;
    c.nan_reference = a.nan_reference + b.nan_reference;
    c.nan_test = a.nan_test + b.nan_test;
    c.inf_reference = a.inf_reference + b.inf_reference;
    c.inf_test = a.inf_test + b.inf_test;
    c.sum_reference = a.sum_reference + b.sum_reference;
    c.sum_reference_sq = a.sum_reference_sq + b.sum_reference_sq;
    c.sum_test_sq = a.sum_test_sq + b.sum_test_sq;
    c.sum_product = a.sum_product + b.sum_product;
    c.sum_error_sq = a.sum_error_sq + b.sum_error_sq;
    c.sum_abs_error = a.sum_abs_error + b.sum_abs_error;
    c.max_abs = a.max_abs > b.max_abs ? a.max_abs : b.max_abs;
    c.max_rel = a.max_rel > b.max_rel ? a.max_rel : b.max_rel;
    return c;
}

namespace detail {

inline bool metrics_simd_enabled() noexcept {
    return QNUM_METRICS_SIMD && isa_ceiling.load(std::memory_order_relaxed) != 0;
}

inline bool metrics_avx512_enabled() noexcept { return QNUM_HAS_X86_KERNELS && isa_enabled(isa::avx512); }

// The best vector kernel for n contiguous, lane-aligned pairs inside one block: AVX-512 (runtime dispatch), else
// xsimd for this translation unit's architecture. Returns 0 (state untouched) for a segment with NaN/inf.
inline std::size_t compare_run_vector(compare_state& s, const float* r, const float* t, std::size_t n) noexcept {
#if QNUM_HAS_X86_KERNELS
    if (metrics_avx512_enabled()) return compare_run_avx512(s, r, t, n);
#endif
#if QNUM_METRICS_SIMD
    return simd::compare_run<xsimd::default_arch>(s, r, t, n);
#else
    (void)s, (void)r, (void)t, (void)n;
    return 0;
#endif
}

/// Adds n pairs at any strides to the state, splitting at block boundaries; the contiguous lane-aligned part of each
/// block runs the SIMD kernel.
inline void compare_run(compare_state& s, const float* r, std::ptrdiff_t rs, const float* t, std::ptrdiff_t ts,
                        std::size_t n) noexcept {
    while (n > 0) {
        const std::size_t room = cmp_block - s.in_block;
        const std::size_t chunk = n < room ? n : room;
        std::size_t head = chunk;
        const bool vector = rs == 1 && ts == 1 && (metrics_avx512_enabled() || metrics_simd_enabled());
        if (vector) {
            head = (cmp_lanes - s.in_block % cmp_lanes) % cmp_lanes;
            if (head > chunk) head = chunk;
        }
        compare_run_scalar(s, r, rs, t, ts, head);
        std::size_t done = head;
        const std::size_t whole = vector ? (chunk - head) / cmp_lanes * cmp_lanes : 0;
        if (whole > 0) {
            if (compare_run_vector(s, r + head, t + head, whole) == 0)
                compare_run_scalar(s, r + head, 1, t + head, 1, whole);  // segment with NaN/inf: count them
            done += whole;
        }
        compare_run_scalar(s, r + static_cast<std::ptrdiff_t>(done) * rs, rs,
                           t + static_cast<std::ptrdiff_t>(done) * ts, ts, chunk - done);
        r += static_cast<std::ptrdiff_t>(chunk) * rs;
        t += static_cast<std::ptrdiff_t>(chunk) * ts;
        n -= chunk;
        if (s.in_block == cmp_block) compare_flush_block(s);
    }
}

inline comparison compare_finish(compare_state& s) noexcept {
    double sums[cmp_stats];
    compare_totals(s, sums);
    comparison c;
    c.count = s.valid;
    c.skipped = s.skipped;
    c.nan_reference = s.nan_r;
    c.nan_test = s.nan_t;
    c.inf_reference = s.inf_r;
    c.inf_test = s.inf_t;
    c.sum_reference = sums[cmp_r];
    c.sum_reference_sq = sums[cmp_rr];
    c.sum_test_sq = sums[cmp_tt];
    c.sum_product = sums[cmp_rt];
    c.sum_error_sq = sums[cmp_ee];
    c.sum_abs_error = sums[cmp_ae];
    c.max_abs = s.max_abs;
    c.max_rel = s.max_rel;
    return c;
}

// Dequantizes a run of codes in chunks into a stack buffer and compares it with the reference run.
template <class Storage, class Params>
void compare_dequantized_run(compare_state& s, const float* r, std::ptrdiff_t rs, const Storage* q, std::ptrdiff_t qs,
                             std::size_t n, const Params& p) {
    constexpr std::size_t chunk = 1024;
    alignas(64) float buf[chunk];
    for (std::size_t k = 0; k < n; k += chunk) {
        const std::size_t len = n - k < chunk ? n - k : chunk;
        const auto off = static_cast<std::ptrdiff_t>(k);
        dequantize_run(q + off * qs, qs, buf, 1, len, p.advanced(k));  // SIMD, equal to the reference
        compare_run(s, r + off * rs, rs, buf, 1, len);
    }
}

/// Calls f(r, r_stride, t, t_stride, n) on each pair of matching contiguous-as-possible runs of two same-shape views
/// (dimensions coalesced first, so dense tensors are one run); stops early when f returns false.
template <class F>
inline void for_each_run_pair(const strided_view<const float>& reference, const strided_view<const float>& test,
                              F&& f) {
    if (reference.empty()) return;
    std::size_t keep = no_axis;
    const auto [a, b] = coalesce(keep, reference, test);
    const std::size_t last = a.rank() - 1;
    const auto n = static_cast<std::size_t>(a.extent(last));
    bool more = true;
    for_each_run(
        [&](const dims&, const auto& off, std::uint64_t) {
            if (more) more = f(a.data() + off[0], a.stride(last), b.data() + off[1], b.stride(last), n);
        },
        a, b);
}

}  // namespace detail

/// Compares `test` against `reference` (same shape, any strides) in one pass: every statistic of `comparison`.
/// Throws qnum::error if the shapes differ. Deterministic; SIMD on contiguous runs, equal to the scalar reference.
inline comparison compare(strided_view<const float> reference, strided_view<const float> test) {
    detail::require(reference.same_shape(test), "compare: reference and test have different shapes");
    detail::compare_state s;
    detail::for_each_run_pair(reference, test,
                              [&](const float* r, std::ptrdiff_t rs, const float* t, std::ptrdiff_t ts, std::size_t n) {
                                  detail::compare_run(s, r, rs, t, ts, n);
                                  return true;
                              });
    return detail::compare_finish(s);
}

/// One comparison per index along `axis` (e.g. per output channel of a weight, or per channel of an activation):
/// result[c] equals compare() of the slices at index c (same elements, same order, bit for bit). Throws
/// qnum::error for different shapes or an axis outside the views.
inline std::vector<comparison> compare_per_channel(strided_view<const float> reference, strided_view<const float> test,
                                                   std::size_t axis) {
    detail::require(reference.same_shape(test), "compare_per_channel: reference and test have different shapes");
    detail::require(axis < reference.rank(), "compare_per_channel: axis out of range for the views");
    std::vector<detail::compare_state> states(static_cast<std::size_t>(reference.extent(axis)));
    if (!reference.empty()) {
        std::size_t keep = axis;
        const auto [a, b] = detail::coalesce(keep, reference, test);
        const std::size_t last = a.rank() - 1;
        const auto n = static_cast<std::size_t>(a.extent(last));
        const std::ptrdiff_t as = a.stride(last), bs = b.stride(last);
        detail::for_each_run(
            [&](const dims& index, const auto& off, std::uint64_t) {
                if (keep == last) {  // the run crosses the channels: one element each
                    for (std::size_t j = 0; j < n; ++j) {
                        const auto p = static_cast<std::ptrdiff_t>(j);
                        detail::compare_run(states[j], a.data() + off[0] + p * as, as, b.data() + off[1] + p * bs, bs,
                                            1);
                    }
                } else {
                    detail::compare_run(states[static_cast<std::size_t>(index[keep])], a.data() + off[0], as,
                                        b.data() + off[1], bs, n);
                }
            },
            a, b);
    }
    std::vector<comparison> out;
    out.reserve(states.size());
    for (auto& st : states) out.push_back(detail::compare_finish(st));
    return out;
}

/// compare() of two contiguous arrays of n floats.
inline comparison compare(const float* reference, const float* test, std::size_t n) {
    return compare(strided_view<const float>(reference, n), strided_view<const float>(test, n));
}

/// compare() of two vectors; throws qnum::error if their sizes differ.
inline comparison compare(const std::vector<float>& reference, const std::vector<float>& test) {
    detail::require(reference.size() == test.size(), "compare: reference and test have different sizes");
    return compare(reference.data(), test.data(), reference.size());
}

/// Compares integer codes `q`, dequantized with `params` (per_tensor, per_channel or per_group of a format) as
/// float(q - zero_point) * scale, against `reference` (same shape, any strides) — without materialising the
/// dequantized tensor. Equal to compare(reference, dequantize(q)). Throws qnum::error for mismatched shapes or
/// parameters that do not fit the view.
template <class Params>
comparison compare_dequantized(strided_view<const float> reference,
                               strided_view<const typename Params::format::storage> q, const Params& params) {
    detail::require(reference.same_shape(q), "compare_dequantized: reference and codes have different shapes");
    detail::compare_state s;
    detail::for_each_param_run(
        q, reference, params,
        [&](const auto* qp, std::ptrdiff_t qs, const float* rp, std::ptrdiff_t rs, std::size_t n, const auto& p,
            std::uint64_t) { detail::compare_dequantized_run(s, rp, rs, qp, qs, n, p); });
    return detail::compare_finish(s);
}

/// Cosine similarity of two same-shaped tensors (see comparison::cosine()).
inline double cosine_similarity(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).cosine();
}
/// Mean squared error.
inline double mse(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).mse();
}
/// Root mean squared error.
inline double rmse(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).rmse();
}
/// SNR in dB, signal = variation of the reference about its mean (see comparison::snr_db()).
inline double snr_db(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).snr_db();
}
/// SQNR in dB, signal = power of the reference (see comparison::sqnr_db()).
inline double sqnr_db(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).sqnr_db();
}
/// Mean absolute error (L1 per element).
inline double mean_abs_error(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).mean_abs_error();
}
/// Max absolute error.
inline double max_abs_error(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).max_abs_error();
}
/// Max relative error.
inline double max_rel_error(strided_view<const float> reference, strided_view<const float> test) {
    return compare(reference, test).max_rel_error();
}
/// Max absolute error in units of the quantization step `scale`.
inline double max_error_in_steps(strided_view<const float> reference, strided_view<const float> test, double scale) {
    return compare(reference, test).max_error_in_steps(scale);
}

/// True when |t - r| <= atol + rtol * |r| for every element (numpy.allclose; NaN equals nothing, so any NaN or a
/// differing infinity fails; equal infinities pass). Throws qnum::error for different shapes.
inline bool allclose(strided_view<const float> reference, strided_view<const float> test, double rtol = 1e-5,
                     double atol = 1e-8) {
    detail::require(reference.same_shape(test), "allclose: reference and test have different shapes");
    bool ok = true;
    detail::for_each_run_pair(
        reference, test, [&](const float* rp, std::ptrdiff_t rs, const float* tp, std::ptrdiff_t ts, std::size_t n) {
            for (std::size_t i = 0; i < n && ok; ++i) {
                const auto k = static_cast<std::ptrdiff_t>(i);
                const double r = rp[k * rs], t = tp[k * ts];
                if (r == t) continue;                                 // equal values, including equal infinities
                ok = std::fabs(t - r) <= atol + rtol * std::fabs(r);  // false for NaN and infinities
            }
            return ok;
        });
    return ok;
}

/// KL divergence KL(P || Q) = sum p_i log(p_i / q_i) in nats of two histograms given as non-negative weights
/// (each normalised to sum 1 here). Bins with p_i = 0 add nothing; p_i > 0 with q_i = 0 gives +inf (use `epsilon`
/// > 0 to add that much mass to every bin of both first, as smoothing). Compensated (Neumaier) summation.
/// Throws qnum::error for different or zero lengths, negative or non-finite weights, an all-zero histogram or a
/// negative epsilon.
inline double kl_divergence(const double* p, const double* q, std::size_t n, double epsilon = 0.0) {
    detail::require(n > 0, "kl_divergence: empty histograms");
    detail::require(epsilon >= 0.0 && std::isfinite(epsilon), "kl_divergence: epsilon must be finite and >= 0");
    double sp = 0.0, sq = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        detail::require(std::isfinite(p[i]) && p[i] >= 0.0 && std::isfinite(q[i]) && q[i] >= 0.0,
                        "kl_divergence: weights must be finite and >= 0");
        sp += p[i] + epsilon;
        sq += q[i] + epsilon;
    }
    detail::require(sp > 0.0 && sq > 0.0, "kl_divergence: a histogram has no mass");
    double sum = 0.0, comp = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double pi = (p[i] + epsilon) / sp, qi = (q[i] + epsilon) / sq;
        if (pi == 0.0) continue;
        if (qi == 0.0) return std::numeric_limits<double>::infinity();
        const double term = pi * std::log(pi / qi);
        const double t = sum + term;  // Neumaier: keep the low-order bits lost by the addition
        comp += std::fabs(sum) >= std::fabs(term) ? (sum - t) + term : (term - t) + sum;
        sum = t;
    }
    return sum + comp;
}

/// kl_divergence() of two vectors of weights (e.g. histogram counts); throws qnum::error if their sizes differ.
inline double kl_divergence(const std::vector<double>& p, const std::vector<double>& q, double epsilon = 0.0) {
    detail::require(p.size() == q.size(), "kl_divergence: histograms have different numbers of bins");
    return kl_divergence(p.data(), q.data(), p.size(), epsilon);
}

/// kl_divergence() of two qnum histograms over the same grid (same bins, range and mode — e.g. both fixed-range
/// over a common [lo, hi], one fed the float tensor and one the quantized). Throws qnum::error for different grids
/// or an empty histogram.
inline double kl_divergence(const histogram& p, const histogram& q, double epsilon = 0.0) {
    detail::require(p.bins() == q.bins() && p.lo() == q.lo() && p.hi() == q.hi() && p.mode() == q.mode(),
                    "kl_divergence: histograms have different grids");
    return kl_divergence(p.counts(), q.counts(), epsilon);
}

}  // namespace qnum

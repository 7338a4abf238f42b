// qnum — calibration searches over a histogram: which clipping range to quantize with.
//
//  * percentile_range: the central `percentile` of the data (per side for affine, of |x| for symmetric schemes).
//  * entropy_threshold: TensorRT's entropy calibration (S. Migacz, "8-bit Inference with TensorRT", GTC 2017):
//    over a histogram of |x| with N bins, for every i in [levels, N) take P = the first i bins with everything
//    beyond folded into bin i - 1, Q = those i bins merged into `levels` groups and expanded back over the bins
//    that were non-zero, and choose the i minimizing KL(P || Q); threshold = (i + 0.5) * bin width. Group g
//    holds bins k with floor(k * levels / i) == g (NVIDIA's pytorch-quantization splits the same way). Evaluated
//    with prefix sums in O(levels) per candidate instead of O(i); tests check it against a direct transcription.
//  * pytorch_norm_search: PyTorch HistogramObserver's _non_linear_param_search (from Caffe2's
//    NormMinimization::NonlinearQuantizationParamsSearch): shrinks [lo, hi] bin by bin from the side holding less
//    mass while the approximated L2 error of `dst_bins` uniform levels decreases. Same loop, thresholds and
//    float32 bounds as PyTorch; the error itself is summed in double (PyTorch sums float32 terms in an order that
//    depends on its SIMD level), so results agree except when two candidates' errors tie to ~1e-7.
//  * expected_error / lp_search: the mean |x - Q(x)|^p of quantizing the histogram's values with given parameters
//    — Q is the real quantizer (scheme, rounding half to even, clamping), values are spread uniformly inside each
//    bin (clipped to the observed extremes), integrated in closed form — and a search over the clipping ranges
//    [r * min, r * max] for r = 1, 1 - 1/K, ..., 1/K (MQBench / Horizon MSEObserver candidates) minimizing it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "qnum/choose_qparams.hpp"
#include "qnum/detail/fp_barrier.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/histogram.hpp"
#include "qnum/qparams.hpp"
#include "qnum/rounding.hpp"

namespace qnum {

/// A clipping range chosen by a search.
struct clip_range {
    float min;
    float max;
};

/// Clipping range holding the central `percentile` percent of the data (e.g. 99.99): affine schemes clip each tail
/// separately ([quantile(1 - q), quantile(q)], q = percentile / 100); symmetric schemes clip |x| at its q-quantile.
/// Throws qnum::error for an empty histogram or a percentile outside (0, 100].
inline clip_range percentile_range(const histogram& h, double percentile, bool symmetric) {
    detail::require(percentile > 0.0 && percentile <= 100.0, "percentile_range: percentile must be in (0, 100]");
    detail::require(!h.empty(), "percentile_range: no values observed yet");
    const double q = percentile / 100.0;
    const auto& hd = h.header();
    if (symmetric || h.mode() == histogram_mode::magnitudes) {
        const auto t = static_cast<float>(h.magnitude_quantile(q));
        return {std::max(hd.min, -t), std::min(hd.max, t)};
    }
    return {static_cast<float>(h.quantile(1.0 - q)), static_cast<float>(h.quantile(q))};
}

/// Result of the entropy search: the threshold on |x|, the number of bins kept and the divergence there.
struct entropy_result {
    float threshold;
    std::uint32_t bins_kept;
    double divergence;
};

/// TensorRT's entropy (KL-divergence) calibration over a histogram starting at 0 (a magnitude histogram, or values
/// that are all >= 0), quantizing to `levels` levels (128 for int8 symmetric). If levels >= bins there is nothing
/// to search: the threshold is the histogram's upper edge. `flatten_zero_bin` first sets bin 0 to bin 1's count,
/// as NVIDIA's pytorch-quantization does (its _compute_amax_entropy): the spike of exact zeros after a ReLU
/// otherwise dominates the divergence and drives the threshold down to about `levels` bins. Throws qnum::error for
/// an empty histogram, levels < 2 or a histogram that does not start at 0.
inline entropy_result entropy_threshold(const histogram& h, std::uint32_t levels, bool flatten_zero_bin = false) {
    detail::require(!h.empty(), "entropy_threshold: no values observed yet");
    detail::require(levels >= 2, "entropy_threshold: need at least 2 levels");
    detail::require(h.lo() == 0.0f, "entropy_threshold: needs a histogram of magnitudes (or of values from 0)");
    const std::uint32_t n = h.bins();
    std::vector<double> b = h.counts();
    if (flatten_zero_bin && n > 1) b[0] = b[1];
    if (levels >= n) return {h.hi(), n, 0.0};
    std::vector<double> prefix(n + 1, 0.0), xlogx(n + 1, 0.0);
    std::vector<std::uint32_t> nonzero(n + 1, 0);
    for (std::uint32_t k = 0; k < n; ++k) {
        prefix[k + 1] = prefix[k] + b[k];
        xlogx[k + 1] = xlogx[k] + (b[k] > 0.0 ? b[k] * std::log(b[k]) : 0.0);
        nonzero[k + 1] = nonzero[k] + (b[k] > 0.0 ? 1 : 0);
    }
    const double total = prefix[n], log_total = std::log(total);
    entropy_result best{h.hi(), n, std::numeric_limits<double>::infinity()};
    for (std::uint32_t i = levels; i < n; ++i) {
        const double kept = prefix[i], outliers = total - kept, last = b[i - 1] + outliers;
        if (kept <= 0.0 || (outliers > 0.0 && b[i - 1] == 0.0)) continue;  // Q is empty, or 0 where P is not
        double sum_plogq = 0.0, q_last = 0.0;
        for (std::uint64_t g = 0; g < levels; ++g) {
            const auto k0 = static_cast<std::uint32_t>((g * i + levels - 1) / levels);
            const auto k1 = static_cast<std::uint32_t>(((g + 1) * i + levels - 1) / levels);
            const double s = prefix[k1] - prefix[k0];
            if (s <= 0.0) continue;
            const double q = s / (nonzero[k1] - nonzero[k0]);
            sum_plogq += s * std::log(q);
            if (k1 == i) q_last = q;
        }
        if (outliers > 0.0) sum_plogq += outliers * std::log(q_last);
        const double plogp = xlogx[i - 1] + (last > 0.0 ? last * std::log(last) : 0.0);
        const double kl = (plogp - sum_plogq) / total - log_total + std::log(kept);
        if (kl < best.divergence) best = {static_cast<float>((i + 0.5) * h.bin_width()), i, kl};
    }
    return best;
}

/// Number of quantization levels covering [0, threshold] for the entropy search: all of the format's levels for
/// non-negative data quantized affinely, half of them otherwise (128 for int8, as TensorRT uses).
constexpr std::uint32_t entropy_levels(qrange range, const scheme& sch, bool non_negative_data) noexcept {
    const auto levels = static_cast<std::uint32_t>(range.levels());
    return non_negative_data && !sch.symmetric ? levels : levels / 2;
}

/// Result of PyTorch's search: the clipping range (float32, as PyTorch computes it) and the bins it spans.
struct norm_search_result {
    float min;
    float max;
    std::uint32_t start_bin;
    std::uint32_t end_bin;
};

namespace detail {

// PyTorch's HistogramObserver._compute_quantization_error: L2 norm of quantizing bins [start, end] to dst_bins
// uniform levels, each source bin's mass spread uniformly (in double; see the file comment).
inline double pytorch_quantization_error(const histogram& h, std::uint32_t start, std::uint32_t end,
                                         std::uint32_t dst_bins) {
    const double bin_width = (static_cast<double>(h.hi()) - static_cast<double>(h.lo())) / h.bins();
    const double dst_width = bin_width * (end - start + 1) / dst_bins;
    if (dst_width == 0.0) return 0.0;
    const double last = dst_bins - 1.0, half = dst_width / 2;
    const auto cube = [](double v) { return v * v * v; };
    const double full = (cube(half) - cube(-half)) / 3;
    const std::vector<double>& counts = h.counts();
    double norm = 0.0;
    for (std::uint32_t i = 0; i < h.bins(); ++i) {
        if (counts[i] == 0.0) continue;
        const double begin = (static_cast<double>(i) - start) * bin_width, end_pos = begin + bin_width;
        const double dst_begin = std::clamp(std::floor(begin / dst_width), 0.0, last);
        const double dst_end = std::clamp(std::floor(end_pos / dst_width), 0.0, last);
        const double density = counts[i] / bin_width;
        const double begin_center = (dst_begin + 0.5) * dst_width, end_center = dst_end * dst_width + half;
        norm += density * ((cube(half) - cube(begin - begin_center)) / 3 + (dst_end - dst_begin - 1) * full +
                           (cube(end_pos - end_center) - cube(-half)) / 3);
    }
    return norm;
}

}  // namespace detail

/// PyTorch HistogramObserver's clipping search over a value histogram (see the file comment). `dst_bins` is
/// PyTorch's dst_nbins: 2^bits of the quantized dtype (256 for quint8 and qint8, also with reduce_range).
/// Throws qnum::error for an empty histogram or dst_bins == 0.
inline norm_search_result pytorch_norm_search(const histogram& h, std::uint32_t dst_bins = 256) {
    detail::require(!h.empty(), "pytorch_norm_search: no values observed yet");
    detail::require(dst_bins > 0, "pytorch_norm_search: dst_bins must be > 0");
    const std::uint32_t n = h.bins();
    const std::vector<double>& counts = h.counts();
    // torch.cumsum accumulates float32 counts in double and stores float32; sums compare in float32.
    std::vector<float> cum(n);
    double acc = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) cum[i] = static_cast<float>(acc += static_cast<float>(counts[i]));
    const double total = static_cast<float>(acc);
    const double step = 1e-5;
    double alpha = 0.0, beta = 1.0, norm_min = std::numeric_limits<double>::infinity();
    std::uint32_t start = 0, end = n - 1;
    while (alpha < beta) {
        const double next_alpha = alpha + step, next_beta = beta - step;
        const auto lo_mass = static_cast<float>(next_alpha * total), hi_mass = static_cast<float>(next_beta * total);
        std::uint32_t l = start, r = end;
        while (l < end && cum[l] < lo_mass) ++l;
        while (r > start && cum[r] > hi_mass) --r;
        std::uint32_t next_start = start, next_end = end;
        if (l - start > end - r) {
            next_start = l;
            alpha = next_alpha;
        } else {
            next_end = r;
            beta = next_beta;
        }
        if (next_start == start && next_end == end) continue;
        const double norm = detail::pytorch_quantization_error(h, next_start, next_end, dst_bins);
        if (norm > norm_min) break;
        norm_min = norm;
        start = next_start;
        end = next_end;
    }
    const float width = (h.hi() - h.lo()) / static_cast<float>(n);  // float32, as PyTorch's tensor arithmetic
    return {h.lo() + detail::fp_barrier(width * static_cast<float>(start)),
            h.lo() + detail::fp_barrier(width * static_cast<float>(end + 1)), start, end};
}

namespace detail {

// Antiderivative of |t|^p: sign(t) |t|^(p+1) / (p+1).
inline double abs_pow_integral(double t, double p) noexcept {
    if (p == 2.0) return t * t * t / 3.0;
    if (p == 1.0) return t * std::fabs(t) / 2.0;
    return std::copysign(std::pow(std::fabs(t), p + 1.0), t) / (p + 1.0);
}

// F(u) = integral of |v - q(v)|^p dv from lo - 1/2 to u, in code units, where q(v) = clamp(round(v), lo, hi).
inline double code_error_integral(double u, double lo, double hi, double p) noexcept {
    const double g_half = abs_pow_integral(0.5, p);
    if (u < lo - 0.5) return abs_pow_integral(u - lo, p) + g_half;
    if (u > hi + 0.5) return (hi - lo + 1.0) * 2.0 * g_half + abs_pow_integral(u - hi, p) - g_half;
    const double k = std::clamp(std::floor(u + 0.5), lo, hi);
    return (k - lo) * 2.0 * g_half + abs_pow_integral(u - k, p) + g_half;
}

}  // namespace detail

/// Mean |x - Q(x)|^p over a value histogram quantized with `p` in `range` (see the file comment).
/// Throws qnum::error for an empty or magnitude histogram, invalid parameters or power <= 0.
inline double expected_error(const histogram& h, qparams p, qrange range, double power = 2.0) {
    detail::require(!h.empty(), "expected_error: no values observed yet");
    detail::require(h.mode() == histogram_mode::values, "expected_error: needs a histogram of values");
    detail::require(power > 0.0, "expected_error: the norm's power must be > 0");
    validate(p, range);
    const double s = p.scale, lo = range.min - p.zero_point, hi = range.max - p.zero_point;
    const double sp = std::pow(s, power);
    const std::vector<double>& counts = h.counts();
    double sum = 0.0, total = 0.0;
    for (std::uint32_t i = 0; i < h.bins(); ++i) {
        const double c = counts[i];
        if (c == 0.0) continue;
        total += c;
        const auto [a, b] = h.bin_interval(i);
        if (b <= a) {  // a point: quantize it exactly (divide by the scale, round half to even, clamp)
            const float v = static_cast<float>(a) / p.scale;
            const double q = std::clamp(static_cast<double>(round_half_to_even{}(v)), lo, hi);
            sum += c * std::pow(std::fabs(a - q * s), power);
            continue;
        }
        const double u0 = a / s, u1 = b / s;
        const double integral =
            detail::code_error_integral(u1, lo, hi, power) - detail::code_error_integral(u0, lo, hi, power);
        sum += c * sp * std::max(0.0, integral) / (u1 - u0);
    }
    return sum / total;
}

/// Options of the clipping-range searches (histogram and raw data).
struct clip_search {
    double power = 2.0;              ///< p of the L_p error (2: mean squared error)
    std::uint32_t candidates = 100;  ///< K: ranges r * [min, max] for r = 1, 1 - 1/K, ..., 1/K
};

/// Outcome of a clipping search: the parameters, the range they came from, and their error.
struct search_result {
    qparams params;
    clip_range range;
    double error;
};

namespace detail {

inline void check_search(const clip_search& opt) {
    detail::require(opt.candidates >= 1, "clip search: need at least one candidate");
    detail::require(opt.power > 0.0 && std::isfinite(opt.power), "clip search: the norm's power must be > 0");
}

// Runs the ratio grid over [min, max]: error(qparams) for each candidate; keeps the first minimum.
template <class Error>
search_result ratio_search(float min, float max, qrange range, const scheme& sch, const clip_search& opt,
                           Error&& error) {
    search_result best{{}, {min, max}, std::numeric_limits<double>::infinity()};
    for (std::uint32_t k = 0; k < opt.candidates; ++k) {
        const double r = 1.0 - static_cast<double>(k) / opt.candidates;
        const clip_range c{static_cast<float>(min * r), static_cast<float>(max * r)};
        const qparams p = choose_qparams(c.min, c.max, range, sch);
        const double e = error(p);
        if (e < best.error) best = {p, c, e};
    }
    return best;
}

}  // namespace detail

/// Clipping range r * [min, max] (r on the grid of `opt`) whose parameters minimize expected_error() over the
/// histogram; the first (widest) on ties. Throws qnum::error for an empty or magnitude histogram or bad options.
inline search_result lp_search(const histogram& h, qrange range, const scheme& sch = {}, const clip_search& opt = {}) {
    detail::check_search(opt);
    detail::require(!h.empty(), "lp_search: no values observed yet");
    detail::require(h.mode() == histogram_mode::values, "lp_search: needs a histogram of values");
    return detail::ratio_search(h.header().min, h.header().max, range, sch, opt,
                                [&](const qparams& p) { return expected_error(h, p, range, opt.power); });
}

}  // namespace qnum

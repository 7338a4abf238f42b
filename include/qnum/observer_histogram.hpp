// qnum — histogram observers: a histogram of everything observed (histogram.hpp) and a calibration method that
// turns it into a clipping range, then quantization parameters with choose_qparams():
//   minmax        the observed extremes;
//   percentile    the central p% of the data (e.g. 99.99);
//   entropy       TensorRT's KL-divergence threshold over a histogram of |x| (2048 bins by default);
//   pytorch_norm  PyTorch HistogramObserver's L2 search (_non_linear_param_search);
//   lp_norm       the clipping range minimizing the mean |x - Q(x)|^p of the real quantizer (MSE for p = 2).
// The histogram bins |x| for `entropy` and x otherwise. Merging and serializing go through the histogram.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "qnum/choose_qparams.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/histogram.hpp"
#include "qnum/histogram_search.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// Calibration methods over a histogram (see the file comment).
enum class calibration_method : std::uint8_t { minmax, percentile, entropy, pytorch_norm, lp_norm };

/// A calibration method and its settings.
struct histogram_calibration {
    calibration_method method = calibration_method::pytorch_norm;
    double percentile = 99.99;      ///< percentile: percent of the data kept inside the range
    std::uint32_t levels = 0;       ///< entropy: levels over [0, threshold]; 0 = entropy_levels(range, scheme, data)
    bool flatten_zero_bin = false;  ///< entropy: bin 0 := bin 1 first (pytorch-quantization; for post-ReLU data)
    std::uint32_t dst_bins = 0;     ///< pytorch_norm: PyTorch's dst_nbins; 0 = smallest power of two >= the
                                    ///< range's levels (256 for 8 bits; PyTorch keeps 256 with reduce_range)
    clip_search search{};           ///< lp_norm: power and number of candidate ranges

    static histogram_calibration minmax() { return {calibration_method::minmax}; }
    static histogram_calibration percentile_of(double p) { return {calibration_method::percentile, p}; }
    static histogram_calibration entropy(std::uint32_t levels = 0, bool flatten_zero_bin = false) {
        return {calibration_method::entropy, 99.99, levels, flatten_zero_bin};
    }
    static histogram_calibration pytorch_norm(std::uint32_t dst_bins = 0) {
        return {calibration_method::pytorch_norm, 99.99, 0, false, dst_bins};
    }
    static histogram_calibration lp_norm(clip_search s = {}) {
        return {calibration_method::lp_norm, 99.99, 0, false, 0, s};
    }

    /// What the histogram must bin for this method.
    histogram_mode mode() const noexcept {
        return method == calibration_method::entropy ? histogram_mode::magnitudes : histogram_mode::values;
    }
    /// Short human-readable name, e.g. "percentile 99.99" or "lp_norm p=2".
    std::string name() const {
        switch (method) {
            case calibration_method::minmax:
                return "minmax";
            case calibration_method::percentile:
                return "percentile " + trimmed(percentile);
            case calibration_method::entropy:
                return flatten_zero_bin ? "entropy (flat zero bin)" : "entropy";
            case calibration_method::pytorch_norm:
                return "pytorch_norm";
            case calibration_method::lp_norm:
                return "lp_norm p=" + trimmed(search.power);
        }
        return "unknown";
    }

private:
    static std::string trimmed(double v) {
        std::string s = std::to_string(v);
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    }
};

namespace detail {

constexpr std::uint32_t next_power_of_two(std::uint32_t v) noexcept {
    std::uint32_t p = 1;
    while (p < v) p <<= 1;
    return p;
}

}  // namespace detail

/// Clipping range `c` chooses from histogram `h` (of magnitudes for entropy, of values otherwise) for quantizing
/// to `range` with `sch`. Throws qnum::error if `h` is empty or of the wrong mode.
inline clip_range calibrate(const histogram& h, const histogram_calibration& c, qrange range, const scheme& sch = {}) {
    detail::require(!h.empty(), "histogram observer: no finite values observed yet");
    detail::require(h.mode() == c.mode(), "calibrate: the histogram's mode does not fit the method");
    const histogram_header& hd = h.header();
    switch (c.method) {
        case calibration_method::minmax:
            break;
        case calibration_method::percentile:
            return percentile_range(h, c.percentile, sch.symmetric);
        case calibration_method::entropy: {
            const std::uint32_t levels = c.levels ? c.levels : entropy_levels(range, sch, hd.min >= 0.0f);
            const float t = std::min(entropy_threshold(h, levels, c.flatten_zero_bin).threshold, hd.bmax);
            return {std::max(hd.min, -t), std::min(hd.max, t)};
        }
        case calibration_method::pytorch_norm: {
            const std::uint32_t dst =
                c.dst_bins ? c.dst_bins : detail::next_power_of_two(static_cast<std::uint32_t>(range.levels()));
            const norm_search_result r = pytorch_norm_search(h, dst);
            // A grown grid extends past the data; never keep more than was observed. (A grid made by one batch is
            // [min, max] exactly, and PyTorch's bounds are kept bit for bit.)
            return {h.lo() < hd.min ? std::max(r.min, hd.min) : r.min,
                    h.hi() > hd.max ? std::min(r.max, hd.max) : r.max};
        }
        case calibration_method::lp_norm:
            return lp_search(h, range, sch, c.search).range;
    }
    return {hd.min, hd.max};
}

/// Observer that keeps a histogram and calibrates it with one method (PyTorch's HistogramObserver is
/// histogram_observer(histogram_calibration::pytorch_norm(256)) with 2048 bins).
class histogram_observer {
public:
    /// Throws qnum::error for a bad number of bins (see histogram) or settings (checked when calibrating).
    explicit histogram_observer(histogram_calibration c = {}, std::uint32_t bins = 2048) : c_(c), h_(bins, c.mode()) {}
    /// Restores an observer from its method and a saved histogram. Throws qnum::error for a histogram of the
    /// wrong mode.
    histogram_observer(histogram_calibration c, histogram h) : c_(c), h_(std::move(h)) {
        detail::require(h_.mode() == c_.mode(), "histogram_observer: the histogram's mode does not fit the method");
    }

    /// Adds a batch (see histogram::observe).
    void observe(strided_view<const float> x) { h_.observe(x); }
    /// Adds what `other` observed (see histogram::merge). Throws qnum::error for a different method.
    void merge(const histogram_observer& other) {
        detail::require(other.c_.method == c_.method, "histogram_observer: merging observers of different methods");
        h_.merge(other.h_);
    }

    const histogram& hist() const noexcept { return h_; }
    const histogram_calibration& calibration() const noexcept { return c_; }

    /// The clipping range of the method. Throws qnum::error before any finite value was observed.
    clip_range calculate_range(qrange range, const scheme& sch = {}) const { return calibrate(h_, c_, range, sch); }
    /// Parameters for the clipping range.
    qparams calculate_qparams(qrange range, const scheme& sch = {}) const {
        const clip_range r = calculate_range(range, sch);
        return choose_qparams(r.min, r.max, range, sch);
    }
    template <class Format>
    per_tensor<Format> params(const scheme& sch = {}) const {
        return per_tensor<Format>(calculate_qparams(Format::range, sch));
    }

private:
    histogram_calibration c_;
    histogram h_;
};

}  // namespace qnum

// qnum — mixed observer: calibrates one tensor with several methods and keeps the best by a metric.
//
// It holds a value histogram (and a magnitude histogram when the entropy method is a candidate), computes every
// candidate's parameters (histogram_observer's methods: min-max, percentiles, entropy, PyTorch's L2 search, L_p
// search) and scores each by expected_error(): the mean |x - Q(x)|^p of quantizing the observed distribution with
// those parameters (p = 2: MSE, so the best candidate also has the best SQNR). Ties keep the earlier candidate.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "qnum/choose_qparams.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/histogram.hpp"
#include "qnum/histogram_search.hpp"
#include "qnum/observer_histogram.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// One candidate's outcome.
struct candidate_score {
    std::string name;  ///< the method, e.g. "percentile 99.99"
    clip_range range;  ///< its clipping range
    qparams params;    ///< its parameters
    double error;      ///< the metric: mean |x - Q(x)|^p over the observed distribution
};

/// Candidates the mixed observer tries by default.
inline std::vector<histogram_calibration> default_candidates() {
    return {histogram_calibration::minmax(),
            histogram_calibration::percentile_of(99.9),
            histogram_calibration::percentile_of(99.99),
            histogram_calibration::percentile_of(99.999),
            histogram_calibration::entropy(),
            histogram_calibration::pytorch_norm(),
            histogram_calibration::lp_norm()};
}

/// Observer that picks, per tensor, the best of several calibration methods by the L_p error.
class mixed_observer {
public:
    /// Throws qnum::error for no candidates, metric_power <= 0 or a bad number of bins.
    explicit mixed_observer(std::vector<histogram_calibration> candidates = default_candidates(),
                            double metric_power = 2.0, std::uint32_t bins = 2048)
        : candidates_(std::move(candidates)),
          power_(metric_power),
          values_(bins),
          magnitudes_(bins, histogram_mode::magnitudes) {
        detail::require(!candidates_.empty(), "mixed_observer: no candidates");
        detail::require(power_ > 0.0, "mixed_observer: the metric's power must be > 0");
        for (const auto& c : candidates_)
            needs_magnitudes_ = needs_magnitudes_ || c.mode() == histogram_mode::magnitudes;
    }

    /// Adds a batch to the histograms.
    void observe(strided_view<const float> x) {
        values_.observe(x);
        if (needs_magnitudes_) magnitudes_.observe(x);
    }
    /// Adds what `other` observed (see histogram::merge). Throws qnum::error if the bins differ.
    void merge(const mixed_observer& other) {
        values_.merge(other.values_);
        if (needs_magnitudes_ && other.needs_magnitudes_) magnitudes_.merge(other.magnitudes_);
    }

    const histogram& values() const noexcept { return values_; }
    const histogram& magnitudes() const noexcept { return magnitudes_; }

    /// Every candidate's range, parameters and error. Throws qnum::error before any finite value was observed.
    std::vector<candidate_score> evaluate(qrange range, const scheme& sch = {}) const {
        std::vector<candidate_score> out;
        for (const auto& c : candidates_) {
            const histogram& h = c.mode() == histogram_mode::magnitudes ? magnitudes_ : values_;
            const clip_range r = calibrate(h, c, range, sch);
            const qparams p = choose_qparams(r.min, r.max, range, sch);
            out.push_back({c.name(), r, p, expected_error(values_, p, range, power_)});
        }
        return out;
    }
    /// The candidate with the smallest error.
    candidate_score best(qrange range, const scheme& sch = {}) const {
        std::vector<candidate_score> all = evaluate(range, sch);
        std::size_t b = 0;
        for (std::size_t i = 1; i < all.size(); ++i)
            if (all[i].error < all[b].error) b = i;
        return all[b];
    }
    qparams calculate_qparams(qrange range, const scheme& sch = {}) const { return best(range, sch).params; }
    template <class Format>
    per_tensor<Format> params(const scheme& sch = {}) const {
        return per_tensor<Format>(calculate_qparams(Format::range, sch));
    }

private:
    std::vector<histogram_calibration> candidates_;
    double power_;
    histogram values_, magnitudes_;
    bool needs_magnitudes_ = false;
};

}  // namespace qnum

// qnum — moving-average min-max observers (PyTorch MovingAverageMinMaxObserver and
// MovingAveragePerChannelMinMaxObserver): an exponential moving average of each batch's extremes,
//     first batch:  avg = batch extreme
//     later:        avg = avg + c * (batch extreme - avg)      (float32, each operation rounded, as PyTorch does)
// with averaging constant c (0.01 by default). Batches without finite values (empty, all NaN) leave the average
// unchanged; their non-finite values are counted. Parameters come from choose_qparams(avg min, avg max).
//
// Merging is order dependent by nature: merge(a, b) is the state after a's batches followed by b's. It is exact in
// real arithmetic: with n = b.batches and b's first batch extreme f_b,
//     avg = avg_b + (1 - c)^n (avg_a - f_b)
// (evaluated in double, so it can differ from a sequential float32 pass by a few units in the last place).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "qnum/choose_qparams.hpp"
#include "qnum/detail/fp_barrier.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/observer_minmax.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// State of a moving-average min-max observer. Plain and trivially copyable.
struct moving_average_state {
    float min = std::numeric_limits<float>::infinity();         ///< averaged minimum (+inf before any batch)
    float max = -std::numeric_limits<float>::infinity();        ///< averaged maximum
    float first_min = std::numeric_limits<float>::infinity();   ///< first batch's minimum (makes merging exact)
    float first_max = -std::numeric_limits<float>::infinity();  ///< first batch's maximum
    float averaging_constant = 0.01f;                           ///< c in (0, 1]
    std::uint64_t batches = 0;                                  ///< batches that moved the average
    std::uint64_t count = 0;                                    ///< finite values observed
    std::uint64_t nonfinite = 0;                                ///< NaN and +-inf values skipped
    constexpr bool empty() const noexcept { return batches == 0; }
};
static_assert(std::is_trivially_copyable_v<moving_average_state>, "moving_average_state must be trivially copyable");

namespace detail {

inline void check_averaging_constant(float c) {
    detail::require(c > 0.0f && c <= 1.0f, "moving-average observer: averaging constant must be in (0, 1]");
}

// avg + c * (x - avg), rounded after each operation like PyTorch's float32 tensor ops (no fused multiply-add).
inline float ema_step(float avg, float x, float c) noexcept { return avg + fp_barrier(c * fp_barrier(x - avg)); }

inline float ema_merge(float avg_a, float avg_b, float first_b, double decay) noexcept {
    return static_cast<float>(static_cast<double>(avg_b) +
                              decay * (static_cast<double>(avg_a) - static_cast<double>(first_b)));
}

}  // namespace detail

/// Moves `s` by one batch with statistics `b` (see the file comment).
inline void update(moving_average_state& s, const minmax_state& b) noexcept {
    s.count += b.count;
    s.nonfinite += b.nonfinite;
    if (b.empty()) return;
    if (s.batches == 0) {
        s.min = s.first_min = b.min;
        s.max = s.first_max = b.max;
    } else {
        s.min = detail::ema_step(s.min, b.min, s.averaging_constant);
        s.max = detail::ema_step(s.max, b.max, s.averaging_constant);
    }
    ++s.batches;
}

/// State after the batches of `a` followed by those of `b` (see the file comment). Throws qnum::error if their
/// averaging constants differ.
inline moving_average_state merge(const moving_average_state& a, const moving_average_state& b) {
    detail::require(a.averaging_constant == b.averaging_constant,
                    "moving-average observer: merging observers with different averaging constants");
    moving_average_state m = b.empty() ? a : b;
    m.count = a.count + b.count;
    m.nonfinite = a.nonfinite + b.nonfinite;
    if (a.empty() || b.empty()) return m;
    const double decay = std::pow(1.0 - static_cast<double>(a.averaging_constant), static_cast<double>(b.batches));
    m.min = detail::ema_merge(a.min, b.min, b.first_min, decay);
    m.max = detail::ema_merge(a.max, b.max, b.first_max, decay);
    m.first_min = a.first_min;
    m.first_max = a.first_max;
    m.batches = a.batches + b.batches;
    return m;
}

/// Parameters for the averaged range. Throws qnum::error before any batch with a finite value.
inline qparams calculate_qparams(const moving_average_state& s, qrange range, const scheme& sch = {}) {
    detail::require(!s.empty(), "observer: no finite values observed yet");
    return choose_qparams(s.min, s.max, range, sch);
}

/// Per-tensor moving-average min-max observer.
class moving_average_minmax_observer {
public:
    /// Throws qnum::error unless 0 < averaging_constant <= 1.
    explicit moving_average_minmax_observer(float averaging_constant = 0.01f) {
        detail::check_averaging_constant(averaging_constant);
        s_.averaging_constant = averaging_constant;
    }
    /// Restores an observer from a saved state (validated).
    explicit moving_average_minmax_observer(const moving_average_state& s) : s_(s) {
        detail::check_averaging_constant(s.averaging_constant);
    }

    /// Adds a batch: one average step with the batch's finite extremes.
    void observe(strided_view<const float> x) { update(s_, observe_minmax(x)); }
    /// Appends what `other` observed after what this observer observed (see merge()).
    void merge(const moving_average_minmax_observer& other) { s_ = qnum::merge(s_, other.s_); }
    const moving_average_state& state() const noexcept { return s_; }

    qparams calculate_qparams(qrange range, const scheme& sch = {}) const {
        return qnum::calculate_qparams(s_, range, sch);
    }
    template <class Format>
    per_tensor<Format> params(const scheme& sch = {}) const {
        return per_tensor<Format>(calculate_qparams(Format::range, sch));
    }

private:
    moving_average_state s_;
};

/// Per-channel moving-average min-max observer along any axis; each channel averages its own batch extremes.
class per_channel_moving_average_minmax_observer {
public:
    /// Throws qnum::error unless 0 < averaging_constant <= 1.
    explicit per_channel_moving_average_minmax_observer(std::size_t axis, float averaging_constant = 0.01f)
        : axis_(axis), c_(averaging_constant) {
        detail::check_averaging_constant(c_);
    }
    /// Restores an observer from saved per-channel states (validated: one averaging constant).
    per_channel_moving_average_minmax_observer(std::size_t axis, std::vector<moving_average_state> states)
        : axis_(axis), states_(std::move(states)) {
        detail::require(!states_.empty(), "per-channel moving-average observer: no states given");
        c_ = states_.front().averaging_constant;
        detail::check_averaging_constant(c_);
        for (const auto& s : states_)
            detail::require(s.averaging_constant == c_, "per-channel moving-average observer: mixed constants");
    }

    /// Adds a batch. Throws qnum::error if the axis does not exist or its extent differs from earlier batches.
    void observe(strided_view<const float> x) {
        detail::require(axis_ < x.rank(), "per-channel moving-average observer: axis out of range for the view");
        const auto channels = static_cast<std::size_t>(x.extent(axis_));
        if (states_.empty()) {
            moving_average_state init;
            init.averaging_constant = c_;
            states_.assign(channels, init);
        }
        detail::require(channels == states_.size(),
                        "per-channel moving-average observer: number of channels differs from earlier batches");
        std::vector<minmax_state> batch(channels);
        accumulate_minmax_per_channel(batch.data(), x, axis_);
        for (std::size_t c = 0; c < channels; ++c) update(states_[c], batch[c]);
    }

    /// Appends what `other` observed (per channel, see merge()). Throws qnum::error for a different axis, constant
    /// or number of channels.
    void merge(const per_channel_moving_average_minmax_observer& other) {
        detail::require(other.axis_ == axis_ && other.c_ == c_,
                        "per-channel moving-average observer: merging observers of different axes or constants");
        if (other.states_.empty()) return;
        if (states_.empty()) {
            states_ = other.states_;
            return;
        }
        detail::require(other.states_.size() == states_.size(),
                        "per-channel moving-average observer: merging observers with different numbers of channels");
        for (std::size_t c = 0; c < states_.size(); ++c) states_[c] = qnum::merge(states_[c], other.states_[c]);
    }

    std::size_t axis() const noexcept { return axis_; }
    std::size_t channels() const noexcept { return states_.size(); }
    const std::vector<moving_average_state>& states() const noexcept { return states_; }

    /// One (scale, zero point) per channel. Throws qnum::error before any batch, or if a channel has no finite value.
    std::vector<qparams> calculate_qparams(qrange range, const scheme& sch = {}) const {
        return detail::per_channel_qparams(states_, range, sch,
                                           "per-channel moving-average observer: no batch observed yet");
    }
    template <class Format>
    per_channel<Format> params(const scheme& sch = {}) const {
        return detail::make_per_channel<Format>(calculate_qparams(Format::range, sch), axis_);
    }

private:
    std::size_t axis_;
    float c_ = 0.01f;
    std::vector<moving_average_state> states_;
};

}  // namespace qnum

// qnum — min-max observers: the running extremes of the data, per tensor or per channel along any axis, turned into
// quantization parameters by choose_qparams() (PyTorch's MinMaxObserver / PerChannelMinMaxObserver arithmetic, so
// the same data gives bit-identical scales and zero points).
//
// Non-finite values: NaN and +-inf are skipped and counted (state.nonfinite); PyTorch instead lets them poison the
// range. Empty batches are ignored. Asking for parameters before any finite value was seen throws qnum::error.
// Zero extremes are stored as +0.0 (-0.0 and +0.0 compare equal; the choice cannot change the parameters).
// Merging: min, max and counts are order independent, so observers that saw disjoint shards merge into exactly the
// state of one observer that saw everything. The state is a small trivially copyable struct: ship it anywhere.
// Observers are not thread-safe; give each thread its own and merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "qnum/choose_qparams.hpp"
#include "qnum/detail/observe_runs.hpp"
#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// Extremes and counts of the finite values observed. Plain and trivially copyable.
struct minmax_state {
    float min = std::numeric_limits<float>::infinity();   ///< smallest finite value (+inf before any)
    float max = -std::numeric_limits<float>::infinity();  ///< largest finite value (-inf before any)
    std::uint64_t count = 0;                              ///< finite values observed
    std::uint64_t nonfinite = 0;                          ///< NaN and +-inf values skipped
    constexpr bool empty() const noexcept { return count == 0; }
    friend constexpr bool operator==(const minmax_state& a, const minmax_state& b) noexcept {
        return a.min == b.min && a.max == b.max && a.count == b.count && a.nonfinite == b.nonfinite;
    }
};
static_assert(std::is_trivially_copyable_v<minmax_state>, "minmax_state must be trivially copyable");

/// State of an observer that saw the values of both `a` and `b` (exact and order independent).
constexpr minmax_state merge(const minmax_state& a, const minmax_state& b) noexcept {
    return {b.min < a.min ? b.min : a.min, b.max > a.max ? b.max : a.max, a.count + b.count, a.nonfinite + b.nonfinite};
}

namespace detail {

inline void add_run(minmax_state& s, finite_range r, std::size_t n, std::size_t nonfinite) noexcept {
    s.min = r.min + 0.0f;  // + 0 turns -0 into +0
    s.max = r.max + 0.0f;
    s.count += n - nonfinite;
    s.nonfinite += nonfinite;
}

/// Validated per-channel parameters of Format from one qparams per channel.
template <class Format>
per_channel<Format> make_per_channel(const std::vector<qparams>& p, std::size_t axis) {
    std::vector<float> scales;
    std::vector<std::int32_t> zero_points;
    for (const auto& q : p) scales.push_back(q.scale), zero_points.push_back(q.zero_point);
    return per_channel<Format>(std::move(scales), std::move(zero_points), axis);
}

/// One qparams per channel state (calculate_qparams found by ADL, so any observer state works); `who` names the
/// observer in the error thrown before any batch was observed.
template <class State>
std::vector<qparams> per_channel_qparams(const std::vector<State>& states, qrange range, const scheme& sch,
                                         const char* who) {
    require(!states.empty(), who);
    std::vector<qparams> out;
    out.reserve(states.size());
    for (const auto& s : states) out.push_back(calculate_qparams(s, range, sch));
    return out;
}

}  // namespace detail

/// Adds the finite values of `x` to `s` (one pass over the data; SIMD on contiguous runs, equal to the scalar
/// reference).
inline void accumulate_minmax(minmax_state& s, strided_view<const float> x) {
    std::size_t keep = detail::no_axis;
    const auto [v] = detail::coalesce(keep, x);
    const std::size_t last = v.rank() - 1;
    const auto n = static_cast<std::size_t>(v.extent(last));
    detail::finite_range r{s.min, s.max};
    std::size_t nonfinite = 0;
    detail::for_each_run(
        [&](const dims&, const auto& off, std::uint64_t) {
            nonfinite += detail::minmax_run(v.data() + off[0], v.stride(last), n, r);
        },
        v);
    detail::add_run(s, r, x.size(), nonfinite);
}

/// Statistics of the finite values of `x`.
inline minmax_state observe_minmax(strided_view<const float> x) {
    minmax_state s;
    accumulate_minmax(s, x);
    return s;
}

/// Adds the values of `x` to per-channel statistics: states[c] for the slice at index c along `axis`. `states` must
/// hold x.extent(axis) entries. Throws qnum::error if `axis` is not an axis of `x`.
inline void accumulate_minmax_per_channel(minmax_state* states, strided_view<const float> x, std::size_t axis) {
    detail::require(axis < x.rank(), "per-channel observer: axis out of range for the view");
    if (x.empty()) return;
    std::size_t keep = axis;
    const auto [v] = detail::coalesce(keep, x);
    const std::size_t last = v.rank() - 1;
    const auto n = static_cast<std::size_t>(v.extent(last));
    if (keep == last) {  // each run crosses all channels: column-wise update, SIMD across channels
        std::vector<float> mins(n), maxs(n);
        std::vector<std::uint64_t> nonfinite(n, 0);
        for (std::size_t c = 0; c < n; ++c) mins[c] = states[c].min, maxs[c] = states[c].max;
        detail::for_each_run(
            [&](const dims&, const auto& off, std::uint64_t) {
                detail::minmax_columns(v.data() + off[0], v.stride(last), n, mins.data(), maxs.data(),
                                       nonfinite.data());
            },
            v);
        const std::size_t rows = x.size() / n;
        for (std::size_t c = 0; c < n; ++c)
            detail::add_run(states[c], {mins[c], maxs[c]}, rows, static_cast<std::size_t>(nonfinite[c]));
    } else {  // each run lies in one channel: reduce it
        detail::for_each_run(
            [&](const dims& index, const auto& off, std::uint64_t) {
                minmax_state& s = states[index[keep]];
                detail::finite_range r{s.min, s.max};
                const std::size_t nonfinite = detail::minmax_run(v.data() + off[0], v.stride(last), n, r);
                detail::add_run(s, r, n, nonfinite);
            },
            v);
    }
}

/// Parameters for the observed range (choose_qparams). Throws qnum::error if no finite value was observed.
inline qparams calculate_qparams(const minmax_state& s, qrange range, const scheme& sch = {}) {
    detail::require(!s.empty(), "observer: no finite values observed yet");
    return choose_qparams(s.min, s.max, range, sch);
}

/// Per-tensor min-max observer (PyTorch MinMaxObserver): parameters from the extremes of everything observed.
class minmax_observer {
public:
    minmax_observer() = default;
    /// Restores an observer from a saved state.
    explicit minmax_observer(const minmax_state& s) noexcept : s_(s) {}

    /// Adds a batch (any shape and strides; empty batches are ignored).
    void observe(strided_view<const float> x) { accumulate_minmax(s_, x); }
    /// Adds what `other` observed (exact: equals one observer that saw both).
    void merge(const minmax_observer& other) noexcept { s_ = qnum::merge(s_, other.s_); }
    const minmax_state& state() const noexcept { return s_; }

    /// Parameters for `range` and `sch`. Throws qnum::error before any finite value was observed.
    qparams calculate_qparams(qrange range, const scheme& sch = {}) const {
        return qnum::calculate_qparams(s_, range, sch);
    }
    /// calculate_qparams() for a compile-time format.
    template <class Format>
    per_tensor<Format> params(const scheme& sch = {}) const {
        return per_tensor<Format>(calculate_qparams(Format::range, sch));
    }

private:
    minmax_state s_;
};

/// Per-channel min-max observer (PyTorch PerChannelMinMaxObserver) along any axis. The first observed batch fixes
/// the number of channels (its extent along the axis); later batches must match.
class per_channel_minmax_observer {
public:
    explicit per_channel_minmax_observer(std::size_t axis) noexcept : axis_(axis) {}
    /// Restores an observer from saved per-channel states.
    per_channel_minmax_observer(std::size_t axis, std::vector<minmax_state> states)
        : axis_(axis), states_(std::move(states)) {}

    /// Adds a batch. Throws qnum::error if the axis does not exist in `x` or its extent differs from earlier batches.
    void observe(strided_view<const float> x) {
        detail::require(axis_ < x.rank(), "per_channel_minmax_observer: axis out of range for the view");
        const auto channels = static_cast<std::size_t>(x.extent(axis_));
        if (states_.empty()) states_.resize(channels);
        detail::require(channels == states_.size(),
                        "per_channel_minmax_observer: number of channels differs from earlier batches");
        accumulate_minmax_per_channel(states_.data(), x, axis_);
    }

    /// Adds what `other` observed (exact). Throws qnum::error for a different axis or number of channels.
    void merge(const per_channel_minmax_observer& other) {
        detail::require(other.axis_ == axis_, "per_channel_minmax_observer: merging observers of different axes");
        if (other.states_.empty()) return;
        if (states_.empty()) states_.resize(other.states_.size());
        detail::require(other.states_.size() == states_.size(),
                        "per_channel_minmax_observer: merging observers with different numbers of channels");
        for (std::size_t c = 0; c < states_.size(); ++c) states_[c] = qnum::merge(states_[c], other.states_[c]);
    }

    std::size_t axis() const noexcept { return axis_; }
    std::size_t channels() const noexcept { return states_.size(); }
    const std::vector<minmax_state>& states() const noexcept { return states_; }

    /// One (scale, zero point) per channel. Throws qnum::error before any batch, or if a channel has no finite value.
    std::vector<qparams> calculate_qparams(qrange range, const scheme& sch = {}) const {
        return detail::per_channel_qparams(states_, range, sch, "per_channel_minmax_observer: no batch observed yet");
    }
    /// calculate_qparams() as validated per-channel parameters of a compile-time format.
    template <class Format>
    per_channel<Format> params(const scheme& sch = {}) const {
        return detail::make_per_channel<Format>(calculate_qparams(Format::range, sch), axis_);
    }

private:
    std::size_t axis_;
    std::vector<minmax_state> states_;
};

}  // namespace qnum

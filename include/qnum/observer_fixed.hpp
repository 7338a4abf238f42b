// qnum — fixed-parameter observer: the user gives the scale and zero point (e.g. scale 100/32768 for a qint16
// activation known to lie in +-100); observing only records how well the data fit: extremes, counts and how many
// values the parameters would clip. Mergeable exactly; the state is a small trivially copyable struct.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/kernels/observe/scalar.hpp"
#include "qnum/observer_minmax.hpp"
#include "qnum/qparams.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// State of a fixed-parameter observer. Plain and trivially copyable.
struct fixed_qparams_state {
    qparams params;       ///< the user's parameters
    qrange range;         ///< the format's codes
    minmax_state seen;    ///< extremes and counts of the data
    std::uint64_t below;  ///< finite values below the representable range (would clip to qmin)
    std::uint64_t above;  ///< finite values above it (would clip to qmax)
};
static_assert(std::is_trivially_copyable_v<fixed_qparams_state>, "fixed_qparams_state must be trivially copyable");

/// Observer with user-given parameters (PyTorch's FixedQParamsObserver, plus a record of the data's fit).
class fixed_qparams_observer {
public:
    /// Throws qnum::error for an invalid scale or a zero point outside `range`.
    fixed_qparams_observer(qparams p, qrange range) : s_{p, range, {}, 0, 0} { validate(p, range); }
    /// Restores an observer from a saved state (validated).
    explicit fixed_qparams_observer(const fixed_qparams_state& s) : s_(s) { validate(s.params, s.range); }

    /// Records a batch: extremes, counts, and values outside the representable range (counted only when the
    /// batch's extremes show there are some).
    void observe(strided_view<const float> x) {
        const minmax_state b = observe_minmax(x);
        s_.seen = qnum::merge(s_.seen, b);
        const auto [lo, hi] = representable_range(s_.params, s_.range);
        if (b.empty() || (b.min >= lo && b.max <= hi)) return;
        std::size_t keep = detail::no_axis;
        const auto [v] = detail::coalesce(keep, x);
        const std::size_t last = v.rank() - 1;
        const auto n = static_cast<std::size_t>(v.extent(last));
        detail::for_each_run(
            [&](const dims&, const auto& off, std::uint64_t) {
                for (std::size_t i = 0; i < n; ++i) {
                    const float e = v.data()[off[0] + static_cast<std::ptrdiff_t>(i) * v.stride(last)];
                    s_.below += detail::is_finite_value(e) && e < lo ? 1 : 0;
                    s_.above += detail::is_finite_value(e) && e > hi ? 1 : 0;
                }
            },
            v);
    }

    /// Adds what `other` observed. Throws qnum::error if its parameters or range differ.
    void merge(const fixed_qparams_observer& other) {
        detail::require(other.s_.params == s_.params && other.s_.range == s_.range,
                        "fixed_qparams_observer: merging observers with different parameters");
        s_.seen = qnum::merge(s_.seen, other.s_.seen);
        s_.below += other.s_.below;
        s_.above += other.s_.above;
    }

    const fixed_qparams_state& state() const noexcept { return s_; }
    /// The user's parameters (available before any data).
    qparams calculate_qparams() const noexcept { return s_.params; }
    /// Fraction of the finite values observed that the parameters clip (0 before any data).
    double clipped_fraction() const noexcept {
        return s_.seen.count ? static_cast<double>(s_.below + s_.above) / static_cast<double>(s_.seen.count) : 0.0;
    }

private:
    fixed_qparams_state s_;
};

}  // namespace qnum

// qnum — layer sensitivity analysis for mixed precision: given, per layer, a metric measured with the layer at low
// precision (e.g. int8) and at high precision (e.g. int16) — SNR, cosine, MSE, anything the user computed with
// metrics.hpp — rank the layers and pick the smallest set to raise so that a target is met. Graph-free: the user
// supplies the numbers (measure each layer alone at each precision, or the model output with one layer changed).
//
// How the per-layer numbers combine into the quantity compared with the target (`aggregate`):
//   * worst: every layer must meet the target on its own (e.g. per-layer SNR >= 30 dB). The smallest set is exactly
//     the layers that miss it at low precision.
//   * mean / sum: the mean or sum over layers must meet it (sum suits additive error powers such as MSE or
//     noise-to-signal ratios, which add up roughly when layer errors are independent). Raising layer i changes the
//     total by its gain, so taking the largest gains first reaches the target with the fewest layers (exact).
// Layers whose high-precision metric is not better than their low one are never raised.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "qnum/error.hpp"

namespace qnum {

/// Direction of a metric: SNR, SQNR and cosine are better when higher; MSE, max error and KL when lower.
enum class better : std::uint8_t { higher, lower };

/// How per-layer metrics combine into the quantity compared with the target (see the file comment).
enum class aggregate : std::uint8_t { worst, mean, sum };

/// One layer's metric at low and at high precision.
struct layer_metric {
    std::string name;
    double low = 0.0;   ///< metric with the layer at the low precision (e.g. int8)
    double high = 0.0;  ///< metric with the layer at the high precision (e.g. int16)
};

/// Result of plan_precision(): which layers to raise and what that achieves.
struct precision_plan {
    std::vector<std::size_t> ranking;  ///< all layers, most sensitive first (worst low-precision metric)
    std::vector<std::size_t> raise;    ///< indices of the layers to raise, in the order they were chosen
    double before = 0.0;               ///< aggregate with every layer at low precision
    double achieved = 0.0;             ///< aggregate with the `raise` layers at high precision
    bool met = false;                  ///< achieved meets the target (if false, `raise` is the best effort)
};

namespace detail {

inline bool better_than(double a, double b, better dir) noexcept { return dir == better::higher ? a > b : a < b; }
inline bool meets_target(double value, double target, better dir) noexcept {
    return dir == better::higher ? value >= target : value <= target;
}

inline void check_layer_metrics(const std::vector<layer_metric>& layers) {
    detail::require(!layers.empty(), "sensitivity: no layers given");
    for (const auto& l : layers)
        detail::require(!std::isnan(l.low) && !std::isnan(l.high), "sensitivity: a layer metric is NaN");
}

inline double aggregate_of(const std::vector<layer_metric>& layers, const std::vector<char>& raised, aggregate agg,
                           better dir) {
    double acc = agg == aggregate::worst ? (dir == better::higher ? std::numeric_limits<double>::infinity()
                                                                  : -std::numeric_limits<double>::infinity())
                                         : 0.0;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const double v = raised[i] ? layers[i].high : layers[i].low;
        if (agg == aggregate::worst)
            acc = better_than(acc, v, dir) ? v : acc;
        else
            acc += v;
    }
    return agg == aggregate::mean ? acc / static_cast<double>(layers.size()) : acc;
}

}  // namespace detail

/// Indices of the layers, most sensitive first: worst low-precision metric first (ties: larger gain from raising,
/// then lower index). Throws qnum::error for no layers or a NaN metric.
inline std::vector<std::size_t> rank_by_sensitivity(const std::vector<layer_metric>& layers, better dir) {
    detail::check_layer_metrics(layers);
    std::vector<std::size_t> order(layers.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (layers[a].low != layers[b].low) return detail::better_than(layers[b].low, layers[a].low, dir);
        const double ga = std::fabs(layers[a].high - layers[a].low), gb = std::fabs(layers[b].high - layers[b].low);
        return ga > gb;
    });
    return order;
}

/// The k most sensitive layers (rank_by_sensitivity(), truncated to k) — the "top-k to int16" workflow.
inline std::vector<std::size_t> top_k_sensitive(const std::vector<layer_metric>& layers, std::size_t k, better dir) {
    auto order = rank_by_sensitivity(layers, dir);
    if (order.size() > k) order.resize(k);
    return order;
}

/// The smallest set of layers to raise to high precision so that the aggregate of the metrics meets `target`
/// (>= for better::higher, <= for better::lower). If no set meets it, raises every layer that improves (best
/// effort) and reports met = false. Throws qnum::error for no layers, a NaN metric or a NaN target.
inline precision_plan plan_precision(const std::vector<layer_metric>& layers, double target, better dir,
                                     aggregate agg = aggregate::worst) {
    detail::require(!std::isnan(target), "sensitivity: target is NaN");
    precision_plan plan;
    plan.ranking = rank_by_sensitivity(layers, dir);
    std::vector<char> raised(layers.size(), 0);
    plan.before = detail::aggregate_of(layers, raised, agg, dir);
    const auto improves = [&](std::size_t i) { return detail::better_than(layers[i].high, layers[i].low, dir); };
    if (agg == aggregate::worst) {
        for (std::size_t i : plan.ranking)
            if (!detail::meets_target(layers[i].low, target, dir) && improves(i))
                raised[i] = 1, plan.raise.push_back(i);
    } else {
        std::vector<std::size_t> by_gain = plan.ranking;
        std::stable_sort(by_gain.begin(), by_gain.end(), [&](std::size_t a, std::size_t b) {
            return std::fabs(layers[a].high - layers[a].low) > std::fabs(layers[b].high - layers[b].low);
        });
        for (std::size_t i : by_gain) {
            if (detail::meets_target(detail::aggregate_of(layers, raised, agg, dir), target, dir)) break;
            if (!improves(i)) continue;
            raised[i] = 1;
            plan.raise.push_back(i);
        }
    }
    plan.achieved = detail::aggregate_of(layers, raised, agg, dir);
    plan.met = detail::meets_target(plan.achieved, target, dir);
    return plan;
}

}  // namespace qnum

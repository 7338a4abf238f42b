// qnum — a histogram of float data for calibration: fixed or growing range, exact merging of aligned grids,
// quantiles, and a byte image to ship it between processes.
//
// Bins: `bins` equal bins over [lo, hi]; value x goes to bin int((x - lo) * bins / (hi - lo)) computed in float32
// operation by operation, clamped to [0, bins - 1] — torch.histc's formula, so a histogram over the same range holds
// the same counts as PyTorch's (the SIMD binning equals the scalar reference bit for bit). In magnitude mode the
// binned quantity is |x| over [0, hi] (TensorRT's entropy-calibration histogram). NaN and +-inf are skipped and
// counted. Counts are doubles: exact integers for any realistic count (< 2^53), fractional only after proportional
// re-binning (below) or when restored from a framework that stores fractional counts.
//
// Range (growing histograms, the default):
//  * the first batch sets [lo, hi] = [min, max] of its values ([0, max |x|] in magnitude mode); a single repeated
//    value v gets [v - 1, v + 1] like torch.histc, and is re-gridded exactly as soon as a different value arrives;
//  * a batch outside [lo, hi] widens the grid by the smallest integer factor k (and shifts it by whole new bins) so
//    that every old bin edge stays a new bin edge: old bin i moves whole into new bin m + i / k. Counts are never
//    interpolated, so range growth loses resolution but no exactness. (PyTorch's HistogramObserver instead
//    up-samples each bin 128 times and re-samples, spreading counts proportionally.)
// Fixed range (histogram(bins, lo, hi)): never grows; values outside go to the edge bins and are counted in
// `outside` (the second pass of two-pass calibration, after a min-max pass fixed the range).
//
// Merging: histograms over the same grid add exactly. When one grid's edges are a subset of the other's widened
// grid (e.g. both grew from equal grids) the counts move by whole bins, exactly. Otherwise the other histogram is
// re-binned proportionally, assuming its values are spread uniformly inside each bin (clipped to the observed
// extremes) — documented approximation: each count moves by less than one bin width of either grid.
// Quantiles use the same piecewise-uniform model.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "qnum/detail/observe_runs.hpp"
#include "qnum/detail/strided_loops.hpp"
#include "qnum/error.hpp"
#include "qnum/observer_minmax.hpp"
#include "qnum/view.hpp"

namespace qnum {

/// What a histogram bins: the values x, or their magnitudes |x| (then the range is [0, hi]).
enum class histogram_mode : std::uint8_t { values, magnitudes };

/// Everything of a histogram's state except its counts. Plain and trivially copyable.
struct histogram_header {
    std::uint32_t bins = 0;
    histogram_mode mode = histogram_mode::values;
    bool fixed_range = false;                              ///< range given by the user: never grows
    std::uint8_t reserved[2] = {0, 0};                     ///< zero (keeps the byte image free of padding)
    float lo = 0.0f;                                       ///< left edge of bin 0
    float hi = 0.0f;                                       ///< right edge of the last bin
    float min = std::numeric_limits<float>::infinity();    ///< smallest finite x observed
    float max = -std::numeric_limits<float>::infinity();   ///< largest finite x observed
    float bmin = std::numeric_limits<float>::infinity();   ///< lower bound of the binned quantity (x or |x|)
    float bmax = -std::numeric_limits<float>::infinity();  ///< largest binned quantity observed
    std::uint64_t count = 0;                               ///< finite values observed
    std::uint64_t nonfinite = 0;                           ///< NaN and +-inf values skipped
    std::uint64_t outside = 0;                             ///< fixed range: values clamped into an edge bin
};
static_assert(std::is_trivially_copyable_v<histogram_header>, "histogram_header must be trivially copyable");
static_assert(sizeof(histogram_header) == 56, "histogram_header must have no padding");

/// Histogram of float data with a fixed or growing range (see the file comment). Not thread-safe: give each thread
/// its own and merge.
class histogram {
public:
    /// Largest supported number of bins (bin indices stay exact in float32).
    static constexpr std::uint32_t max_bins = 1u << 20;

    /// Growing histogram with `bins` bins; the range comes from the data. Throws qnum::error unless
    /// 1 <= bins <= max_bins.
    explicit histogram(std::uint32_t bins = 2048, histogram_mode mode = histogram_mode::values) {
        check_bins(bins);
        h_.bins = bins;
        h_.mode = mode;
        counts_.assign(bins, 0.0);
    }

    /// Fixed-range histogram over [lo, hi]. Throws qnum::error for bad bins, a non-finite or empty range, or
    /// (magnitude mode) lo != 0.
    histogram(std::uint32_t bins, float lo, float hi, histogram_mode mode = histogram_mode::values)
        : histogram(bins, mode) {
        check_range(lo, hi, mode);
        h_.fixed_range = true;
        h_.lo = lo;
        h_.hi = hi;
    }

    /// Restores a histogram from a header and its counts (e.g. a saved state, or another framework's histogram).
    /// Throws qnum::error if they are inconsistent.
    histogram(const histogram_header& header, std::vector<double> counts) : h_(header), counts_(std::move(counts)) {
        check_bins(h_.bins);
        detail::require(counts_.size() == h_.bins, "histogram: number of counts differs from the header's bins");
        for (double c : counts_) detail::require(std::isfinite(c) && c >= 0.0, "histogram: counts must be >= 0");
        if (h_.count > 0 || h_.fixed_range) check_range(h_.lo, h_.hi, h_.mode);
        if (h_.count > 0)
            detail::require(h_.min <= h_.max && h_.bmin <= h_.bmax && std::isfinite(h_.min) && std::isfinite(h_.max),
                            "histogram: observed extremes are inconsistent");
    }

    /// Adds a batch (any shape and strides): grows the range if needed, then bins every finite value.
    void observe(strided_view<const float> x) {
        const minmax_state s = observe_minmax(x);
        h_.nonfinite += s.nonfinite;
        if (s.empty()) return;
        const auto [bmin, bmax] = binned_extremes(s.min, s.max);
        if (!h_.fixed_range) cover(bmin, bmax);
        if (h_.fixed_range && (bmin < h_.lo || bmax > h_.hi)) h_.outside += count_outside(x);
        note_extremes(s.min, s.max, bmin, bmax, s.count);
        bin_values(x);
    }

    /// Adds what `other` observed (see the file comment for when this is exact). Throws qnum::error if the
    /// histograms differ in bins or mode.
    void merge(const histogram& other) {
        detail::require(other.h_.bins == h_.bins && other.h_.mode == h_.mode,
                        "histogram: merging histograms of different bins or modes");
        h_.nonfinite += other.h_.nonfinite;
        if (other.h_.count == 0) return;
        if (h_.count == 0 && !h_.fixed_range) {
            const std::uint64_t nonfinite = h_.nonfinite;
            *this = other;
            h_.nonfinite = nonfinite;
            return;
        }
        if (!h_.fixed_range) {
            if (other.is_point_mass()) {
                cover(other.h_.bmin, other.h_.bmax);
                counts_[bin_of(other.h_.bmin)] += other.total();
                note_extremes(other.h_.min, other.h_.max, other.h_.bmin, other.h_.bmax, other.h_.count);
                return;
            }
            if (is_point_mass()) {  // re-grid on the other's grid, then add this point mass to it
                histogram mine = *this;
                *this = other;
                h_.nonfinite = mine.h_.nonfinite + other.h_.nonfinite;
                merge_point_mass(mine);
                return;
            }
            cover(other.h_.bmin, other.h_.bmax);
        }
        h_.outside += other.h_.outside + rebin_into(other);
        note_extremes(other.h_.min, other.h_.max, other.h_.bmin, other.h_.bmax, other.h_.count);
    }

    const histogram_header& header() const noexcept { return h_; }
    const std::vector<double>& counts() const noexcept { return counts_; }
    std::uint32_t bins() const noexcept { return h_.bins; }
    histogram_mode mode() const noexcept { return h_.mode; }
    float lo() const noexcept { return h_.lo; }
    float hi() const noexcept { return h_.hi; }
    /// (hi - lo) / bins in double.
    double bin_width() const noexcept { return (static_cast<double>(h_.hi) - h_.lo) / h_.bins; }
    /// Finite values observed.
    std::uint64_t count() const noexcept { return h_.count; }
    bool empty() const noexcept { return h_.count == 0; }
    /// Sum of the counts (== count() unless restored with other counts).
    double total() const noexcept {
        double t = 0.0;
        for (double c : counts_) t += c;
        return t;
    }
    /// True while every value observed is the same (all the mass sits at bmin == bmax).
    bool is_point_mass() const noexcept { return h_.count > 0 && h_.bmin == h_.bmax; }

    /// Real interval holding bin i's values: the bin clipped to the observed extremes of the binned quantity.
    std::pair<double, double> bin_interval(std::uint32_t i) const noexcept {
        const double w = bin_width();
        double a = h_.lo + w * i, b = i + 1 == h_.bins ? static_cast<double>(h_.hi) : h_.lo + w * (i + 1);
        if (h_.count > 0) a = std::max(a, static_cast<double>(h_.bmin)), b = std::min(b, static_cast<double>(h_.bmax));
        return {a, std::max(a, b)};
    }

    /// Fraction of the mass at or below v (values spread uniformly inside each clipped bin).
    double cdf(double v) const {
        detail::require(!empty(), "histogram: no values observed yet");
        const double t = total();
        double below = 0.0;
        for (std::uint32_t i = 0; i < h_.bins; ++i) {
            const double c = counts_[i];
            if (c == 0.0) continue;
            const auto [a, b] = bin_interval(i);
            if (v >= b)
                below += c;
            else if (v > a)
                below += c * (v - a) / (b - a);
        }
        return std::min(1.0, below / t);
    }

    /// Smallest v with cdf(v) >= q, for q in [0, 1] (piecewise-uniform model; within [bmin, bmax]).
    /// Throws qnum::error if empty or q is outside [0, 1].
    double quantile(double q) const {
        detail::require(!empty(), "histogram: no values observed yet");
        detail::require(q >= 0.0 && q <= 1.0, "histogram: quantile outside [0, 1]");
        const double target = q * total();
        double cum = 0.0;
        for (std::uint32_t i = 0; i < h_.bins; ++i) {
            const double c = counts_[i];
            if (c == 0.0) continue;
            if (cum + c >= target) {
                const auto [a, b] = bin_interval(i);
                return std::clamp(a + (b - a) * std::max(0.0, target - cum) / c, static_cast<double>(h_.bmin),
                                  static_cast<double>(h_.bmax));
            }
            cum += c;
        }
        return h_.bmax;
    }

    /// Mass of the values in [a, b] (closed; same piecewise-uniform model).
    double mass_in(double a, double b) const noexcept {
        double m = 0.0;
        for (std::uint32_t i = 0; i < h_.bins; ++i) {
            const double c = counts_[i];
            if (c == 0.0) continue;
            const auto [p, q] = bin_interval(i);
            if (q <= p)
                m += (p >= a && p <= b) ? c : 0.0;
            else
                m += c * std::max(0.0, std::min(b, q) - std::max(a, p)) / (q - p);
        }
        return m;
    }

    /// Smallest t >= 0 such that a fraction q of the mass has |x| <= t. In magnitude mode this is quantile(q); in
    /// value mode it is found by bisection on mass_in(-t, t) (to double precision).
    double magnitude_quantile(double q) const {
        if (h_.mode == histogram_mode::magnitudes) return quantile(q);
        detail::require(!empty(), "histogram: no values observed yet");
        detail::require(q >= 0.0 && q <= 1.0, "histogram: quantile outside [0, 1]");
        const double target = q * total();
        if (mass_in(0.0, 0.0) >= target) return 0.0;
        double a = 0.0, b = std::max(std::fabs(static_cast<double>(h_.bmin)), std::fabs(static_cast<double>(h_.bmax)));
        for (int it = 0; it < 200 && std::nextafter(a, b) < b; ++it) {
            const double m = a + (b - a) / 2;
            (mass_in(-m, m) >= target ? b : a) = m;
        }
        return b;
    }

    /// Byte image of the state (header + counts) for another thread, process or machine of the same endianness.
    std::vector<unsigned char> serialize() const {
        std::vector<unsigned char> out(sizeof magic + sizeof h_ + counts_.size() * sizeof(double));
        std::memcpy(out.data(), magic, sizeof magic);
        std::memcpy(out.data() + sizeof magic, &h_, sizeof h_);
        std::memcpy(out.data() + sizeof magic + sizeof h_, counts_.data(), counts_.size() * sizeof(double));
        return out;
    }

    /// Inverse of serialize(). Throws qnum::error for a truncated, foreign or inconsistent image.
    static histogram deserialize(const unsigned char* data, std::size_t size) {
        detail::require(size >= sizeof magic + sizeof(histogram_header) && std::memcmp(data, magic, sizeof magic) == 0,
                        "histogram: not a serialized qnum histogram");
        histogram_header h;
        std::memcpy(&h, data + sizeof magic, sizeof h);
        detail::require(
            h.bins >= 1 && h.bins <= max_bins && size == sizeof magic + sizeof h + std::size_t{h.bins} * sizeof(double),
            "histogram: serialized image has the wrong size");
        std::vector<double> counts(h.bins);
        std::memcpy(counts.data(), data + sizeof magic + sizeof h, counts.size() * sizeof(double));
        return histogram(h, std::move(counts));
    }

    /// The float grid the binning kernels use.
    detail::bin_grid grid() const noexcept {
        return {h_.lo,
                h_.hi - h_.lo,
                static_cast<float>(h_.bins),
                static_cast<float>(h_.bins - 1),
                static_cast<std::int32_t>(h_.bins),
                h_.mode == histogram_mode::magnitudes};
    }

    /// Bin of a value under the current grid (the binning formula of the file comment).
    std::uint32_t bin_of(float v) const noexcept { return static_cast<std::uint32_t>(detail::bin_index(v, grid())); }

private:
    static constexpr unsigned char magic[8] = {'q', 'n', 'u', 'm', 'h', 'i', 's', '1'};

    static void check_bins(std::uint32_t bins) {
        detail::require(bins >= 1 && bins <= max_bins, "histogram: number of bins must be in [1, 2^20]");
    }
    static void check_range(float lo, float hi, histogram_mode mode) {
        detail::require(std::isfinite(lo) && std::isfinite(hi) && lo < hi && std::isfinite(hi - lo),
                        "histogram: range must be finite with lo < hi");
        detail::require(mode == histogram_mode::values || lo == 0.0f, "histogram: a magnitude range starts at 0");
    }

    // Extremes of the binned quantity for data in [min, max] (a lower bound for |x| when the data straddles 0).
    std::pair<float, float> binned_extremes(float min, float max) const noexcept {
        if (h_.mode == histogram_mode::values) return {min, max};
        if (min >= 0.0f) return {min, max};
        if (max <= 0.0f) return {-max, -min};
        return {0.0f, std::max(-min, max)};
    }

    void note_extremes(float min, float max, float bmin, float bmax, std::uint64_t n) noexcept {
        h_.min = std::min(h_.min, min);
        h_.max = std::max(h_.max, max);
        h_.bmin = std::min(h_.bmin, bmin);
        h_.bmax = std::max(h_.bmax, bmax);
        h_.count += n;
    }

    // Fresh grid for binned data in [bmin, bmax] (torch.histc's choice, see the file comment).
    void set_grid(float bmin, float bmax) {
        float lo = h_.mode == histogram_mode::magnitudes ? 0.0f : bmin, hi = bmax;
        if (lo == hi) {
            if (h_.mode == histogram_mode::magnitudes)
                hi = lo + 1.0f;
            else
                lo -= 1.0f, hi += 1.0f;
            if (!(lo < hi)) {  // |v| so large that +-1 is lost to rounding
                lo = bmin - std::fabs(bmin) * 0x1p-10f;
                hi = bmax + std::fabs(bmax) * 0x1p-10f;
            }
        }
        detail::require(std::isfinite(hi - lo), "histogram: the data's range (max - min) overflows float");
        check_range(lo, hi, h_.mode);
        h_.lo = lo;
        h_.hi = hi;
    }

    // Makes a growing histogram's grid cover binned values in [bmin, bmax], keeping its counts exact.
    void cover(float bmin, float bmax) {
        if (h_.count == 0) return set_grid(bmin, bmax);
        if (is_point_mass()) {
            if (bmin == h_.bmin && bmax == h_.bmax) return;
            const float v = h_.bmin;
            const double mass = total();
            set_grid(std::min(bmin, v), std::max(bmax, v));
            std::fill(counts_.begin(), counts_.end(), 0.0);
            counts_[bin_of(v)] = mass;
            return;
        }
        if (bmin >= h_.lo && bmax <= h_.hi) return;
        widen(std::min(bmin, h_.lo), std::max(bmax, h_.hi));
    }

    // Smallest aligned widening covering [need_lo, need_hi] (which contains the current grid).
    void widen(float need_lo, float need_hi) {
        const double n = h_.bins, lo = h_.lo, w = (static_cast<double>(h_.hi) - lo) / n;
        double k = std::max(1.0, std::ceil((static_cast<double>(need_hi) - need_lo) / (n * w)));
        for (;; ++k) {
            detail::require(k * w * n < static_cast<double>(std::numeric_limits<float>::max()),
                            "histogram: range grew beyond float");
            const double W = k * w;
            const double m = need_lo < h_.lo ? std::ceil((lo - need_lo) / W) : 0.0;
            const auto new_lo = static_cast<float>(lo - m * W), new_hi = static_cast<float>(lo - m * W + n * W);
            if (m > n - n / k || new_lo > need_lo || new_hi < need_hi || !std::isfinite(new_hi - new_lo)) continue;
            std::vector<double> moved(h_.bins, 0.0);
            const auto kk = static_cast<std::uint64_t>(k), mm = static_cast<std::uint64_t>(m);
            for (std::uint32_t i = 0; i < h_.bins; ++i)
                moved[std::min<std::uint64_t>(mm + i / kk, h_.bins - 1)] += counts_[i];
            counts_ = std::move(moved);
            h_.lo = new_lo;
            h_.hi = new_hi;
            return;
        }
    }

    // Adds the point mass `p` (a histogram whose values all equal p.bmin) to this growing histogram.
    void merge_point_mass(const histogram& p) {
        cover(p.h_.bmin, p.h_.bmax);
        counts_[bin_of(p.h_.bmin)] += p.total();
        note_extremes(p.h_.min, p.h_.max, p.h_.bmin, p.h_.bmax, p.h_.count);
    }

    // Adds other's counts onto this grid: whole bins when the grids align, else proportionally. Returns how many
    // values (rounded) fell outside this grid's range (only possible for a fixed range; they go to the edge bins).
    std::uint64_t rebin_into(const histogram& o) {
        const double w = bin_width(), ow = o.bin_width(), n = h_.bins;
        const double ratio = w / ow, offset = (static_cast<double>(o.h_.lo) - h_.lo) / ow;
        const double k = std::round(ratio), j = std::round(offset);
        double outside = 0.0;
        if (k >= 1.0 && std::fabs(ratio - k) * n <= 1e-3 && std::fabs(offset - j) <= 1e-3) {  // aligned
            for (std::uint32_t i = 0; i < o.h_.bins; ++i) {
                if (o.counts_[i] == 0.0) continue;
                const double t = std::floor((j + i) / k);
                if (t < 0.0 || t >= n) outside += o.counts_[i];
                counts_[static_cast<std::size_t>(std::clamp(t, 0.0, n - 1))] += o.counts_[i];
            }
            return static_cast<std::uint64_t>(std::llround(outside));
        }
        for (std::uint32_t i = 0; i < o.h_.bins; ++i) {
            const double c = o.counts_[i];
            if (c == 0.0) continue;
            const auto [a, b] = o.bin_interval(i);
            if (b <= a) {  // all of this bin's mass sits at one point
                if (a < h_.lo || a > h_.hi) outside += c;
                counts_[bin_of(static_cast<float>(a))] += c;
                continue;
            }
            const double ta = (a - h_.lo) / w, tb = (b - h_.lo) / w;  // in this grid's bin units
            const double scale = c / (tb - ta);
            // Mass outside the grid (fixed range) joins the edge bins; inside, it spreads by overlap length.
            const double below = std::clamp(-ta, 0.0, tb - ta), above = std::clamp(tb - n, 0.0, tb - ta);
            outside += scale * (below + above);
            counts_[0] += scale * below;
            counts_[h_.bins - 1] += scale * above;
            const double ca = std::clamp(ta, 0.0, n), cb = std::clamp(tb, 0.0, n);
            for (double t = std::floor(ca); t < cb && t < n; ++t) {
                const double overlap = std::min(cb, t + 1.0) - std::max(ca, t);
                if (overlap > 0.0) counts_[static_cast<std::size_t>(t)] += scale * overlap;
            }
        }
        return static_cast<std::uint64_t>(std::llround(outside));
    }

    // Number of finite values of x whose binned quantity lies outside [lo, hi] (fixed range only).
    std::uint64_t count_outside(strided_view<const float> x) const {
        std::uint64_t n = 0;
        const bool mag = h_.mode == histogram_mode::magnitudes;
        std::size_t keep = detail::no_axis;
        const auto [v] = detail::coalesce(keep, x);
        const std::size_t last = v.rank() - 1;
        const auto len = static_cast<std::size_t>(v.extent(last));
        detail::for_each_run(
            [&](const dims&, const auto& off, std::uint64_t) {
                for (std::size_t i = 0; i < len; ++i) {
                    float e = v.data()[off[0] + static_cast<std::ptrdiff_t>(i) * v.stride(last)];
                    if (mag) e = std::fabs(e);
                    n += detail::is_finite_value(e) && (e < h_.lo || e > h_.hi) ? 1 : 0;
                }
            },
            v);
        return n;
    }

    // Bins every finite value of x into counts_: SIMD bin indices, then increments spread over four sub-histograms
    // (so consecutive equal bins do not serialize on one memory location), flushed into the double counts.
    void bin_values(strided_view<const float> x) {
        constexpr std::size_t chunk = 1024, ways = 4;
        const std::size_t stride = std::size_t{h_.bins} + 1;  // slot `bins` absorbs non-finite values
        scratch_.assign(ways * stride, 0u);
        const detail::bin_grid g = grid();
        std::array<std::int32_t, chunk> idx;
        std::uint64_t pending = 0;
        auto flush = [&] {
            for (std::size_t b = 0; b < h_.bins; ++b) {
                std::uint64_t sum = 0;
                for (std::size_t w = 0; w < ways; ++w) sum += scratch_[w * stride + b];
                counts_[b] += static_cast<double>(sum);
            }
            std::fill(scratch_.begin(), scratch_.end(), 0u);
            pending = 0;
        };
        std::size_t keep = detail::no_axis;
        const auto [v] = detail::coalesce(keep, x);
        const std::size_t last = v.rank() - 1;
        const auto len = static_cast<std::size_t>(v.extent(last));
        std::uint32_t* sub = scratch_.data();
        detail::for_each_run(
            [&](const dims&, const auto& off, std::uint64_t) {
                for (std::size_t start = 0; start < len; start += chunk) {
                    const std::size_t m = std::min(chunk, len - start);
                    detail::bin_indices(v.data() + off[0] + static_cast<std::ptrdiff_t>(start) * v.stride(last),
                                        v.stride(last), m, g, idx.data());
                    std::size_t i = 0;
                    for (; i + ways <= m; i += ways) {
                        ++sub[idx[i]];
                        ++sub[stride + static_cast<std::size_t>(idx[i + 1])];
                        ++sub[2 * stride + static_cast<std::size_t>(idx[i + 2])];
                        ++sub[3 * stride + static_cast<std::size_t>(idx[i + 3])];
                    }
                    for (; i < m; ++i) ++sub[idx[i]];
                    pending += m;
                    if (pending > (std::uint64_t{1} << 31)) flush();  // uint32 sub-counts never overflow
                }
            },
            v);
        flush();
    }

    histogram_header h_;
    std::vector<double> counts_;
    std::vector<std::uint32_t> scratch_;  // binning workspace, not part of the state
};

}  // namespace qnum

// qnum — comparison kernel, scalar reference (the specification the SIMD kernel must equal bit for bit).
//
// A comparison reads pairs (r, t) of a reference and a test tensor in row-major order and keeps six sums in double:
//     sum r,  sum r*r,  sum t*t,  sum r*t,  sum e*e,  sum |e|     with e = double(t) - double(r),
// plus max |e| and max |e| / |r| (0 when e == 0, +inf when r == 0 != e). Products of two floats widened to double
// are exact, so only e*e rounds; it is rounded before its addition (fp_barrier), so fused and unfused targets agree.
//
// Summation order (what makes the result deterministic and accurate): element i of the row-major sequence goes to
// lane i % 8 of block i / 2048. Each lane adds its elements in order. At the end of a block the 8 lanes are summed as
// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)); block totals are then added pairwise (a binary tree over the
// blocks, finished from the smallest subtree up). The error of each sum is thus about (256 + log2(blocks)) ulps of
// the sum of magnitudes, independent of the tensor's size for any practical purpose.
//
// Pairs where either value is NaN or +-inf are not added (they are counted by kind); they still occupy their
// position, so the lanes and blocks of the other elements do not depend on where the non-finite values are.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qnum/detail/fp_barrier.hpp"

namespace qnum::detail {

inline constexpr std::size_t cmp_lanes = 8;     ///< virtual lanes of the summation order (any ISA)
inline constexpr std::size_t cmp_block = 2048;  ///< elements per block (a multiple of cmp_lanes)
inline constexpr std::size_t cmp_stats = 6;     ///< number of sums
enum cmp_stat : std::size_t { cmp_r = 0, cmp_rr, cmp_tt, cmp_rt, cmp_ee, cmp_ae };

/// Running state of a comparison (see the file comment for the summation order).
struct compare_state {
    alignas(64) double lane[cmp_stats][cmp_lanes] = {};  ///< lane sums of the current block
    double level[64][cmp_stats] = {};                    ///< pairwise partial sums, one per set bit of `blocks`
    std::uint64_t blocks = 0;                            ///< completed blocks
    std::size_t in_block = 0;                            ///< position inside the current block
    double max_abs = 0.0;
    double max_rel = 0.0;
    std::uint64_t valid = 0, nan_r = 0, nan_t = 0, inf_r = 0, inf_t = 0, skipped = 0;
};

/// Adds one pair at the current position (the caller flushes full blocks).
inline void compare_element(compare_state& s, float rf, float tf) noexcept {
    const std::size_t l = s.in_block++ % cmp_lanes;
    const bool r_ok = std::fabs(rf) <= FLT_MAX, t_ok = std::fabs(tf) <= FLT_MAX;
    if (!(r_ok && t_ok)) {
        s.nan_r += std::isnan(rf) ? 1 : 0;
        s.nan_t += std::isnan(tf) ? 1 : 0;
        s.inf_r += std::isinf(rf) ? 1 : 0;
        s.inf_t += std::isinf(tf) ? 1 : 0;
        ++s.skipped;
        return;
    }
    const double r = rf, t = tf, e = t - r, ae = std::fabs(e);
    s.lane[cmp_r][l] += r;
    s.lane[cmp_rr][l] += r * r;
    s.lane[cmp_tt][l] += t * t;
    s.lane[cmp_rt][l] += r * t;
    s.lane[cmp_ee][l] += fp_barrier(e * e);
    s.lane[cmp_ae][l] += ae;
    if (ae > s.max_abs) s.max_abs = ae;
    const double rel = ae == 0.0 ? 0.0 : ae / std::fabs(r);
    if (rel > s.max_rel) s.max_rel = rel;
    ++s.valid;
}

/// Adds n pairs (element strides rs, ts) that do not cross a block boundary.
inline void compare_run_scalar(compare_state& s, const float* r, std::ptrdiff_t rs, const float* t, std::ptrdiff_t ts,
                               std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        const auto p = static_cast<std::ptrdiff_t>(i);
        compare_element(s, r[p * rs], t[p * ts]);
    }
}

/// Ends the current block: sums its lanes in the fixed tree order and pushes the totals into the pairwise tree.
inline void compare_flush_block(compare_state& s) noexcept {
    double x[cmp_stats];
    for (std::size_t k = 0; k < cmp_stats; ++k) {
        const double* v = s.lane[k];
        x[k] = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
        for (std::size_t l = 0; l < cmp_lanes; ++l) s.lane[k][l] = 0.0;
    }
    std::uint64_t n = s.blocks++;
    std::size_t level = 0;
    for (; n & 1u; n >>= 1, ++level)
        for (std::size_t k = 0; k < cmp_stats; ++k) x[k] = s.level[level][k] + x[k];
    for (std::size_t k = 0; k < cmp_stats; ++k) s.level[level][k] = x[k];
    s.in_block = 0;
}

/// Flushes a partial block and returns the six totals (the pairwise tree summed from its smallest subtree up).
inline void compare_totals(compare_state& s, double (&out)[cmp_stats]) noexcept {
    if (s.in_block > 0) compare_flush_block(s);
    for (std::size_t k = 0; k < cmp_stats; ++k) out[k] = 0.0;
    // Over the set bits of `blocks` only. (A fixed 64-iteration loop here is miscompiled by GCC 12's loop
    // vectorizer at -O3 -march=x86-64-v4 — every total came out 0 — so the trip count stays data dependent.)
    std::size_t level = 0;
    for (std::uint64_t b = s.blocks; b != 0; b >>= 1, ++level)
        if (b & 1u)
            for (std::size_t k = 0; k < cmp_stats; ++k) out[k] = s.level[level][k] + out[k];
}

}  // namespace qnum::detail

// qnum — shared construction and application of 16-bit interpolated tables (lut16, segmented_lut).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "qnum/cpu.hpp"
#include "qnum/error.hpp"
#include "qnum/format.hpp"
#include "qnum/kernels/lut/avx2.hpp"
#include "qnum/kernels/lut/scalar.hpp"
#include "qnum/kernels/quantize/scalar.hpp"
#include "qnum/qparams.hpp"

namespace qnum::detail {

/// targets[k] = f(x_k) / s_out + z_out in double (unclamped, in output LSB) for every key k in [0, 65536], where
/// x_k is the dequantized input code of key k; key 65536 is one code past the domain (the last interval's end).
/// Throws qnum::error if f is not finite at any of them.
template <class InFormat, class F>
std::vector<double> interp_targets(F& f, const qparams& in, const qparams& out) {
    std::vector<double> t(65537);
    const std::int32_t bias = InFormat::is_signed ? -32768 : 0;
    for (std::int32_t k = 0; k <= 65536; ++k) {
        const float y = static_cast<float>(f(dequantize_element(k + bias, in.scale, in.zero_point)));
        if (!std::isfinite(y))
            throw error("lut: the function returned a non-finite value (NaN or inf) on the input domain");
        t[static_cast<std::size_t>(k)] = static_cast<double>(y) / static_cast<double>(out.scale) + out.zero_point;
    }
    return t;
}

/// Entries (units of 2^-interp_frac_bits LSB) for `m` intervals of 2^s keys starting at key k0, appended to `e`.
/// Each knot sits at the target, moved by the mean of half the chord errors at the midpoints of its two intervals,
/// which balances the linear interpolation error of a locally quadratic function between knots and midpoints.
inline void append_entries(const std::vector<double>& target, std::uint32_t k0, std::uint32_t m, int s,
                           std::vector<std::int32_t>& e) {
    const std::uint32_t w = 1u << s;
    auto chord_error = [&](std::uint32_t j) {  // f - chord at the midpoint of interval j
        if (s == 0) return 0.0;
        const std::uint32_t a = k0 + j * w;
        return target[a + w / 2] - 0.5 * (target[a] + target[a + w]);
    };
    const double unit = double(1 << interp_frac_bits), limit = double(interp_entry_limit - 1);
    for (std::uint32_t j = 0; j <= m; ++j) {
        const double c = j == 0 ? 0.5 * chord_error(0)
                                : (j == m ? 0.5 * chord_error(m - 1) : 0.25 * (chord_error(j - 1) + chord_error(j)));
        double v = std::nearbyint((target[k0 + j * w] + c) * unit);
        v = v < -limit ? -limit : (v > limit ? limit : v);
        e.push_back(static_cast<std::int32_t>(v));
    }
}

/// |y - clamp(target)| in LSB for the interpolated output y of key k.
inline double interp_error(std::int32_t y, double target, std::int32_t qmin, std::int32_t qmax) noexcept {
    const double t = target < qmin ? qmin : (target > qmax ? qmax : target);
    return std::fabs(static_cast<double>(y) - t);
}

/// Applies an interpolated table to n codes with the best kernel dispatch allows (bit-identical on every level).
template <class In, class Out, class Index>
void interp16_apply(const In* x, Out* y, std::size_t n, const std::int32_t* t, const Index& index, std::int32_t lo,
                    std::int32_t hi) noexcept {
    std::size_t done = 0;
#if QNUM_HAS_X86_KERNELS
    if (isa_enabled(isa::avx2)) done = interp16_avx2(x, y, n, t, index, lo, hi);
#endif
    interp16_scalar(x + done, y + done, n - done, t, index, lo, hi);
}

}  // namespace qnum::detail

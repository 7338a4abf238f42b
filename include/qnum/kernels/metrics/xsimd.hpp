// qnum — comparison kernel with xsimd on the architecture this translation unit is compiled for. Equals
// kernels/metrics/scalar.hpp bit for bit: float pairs are widened to double lanes, lane j of the 8 virtual lanes is
// lane j % D of batch j / D (D doubles per batch), and every sum adds its terms in the scalar order.
//
// Non-finite inputs are not tested element by element: they make sum r*r or sum t*t non-finite (finite floats cannot
// overflow a double sum), so the kernel checks those sums once at the end and, if any is non-finite, leaves the
// state untouched and returns 0; the caller then runs the scalar reference over the segment, which counts them.
// max |e| / |r| divides only when some lane may grow (|e| >= max * |r|), which is rare after the first elements.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "qnum/cpu.hpp"
#include "qnum/detail/fp_barrier.hpp"
#include "qnum/detail/simd_int.hpp"
#include "qnum/kernels/metrics/scalar.hpp"

QNUM_INTRINSICS_BEGIN

namespace qnum::detail::simd {

template <class A>
using dbatch = xsimd::batch<double, A>;

/// Loads dbatch<A>::size floats from src (unaligned), widened to double (exact).
template <class A>
inline dbatch<A> load_widen_double(const float* src) noexcept {
#if XSIMD_WITH_AVX512F
    if constexpr (std::is_base_of_v<xsimd::avx512f, A>) return _mm512_cvtps_pd(_mm256_loadu_ps(src));
#endif
#if XSIMD_WITH_AVX
    if constexpr (std::is_base_of_v<xsimd::avx, A> && dbatch<A>::size == 4) return _mm256_cvtps_pd(_mm_loadu_ps(src));
#endif
#if XSIMD_WITH_SSE2
    if constexpr (std::is_base_of_v<xsimd::sse2, A> && dbatch<A>::size == 2) {
        double pair;  // two floats, loaded as 8 bytes
        std::memcpy(&pair, src, sizeof pair);
        return _mm_cvtps_pd(_mm_castpd_ps(_mm_load_sd(&pair)));
    }
#endif
#if XSIMD_WITH_NEON64
    if constexpr (std::is_base_of_v<xsimd::neon64, A>) return vcvt_f64_f32(vld1_f32(src));
#endif
    alignas(64) double lanes[dbatch<A>::size];
    for (std::size_t i = 0; i < dbatch<A>::size; ++i) lanes[i] = src[i];
    return dbatch<A>::load_aligned(lanes);
}

/// v, as a value the compiler cannot fuse into a following addition (see fp_barrier.hpp).
template <class A>
inline dbatch<A> opaque(const dbatch<A>& v) noexcept {
    return fp_barrier(static_cast<typename dbatch<A>::register_type>(v));
}

/// Adds n pairs (a multiple of cmp_lanes, inside one block, starting at a lane-0 position) of contiguous r and t to
/// the state. Returns n, or 0 without touching the state when the segment holds a non-finite value.
template <class A>
std::size_t compare_run(compare_state& s, const float* r, const float* t, std::size_t n) noexcept {
    using B = dbatch<A>;
    constexpr std::size_t D = B::size;
    static_assert(cmp_lanes % D == 0, "a double batch must divide the virtual lanes");
    constexpr std::size_t G = cmp_lanes / D;
    B acc[cmp_stats][G];
    for (std::size_t k = 0; k < cmp_stats; ++k)
        for (std::size_t g = 0; g < G; ++g) acc[k][g] = B::load_aligned(&s.lane[k][g * D]);
    B mx(s.max_abs), mrel(s.max_rel);
    const B zero(0.0);
    for (std::size_t i = 0; i < n; i += cmp_lanes) {
        for (std::size_t g = 0; g < G; ++g) {
            const B rv = load_widen_double<A>(r + i + g * D), tv = load_widen_double<A>(t + i + g * D);
            const B e = tv - rv, ae = xsimd::abs(e), ar = xsimd::abs(rv);
            acc[cmp_r][g] += rv;
            acc[cmp_rr][g] += rv * rv;  // exact products: fusing cannot change them
            acc[cmp_tt][g] += tv * tv;
            acc[cmp_rt][g] += rv * tv;
            acc[cmp_ee][g] += opaque<A>(e * e);
            acc[cmp_ae][g] += ae;
            mx = xsimd::max(mx, ae);
            // |e| / |r| > m implies |e| >= round(m * |r|) (rounding is monotone), so other lanes cannot raise m.
            const auto grow = (ae >= mrel * ar) & (ae > zero);
            if (xsimd::any(grow)) mrel = xsimd::select(grow, xsimd::max(mrel, ae / ar), mrel);
        }
    }
    bool finite = true;
    for (std::size_t g = 0; g < G; ++g)
        finite = finite && xsimd::all(xsimd::abs(acc[cmp_rr][g]) <= B(DBL_MAX)) &&
                 xsimd::all(xsimd::abs(acc[cmp_tt][g]) <= B(DBL_MAX));
    if (!finite) return 0;
    for (std::size_t k = 0; k < cmp_stats; ++k)
        for (std::size_t g = 0; g < G; ++g) acc[k][g].store_aligned(&s.lane[k][g * D]);
    alignas(64) double m[D], q[D];
    mx.store_aligned(m);
    mrel.store_aligned(q);
    for (std::size_t j = 0; j < D; ++j) {
        if (m[j] > s.max_abs) s.max_abs = m[j];
        if (q[j] > s.max_rel) s.max_rel = q[j];
    }
    s.in_block += n;
    s.valid += n;
    return n;
}

}  // namespace qnum::detail::simd

QNUM_INTRINSICS_END

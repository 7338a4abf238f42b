// qnum — comparison kernel for AVX-512, compiled per function (QNUM_TARGET_AVX512) and picked at run time, so a
// baseline or x86-64-v3 binary still runs it on CPUs that have it. One zmm register holds the 8 virtual lanes of a
// sum, so the 6 sums, both maxima and the temporaries fit in registers. Same contract as kernels/metrics/xsimd.hpp:
// equal to kernels/metrics/scalar.hpp bit for bit, and 0 (state untouched) for a segment with NaN or infinity.
#pragma once

#include <cfloat>
#include <cstddef>

#include "qnum/cpu.hpp"
#include "qnum/kernels/metrics/scalar.hpp"

#if QNUM_HAS_X86_KERNELS
#include <immintrin.h>

QNUM_INTRINSICS_BEGIN

namespace qnum::detail {

/// Adds n pairs (a multiple of cmp_lanes, inside one block, starting at a lane-0 position) of contiguous r and t.
QNUM_TARGET_AVX512 inline std::size_t compare_run_avx512(compare_state& s, const float* r, const float* t,
                                                         std::size_t n) noexcept {
    static_assert(cmp_lanes == 8, "one zmm register of doubles holds the virtual lanes");
    __m512d a_r = _mm512_load_pd(s.lane[cmp_r]), a_rr = _mm512_load_pd(s.lane[cmp_rr]);
    __m512d a_tt = _mm512_load_pd(s.lane[cmp_tt]), a_rt = _mm512_load_pd(s.lane[cmp_rt]);
    __m512d a_ee = _mm512_load_pd(s.lane[cmp_ee]), a_ae = _mm512_load_pd(s.lane[cmp_ae]);
    __m512d mx = _mm512_set1_pd(s.max_abs), mrel = _mm512_set1_pd(s.max_rel);
    const __m512d zero = _mm512_setzero_pd();
    for (std::size_t i = 0; i < n; i += 8) {
        const __m512d rv = _mm512_cvtps_pd(_mm256_loadu_ps(r + i)), tv = _mm512_cvtps_pd(_mm256_loadu_ps(t + i));
        const __m512d e = _mm512_sub_pd(tv, rv), ae = _mm512_abs_pd(e), ar = _mm512_abs_pd(rv);
        a_r = _mm512_add_pd(a_r, rv);
        a_rr = _mm512_fmadd_pd(rv, rv, a_rr);  // exact products: fused or not, the same sum
        a_tt = _mm512_fmadd_pd(tv, tv, a_tt);
        a_rt = _mm512_fmadd_pd(rv, tv, a_rt);
        __m512d ee = _mm512_mul_pd(e, e);
        __asm__("" : "+v"(ee));  // rounded before the addition, as the reference
        a_ee = _mm512_add_pd(a_ee, ee);
        a_ae = _mm512_add_pd(a_ae, ae);
        mx = _mm512_max_pd(mx, ae);
        const __mmask8 grow =
            _mm512_cmp_pd_mask(ae, _mm512_mul_pd(mrel, ar), _CMP_GE_OQ) & _mm512_cmp_pd_mask(ae, zero, _CMP_GT_OQ);
        if (grow) mrel = _mm512_mask_max_pd(mrel, grow, mrel, _mm512_div_pd(ae, ar));
    }
    const __m512d big = _mm512_set1_pd(DBL_MAX);
    if ((_mm512_cmp_pd_mask(_mm512_abs_pd(a_rr), big, _CMP_LE_OQ) &
         _mm512_cmp_pd_mask(_mm512_abs_pd(a_tt), big, _CMP_LE_OQ)) != 0xFF)
        return 0;
    _mm512_store_pd(s.lane[cmp_r], a_r);
    _mm512_store_pd(s.lane[cmp_rr], a_rr);
    _mm512_store_pd(s.lane[cmp_tt], a_tt);
    _mm512_store_pd(s.lane[cmp_rt], a_rt);
    _mm512_store_pd(s.lane[cmp_ee], a_ee);
    _mm512_store_pd(s.lane[cmp_ae], a_ae);
    const double m = _mm512_reduce_max_pd(mx), q = _mm512_reduce_max_pd(mrel);
    if (m > s.max_abs) s.max_abs = m;
    if (q > s.max_rel) s.max_rel = q;
    s.in_block += n;
    s.valid += n;
    return n;
}

}  // namespace qnum::detail

QNUM_INTRINSICS_END
#endif

// qnum — integer GEMM with zero points and fused output stages: C = stage((A - za)(B - zb)).
//
// Types (A x B): u8s8, s8s8, u8u8 (8-bit, vpdpbusd / pmaddubsw), s16s16 and s16s8 (vpdpwssd / pmaddwd), with an
// int32 accumulator or the int64 variant for long K. B (weights) is pre-packed once into a packed_matrix_b
// (gemm_pack.hpp); the overload taking raw B packs on the fly. A is read in place (unit stride along K, row stride
// lda).
//
// Numeric contract: the stage receives exactly sum_k (A[i][k] - za)(B[k][j] - zb) (kernels/gemm/scalar.hpp is the
// specification, every kernel equals it bit for bit). Zero points never widen the inner loop: the kernels compute
// sum A * B' (B' = B shifted by -128/0/+128 so it fits the instruction's operand slot) and the driver subtracts
// (zb + shift) * rowsum(A) + za * colsum(B) - K za zb per row/column. With int32 accumulation gemm throws
// qnum::error when K * max|A - za| * max|B - zb| > 2^31 - 1 (8-bit A: its format range; 16-bit A: measured), so the
// result is never a silent wrap; int64 accumulates int32 partial sums over K chunks that provably cannot overflow.
//
// Blocking: tasks are (row block of mc rows: ~256 KiB of A resident in L2, 64 rows when K is blocked) x (range of
// 32-column panels). Inside a task each packed B panel (K x 32) is reused by every MR-row tile of the block; A is
// packed per tile ([group][row][4 bytes], one sequential stream) when the task sweeps >= 4 panels; K > 512 groups is
// cut into blocks so a slice of the panel is reused from L1/L2 by the block's tiles. The microkernel (MR x 32,
// MR = 8 on VNNI) subtracts the zero-point correction in its epilogue and writes a 64-byte-aligned stack tile on
// which the stages run row by row — or, for the raw int32 store stage, straight into C. M < MR (GEMV, small M) uses
// a kernel instantiated for exactly M rows; threads split N when there are few row blocks (M = 1 included).
// Threads: gemm_options::parallel_for (the engine's pool) or, by default, `threads` std::threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "qnum/cpu.hpp"
#include "qnum/error.hpp"
#include "qnum/gemm_pack.hpp"
#include "qnum/kernels/gemm/scalar.hpp"
#include "qnum/output_stage.hpp"
#if QNUM_HAS_X86_KERNELS
#include "qnum/kernels/gemm/avx2.hpp"
#include "qnum/kernels/gemm/avx512vnni.hpp"
#endif

/// Rows of the AVX-512 VNNI microkernel tile (2 x MR zmm accumulators; 8 and 12 measured within noise on Zen 4).
#ifndef QNUM_GEMM_VNNI_MR
#define QNUM_GEMM_VNNI_MR 8
#endif
#ifndef QNUM_GEMM_MC_BLOCKED
#define QNUM_GEMM_MC_BLOCKED 64
#endif

namespace qnum {

/// A parallel-for: runs body(t) once for every t in [0, tasks), in any order and on any threads, and returns when
/// all have finished. Lets an engine run qnum's GEMM on its own thread pool.
using parallel_for_fn = std::function<void(std::size_t tasks, const std::function<void(std::size_t)>& body)>;

/// Threading of one gemm call: `parallel_for` if set (then `threads` says how many workers it has, to size the task
/// split), else `threads` std::threads (1 = the calling thread only) started for this call — fine for large GEMMs;
/// for small ones (~100 us) the thread start-up shows, so pass a persistent pool through parallel_for.
struct gemm_options {
    unsigned threads = 1;
    parallel_for_fn parallel_for;
};

namespace detail {

/// The default parallel-for: the caller plus threads - 1 std::threads pulling task indices from a shared counter.
inline void thread_parallel_for(std::size_t tasks, unsigned threads, const std::function<void(std::size_t)>& body) {
    const std::size_t workers = std::min<std::size_t>(std::max(1u, threads), tasks);
    if (workers <= 1) {
        for (std::size_t t = 0; t < tasks; ++t) body(t);
        return;
    }
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) body(t);
    };
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
}

template <class TA, class TB>
using gemm_kernel_fn = void (*)(std::size_t, const TA*, std::size_t, std::size_t,
                                const typename gemm_traits<TA, TB>::packed*, const std::int32_t*, std::int32_t*,
                                std::size_t, bool, const std::uint32_t*, const std::uint32_t*);

/// Largest MR of any kernel, and the row multiple of a row block (every MR divides it).
inline constexpr std::size_t gemm_max_mr = QNUM_GEMM_VNNI_MR, gemm_row_quantum = QNUM_GEMM_VNNI_MR;
static_assert(QNUM_GEMM_VNNI_MR % 4 == 0 && QNUM_GEMM_VNNI_MR <= 16,
              "qnum: QNUM_GEMM_VNNI_MR must be a multiple of the AVX2/scalar tile rows (4), at most 16");

/// A microkernel family: fn[r - 1] computes an r-row tile, r = 1..mr.
template <class TA, class TB>
struct gemm_kernel_set {
    int mr = 0;
    gemm_kernel_fn<TA, TB> fn[gemm_max_mr] = {};
};

template <class TA, class TB, int... R>
gemm_kernel_set<TA, TB> gemm_scalar_set(std::integer_sequence<int, R...>) {
    return {static_cast<int>(sizeof...(R)), {&gemm_kernel_scalar<R + 1, TA, TB>...}};
}
#if QNUM_HAS_X86_KERNELS
template <class TA, class TB, class Policy, int... R>
gemm_kernel_set<TA, TB> gemm_avx2_set(std::integer_sequence<int, R...>) {
    return {static_cast<int>(sizeof...(R)), {&gemm_kernel_avx2<R + 1, TA, TB, Policy>...}};
}
template <class TA, class TB, int... R>
gemm_kernel_set<TA, TB> gemm_vnni_set(std::integer_sequence<int, R...>) {
    return {static_cast<int>(sizeof...(R)), {&gemm_kernel_avx512vnni<R + 1, TA, TB>...}};
}
#endif

/// Kernel families available at the current dispatch level. `exact` is always safe; `fast` (AVX2 8-bit pmaddubsw) is
/// only used where the driver proved it cannot saturate.
template <class TA, class TB>
struct gemm_kernels {
    gemm_kernel_set<TA, TB> exact, fast;
    bool has_fast = false;
};

template <class TA, class TB>
gemm_kernels<TA, TB> select_gemm_kernels() {
    gemm_kernels<TA, TB> k;
#if QNUM_HAS_X86_KERNELS
    if (isa_enabled(isa::avx512_vnni)) {
        k.exact = gemm_vnni_set<TA, TB>(std::make_integer_sequence<int, QNUM_GEMM_VNNI_MR>{});
        return k;
    }
    if (isa_enabled(isa::avx2)) {  // also the avx512 (no VNNI) level: the AVX2 kernels
        if constexpr (gemm_traits<TA, TB>::group == 2) {
            k.exact = gemm_avx2_set<TA, TB, gemm_avx2_madd16<TA, TB>>(std::make_integer_sequence<int, 4>{});
        } else {
            k.exact = gemm_avx2_set<TA, TB, gemm_avx2_widen8<TA, TB>>(std::make_integer_sequence<int, 2>{});
            k.fast = gemm_avx2_set<TA, TB, gemm_avx2_maddubs<TA, TB>>(std::make_integer_sequence<int, 4>{});
            k.has_fast = true;
        }
        return k;
    }
#endif
    k.exact = gemm_scalar_set<TA, TB>(std::make_integer_sequence<int, 4>{});
    return k;
}

/// a * b modulo 2^64 (no signed-overflow UB; exact whenever the true product fits int64).
inline std::int64_t gemm_wrap_mul(std::int64_t a, std::int64_t b) noexcept {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}

inline std::int64_t gemm_abs_max(std::int64_t lo, std::int64_t hi, std::int64_t zero) {
    return std::max(hi - zero < 0 ? zero - hi : hi - zero, lo - zero < 0 ? zero - lo : lo - zero);
}

/// Sum, min and max of one row of A (vectorisable: int32 partial sums over chunks that cannot overflow).
template <class TA>
void gemm_row_stats(const TA* row, std::size_t k, std::int64_t& sum, std::int32_t& lo, std::int32_t& hi) {
    std::int64_t s = 0;
    TA mn = k ? row[0] : TA{0}, mx = mn;
    for (std::size_t k0 = 0; k0 < k; k0 += 4096) {
        const std::size_t k1 = std::min(k, k0 + 4096);
        std::int32_t part = 0;
        for (std::size_t i = k0; i < k1; ++i) {
            part += row[i];
            mn = std::min(mn, row[i]);
            mx = std::max(mx, row[i]);
        }
        s += part;
    }
    sum = s;
    lo = mn;
    hi = mx;
}

/// Exact sum of one row of A (SIMD where available).
template <class TA>
std::int64_t gemm_row_sum(const TA* row, std::size_t k) {
#if QNUM_HAS_X86_KERNELS
    if (isa_enabled(isa::avx2)) return gemm_row_sum_avx2(row, k);
#endif
    return gemm_row_sum_scalar(row, k);
}

/// Min and max of A (M x K), for the 16-bit overflow checks.
template <class TA>
std::pair<std::int32_t, std::int32_t> gemm_range(std::size_t m, std::size_t k, const TA* a, std::size_t lda) {
    std::int32_t lo = 0, hi = 0;
    for (std::size_t i = 0; i < m; ++i) {
        std::int64_t s;
        std::int32_t l, h;
        gemm_row_stats(a + i * lda, k, s, l, h);
        lo = i ? std::min(lo, l) : l;
        hi = i ? std::max(hi, h) : h;
    }
    return {lo, hi};
}

template <class Stage, class Acc>
using gemm_stage_call =
    decltype(std::declval<const Stage&>()(std::declval<Acc*>(), std::size_t{}, std::size_t{}, std::size_t{}));

}  // namespace detail

/// C = stage((A - a_zero_point) x (B - b.zero_point())) for A (M x K, element TA, row stride lda >= K, unit stride
/// along K) and pre-packed B (K x N). Acc = int32_t (checked against overflow, see above) or int64_t.
/// The stage receives each finished row segment (see output_stage.hpp). Throws qnum::error for null A with M x K > 0,
/// lda < K, an invalid stage, or (int32) K too large for the operand ranges.
template <class Acc = std::int32_t, class TA, class TB, class Stage>
void gemm(std::size_t m, const TA* a, std::size_t lda, std::int32_t a_zero_point, const packed_matrix_b<TA, TB>& b,
          const Stage& stage, const gemm_options& options = {}) {
    static_assert(std::is_same_v<Acc, std::int32_t> || std::is_same_v<Acc, std::int64_t>,
                  "qnum: gemm accumulates in int32_t or int64_t");
    static_assert(std::is_same_v<detail::gemm_stage_call<Stage, Acc>, void>,
                  "qnum: the stage must be callable as stage(Acc* acc, row, col0, n)");
    using traits = detail::gemm_traits<TA, TB>;
    using packed = typename traits::packed;
    constexpr std::size_t g_size = traits::group, nr = detail::gemm_nr;
    const std::size_t n = b.n(), k = b.k();
    detail::require(a != nullptr || m == 0 || k == 0, "gemm: A is null but M x K is not empty");
    detail::require(lda >= k || m <= 1, "gemm: lda is smaller than K");
    stage.check(m, n);
    if (m == 0 || n == 0) return;

    // Operand magnitudes: 8-bit A by its type's range (no scan), 16-bit A measured.
    std::int64_t a_lo = std::numeric_limits<TA>::min(), a_hi = std::numeric_limits<TA>::max();
    if constexpr (sizeof(TA) == 2) {
        const auto range = detail::gemm_range(m, k, a, lda);
        a_lo = range.first;
        a_hi = range.second;
    }
    const std::int64_t zb = b.zero_point(), za = a_zero_point;
    std::size_t chunk_groups = b.groups();  // k groups per int32 partial sum
    bool chunk_wraps_high = false;          // a one-group int32 partial of exactly +2^31 reads as INT32_MIN
    if constexpr (std::is_same_v<Acc, std::int32_t>) {
        constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();
        const std::int64_t ma = detail::gemm_abs_max(a_lo, a_hi, za), mb = detail::gemm_abs_max(b.min(), b.max(), zb);
        detail::require(ma == 0 || mb == 0 || k == 0 ||
                            (ma <= i32_max && mb <= i32_max && k <= static_cast<std::size_t>(i32_max / (ma * mb))),
                        "gemm: K is too large for int32 accumulation of these operands (use the int64 variant)");
    } else {
        const std::int64_t per_group = static_cast<std::int64_t>(g_size) *
                                       detail::gemm_abs_max(a_lo + traits::a_shift, a_hi + traits::a_shift, 0) *
                                       detail::gemm_abs_max(b.min() + traits::delta, b.max() + traits::delta, 0);
        if (per_group > 0) {
            chunk_groups = std::max<std::size_t>(
                1, static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max() / per_group));
            chunk_wraps_high = per_group > std::numeric_limits<std::int32_t>::max();
        }
    }

    const auto kernels = detail::select_gemm_kernels<TA, TB>();
    const std::size_t full_groups = k / g_size, tail = k % g_size, all_groups = full_groups + (tail ? 1 : 0);
    // K block: 512 groups = a 64 KiB slice of a B panel (K = 2048 for 8-bit, L2-resident), reused by every tile of the
    // row block (128 and 256 measured slightly slower on Zen 4).
    constexpr std::size_t kc_groups = 512;
    const std::size_t panels = b.panels();
    // Row block: ~256 KiB of A, a multiple of gemm_row_quantum rows (every kernel's MR divides it).
    constexpr std::size_t quantum = detail::gemm_row_quantum;
    std::size_t mc =
        std::max<std::size_t>(quantum, (std::size_t{256} << 10) / std::max<std::size_t>(1, k * sizeof(TA)));
    // With K blocking the block's int32 accumulators (mc x 128 B) are reloaded per K block: keep them small (64 rows).
    if (all_groups > kc_groups) mc = std::min<std::size_t>(mc, QNUM_GEMM_MC_BLOCKED);
    const unsigned threads = options.parallel_for ? std::max(1u, options.threads) : options.threads;
    const std::size_t want_tasks = 2 * static_cast<std::size_t>(std::max(1u, threads));
    // Threads split M first (each row block packs its A once), down to one quantum of rows; then N.
    if (threads > 1) mc = std::min(mc, ((m + want_tasks - 1) / want_tasks + quantum - 1) / quantum * quantum);
    mc = std::min(std::max(quantum, mc / quantum * quantum), (m + quantum - 1) / quantum * quantum);
    const std::size_t m_blocks = (m + mc - 1) / mc;
    std::size_t n_chunks = 1;
    if (threads > 1 && m_blocks < want_tasks) n_chunks = std::min(panels, (want_tasks + m_blocks - 1) / m_blocks);
    const std::size_t panels_per_chunk = (panels + n_chunks - 1) / n_chunks;
    n_chunks = (panels + panels_per_chunk - 1) / panels_per_chunk;
    const std::int64_t* colsum = b.column_sums();
    // Constant term K (za zb - a_shift delta): see gemm_pack.hpp for the shifts.
    const std::int64_t k_za_zb = detail::gemm_wrap_mul(
        static_cast<std::int64_t>(k), detail::gemm_wrap_mul(za, zb) - std::int64_t{traits::a_shift} * traits::delta);

    auto task = [&](std::size_t t) {
        const std::size_t i_begin = (t / n_chunks) * mc, i_end = std::min(m, i_begin + mc);
        const std::size_t p_begin = (t % n_chunks) * panels_per_chunk,
                          p_end = std::min(panels, p_begin + panels_per_chunk);
        // Row sums (for the zero-point correction) and the row range (for the AVX2 saturation check).
        std::int64_t rowterm[512];
        std::vector<std::int64_t> rowterm_heap;
        std::int64_t* row_term = rowterm;
        if (i_end - i_begin > 512) {
            rowterm_heap.resize(i_end - i_begin);
            row_term = rowterm_heap.data();
        }
        std::int32_t blk_lo = 0, blk_hi = 0;
        if (kernels.has_fast) {  // the AVX2 pmaddubsw check needs the block's range as well
            for (std::size_t i = i_begin; i < i_end; ++i) {
                std::int64_t s;
                std::int32_t lo, hi;
                detail::gemm_row_stats(a + i * lda, k, s, lo, hi);
                row_term[i - i_begin] = detail::gemm_wrap_mul(zb + traits::delta, s);
                blk_lo = i == i_begin ? lo : std::min(blk_lo, lo);
                blk_hi = i == i_begin ? hi : std::max(blk_hi, hi);
            }
        } else {
            for (std::size_t i = i_begin; i < i_end; ++i)
                row_term[i - i_begin] =
                    zb + traits::delta == 0
                        ? 0
                        : detail::gemm_wrap_mul(zb + traits::delta, detail::gemm_row_sum(a + i * lda, k));
        }
        const detail::gemm_kernel_set<TA, TB>* set = &kernels.exact;
        if (kernels.has_fast) {
            const std::int64_t u_max = traits::a_unsigned ? blk_hi : b.max() + traits::delta;
            const std::int64_t s_max =
                traits::a_unsigned ? detail::gemm_abs_max(b.min() + traits::delta, b.max() + traits::delta, 0)
                                   : detail::gemm_abs_max(blk_lo + traits::a_shift, blk_hi + traits::a_shift, 0);
            if (2 * u_max * s_max <= 32767) set = &kernels.fast;
        }
        const std::size_t mr = static_cast<std::size_t>(set->mr);

        // A packed per tile when the task sweeps enough panels to amortise the copy: one sequential stream instead of
        // MR strided ones (which also alias in L1 when lda is a power of two).
        std::unique_ptr<TA[], detail::aligned_free> a_packed;
        if (p_end - p_begin >= 4 || traits::a_shift != 0) {  // u8 A is always packed: that is where A - 128 happens
            a_packed = detail::aligned_zeros<TA>((i_end - i_begin) * all_groups * g_size);
            for (std::size_t i0 = i_begin; i0 < i_end; i0 += mr) {
                const std::size_t rows = std::min(mr, i_end - i0);
                TA* dst = a_packed.get() + (i0 - i_begin) * all_groups * g_size;
                std::size_t done = 0;
#if QNUM_HAS_X86_KERNELS
                if (rows == 8 && isa_enabled(isa::avx2))
                    done = detail::gemm_pack_a8_avx2<TA, (traits::a_shift != 0)>(a + i0 * lda, lda, full_groups, dst);
#endif
                detail::gemm_pack_a<TA, static_cast<int>(g_size), traits::a_shift != 0>(a + i0 * lda, lda, rows, k, dst,
                                                                                        done);
            }
        }
        alignas(64) std::int32_t tile[detail::gemm_max_mr * nr];
        // Accumulators of the whole row block when K is blocked (K > kc_groups groups), 64-byte aligned.
        std::unique_ptr<std::int32_t[], detail::aligned_free> block_acc;
        if (std::is_same_v<Acc, std::int32_t> && all_groups > kc_groups)
            block_acc = detail::aligned_zeros<std::int32_t>((i_end - i_begin + mr) * nr);
        alignas(64) std::int64_t tile64[std::is_same_v<Acc, std::int64_t> ? detail::gemm_max_mr * nr : 1];
        alignas(64) std::uint32_t col_term32[nr];  // za * colsum - K za zb, modulo 2^32, zero past N
        std::int64_t col_term[nr];
        for (std::size_t p = p_begin; p < p_end; ++p) {
            const std::size_t j0 = p * nr, nc = std::min(nr, n - j0);
            for (std::size_t c = 0; c < nr; ++c) {
                col_term[c] = c < nc ? detail::gemm_wrap_mul(za + traits::a_shift, colsum[j0 + c]) : 0;
                col_term32[c] = static_cast<std::uint32_t>(col_term[c]) - static_cast<std::uint32_t>(k_za_zb);
            }
            const packed* panel = b.panel(p);
            // One MR-row tile over k groups [g0, g1) (the last range takes the partial tail group), into `out`.
            auto run_tile = [&](std::size_t i0, std::size_t g0, std::size_t g1, std::int32_t* out, std::size_t ldt,
                                bool accumulate, bool correct) {
                const std::size_t rows = std::min(mr, i_end - i0);
                const TA* a_tile = a + i0 * lda;
                std::uint32_t row_term32[detail::gemm_max_mr];
                for (std::size_t r = 0; r < rows; ++r)
                    row_term32[r] = static_cast<std::uint32_t>(row_term[i0 - i_begin + r]);
                if (a_packed) {  // tiles of the block packed back to back, each [group][row][4 bytes], tail padded
                    const TA* tile_a = a_packed.get() + (i0 - i_begin) * all_groups * g_size;
                    set->fn[rows - 1](g1 - g0, tile_a + g0 * rows * g_size, g_size, rows * g_size,
                                      panel + g0 * nr * g_size, nullptr, out, ldt, accumulate,
                                      correct ? row_term32 : nullptr, col_term32);
                    return;
                }
                const bool with_tail = tail && g1 == all_groups;
                std::int32_t a_tail[detail::gemm_max_mr];
                if (with_tail)
                    for (std::size_t r = 0; r < rows; ++r) {
                        TA last[g_size] = {};
                        std::memcpy(last, a_tile + r * lda + full_groups * g_size, tail * sizeof(TA));
                        std::memcpy(a_tail + r, last, 4);
                    }
                set->fn[rows - 1](g1 - g0 - (with_tail ? 1 : 0), a_tile + g0 * g_size, lda, g_size,
                                  panel + g0 * nr * g_size, with_tail ? a_tail : nullptr, out, ldt, accumulate,
                                  correct ? row_term32 : nullptr, col_term32);
            };
            auto prefetch_rows = [&](std::size_t i0) {
                for (std::size_t r = 0, rows = std::min(mr, i_end - i0); r < rows; ++r)
                    output_stage::try_prefetch(stage, i0 + r, j0, nc);
            };
            if constexpr (std::is_same_v<Acc, std::int32_t>) {
                // Raw int32 output of a full-width panel: the kernel stores (and accumulates K blocks) straight into
                // C from its registers — no tile round trip, whose loads also 4K-alias the C stores when ldc is a
                // power of two.
                std::int32_t* direct = nullptr;
                std::size_t ldc = 0;
                if constexpr (std::is_same_v<Stage, output_stage::store<std::int32_t>>) {
                    if (nc == nr) {
                        direct = stage.c + j0;
                        ldc = stage.ldc;
                    }
                }
                if (all_groups <= kc_groups) {  // whole K per tile, stages straight from the L1 tile
                    for (std::size_t i0 = i_begin; i0 < i_end; i0 += mr) {
                        if (direct) {
                            run_tile(i0, 0, all_groups, direct + i0 * ldc, ldc, false, true);
                            continue;
                        }
                        prefetch_rows(i0);
                        run_tile(i0, 0, all_groups, tile, nr, false, true);
                        for (std::size_t r = 0, rows = std::min(mr, i_end - i0); r < rows; ++r)
                            stage(tile + r * nr, i0 + r, j0, nc);
                    }
                } else {  // K blocks: the kc x 32 slice of the panel is reused by every tile of the block
                    for (std::size_t g0 = 0; g0 < all_groups; g0 += kc_groups) {
                        const std::size_t g1 = std::min(all_groups, g0 + kc_groups);
                        const bool last = g1 == all_groups;
                        for (std::size_t i0 = i_begin; i0 < i_end; i0 += mr) {
                            if (direct) {
                                run_tile(i0, g0, g1, direct + i0 * ldc, ldc, g0 > 0, last);
                                continue;
                            }
                            std::int32_t* acc = block_acc.get() + (i0 - i_begin) * nr;
                            if (last) prefetch_rows(i0);
                            run_tile(i0, g0, g1, acc, nr, g0 > 0, last);
                            if (last)
                                for (std::size_t r = 0, rows = std::min(mr, i_end - i0); r < rows; ++r)
                                    stage(acc + r * nr, i0 + r, j0, nc);
                        }
                    }
                }
            } else {  // int64: int32 partial sums over K chunks that cannot overflow, added up in int64
                alignas(64) Acc out_row[nr];
                for (std::size_t i0 = i_begin; i0 < i_end; i0 += mr) {
                    const std::size_t rows = std::min(mr, i_end - i0);
                    std::fill_n(tile64, rows * nr, std::int64_t{0});
                    for (std::size_t g0 = 0; g0 < all_groups; g0 += chunk_groups) {
                        run_tile(i0, g0, std::min(all_groups, g0 + chunk_groups), tile, nr, false, false);
                        for (std::size_t e = 0; e < rows * nr; ++e)
                            tile64[e] += chunk_wraps_high && tile[e] == std::numeric_limits<std::int32_t>::min()
                                             ? std::int64_t{1} << 31
                                             : tile[e];
                    }
                    for (std::size_t r = 0; r < rows; ++r) {
                        const std::int64_t rt = row_term[i0 - i_begin + r];
                        for (std::size_t c = 0; c < nc; ++c)
                            out_row[c] = static_cast<std::int64_t>(
                                static_cast<std::uint64_t>(tile64[r * nr + c]) - static_cast<std::uint64_t>(rt) -
                                static_cast<std::uint64_t>(col_term[c]) + static_cast<std::uint64_t>(k_za_zb));
                        stage(out_row, i0 + r, j0, nc);
                    }
                }
            }
        }
    };
    const std::size_t tasks = m_blocks * n_chunks;
    if (options.parallel_for && tasks > 1)
        options.parallel_for(tasks, task);
    else
        detail::thread_parallel_for(tasks, threads, task);
}

/// gemm on an unpacked B (K x N or N x K per `layout`, row stride ldb, zero point b_zero_point): packs B, then runs
/// the packed gemm. Pre-pack with packed_matrix_b when B is reused.
template <class Acc = std::int32_t, class TA, class TB, class Stage>
void gemm(std::size_t m, std::size_t n, std::size_t k, const TA* a, std::size_t lda, std::int32_t a_zero_point,
          const TB* b, std::size_t ldb, b_layout layout, std::int32_t b_zero_point, const Stage& stage,
          const gemm_options& options = {}) {
    const packed_matrix_b<TA, TB> packed(b, k, n, ldb, layout, b_zero_point);
    gemm<Acc>(m, a, lda, a_zero_point, packed, stage, options);
}

}  // namespace qnum

// qnum — runtime CPU feature detection and the instruction-set levels kernels dispatch on.
//
// Kernels that need instructions xsimd does not expose (maddubs, vpdpbusd, pshufb tables, 32x32->64 multiplies)
// are compiled per function with __attribute__((target(...))), so one binary built for baseline x86-64 still runs
// the AVX2 / AVX-512 code on CPUs that have it. This header decides, once per process, which level is usable.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define QNUM_X86 1
#else
#define QNUM_X86 0
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define QNUM_ARM64 1
#else
#define QNUM_ARM64 0
#endif

#if QNUM_X86 && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
/// Per-function target attributes: the body may use these instruction sets; callers must check cpu support first.
#define QNUM_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define QNUM_TARGET_AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")))
#define QNUM_TARGET_AVX512VNNI __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define QNUM_TARGET_AVX512VBMI __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi")))
#define QNUM_HAS_X86_KERNELS 1
#else
#define QNUM_TARGET_AVX2
#define QNUM_TARGET_AVX512
#define QNUM_TARGET_AVX512VNNI
#define QNUM_TARGET_AVX512VBMI
#define QNUM_HAS_X86_KERNELS 0
#endif

/// QNUM_INTRINSICS_BEGIN / QNUM_INTRINSICS_END bracket kernel code that inlines AVX-512 intrinsics: GCC 12 reports
/// -Wmaybe-uninitialized (and -Wuninitialized at -O1) inside its own avx512fintrin.h, from the _mm512_undefined_*
/// placeholders (GCC bug 105593), wherever those intrinsics are inlined. The pair silences exactly those two warnings.
#if defined(__GNUC__) && !defined(__clang__)
#define QNUM_INTRINSICS_BEGIN                                                                                   \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")                 \
        _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define QNUM_INTRINSICS_END _Pragma("GCC diagnostic pop")
#else
#define QNUM_INTRINSICS_BEGIN
#define QNUM_INTRINSICS_END
#endif

namespace qnum {

/// Instruction-set levels qnum's hand-written kernels are specialised for, in increasing order of capability
/// on each architecture. `scalar` is the portable reference every other level must equal bit for bit.
enum class isa : std::uint8_t {
    scalar = 0,
    avx2 = 1,         ///< x86-64-v3: AVX2 + FMA
    avx512 = 2,       ///< AVX-512 F/BW/VL/DQ
    avx512_vnni = 3,  ///< AVX-512 + VNNI (vpdpbusd)
    neon = 4,         ///< AArch64 Advanced SIMD
    neon_dot = 5,     ///< AArch64 with the dot-product extension (sdot/udot)
};

/// Human-readable name of an instruction-set level ("scalar", "avx2", ...).
constexpr const char* isa_name(isa level) noexcept {
    switch (level) {
        case isa::scalar:
            return "scalar";
        case isa::avx2:
            return "avx2";
        case isa::avx512:
            return "avx512";
        case isa::avx512_vnni:
            return "avx512_vnni";
        case isa::neon:
            return "neon";
        case isa::neon_dot:
            return "neon_dot";
    }
    return "unknown";
}

namespace detail {

/// What the CPU and OS support, detected once (CPUID + XGETBV for OS-enabled register state).
struct cpu_features {
    bool avx2 = false, fma = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
    bool avx512vbmi = false;  ///< vpermb / vpermi2b (byte permutes); not an isa level, see avx512_vbmi_enabled()
    bool neon = false, neon_dot = false;
};

inline cpu_features detect_cpu_features() noexcept {
    cpu_features f;
#if QNUM_X86 && (defined(__GNUC__) || defined(__clang__))
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c & (1u << 27)) != 0;
    const bool fma = (c & (1u << 12)) != 0;
    if (!osxsave) return f;
    unsigned xcr0_lo = 0, xcr0_hi = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    const bool os_avx = (xcr0_lo & 0x6u) == 0x6u;       // XMM + YMM state
    const bool os_avx512 = (xcr0_lo & 0xE6u) == 0xE6u;  // + opmask, ZMM_Hi256, Hi16_ZMM
    if (!os_avx || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = (b & (1u << 5)) != 0;
    f.fma = fma;
    if (os_avx512) {
        f.avx512f = (b & (1u << 16)) != 0;
        f.avx512dq = (b & (1u << 17)) != 0;
        f.avx512bw = (b & (1u << 30)) != 0;
        f.avx512vl = (b & (1u << 31)) != 0;
        f.avx512vnni = (c & (1u << 11)) != 0;
        f.avx512vbmi = (c & (1u << 1)) != 0;
    }
#elif QNUM_ARM64
    f.neon = true;
#if defined(__ARM_FEATURE_DOTPROD)
    f.neon_dot = true;
#endif
#endif
    return f;
}

inline const cpu_features& cpu() noexcept {
    static const cpu_features features = detect_cpu_features();  // thread-safe lazy init, no static-init order issue
    return features;
}

// Upper bound set by limit_isa(); 255 = no limit. Constant-initialised, so safe in a header.
inline std::atomic<std::uint8_t> isa_ceiling{255};

}  // namespace detail

/// True when this CPU (and OS) can run kernels of the given level.
inline bool cpu_supports(isa level) noexcept {
    const auto& f = detail::cpu();
    switch (level) {
        case isa::scalar:
            return true;
        case isa::avx2:
            return f.avx2 && f.fma;
        case isa::avx512:
            return f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
        case isa::avx512_vnni:
            return cpu_supports(isa::avx512) && f.avx512vnni;
        case isa::neon:
            return f.neon;
        case isa::neon_dot:
            return f.neon && f.neon_dot;
    }
    return false;
}

/// Caps the level runtime dispatch may pick (e.g. limit_isa(isa::avx2) on an AVX-512 machine, or isa::scalar to run
/// the reference). Meant for tests, benchmarks and engines that pin behaviour; affects every later dispatch.
inline void limit_isa(isa ceiling) noexcept {
    detail::isa_ceiling.store(static_cast<std::uint8_t>(ceiling), std::memory_order_relaxed);
}

/// Removes a cap set by limit_isa().
inline void unlimit_isa() noexcept { detail::isa_ceiling.store(255, std::memory_order_relaxed); }

/// True when dispatch may pick `level`: the CPU supports it and no limit_isa() cap excludes it.
/// Levels of the same architecture are ordered, so a cap of avx2 excludes avx512 but a cap of scalar excludes all.
inline bool isa_enabled(isa level) noexcept {
    const auto ceiling = detail::isa_ceiling.load(std::memory_order_relaxed);
    return static_cast<std::uint8_t>(level) <= ceiling && cpu_supports(level);
}

/// True when the avx512 level may be dispatched (isa_enabled(isa::avx512)) and the CPU also has AVX-512 VBMI byte
/// permutes. VBMI is a feature on top of that level, not a level of its own: kernels that want it use it at the
/// avx512 level and fall back to their AVX2 kernel without it, so limit_isa() keeps the same meaning.
inline bool avx512_vbmi_enabled() noexcept { return isa_enabled(isa::avx512) && detail::cpu().avx512vbmi; }

/// The most capable level this CPU supports, after any limit_isa() cap.
inline isa best_isa() noexcept {
    for (isa level : {isa::avx512_vnni, isa::avx512, isa::avx2, isa::neon_dot, isa::neon})
        if (isa_enabled(level)) return level;
    return isa::scalar;
}

}  // namespace qnum

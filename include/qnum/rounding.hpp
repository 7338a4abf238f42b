// qnum — rounding modes for float -> integer conversion, as template tags and as a runtime value.
//
// Each tag is callable: `round_half_up{}(2.5f) == 3.0f`. The result is the integral value as the same floating
// type; callers clamp and convert. These scalar definitions are the specification: every SIMD kernel must produce
// the same integers. They are built on t = trunc(x) and d = x - t, which is exact for every finite x (x - floor(x)
// is not: for tiny negative x, 1 + x rounds), so they are correct for every finite input and do not depend on the
// floating-point environment. NaN and infinities pass through unchanged; quantizers give them a meaning (see
// quantize.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "qnum/error.hpp"

namespace qnum {

/// Runtime names of the rounding modes.
enum class rounding_mode : std::uint8_t {
    half_to_even,         ///< ties to the even integer (IEEE default, ONNX, PyTorch, numpy)
    half_away_from_zero,  ///< ties away from zero (C round(), TFLite reference kernels)
    half_up,              ///< ties toward +inf (floor(x + 0.5) without its double-rounding bug)
    half_down,            ///< ties toward -inf
    half_toward_zero,     ///< ties toward zero
    toward_zero,          ///< truncation
    floor,                ///< toward -inf
    ceil,                 ///< toward +inf
    stochastic,           ///< up with probability frac(x): unbiased, seeded and reproducible
};

namespace detail {

/// 32-bit integer mixer ("lowbias32", C. Wellons): full avalanche, cheap in SIMD (two 32-bit multiplies).
constexpr std::uint32_t mix32(std::uint32_t x) noexcept {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/// Per-(seed, upper index bits) key of the stochastic stream; constant over 2^32 consecutive indices.
constexpr std::uint32_t stochastic_key(std::uint64_t seed, std::uint32_t index_hi) noexcept {
    return mix32(static_cast<std::uint32_t>(seed) ^
                 mix32(static_cast<std::uint32_t>(seed >> 32) ^ (index_hi * 0x9E3779B9u)));
}

/// Uniform 24-bit draw for element `index_lo` of the stream with `key`: counter-based, so a SIMD lane computes the
/// same value as the scalar loop for the same element, independent of blocking or thread split.
constexpr std::uint32_t stochastic_draw24(std::uint32_t key, std::uint32_t index_lo) noexcept {
    return mix32(mix32(index_lo ^ key) + key) >> 8;
}

}  // namespace detail

/// Ties to even. Equals std::nearbyint under the default rounding mode, but independent of fesetround().
struct round_half_to_even {
    static constexpr rounding_mode mode = rounding_mode::half_to_even;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        const T t = std::trunc(x), a = std::fabs(x - t), step = std::copysign(T(1), x);
        if (a > T(0.5)) return t + step;
        if (a < T(0.5)) return t;
        return std::fmod(t, T(2)) == T(0) ? t : t + step;
    }
};

/// Ties away from zero, like std::round.
struct round_half_away_from_zero {
    static constexpr rounding_mode mode = rounding_mode::half_away_from_zero;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        const T t = std::trunc(x);
        return std::fabs(x - t) >= T(0.5) ? t + std::copysign(T(1), x) : t;
    }
};

/// Ties toward +inf.
struct round_half_up {
    static constexpr rounding_mode mode = rounding_mode::half_up;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        const T t = std::trunc(x), d = x - t;
        if (d >= T(0.5)) return t + T(1);
        if (d < T(-0.5)) return t - T(1);
        return t;
    }
};

/// Ties toward -inf.
struct round_half_down {
    static constexpr rounding_mode mode = rounding_mode::half_down;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        const T t = std::trunc(x), d = x - t;
        if (d > T(0.5)) return t + T(1);
        if (d <= T(-0.5)) return t - T(1);
        return t;
    }
};

/// Ties toward zero.
struct round_half_toward_zero {
    static constexpr rounding_mode mode = rounding_mode::half_toward_zero;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        const T t = std::trunc(x);
        return std::fabs(x - t) > T(0.5) ? t + std::copysign(T(1), x) : t;
    }
};

/// Truncation toward zero.
struct round_toward_zero {
    static constexpr rounding_mode mode = rounding_mode::toward_zero;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        return std::trunc(x);
    }
};

/// Toward -inf.
struct round_floor {
    static constexpr rounding_mode mode = rounding_mode::floor;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        return std::floor(x);
    }
};

/// Toward +inf.
struct round_ceil {
    static constexpr rounding_mode mode = rounding_mode::ceil;
    template <class T>
    T operator()(T x, std::uint64_t = 0) const noexcept {
        return std::ceil(x);
    }
};

/// Stochastic rounding: away from zero with probability |x - trunc(x)|, else toward zero, i.e. up with probability
/// frac(x). The draw for element `index` is a counter-based hash of (seed, index) with 24 random bits, so results
/// are reproducible for a seed, identical between scalar and SIMD paths, and unbiased up to 2^-24 per element.
struct round_stochastic {
    static constexpr rounding_mode mode = rounding_mode::stochastic;
    std::uint64_t seed = 0;
    template <class T>
    T operator()(T x, std::uint64_t index = 0) const noexcept {
        const T t = std::trunc(x), a = std::fabs(x - t);
        const auto key = detail::stochastic_key(seed, static_cast<std::uint32_t>(index >> 32));
        const auto u = detail::stochastic_draw24(key, static_cast<std::uint32_t>(index));
        return static_cast<T>(u) < a * T(16777216) ? t + std::copysign(T(1), x) : t;  // u/2^24 < a, exactly
    }
};

/// A rounding mode chosen at run time; `seed` is used by rounding_mode::stochastic only.
struct rounding {
    rounding_mode mode = rounding_mode::half_to_even;
    std::uint64_t seed = 0;
};

/// Calls `f(tag)` with the rounding tag matching `r`, turning a runtime choice into a template instantiation.
template <class F>
decltype(auto) visit_rounding(const rounding& r, F&& f) {
    switch (r.mode) {
        case rounding_mode::half_to_even:
            return std::forward<F>(f)(round_half_to_even{});
        case rounding_mode::half_away_from_zero:
            return std::forward<F>(f)(round_half_away_from_zero{});
        case rounding_mode::half_up:
            return std::forward<F>(f)(round_half_up{});
        case rounding_mode::half_down:
            return std::forward<F>(f)(round_half_down{});
        case rounding_mode::half_toward_zero:
            return std::forward<F>(f)(round_half_toward_zero{});
        case rounding_mode::toward_zero:
            return std::forward<F>(f)(round_toward_zero{});
        case rounding_mode::floor:
            return std::forward<F>(f)(round_floor{});
        case rounding_mode::ceil:
            return std::forward<F>(f)(round_ceil{});
        case rounding_mode::stochastic:
            return std::forward<F>(f)(round_stochastic{r.seed});
    }
    throw error("unknown rounding_mode");
}

/// True for the rounding tag types above (usable to constrain templates).
template <class R, class = void>
struct is_rounding : std::false_type {};
template <class R>
struct is_rounding<R, std::enable_if_t<std::is_same_v<decltype(R::mode), const rounding_mode>>> : std::true_type {};
template <class R>
inline constexpr bool is_rounding_v = is_rounding<R>::value;

}  // namespace qnum

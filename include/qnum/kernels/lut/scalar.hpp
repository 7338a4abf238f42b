// qnum — table look-up kernels: the scalar reference, which is the specification.
//
// 8-bit tables: y = table[uint8_t(x)], the input's bit pattern is the index (int8 -128 is entry 128).
//
// 16-bit interpolated tables (uniform and segmented): the input code is mapped to an unsigned key in [0, 65535]
// (key = q + 32768 for signed inputs, q for unsigned ones). A table position i, a shift s (interval width 2^s codes)
// and an offset r in [0, 2^s) are derived from the key, and, with entries t[] in units of 2^-interp_frac_bits
// output LSB,
//     y = clamp((t[i] * 2^s + (t[i+1] - t[i]) * r + 2^(s+F-1)) >> (s+F), qmin, qmax)      (F = interp_frac_bits)
// in 32-bit integers: linear interpolation rounded half up. Builders keep |t| <= interp_entry_limit and s <= 8, so
// no intermediate overflows. SIMD kernels must match these functions bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace qnum::detail {

/// Fractional bits of 16-bit interpolation table entries (entries are in units of 1/16 output LSB).
inline constexpr int interp_frac_bits = 4;
/// Largest interval shift of an interpolated table (intervals of at most 256 codes).
inline constexpr int interp_max_shift = 8;
/// Bound on |entry|: 2^21 units = 131072 LSB; with s <= 8 every intermediate fits in int32.
inline constexpr std::int32_t interp_entry_limit = std::int32_t{1} << 21;

/// y[i] = table[x[i]] for n bytes; x == y (in place) is allowed.
inline void lut8_scalar(const std::uint8_t* x, std::uint8_t* y, std::size_t n, const std::uint8_t* table) noexcept {
    for (std::size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

/// Unsigned key of a 16-bit code: q + 32768 for signed storage, q for unsigned.
template <class Storage>
constexpr std::uint32_t key16(Storage q) noexcept {
    return static_cast<std::uint32_t>(static_cast<std::int32_t>(q) + (std::is_signed_v<Storage> ? 32768 : 0));
}

/// Index rule of a uniform table: 512 intervals of 128 codes, 513 entries.
struct uniform_index {
    static constexpr int shift = 7;
    struct position {
        std::uint32_t i, r;
        int s;
    };
    position operator()(std::uint32_t key) const noexcept { return {key >> shift, key & 127u, shift}; }
};

/// Index rule of a segmented table: 256 blocks of 256 codes; block b has interval shift (param[b] & 15) and its
/// entries start at t[param[b] >> 4].
struct segmented_index {
    const std::int32_t* params;
    struct position {
        std::uint32_t i, r;
        int s;
    };
    position operator()(std::uint32_t key) const noexcept {
        const auto p = static_cast<std::uint32_t>(params[key >> 8]);
        const int s = static_cast<int>(p & 15u);
        const std::uint32_t within = key & 255u;
        return {(p >> 4) + (within >> s), within & ((1u << s) - 1u), s};
    }
};

/// One interpolated look-up (see the file comment), clamped to [lo, hi].
inline std::int32_t interp_value(const std::int32_t* t, std::uint32_t i, std::uint32_t r, int s, std::int32_t lo,
                                 std::int32_t hi) noexcept {
    const std::int32_t a = t[i], b = t[i + 1];
    const std::int32_t acc = a * (std::int32_t{1} << s) + (b - a) * static_cast<std::int32_t>(r) +
                             (std::int32_t{1} << (s + interp_frac_bits - 1));
    const std::int32_t y = acc >> (s + interp_frac_bits);  // arithmetic shift: floor division by 2^(s+F)
    return y < lo ? lo : (y > hi ? hi : y);
}

/// Interpolated look-up of n 16-bit codes; x == y (in place) is allowed.
template <class In, class Out, class Index>
void interp16_scalar(const In* x, Out* y, std::size_t n, const std::int32_t* t, const Index& index, std::int32_t lo,
                     std::int32_t hi) noexcept {
    for (std::size_t k = 0; k < n; ++k) {
        const auto p = index(key16(x[k]));
        y[k] = static_cast<Out>(interp_value(t, p.i, p.r, p.s, lo, hi));
    }
}

}  // namespace qnum::detail

// qnum — integer formats: bit width (2..16), signedness, narrow range, and the storage type that holds one code.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qnum/error.hpp"

namespace qnum {

/// An inclusive range of integer codes [min, max] (runtime form of a format's range).
struct qrange {
    std::int32_t min;
    std::int32_t max;

    /// Range of a `bits`-wide integer. Narrow range drops the lowest code: signed [-(2^(b-1)-1), 2^(b-1)-1]
    /// (e.g. [-127, 127]), unsigned [1, 2^b-1] (TensorFlow's narrow_range convention).
    /// Throws qnum::error unless 2 <= bits <= 16.
    static constexpr qrange of_bits(int bits, bool is_signed, bool narrow = false) {
        detail::require(bits >= 2 && bits <= 16, "bit width must be in [2, 16]");
        const std::int32_t lo = is_signed ? -(std::int32_t{1} << (bits - 1)) : 0;
        const std::int32_t hi = is_signed ? (std::int32_t{1} << (bits - 1)) - 1 : (std::int32_t{1} << bits) - 1;
        return {narrow ? lo + 1 : lo, hi};
    }

    /// Number of codes, max - min + 1.
    constexpr std::int32_t levels() const noexcept { return max - min + 1; }
    constexpr bool contains(std::int64_t q) const noexcept { return q >= min && q <= max; }
    friend constexpr bool operator==(qrange a, qrange b) noexcept { return a.min == b.min && a.max == b.max; }
    friend constexpr bool operator!=(qrange a, qrange b) noexcept { return !(a == b); }
};

/// Compile-time integer format: `Bits` in [2, 16] (checked by static_assert), signedness and narrow range.
/// Codes are stored one per element in the smallest of int8/uint8/int16/uint16 that holds them; 4- and 2-bit codes
/// can then be packed with qnum/packing.hpp.
template <int Bits, bool Signed, bool Narrow = false>
struct int_format {
    static_assert(Bits >= 2 && Bits <= 16, "qnum: bit width must be in [2, 16]");
    static constexpr int bits = Bits;
    static constexpr bool is_signed = Signed;
    static constexpr bool narrow = Narrow;
    static constexpr qrange range = qrange::of_bits(Bits, Signed, Narrow);
    static constexpr std::int32_t min = range.min;
    static constexpr std::int32_t max = range.max;
    /// Element type that holds one code.
    using storage = std::conditional_t<(Bits <= 8), std::conditional_t<Signed, std::int8_t, std::uint8_t>,
                                       std::conditional_t<Signed, std::int16_t, std::uint16_t>>;
};

/// True for instantiations of int_format.
template <class T>
struct is_int_format : std::false_type {};
template <int B, bool S, bool N>
struct is_int_format<int_format<B, S, N>> : std::true_type {};
template <class T>
inline constexpr bool is_int_format_v = is_int_format<T>::value;

using qint8 = int_format<8, true>;                 ///< [-128, 127] in int8_t
using quint8 = int_format<8, false>;               ///< [0, 255] in uint8_t
using qint16 = int_format<16, true>;               ///< [-32768, 32767] in int16_t
using quint16 = int_format<16, false>;             ///< [0, 65535] in uint16_t
using qint4 = int_format<4, true>;                 ///< [-8, 7] in int8_t (pack with packing.hpp)
using quint4 = int_format<4, false>;               ///< [0, 15] in uint8_t
using qint2 = int_format<2, true>;                 ///< [-2, 1] in int8_t
using quint2 = int_format<2, false>;               ///< [0, 3] in uint8_t
using qint8_narrow = int_format<8, true, true>;    ///< [-127, 127]: symmetric weights, no -128 code
using qint16_narrow = int_format<16, true, true>;  ///< [-32767, 32767]
using qint4_narrow = int_format<4, true, true>;    ///< [-7, 7]

}  // namespace qnum

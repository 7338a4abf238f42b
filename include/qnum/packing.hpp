// qnum — packing 4-bit and 2-bit codes several to a byte, and unpacking them (two's complement for signed codes).
//
// Orders (for 4-bit, "nibble" = 4 bits; for 2-bit the same idea with 2-bit fields):
//   bit_order::low_first:  element 2i is in bits 0..3 of byte i, element 2i+1 in bits 4..7
//                          (ONNX int4/uint4, PyTorch quint4x2, most GPU int4 weight formats)
//   bit_order::high_first: element 2i is in bits 4..7, element 2i+1 in bits 0..3 (reading order of the hex dump)
// For 2-bit codes, low_first puts element 4i+k in bits 2k..2k+1; high_first puts it in bits 6-2k..7-2k.
// A last, partial byte has its unused fields zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/error.hpp"

namespace qnum {

/// Where the first element of each byte goes.
enum class bit_order : std::uint8_t { low_first, high_first };

/// Bytes needed to hold n codes of `Bits` bits.
template <int Bits>
constexpr std::size_t packed_size(std::size_t n) noexcept {
    static_assert(Bits == 2 || Bits == 4, "qnum: packing supports 2- and 4-bit codes");
    constexpr std::size_t per_byte = 8 / Bits;
    return (n + per_byte - 1) / per_byte;
}

/// Packs n codes (int8_t for signed, uint8_t for unsigned; each must fit in `Bits` bits, checked in debug builds)
/// into packed_size<Bits>(n) bytes.
template <int Bits, class T>
void pack(const T* codes, std::size_t n, std::uint8_t* packed, bit_order order = bit_order::low_first) {
    static_assert(Bits == 2 || Bits == 4, "qnum: packing supports 2- and 4-bit codes");
    static_assert(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>, "qnum: pack int8_t or uint8_t");
    constexpr int per_byte = 8 / Bits;
    constexpr unsigned mask = (1u << Bits) - 1u;
    for (std::size_t byte = 0; byte < packed_size<Bits>(n); ++byte) {
        unsigned value = 0;
        for (int k = 0; k < per_byte; ++k) {
            const std::size_t i = byte * per_byte + static_cast<std::size_t>(k);
            if (i >= n) break;
            if constexpr (std::is_signed_v<T>)
                QNUM_ASSERT(codes[i] >= -(1 << (Bits - 1)) && codes[i] < (1 << (Bits - 1)));
            else
                QNUM_ASSERT(codes[i] < (1 << Bits));
            const int shift = order == bit_order::low_first ? k * Bits : (per_byte - 1 - k) * Bits;
            value |= (static_cast<unsigned>(codes[i]) & mask) << shift;
        }
        packed[byte] = static_cast<std::uint8_t>(value);
    }
}

/// Unpacks n codes written by pack<Bits>() with the same order; signed T sign-extends each field.
template <int Bits, class T>
void unpack(const std::uint8_t* packed, std::size_t n, T* codes, bit_order order = bit_order::low_first) {
    static_assert(Bits == 2 || Bits == 4, "qnum: packing supports 2- and 4-bit codes");
    static_assert(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>,
                  "qnum: unpack to int8_t or uint8_t");
    constexpr std::size_t per_byte = 8 / Bits;
    constexpr unsigned mask = (1u << Bits) - 1u;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = i % per_byte;
        const auto shift = static_cast<unsigned>(order == bit_order::low_first ? k * Bits : (per_byte - 1 - k) * Bits);
        const unsigned field = (packed[i / per_byte] >> shift) & mask;
        if constexpr (std::is_signed_v<T>)
            codes[i] = static_cast<T>(static_cast<int>(field ^ (1u << (Bits - 1))) - (1 << (Bits - 1)));  // sign-extend
        else
            codes[i] = static_cast<T>(field);
    }
}

}  // namespace qnum

// int4 / int2 packing: documented bit layouts in both orders, sign extension, round trips of every code, odd lengths.
#define QNUM_DEBUG_CHECKS 1
#include <qnum/packing.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace qnum;

TEST_CASE("int4 layouts: low_first puts element 0 in bits 0..3, high_first in bits 4..7") {
    const std::int8_t codes[] = {-8, 7, 1, -1, 5};
    std::uint8_t low[3] = {}, high[3] = {};
    pack<4>(codes, 5, low, bit_order::low_first);
    pack<4>(codes, 5, high, bit_order::high_first);
    CHECK(low[0] == 0x78);  // element 1 (7) high, element 0 (-8 = 0x8) low
    CHECK(low[1] == 0xF1);  // -1 = 0xF high, 1 low
    CHECK(low[2] == 0x05);  // partial byte: unused field zero
    CHECK(high[0] == 0x87);
    CHECK(high[1] == 0x1F);
    CHECK(high[2] == 0x50);
    CHECK(packed_size<4>(5) == 3);
    CHECK(packed_size<2>(5) == 2);
    CHECK(packed_size<4>(0) == 0);
}

TEST_CASE("int2 layouts") {
    const std::uint8_t codes[] = {0, 1, 2, 3, 3};
    std::uint8_t low[2] = {}, high[2] = {};
    pack<2>(codes, 5, low, bit_order::low_first);
    pack<2>(codes, 5, high, bit_order::high_first);
    CHECK(low[0] == 0xE4);  // 3<<6 | 2<<4 | 1<<2 | 0
    CHECK(low[1] == 0x03);
    CHECK(high[0] == 0x1B);  // 0<<6 | 1<<4 | 2<<2 | 3
    CHECK(high[1] == 0xC0);
}

template <int Bits, class T>
void round_trip_all_codes() {
    constexpr int lo = std::is_signed_v<T> ? -(1 << (Bits - 1)) : 0;
    constexpr int hi = std::is_signed_v<T> ? (1 << (Bits - 1)) - 1 : (1 << Bits) - 1;
    for (std::size_t n : {1u, 2u, 3u, 7u, 64u, 1001u}) {
        std::vector<T> codes(n), back(n);
        for (std::size_t i = 0; i < n; ++i)
            codes[i] = static_cast<T>(lo + static_cast<int>((i * 7 + i / 3) % (hi - lo + 1)));
        for (bit_order order : {bit_order::low_first, bit_order::high_first}) {
            std::vector<std::uint8_t> packed(packed_size<Bits>(n));
            pack<Bits>(codes.data(), n, packed.data(), order);
            unpack<Bits>(packed.data(), n, back.data(), order);
            REQUIRE(back == codes);
        }
    }
}

TEST_CASE("every code round-trips through pack/unpack, signed and unsigned, both orders, odd lengths") {
    round_trip_all_codes<4, std::int8_t>();
    round_trip_all_codes<4, std::uint8_t>();
    round_trip_all_codes<2, std::int8_t>();
    round_trip_all_codes<2, std::uint8_t>();
}

TEST_CASE("codes outside the packed width are a checked precondition in debug builds") {
    const std::int8_t too_big[] = {8};
    const std::uint8_t too_big_u[] = {4};
    std::uint8_t out[1];
    CHECK_THROWS_AS(pack<4>(too_big, 1, out), error);
    CHECK_THROWS_AS(pack<2>(too_big_u, 1, out), error);
}

// expect: packing supports 2- and 4-bit codes
// Only 2- and 4-bit codes pack evenly into bytes.
#include <qnum/packing.hpp>

#include <cstdint>

void f(const std::int8_t* codes, std::uint8_t* out) { qnum::pack<3>(codes, 8, out); }

// expect: bit width must be in \[2, 16\]
// A 1-bit format is rejected at compile time.
#include <qnum/format.hpp>

qnum::int_format<1, false> too_narrow;

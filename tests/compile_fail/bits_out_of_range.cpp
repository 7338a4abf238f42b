// expect: bit width must be in \[2, 16\]
// A 17-bit format is rejected at compile time.
#include <qnum/format.hpp>

qnum::int_format<17, true> too_wide;

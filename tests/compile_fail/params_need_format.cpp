// expect: per_tensor<Format> needs an int_format
// Parameters are typed by an integer format, not by a storage type.
#include <qnum/qparams.hpp>

qnum::per_tensor<signed char> wrong(1.0f);

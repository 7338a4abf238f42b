// expect: stochastic rounding is not supported
// A table is deterministic: the stochastic rounding tag is rejected at compile time.
#include <qnum/lut.hpp>
#include <qnum/lut_functions.hpp>

const qnum::lut8<qnum::qint8, qnum::qint8> t(qnum::fn::tanh{}, qnum::per_tensor<qnum::qint8>(0.01f),
                                             qnum::per_tensor<qnum::qint8>(0.01f), qnum::round_stochastic{1});

// expect: lut8 needs an 8-bit input format
// An 8-bit table over int16 codes is rejected at compile time (lut16 / segmented_lut are the 16-bit tables).
#include <qnum/lut.hpp>
#include <qnum/lut_functions.hpp>

const qnum::lut8<qnum::qint16, qnum::qint8> t(qnum::fn::tanh{}, qnum::per_tensor<qnum::qint16>(0.01f),
                                              qnum::per_tensor<qnum::qint8>(0.01f));

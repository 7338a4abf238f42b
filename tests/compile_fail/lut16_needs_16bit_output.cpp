// expect: lut16 needs a 16-bit output format
// An interpolated int16 table cannot produce 8-bit codes directly.
#include <qnum/lut_functions.hpp>
#include <qnum/lut_int16.hpp>

const qnum::lut16<qnum::qint16, qnum::qint8> t(qnum::fn::tanh{}, qnum::per_tensor<qnum::qint16>(0.01f),
                                               qnum::per_tensor<qnum::qint8>(0.01f));

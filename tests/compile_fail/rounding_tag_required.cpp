// expect: no matching function for call to .*quantize
// quantize() takes a rounding tag or a qnum::rounding, not an arbitrary value.
#include <qnum/quantize.hpp>

void f(const float* x, std::int8_t* q) {
    qnum::quantize(qnum::strided_view<const float>(x, 4), qnum::strided_view<std::int8_t>(q, 4),
                   qnum::per_tensor<qnum::qint8>(1.0f), 3.5f);
}

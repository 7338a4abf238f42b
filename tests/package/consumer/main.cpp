// Consumer of an installed / add_subdirectory'd qnum: quantizes a few values and checks them.
#include <qnum/qnum.hpp>

#include <cstdio>
#include <vector>

int main() {
    const std::vector<float> x = {-1.0f, -0.5f, 0.0f, 0.25f, 1.0f};
    std::vector<std::int8_t> q(x.size());
    qnum::quantize({x.data(), x.size()}, {q.data(), q.size()}, qnum::per_tensor<qnum::qint8>(0.25f));
    const std::vector<std::int8_t> expected = {-4, -2, 0, 1, 4};
    if (q != expected) {
        std::puts("consumer: unexpected codes");
        return 1;
    }
    std::puts("consumer: ok");
    return 0;
}

// LUT activations: build GELU and sigmoid look-up tables for int8 and int16 codes from the float functions and the
// quantization parameters, apply them to a tensor, and print each table's error against the exact function over
// its whole input domain (in output LSB).
#include <qnum/qnum.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

void report(const char* name, const qnum::lut_accuracy& a, std::size_t table_bytes) {
    std::printf("  %-44s max %.3f LSB  mean %.3f LSB  (worst input code %6d, %zu inputs, table %zu bytes)\n", name,
                a.max_error_lsb, a.mean_error_lsb, static_cast<int>(a.worst_input), a.inputs, table_bytes);
}

}  // namespace

int main() {
    using namespace qnum;

    // int8: inputs over [-8, 8), GELU outputs over [-0.5, 8), sigmoid outputs at the usual 1/256, zero point -128.
    const per_tensor<qint8> x8(8.0f / 128);
    const lut8<qint8, qint8> gelu8(fn::gelu{}, x8, per_tensor<qint8>(8.5f / 255, -113));
    const lut8<qint8, qint8> sigmoid8(fn::sigmoid{}, x8, per_tensor<qint8>(1.0f / 256, -128));

    // int16: inputs over [-8, 8); uniform 512-interval tables and segmented tables with a 1 LSB guarantee.
    const per_tensor<qint16> x16(8.0f / 32768);
    const per_tensor<qint16> gelu_out(8.0f / 32768), unit(1.0f / 32768);
    const lut16<qint16, qint16> gelu16(fn::gelu{}, x16, gelu_out);
    const lut16<qint16, qint16> sigmoid16(fn::sigmoid{}, x16, unit);
    const segmented_lut<qint16, qint16> gelu_seg(fn::gelu{}, x16, gelu_out, 1.0);
    const segmented_lut<qint16, qint16> sigmoid_seg(fn::sigmoid{}, x16, unit, 1.0);
    // A wide int16 range ([-128, 128)): where segmented tables pay off.
    const per_tensor<qint16> wide(1.0f / 256);
    const lut16<qint16, qint16> sigmoid_wide(fn::sigmoid{}, wide, unit);
    const segmented_lut<qint16, qint16> sigmoid_wide_seg(fn::sigmoid{}, wide, unit, 1.0);

    std::printf("LUT error against the exact function over every input code (isa: %s%s)\n", isa_name(best_isa()),
                avx512_vbmi_enabled() ? " + VBMI" : "");
    report("int8 GELU (256 entries)", measure_accuracy(gelu8, fn::gelu{}), 256);
    report("int8 sigmoid (256 entries)", measure_accuracy(sigmoid8, fn::sigmoid{}), 256);
    report("int16 GELU, uniform 513 knots", measure_accuracy(gelu16, fn::gelu{}), 4 * gelu16.knots().size());
    report("int16 sigmoid, uniform 513 knots", measure_accuracy(sigmoid16, fn::sigmoid{}),
           4 * sigmoid16.knots().size());
    report("int16 GELU, segmented (<= 1 LSB)", measure_accuracy(gelu_seg, fn::gelu{}),
           4 * gelu_seg.knots().size() + 1024);
    report("int16 sigmoid, segmented (<= 1 LSB)", measure_accuracy(sigmoid_seg, fn::sigmoid{}),
           4 * sigmoid_seg.knots().size() + 1024);
    report("int16 sigmoid on [-128, 128), uniform", measure_accuracy(sigmoid_wide, fn::sigmoid{}),
           4 * sigmoid_wide.knots().size());
    report("int16 sigmoid on [-128, 128), segmented", measure_accuracy(sigmoid_wide_seg, fn::sigmoid{}),
           4 * sigmoid_wide_seg.knots().size() + 1024);

    // Apply: quantize activations, run the int8 and int16 GELU tables, dequantize, compare with float GELU.
    std::vector<float> act(1000);
    for (std::size_t i = 0; i < act.size(); ++i) act[i] = -6.0f + 12.0f * static_cast<float>(i) / 999.0f;
    std::vector<std::int8_t> q8(act.size()), y8(act.size());
    std::vector<std::int16_t> q16(act.size()), y16(act.size());
    quantize({act.data(), act.size()}, {q8.data(), q8.size()}, x8);
    quantize({act.data(), act.size()}, {q16.data(), q16.size()}, x16);
    gelu8.apply(q8.data(), y8.data(), q8.size());
    gelu16.apply(q16.data(), y16.data(), q16.size());
    double worst8 = 0, worst16 = 0;
    for (std::size_t i = 0; i < act.size(); ++i) {
        const double exact = fn::gelu{}(act[i]);
        worst8 = std::max(worst8, std::fabs(dequantize_value(y8[i], gelu8.output_params()) - exact));
        worst16 = std::max(worst16, std::fabs(dequantize_value(y16[i], gelu16.output_params()) - exact));
    }
    std::printf("GELU on 1000 activations in [-6, 6]: max |error| %.5f (int8 pipeline), %.6f (int16 pipeline)\n",
                worst8, worst16);
    return worst8 < 0.1 && worst16 < 0.002 ? 0 : 1;
}

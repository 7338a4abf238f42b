// qnum — accuracy reports for look-up tables: error in output LSB against the exact function, over every input.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qnum/kernels/quantize/scalar.hpp"

namespace qnum {

/// Error of a table against its function over the whole input domain, in output LSB.
struct lut_accuracy {
    double max_error_lsb = 0;   ///< max |table(q) - clamp(f(x_q) / s_out + z_out, qmin, qmax)|
    double mean_error_lsb = 0;  ///< mean of the same over all input codes
    std::int32_t worst_input = 0;  ///< an input code where the maximum is reached
    std::size_t inputs = 0;        ///< number of input codes (256 or 65536 for full-range formats)
};

/// Measures any qnum table (lut8, lut16, segmented_lut) against f (called with the float input, as the builders do)
/// for every code of the table's input format. The reference is real-valued (unrounded), so a
/// correctly rounded table scores max <= 0.5 LSB.
template <class Table, class F>
lut_accuracy measure_accuracy(const Table& table, F f) {
    using In = typename Table::in_format;
    using Out = typename Table::out_format;
    const auto in = table.input_params();
    const auto out = table.output_params();
    lut_accuracy r;
    double sum = 0;
    for (std::int32_t q = In::min; q <= In::max; ++q) {
        const float x = detail::dequantize_element(q, in.scale(), in.zero_point());
        const double fx = static_cast<double>(f(x));
        double t = fx / static_cast<double>(out.scale()) + out.zero_point();
        t = t < Out::min ? Out::min : (t > Out::max ? Out::max : t);  // NaN stays NaN and is reported as such
        const double e = std::fabs(static_cast<double>(table(static_cast<typename Table::in_storage>(q))) - t);
        sum += e;
        if (!(e <= r.max_error_lsb)) {
            r.max_error_lsb = e;
            r.worst_input = q;
        }
        ++r.inputs;
    }
    r.mean_error_lsb = sum / static_cast<double>(r.inputs);
    return r;
}

}  // namespace qnum

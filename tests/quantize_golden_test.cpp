// Golden vectors from real references (tests/golden/make_quantize.py): PyTorch quantize_per_tensor /
// quantize_per_channel / dequantize / fake_quantize_*_affine, ONNX QuantizeLinear / DequantizeLinear (official
// node test data + the operator's reference expression) and TFLite's reference AffineQuantize. qnum must match every
// value bit for bit, through the SIMD path and through the scalar reference.
#include <qnum/qnum.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace qnum;

struct golden_case {
    std::string source, kind, granularity, op, rounding_name;
    std::int32_t qmin = 0, qmax = 0;
    std::size_t axis = 0;
    std::vector<std::ptrdiff_t> shape;
    std::vector<float> scales;
    std::vector<std::int32_t> zero_points;
    std::vector<std::string> input, expected;  // raw tokens: hex float bits or integers
};

float from_hex(const std::string& token) {
    const auto bits = static_cast<std::uint32_t>(std::stoul(token, nullptr, 16));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

std::uint32_t bits_of(float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
}

std::vector<golden_case> load_cases() {
    std::ifstream in(std::string(QNUM_GOLDEN_DIR) + "/quantize.txt");
    REQUIRE(in.good());
    std::vector<golden_case> cases;
    std::string line;
    golden_case c;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string tag;
        ls >> tag;
        std::string token;
        if (tag == "case") {
            c = golden_case{};
            ls >> c.source >> c.kind >> c.qmin >> c.qmax >> c.granularity >> c.axis >> c.op >> c.rounding_name;
        } else if (tag == "shape") {
            for (std::ptrdiff_t d; ls >> d;) c.shape.push_back(d);
        } else if (tag == "scales") {
            while (ls >> token) c.scales.push_back(from_hex(token));
        } else if (tag == "zero_points") {
            for (std::int32_t z; ls >> z;) c.zero_points.push_back(z);
        } else if (tag == "input") {
            while (ls >> token) c.input.push_back(token);
        } else if (tag == "expected") {
            while (ls >> token) c.expected.push_back(token);
        } else if (tag == "end") {
            cases.push_back(c);
        }
    }
    return cases;
}

strided_view<float> view_of(std::vector<float>& v, const std::vector<std::ptrdiff_t>& shape) {
    dims d{}, s{};
    std::ptrdiff_t stride = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
        d[i] = shape[i];
        s[i] = stride;
        stride *= shape[i];
    }
    return {v.data(), shape.size(), d, s};
}

template <class T>
strided_view<T> retype(strided_view<float> v, T* data) {
    return {data, v.rank(), v.shape(), v.strides()};
}

// Runs one case for a compile-time Format and a parameter object; returns the number of mismatches.
template <class Format, class Params>
std::size_t run_case(const golden_case& c, const Params& params) {
    using S = typename Format::storage;
    const scale_op op = c.op == "divide" ? scale_op::divide : scale_op::multiply_by_reciprocal;
    const rounding r{c.rounding_name == "half_to_even" ? rounding_mode::half_to_even
                                                       : rounding_mode::half_away_from_zero};
    std::vector<float> floats(c.input.size());
    const auto shape_view = view_of(floats, c.shape);
    std::size_t mismatches = 0;
    if (c.kind == "dequantize") {
        std::vector<S> codes;
        for (const auto& t : c.input) codes.push_back(static_cast<S>(std::stol(t)));
        dequantize(strided_view<const S>(retype(shape_view, codes.data())), shape_view, params);
        for (std::size_t i = 0; i < floats.size(); ++i)
            mismatches += bits_of(floats[i]) != bits_of(from_hex(c.expected[i]));
        return mismatches;
    }
    for (std::size_t i = 0; i < floats.size(); ++i) floats[i] = from_hex(c.input[i]);
    if (c.kind == "quantize") {
        std::vector<S> codes(floats.size());
        quantize(strided_view<const float>(shape_view), retype(shape_view, codes.data()), params, r, op);
        for (std::size_t i = 0; i < codes.size(); ++i) mismatches += codes[i] != std::stol(c.expected[i]);
    } else {
        std::vector<float> out(floats.size());
        fake_quantize(strided_view<const float>(shape_view), view_of(out, c.shape), params, r, op);
        for (std::size_t i = 0; i < out.size(); ++i) mismatches += bits_of(out[i]) != bits_of(from_hex(c.expected[i]));
    }
    return mismatches;
}

template <class Format>
bool try_format(const golden_case& c, std::size_t& mismatches) {
    if (Format::min != c.qmin || Format::max != c.qmax) return false;
    if (c.granularity == "per_tensor")
        mismatches = run_case<Format>(c, per_tensor<Format>(c.scales[0], c.zero_points[0]));
    else
        mismatches = run_case<Format>(c, per_channel<Format>(c.scales, c.zero_points, c.axis));
    return true;
}

std::size_t run_any(const golden_case& c) {
    std::size_t mismatches = 0;
    const bool known = try_format<qint8>(c, mismatches) || try_format<quint8>(c, mismatches) ||
                       try_format<qint16>(c, mismatches) || try_format<quint16>(c, mismatches) ||
                       try_format<qint4>(c, mismatches) || try_format<quint4>(c, mismatches) ||
                       try_format<qint2>(c, mismatches) || try_format<quint2>(c, mismatches) ||
                       try_format<qint8_narrow>(c, mismatches) || try_format<int_format<12, true>>(c, mismatches);
    REQUIRE_MESSAGE(known, "no int_format for range [" << c.qmin << ", " << c.qmax << "]");
    return mismatches;
}

}  // namespace

TEST_CASE("qnum matches PyTorch, ONNX and TFLite golden vectors bit for bit (SIMD and scalar)") {
    const auto cases = load_cases();
    REQUIRE(cases.size() >= 50);
    std::size_t values = 0, torch_cases = 0, onnx_cases = 0, tflite_cases = 0;
    for (bool reference : {false, true}) {
        if (reference) limit_isa(isa::scalar);
        for (const auto& c : cases) {
            INFO(c.source << " " << c.kind << " [" << c.qmin << "," << c.qmax << "] " << c.granularity << " axis "
                          << c.axis << " " << c.op << " " << c.rounding_name << (reference ? " (scalar)" : " (simd)"));
            REQUIRE(c.input.size() == c.expected.size());
            CHECK(run_any(c) == 0);
            values += c.input.size();
            torch_cases += c.source == "torch";
            onnx_cases += c.source == "onnx";
            tflite_cases += c.source == "tflite";
        }
        unlimit_isa();
    }
    CHECK(torch_cases > 0);
    CHECK(onnx_cases > 0);
    CHECK(tflite_cases > 0);
    MESSAGE("checked " << values << " golden values");
}

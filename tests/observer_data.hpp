// Deterministic test data shared with tests/golden/make_observers.py: the same generator, operation for operation,
// so C++ regenerates the data sets the golden file describes instead of storing them. Only correctly rounded
// float64 operations are used (no libm), and every product that is followed by an addition passes through
// opaque(), so -ffp-contract=fast cannot fuse it into an FMA that Python would not perform.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <qnum/detail/fp_barrier.hpp>

namespace observer_data {

inline double opaque(double x) { return qnum::detail::fp_barrier(x); }

/// splitmix64 (S. Vigna).
struct rng {
    std::uint64_t state;
    explicit rng(std::uint64_t seed) : state(seed) {}
    std::uint64_t next() {
        state += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 40) * 0x1p-24; }
    double uniform_open() { return (static_cast<double>(next() >> 40) + 0.5) * 0x1p-24; }
    double normal() {
        double s = 0.0;
        for (int i = 0; i < 12; ++i) s += uniform();
        return s - 6.0;
    }
};

/// log(y) for y in (0, 1]: frexp and a fixed atanh series (as det_log in the script).
inline double det_log(double y) {
    int e = 0;
    const double m = std::frexp(y, &e);
    const double t = (m - 1.0) / (m + 1.0), t2 = t * t;
    double acc = 1.0 / 41.0;
    for (int k = 19; k >= 0; --k) acc = opaque(acc * t2) + 1.0 / (2 * k + 1);
    return opaque(2.0 * t * acc) + opaque(e * 0.6931471805599453);
}

inline double sample(rng& r, const std::string& dist) {
    if (dist == "normal") return r.normal();
    if (dist == "laplace") {
        const double u = r.uniform_open() - 0.5;
        const double mag = -det_log(1.0 - 2.0 * std::fabs(u));
        return u < 0.0 ? -mag : mag;
    }
    if (dist == "outliers") {
        const double u = r.uniform(), z = r.normal();
        if (u < 0.002) {
            const double sign = r.uniform() < 0.5 ? -1.0 : 1.0;
            return sign * (6.0 + opaque(3.0 * r.uniform()));
        }
        return z;
    }
    if (dist == "relu") return std::fmax(0.0, r.normal() + 0.5);
    if (dist == "relu6") return std::fmin(std::fmax(opaque(r.normal() * 2.0) + 1.0, 0.0), 6.0);
    if (dist == "bimodal") {
        const double center = r.uniform() < 0.5 ? -2.5 : 2.5;
        return center + opaque(r.normal() * 0.5);
    }
    throw std::invalid_argument("unknown distribution " + dist);
}

/// `batches` batches of `n` values each, drawn in order: float(sample * scale).
inline std::vector<std::vector<float>> generate(const std::string& dist, std::uint64_t seed, float scale,
                                                std::size_t batches, std::size_t n) {
    rng r(seed);
    std::vector<std::vector<float>> out(batches, std::vector<float>(n));
    for (auto& b : out)
        for (auto& v : b) v = static_cast<float>(sample(r, dist) * static_cast<double>(scale));
    return out;
}

}  // namespace observer_data

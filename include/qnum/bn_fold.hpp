// qnum — folding batch normalization into the preceding convolution or linear layer, per output channel.
//
// A layer z = W x + b (W: [out_channels, K] row-major, K = in_channels * kernel elements for a convolution in OIHW
// layout) followed by BN y = gamma (z - mean) / sqrt(var + eps) + beta equals the folded layer
//     W' = W * f,   b' = beta + (b - mean) * f,   f = gamma / sqrt(var + eps)   (per output channel).
// Folding happens in double and rounds once to float.
//
// Quantization-aware training variants (Krishnamoorthi 2018, sec. 3.2; MQBench's BN-folding strategies):
//   * fold with running stats: fold_batchnorm() with the running mean / variance throughout; BN statistics are not
//     updated (MQBench's simplest strategy; also what deployment does).
//   * fold then freeze: while BN statistics still train, the weights are folded with the *running* variance (so the
//     fake-quantized weights are stable), the convolution output is multiplied by the correction
//     sigma_running / sigma_batch (bn_correction()), and the bias uses the batch statistics (fold_bias() with
//     batch mean and variance); after the freeze step the correction is 1 and everything uses running statistics,
//     which is fold_batchnorm() with running stats. Both stages give the same outputs as conv followed by BN in
//     training (batch stats) or eval (running stats) mode.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "qnum/error.hpp"

namespace qnum {

/// Batch-norm parameters, one entry per output channel (pointers to `channels` floats each).
struct batchnorm_params {
    const float* gamma = nullptr;  ///< scale (weight); null means 1
    const float* beta = nullptr;   ///< shift (bias); null means 0
    const float* mean = nullptr;   ///< running (or batch) mean
    const float* var = nullptr;    ///< running (or batch) variance, >= 0
    float eps = 1e-5f;
};

namespace detail {

inline void check_bn(const batchnorm_params& bn, std::size_t channels) {
    detail::require(bn.mean && bn.var, "bn_fold: mean and variance are required");
    detail::require(bn.eps >= 0.0f && std::isfinite(bn.eps), "bn_fold: eps must be finite and >= 0");
    for (std::size_t c = 0; c < channels; ++c)
        detail::require(std::isfinite(bn.var[c]) && bn.var[c] + static_cast<double>(bn.eps) > 0.0,
                        "bn_fold: var + eps must be finite and > 0");
}

inline double bn_factor(const batchnorm_params& bn, std::size_t c) noexcept {
    const double g = bn.gamma ? bn.gamma[c] : 1.0;
    return g / std::sqrt(static_cast<double>(bn.var[c]) + static_cast<double>(bn.eps));
}

}  // namespace detail

/// Per-channel factors f_c = gamma_c / sqrt(var_c + eps) (double, rounded to float). Throws qnum::error for a
/// missing mean/variance or var + eps <= 0.
inline std::vector<float> bn_fold_factors(const batchnorm_params& bn, std::size_t channels) {
    detail::check_bn(bn, channels);
    std::vector<float> f(channels);
    for (std::size_t c = 0; c < channels; ++c) f[c] = static_cast<float>(detail::bn_factor(bn, c));
    return f;
}

/// Folded bias b'_c = beta_c + (b_c - mean_c) * f_c for `channels` outputs; `bias` may be null (no bias).
inline std::vector<float> fold_bias(const float* bias, const batchnorm_params& bn, std::size_t channels) {
    detail::check_bn(bn, channels);
    std::vector<float> out(channels);
    for (std::size_t c = 0; c < channels; ++c) {
        const double b = bias ? bias[c] : 0.0, beta = bn.beta ? bn.beta[c] : 0.0;
        out[c] = static_cast<float>(beta + (b - static_cast<double>(bn.mean[c])) * detail::bn_factor(bn, c));
    }
    return out;
}

/// Folds BN into weights [channels, k] (row-major, output channel first) and bias: writes W' to `weights_out` and
/// returns b'. `weights_out` may equal `weights` (in place); `bias` may be null.
inline std::vector<float> fold_batchnorm(const float* weights, float* weights_out, std::size_t channels, std::size_t k,
                                         const float* bias, const batchnorm_params& bn) {
    detail::check_bn(bn, channels);
    for (std::size_t c = 0; c < channels; ++c) {
        const double f = detail::bn_factor(bn, c);
        for (std::size_t j = 0; j < k; ++j)
            weights_out[c * k + j] = static_cast<float>(static_cast<double>(weights[c * k + j]) * f);
    }
    return fold_bias(bias, bn, channels);
}

/// fold_batchnorm() for a transposed convolution, whose weights are [in_channels, channels, k] (output channel on axis
/// 1, PyTorch's ConvTranspose layout with groups = 1; k = kernel elements): W'[i, c, :] = W[i, c, :] * f_c.
inline std::vector<float> fold_batchnorm_transposed(const float* weights, float* weights_out, std::size_t in_channels,
                                                    std::size_t channels, std::size_t k, const float* bias,
                                                    const batchnorm_params& bn) {
    detail::check_bn(bn, channels);
    for (std::size_t c = 0; c < channels; ++c) {
        const double f = detail::bn_factor(bn, c);
        for (std::size_t i = 0; i < in_channels; ++i)
            for (std::size_t j = 0; j < k; ++j) {
                const std::size_t at = (i * channels + c) * k + j;
                weights_out[at] = static_cast<float>(static_cast<double>(weights[at]) * f);
            }
    }
    return fold_bias(bias, bn, channels);
}

/// Correction factors sigma_running / sigma_batch = sqrt(running_var + eps) / sqrt(batch_var + eps) per channel,
/// applied to the output of a layer whose weights were folded with the running variance while BN still trains
/// (fold then freeze, before the freeze). Throws qnum::error if a variance + eps is not > 0.
inline std::vector<float> bn_correction(const float* running_var, const float* batch_var, std::size_t channels,
                                        float eps) {
    detail::require(running_var && batch_var, "bn_correction: variances are required");
    std::vector<float> out(channels);
    for (std::size_t c = 0; c < channels; ++c) {
        const double r = static_cast<double>(running_var[c]) + eps, b = static_cast<double>(batch_var[c]) + eps;
        detail::require(r > 0.0 && b > 0.0 && std::isfinite(r) && std::isfinite(b),
                        "bn_correction: var + eps must be finite and > 0");
        out[c] = static_cast<float>(std::sqrt(r / b));
    }
    return out;
}

}  // namespace qnum

#!/usr/bin/env python3
"""Regenerates tests/golden/quantize.txt: quantize / dequantize / fake-quantize reference vectors.

Sources (each case names its source):
  torch  PyTorch (Debian python3-torch 1.13): torch.quantize_per_tensor, torch.quantize_per_channel,
         Tensor.dequantize, torch.fake_quantize_per_tensor_affine, torch.fake_quantize_per_channel_affine.
         PyTorch multiplies by the float reciprocal of the scale and rounds half to even before adding the zero
         point; qnum reproduces it with scale_op::multiply_by_reciprocal + round_half_to_even.
  onnx   ONNX QuantizeLinear / DequantizeLinear: the official node test data shipped by Debian's libonnx-testdata
         (test_quantizelinear*, test_dequantizelinear*), plus larger cases computed with the operator's reference
         expression from onnx/backend/test/case/node/quantizelinear.py (python3-onnx 1.12):
         y = saturate(rint(x / y_scale) + y_zero_point) with float32 division (scale_op::divide, half to even).
  tflite TFLite's reference AffineQuantize (tensorflow/lite/kernels/internal/reference/quantize.h):
         q = clamp(round(x / scale) + zero_point) with float32 division and std::round (half away from zero).
         TFLite is not packaged in Debian, so this one is a transcription of that kernel: the float32 quotient is
         computed by numpy, then rounded half away from zero exactly in float64.

Run:  /usr/bin/python3 tests/golden/make_quantize.py   (writes tests/golden/quantize.txt next to this script)

File format (text, one block per case):
  case <source> <kind> <qmin> <qmax> <granularity> <axis> <scale_op> <rounding>
  shape <d0> [<d1> ...]
  scales <float32 bits as hex>...
  zero_points <int>...
  input <float32 bits as hex | int codes>...
  expected <int codes | float32 bits as hex>...
  end
kind: quantize (float -> codes), dequantize (codes -> float), fake_quantize (float -> float).
"""
import os
import struct

import numpy as np
import onnx
import onnx.numpy_helper
import torch

np.seterr(over="ignore")  # +-3e38 / scale overflows to +-inf on purpose: it must saturate
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quantize.txt")
ONNX_DATA = "/usr/share/libonnx-testdata/data/node"
rng = np.random.default_rng(20261123)


def hexf(a):
    return " ".join("%08x" % struct.unpack("<I", struct.pack("<f", float(v)))[0] for v in np.asarray(a, np.float32).ravel())


def ints(a):
    return " ".join(str(int(v)) for v in np.asarray(a).ravel())


def inputs(scale, n=200):
    """Ties at k + 0.5 steps, their float neighbours, exact steps, saturating and random values."""
    scale = np.float32(scale)
    k = np.concatenate([np.arange(-100, 100), rng.integers(-40000, 40000, 40)]).astype(np.float32)
    ties = (k + np.float32(0.5)) * scale
    vals = [ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf)), k * scale,
            np.float32([0.0, -0.0, 1e30, -1e30, 3.0e38, -3.0e38]),
            (rng.standard_normal(n) * 50 * scale).astype(np.float32)]
    return np.concatenate(vals).astype(np.float32)


cases = []


def add(source, kind, qmin, qmax, gran, axis, op, rounding, shape, scales, zps, x, y):
    cases.append("case %s %s %d %d %s %d %s %s\nshape %s\nscales %s\nzero_points %s\ninput %s\nexpected %s\nend\n" % (
        source, kind, qmin, qmax, gran, axis, op, rounding, " ".join(str(d) for d in shape), hexf(scales), ints(zps),
        hexf(x) if kind != "dequantize" else ints(x), ints(y) if kind == "quantize" else hexf(y)))


# ---- PyTorch ----------------------------------------------------------------------------------------------------
# PyTorch converts x * inv_scale to int64 before clamping; beyond 2^63 that conversion is undefined behaviour (x86
# gives INT64_MIN, so 1e30 quantizes to qmin). qnum saturates such values to qmax/qmin as documented, so they are
# left out of the PyTorch cases (the ONNX and TFLite cases keep them).


def torch_inputs(scale):
    x = inputs(scale)
    return x[np.abs(x.astype(np.float64) / scale) < 2.0**62]

TORCH_DTYPES = {torch.qint8: (-128, 127), torch.quint8: (0, 255)}
for dtype, (qmin, qmax) in TORCH_DTYPES.items():
    for scale, zp in [(0.1, 0), (0.05, 3 if qmin < 0 else 128), (1.0 / 3.0, -7 if qmin < 0 else 17), (100.0 / 32768, 0 if qmin < 0 else 200),
                      (0.5, 0 if qmin < 0 else 128)]:
        scale32 = float(np.float32(scale))
        x = torch_inputs(scale32)
        q = torch.quantize_per_tensor(torch.from_numpy(x), scale32, zp, dtype)
        add("torch", "quantize", qmin, qmax, "per_tensor", 0, "multiply_by_reciprocal", "half_to_even", x.shape,
            [scale32], [zp], x, q.int_repr().numpy())
        add("torch", "dequantize", qmin, qmax, "per_tensor", 0, "multiply_by_reciprocal", "half_to_even", x.shape,
            [scale32], [zp], q.int_repr().numpy(), q.dequantize().numpy())
    # per channel, along each axis of a 2-D tensor
    for axis, shape in [(0, (5, 97)), (1, (61, 6))]:
        c = shape[axis]
        scales = (rng.uniform(0.005, 0.2, c)).astype(np.float32)
        zps = rng.integers(qmin, qmax + 1, c) if qmin == 0 else rng.integers(-20, 20, c)
        x = (rng.standard_normal(shape) * 30 * np.float32(scales.mean())).astype(np.float32)
        x.ravel()[:40] = ((np.arange(40) - 20 + 0.5) * scales[0]).astype(np.float32)  # ties in channel 0
        q = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales.astype(np.float64)),
                                       torch.from_numpy(zps.astype(np.int64)), axis, dtype)
        add("torch", "quantize", qmin, qmax, "per_channel", axis, "multiply_by_reciprocal", "half_to_even", shape,
            scales, zps, x, q.int_repr().numpy())
        add("torch", "dequantize", qmin, qmax, "per_channel", axis, "multiply_by_reciprocal", "half_to_even", shape,
            scales, zps, q.int_repr().numpy(), q.dequantize().numpy())

# fake quantization for arbitrary ranges: int2..int16, unsigned, narrow
for qmin, qmax, scale, zp in [(-128, 127, 0.02, 0), (0, 255, 0.02, 100), (-127, 127, 1 / 127, 0), (-8, 7, 0.25, 0),
                              (0, 15, 0.3, 8), (-2, 1, 1.0, 0), (0, 3, 0.5, 1), (-2048, 2047, 1e-3, 5),
                              (-32768, 32767, 100 / 32768, 0), (0, 65535, 7 / 32767, 32768)]:
    scale32 = float(np.float32(scale))
    x = torch_inputs(scale32)
    y = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), scale32, zp, qmin, qmax)
    add("torch", "fake_quantize", qmin, qmax, "per_tensor", 0, "multiply_by_reciprocal", "half_to_even", x.shape,
        [scale32], [zp], x, y.numpy())
for qmin, qmax in [(-128, 127), (0, 15), (-32768, 32767)]:
    shape, axis = (7, 53), 0
    scales = rng.uniform(0.01, 0.3, shape[axis]).astype(np.float32)
    zps = rng.integers(qmin, qmax + 1, shape[axis]).astype(np.int32) if qmin == 0 else np.zeros(shape[axis], np.int32)
    x = (rng.standard_normal(shape) * 10).astype(np.float32)
    y = torch.fake_quantize_per_channel_affine(torch.from_numpy(x), torch.from_numpy(scales), torch.from_numpy(zps),
                                               axis, qmin, qmax)
    add("torch", "fake_quantize", qmin, qmax, "per_channel", axis, "multiply_by_reciprocal", "half_to_even", shape,
        scales, zps, x, y.numpy())

# ---- ONNX -------------------------------------------------------------------------------------------------------


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def onnx_range(dtype):
    return (0, 255) if dtype == np.uint8 else (-128, 127)


for name in ["test_quantizelinear", "test_quantizelinear_axis", "test_dequantizelinear", "test_dequantizelinear_axis"]:
    d = os.path.join(ONNX_DATA, name, "test_data_set_0")
    x, scale, zp = (load(os.path.join(d, "input_%d.pb" % i)) for i in range(3))
    y = load(os.path.join(d, "output_0.pb"))
    axis = 1 if name.endswith("_axis") else 0  # the _axis models use the default axis 1
    gran = "per_channel" if name.endswith("_axis") else "per_tensor"
    qmin, qmax = onnx_range(zp.dtype if "quantizelinear" in name and not name.startswith("test_de") else x.dtype)
    kind = "dequantize" if name.startswith("test_de") else "quantize"
    add("onnx", kind, qmin, qmax, gran, axis, "divide", "half_to_even", x.shape, scale, zp, x, y)

for dtype in (np.uint8, np.int8):
    qmin, qmax = onnx_range(dtype)
    for scale, zp in [(0.1, 0), (0.07, 5), (2.0 / 255, 128 if dtype == np.uint8 else -1)]:
        scale32 = np.float32(scale)
        x = inputs(scale32)
        y = np.clip(np.rint(np.divide(x, scale32)) + zp, qmin, qmax)  # onnx quantizelinear.py reference expression
        add("onnx", "quantize", qmin, qmax, "per_tensor", 0, "divide", "half_to_even", x.shape, [scale32], [zp], x, y)
    shape = (3, 40, 2)  # per-axis along axis 1 (ONNX's default)
    scales = rng.uniform(0.01, 0.2, shape[1]).astype(np.float32)
    zps = rng.integers(qmin, qmax + 1, shape[1])
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    y = np.clip(np.rint(np.divide(x, scales.reshape(1, -1, 1))) + zps.reshape(1, -1, 1), qmin, qmax)
    add("onnx", "quantize", qmin, qmax, "per_channel", 1, "divide", "half_to_even", shape, scales, zps, x, y)

# ---- TFLite (transcription of reference AffineQuantize) ---------------------------------------------------------
for qmin, qmax, scale, zp in [(-128, 127, 0.1, 0), (-128, 127, 0.5, -3), (0, 255, 0.05, 128), (-32768, 32767, 1 / 4096, 0)]:
    scale32 = np.float32(scale)
    x = inputs(scale32)
    v = np.divide(x, scale32).astype(np.float64)  # float32 quotient, then exact arithmetic in float64
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)    # std::round: half away from zero
    y = np.clip(r + zp, qmin, qmax)
    add("tflite", "quantize", qmin, qmax, "per_tensor", 0, "divide", "half_away_from_zero", x.shape, [scale32], [zp], x, y)

with open(OUT, "w") as f:
    f.write("# Generated by tests/golden/make_quantize.py (torch %s, onnx %s, numpy %s). Do not edit.\n"
            % (torch.__version__, onnx.__version__, np.__version__))
    f.writelines(cases)
print("wrote %d cases to %s" % (len(cases), OUT))

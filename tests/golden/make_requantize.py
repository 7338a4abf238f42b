#!/usr/bin/env python3
"""Regenerates tests/golden/requantize.txt: requantization results from the published reference definitions.

libXNNPACK exports only its operator API (nm -D shows no xnn_qs8_requantize_* or params-init symbols) and TFLite is
not packaged, so this script transcribes the definitions independently of qnum, in exact Python integers (and NumPy
float32 for the float form):
  tflite_double  TFLite kernels/internal/common.h MultiplyByQuantizedMultiplier (classic): gemmlowp's
                 RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^left, M), right), with gemmlowp's
                 nudge-and-truncating-division form of SRDHM, after TFLite's QuantizeMultiplier
                 (quantization_util.cc: frexp, std::round, 2^31 renormalisation, flush below shift -31).
  tflite_single  the same header under TFLITE_SINGLE_ROUNDING: (x * M + 2^(30 - shift)) >> (31 - shift).
  xnn_rndnu      XNNPACK src/xnnpack/requantization.h xnn_qs8/qu8_requantize_rndnu: 24-bit multiplier from the
                 float scale's bits, shift = 150 - biased exponent, (x * m + 2^(shift-1)) >> shift, clamp, + zp.
  xnn_fp32       xnn_qs8/qu8_requantize_fp32: float(x) * scale in float32, clamp in float, lrintf (ties to even).
(The test additionally checks qnum's fp32 form against libXNNPACK's real qs8/qu8 fully-connected operators.)

Line format: method out zero_point lo hi real acc expected
  method: tflite_double | tflite_single | xnn_rndnu | xnn_fp32;  out: s8 | u8 | s16;  real: float.hex()
Run: /usr/bin/python3 tests/golden/make_requantize.py
"""
import math
import os
import random

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requantize.txt")
I32_MIN, I32_MAX = -(2 ** 31), 2 ** 31 - 1
rng = random.Random(11)


def tflite_quantize_multiplier(real):
    q, shift = math.frexp(real)
    q_fixed = math.floor(q * 2.0 ** 31 + 0.5)  # std::round of a positive value; q * 2^31 + 0.5 is exact
    if q_fixed == 2 ** 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def c_div(a, b):  # C integer division, truncating toward zero
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def srdhm(a, b):  # gemmlowp SaturatingRoundingDoublingHighMul, literally
    if a == b == I32_MIN:
        return I32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    return c_div(ab + nudge, 1 << 31)


def rdbpot(x, e):  # gemmlowp RoundingDivideByPOT
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if remainder > threshold else 0)


def tflite_double(x, real):
    m, shift = tflite_quantize_multiplier(real)
    left, right = max(shift, 0), max(-shift, 0)
    xs = x * (1 << left)
    if not I32_MIN <= xs <= I32_MAX:
        return None  # TFLite's int32 multiply overflows (undefined): no reference value
    return rdbpot(srdhm(xs, m), right)


def tflite_single(x, real):
    m, shift = tflite_quantize_multiplier(real)
    if shift > 30:  # TFLite saturates the multiplier there; qnum rejects such multipliers
        return None
    total = 31 - shift
    v = (x * m + (1 << (total - 1))) >> total
    return v if I32_MIN <= v <= I32_MAX else None


def f32_bits(v):
    return int(np.array([v], dtype=np.float32).view(np.uint32)[0])


def xnn_rndnu(x, real, zp, lo, hi):
    bits = f32_bits(real)
    m = (bits & 0x007FFFFF) | 0x00800000
    shift = 127 + 23 - (bits >> 23)
    v = (x * m + (1 << (shift - 1))) >> shift
    v = ((v + 2 ** 31) % 2 ** 32) - 2 ** 31  # (int32_t) cast of the 64-bit value
    return min(max(v, lo - zp), hi - zp) + zp


def xnn_fp32(x, real, zp, lo, hi):
    s = np.float32(x) * np.float32(real)
    s = max(s, np.float32(lo - zp))
    s = min(s, np.float32(hi - zp))
    return int(np.rint(s)) + zp


RANGES = {"s8": (-128, 127), "u8": (0, 255), "s16": (-32768, 32767)}


def accumulators():
    v = [0, 1, -1, I32_MIN, I32_MAX, I32_MIN + 1, I32_MAX - 1]
    for _ in range(30):
        b = rng.randrange(1, 32)
        v.append(rng.randrange(-(1 << b), 1 << b))
    return v


lines = []
for method in ("tflite_double", "tflite_single", "xnn_rndnu", "xnn_fp32"):
    for out, (tmin, tmax) in RANGES.items():
        for case in range(16):
            if method.startswith("xnn"):
                real = float(np.float32(2.0 ** rng.uniform(-32, 0)))  # XNNPACK: float scale in [2^-32, 1)
                if real < 2.0 ** -32:
                    continue
            else:
                real = 2.0 ** rng.uniform(-34, 12)
            zp = rng.randrange(tmin, tmax + 1)
            lo, hi = (tmin, tmax) if case % 3 == 0 else sorted(rng.randrange(tmin, tmax + 1) for _ in range(2))
            for acc in accumulators():
                if method == "tflite_double":
                    r = tflite_double(acc, real)
                    expected = None if r is None else min(max(r + zp, lo), hi)
                elif method == "tflite_single":
                    r = tflite_single(acc, real)
                    expected = None if r is None else min(max(r + zp, lo), hi)
                elif method == "xnn_rndnu":
                    expected = xnn_rndnu(acc, real, zp, lo, hi)
                else:
                    expected = xnn_fp32(acc, real, zp, lo, hi)
                if expected is not None:
                    lines.append("%s %s %d %d %d %s %d %d" % (method, out, zp, lo, hi, real.hex(), acc, expected))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote %d lines to %s" % (len(lines), OUT))

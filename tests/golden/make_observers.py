#!/usr/bin/env python3
"""Regenerates tests/golden/observers.txt: observer reference results from PyTorch and TensorRT's published method.

Sources:
  torch  PyTorch (Debian python3-torch 1.13): torch.ao.quantization MinMaxObserver, MovingAverageMinMaxObserver,
         PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver and HistogramObserver, fed batch by batch.
  trt    TensorRT's entropy calibration as published (S. Migacz, "8-bit Inference with TensorRT", GTC 2017): a
         direct NumPy transcription of the slides' pseudo-code, written independently of qnum's prefix-sum version.

Data are not stored: every data set is regenerated from a tiny deterministic generator that tests/observer_data.hpp
implements identically in C++ (splitmix64 -> 24-bit uniforms -> distributions built from +, -, *, / only plus a
fixed series for log, all in float64, then one rounding to float32). The script asserts nothing depends on libm.

Run:  /usr/bin/python3 tests/golden/make_observers.py   (writes tests/golden/observers.txt next to this script)

File format (text, one record per line; floats are float32 bit patterns in hex; lists are "<count> <items>"):
  data <name> <dist> <seed> <scale> <batches> <rank> <dims...>
      batches of row-major values drawn in order from one generator; value = float32(dist_sample * scale)
  minmax <data> <qmin> <qmax> <symmetric> <scale> <zero_point>
  ema <data> <c> <qmin> <qmax> <symmetric> <min> <max> <scale> <zero_point>
  perchannel <data> <axis> <qmin> <qmax> <symmetric> <c or 0 for plain min-max> <n> <scales...> <n> <zero_points...>
  histogram <data> <qmin> <qmax> <symmetric> <lo> <hi> <new_min> <new_max> <scale> <zero_point>
      one batch whose torch.histc range equals [min, max] (see note): end-to-end parity
  torchhist <data> <qmin> <qmax> <symmetric> <lo> <hi> <new_min> <new_max> <scale> <zero_point> <n> <i:count>...
      PyTorch's histogram after several batches (sparse, float32 counts): parity of the search on PyTorch's state
  kl <data> <levels> <bins> <checksum> <total> <i_ref> <threshold>
      histogram of |x| over [0, max|x|]; checksum = sum((i + 1) * count_i); i_ref = the number of bins the
      reference keeps; threshold = (i_ref + 0.5) * bin width

Note on HistogramObserver (torch 1.13): forward() calls torch.histc(x, bins, min=int(min_val), max=int(max_val)),
so its histogram covers [min, max] only when int(min) == int(max) (histc then falls back to the data's own range)
or both extremes are integers; and later batches are merged by up-sampling. qnum bins over [min, max] and widens
its grid by whole bins (histogram.hpp), so end-to-end parity is checked on single batches that meet the condition,
and the search itself on PyTorch's own multi-batch histograms.
"""
import math
import os
import struct
import warnings

import numpy as np
import torch
from torch.ao.quantization import (HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver,
                                   MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver)

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "observers.txt")
MASK = (1 << 64) - 1
LN2 = 0.6931471805599453


class Rng:
    """splitmix64 (S. Vigna); tests/observer_data.hpp mirrors every operation."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):  # [0, 1), exact multiples of 2^-24
        return (self.next() >> 40) * 2.0 ** -24

    def uniform_open(self):  # (0, 1)
        return ((self.next() >> 40) + 0.5) * 2.0 ** -24

    def normal(self):  # Irwin-Hall(12) - 6: mean 0, variance 1, support [-6, 6]; every partial sum is exact
        s = 0.0
        for _ in range(12):
            s += self.uniform()
        return s - 6.0


def det_log(y):
    """log(y) for y in (0, 1] from frexp and a fixed atanh series: only correctly rounded operations."""
    m, e = math.frexp(y)
    t = (m - 1.0) / (m + 1.0)
    t2 = t * t
    acc = 1.0 / 41.0
    for k in range(19, -1, -1):
        acc = acc * t2 + 1.0 / (2 * k + 1)
    return 2.0 * t * acc + e * LN2


def sample(rng, dist):
    if dist == "normal":
        return rng.normal()
    if dist == "laplace":  # inverse CDF of Laplace(0, 1)
        u = rng.uniform_open() - 0.5
        mag = -det_log(1.0 - 2.0 * abs(u))
        return -mag if u < 0.0 else mag
    if dist == "outliers":  # normal with 0.2% outliers at 6..9 sigma
        u = rng.uniform()
        z = rng.normal()
        if u < 0.002:
            sign = -1.0 if rng.uniform() < 0.5 else 1.0
            return sign * (6.0 + 3.0 * rng.uniform())
        return z
    if dist == "relu":  # post-ReLU: many exact zeros
        return max(0.0, rng.normal() + 0.5)
    if dist == "relu6":  # clamped to [0, 6]: integral extremes
        return min(max(rng.normal() * 2.0 + 1.0, 0.0), 6.0)
    if dist == "bimodal":
        center = -2.5 if rng.uniform() < 0.5 else 2.5
        return center + rng.normal() * 0.5
    raise ValueError(dist)


def f32(v):
    return float(np.float32(v))


def hexf(v):
    return "%08x" % struct.unpack("<I", struct.pack("<f", float(v)))[0]


DATA = {}
LINES = []


def data(name, dist, seed, scale, batches, shape):
    rng = Rng(seed)
    n = int(np.prod(shape))
    out = []
    for _ in range(batches):
        vals = [f32(sample(rng, dist) * f32(scale)) for _ in range(n)]
        out.append(torch.tensor(np.array(vals, dtype=np.float32).reshape(shape)))
    DATA[name] = out
    LINES.append("data %s %s %d %s %d %d %s" % (name, dist, seed, hexf(scale), batches, len(shape),
                                                 " ".join(str(d) for d in shape)))
    return out


def qrange_of(dtype, reduce_range, quant_min=None, quant_max=None):
    if quant_min is not None:
        return quant_min, quant_max
    if dtype == torch.quint8:
        return (0, 127) if reduce_range else (0, 255)
    return (-64, 63) if reduce_range else (-128, 127)


SCHEMES = [  # dtype, symmetric, reduce_range, custom (quant_min, quant_max)
    (torch.quint8, False, False, None), (torch.qint8, False, False, None), (torch.qint8, True, False, None),
    (torch.quint8, True, False, None), (torch.quint8, False, True, None), (torch.qint8, True, True, None),
    (torch.quint8, False, False, (0, 15)), (torch.qint8, True, False, (-8, 7)),
]


def observer_kwargs(dtype, sym, rr, custom, per_channel=False):
    if per_channel:
        qs = torch.per_channel_symmetric if sym else torch.per_channel_affine
    else:
        qs = torch.per_tensor_symmetric if sym else torch.per_tensor_affine
    kw = dict(dtype=dtype, qscheme=qs, reduce_range=rr)
    if custom:
        kw.update(quant_min=custom[0], quant_max=custom[1])
    return kw


def run(obs, batches):
    for b in batches:
        obs(b)
    return obs.calculate_qparams()


DISTS = ["normal", "laplace", "outliers", "relu", "bimodal"]

# ---- MinMaxObserver ----------------------------------------------------------------------------------------------
for k, dist in enumerate(DISTS):
    name = "mm_" + dist
    batches = data(name, dist, 1000 + k, 1.7, 3, [4096])
    for dtype, sym, rr, custom in SCHEMES:
        s, z = run(MinMaxObserver(**observer_kwargs(dtype, sym, rr, custom)), batches)
        qmin, qmax = qrange_of(dtype, rr, *(custom or (None, None)))
        LINES.append("minmax %s %d %d %d %s %d" % (name, qmin, qmax, sym, hexf(s.item()), z.item()))

# ---- MovingAverageMinMaxObserver ---------------------------------------------------------------------------------
for k, dist in enumerate(DISTS):
    name = "ema_" + dist
    batches = data(name, dist, 2000 + k, 0.9, 8, [1000])
    for c in (0.01, 0.3):
        for dtype, sym, rr, custom in SCHEMES[:4]:
            obs = MovingAverageMinMaxObserver(averaging_constant=c, **observer_kwargs(dtype, sym, rr, custom))
            s, z = run(obs, batches)
            qmin, qmax = qrange_of(dtype, rr)
            LINES.append("ema %s %s %d %d %d %s %s %s %d" % (name, hexf(c), qmin, qmax, sym, hexf(obs.min_val.item()),
                                                             hexf(obs.max_val.item()), hexf(s.item()), z.item()))

# ---- PerChannelMinMaxObserver / MovingAveragePerChannelMinMaxObserver ---------------------------------------------
for k, dist in enumerate(["normal", "laplace", "relu"]):
    name = "pc_" + dist
    batches = data(name, dist, 3000 + k, 2.5, 3, [6, 3, 5, 7])
    for axis in (0, 1, 3):
        for dtype, sym in ((torch.qint8, True), (torch.quint8, False), (torch.quint8, True)):
            for c in (0.0, 0.1):
                kw = observer_kwargs(dtype, sym, False, None, per_channel=True)
                obs = (MovingAveragePerChannelMinMaxObserver(averaging_constant=c, ch_axis=axis, **kw) if c
                       else PerChannelMinMaxObserver(ch_axis=axis, **kw))
                s, z = run(obs, batches)
                qmin, qmax = qrange_of(dtype, False)
                LINES.append("perchannel %s %d %d %d %d %s %d %s %d %s" % (
                    name, axis, qmin, qmax, sym, hexf(c), len(s), " ".join(hexf(v) for v in s.tolist()), len(z),
                    " ".join(str(int(v)) for v in z.tolist())))


# ---- HistogramObserver -------------------------------------------------------------------------------------------
def histc_range_is_exact(x):
    lo, hi = x.min().item(), x.max().item()
    return int(lo) == int(hi) or (lo == int(lo) and hi == int(hi))


HIST_SCHEMES = [(torch.quint8, False, False), (torch.qint8, True, False), (torch.qint8, False, False),
                (torch.quint8, False, True)]
for k, (dist, scale) in enumerate([("normal", 0.15), ("laplace", 0.05), ("outliers", 0.1), ("relu", 0.12),
                                   ("bimodal", 0.15), ("relu6", 1.0)]):
    name = "h1_" + dist
    (x,) = data(name, dist, 4000 + k, scale, 1, [20000])
    assert histc_range_is_exact(x), name
    for dtype, sym, rr in HIST_SCHEMES:
        obs = HistogramObserver(**observer_kwargs(dtype, sym, rr, None))
        obs(x)
        new_min, new_max = obs._non_linear_param_search()
        s, z = obs.calculate_qparams()
        qmin, qmax = qrange_of(dtype, rr)
        LINES.append("histogram %s %d %d %d %s %s %s %s %s %d" % (
            name, qmin, qmax, sym, hexf(obs.min_val.item()), hexf(obs.max_val.item()), hexf(new_min.item()),
            hexf(new_max.item()), hexf(s.item()), z.item()))

for k, (dist, scale) in enumerate([("normal", 3.0), ("laplace", 0.05), ("bimodal", 1.3), ("relu", 2.0)]):
    name = "hn_" + dist
    batches = data(name, dist, 5000 + k, scale, 4, [5000])
    for dtype, sym, rr in HIST_SCHEMES[:2]:
        obs = HistogramObserver(**observer_kwargs(dtype, sym, rr, None))
        for b in batches:
            obs(b)
        new_min, new_max = obs._non_linear_param_search()
        s, z = obs.calculate_qparams()
        qmin, qmax = qrange_of(dtype, rr)
        hist = obs.histogram.numpy()
        nz = [(i, v) for i, v in enumerate(hist.tolist()) if v != 0.0]
        LINES.append("torchhist %s %d %d %d %s %s %s %s %s %d %d %s" % (
            name, qmin, qmax, sym, hexf(obs.min_val.item()), hexf(obs.max_val.item()), hexf(new_min.item()),
            hexf(new_max.item()), hexf(s.item()), z.item(), len(nz), " ".join("%d:%s" % (i, hexf(v)) for i, v in nz)))


# ---- TensorRT entropy calibration, transcribed from the published pseudo-code -------------------------------------
def trt_entropy_reference(hist, levels):
    """Slides 'Entropy Calibration - pseudocode': for i in range(levels, 2048): P = bins[0:i] with the outliers
    added to P[i-1]; Q = bins[0:i] quantized into `levels` levels and expanded back to i bins (each level's sum
    spread evenly over the bins that were non-zero); divergence[i] = KL(P/sum P || Q/sum Q). Returns argmin i.
    The slides leave open how i bins split into `levels` groups when i is not a multiple: bin j goes to group
    floor(j * levels / i), as in NVIDIA's pytorch-quantization (np.digitize over linspace(0, i, levels + 1))."""
    bins = np.asarray(hist, dtype=np.float64)
    nbins = len(bins)
    divergence = np.full(nbins, np.inf)
    for i in range(levels, nbins):
        reference_p = bins[:i].copy()
        outliers_count = bins[i:].sum()
        reference_p[i - 1] += outliers_count
        p = reference_p / reference_p.sum()
        group = (np.arange(i) * levels) // i
        candidate_q = np.zeros(i)
        for g in range(levels):
            members = np.nonzero(group == g)[0]
            nonzero = members[bins[members] != 0]
            if len(nonzero):
                candidate_q[nonzero] = bins[members].sum() / len(nonzero)
        if candidate_q.sum() == 0:
            continue
        q = candidate_q / candidate_q.sum()
        if np.any((p > 0) & (q == 0)):
            continue  # KL(P || Q) is infinite
        mask = p > 0
        divergence[i] = np.sum(p[mask] * np.log(p[mask] / q[mask]))
    return int(np.argmin(divergence))


for k, (dist, scale, levels) in enumerate([("normal", 1.0, 128), ("laplace", 1.0, 128), ("outliers", 1.0, 128),
                                           ("relu", 1.0, 256), ("relu", 1.0, 128), ("bimodal", 1.0, 128)]):
    name = "kl_%s_%d" % (dist, levels)
    (x,) = data(name, dist, 6000 + k, scale, 1, [50000])
    a = np.abs(x.numpy())
    amax = np.float32(a.max())
    # TensorRT's histogram of |x|: 2048 bins over [0, max |x|], binned with torch.histc's float32 formula
    hist = torch.histc(torch.from_numpy(a), 2048, min=0.0, max=float(amax)).numpy().astype(np.float64)
    idx = np.minimum(((a - np.float32(0)) * np.float32(2048) / (amax - np.float32(0))).astype(np.int64), 2047)
    assert (np.bincount(idx, minlength=2048) == hist).all()
    i_ref = trt_entropy_reference(hist, levels)
    checksum = int(sum((i + 1) * int(c) for i, c in enumerate(hist)))
    threshold = np.float32((i_ref + 0.5) * (float(amax) / 2048))
    LINES.append("kl %s %d %d %d %d %d %s" % (name, levels, 2048, checksum, int(hist.sum()), i_ref, hexf(threshold)))

with open(OUT, "w") as f:
    f.write("# Generated by tests/golden/make_observers.py (torch %s, numpy %s). Do not edit.\n" %
            (torch.__version__, np.__version__))
    f.write("\n".join(LINES) + "\n")
print("wrote", OUT, len(LINES), "records")

"""Loudness (ITU-R BS.1770 / EBU R128) and peak limiting, in numpy.

Levels are decided per clip, never per session: a voice line always gets the same gain
whatever surrounds it, so a chapter rendered alone for live play is the same sound as in
the exported file.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def _biquad_power(b: tuple[float, ...], a: tuple[float, ...], w: np.ndarray) -> np.ndarray:
    z = np.exp(-1j * w)
    num = b[0] + b[1] * z + b[2] * z * z
    den = a[0] + a[1] * z + a[2] * z * z
    return np.abs(num / den) ** 2


@functools.lru_cache(maxsize=16)
def k_weighting_power(n_fft: int, rate: int) -> np.ndarray:
    """|H(f)|^2 of the BS.1770 K-weighting filter at the rfft bins of ``n_fft`` points
    (cached: clips share a handful of FFT sizes, and building it cost more than the FFT)."""
    w = 2 * np.pi * np.fft.rfftfreq(n_fft, 1 / rate) / rate
    # The two stages, with coefficients derived for any sample rate (as libebur128 does).
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = _biquad_power(((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0,
                           (vh - vb * k / q + k * k) / a0),
                          (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0), w)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    d = 1 + k / q + k * k
    highpass = _biquad_power((1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / d, (1 - k / q + k * k) / d), w)
    power = shelf * highpass
    power.flags.writeable = False
    return power


@functools.lru_cache(maxsize=16)
def _k_weighting_gain(n_fft: int, rate: int) -> np.ndarray:
    return np.sqrt(k_weighting_power(n_fft, rate))


def _k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` (mono) through the K-weighting filter, by FFT with room for the filter's tail."""
    n = len(x) + rate // 2
    n_fft = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(x, n_fft) * _k_weighting_gain(n_fft, rate)
    return np.fft.irfft(spectrum, n_fft)[: len(x)]


def loudness(channels: list[np.ndarray], rate: int) -> float:
    """Integrated loudness in LUFS of equal-length channels (float, full scale 1.0).

    BS.1770-4: 400 ms blocks overlapping by 75 %, absolute gate -70 LUFS, relative gate
    -10 LU. A signal shorter than one block is measured as one block padded with silence.
    Returns -inf for silence.
    """
    block, step = int(0.4 * rate), int(0.1 * rate)
    powers = None
    for ch in channels:
        y = _k_weighted(np.asarray(ch, dtype=np.float64), rate) ** 2
        if len(y) < block:
            y = np.pad(y, (0, block - len(y)))
        c = np.concatenate(([0.0], np.cumsum(y)))
        starts = np.arange(0, len(y) - block + 1, step)
        z = (c[starts + block] - c[starts]) / block
        powers = z if powers is None else powers + z
    if powers is None or not np.any(powers > 0):
        return -math.inf
    lufs = -0.691 + 10 * np.log10(np.maximum(powers, 1e-20))
    gated = powers[lufs > -70]
    if not len(gated):
        return -math.inf
    relative = -0.691 + 10 * math.log10(gated.mean()) - 10
    kept = powers[(lufs > -70) & (lufs > relative)]
    return -0.691 + 10 * math.log10(kept.mean())


def db(gain_db: float) -> float:
    """A gain in decibels as a linear factor."""
    return 10 ** (gain_db / 20)


def limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Soft-limit samples so that no peak exceeds ``ceiling`` (linear). Samples below 70 %
    of the ceiling pass untouched; above, a tanh knee bends them smoothly under it."""
    knee = 0.7 * ceiling
    a = np.abs(x)
    over = a > knee
    if not np.any(over):
        return x
    out = x.copy()
    room = ceiling - knee
    out[over] = np.sign(x[over]) * (knee + room * np.tanh((a[over] - knee) / room))
    return out

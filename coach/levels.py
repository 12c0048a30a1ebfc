"""Loudness (ITU-R BS.1770 / EBU R128) and peak limiting, in numpy.

Levels are decided per clip and from the plan, never from the session's audio: a voice
line always gets the same gain whatever surrounds it, and the session's own gain comes
from its plan (render.plan_gain), so a chapter rendered alone for live play is the same
sound as in the exported file.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from coach.clock import RATE


def _biquad(
    b: tuple[float, float, float], a: tuple[float, float, float], w: np.ndarray
) -> np.ndarray:
    """A biquad's complex response at angular frequencies ``w`` (radians per sample)."""
    z = np.exp(-1j * w)
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


#: The K-weighting filter as an FIR of this many taps (85 ms at 24,000 Hz; its 38 Hz
#: high-pass has died away long before), applied by overlap-add in FFT blocks of _BLOCK.
_TAPS, _BLOCK = 2048, 8192


@functools.lru_cache(maxsize=4)
def _k_spectrum(rate: int) -> np.ndarray:
    """The K-weighting FIR's spectrum at _BLOCK points, for ``rate``."""
    n = 1 << 16
    w = 2 * np.pi * np.fft.rfftfreq(n, 1 / rate) / rate
    # The two stages of BS.1770, with coefficients derived for any rate (as libebur128).
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = _biquad(
        ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
        w,
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    d = 1 + k / q + k * k
    highpass = _biquad((1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / d, (1 - k / q + k * k) / d), w)
    impulse = np.fft.irfft(shelf * highpass, n)[:_TAPS]
    spectrum = np.fft.rfft(impulse, _BLOCK)
    spectrum.flags.writeable = False
    return spectrum


def k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` (mono) through the K-weighting filter. Overlap-add in small fixed blocks: one
    whole-clip FFT cost ~0.1 s on a long line, and a clip is measured several times."""
    hop = _BLOCK - _TAPS + 1
    count = -(-len(x) // hop)
    frames = np.zeros(count * hop)
    frames[: len(x)] = x
    y = np.fft.irfft(
        np.fft.rfft(frames.reshape(count, hop), _BLOCK, axis=1) * _k_spectrum(rate), _BLOCK, axis=1
    )
    out = np.zeros((count + 1) * hop)
    out[: count * hop] += y[:, :hop].ravel()
    tails = np.zeros((count, hop))
    tails[:, : _BLOCK - hop] = y[:, hop:]
    out[hop:] += tails.ravel()
    return out[: len(x)]


def loudness(channels: list[np.ndarray], rate: int) -> float:
    """Integrated loudness in LUFS of equal-length channels (float, full scale 1.0).

    BS.1770-4: 400 ms blocks overlapping by 75 %, absolute gate -70 LUFS, relative gate
    -10 LU. A signal shorter than one block is measured as one block padded with silence.
    Returns -inf for silence.
    """
    block, step = int(0.4 * rate), int(0.1 * rate)
    powers = None
    for ch in channels:
        y = k_weighted(np.asarray(ch, dtype=np.float64), rate) ** 2
        if len(y) < block:
            y = np.pad(y, (0, block - len(y)))
        c = np.concatenate(([0.0], np.cumsum(y)))
        starts = np.arange(0, len(y) - block + 1, step)
        z = (c[starts + block] - c[starts]) / block
        powers = z if powers is None else powers + z
    if powers is None:
        return -math.inf
    return gated(powers)


def gated(powers: np.ndarray) -> float:
    """The integrated loudness (LUFS) of 400 ms blocks of mean-square power ``powers``
    (K-weighted, summed over channels), with BS.1770's absolute and relative gates."""
    if not np.any(powers > 0):
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


def fade(x: np.ndarray, samples: int) -> np.ndarray:
    """``x`` (float32, mono) with linear fades of ``samples`` (at most half its length) at
    both ends, so that it neither starts nor stops with a click. A new array."""
    n = min(len(x) // 2, samples)
    x = x.copy()
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


#: The fade on every edge of a clip coach makes (a trimmed sentence, a levelled line, a
#: cut tone), seconds: short enough to keep the sound, long enough that no edge clicks.
EDGE_FADE = 0.005


def edge_faded(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """``x`` with ``fade`` of EDGE_FADE at both ends."""
    return fade(x, int(EDGE_FADE * rate))


#: The limiter's window, seconds: it lowers the gain this long before a peak and holds it
#: this long after, easing in and out over the same span.
LIMIT_WINDOW = 0.012
_STRIDE = 16


#: Voice clips keep nothing above this frequency, Hz. What a neural voice puts near the
#: Nyquist frequency (12 kHz at 24 kHz) is buzz from the model, not speech, and an MP3
#: encoder's low-pass takes it off with an overshoot: one such burst in `quick` decoded
#: 4.4 dB above the limited peak (-0.2 dBTP against a ceiling of -4.5 dBFS).
VOICE_TOP_HZ = 10_500.0


def band_limited(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """``x`` (float, mono) with nothing above VOICE_TOP_HZ, same length, no delay (a
    zero-phase low-pass run forwards and backwards). At or below 2 x VOICE_TOP_HZ there is
    nothing to remove and ``x`` comes back as it is."""
    if rate <= 2 * VOICE_TOP_HZ or len(x) < 64:
        return x
    from scipy.signal import butter, sosfiltfilt

    sos = butter(8, VOICE_TOP_HZ, fs=rate, output="sos")
    return np.asarray(sosfiltfilt(sos, x), dtype=x.dtype)


def limit(x: np.ndarray, ceiling: float, rate: int = RATE) -> np.ndarray:
    """``x`` with no sample above ``ceiling`` (linear), by a smooth gain rather than by
    bending the waveform: a clipper or a soft-knee waveshaper adds harmonics a listener
    hears as grit on a voice (a neural voice's peaks went through 8 dB of it).

    The gain each sample needs is held over LIMIT_WINDOW on both sides (a look-ahead and
    a hold) and then smoothed by a triangle no longer than the hold, so it stays at or
    under the needed gain everywhere and changes over milliseconds, not samples. A signal
    under the ceiling comes back unchanged (the same array).
    """
    a = np.abs(x)
    if not len(x) or a.max() <= ceiling:
        return x
    need = np.minimum(1.0, ceiling / np.maximum(a, 1e-300))
    # The gain moves over milliseconds: work on the lowest need of each short stretch
    # (_STRIDE samples), a sixteenth of the work, then back to every sample.
    n = len(x)
    stretches = -(-n // _STRIDE)
    coarse = np.ones(stretches * _STRIDE)
    coarse[:n] = need
    coarse = coarse.reshape(stretches, _STRIDE).min(axis=1)
    half = max(1, round(LIMIT_WINDOW * rate / _STRIDE))
    held = _running_min(coarse, 2 * half + 3)  # one stretch more each side: interpolation
    box = half + 1  # two boxes of this length make a triangle of 2 * half + 1
    smooth = _moving_average(_moving_average(np.pad(held, half, mode="edge"), box), box)
    centres = np.arange(stretches) * _STRIDE + (_STRIDE - 1) / 2
    gain = np.interp(np.arange(n), centres, smooth)
    return x * np.minimum(gain, need)


def _running_min(x: np.ndarray, width: int) -> np.ndarray:
    """The minimum of ``x`` over a centred window of odd ``width`` (van Herk / Gil-Werman:
    prefix and suffix minima of fixed blocks; linear time, no Python loop). Past the ends
    the window sees 1.0, the largest gain."""
    half = width // 2
    n = len(x)
    total = -(-(n + width - 1) // width) * width
    padded = np.ones(total)
    padded[half : half + n] = x
    blocks = padded.reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:n], prefix[width - 1 : width - 1 + n])


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Means of every ``width`` consecutive samples ("valid": ``width - 1`` fewer)."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    return (c[width:] - c[:-width]) / width


def soft_ceiling(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Bend samples so that no peak exceeds ``ceiling`` (linear), each on its own (no
    memory: any window of a signal comes out the same as inside the whole), for the
    finished mix, where voice and tones rarely meet above it. Samples below 70 % of the
    ceiling pass untouched (the same array when all do); above, a tanh knee bends them
    smoothly under it."""
    knee = 0.7 * ceiling
    a = np.abs(x)
    over = a > knee
    if not np.any(over):
        return x
    out = x.copy()
    room = ceiling - knee
    out[over] = np.sign(x[over]) * (knee + room * np.tanh((a[over] - knee) / room))
    return out

"""The built-in beds, synthesized: ``waves``, ``rain`` and ``drone``.

Each bed is one loop of LOOP_SECONDS made from a fixed seed, so the same session is the
same audio every time and nothing is downloaded or stored in the package. Every part of a
loop is periodic by construction, so the loop repeats with no seam and needs no crossfade:
noise is coloured by shaping its spectrum (a circular filter: the filtered noise wraps
around exactly), swells and movements are cosines and envelopes whose periods divide the
loop, droplets that run past the end wrap to the start, and the drone's partials sit on
the loop's frequency grid (whole numbers of cycles per loop).

Stereo: left and right share part of their noise and differ in the rest (a correlation
around 0.6), so a bed is gently wide but never hollow in mono. Output is float32, shape
(LOOP, 2), at RATE; the caller sets the level.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coach.clock import RATE

#: Length of every built-in loop, seconds: long enough that the repeat is not heard
#: (five or six swells of the sea, a drone's slowest movement), short enough to make in
#: a fraction of a second.
LOOP_SECONDS = 48
LOOP = LOOP_SECONDS * RATE
#: How much of each channel's noise is shared with the other (0 = unrelated, 1 = mono).
SHARED = 0.6
SEED = 20_261_125


def _spectrum_freqs(n: int) -> np.ndarray:
    return np.fft.rfftfreq(n, 1 / RATE)


def _coloured(rng: np.random.Generator, n: int, shape: np.ndarray) -> np.ndarray:
    """Two channels of noise with magnitude response ``shape`` (over rfft bins), partly
    shared between them; periodic in ``n``. Shape (n, 2), RMS about 1 per channel."""
    gain = shape.astype(np.float32)

    def one() -> np.ndarray:  # one at a time: an FFT of the whole loop is 30 MB of work space
        spectrum = np.fft.rfft(rng.standard_normal(n, dtype=np.float32))
        spectrum *= gain
        return np.fft.irfft(spectrum, n).astype(np.float32)

    shared = one()
    a, b = np.float32(np.sqrt(SHARED)), np.float32(np.sqrt(1 - SHARED))
    out = np.empty((n, 2), dtype=np.float32)
    for ch in (0, 1):
        out[:, ch] = a * shared + b * one()
    return out / np.float32(max(1e-12, float(np.sqrt(np.mean(out**2)))))


def _pink_band(f: np.ndarray, low: float, high: float, slope: float = 1.0) -> np.ndarray:
    """A 1/f^slope (power) spectrum between soft 2nd-order corners at ``low`` and ``high`` Hz."""
    f = np.maximum(f, 1e-3)
    shape = f ** (-slope / 2)
    shape *= (f / low) ** 2 / (1 + (f / low) ** 2)  # high-pass corner
    shape *= 1 / (1 + (f / high) ** 4) ** 0.5  # low-pass corner, 4th order
    return shape


def _cyclic_bumps(
    rng: np.random.Generator, n: int, count: int, rise: float, fall: float, jitter: float
) -> list[tuple[int, np.ndarray]]:
    """``count`` swell envelopes over a loop of ``n`` samples: a slow raised-cosine rise
    over ``rise`` s then a long exponential fall (time constant ``fall`` s), placed about
    evenly with ``jitter`` (fraction of the spacing), each wrapped around the loop end.
    Returns (start sample, envelope) pairs; envelopes peak at 1."""
    spacing = n / count
    out = []
    t_fall = np.arange(int(fall * 4 * RATE)) / RATE
    for i in range(count):
        start = int((i + rng.uniform(-jitter, jitter)) * spacing) % n
        r = int(rise * rng.uniform(0.8, 1.25) * RATE)
        up = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, r))
        down = np.exp(-t_fall / (fall * rng.uniform(0.8, 1.2)))
        out.append((start, np.concatenate([up, down]) * rng.uniform(0.7, 1.0)))
    return out


def _wrap_add(target: np.ndarray, start: int, piece: np.ndarray) -> None:
    """Add ``piece`` into ``target`` from ``start``, wrapping around its end."""
    n = len(target)
    start %= n
    while len(piece):
        take = min(len(piece), n - start)
        target[start : start + take] += piece[:take]
        piece, start = piece[take:], 0


def waves(n: int = LOOP, seed: int = SEED) -> np.ndarray:
    """The sea on a calm day: a dark body of brown-ish noise that never stops, and swells
    every eight to ten seconds where brighter, wider noise rises slowly and washes out
    (a breaking wave is brighter at its crest, so the bright band follows the swell's
    square). Each swell leans a little to one side."""
    rng = np.random.default_rng(seed)
    f = _spectrum_freqs(n)
    body = _coloured(rng, n, _pink_band(f, 40, 350, slope=2.0))
    wash = _coloured(rng, n, _pink_band(f, 150, 1800, slope=1.0))
    foam = _coloured(rng, n, _pink_band(f, 900, 4500, slope=1.0))
    swell = np.zeros((n, 2), dtype=np.float32)
    for start, env in _cyclic_bumps(rng, n, 5, rise=3.5, fall=2.2, jitter=0.2):
        pan = rng.uniform(-0.35, 0.35)
        for ch, g in enumerate((1 - pan, 1 + pan)):
            _wrap_add(swell[:, ch], start, env * g)
    swell = np.clip(swell, 0, 1.3)
    out = body * (0.3 + 0.2 * swell) + wash * (0.05 + 0.7 * swell) + foam * 0.25 * swell**2
    return out.astype(np.float32)


def rain(n: int = LOOP, seed: int = SEED + 1) -> np.ndarray:
    """Soft rain on leaves: a quiet, dark hiss with a low rumble, and sparse droplets
    (tiny damped sines whose pitch rises as a bubble's does, 1.2 to 3.5 kHz, a few
    milliseconds long, at random levels and places across the stereo field), softened
    by a gentle low-pass. The patter thickens and thins slowly."""
    rng = np.random.default_rng(seed)
    f = _spectrum_freqs(n)
    hiss = _coloured(rng, n, _pink_band(f, 300, 3500, slope=1.0))
    rumble = _coloured(rng, n, _pink_band(f, 40, 250, slope=2.0))
    drops = np.zeros((n, 2), dtype=np.float32)
    count = int(14 * n / RATE)
    where = rng.uniform(0, n, count)
    # Density follows a slow cosine over the loop: fewer drops where it is low.
    density = 0.65 + 0.35 * np.cos(2 * np.pi * where / n * 2 + 1.0)
    where = where[rng.uniform(0, 1, count) < density].astype(int)
    m = int(0.04 * RATE)
    t = np.arange(m) / RATE
    for at in where:
        freq = np.exp(rng.uniform(np.log(1200), np.log(3500)))
        tau = rng.uniform(0.003, 0.009)
        phase = 2 * np.pi * freq * (t + 0.5 * 1.4 * t * t / 0.02)  # rises ~ x1.4 in 20 ms
        drop = np.sin(phase) * np.exp(-t / tau) * np.minimum(1, t * RATE / 24)
        level = np.exp(rng.normal(0, 0.6)) * 0.6
        pan = rng.uniform(-0.8, 0.8)
        for ch, g in enumerate((1 - pan, 1 + pan)):
            _wrap_add(drops[:, ch], int(at), drop * level * g * 0.5)
    soft = 1 / (1 + (np.maximum(f, 1) / 3000) ** 2)
    for ch in (0, 1):  # one channel at a time keeps the FFT's work space small
        drops[:, ch] = np.fft.irfft(np.fft.rfft(drops[:, ch]) * soft, n)
    out = hiss * 0.12 + rumble * 0.10 + drops
    return out.astype(np.float32)


def drone(n: int = LOOP, seed: int = SEED + 2) -> np.ndarray:
    """A warm pad on C (65.4 Hz): root, fifth, octave and a few soft upper partials, each
    with a quieter voice detuned up on the left and down on the right (a slow chorus, and
    width); each partial's level moves on its own slow cosine (periods of 12 to 48 s), so
    the colour keeps shifting without ever changing key. Built directly as spectral lines
    on the loop's frequency grid, so it is exactly periodic."""
    rng = np.random.default_rng(seed)
    root = 65.41
    partials = [
        (1.0, 1.0),
        (1.5, 0.45),
        (2.0, 0.5),
        (3.0, 0.22),
        (4.0, 0.12),
        (5.0, 0.06),
        (6.0, 0.05),
    ]
    bins = n // 2 + 1
    spectra = np.zeros((2, bins), dtype=complex)
    for ratio, amp in partials:
        detune = rng.uniform(0.04, 0.1) * ratio**0.5  # Hz: a slow chorus, 10-25 s beats
        cycles = int(rng.integers(1, 5))  # level moves 1..4 times a loop
        depth = rng.uniform(0.3, 0.6)
        lfo_phase = rng.uniform(0, 2 * np.pi)
        centre = rng.uniform(0, 2 * np.pi)
        # Each channel: the partial itself, plus a quieter voice detuned up on the left and
        # down on the right. The channels differ (wide) but share the main voice, up to
        # 60 degrees apart, so nothing cancels in mono; the chorus moves each partial by
        # only about 2.5 dB, and the partials move independently.
        for ch in (0, 1):
            voices = [
                (root * ratio, 1.0, centre + ch * rng.uniform(-np.pi / 3, np.pi / 3)),
                (root * ratio + (detune if ch == 0 else -detune), 0.3, rng.uniform(0, 2 * np.pi)),
            ]
            for freq, gain, phi in voices:
                k = int(round(freq * n / RATE))
                line = amp * gain * np.exp(1j * phi)
                # amp * (1 + depth cos(lfo)) * sin(carrier): three spectral lines.
                spectra[ch, k] += line
                spectra[ch, k + cycles] += line * depth / 2 * np.exp(1j * lfo_phase)
                spectra[ch, k - cycles] += line * depth / 2 * np.exp(-1j * lfo_phase)
    tone = np.empty((n, 2), dtype=np.float32)
    for ch in (0, 1):
        tone[:, ch] = np.fft.irfft(spectra[ch], n)
    del spectra
    tone /= np.float32(np.sqrt(np.mean(tone**2)))
    air = _coloured(rng, n, _pink_band(_spectrum_freqs(n), 60, 700, slope=1.5))
    out = tone + air * 0.08
    return out.astype(np.float32)


#: Every built-in bed by name, with its maker.
BUILTIN: dict[str, Callable[[], np.ndarray]] = {"waves": waves, "rain": rain, "drone": drone}

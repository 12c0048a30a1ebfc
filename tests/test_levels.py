"""levels.loudness against ffmpeg's ebur128 filter on the same signals, and levels.soft_ceiling.

The reference is ffmpeg reading the WAV that tones.write_wav wrote, so both sides measure
the very same 16-bit samples. ffmpeg prints loudness to 0.1 LU; 0.3 LU is the agreement
asked for.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach import levels, tones
from coach.clock import RATE
from conftest import ebur128

TOLERANCE = 0.3


def _sine(freq: float, dbfs: float, seconds: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return levels.db(dbfs) * np.sin(2 * np.pi * freq * t + phase)


def _noise(seconds: float, dbfs_rms: float, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    return x * (levels.db(dbfs_rms) / np.sqrt(np.mean(x**2)))


def _compare(tmp_path: Path, channels: list[np.ndarray]) -> tuple[float, float]:
    """(ours, ffmpeg's) integrated loudness of ``channels`` as written to a WAV."""
    frames = np.stack(channels, axis=1) if len(channels) > 1 else channels[0]
    path = tmp_path / "signal.wav"
    tones.write_wav(path, frames.astype(np.float32))
    # Measure exactly what was written: the 16-bit samples, back to float.
    pcm = tones.to_pcm16(frames.astype(np.float32)).astype(np.float64) / 32767.0
    ours = levels.loudness(
        [pcm] if pcm.ndim == 1 else [pcm[:, c] for c in range(pcm.shape[1])], RATE
    )
    theirs, _ = ebur128(path)
    return ours, theirs


def test_1khz_sine_at_minus_20_dbfs_reads_minus_23_lufs(tmp_path):
    # BS.1770: a 1 kHz sine in one channel reads 3.01 dB below its peak level in dBFS.
    ours, theirs = _compare(tmp_path, [_sine(1000.0, -20.0, 5.0)])
    assert ours == pytest.approx(theirs, abs=TOLERANCE)
    assert ours == pytest.approx(-23.0, abs=0.1)
    assert theirs == pytest.approx(-23.0, abs=0.15)


@pytest.mark.parametrize(
    "freq,dbfs", [(60.0, -12.0), (100.0, -20.0), (440.0, -30.0), (3000.0, -18.0), (8000.0, -25.0)]
)
def test_sines_across_the_k_weighting_curve(tmp_path, freq, dbfs):
    # Low frequencies are cut by the high-pass stage, high ones lifted by the shelf: the
    # two implementations must agree on both sides of 1 kHz.
    ours, theirs = _compare(tmp_path, [_sine(freq, dbfs, 4.0)])
    assert ours == pytest.approx(theirs, abs=TOLERANCE)


def test_stereo_channels_add_their_powers(tmp_path):
    left, right = _sine(1000.0, -20.0, 5.0), _noise(5.0, -26.0, seed=1)
    ours, theirs = _compare(tmp_path, [left, right])
    assert ours == pytest.approx(theirs, abs=TOLERANCE)
    # Two identical channels read 3 dB above one.
    one = levels.loudness([left], RATE)
    assert levels.loudness([left, left], RATE) == pytest.approx(one + 10 * math.log10(2), abs=0.01)


def test_gating_ignores_quiet_stretches(tmp_path):
    # Loud bursts with long near-silent gaps (below the -70 LUFS absolute gate) and quiet
    # stretches (below the relative gate): both are left out of the integrated figure.
    loud = _noise(2.0, -18.0, seed=2)
    quiet = _noise(2.0, -45.0, seed=3)
    near_silence = _noise(2.0, -85.0, seed=4)
    x = np.concatenate([loud, near_silence, loud, quiet, loud, near_silence])
    ours, theirs = _compare(tmp_path, [x])
    assert ours == pytest.approx(theirs, abs=TOLERANCE)
    # Ungated, half the signal being (near) silence would read about 3 LU under the loud
    # parts alone; gated, only the 400 ms blocks straddling an edge pull it down a little.
    alone = levels.loudness([np.concatenate([loud] * 3)], RATE)
    assert alone - 1.0 < ours <= alone


def test_speech_like_modulated_noise(tmp_path):
    # Noise under a syllable-rate envelope with pauses: close to what a voice line is.
    n = 8 * RATE
    t = np.arange(n) / RATE
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) ** 2 * (
        np.sin(2 * np.pi * 0.3 * t) > -0.5
    )
    x = _noise(8.0, -14.0, seed=5) * envelope
    ours, theirs = _compare(tmp_path, [x])
    assert ours == pytest.approx(theirs, abs=TOLERANCE)


def test_silence_and_short_signals():
    assert levels.loudness([np.zeros(RATE)], RATE) == -math.inf
    assert levels.loudness([np.zeros(10)], RATE) == -math.inf
    # Shorter than a 400 ms block: measured as one block padded with silence, so a
    # 200 ms sine reads about 3 dB under the same sine measured over a long stretch.
    short = levels.loudness([_sine(1000.0, -20.0, 0.2)], RATE)
    assert short == pytest.approx(-23.0 - 10 * math.log10(2), abs=0.3)


def test_gain_moves_loudness_by_the_same_amount():
    x = _noise(3.0, -20.0, seed=6)
    base = levels.loudness([x], RATE)
    for gain in (-12.0, -3.0, 6.0):
        assert levels.loudness([x * levels.db(gain)], RATE) == pytest.approx(base + gain, abs=1e-6)


# ---- soft ceiling ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 100.0), ceiling=st.floats(0.05, 1.0))
def test_soft_ceiling_never_exceeds_the_ceiling(seed, scale, ceiling):
    x = np.random.default_rng(seed).standard_normal(2000) * scale
    y = levels.soft_ceiling(x, ceiling)
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= ceiling + 1e-12
    # A gain, never a bend: each sample keeps its sign and is scaled by at most 1.
    assert np.all((np.sign(y) == np.sign(x)) | (y == 0))
    assert np.all(np.abs(y) <= np.abs(x) + 1e-12)


def test_limit_is_a_smooth_gain_not_a_waveshaper():
    # A steady tone 6 dB over the ceiling comes out as the same tone, 6 dB down: no
    # harmonics (a clipper or a tanh knee would add odd ones), and the gain moves
    # gently in and out around it.
    rate = RATE
    t = np.arange(rate) / rate
    ceiling = levels.db(-6.0)
    burst = np.sin(2 * np.pi * 440 * t) * np.where((t > 0.25) & (t < 0.75), 1.0, 0.25)
    y = levels.limit(burst, ceiling, rate)
    assert np.max(np.abs(y)) <= ceiling + 1e-12
    middle = slice(int(0.35 * rate), int(0.65 * rate))
    assert np.allclose(y[middle], burst[middle] * ceiling, atol=1e-6)
    gain = np.abs(y) / np.maximum(np.abs(burst), 1e-9)
    steps = np.abs(np.diff(gain[np.abs(burst) > 0.1]))
    assert steps.max() < 0.02  # no jumps: at most 2 % from one loud sample to the next
    # Far from the burst the quiet tone is untouched.
    assert np.array_equal(y[: int(0.2 * rate)], burst[: int(0.2 * rate)])


def test_limit_leaves_a_signal_under_the_ceiling_alone():
    quiet = np.random.default_rng(7).uniform(-0.4, 0.4, 10_000)
    assert levels.limit(quiet, 0.5) is quiet
    assert len(levels.limit(np.zeros(0), 0.5)) == 0


@pytest.mark.parametrize("width", [1, 3, 7, 25, 577])
def test_running_min_matches_a_plain_loop(width):
    x = np.random.default_rng(width).standard_normal(3000)
    padded = np.concatenate([np.ones(width // 2), x, np.ones(width // 2)])
    want = np.array([padded[i : i + width].min() for i in range(len(x))])
    assert np.array_equal(levels._running_min(x, width), want)


def test_soft_ceiling_leaves_small_samples_untouched():
    rng = np.random.default_rng(7)
    ceiling = levels.db(-4.5)
    x = rng.uniform(-1.5, 1.5, 10_000)
    y = levels.soft_ceiling(x, ceiling)
    small = np.abs(x) <= 0.7 * ceiling
    assert small.sum() > 1000 and (~small).sum() > 1000
    assert np.array_equal(y[small], x[small])
    assert np.all(np.abs(y[~small]) < np.abs(x[~small]) + 1e-12)
    # A signal entirely under the knee comes back as it was (the same array, even).
    quiet = x * (0.69 * ceiling / np.max(np.abs(x)))
    assert levels.soft_ceiling(quiet, ceiling) is quiet


def test_soft_ceiling_is_continuous_at_the_knee():
    ceiling = 0.5
    knee = 0.7 * ceiling
    x = np.array([knee - 1e-9, knee, knee + 1e-9, 10.0, 1e6, -1e6])
    y = levels.soft_ceiling(x, ceiling)
    assert y[:3] == pytest.approx(x[:3], abs=1e-8)
    assert knee < y[3] <= ceiling
    assert y[4] == pytest.approx(ceiling) and y[5] == pytest.approx(-ceiling)


def test_db():
    assert levels.db(0.0) == 1.0
    assert levels.db(-6.0) == pytest.approx(0.501187, rel=1e-5)
    assert levels.db(20.0) == pytest.approx(10.0)


def test_soft_ceiling_has_no_memory():
    # Sample by sample: a window bent alone equals the same window bent inside the whole,
    # which is what lets live play render a chapter at a time and equal the export.
    x = np.random.default_rng(8).standard_normal(5000)
    whole = levels.soft_ceiling(x, 0.5)
    for a, b in ((0, 1000), (1234, 4321), (4999, 5000)):
        assert np.array_equal(levels.soft_ceiling(x[a:b], 0.5), whole[a:b])


def test_band_limited_keeps_speech_and_length_and_takes_off_the_buzz_near_nyquist():
    t = np.arange(RATE) / RATE
    speech, buzz = np.sin(2 * np.pi * 1000 * t), 0.5 * np.sin(2 * np.pi * 11_800 * t)
    out = levels.band_limited(speech + buzz, RATE)
    assert len(out) == RATE
    middle = slice(RATE // 4, 3 * RATE // 4)  # away from the filter's edges
    assert np.max(np.abs(out[middle] - speech[middle])) < 0.01  # 1 kHz kept, no delay
    assert levels.band_limited(speech, 16_000) is speech  # nothing up there to remove

"""Renderer unit tests with hand-made events and clips (no speech engine, no ffmpeg)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach import levels, render, tones
from coach.clock import RATE
from coach.render import Mix, Renderer, pan_gains, prepare_speech
from coach.sounds import Sound
from coach.timeline import Event, Pause, Speech, Tone


def _clip(n: int, seed: int = 0, level: float = 0.3) -> np.ndarray:
    """A made-up voice clip: smooth noise, faded at both ends like a prepared clip."""
    x = np.random.default_rng(seed).uniform(-level, level, n).astype(np.float32)
    return levels.edge_faded(x)


def speech(start: int, text: str, clips: dict[str, np.ndarray], pan: float = 0.0) -> Event:
    return Speech(start, len(clips[text]), text=text, pan=pan)


def tone(
    start: int, seconds: float, sound: Sound, pan: float = 0.0, sustain: bool = False
) -> Event:
    return Tone(start, round(seconds * RATE), sound=sound, pan=pan, sustain=sustain)


def tone_gain(mix: Mix) -> float:
    """The tone level written out: peaks at TONE_PEAK_DB in stereo, 3 dB up in mono (the
    two channels folded into one), moved by --tone-volume and the session's gains."""
    folded = 3.0103 if mix.channels == 1 else 0.0
    return (
        levels.db(render.TONE_PEAK_DB + folded + mix.tone_volume + mix.gain + mix.tone_boost)
        / tones.PEAK
    )


# ---- placement ------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2])
def test_speech_lands_on_its_exact_start_sample(channels):
    clips = {"a": _clip(1000, 1), "b": _clip(777, 2)}
    events = [speech(123, "a", clips), speech(5001, "b", clips)]
    out = Renderer(events, clips, Mix(channels=channels)).render(0, 7000)
    assert out.shape == (7000, channels) and out.dtype == np.float32
    for ch in range(channels):
        expected = np.zeros(7000, dtype=np.float32)
        expected[123:1123] = clips["a"]
        expected[5001:5778] = clips["b"]
        assert np.array_equal(out[:, ch], expected)


def test_any_window_is_the_same_samples_as_the_whole():
    clips = {"a": _clip(3000, 3), "b": _clip(2500, 4)}
    events = [
        tone(0, 0.5, Sound.CIRCLE),
        speech(1000, "a", clips, pan=-0.6),
        tone(3000, 0.3, Sound.PLUCK, pan=0.6),
        speech(3500, "b", clips),
        tone(6000, 1.0, Sound.HOLD, sustain=True),
    ]
    r = Renderer(events, clips, Mix())
    whole = r.render(0, 30_000)
    for start, end in [
        (0, 1),
        (999, 1001),
        (1500, 4100),
        (2999, 3000),
        (5999, 29_000),
        (25_000, 30_000),
    ]:
        assert np.array_equal(r.render(start, end), whole[start:end])
    pcm = np.concatenate([r.pcm(s, min(30_000, s + 4096)) for s in range(0, 30_000, 4096)])
    assert np.array_equal(pcm, r.pcm(0, 30_000))
    assert pcm.dtype == np.int16 and pcm.shape == (30_000, 2)


def test_overlapping_events_are_summed():
    clips = {"a": _clip(4000, 5)}
    events = [speech(0, "a", clips), tone(0, 1.0, Sound.CIRCLE)]
    mix = Mix()
    out = Renderer(events, clips, mix).render(0, 4000)
    ring = tones.load(Sound.CIRCLE)[:4000] * tone_gain(mix)
    assert np.allclose(out[:, 0], clips["a"] + ring, atol=1e-6)


# ---- panning --------------------------------------------------------------------------


def test_pan_gains():
    assert pan_gains(0.0, 2) == (1.0, 1.0)
    assert pan_gains(-1.0, 2) == (1.0, 0.0)
    assert pan_gains(1.0, 2) == (0.0, 1.0)
    assert pan_gains(-0.6, 2) == pytest.approx((1.0, 0.4))
    assert pan_gains(0.6, 2) == pytest.approx((0.4, 1.0))
    for pan in (-1.0, -0.6, 0.0, 0.6, 1.0):
        assert pan_gains(pan, 1) == (1.0,)
        assert max(pan_gains(pan, 2)) == 1.0  # the near side never changes level


@pytest.mark.parametrize("pan", [-0.6, 0.6])
def test_panned_events_favour_their_side(pan):
    clips = {"a": _clip(2000, 6)}
    events = [speech(0, "a", clips, pan=pan), tone(3000, 0.5, Sound.STROKE, pan=pan)]
    out = Renderer(events, clips, Mix()).render(0, 3000 + RATE)
    near, far = (0, 1) if pan < 0 else (1, 0)
    for window in (slice(0, 2000), slice(3000, 3000 + RATE // 2)):
        ratio = np.sqrt(np.mean(out[window, near] ** 2) / np.mean(out[window, far] ** 2))
        assert ratio == pytest.approx(1 / 0.4, rel=1e-4)


def test_mono_ignores_pan_and_has_one_channel():
    clips = {"a": _clip(2000, 7)}
    events = [speech(0, "a", clips, pan=-0.6), tone(2500, 0.5, Sound.STROKE, pan=0.6)]
    mono = Renderer(events, clips, Mix(channels=1)).render(0, 15_000)
    stereo = Renderer(events, clips, Mix(channels=2)).render(0, 15_000)
    assert mono.shape == (15_000, 1)
    # Mono is the near side of stereo for every event: the voice at the same level (it is
    # levelled in the output's layout), a tone 3 dB up, as two channels folded into one.
    assert np.array_equal(mono[:2000, 0], stereo[:2000, 0])
    assert np.allclose(mono[2500:, 0], stereo[2500:, 1] * np.sqrt(2), atol=1e-6)
    assert np.max(np.abs(mono[2500:, 0])) > 0.01


# ---- tones ----------------------------------------------------------------------------


def test_tone_is_cut_at_its_slot_end_with_a_fade():
    bell = tones.load(Sound.BELL)
    slot = round(0.5 * RATE)
    assert len(bell) > slot
    events = [tone(100, 0.5, Sound.BELL)]
    out = Renderer(events, {}, Mix()).render(0, 100 + len(bell) + 100)[:, 0]
    assert np.all(out[:100] == 0)
    assert np.all(out[100 + slot :] == 0)  # nothing rings past the slot
    heard = out[100 : 100 + slot]
    fade = int(levels.EDGE_FADE * RATE)
    # Between the edge fades it is the bell at the tone level; the end fade reaches silence.
    assert np.allclose(
        heard[fade : slot - fade], bell[fade : slot - fade] * tone_gain(Mix()), atol=1e-7
    )
    assert heard[-1] == 0.0
    assert np.max(np.abs(heard[-fade // 4 :])) < 0.3 * np.max(
        np.abs(bell[slot - fade : slot])
    ) * tone_gain(Mix())


def test_tone_shorter_than_its_slot_plays_whole_then_silence():
    circle = tones.load(Sound.CIRCLE)
    events = [tone(0, 3.0, Sound.CIRCLE)]
    mix = Mix(channels=1)
    out = Renderer(events, {}, mix).render(0, 3 * RATE)[:, 0]
    assert np.allclose(out[: len(circle)], circle * tone_gain(mix), atol=1e-7)
    assert np.all(out[len(circle) :] == 0)
    assert np.max(np.abs(out)) == pytest.approx(levels.db(render.TONE_PEAK_DB + 3.0103), rel=1e-3)


def test_sustained_tone_fills_its_slot():
    slot = 3 * RATE
    events = [tone(0, 3.0, Sound.HOLD, sustain=True)]
    out = Renderer(events, {}, Mix(channels=1)).render(0, slot + 1000)[:, 0]
    assert np.all(out[slot:] == 0)
    frames = out[:slot].reshape(-1, RATE // 10)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    assert np.all(rms[1:-1] > levels.db(render.TONE_PEAK_DB + render.SUSTAIN_DB - 15))
    # The pad sits SUSTAIN_DB under the tones: its middle second is that much under a tone peak.
    middle = out[RATE : 2 * RATE]
    pad_peak = np.max(np.abs(middle))
    assert 20 * math.log10(pad_peak / (tone_gain(Mix(channels=1)) * tones.PEAK)) == pytest.approx(
        render.SUSTAIN_DB, abs=0.5
    )


def test_tone_volume_scales_tones_only():
    clips = {"a": _clip(3000, 8)}
    events = [speech(0, "a", clips), tone(5000, 1.0, Sound.PRESS, pan=-0.6)]
    base = Renderer(events, clips, Mix()).render(0, 5000 + RATE)
    quiet = Renderer(events, clips, Mix(tone_volume=-10.0)).render(0, 5000 + RATE)
    assert np.array_equal(base[:3000], quiet[:3000])
    assert np.allclose(quiet[5000:], base[5000:] * levels.db(-10.0), atol=1e-7)


def test_no_tones_renders_only_speech():
    clips = {"a": _clip(3000, 9)}
    events = [
        tone(0, 1.0, Sound.BELL),
        speech(500, "a", clips),
        Pause(4000, 2000),
        tone(6000, 1.0, Sound.CIRCLE),
        tone(8000, 3.0, Sound.HOLD, sustain=True),
    ]
    out = Renderer(events, clips, Mix(tones=False)).render(0, 8000 + 3 * RATE)
    expected = np.zeros(len(out), dtype=np.float32)
    expected[500:3500] = clips["a"]
    assert np.array_equal(out[:, 0], expected) and np.array_equal(out[:, 1], expected)


def test_pauses_are_silent():
    events = [Pause(0, RATE)]
    r = Renderer(events, {}, Mix())
    assert r.events == []
    assert not np.any(r.render(0, RATE))


# ---- prepare_speech -------------------------------------------------------------------


def _voice_like(seconds: float, seed: int, crest: bool) -> np.ndarray:
    """Syllable-shaped noise; ``crest`` adds sharp peaks so the limiter must act."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    # Vowel-like partials under a syllable envelope: a low peak-to-loudness ratio.
    x = sum(
        a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        for f, a in ((1200, 1.0), (2400, 0.2), (3600, 0.1))
    )
    x *= 0.8 + 0.2 * np.sin(2 * np.pi * 4 * t)
    if crest:
        spikes = rng.choice(n, 40, replace=False)
        x[spikes] *= 12
    return (0.05 * x / np.max(np.abs(x))).astype(np.float32)


@pytest.mark.parametrize("channels", [1, 2])
def test_prepare_speech_sets_loudness_when_not_limited(channels):
    raw = _voice_like(2.0, seed=10, crest=False)
    mix = Mix(channels=channels)
    out = prepare_speech(raw, RATE, mix)
    assert len(out) == len(raw) and out.dtype == np.float32
    target = render.SPEECH_LUFS - 10 * math.log10(channels)
    # Not limited: all samples stayed under the knee.
    assert np.max(np.abs(out)) < 0.7 * levels.db(render.SPEECH_CEILING_DB)
    assert levels.loudness([out], RATE) == pytest.approx(target, abs=0.5)
    # Only the gain changed (and the edge fades).
    fade = int(levels.EDGE_FADE * RATE)
    ratio = out[fade:-fade] / np.where(raw[fade:-fade] == 0, 1, raw[fade:-fade])
    assert np.allclose(ratio[raw[fade:-fade] != 0], ratio[raw[fade:-fade] != 0][0], rtol=1e-4)


@pytest.mark.parametrize("channels", [1, 2])
def test_prepare_speech_limited_line_still_at_its_loudness(channels):
    # Sharp peaks: the limiter bends them under the ceiling and the line is made up to
    # its loudness again (mono lines used to come out up to 1.8 LU quiet).
    raw = _voice_like(2.0, seed=11, crest=True)
    out = prepare_speech(raw, RATE, Mix(channels=channels))
    ceiling = levels.db(render.SPEECH_CEILING_DB)
    assert len(out) == len(raw)
    assert np.max(np.abs(out)) <= ceiling
    assert np.max(np.abs(out)) > 0.7 * ceiling  # the limiter did act
    target = render.SPEECH_LUFS - 10 * math.log10(channels)
    assert levels.loudness([out], RATE) == pytest.approx(target, abs=0.3)


def test_prepare_speech_fades_its_edges_and_keeps_silence():
    raw = np.full(5000, 0.01, dtype=np.float32)
    out = prepare_speech(raw, RATE, Mix())
    assert out[0] == 0.0 and out[-1] == 0.0
    silent = np.zeros(3000, dtype=np.float32)
    assert np.array_equal(prepare_speech(silent, RATE, Mix()), silent)


def test_prepare_speech_is_the_same_whatever_the_clip_level():
    # Levels are per clip: the same words recorded louder come out the same.
    raw = _voice_like(1.5, seed=12, crest=False)
    a = prepare_speech(raw, RATE, Mix())
    b = prepare_speech(raw * 4, RATE, Mix())
    assert np.allclose(a, b, atol=1e-5)


# ---- the plan's loudness ----------------------------------------------------------------


def _session_and_pcm(path, mix: Mix):
    from coach.routinefile import load
    from coach.session import Options, Session

    session = Session(load(path), Options(mix=mix))
    pcm = np.concatenate(list(session.blocks(RATE * 10))).astype(np.float64) / 32767
    return session, pcm


@pytest.mark.parametrize(
    "mix",
    [Mix(), Mix(channels=1), Mix(tone_volume=10.0), Mix(tones=False)],
    ids=["stereo", "mono", "loud-tones", "no-tones"],
)
def test_plan_loudness_predicts_the_rendered_session(mini_path, mix):
    # Laid out with the real clips' lengths, the model of the plan reads what BS.1770
    # reads on the rendered samples, within half a LU.
    session, pcm = _session_and_pcm(mini_path, mix)
    tl = session.timeline()
    real = levels.loudness([pcm[:, c] for c in range(pcm.shape[1])], RATE)
    assert render.plan_loudness(tl.events, tl.length, session.mix) == pytest.approx(real, abs=0.5)


def test_plan_gain_lifts_a_rhythm_heavy_plan_on_the_tones(mini_path):
    # The same plan with more rhythm reads quieter, so it gets more gain; past
    # MAX_VOICE_GAIN only the tones are lifted, and never past MAX_TONE_PEAK_DB.
    voice = [Speech(0, RATE, text="x")]
    ticks = [tone(RATE * 2 + i * 3 * RATE, 3.0, Sound.HOLD, sustain=True) for i in range(50)]
    alone = render.plan_gain(voice, RATE * 160, Mix())
    few = render.plan_gain(voice + ticks[:2], RATE * 160, Mix())
    many = render.plan_gain(voice + ticks, RATE * 160, Mix())
    assert alone.gain < few.gain + few.tone_boost < many.gain + many.tone_boost
    assert many.gain == render.MAX_VOICE_GAIN and many.tone_boost > 0
    peak = 20 * math.log10(render.tone_gain(many) * tones.PEAK)
    assert peak <= render.MAX_TONE_PEAK_DB + 1e-6
    # Deterministic, and only the gains change.
    assert render.plan_gain(voice + ticks, RATE * 60, Mix()) == many
    assert (many.channels, many.tones, many.tone_volume) == (2, True, 0.0)
    # Silence needs nothing.
    assert render.plan_gain([], RATE, Mix()) == Mix()


def test_the_mix_ceiling_bends_only_what_is_over_its_knee():
    loud = Renderer(
        [tone(0, 1.0, Sound.BELL)], {}, Mix(tone_volume=10.0, gain=2.0, tone_boost=10.0)
    )
    out = loud.render(0, RATE)
    assert np.max(np.abs(out)) <= levels.db(render.MIX_CEILING_DB)
    quiet = Renderer([tone(0, 1.0, Sound.BELL)], {}, Mix()).render(0, RATE)
    assert np.max(np.abs(quiet)) < 0.7 * levels.db(render.MIX_CEILING_DB)

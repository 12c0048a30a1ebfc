"""The real eSpeak NG engine through pyttsx3, through coach's Speaker: voices, rates,
variants, literal text, and an engine that cannot load."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import wave

import numpy as np
import pytest

from coach import languages, speech
from coach.errors import InputError
from coach.speech import espeak
from coach.speech.speaker import Speaker, _trim
from conftest import RATE, coach_bin, make_sound, plan, run_coach, wait_until

LONG = (
    "Draw slow circles on your cheeks, then stroke up along the jaw line toward the "
    "cheekbone, and hold the lift for a moment before you let go."
)


def espeak_speaker(spec: str = "espeak:", rate: int | None = None) -> Speaker:
    return speech.open_speaker(spec, rate, cache=False)


@pytest.fixture(scope="module")
def engine() -> espeak.EspeakEngine:
    eng = espeak.EspeakEngine()
    yield eng
    eng.close()


def test_clip_is_float32_mono_at_the_session_rate(tmp_path):
    text = "Draw small circles on your cheeks."
    s = espeak_speaker("en-us", 150)
    try:
        clip = s.synthesize([text])[text]
        setting = espeak.EspeakEngine.setting(150)
    finally:
        s.close()
    assert clip.dtype == np.float32 and clip.ndim == 1 and len(clip) > 0
    assert np.all(np.isfinite(clip)) and np.max(np.abs(clip)) > 0.05
    # The same words from the espeak-ng program (which writes 22,050 Hz) last as many
    # samples once resampled: a clip read or resampled at the wrong rate is 8 % or more off.
    wav = tmp_path / "ref.wav"
    subprocess.run(
        ["espeak-ng", "-v", "gmw/en-us", "-s", str(setting), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    with wave.open(str(wav), "rb") as w:
        assert w.getframerate() == 22_050
        ref = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    expected = len(_trim(ref)) * RATE / 22_050
    assert len(clip) == pytest.approx(expected, rel=0.04)


def test_synthesis_is_repeatable_across_processes(mini_path):
    # Plans (coach script --json) and exports are made in different processes: the same
    # texts in the same order must give the same clips, or the plan would not describe
    # the file.
    a = plan(mini_path, "--voice", "en-us")
    assert a == plan(mini_path, "--voice", "en-us")
    assert a["voice"]["engine"] == "espeak"


def test_higher_rate_gives_a_shorter_clip():
    slow, fast = espeak_speaker(rate=120), espeak_speaker(rate=240)
    try:
        a = slow.synthesize([LONG])[LONG]
        b = fast.synthesize([LONG])[LONG]
    finally:
        slow.close()
        fast.close()
    assert len(a) >= 1.5 * len(b)


def test_each_speaker_speaks_at_its_own_rate():
    # Speakers share one engine: a rate change that eSpeak NG had not applied yet used
    # to be cancelled, so a clip came out at the previous Speaker's rate (a race; it
    # failed in about half the runs). Alternate rates several times, new text each time.
    lengths: dict[int, list[float]] = {120: [], 240: []}
    for i in range(3):
        for rate in (120, 240):
            text = f"Round {i} at this rate: {LONG}"
            s = espeak_speaker(rate=rate)
            try:
                lengths[rate].append(len(s.synthesize([text])[text]))
            finally:
                s.close()
    for slow, fast in zip(lengths[120], lengths[240]):
        assert slow >= 1.5 * fast, lengths
    for found in lengths.values():
        assert max(found) <= 1.05 * min(found), lengths


AFTER_CLOSE = """
import sys
from coach import speech

text = sys.argv[1]
for rate in (120, 240, 120):
    s = speech.open_speaker("espeak:", rate, cache=False)
    print(rate, len(s.synthesize([text])[text]))
    s.close()  # ends the engine thread, as a session does after every command
"""


@pytest.mark.process  # a fresh Python process
def test_speaker_after_close_works_at_its_rate():
    # Closing the last Speaker ends the engine thread; pyttsx3 then hands the same engine
    # to the next thread. It must neither hang nor keep the old rate. A fresh interpreter,
    # so that a hang is a timeout here, not a stuck test session.
    r = subprocess.run(
        [sys.executable, "-c", AFTER_CLOSE, LONG], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    lengths = [int(line.split()[1]) for line in r.stdout.splitlines()]
    assert len(lengths) == 3
    assert lengths[0] >= 1.5 * lengths[1] and lengths[2] >= 1.5 * lengths[1], lengths


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("en-us", "gmw/en-us"),
        ("gmw/en-us", "gmw/en-us"),
        ("English (America)", "gmw/en-us"),
        ("en-us+f3", "gmw/en-us+f3"),
        ("EN-US", "gmw/en-us"),
        ("en-gb-x-rp", "gmw/en-gb-x-rp"),
    ],
)
def test_voice_resolution(engine, spec, expected):
    assert engine.resolve(spec) == expected


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("en-us", "gmw/en-us"),
        ("espeak:en-us", "gmw/en-us"),
        ("English (America)", "gmw/en-us"),
        ("en-gb-x-rp+f3", "gmw/en-gb-x-rp+f3"),
        ("ESPEAK:gmw/en-gb-x-rp", "gmw/en-gb-x-rp"),
    ],
)
def test_every_espeak_spec_still_selects_espeak(spec, expected):
    s = speech.open_speaker(spec, None, cache=False)
    try:
        assert s.choice == speech.VoiceChoice("espeak", expected, espeak.EspeakEngine.default_rate)
    finally:
        s.close()


def test_a_voice_variant_speaks_and_differs():
    text = "Hello there."
    plain, variant = espeak_speaker("en-us"), espeak_speaker("en-us+f3")
    try:
        assert variant.voice == "gmw/en-us+f3"
        a, b = plain.synthesize([text])[text], variant.synthesize([text])[text]
    finally:
        plain.close()
        variant.close()
    assert len(b) > 0 and not (len(a) == len(b) and np.array_equal(a, b))


@pytest.mark.parametrize("spec", ["nosuch", "mb/mb-en1", "en-zz", "espeak:nosuch"])
def test_unknown_voice_raises_input_error(spec):
    with pytest.raises(InputError, match="coach voices"):
        speech.open_speaker(spec, None, cache=False)


def test_markup_is_spoken_literally():
    # With SSML or eSpeak markup on, "<speak>hello</speak>" would be just "hello".
    s = espeak_speaker()
    try:
        clips = s.synthesize(["hello", "<speak>hello</speak>"])
    finally:
        s.close()
    assert len(clips["<speak>hello</speak>"]) > 1.5 * len(clips["hello"])


@pytest.mark.parametrize("rate", list(languages.get("en").rate_range))
def test_rate_at_the_limits_works(rate):
    s = espeak_speaker(rate=rate)
    try:
        assert len(s.synthesize(["Fine."])["Fine."]) > 0
    finally:
        s.close()


def test_voices_lists_working_voices(engine):
    found = engine.voices()
    ids = {v.id for v in found}
    assert "gmw/en-us" in ids and "gmw/en-gb-x-rp" in ids
    assert len(found) > 50
    assert not any(v.id.startswith("mb/") for v in found)
    us = next(v for v in found if v.id == "gmw/en-us")
    assert us.name == "English (America)" and "en-us" in us.languages
    assert us.spec == "espeak:gmw/en-us"


def test_an_installed_mbrola_voice_is_offered_and_a_missing_one_is_not(engine, monkeypatch):
    # scripts/setup installs the mbrola program and its us1 voice (Debian's mbrola and
    # mbrola-us1), not en1. This eSpeak NG lists no MBROLA voice through pyttsx3, so add
    # two the way an engine with MBROLA voice files would: the installed one is offered
    # and speaks, the missing one is left out.
    import pyttsx3.voice

    assert shutil.which("mbrola") and (espeak.MBROLA_DATA / "us1").exists()
    assert not (espeak.MBROLA_DATA / "en1").exists()
    engine.start()
    real = engine._thread.engine

    class WithMbrola:
        def __getattr__(self, name):
            return getattr(real, name)

        def getProperty(self, name):
            value = real.getProperty(name)
            if name == "voices":
                value = list(value) + [
                    pyttsx3.voice.Voice("mb/mb-en1", "en-mbrola-1", [b"en"]),
                    pyttsx3.voice.Voice("mb/mb-us1", "us-mbrola-1", [b"en-us"]),
                ]
            return value

    monkeypatch.setattr(engine._thread, "engine", WithMbrola())
    assert len(engine._thread.engine.getProperty("voices")) == len(real.getProperty("voices")) + 2
    offered = {v.id for v in engine.voices()}
    assert "mb/mb-us1" in offered and "mb/mb-en1" not in offered
    with pytest.raises(InputError):
        engine.resolve("mb/mb-en1")
    assert espeak._works("gmw/en-us") and espeak._works("mb/mb-us1")
    assert not espeak._works("mb/mb-en1") and not espeak._works("mb/mb-af1-en")
    # The installed MBROLA voice really speaks (eSpeak NG through the mbrola program).
    out = subprocess.run(
        ["espeak-ng", "-v", "mb-us1", "--stdout", "Hello there."], capture_output=True, check=True
    ).stdout
    assert out[:4] == b"RIFF" and len(out) > 10_000


BROKEN_ENGINE = """
import sys
import pyttsx3

def init(*args, **kwargs):
    raise OSError("libespeak-ng.so.1: cannot open shared object file: No such file or directory")

pyttsx3.init = init
from coach import cli
sys.exit(cli.run(["script", "--json", "--voice", "en-us", sys.argv[1]]))
"""


@pytest.mark.process  # a fresh Python process
def test_engine_that_cannot_load_is_a_missing_part(mini_path, tmp_path):
    script = tmp_path / "broken_engine.py"
    script.write_text(BROKEN_ENGINE, encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(script), str(mini_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 3, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "eSpeak NG" in lines[0]
    assert "Traceback" not in r.stderr


def test_unknown_voice_through_the_cli(mini_path):
    r = run_coach("script", "--json", "--voice", "nosuch", mini_path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "nosuch" in lines[0] and "coach voices" in lines[0]
    assert "Traceback" not in r.stderr


def test_ctrl_c_during_synthesis_is_one_line_and_leaves_nothing(tmp_path):
    # What the tester did: Ctrl-C while eSpeak NG is making clips. Its temporary folder was
    # removed before its thread had finished the clip, which then printed "RuntimeError:
    # Error saving WAV file" and "AttributeError: 'Wave_write' object has no attribute
    # '_file'" (3 runs of 6). Here at several moments into synthesis, for real.
    routine = tmp_path / "talk.toml"
    routine.write_text(
        'title = "Talk"\n\n'
        + "\n".join(
            f'[[steps]]\ntitle = "Step {n}"\nsay = "This is line {n}. It goes on for a while, so '
            f'that eSpeak has something to do while it is interrupted, step {n}."\n'
            'motion = "press"\nreps = 1\nseconds = 1.0\n'
            for n in range(1, 31)
        ),
        encoding="utf-8",
    )
    for run, clips_made in enumerate((1, 2, 3, 5, 8)):
        tmp, cache, work = (tmp_path / f"{name}{run}" for name in ("tmp", "cache", "work"))
        for folder in (tmp, cache, work):
            folder.mkdir()
        env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache)}
        proc = subprocess.Popen(
            [
                str(coach_bin()),
                "export",
                str(routine),
                "--voice",
                "espeak:en-us",
                "-o",
                str(work / "talk.mp3"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            wait_until(
                lambda: len(list(cache.rglob("*.clip"))) >= clips_made or proc.poll() is not None,  # noqa: B023 (called at once)
                "clips made",
                tries=24_000,
            )
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            proc.kill()
        assert proc.returncode == 130, stderr
        assert stderr == "coach: interrupted\n", stderr
        assert list(tmp.iterdir()) == [] and list(work.iterdir()) == []


def test_a_clip_wave_cannot_read_is_decoded_with_ffmpeg(tmp_path):
    # macOS's engine writes AIFF whatever the file is called: ffmpeg (coach.media) reads it.
    from coach.clock import RATE

    path = tmp_path / "clip.wav"
    make_sound(path, "sine=frequency=440:duration=0.5", "-ar", "22050", "-f", "aiff")
    rate, x = espeak._read_clip(path)
    assert rate == RATE and x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - RATE // 2) <= 2 and 0.05 < np.abs(x).max() <= 1.0

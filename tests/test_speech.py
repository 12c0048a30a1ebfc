"""The real Speaker: eSpeak NG through pyttsx3, no mocks except where the engine must
fail to load (and that runs in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from conftest import RATE, plan, run_coach
from coach import speech, tones
from coach.errors import InputError
from coach.speech import Speaker

LONG = ("The quick brown fox jumps over the lazy dog, and then it rests beside the quiet "
        "river for a while before walking slowly home.")


@pytest.fixture(scope="module")
def speaker() -> Speaker:
    with Speaker() as s:
        yield s


def test_clip_is_float32_mono_at_the_session_rate(speaker, tmp_path):
    text = "Draw small circles on your cheeks."
    clip = speaker.synthesize([text])[text]
    assert clip.dtype == np.float32 and clip.ndim == 1 and len(clip) > 0
    assert np.all(np.isfinite(clip)) and np.max(np.abs(clip)) > 0.05
    # The same words from the espeak-ng program (which writes 22,050 Hz) last as many
    # samples: a clip read or resampled at the wrong rate would be 10 % or more off.
    wav = tmp_path / "ref.wav"
    subprocess.run(["espeak-ng", "-v", speaker.voice_id, "-s", str(speaker.rate), "-w", str(wav),
                    text], check=True, capture_output=True)
    with wave.open(str(wav), "rb") as w:
        assert w.getframerate() == 22_050
        ref = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    ref = speech._trim(ref)
    assert len(clip) == pytest.approx(len(ref) * RATE / 22_050, rel=0.05)


def test_each_text_is_synthesized_once(speaker, monkeypatch):
    """A Session keeps every clip; its Speaker is asked for each distinct text once."""
    from coach.routine import loads
    from coach.session import Options, Session
    from conftest import MINI

    session = Session(loads(MINI), Options(), speaker=speaker)
    calls = []
    real = speaker._speak_to_file
    monkeypatch.setattr(speaker, "_speak_to_file", lambda *a: calls.append(a[0]) or real(*a))
    session.timeline()
    session.timeline()
    list(session.blocks(22_050))
    assert sorted(calls) == sorted(session.script.texts())
    again = speaker.synthesize(["Once.", "Once."])
    assert list(again) == ["Once."] and calls.count("Once.") == 1


def test_synthesis_is_repeatable_across_processes(mini_path):
    # Plans (coach script --json) and exports are made in different processes: the same
    # texts in the same order must give the same clips, or the plan would not describe
    # the file. (Inside one process eSpeak NG's noise source moves on, so a text spoken
    # again by a second Speaker can differ by a few samples; the Speaker's cache and a
    # fresh process per command keep that out of the sessions.)
    assert plan(mini_path) == plan(mini_path)


def test_higher_rate_gives_a_shorter_clip():
    with Speaker(rate=120) as slow, Speaker(rate=240) as fast:
        a = slow.synthesize([LONG])[LONG]
        b = fast.synthesize([LONG])[LONG]
    assert len(a) >= 1.5 * len(b)


def test_each_speaker_speaks_at_its_own_rate():
    # Speakers share one engine: a rate change that eSpeak NG had not applied yet used
    # to be cancelled, so a clip came out at the previous Speaker's rate (a race; it
    # failed in about half the runs). Alternate rates several times, new text each time.
    lengths: dict[int, list[float]] = {120: [], 240: []}
    for i in range(3):
        for rate in (120, 240):
            text = f"Round {i} at this rate: {LONG}"
            with Speaker(rate=rate) as s:
                lengths[rate].append(len(s.synthesize([text])[text]))
    for slow, fast in zip(lengths[120], lengths[240]):
        assert slow >= 1.5 * fast, lengths
    for rate, found in lengths.items():
        assert max(found) <= 1.05 * min(found), lengths


AFTER_SHUTDOWN = """
import sys
from coach import speech

text = sys.argv[1]
for rate in (120, 240, 120):
    with speech.Speaker(rate=rate) as s:
        print(rate, len(s.synthesize([text])[text]))
    speech.shutdown()  # as cli.run does after every command
"""


def test_speaker_after_shutdown_works_at_its_rate(tmp_path):
    # cli.run ends the engine thread after each command; pyttsx3 then hands the same
    # engine to the next thread. It must neither hang nor keep the old rate. Run in a
    # fresh interpreter so a hang is a timeout here, not a stuck test session.
    r = subprocess.run([sys.executable, "-c", AFTER_SHUTDOWN, LONG], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    lengths = [int(line.split()[1]) for line in r.stdout.splitlines()]
    assert len(lengths) == 3
    assert lengths[0] >= 1.5 * lengths[1] and lengths[2] >= 1.5 * lengths[1], lengths


@pytest.mark.parametrize("spec,expected", [
    ("en-us", "gmw/en-us"),
    ("gmw/en-us", "gmw/en-us"),
    ("English (America)", "gmw/en-us"),
    ("en-us+f3", "gmw/en-us+f3"),
    ("EN-US", "gmw/en-us"),
    ("en-gb-x-rp", "gmw/en-gb-x-rp"),
])
def test_voice_resolution(speaker, spec, expected):
    assert speaker.resolve(spec) == expected


def test_a_voice_variant_speaks_and_differs():
    text = "Hello there."
    with Speaker("en-us") as plain, Speaker("en-us+f3") as variant:
        assert variant.voice_id == "gmw/en-us+f3"
        a, b = plain.synthesize([text])[text], variant.synthesize([text])[text]
    assert len(b) > 0 and not (len(a) == len(b) and np.array_equal(a, b))


def test_default_voice(speaker):
    assert speaker.voice_id.endswith(speech.DEFAULT_VOICE)
    assert speaker.rate == speech.DEFAULT_RATE


@pytest.mark.parametrize("spec", ["nosuch", "mb/mb-en1", "en-zz", ""])
def test_unknown_voice_raises_input_error(speaker, spec):
    with pytest.raises(InputError, match="coach voices"):
        speaker.resolve(spec)


def test_unknown_voice_in_the_constructor():
    with pytest.raises(InputError, match="coach voices"):
        Speaker("nosuch")


def test_unknown_voice_through_the_cli(mini_path):
    r = run_coach("script", "--json", "--voice", "nosuch", mini_path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "nosuch" in lines[0] and "coach voices" in lines[0]
    assert "Traceback" not in r.stderr


def test_markup_is_spoken_literally(speaker):
    # With SSML or eSpeak markup on, "<speak>hello</speak>" would be just "hello".
    clips = speaker.synthesize(["hello", "<speak>hello</speak>"])
    assert len(clips["<speak>hello</speak>"]) > 1.5 * len(clips["hello"])


@pytest.mark.parametrize("rate", [0, 79, 401, 1000, -5])
def test_rate_out_of_range(rate):
    with pytest.raises(InputError, match="--rate"):
        Speaker(rate=rate)


@pytest.mark.parametrize("rate", list(speech.RATE_RANGE))
def test_rate_at_the_limits_works(rate):
    with Speaker(rate=rate) as s:
        assert len(s.synthesize(["Fine."])["Fine."]) > 0


def test_voices_lists_working_voices(speaker):
    found = speaker.voices()
    ids = {v.id for v in found}
    assert "gmw/en-us" in ids and "gmw/en-gb-x-rp" in ids
    assert len(found) > 50
    assert not any(v.id.startswith("mb/") for v in found)
    us = next(v for v in found if v.id == "gmw/en-us")
    assert us.name == "English (America)" and "en-us" in us.languages


def test_voices_excludes_mbrola_voices(speaker, monkeypatch):
    # This eSpeak NG lists no MBROLA voice through pyttsx3, so add one the way an engine
    # with MBROLA voice files would: it must be left out, since the mbrola program and
    # its data are not installed.
    import pyttsx3.voice

    assert not Path("/usr/share/mbrola").exists()
    real = speaker._engine

    class WithMbrola:
        def __getattr__(self, name):
            return getattr(real, name)

        def getProperty(self, name):
            value = real.getProperty(name)
            if name == "voices":
                value = list(value) + [pyttsx3.voice.Voice("mb/mb-en1", "en-mbrola-1", [b"en"])]
            return value

    monkeypatch.setattr(speaker, "_engine", WithMbrola())
    assert len(speaker._engine.getProperty("voices")) == len(real.getProperty("voices")) + 1
    assert not any(v.id.startswith("mb/") for v in speaker.voices())
    with pytest.raises(InputError):
        speaker.resolve("mb/mb-en1")
    assert speech._works(speech.Voice("gmw/en-us", "English (America)", ("en-us",)))
    assert not speech._works(speech.Voice("mb/mb-en1", "en-mbrola-1", ("en",)))


BROKEN_ENGINE = """
import sys
import pyttsx3

def init(*args, **kwargs):
    raise OSError("libespeak-ng.so.1: cannot open shared object file: No such file or directory")

pyttsx3.init = init
from coach import cli
sys.exit(cli.run(["script", "--json", sys.argv[1]]))
"""


def test_engine_that_cannot_load_is_a_missing_part(mini_path, tmp_path):
    script = tmp_path / "broken_engine.py"
    script.write_text(BROKEN_ENGINE, encoding="utf-8")
    r = subprocess.run([sys.executable, str(script), str(mini_path)], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "speech engine" in lines[0] and "eSpeak NG" in lines[0]
    assert "Traceback" not in r.stderr

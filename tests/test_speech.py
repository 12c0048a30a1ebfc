"""The speech layer's interface with a fake engine (the fast lane): spec parsing, rates,
coach's processing of an engine's output, the cache through a Speaker, the fallback."""

from __future__ import annotations

import numpy as np
import pytest

from coach import languages, speech
from coach.errors import InputError, MissingPartError
from coach.speech import speaker as speaker_mod
from coach.speech.cache import ClipCache
from coach.speech.engine import Engine, Utterance, Voice, interpolate_rate
from coach.speech.speaker import SENTENCE_PAUSE, Speaker, finish
from conftest import RATE


class FakeEngine:
    """An engine that 'speaks' a 16 kHz tone per sentence, one sentence per word count."""

    name = "fake"
    default_rate = 100
    default_voice = "one"

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.spoken: list[str] = []
        self.closed = False

    def version(self) -> str:
        return "1"

    def voices(self) -> list[Voice]:
        return [Voice(self.name, "one", "One", ("xx",))]

    def resolve(self, spec: str) -> str:
        if spec != "one":
            raise InputError(f"--voice {spec}: no")
        return spec

    def identity(self, voice: str, rate: int) -> str:
        return f"{voice}@{rate}"

    def probe(self) -> None:
        if self.broken:
            raise MissingPartError("the fake cannot start")

    def start(self) -> None:
        self.probe()

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        self.spoken.append(text)
        t = np.arange(int(16_000 * 0.3)) / 16_000
        tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        pad = np.zeros(3200, np.float32)
        return Utterance(16_000, tuple(np.concatenate([pad, tone, pad]) for _ in text.split(". ")))

    def close(self) -> None:
        self.closed = True


def test_fake_satisfies_the_protocol():
    eng: Engine = FakeEngine()  # mypy checks the structure; here the runtime shape
    assert {"name", "default_rate", "default_voice"} <= set(dir(eng))


def test_each_text_is_made_once_and_cached(tmp_path):
    eng = FakeEngine()
    s = Speaker(eng, "one", 100, ClipCache(tmp_path))
    first = s.synthesize(["A.", "B. C.", "A."])
    assert list(first) == ["A.", "B. C."] and eng.spoken == ["A.", "B. C."]
    s2 = Speaker(FakeEngine(), "one", 100, ClipCache(tmp_path))
    again = s2.synthesize(["B. C.", "A."])
    assert s2.engine.spoken == []  # type: ignore[attr-defined]
    for text in first:
        assert np.array_equal(first[text], again[text])
    # Another rate is another clip.
    s3 = Speaker(FakeEngine(), "one", 120, ClipCache(tmp_path))
    s3.synthesize(["A."])
    assert s3.engine.spoken == ["A."]  # type: ignore[attr-defined]


def test_sentences_are_joined_with_coach_pause():
    eng = FakeEngine()
    one = finish(eng.speak("A", "one", 100))
    two = finish(eng.speak("A. B", "one", 100))
    assert one.dtype == np.float32
    # Resampled 16 kHz -> RATE: 0.3 s of tone plus the kept lead and tail.
    assert len(one) == pytest.approx((0.3 + speaker_mod.LEAD + speaker_mod.TAIL) * RATE, abs=2)
    assert len(two) == 2 * len(one) + round(SENTENCE_PAUSE * RATE)
    gap = two[len(one) : len(one) + round(SENTENCE_PAUSE * RATE)]
    assert not gap.any()
    # Every edge is faded: no piece starts or ends on a click.
    assert abs(one[0]) < 1e-3 and abs(one[-1]) < 1e-3


def test_resampling_keeps_a_tone_in_tune():
    t = np.arange(22_050) / 22_050
    x = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    y = speaker_mod.resample(x, 22_050)
    assert len(y) == RATE
    spectrum = np.abs(np.fft.rfft(y[1000:-1000] * np.hanning(len(y) - 2000)))
    peak = np.argmax(spectrum) * RATE / (len(y) - 2000)
    assert peak == pytest.approx(1000, abs=2)


def test_an_engine_that_cannot_start_falls_back_once(tmp_path):
    broken, spare = FakeEngine(broken=True), FakeEngine()
    used = []

    def fallback(problem: MissingPartError) -> Speaker:
        used.append(str(problem))
        return Speaker(spare, "one", 90, ClipCache(tmp_path))

    s = Speaker(broken, "one", 100, ClipCache(tmp_path), fallback)
    s.synthesize(["A."])
    s.synthesize(["B."])
    assert used == ["the fake cannot start"] and spare.spoken == ["A.", "B."]
    assert s.choice == speech.VoiceChoice("fake", "one", 90)
    s.close()
    assert spare.closed and broken.closed


def test_an_engine_chosen_by_the_user_does_not_fall_back(tmp_path):
    s = Speaker(FakeEngine(broken=True), "one", 100, ClipCache(tmp_path))
    with pytest.raises(MissingPartError):
        s.synthesize(["A."])


def test_rate_table_interpolates_and_clamps():
    table = ((0.5, 100.0), (1.0, 200.0))
    assert interpolate_rate(table, 150) == pytest.approx(0.75)
    assert interpolate_rate(table, 50) == 0.5 and interpolate_rate(table, 900) == 1.0


@pytest.mark.parametrize("rate", [0, 79, 401, 1000, -5])
def test_rate_out_of_range(rate):
    with pytest.raises(InputError, match="--rate"):
        speech.open_speaker(None, rate, cache=False)


def test_default_voice_is_the_neural_one():
    s = speech.open_speaker(None, None, cache=False)
    assert s.choice == speech.VoiceChoice("hibari", "heart", 130)
    slow = speech.open_speaker(None, None, pace_speech=0.9, cache=False)
    assert slow.choice.rate == round(130 * 0.9)
    assert speech.default_spec() == "hibari:heart"


@pytest.mark.parametrize("spec", ["hibari:heart", "heart", "HIBARI:Heart", "hibari:"])
def test_neural_specs(spec):
    assert speech.open_speaker(spec, 150, cache=False).choice == speech.VoiceChoice(
        "hibari", "heart", 150
    )


@pytest.mark.parametrize("spec", ["hibari:emma", "hibari:nope", "nope:heart"])
def test_voices_that_would_need_a_download_or_do_not_exist(spec):
    with pytest.raises(InputError, match="coach voices"):
        speech.open_speaker(spec, None, cache=False)


def test_voices_lists_every_engine_and_no_downloads():
    found, problems = speech.voices()
    assert problems == []
    engines = {v.engine for v in found}
    assert engines == {"hibari", "kokoro-ja", "espeak"}
    assert [v.id for v in found if v.engine == "hibari"] == ["heart"]
    assert [v.id for v in found if v.engine == "kokoro-ja"] == [
        "jf_alpha",
        "jf_gongitsune",
        "jf_nezumi",
        "jf_tebukuro",
        "jm_kumo",
    ]
    assert found[0].spec == speech.default_spec()
    specs = {v.spec for v in found}
    for code in languages.names():  # every language's default voice is there
        assert speech.default_spec(code) in specs, code

"""A Japanese session end to end, through the real `coach`: anma in Japanese with the
Japanese neural voice, its export (length, loudness, silence, tags, cue sheets, chapters)
and `coach play` sending exactly the exported samples.

The session is anma from its fifth step (`--from 5`): its introduction (one line when a
session starts at a later step), the lip plucks, the wind-down and the closing, about 350
characters of Japanese. The whole routine has about 1,200, which the Japanese voice took
almost eight minutes of one core to say on the CI machine (more than half the full lane's
budget); every line of it is checked below without speaking it. The session is exported
once for the module (marked slow), and every other export here reads its clips back from
the run's clip cache."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import webvtt
from test_player import assert_play_equals_export

from coach import numbers, script
from coach.catalog import resolve
from coach.cuesheet import JA_LINE
from conftest import RATE, decode, ebur128, longest_silence, plan, run_coach

pytestmark = pytest.mark.slow

SESSION = ("anma", "--language", "ja", "--from", "5")


@pytest.fixture(scope="module")
def japanese(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("anma-ja")
    r = run_coach(
        "export",
        *SESSION,
        "-o",
        folder / "anma.mp3",
        "--cues",
        folder / "anma.vtt",
        "--chapters",
        folder / "anma.json",
        timeout=3600,
    )
    assert r.returncode == 0, r.stderr
    return folder, plan(*SESSION)


def _japanese(text: str) -> bool:
    return not any(ch.isascii() and ch.isalpha() for ch in text)


def test_every_word_is_japanese_and_the_voice_is_the_japanese_neural_one(japanese):
    _, p = japanese
    assert p["language"] == "ja"
    assert p["voice"] == {"engine": "kokoro-ja", "id": "jf_alpha", "rate": 330}
    said = [e["text"] for e in p["events"] if e["kind"] == "speech"]
    assert said and all(_japanese(t) for t in said), [t for t in said if not _japanese(t)]
    assert said[0] == "顔の按摩。ステップ五から始めます。"
    whole = resolve("anma", "ja")
    steps = numbers.japanese(len(whole.steps))
    assert any(t.startswith(f"全{steps}ステップの五番目") for t in said)
    assert any(t.startswith(f"全{steps}ステップの六番目") for t in said)
    titles = [c["title"] for c in p["chapters"]]
    assert titles == ["はじめに", whole.steps[4].title, whole.steps[5].title, "おわりに"]
    # The whole routine, as coach would speak it from the start (not spoken here).
    said = script.build(whole).texts()
    assert all(_japanese(t) for t in said), [t for t in said if not _japanese(t)]
    assert said[0] == "ようこそ。目を閉じる前に、少し準備をしましょう。"
    assert any(t.startswith(f"全{steps}ステップの一番目") for t in said)


def test_export_decodes_to_the_planned_length_at_the_session_levels(japanese):
    folder, p = japanese
    audio = decode(folder / "anma.mp3")
    assert len(audio) == round(p["duration"] * RATE)
    loudness, peak = ebur128(folder / "anma.mp3")
    assert loudness == pytest.approx(-16, abs=1) and peak <= -0.5
    silence, _ = longest_silence(audio)
    assert silence < 5.0


def test_tags_cue_sheet_and_chapters_say_japanese(japanese):
    from mutagen.id3 import ID3

    folder, p = japanese
    tags = ID3(folder / "anma.mp3")
    assert tags["TLAN"].text == ["jpn"] and tags.getall("COMM")[0].lang == "jpn"
    assert str(tags["TIT2"]) == "顔の按摩（ステップ5「くちびるつまみ」から）"  # a part, in Japanese
    text = (folder / "anma.vtt").read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\nLanguage: ja\n\n")
    cues = webvtt.read_buffer(io.StringIO(text))
    spoken = [e for e in p["events"] if e["kind"] == "speech"]
    assert len(cues) == len(spoken)
    for cue, e in zip(cues, spoken):
        assert cue.text.replace("\n", "") == e["text"]
        assert all(len(line) <= JA_LINE for line in cue.text.splitlines())
    chapters = json.loads((folder / "anma.json").read_text(encoding="utf-8"))
    assert [c["title"] for c in chapters["chapters"]] == [c["title"] for c in p["chapters"]]


def test_play_sends_exactly_the_exported_samples(japanese, tmp_path):
    # The clips are in the run's cache from the export above: nothing is spoken again.
    assert_play_equals_export(tmp_path, SESSION[0], list(SESSION[1:]))


def test_ogg_and_wav_name_the_language(japanese, tmp_path):
    from mutagen.oggvorbis import OggVorbis

    # The clips are in the run's cache from the export above.
    r = run_coach("export", *SESSION, "-o", tmp_path / "m.ogg")
    assert r.returncode == 0, r.stderr
    assert OggVorbis(tmp_path / "m.ogg")["language"] == ["ja"]
    r = run_coach("export", *SESSION, "-o", tmp_path / "m.wav")
    assert r.returncode == 0, r.stderr
    assert (
        b"ILNG" in (tmp_path / "m.wav").read_bytes()[-4096:]
        or b"ILNG" in (tmp_path / "m.wav").read_bytes()[:4096]
    )
    assert np.any(decode(tmp_path / "m.wav"))

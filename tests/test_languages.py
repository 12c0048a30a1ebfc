"""The language table: codes, rate units, voices per language."""

from __future__ import annotations

import json

import pytest

from coach import languages
from coach.errors import InputError
from conftest import run_coach


@pytest.mark.parametrize("code", ["ja", "JA", "ja-JP", "ja_JP"])
def test_a_bcp47_code_names_its_language(code):
    assert languages.get(code).code == "ja"


def test_an_unknown_language_is_one_line_naming_the_option():
    with pytest.raises(InputError) as e:
        languages.get("tlh", "--language")
    assert str(e.value).startswith("--language tlh: coach speaks en, ja, de, fr, es")
    assert "\n" not in str(e.value)


def test_japanese_rate_is_in_morae_english_in_words():
    ja, en = languages.get("ja"), languages.get("en")
    assert ja.rate_words == "morae per minute" and en.rate_words == "words per minute"
    assert en.units("Draw slow circles.") == 3
    assert ja.units("ゆっくり") == 4


def test_every_language_has_a_voice_and_a_fallback_of_its_own():
    for lang in languages.LANGUAGES.values():
        engine, _, voice = lang.voice.partition(":")
        assert engine and voice, lang
        assert lang.fallback.startswith("espeak:"), lang
        # Only the languages eSpeak NG speaks by default say so.
        assert bool(lang.note) == lang.voice.startswith("espeak:"), lang


def test_speaks_matches_the_primary_subtag():
    assert languages.speaks(("en-us",), "en")
    assert languages.speaks(("ja",), "ja")
    assert not languages.speaks(("en-us",), "ja")


MINI_DE = """\
language = "de"
title = "Kurz"

[[steps]]
title = "Kreise"
say = "Kleine Kreise auf den Wangen."
motion = "circle"
reps = 2
seconds = 1.5
"""


def test_a_german_session_speaks_german_with_espeak_and_says_so_once(tmp_path):
    path = tmp_path / "kurz.toml"
    path.write_text(MINI_DE, encoding="utf-8")
    r = run_coach("script", "--json", path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == (
        "coach: no neural voice for German installs with coach: eSpeak NG "
        "speaks it (clear, but robotic)\n"
    )
    p = json.loads(r.stdout)
    assert (
        p["language"] == "de" and p["voice"]["engine"] == "espeak" and p["voice"]["id"] == "gmw/de"
    )
    said = [e["text"] for e in p["events"] if e["kind"] == "speech"]
    assert "Schritt eins von eins: Kreise." in said
    assert [c["title"] for c in p["chapters"]] == ["Einleitung", "Kreise", "Abschluss"]


def test_a_voice_that_does_not_speak_the_language_is_status_2(tmp_path):
    path = tmp_path / "kurz.toml"
    path.write_text(MINI_DE, encoding="utf-8")
    r = run_coach("script", path, "--voice", "hibari:heart")
    assert r.returncode == 2
    assert r.stderr == (
        "coach: --voice hibari:heart: speaks en-us, not German; "
        "'coach voices --lang de' lists the German voices\n"
    )

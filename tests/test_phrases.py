"""coach's own phrases in every language it speaks: from complete catalogs only."""

from __future__ import annotations

import string

import pytest

from coach import phrases, translations
from coach.errors import InputError
from coach.phrases import Phrases


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", phrases.available())
def test_every_phrase_says_something_with_the_same_fields(code):
    # A field may change case ({Side} where a language's grammar wants {side}): the caller
    # passes both; none is lost and none is made up.
    p = Phrases(code)
    for key, english in phrases.PHRASES.items():
        translated = p._t.pgettext(key, english)
        assert {f.casefold() for f in fields(translated)} == {
            f.casefold() for f in fields(english)
        }, (code, key, translated)
        values = {
            name: f"<{name}>" for f in fields(english) for name in (f.lower(), f.capitalize())
        }
        assert p(key, **values).strip(), key
    assert len(set(p.coaching())) == len(phrases.SPARE_COACHING)
    assert p.side("left") != p.side("right")


def test_japanese_speaks_japanese():
    p = Phrases("ja")
    step = p("step", number=p.number(2), count=p.number(5), title="頬のまる")
    assert step == "全五ステップの二番目、頬のまる。"
    assert p.count(3) == "三" and p.side("left") == "左"
    assert all(ord(ch) > 0x3000 for ch in p("halfway") if not ch.isspace())


def test_english_is_the_source_text():
    p = Phrases("en")
    assert p("halfway") == "Halfway." and p.number(2) == "two" and p.side("right") == "right"


def test_japanese_and_english_are_available():
    assert {"en", "ja"} <= set(phrases.available())


def test_a_language_without_a_catalog_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(phrases, "LOCALE", tmp_path)
    phrases._translations.cache_clear()
    try:
        with pytest.raises(InputError) as e:
            Phrases("ja")
        assert str(e.value) == (
            "--language ja: coach's phrases have no Japanese catalog yet; "
            "a language needs one (see README, Languages)"
        )
    finally:
        phrases._translations.cache_clear()


def test_a_catalog_missing_one_phrase_is_refused(tmp_path, monkeypatch):
    from babel.messages.mofile import write_mo

    catalog = translations.read_po("ja")
    catalog.delete(phrases.PHRASES["halfway"], context="halfway")
    folder = tmp_path / "ja" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "coach.mo", "wb") as f:
        write_mo(f, catalog)
    monkeypatch.setattr(phrases, "LOCALE", tmp_path)
    phrases._translations.cache_clear()
    try:
        with pytest.raises(InputError) as e:
            Phrases("ja")
        assert "lacks 1 of its phrases (such as 'Halfway.')" in str(e.value)
        assert "\n" not in str(e.value)
    finally:
        phrases._translations.cache_clear()

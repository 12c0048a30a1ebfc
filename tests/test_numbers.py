"""Numbers in each language's words."""

from __future__ import annotations

import pytest

from coach import numbers


@pytest.mark.parametrize(
    "n, words",
    [
        (1, "one"),
        (14, "fourteen"),
        (21, "twenty one"),
        (100, "one hundred"),
        (120, "one hundred and twenty"),
    ],
)
def test_english(n, words):
    assert numbers.words(n, "en") == words


@pytest.mark.parametrize(
    "n, kanji",
    [
        (1, "一"),
        (4, "四"),
        (10, "十"),
        (14, "十四"),
        (20, "二十"),
        (35, "三十五"),
        (100, "百"),
        (105, "百五"),
        (200, "二百"),
    ],
)
def test_japanese_kanji_numerals(n, kanji):
    assert numbers.words(n, "ja") == kanji


def test_every_count_coach_says_has_words_in_every_language():
    for language in numbers.WORDS:
        said = [numbers.words(n, language) for n in range(1, 201)]
        assert all(said) and len(set(said)) == 200, language

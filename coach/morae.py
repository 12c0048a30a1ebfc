"""Morae: the unit Japanese speakers time speech in (one beat each: か, ん, ッ, ー; きゃ is
one), and so the unit of a Japanese voice's rate (morae per minute).

``count`` counts the morae of a reading in kana exactly. ``estimate`` guesses them for
written Japanese, before any reading is made (the script's length estimates are made
without loading the voice): kana count as they are read, and each kanji as
KANJI_MORAE, the mean fitted on the readings of coach's Japanese routines
(scripts/measure-rates prints the fit).
"""

from __future__ import annotations

import unicodedata

#: Small kana that join the kana before them into one mora (ゃ in きゃ); ッ and ー are
#: morae of their own.
_JOINING = frozenset("ゃゅょぁぃぅぇぉゎャュョァィゥェォヮ")
#: Morae one kanji is read as, on average: fitted by scripts/measure-rates on the
#: readings (pyopenjtalk) of the built-in Japanese routines (anma: 154 kanji, 1.43 each).
KANJI_MORAE = 1.43
#: A Latin letter or digit, read out in katakana (ＬＥＤ: エルイーディー), about.
OTHER_MORAE = 1.5


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f" or "\u30a0" <= ch <= "\u30ff" or ch == "ー"


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch == "々"


def count(kana: str) -> int:
    """The morae in a reading written in kana (hiragana or katakana); anything else in it
    (punctuation, spaces) counts nothing."""
    return sum(1 for ch in kana if _is_kana(ch) and ch not in _JOINING and ch not in "・゛゜")


def estimate(text: str) -> float:
    """About how many morae ``text`` (Japanese as written: kanji, kana, some Latin letters
    and digits) is read as. Punctuation and spaces count nothing."""
    total = 0.0
    for ch in unicodedata.normalize("NFKC", text):
        if _is_kana(ch):
            total += 0 if ch in _JOINING or ch in "・゛゜" else 1
        elif _is_kanji(ch):
            total += KANJI_MORAE
        elif ch.isalnum():
            total += OTHER_MORAE
    return total

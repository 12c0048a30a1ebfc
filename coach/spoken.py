"""What of a line is spoken: the text handed to a voice, without emoji and symbols.

Routine text may carry emoji and pictographs ("Smile 😊"). A voice reads them out by
their Unicode names ("smiling face with smiling eyes"), which is never what the author
meant, so they are left out of what is spoken; cue sheets keep the text as written.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Unicode categories never spoken: other symbols (emoji, pictographs, dingbats, arrows),
#: modifier symbols (skin tones, lone accents), format characters (zero-width joiners),
#: enclosing marks (keycaps), surrogates and private-use characters.
_SILENT_CATEGORIES = frozenset({"So", "Sk", "Cf", "Me", "Cs", "Co"})
#: Variation selectors (an emoji's text/picture presentation): marks that only dress up a symbol.
_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
#: Mathematical signs a voice reads well; other ones (arrows, operators) are pictures too.
_SPOKEN_MATH = frozenset("+-=<>|~^×÷±¬")
_SPACES = re.compile(r"\s+")
#: A space left before punctuation where a symbol was removed ("Smile 😊." -> "Smile.").
_SPACE_BEFORE_STOP = re.compile(r" +([.,;:!?)\]])")


@functools.lru_cache(maxsize=4096)  # the same few hundred lines, asked for again and again
def speakable(text: str) -> str:
    """``text`` as a voice should read it: emoji, pictographs and other symbols removed,
    whitespace (including newlines) collapsed to single spaces. Letters, digits,
    punctuation, currency and plain arithmetic signs are kept. Pure; "" when nothing of
    ``text`` can be spoken (a line of emoji only)."""
    kept = "".join(ch for ch in _SELECTORS.sub("", text) if not _silent(ch))
    kept = _SPACES.sub(" ", kept).strip()
    return _SPACE_BEFORE_STOP.sub(r"\1", kept)


def _silent(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in _SILENT_CATEGORIES or (category == "Sm" and ch not in _SPOKEN_MATH)


def is_speakable(text: str) -> bool:
    """Whether any part of ``text`` would be spoken (``speakable(text)`` is not empty)."""
    return bool(speakable(text))


_DIGITS = re.compile(r"\d+")
_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = (
    "",
    " thousand",
    " million",
    " billion",
    " trillion",
    " quadrillion",
    " quintillion",
    " sextillion",
    " septillion",
    " octillion",
    " nonillion",
    " decillion",
)


def spoken_length(text: str) -> int:
    """How long ``text`` is as a voice reads it, in characters: its speakable part with
    every number counted as the English words it is read as ("987654321" is "nine
    hundred eighty-seven million ...": 90 characters, not 9). The measure of a line's
    length for estimates, limits and splitting (coach.speech.pieces)."""
    spoken = speakable(text)
    return len(spoken) + sum(
        number_length(m.group()) - len(m.group()) for m in _DIGITS.finditer(spoken)
    )


def number_length(digits: str) -> int:
    """Characters of the English words for the number written as ``digits`` (a number
    too long for named scales is read digit by digit: "seven " each)."""
    n = int(digits)
    if len(digits.lstrip("0")) > 3 * len(_SCALES):
        return 6 * len(digits)
    if n == 0:
        return len(_SMALL[0]) * len(digits)  # "007": zero zero seven, near enough
    words: list[str] = []
    for scale in _SCALES:
        n, group = divmod(n, 1000)
        if group:
            words.insert(0, _below_thousand(group) + scale)
        if not n:
            break
    return len(" ".join(words))


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    out = [f"{_SMALL[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        out.append(_TENS[tens] + (f"-{_SMALL[ones]}" if ones else ""))
    elif rest:
        out.append(_SMALL[rest])
    return " ".join(out)

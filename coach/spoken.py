"""What of a line is spoken: the text handed to a voice, without emoji and symbols.

Routine text may carry emoji and pictographs ("Smile 😊"). A voice reads them out by
their Unicode names ("smiling face with smiling eyes"), which is never what the author
meant, so they are left out of what is spoken; cue sheets keep the text as written.
"""

from __future__ import annotations

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


def speakable(text: str) -> str:
    """``text`` as a voice should read it: emoji, pictographs and other symbols removed,
    whitespace (including newlines) collapsed to single spaces. Letters, digits,
    punctuation, currency and plain arithmetic signs are kept. Pure; "" when nothing of
    ``text`` can be spoken (a line of emoji only)."""
    kept = "".join(ch for ch in _SELECTORS.sub("", text)
                   if not _silent(ch))
    kept = _SPACES.sub(" ", kept).strip()
    return _SPACE_BEFORE_STOP.sub(r"\1", kept)


def _silent(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in _SILENT_CATEGORIES or (category == "Sm" and ch not in _SPOKEN_MATH)


def is_speakable(text: str) -> bool:
    """Whether any part of ``text`` would be spoken (``speakable(text)`` is not empty)."""
    return bool(speakable(text))

"""The languages a session can speak: one table, and what differs between them (the rate's
unit, the default voice, how a line's length is estimated).

A language is named by its BCP 47 code (``en``, ``ja``). A session speaks one language
from its first word to its last: the routine's lines (its file's ``language``), coach's
own phrases (coach.phrases, from a message catalog) and the voice. A language is offered
only when coach's catalog for it is complete (tests/test_phrases.py checks every one).
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.errors import InputError

DEFAULT = "en"


@dataclass(frozen=True)
class Language:
    """One language coach speaks: ``code`` (BCP 47), ``iso639_2`` (its three-letter code,
    as ID3 tags name a language).

    ``rate_unit``: what ``--rate`` counts (``words`` or ``morae``, per minute), with
    ``rate_range`` its bounds; ``estimate_rate``: the rate (in that unit) the script's
    length estimates assume at the normal pace. ``voice``: the default voice's spec;
    ``fallback``: eSpeak NG's voice for the language, spoken when the default voice
    cannot start. ``note``: one line said when a session starts, or "" (a voice that is
    not neural says so). ``espeak_rate``: eSpeak NG's words-per-minute setting per unit
    of this language's rate (1 where the unit is words). ``breath``: see below."""

    code: str
    name: str
    iso639_2: str
    rate_unit: str
    rate_range: tuple[int, int]
    estimate_rate: int
    voice: str
    fallback: str
    note: str = ""
    espeak_rate: float = 1.0
    #: A regular expression for the language's words that invite a breath (the script
    #: leaves a breath's quiet after such a line; English's is the script's own).
    breath: str = ""
    #: The language's name in itself (``日本語``), as a chooser offers it to its speakers.
    own_name: str = ""

    def units(self, text: str) -> float:
        """How many of the rate's units ``text`` is: its words, or its morae (estimated
        from the writing: coach.morae)."""
        if self.rate_unit == "morae":
            from coach import morae

            return morae.estimate(text)
        return float(len(text.split()))

    @property
    def rate_words(self) -> str:
        """The rate's unit in words: ``words per minute``."""
        return f"{self.rate_unit} per minute"


_ESPEAK_NOTE = (
    "no neural voice for {name} installs with coach: eSpeak NG speaks it (clear, but robotic)"
)

LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language(
            "en",
            "English",
            "eng",
            "words",
            (80, 400),
            130,
            "hibari:heart",
            "espeak:gmw/en-gb-x-rp",
            own_name="English",
        ),
        # 330 morae a minute is coach's calm default (the Japanese voice's own pace is about 390);
        # eSpeak NG's Japanese speaks about one mora a minute per unit of its rate setting
        # (scripts/measure-rates espeak-ja: 80 -> 79, 160 -> 157, 250 -> 259).
        Language(
            "ja",
            "Japanese",
            "jpn",
            "morae",
            (150, 900),
            330,
            "kokoro-ja:jf_alpha",
            "espeak:jpx/ja",
            espeak_rate=1.0,
            breath="息|呼吸|吸って|吐いて",
            own_name="日本語",
        ),
        Language(
            "de",
            "German",
            "deu",
            "words",
            (80, 400),
            140,
            "espeak:gmw/de",
            "espeak:gmw/de",
            _ESPEAK_NOTE.format(name="German"),
            breath="(?i)atme|atem",
            own_name="Deutsch",
        ),
        Language(
            "fr",
            "French",
            "fra",
            "words",
            (80, 400),
            140,
            "espeak:roa/fr",
            "espeak:roa/fr",
            _ESPEAK_NOTE.format(name="French"),
            breath="(?i)inspir|expir|respir|souffle",
            own_name="Français",
        ),
        Language(
            "es",
            "Spanish",
            "spa",
            "words",
            (80, 400),
            140,
            "espeak:roa/es",
            "espeak:roa/es",
            _ESPEAK_NOTE.format(name="Spanish"),
            breath="(?i)inhal|exhal|respir",
            own_name="Español",
        ),
    )
}


def get(code: str, option: str = "--language") -> Language:
    """The language ``code`` names (case-insensitive; ``ja-JP`` is ``ja``); InputError
    naming ``option`` for one coach cannot speak."""
    try:
        return known(code)
    except ValueError as exc:
        raise InputError(f"{option} {code}: {exc}") from None


def known(code: str) -> Language:
    """The language ``code`` names (as ``get``); ValueError saying which coach speaks."""
    key = code.strip().replace("_", "-").split("-")[0].casefold()
    if key in LANGUAGES:
        return LANGUAGES[key]
    raise ValueError(
        f"coach speaks {', '.join(names())}; "
        "a language needs a complete catalog of coach's phrases (see README)"
    )


def rate_ranges() -> str:
    """Every language's ``--rate`` range in its unit, in a few words, English's first:
    ``words per minute 80-400; in Japanese, morae per minute 150-900``."""
    base = LANGUAGES[DEFAULT]
    said = [f"{base.rate_words} {base.rate_range[0]}-{base.rate_range[1]}"]
    others: dict[tuple[str, tuple[int, int]], list[str]] = {}
    for lang in LANGUAGES.values():
        if (lang.rate_unit, lang.rate_range) != (base.rate_unit, base.rate_range):
            others.setdefault((lang.rate_words, lang.rate_range), []).append(lang.name)
    for (unit, (low, high)), who in others.items():
        said.append(f"in {' and '.join(who)}, {unit} {low}-{high}")
    return "; ".join(said)


def names() -> list[str]:
    """Every language code, in the table's order."""
    return list(LANGUAGES)


def speaks(voice_languages: tuple[str, ...], code: str) -> bool:
    """Whether a voice listed with ``voice_languages`` (``en-us``, ``ja``) speaks ``code``."""
    return any(lang.casefold().replace("_", "-").split("-")[0] == code for lang in voice_languages)

"""coach's own words (what it says and shows beyond the routine's lines) in the session's language.

The English text here is the source: each phrase is a ``str.format`` template named by
its key, which is its gettext context (``msgctxt``). Translations are gettext message
catalogs: ``coach/locale/LANG/LC_MESSAGES/coach.po``, compiled to ``coach.mo`` beside it
(both kept in the repository; ``scripts/catalogs`` makes the template ``coach.pot`` from
this module with Babel, updates every ``.po`` from it and compiles the ``.mo`` files).
A language is spoken only when its catalog translates every phrase: a session is never
a mix of languages. Numbers are spoken in each language's own words (coach.numbers).
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

from coach import languages, numbers
from coach.errors import InputError

DOMAIN = "coach"
#: Where the catalogs are: ``LANG/LC_MESSAGES/coach.mo``.
LOCALE = Path(__file__).parent / "locale"

#: Every phrase of coach's own in a session, by key: the English source text, a str.format
#: template; spoken, or shown where the session is followed (chapter titles, status
#: labels, coach script's header, coach serve's page). Fields of the spoken ones: {title}
#: (a routine's or step's title), {number}/{count} (numbers in words, as coach.numbers
#: says them), {Number} (the same, capitalized where a sentence starts with it),
#: {side}/{Side} (a side's name from SIDES, capitalized).
PHRASES: dict[str, str] = {
    "default_intro": "{title}. Sit comfortably and close your eyes.",
    "default_outro": "That is all for today. Open your eyes when you are ready.",
    "from_step": "{title}, from step {number}.",
    "step": "Step {number} of {count}: {title}.",
    "first_side": "{Side} side.",
    "next_side": "Now the {side} side.",
    "teach_hold": "This sound means hold.",
    "teach_release": "And this one means release.",
    "holds": "{Number} holds.",
    "halfway": "Halfway.",
    "last_three": "Last three.",
    "last_one": "Last one.",
    "hold": "Hold.",
    "release": "Release.",
    "keep_going": "Keep going.",
    "keep_holding": "Keep holding.",
    "light_count": "and {number}",
    "breathe_in_first": "Breathe in slowly.",
    "breathe_in": "Breathe in.",
    "breathe_out": "And out.",
    # An export's title tag when it starts part-way ({number} in digits).
    "partial_title": "{title} (from step {number}: {step})",
    # Chapter titles (in the file's chapters and cue sheets, not spoken).
    "introduction": "Introduction",
    "closing": "Closing",
    # Shown, not spoken: where the listener is (coach play's status line, coach script's
    # tone lines, the plan's "label"). {number}, {last}, {count} in digits; {motion} from
    # MOTIONS; {label} another label.
    "label_starting": "Starting",
    "label_step": "step {number} of {count}",
    "label_rep": "{motion} {number} of {count}",
    "label_reps": "{motion} {number}-{last} of {count}",
    "label_side": "{side} side, {label}",
    "label_then_hold": "{label}, hold",
    "label_resting": "resting hold",
    "label_last_bell": "last bell",
    "label_finished": "Finished",
    # coach play's status line ({time} as m:ss) and its last line.
    "time_left": "{time} left",
    "paused": "paused — space to resume",
    "played_out": "Finished. Well done.",
    "stopped": "Stopped.",
    # coach script's first line: "{title} — {details}", the details (pace and talk as the
    # options spell them, digits) joined by list_separator.
    "script_header": "{title} — {details}",
    "script_pace": "pace {pace}",
    "script_talk": "talk {talk}",
    "script_counting": "counting",
    "script_voice_only": "voice only",
    "script_from": "from step {number}",
    "script_about_minutes": "about {minutes} min",
    "script_about_hours": "about {hours} h {minutes} min",
    "list_separator": ", ",
    # coach serve's page while it plays a session: its words are the session's language.
    "page_preparing": "Preparing the session (the first time it is made, this takes about "
    "as long as an export)…",
    "page_wake": "Keep the screen on",
    "page_no_wake": "This browser cannot keep the screen on.",
    "page_back": "Other routines",
    "page_download": "Download",
    "page_not_played": "The audio could not be played.",
    "page_not_loaded": "The audio could not be loaded: is coach serve still running?",
    "page_not_recorded": "This session cannot be recorded in your history.",
    # coach serve's podcast feed, in its language.
    "feed_description": "Guided facial massage sessions from coach on your own computer, one "
    "episode per routine at your saved settings.",
    "feed_summary": "Guided facial massage sessions from coach.",
}

#: ``--talk more`` lines for a phase whose routine gives none of its own: each said at
#: most once in a session, so a routine without coaching runs out of them and is quiet.
SPARE_COACHING: tuple[str, ...] = (
    "Let your shoulders stay soft.",
    "Keep the breath slow and easy.",
    "Let your jaw hang loose.",
    "Move slowly; slower is better.",
)

#: The sides' names as phrases use them.
SIDES: dict[str, str] = {"left": "left", "right": "right"}

#: The motions' names (coach.routine.Motion's values) as labels show them.
MOTIONS: dict[str, str] = {
    "circle": "circle",
    "stroke": "stroke",
    "press": "press",
    "pluck": "pluck",
    "hold": "hold",
    "breathe": "breathe",
}


def messages() -> list[tuple[str, str]]:
    """Every (context, English text) a catalog must translate, in a stable order: the
    phrases by key, the spare coaching lines (context ``coaching``), the sides (``side``),
    the motions (``motion``)."""
    return (
        list(PHRASES.items())
        + [("coaching", text) for text in SPARE_COACHING]
        + [("side", text) for text in SIDES.values()]
        + [("motion", text) for text in MOTIONS.values()]
    )


class Phrases:
    """coach's phrases in one language. InputError (naming ``option``) when coach has no
    complete catalog for it."""

    def __init__(self, language: str = languages.DEFAULT, option: str = "--language") -> None:
        self.language = languages.get(language, option).code
        self._t = _translations(self.language, option)

    def __call__(self, key: str, **values: object) -> str:
        """Phrase ``key`` (see PHRASES) with ``values`` filled in. Each field is also there
        with its first letter in the other case ({side} for {Side}, and the value's first
        letter to match): a language's grammar may want the other one."""
        full: dict[str, object] = {}
        for name, value in values.items():
            text = str(value)
            full[name[:1].lower() + name[1:]] = (
                text[:1].lower() + text[1:] if name[:1].isupper() else value
            )
            full[name[:1].upper() + name[1:]] = text[:1].upper() + text[1:]
            full[name] = value
        return self._t.pgettext(key, PHRASES[key]).format(**full)

    def coaching(self) -> tuple[str, ...]:
        """SPARE_COACHING in this language, in order."""
        return tuple(self._t.pgettext("coaching", text) for text in SPARE_COACHING)

    def side(self, side: str) -> str:
        """A side's name (``left``, ``right``) in this language."""
        return self._t.pgettext("side", SIDES[side])

    def motion(self, motion: str) -> str:
        """A motion's name (``circle``, ``press``: coach.routine.Motion's values) in this
        language, as labels show it."""
        return self._t.pgettext("motion", MOTIONS[motion])

    def about(self, seconds: float) -> str:
        """A rough length, to the minute, in this language ("about 7 min")."""
        minutes = round(seconds / 60)
        if minutes >= 60:
            return self("script_about_hours", hours=minutes // 60, minutes=minutes % 60)
        return self("script_about_minutes", minutes=minutes)

    def listed(self, items: list[str]) -> str:
        """``items`` joined as this language lists them ("a, b", "a、b")."""
        return self("list_separator").join(items)

    def number(self, n: int) -> str:
        """``n`` (1..200) as a word said in a sentence ("two", "二")."""
        return numbers.words(n, self.language)

    def count(self, n: int) -> str:
        """``n`` as said when counting repetitions aloud."""
        return numbers.words(n, self.language)


@functools.cache
def _translations(code: str, option: str) -> gettext.NullTranslations:
    """The catalog for ``code`` (English needs none: the source is English), checked
    complete. Kept for the process: it does not change while coach runs."""
    if code == languages.DEFAULT:
        return gettext.NullTranslations()
    name = languages.LANGUAGES[code].name
    try:
        found = gettext.translation(DOMAIN, LOCALE, languages=[code])
    except OSError:
        raise InputError(
            f"{option} {code}: coach's phrases have no {name} catalog yet; "
            "a language needs one (see README, Languages)"
        ) from None
    missing = missing_messages(found)
    if missing:
        raise InputError(
            f"{option} {code}: coach's {name} catalog lacks {len(missing)} of its "
            f"phrases (such as {missing[0][1]!r}); it is not spoken half in English"
        )
    return found


def missing_messages(catalog: gettext.NullTranslations) -> list[tuple[str, str]]:
    """The messages (``messages()``) ``catalog`` has no translation for."""
    held = getattr(catalog, "_catalog", {})
    return [(ctx, text) for ctx, text in messages() if not held.get(f"{ctx}\x04{text}")]


def available() -> list[str]:
    """The languages coach can speak: English, and each with a complete catalog."""
    out = []
    for code in languages.names():
        try:
            _translations(code, "--language")
        except InputError:
            continue
        out.append(code)
    return out

"""The options table: every option a user sets, once. For each: its name (the long option
and the settings file's key), kind, default, range or choices, help, which commands take
it and whether the settings file has it.

Everything else derives from this table: the typer parameters (``coach.cli``), the
settings file's keys, checks, template and ``coach config`` (``coach.config``), and the
ranges the core enforces (``coach.speech``, ``coach.render``, ``coach.bed``). It loads no
engine, bed or renderer, and no numpy: the settings file can be read without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from coach import languages
from coach.script import Pace, Talk

#: ``--rate``'s bounds over every language (words or morae per minute); a session checks
#: its own language's range (coach.languages) once it knows the routine.
RATE_RANGE = (
    min(lang.rate_range[0] for lang in languages.LANGUAGES.values()),
    max(lang.rate_range[1] for lang in languages.LANGUAGES.values()),
)
#: dB ``--tone-volume`` may move the tones.
TONE_VOLUME_RANGE = (-30.0, 10.0)
#: dB ``--bed-volume`` may move the ambient bed.
BED_VOLUME_RANGE = (-30.0, 10.0)
#: ``--minutes``: more than the first, at most the second.
MINUTES_RANGE = (0.0, 240.0)

#: The commands that make a session's sound, and ``coach config``, which shows their settings.
SESSION = frozenset({"play", "export", "today", "config"})
#: ... and ``coach script``, which lays a session out without making its sound.
PLANNED = SESSION | {"script"}


class Kind(StrEnum):
    """What an option's value is: how the settings file's value is checked."""

    CHOICE = "choice"  # one of ``choices``, in any case
    TEXT = "text"
    INT = "int"  # a whole number from ``low`` to ``high``
    NUMBER = "number"  # a number from ``low`` to ``high``
    BOOL = "bool"
    FOLDER = "folder"  # a path, relative to the settings file's folder
    BED = "bed"  # a built-in bed's name, none, or a path as FOLDER
    TIME = "time"  # a time of day, HH:MM
    LANGUAGE = "language"  # a language coach speaks (coach.languages), BCP 47


@dataclass(frozen=True)
class Option:
    """One option. ``flags``: as typer declares it (``--pace``, ``-p``; ``--mono/--stereo``);
    ``help``: the command line's help; ``summary``: the settings file's comment and
    ``example`` the value it shows (None: no settings file key); ``commands``: the commands
    that take it; ``default``: what applies when nothing sets it (None: coach's own
    choice, e.g. the default voice); ``metavar``: how help names its value (``WPM``; a
    choice lists its choices)."""

    name: str
    kind: Kind
    default: Any
    flags: tuple[str, ...]
    help: str
    commands: frozenset[str]
    summary: str = ""
    example: str | None = None
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    metavar: str = ""
    #: What the number counts, said after its range in a message (``--rate``: the unit of
    #: each language); "" when the range says it all.
    unit: str = ""

    @property
    def param(self) -> str:
        """The command-line parameter's Python name (``tone-volume`` -> ``tone_volume``)."""
        return self.name.replace("-", "_")

    @property
    def key(self) -> bool:
        """Whether the settings file has this option as a key."""
        return self.example is not None


def _values(enum: type[Pace] | type[Talk]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        Option(
            "pace",
            Kind.CHOICE,
            Pace.NORMAL.value,
            ("--pace", "-p"),
            "slow, normal or fast: scales repetitions, holds and pauses (x1.25, x1, x0.8).",
            PLANNED,
            "slow, normal or fast",
            '"slow"',
            choices=_values(Pace),
        ),
        Option(
            "voice",
            Kind.TEXT,
            None,
            ("--voice", "-v"),
            "Voice id, name or language code (see 'coach voices'); eSpeak NG variants like "
            "en-us+f3 work.",
            PLANNED,
            "a voice id, name or language code (coach voices)",
            '"en-gb-x-rp"',
            metavar="VOICE",
        ),
        Option(
            "rate",
            Kind.INT,
            None,
            ("--rate", "-r"),
            "Speaking rate: words per minute, 80-400 (default: 130 on the neural voice, 140 on "
            "eSpeak NG, at the normal pace); in Japanese morae per minute, 150-900 (default 330).",
            PLANNED,
            "speaking rate, in the session language's unit (words or morae per minute)",
            "130",
            low=RATE_RANGE[0],
            high=RATE_RANGE[1],
            metavar="RATE",
            unit=languages.rate_ranges(),
        ),
        Option(
            "talk",
            Kind.CHOICE,
            Talk.NORMAL.value,
            ("--talk",),
            "less, normal or more: how much is said beyond the instructions.",
            PLANNED,
            "less, normal or more",
            '"less"',
            choices=_values(Talk),
        ),
        Option(
            "count",
            Kind.BOOL,
            False,
            ("--count/--no-count",),
            "Count every repetition aloud (repetitions of 1.2 s or longer).",
            PLANNED,
            "count every repetition aloud",
            "true",
        ),
        Option(
            "minutes",
            Kind.NUMBER,
            None,
            ("--minutes", "-m"),
            "Fit the session to about this many minutes by scaling repetitions.",
            PLANNED - {"config"},
            low=MINUTES_RANGE[0],
            high=MINUTES_RANGE[1],
            metavar="N",
        ),
        Option(
            "mono",
            Kind.BOOL,
            False,
            ("--mono/--stereo",),
            "One channel; no left/right panning.",
            SESSION,
            "one channel, no panning",
            "true",
        ),
        Option(
            "tone-volume",
            Kind.NUMBER,
            0.0,
            ("--tone-volume",),
            f"Raise or lower the tones, in dB ({TONE_VOLUME_RANGE[0]:g} to "
            f"{TONE_VOLUME_RANGE[1]:g}).",
            SESSION,
            "dB added to the tones",
            "-6.0",
            low=TONE_VOLUME_RANGE[0],
            high=TONE_VOLUME_RANGE[1],
            metavar="DB",
        ),
        Option(
            "no-tones",
            Kind.BOOL,
            False,
            ("--no-tones/--tones",),
            "Voice only: no rhythm tones or bells.",
            PLANNED,
            "voice only",
            "true",
        ),
        Option(
            "sounds",
            Kind.FOLDER,
            None,
            ("--sounds",),
            "A folder of your own sounds (bell.ogg, circle.flac, ...) replacing the built-in "
            "ones; see 'coach sounds'.",
            SESSION | {"sounds"},
            "a folder of your own sounds (coach sounds)",
            '"~/sounds/soft"',
            metavar="DIR",
        ),
        Option(
            "bed",
            Kind.BED,
            None,
            ("--bed",),
            "An ambient bed under the session, lowered while the voice speaks: waves, rain, "
            "drone, or any sound file (looped); none for no bed.",
            PLANNED,
            "an ambient bed under the session: waves, rain, drone, a sound file, or none",
            '"rain"',
            metavar="BED",
        ),
        Option(
            "bed-volume",
            Kind.NUMBER,
            0.0,
            ("--bed-volume",),
            f"Raise or lower the bed, in dB ({BED_VOLUME_RANGE[0]:g} to {BED_VOLUME_RANGE[1]:g}).",
            PLANNED,
            "dB added to the ambient bed",
            "-6.0",
            low=BED_VOLUME_RANGE[0],
            high=BED_VOLUME_RANGE[1],
            metavar="DB",
        ),
        Option(
            "language",
            Kind.LANGUAGE,
            None,
            ("--language",),
            "Speak the routine in this language (en, ja, ...: one it is written in; 'coach "
            "routines' lists them). Default: the settings file's language where the routine "
            "is written in it, else the routine file's own.",
            frozenset({"play", "export", "script"}),
            "your language: a routine written in it is spoken in it (else in its own)",
            '"ja"',
            metavar="LANG",
        ),
        Option(
            "output-dir",
            Kind.FOLDER,
            None,
            (),
            "",
            frozenset({"export", "config"}),
            "where coach export writes when -o is not given",
            '"~/Music/coach"',
        ),
        Option(
            "history",
            Kind.BOOL,
            True,
            ("--history/--no-history",),
            "Record this session in your practice history (default: the history setting, on).",
            frozenset({"play", "today", "config"}),
            "record every coach play in your practice history",
            "false",
        ),
        Option(
            "streaks",
            Kind.BOOL,
            True,
            (),
            "",
            frozenset({"config"}),
            "show streaks in coach stats and coach program",
            "false",
        ),
        Option(
            "day-starts",
            Kind.TIME,
            "04:00",
            (),
            "",
            frozenset({"config"}),
            "the hour a practice day starts (a session before it counts for the day before)",
            '"04:00"',
        ),
    )
}

#: The settings file's keys, in the order the template lists them.
KEYS: dict[str, Option] = {name: o for name, o in OPTIONS.items() if o.key}

"""Routines: the data model (a routine's steps and their phases) and what is asked of it
(which step a ``--from`` names, a readable listing).

Reading routine files is ``coach.routinefile``; finding routines by name, built-in or the
user's, is ``coach.catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NoReturn

from coach.errors import InputError

#: What a routine file may hold (coach.routinefile checks; the script engine counts on it).
MAX_TEXT_CHARS = 2_000
MAX_TITLE_CHARS = 80
MAX_STEPS = 100
MAX_PHASES = 20
MAX_REPS = 200
MIN_SECONDS, MAX_SECONDS = 0.3, 60.0
MAX_HOLD = 120.0
#: Coaching lines a phase may give for ``--talk more``, and how long each may be.
MAX_COACHING = 10
MAX_COACHING_CHARS = 200


class Motion(Enum):
    """What the hands do in one repetition; each has its own rhythm sound."""

    CIRCLE = "circle"
    STROKE = "stroke"
    PRESS = "press"
    PLUCK = "pluck"
    HOLD = "hold"
    BREATHE = "breathe"


class Side(Enum):
    """The side of the face worked in a one-side-at-a-time phase."""

    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class Phase:
    """One movement inside a step, repeated ``reps`` times (per side, when sides are given).

    ``seconds`` is the length of one repetition at the normal pace; ``hold`` the seconds
    held at the top of each repetition (0: no hold). For ``Motion.HOLD`` the repetition
    is itself a hold of ``seconds``; a ``resting`` hold is one continuous hold of
    ``reps`` x ``seconds`` (hands resting), paced by slow breaths instead of repeated
    markers. For ``Motion.BREATHE`` a repetition is one slow breath paced by the voice
    (its length is the voice's, so ``seconds`` is 0). ``coaching``: lines for
    ``--talk more``, said during the phase.
    """

    motion: Motion
    reps: int
    seconds: float
    say: str = ""
    hold: float = 0.0
    sides: tuple[Side, ...] = ()
    resting: bool = False
    coaching: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """A step of the routine: one chapter of the session."""

    title: str
    phases: tuple[Phase, ...]
    say: str = ""


@dataclass(frozen=True)
class Routine:
    """A whole routine. ``name`` is the built-in name or the file's stem; ``source`` the
    file name used in messages; ``language`` the language its text is written in (BCP 47,
    coach.languages)."""

    name: str
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    intro: str = ""
    outro: str = ""
    source: str = field(default="", compare=False)
    language: str = "en"


def find_step(routine: Routine, spec: str, option: str = "--from") -> int:
    """The index of the step ``spec`` names: its number (1 is the first) or its title,
    case-insensitively, whole or a prefix that fits one step. InputError otherwise,
    naming ``option``."""
    count = len(routine.steps)
    text = spec.strip()
    if text.isdigit():
        if 1 <= int(text) <= count:
            return int(text) - 1
        raise InputError(f"{option} {spec}: {routine.title} has steps 1 to {count}")
    key = text.casefold()
    titles = [s.title.casefold() for s in routine.steps]
    if key in titles:
        return titles.index(key)
    found = [i for i, t in enumerate(titles) if key and t.startswith(key)]
    if len(found) == 1:
        return found[0]
    listed = "; ".join(f"{i + 1} {s.title}" for i, s in enumerate(routine.steps))
    if found:
        _ambiguous(option, spec, [routine.steps[i].title for i in found])
    raise InputError(f"{option} {spec}: no step by that number or title; steps: {listed}")


def _ambiguous(option: str, spec: str, titles: list[str]) -> NoReturn:
    raise InputError(
        f"{option} {spec}: fits {len(titles)} steps ({', '.join(titles)}); "
        "type more of the title, or the step's number"
    )


def describe_routine(routine: Routine, seconds: float) -> list[str]:
    """``routine`` as readable lines: title, summary and length (``seconds``, as the
    built script estimates it), then each step with its phases."""
    from coach.clock import about

    lines = [
        f"{routine.title} ({routine.name}, {len(routine.steps)} steps, about {about(seconds)})"
    ]
    if routine.summary:
        lines.append(routine.summary)
    for k, step in enumerate(routine.steps, 1):
        lines.append(f"{k}. {step.title}" + (f": {step.say}" if step.say else ""))
        for phase in step.phases:
            hold = f", hold {phase.hold:g} s" if phase.hold else ""
            sides = f", {' then '.join(s.value for s in phase.sides)}" if phase.sides else ""
            each = " each side" if phase.sides else ""
            if phase.motion is Motion.BREATHE:
                what = "slow breath"
            elif phase.motion is Motion.HOLD:
                what = f"{'resting ' if phase.resting else ''}hold {phase.seconds:g} s"
            else:
                what = f"{phase.motion.value} {phase.seconds:g} s"
            lines.append(
                f"   - {phase.reps} x {what}{hold}{each}{sides}"
                + (f": {phase.say}" if phase.say else "")
            )
    return lines

"""Following a program: which program you are on, and where you are in it, from your history.

The program you follow is kept in ``places.state_dir()/program.json`` (``{"name": ...,
"started": "YYYY-MM-DD"}``, the practice day it began: day one).

Where you are is worked out from the history, not from the calendar alone. The rule (a
kind coach's): **the program waits for you.** Going day by day from the start:

- a program day with a session is done on a day you played its routine in a session that
  counts (coach.history.days); then the next calendar day holds the next program day;
- a day you miss moves nothing on: the next day offers the same session again, and the
  whole plan ends a day later;
- a rest day is taken as its calendar day passes, whatever you did that day;
- at most one program day is done on one calendar day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from pathlib import Path

from coach import owned, places
from coach.errors import InputError
from coach.history import days as rules
from coach.history.store import Entry
from coach.program import Program, Session


class Mark(Enum):
    """What became of one calendar day of a program."""

    DONE = "done"
    MISSED = "missed"
    REST = "rest"


@dataclass(frozen=True)
class Past:
    """One past calendar day: the program ``index`` it held and what became of it."""

    day: date
    index: int
    mark: Mark


@dataclass(frozen=True)
class Place:
    """Where you are on ``today``: ``index`` is today's program day (0-based; equal to
    the program's length when it is complete); ``done_today``: today's session is done
    (``index`` is then the day just done)."""

    program: Program
    started: date
    today: date
    index: int
    done_today: bool
    past: tuple[Past, ...]

    @property
    def complete(self) -> bool:
        return self.index >= len(self.program.days)

    @property
    def session(self) -> Session | None:
        """Today's session; None on a rest day or once the program is complete."""
        return None if self.complete else self.program.days[self.index]

    @property
    def done(self) -> int:
        """Program sessions done so far (today's included)."""
        return sum(p.mark is Mark.DONE for p in self.past) + self.done_today

    @property
    def missed(self) -> int:
        return sum(p.mark is Mark.MISSED for p in self.past)

    def ahead(self, count: int) -> list[tuple[date, int, Session | None]]:
        """The next ``count`` program days from today (or tomorrow when today's is done),
        with the calendar day each falls on if none is missed."""
        first = self.index + 1 if self.done_today else self.index
        start = self.today + timedelta(days=1) if self.done_today else self.today
        return [
            (start + timedelta(days=k), i, self.program.days[i])
            for k, i in enumerate(range(first, min(first + count, len(self.program.days))))
        ]


def where(
    program: Program,
    started: date,
    today: date,
    entries: Iterable[Entry],
    day_starts: str = rules.DEFAULT_DAY_STARTS,
) -> Place:
    """Where you are in ``program`` begun on ``started``, on practice day ``today``, by the
    sessions in ``entries`` (the module's rule)."""
    offset = rules.day_starts(day_starts)
    played: dict[date, set[str]] = {}
    for e in entries:
        if rules.counts(e):
            played.setdefault(rules.day_of(e, offset), set()).add(e.routine)
    index, day, past = 0, started, []
    length = len(program.days)
    while day < today and index < length:
        session = program.days[index]
        if session is None:
            past.append(Past(day, index, Mark.REST))
            index += 1
        elif session.routine in played.get(day, ()):
            past.append(Past(day, index, Mark.DONE))
            index += 1
        else:
            past.append(Past(day, index, Mark.MISSED))
        day += timedelta(days=1)
    session = program.days[index] if index < length else None
    done_today = session is not None and session.routine in played.get(today, ())
    return Place(program, started, today, index, done_today, tuple(past))


# ---- the program you follow -----------------------------------------------------------


def _file() -> Path:
    return places.state_dir() / "program.json"


@dataclass(frozen=True)
class Following:
    name: str
    started: date


def current() -> Following | None:
    """The program you follow, None when none (or the state file is unreadable: it holds
    nothing that cannot be started again)."""
    try:
        data = json.loads(_file().read_text("utf-8"))
        return Following(str(data["name"]), date.fromisoformat(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def start(name: str, today: date) -> Following:
    """Follow the program ``name`` from ``today`` (day one), in place of any other."""
    following = Following(name, today)
    try:
        owned.write_atomically(_file(), json.dumps({"name": name, "started": today.isoformat()}))
    except OSError as exc:
        raise InputError(f"{_file()}: cannot write it: {exc.strerror or exc}") from None
    return following


def stop() -> Following | None:
    """Stop following a program; the one stopped (None: there was none)."""
    following = current()
    try:
        _file().unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(f"{_file()}: cannot remove it: {exc.strerror or exc}") from None
    return following


def title(session: Session, routine_title: str) -> str:
    """How a program's session is called: its own title, else its routine's."""
    return session.title or routine_title

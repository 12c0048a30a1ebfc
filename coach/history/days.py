"""Practice days and gentle streaks: the rules, in one place.

- A session **counts** when it reached its closing (played to the end, or stopped during
  the closing words) or played through more than half of its routine's steps.
- A session belongs to the **day** on the clock where it was played (its own UTC offset,
  so travelling does not move it), and the day starts at ``day-starts`` (default 04:00):
  a session at 00:30 counts for the evening before.
- A **practice day** has at least one session that counts.
- A **streak** is a run of practice days. One missed day is a **grace day** and does not
  end it, as long as there is no other grace day in the six days before it (at most one
  in any seven); two missed days in a row end it. Today, not practised yet, never ends a
  streak: the day is not over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coach.history.store import Entry

#: ``day-starts`` when the settings file does not say.
DEFAULT_DAY_STARTS = "04:00"
#: At most one grace day in any this many days.
GRACE_WINDOW = 7


def counts(entry: Entry) -> bool:
    """Whether ``entry`` makes its day a practice day (see the module's rules)."""
    return entry.closing or entry.steps_done * 2 > entry.steps_total


def day_starts(text: str) -> timedelta:
    """``"HH:MM"`` (the ``day-starts`` setting, checked by coach.config) as the time after
    midnight when a practice day begins."""
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def day_of(entry: Entry, starts: timedelta) -> date:
    """The practice day of ``entry``: its local start, ``starts`` earlier, as a date."""
    return (entry.started - starts).date()


def today(starts: timedelta, now: datetime | None = None) -> date:
    """The practice day it is ``now`` (default: now, on this machine's clock)."""
    moment = now or datetime.now().astimezone()
    return (moment - starts).date()


@dataclass(frozen=True)
class Streak:
    """A run of practice days from ``first`` to ``last`` (both practised), with the
    ``grace`` days inside it; ``pending``: a grace day just before today, given while
    today may still be practised."""

    first: date
    last: date
    grace: tuple[date, ...] = ()
    pending: date | None = None

    @property
    def days(self) -> int:
        """Its length in days, grace days included."""
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Streaks:
    """``current``: the streak still alive today (None: none); ``best``: the longest ever
    (the earliest of equals); ``grace``: every grace day, for the calendar."""

    current: Streak | None
    best: Streak | None
    grace: frozenset[date]


def streaks(days: Iterable[date], on: date) -> Streaks:
    """The streaks of the practice ``days`` as seen on day ``on`` (today)."""
    ordered = sorted(set(days))
    if not ordered:
        return Streaks(None, None, frozenset())
    runs: list[Streak] = []
    first = last = ordered[0]
    grace: list[date] = []
    for day in ordered[1:]:
        missed = (day - last).days - 1
        if missed == 1 and _grace_allowed(last + timedelta(days=1), grace):
            grace.append(last + timedelta(days=1))
        elif missed:
            runs.append(Streak(first, last, tuple(grace)))
            first, grace = day, []
        last = day
    on = max(on, last)  # a session dated after today (a clock moved back): today is that day
    current: Streak | None = None
    since = (on - last).days
    if since <= 1:
        current = Streak(first, last, tuple(grace))
    elif since == 2 and _grace_allowed(on - timedelta(days=1), grace):
        current = Streak(first, last, tuple(grace), pending=on - timedelta(days=1))
    runs.append(current or Streak(first, last, tuple(grace)))
    best = max(runs, key=lambda s: (s.days, -s.first.toordinal()))
    every = {g for s in runs for g in s.grace} | (
        {current.pending} if current and current.pending else set()
    )
    return Streaks(current, best, frozenset(every))


def _grace_allowed(day: date, grace: list[date]) -> bool:
    return not grace or (day - grace[-1]).days >= GRACE_WINDOW

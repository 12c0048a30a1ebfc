"""The figures of ``coach stats``: sessions and minutes this week, this month and in all,
per routine, the streaks, and a calendar of the last weeks, from the history's sessions.

Every session is placed on its practice day (``days.day_of``); the week runs Monday to
Sunday; "this week" and "this month" are those of today's practice day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from coach.history import days as rules
from coach.history.store import Entry


@dataclass(frozen=True)
class Totals:
    """``sessions`` played and ``seconds`` heard (pauses excluded); ``counted``: the
    sessions that count for a streak (coach.history.days)."""

    sessions: int = 0
    seconds: float = 0.0
    counted: int = 0

    @property
    def minutes(self) -> float:
        return self.seconds / 60


@dataclass(frozen=True)
class RoutineTotals:
    """One routine's ``totals``, its latest ``title`` and the ``last`` day it was played."""

    routine: str
    title: str
    totals: Totals
    last: date


@dataclass(frozen=True)
class Day:
    """One calendar day: ``totals`` of its sessions; ``practised``: a practice day;
    ``grace``: a grace day of a streak; ``future``: after today."""

    day: date
    totals: Totals
    practised: bool
    grace: bool
    future: bool


@dataclass(frozen=True)
class Stats:
    today: date
    week: Totals
    month: Totals
    all: Totals
    routines: tuple[RoutineTotals, ...]
    streaks: rules.Streaks | None  # None: streaks are turned off
    by_day: dict[date, Totals]
    practice_days: frozenset[date]


def compute(
    entries: Sequence[Entry],
    today: date,
    starts: str = rules.DEFAULT_DAY_STARTS,
    streaks: bool = True,
) -> Stats:
    """The figures for ``entries`` on practice day ``today``; ``starts``: the
    ``day-starts`` setting; ``streaks``: False leaves them out."""
    offset = rules.day_starts(starts)
    week_start = today - timedelta(days=today.weekday())
    # Added up in lists (sessions, seconds, counted), made Totals once at the end: a
    # frozen value per session would cost more than the rest of the work.
    week, month, every = [0, 0.0, 0], [0, 0.0, 0], [0, 0.0, 0]
    by_day: dict[date, list[Any]] = {}
    per: dict[str, list[Any]] = {}  # routine -> [sessions, seconds, counted, title, last day]
    practice: set[date] = set()
    for e in entries:
        day = rules.day_of(e, offset)
        counted = rules.counts(e)
        sums = [every, by_day.setdefault(day, [0, 0.0, 0])]
        if week_start <= day <= today:
            sums.append(week)
        if day <= today and (day.year, day.month) == (today.year, today.month):
            sums.append(month)
        known = per.get(e.routine)
        if known is None:
            known = per[e.routine] = [0, 0.0, 0, e.title, day]
        elif day >= known[4]:
            known[3], known[4] = e.title, day
        sums.append(known)
        for total in sums:
            total[0] += 1
            total[1] += e.seconds
            total[2] += counted
        if counted:
            practice.add(day)
    ranked = tuple(
        sorted(
            (RoutineTotals(name, r[3], _totals_of(r), r[4]) for name, r in per.items()),
            key=lambda r: (-r.totals.sessions, r.routine),
        )
    )
    return Stats(
        today,
        _totals_of(week),
        _totals_of(month),
        _totals_of(every),
        ranked,
        rules.streaks(practice, today) if streaks else None,
        {d: _totals_of(t) for d, t in by_day.items()},
        frozenset(practice),
    )


def _totals_of(sums: list[Any]) -> Totals:
    return Totals(sums[0], sums[1], sums[2])


def calendar(stats: Stats, weeks: int) -> list[list[Day]]:
    """The last ``weeks`` weeks up to today's, each Monday to Sunday."""
    monday = stats.today - timedelta(days=stats.today.weekday()) - timedelta(weeks=weeks - 1)
    grace = stats.streaks.grace if stats.streaks else frozenset()
    out = []
    for w in range(weeks):
        row = []
        for d in range(7):
            day = monday + timedelta(weeks=w, days=d)
            row.append(
                Day(
                    day,
                    stats.by_day.get(day, Totals()),
                    day in stats.practice_days,
                    day in grace,
                    day > stats.today,
                )
            )
        out.append(row)
    return out


def _totals(t: Totals) -> dict[str, Any]:
    return {"sessions": t.sessions, "minutes": round(t.minutes, 1), "counted": t.counted}


def _streak(s: rules.Streak | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "days": s.days,
        "first": s.first.isoformat(),
        "last": s.last.isoformat(),
        "grace_days": [g.isoformat() for g in s.grace + ((s.pending,) if s.pending else ())],
    }


def as_json(stats: Stats, weeks: int) -> dict[str, Any]:
    """Every figure of ``stats`` as JSON values (the calendar: ``weeks`` weeks)."""
    out: dict[str, Any] = {
        "today": stats.today.isoformat(),
        "week": _totals(stats.week),
        "month": _totals(stats.month),
        "all": _totals(stats.all),
        "routines": [
            {
                "routine": r.routine,
                "title": r.title,
                **_totals(r.totals),
                "last": r.last.isoformat(),
            }
            for r in stats.routines
        ],
    }
    if stats.streaks is not None:
        out["streaks"] = {
            "current": _streak(stats.streaks.current),
            "best": _streak(stats.streaks.best),
        }
    out["calendar"] = [
        {
            "date": d.day.isoformat(),
            **_totals(d.totals),
            "practised": d.practised,
            **({"grace": d.grace} if stats.streaks is not None else {}),
        }
        for week in calendar(stats, weeks)
        for d in week
        if not d.future
    ]
    return out

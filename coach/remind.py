"""Reminders as an iCalendar file (RFC 5545) that any phone or desktop calendar imports.

Without a program: one event that repeats every week on the chosen days (every day when
none are chosen), at the chosen time, titled with the routine. With a program: one event
for each program day still ahead that holds a session, on the day it falls if none is
missed, titled with that day's session. Times are floating local times ("21:30 wherever
you are"), as a calendar shows a daily habit. Each event carries an alarm at its start and
a UID that stays the same when the file is made again, so importing it anew updates the
events instead of doubling them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from coach.errors import InputError, OptionError

#: Weekday names as ``--days`` takes them, Monday first, and as iCalendar spells them.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PRODID = "-//coach//practice reminders//EN"


@dataclass(frozen=True)
class Reminder:
    """One event: on ``day`` (the first of the repeats, when ``weekdays`` is set) at the
    reminder's time, for ``minutes``; ``weekdays``: repeat weekly on these (0 = Monday),
    empty for a single event; ``uid`` stays the same from one file to the next."""

    day: date
    title: str
    description: str
    minutes: float
    uid: str
    weekdays: tuple[int, ...] = ()


def parse_time(text: str) -> time:
    """``--at HH:MM`` as a time of day."""
    import re

    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", text.strip()):
        raise OptionError("--at", text, "must be a time of day as HH:MM, 00:00 to 23:59")
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def parse_days(text: str) -> tuple[int, ...]:
    """``--days mon,wed,fri`` (three letters or the whole name, any case) as weekday
    numbers, Monday 0, sorted, once each."""
    found: set[int] = set()
    for part in text.split(","):
        word = part.strip().lower()
        match = [
            n
            for n, name in enumerate(WEEKDAYS)
            if word and (word == name or (len(word) > 3 and _FULL[n].startswith(word)))
        ]
        if not match:
            raise OptionError(
                "--days", text, f"'{part.strip()}' is not a day: use {','.join(WEEKDAYS)}"
            )
        found.add(match[0])
    return tuple(sorted(found))


_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def first_day(today: date, weekdays: Sequence[int]) -> date:
    """The first day from ``today`` on that is one of ``weekdays`` (all, when empty); an
    event earlier today is still today's (the calendar shows it as past)."""
    for k in range(7):
        day = today + timedelta(days=k)
        if not weekdays or day.weekday() in weekdays:
            return day
    raise InputError("--days: no day chosen")


def calendar(reminders: Sequence[Reminder], at: time, name: str = "coach") -> bytes:
    """The iCalendar file of ``reminders``, each at ``at`` local time."""
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for r in reminders:
        event = Event()
        event.add("uid", r.uid)
        event.add("dtstamp", stamp)
        event.add("summary", r.title)
        event.add("description", r.description)
        start = datetime.combine(r.day, at)  # floating: the local time wherever you are
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=max(1, round(r.minutes))))
        if r.weekdays:
            rule = (
                {"freq": "daily"}
                if len(r.weekdays) == 7
                else {"freq": "weekly", "byday": [_ICAL_DAYS[d] for d in r.weekdays]}
            )
            event.add("rrule", rule)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", r.title)
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())

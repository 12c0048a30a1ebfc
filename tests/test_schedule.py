"""Following a program with missed days: the program waits for you."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from test_history_store import entry

from coach import program, schedule
from coach.history.store import Outcome
from coach.schedule import Mark, where

START = date(2026, 11, 2)  # a Monday
PARIS = timezone(timedelta(hours=1))


def played(day: date, routine: str = "anma", hour: int = 21, **kw) -> object:
    return entry(
        uid=f"{day}-{routine}-{hour}",
        routine=routine,
        started=datetime(day.year, day.month, day.day, hour, tzinfo=PARIS),
        **kw,
    )


def _day(n: int) -> date:
    return START + timedelta(days=n)


def test_a_program_followed_with_missed_days():
    plan = program.resolve("four-weeks")
    # Days 1-2 done, the 3rd calendar day missed, then done every day to the 8th.
    history = [played(_day(n)) for n in (0, 1, 3, 4, 5, 6, 7)]
    place = where(plan, START, _day(8), history)
    marks = [p.mark for p in place.past]
    assert marks == [
        Mark.DONE,
        Mark.DONE,
        Mark.MISSED,
        Mark.DONE,
        Mark.DONE,
        Mark.DONE,
        Mark.DONE,
        Mark.REST,
    ]
    # Six sessions done; the rest day came a day late (on the 8th calendar day, though
    # played: a rest day is taken as its day passes); today is week two's first day.
    assert place.index == 7 and place.missed == 1 and place.done == 6
    assert place.session.routine == "anma" and place.session.options == {}
    # On the 8th day itself, the program said: a rest day.
    rest = where(plan, START, _day(7), history)
    assert rest.index == 6 and rest.session is None and not rest.complete


def test_only_the_program_days_routine_counts_and_only_a_session_that_counts():
    plan = program.resolve("four-weeks")
    history = [
        played(_day(0), "neck"),  # another routine: not today's session
        played(_day(1), closing=False, steps_done=1, outcome=Outcome.STOPPED),
    ]  # too short
    place = where(plan, START, _day(2), history)
    assert place.index == 0 and place.missed == 2


def test_done_today_and_the_day_boundary():
    plan = program.resolve("four-weeks")
    # Played at 00:30 after day one's evening: counts for day one (day-starts 04:00).
    late = played(_day(1), hour=0)
    place = where(plan, START, _day(0), [late])
    assert place.done_today and place.index == 0 and place.done == 1
    assert place.ahead(1)[0][0] == _day(1)
    assert where(plan, START, _day(0), [late], day_starts="00:00").done_today is False


def test_the_end_of_a_program():
    plan = program.resolve("gentle-start")
    every = [played(_day(n), "quick") for n in range(14)] + [
        played(_day(n), "neck") for n in range(14)
    ]
    place = where(plan, START, _day(14), every)
    assert place.complete and place.done == plan.sessions and place.session is None


def test_start_and_stop_keep_state_in_the_state_folder(own_folders):
    assert schedule.current() is None
    schedule.start("four-weeks", START)
    assert (own_folders["state"] / "program.json").exists()
    assert schedule.current() == schedule.Following("four-weeks", START)
    assert schedule.stop().name == "four-weeks"
    assert schedule.current() is None and schedule.stop() is None

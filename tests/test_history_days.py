"""Practice days and gentle streaks: which session counts, which day it belongs to
(day-starts, time zones) and grace days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from test_history_store import entry

from coach.history import days
from coach.history.days import Streak, counts, day_of, day_starts, streaks

FOUR = day_starts("04:00")
D = date(2026, 11, 2)  # a Monday


def _days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


def test_a_session_counts_when_it_reached_its_closing_or_most_of_its_steps():
    assert counts(entry(closing=True, steps_done=0))
    assert counts(entry(closing=False, steps_done=3, steps_total=5))
    assert not counts(entry(closing=False, steps_done=2, steps_total=4))  # half is not most
    assert not counts(entry(closing=False, steps_done=0, steps_total=5))


def test_a_session_after_midnight_counts_for_the_evening_before():
    paris = timezone(timedelta(hours=1))
    late = entry(started=datetime(2026, 11, 3, 0, 30, tzinfo=paris))
    early = entry(started=datetime(2026, 11, 3, 4, 0, tzinfo=paris))
    assert day_of(late, FOUR) == date(2026, 11, 2)
    assert day_of(early, FOUR) == date(2026, 11, 3)
    assert day_of(late, day_starts("00:00")) == date(2026, 11, 3)
    # ...so an evening at 23:00 and the next night at 01:00 are two days, not one.
    evening = entry(started=datetime(2026, 11, 2, 23, 0, tzinfo=paris))
    next_night = entry(started=datetime(2026, 11, 4, 1, 0, tzinfo=paris))
    assert {day_of(evening, FOUR), day_of(late, FOUR), day_of(next_night, FOUR)} == {
        date(2026, 11, 2),
        date(2026, 11, 3),
    }
    assert days.today(FOUR, datetime(2026, 11, 3, 3, 59, tzinfo=paris)) == date(2026, 11, 2)


def test_across_a_time_zone_change_each_session_keeps_its_own_clocks_day():
    # 21:00 in Paris, then 21:00 in New York the next day (02:00 UTC the day after):
    # two days in a row, wherever the streak is looked at from.
    paris, new_york = timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))
    first = entry(started=datetime(2026, 11, 2, 21, 0, tzinfo=paris))
    second = entry(started=datetime(2026, 11, 3, 21, 0, tzinfo=new_york))
    assert second.started.astimezone(UTC).date() == date(2026, 11, 4)
    practice = {day_of(first, FOUR), day_of(second, FOUR)}
    assert practice == {date(2026, 11, 2), date(2026, 11, 3)}
    result = streaks(practice, date(2026, 11, 3))
    assert result.current == Streak(date(2026, 11, 2), date(2026, 11, 3))
    # Flying back east, "today" by the new clock may be earlier than the last session's
    # day: the streak is still current.
    assert streaks(practice, date(2026, 11, 2)).current.days == 2


def test_one_missed_day_is_a_grace_day():
    result = streaks(_days(0, 1, 2, 4, 5), D + timedelta(days=5))
    assert result.current == Streak(D, D + timedelta(days=5), grace=(D + timedelta(days=3),))
    assert result.current.days == 6
    assert result.grace == {D + timedelta(days=3)}


def test_two_missed_days_in_a_row_end_a_streak():
    result = streaks(_days(0, 1, 2, 5, 6), D + timedelta(days=6))
    assert result.current == Streak(D + timedelta(days=5), D + timedelta(days=6))
    assert result.best == Streak(D, D + timedelta(days=2))


def test_at_most_one_grace_day_in_seven():
    # Missed day 2 and day 6 (four days apart): the second ends the streak...
    close = streaks(_days(0, 1, 3, 4, 5, 7, 8), D + timedelta(days=8))
    assert close.current.first == D + timedelta(days=7)
    assert close.best == Streak(D, D + timedelta(days=5), grace=(D + timedelta(days=2),))
    # ...seven days apart, both are grace days.
    apart = streaks(_days(0, 1, 3, 4, 5, 6, 7, 8, 9, 11, 12), D + timedelta(days=12))
    assert apart.current == Streak(
        D, D + timedelta(days=12), grace=(D + timedelta(days=2), D + timedelta(days=10))
    )


def test_today_not_yet_practised_ends_nothing_and_yesterday_may_be_grace():
    practice = _days(0, 1, 2)
    assert streaks(practice, D + timedelta(days=3)).current == Streak(D, D + timedelta(days=2))
    waiting = streaks(practice, D + timedelta(days=4)).current
    assert waiting == Streak(D, D + timedelta(days=2), pending=D + timedelta(days=3))
    assert streaks(practice, D + timedelta(days=4)).grace == {D + timedelta(days=3)}
    assert streaks(practice, D + timedelta(days=5)).current is None
    assert streaks(practice, D + timedelta(days=5)).best.days == 3


def test_no_practice_no_streaks():
    assert streaks([], D) == days.Streaks(None, None, frozenset())

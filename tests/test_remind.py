"""coach remind: the iCalendar file, read back by another reader (the ics package, a parser
of its own, not the icalendar writer's) and its repeat rule expanded by dateutil."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, time, timedelta

import ics
import pytest
from dateutil.rrule import rrulestr

from coach import cli, remind
from coach.errors import InputError


def _run(capsys, *args):
    status = cli.run([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err


def _events(path) -> list:
    return sorted(ics.Calendar(path.read_text()).events, key=lambda e: e.begin)


def test_a_weekly_reminder_for_a_routine(tmp_path, capsys):
    out = tmp_path / "coach.ics"
    status, said, err = _run(
        capsys,
        "remind",
        "--at",
        "21:30",
        "--days",
        "mon,WED,friday",
        "--routine",
        "quick",
        "-o",
        out,
    )
    assert status == 0, err
    assert said.strip() == f"Wrote {out} (1 event, repeating)"
    [event] = _events(out)
    assert event.name == "coach: Quick anma"
    assert (event.begin.hour, event.begin.minute) == (21, 30)
    assert event.begin.date().weekday() in (0, 2, 4)
    assert event.begin.date() - date.today() < timedelta(days=7)
    assert timedelta(minutes=2) <= event.duration <= timedelta(minutes=5)
    assert "coach play quick" in event.description
    assert len(event.alarms) == 1
    [rule] = [x.value for x in event.extra if x.name == "RRULE"]
    start = datetime.combine(event.begin.date(), time(21, 30))
    days = {d.weekday() for d in list(rrulestr(rule, dtstart=start))[:12]}
    assert days == {0, 2, 4}


def test_every_day_by_default_to_standard_output(capsys):
    status, said, _ = _run(capsys, "remind", "--at", "7:05")
    assert status == 0
    assert "RRULE:FREQ=DAILY" in said and "DTSTART:" in said and "T070500" in said
    assert said.startswith("BEGIN:VCALENDAR")


def test_with_a_program_one_event_per_session_day(tmp_path, capsys):
    assert _run(capsys, "program", "start", "four-weeks")[0] == 0
    out = tmp_path / "plan.ics"
    status, said, err = _run(capsys, "remind", "--at", "21:30", "-o", out)
    assert status == 0, err
    events = _events(out)
    assert len(events) == 24  # 28 days less 4 rest days
    assert events[0].name == "coach: A short anma (6 minutes)"
    assert events[0].duration == timedelta(minutes=6)
    assert events[0].begin.date() == date.today()
    assert events[6].begin.date() == date.today() + timedelta(days=7)  # day 7 is a rest day
    assert {e.name for e in events[18:]} == {"coach: Anma facial massage", "coach: Evening anma"}
    assert len({e.uid for e in events}) == 24
    # Made again: the same UIDs, so a calendar updates its events instead of doubling them.
    _run(capsys, "remind", "--at", "21:30", "-o", out)
    assert {e.uid for e in _events(out)} == {e.uid for e in events}
    status, _, err = _run(capsys, "remind", "--at", "21:30", "--days", "mon")
    assert status == 2 and "--days: a program sets its own days" in err


@pytest.mark.parametrize(
    "args, words",
    [
        (["--at", "25:00"], "--at 25:00: must be a time of day as HH:MM"),
        (["--at", "21:30", "--days", "mon,someday"], "--days mon,someday: 'someday' is not a day"),
        (["--at", "21:30", "-o", "NOFOLDER/x.ics"], "no such folder"),
        (["--at", "21:30", "-o", "."], "is a folder"),
    ],
)
def test_bad_options_are_one_line(capsys, tmp_path, args, words):
    args = [str(tmp_path / a) if a.startswith("NOFOLDER") else a for a in args]
    status, said, err = _run(capsys, "remind", *args)
    assert status == 2 and said == ""
    assert words in err and err.count("\n") == 1


def test_a_failed_write_leaves_the_old_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "coach.ics"
    out.write_text("old")

    def broken(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("coach.owned.write_atomically", broken)
    status, _, err = _run(capsys, "remind", "--at", "21:30", "-o", out)
    assert status == 3 and "the disk is full" in err
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["coach.ics"]


def test_a_pipe_or_a_device_is_never_replaced_by_a_file(tmp_path, capsys):
    # (A device stood in the tester's place: as root, /dev/full became a plain file.)
    fifo = tmp_path / "pipe.ics"
    os.mkfifo(fifo)
    status, said, err = _run(capsys, "remind", "--at", "21:30", "-o", fifo)
    assert status == 2 and said == ""
    assert err == (
        f"coach: --output {fifo}: is not a regular file "
        "(leave out -o to write to standard output)\n"
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and [p.name for p in tmp_path.iterdir()] == [
        "pipe.ics"
    ]


def test_parse_days_and_time():
    assert remind.parse_days("sun,Mon,tuesday,mon") == (0, 1, 6)
    assert remind.parse_time("7:05") == time(7, 5)
    with pytest.raises(InputError):
        remind.parse_time("7.05")

"""The practice commands, in-process (log, stats, programs, program, today, remind's
neighbours) on a week of practice imported into a real history file, and `coach today`
through the real process."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from test_history_store import entry
from test_player import _captured, _home

from coach import cli
from coach.history import exchange
from coach.history.store import Outcome
from conftest import decode, run_coach


def _run(capsys, *args):
    status = cli.run([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err


def _week(today: date) -> list:
    """A week of evenings up to yesterday, in the local zone: anma, one day missed."""
    out = []
    for n in range(7, 0, -1):
        if n == 3:
            continue  # a grace day
        day = today - timedelta(days=n)
        started = datetime(day.year, day.month, day.day, 21, 30).astimezone()
        out.append(
            entry(uid=f"w{n}", started=started, ended=started + timedelta(minutes=7), seconds=405.0)
        )
    day = today - timedelta(days=1)  # and a short one that does not count
    started = datetime(day.year, day.month, day.day, 7, 0).astimezone()
    out.append(
        entry(
            uid="short",
            routine="neck",
            started=started,
            seconds=30.0,
            steps_done=1,
            steps_total=6,
            closing=False,
            outcome=Outcome.STOPPED,
        )
    )
    return out


@pytest.fixture
def week(tmp_path, capsys):
    today = (datetime.now().astimezone() - timedelta(hours=4)).date()
    path = tmp_path / "week.json"
    path.write_text(exchange.to_json(_week(today)))
    status, out, err = _run(capsys, "log", "--import", path)
    assert status == 0, err
    assert out.startswith("Imported 7 sessions")
    return today


def test_import_twice_adds_nothing(week, tmp_path, capsys):
    path = tmp_path / "week.json"
    status, out, _ = _run(capsys, "log", "--import", path)
    assert status == 0 and "Imported 0 sessions" in out and "(7 sessions already there)" in out


@pytest.mark.parametrize("form", ["--json", "--csv"])
def test_export_and_import_give_the_same_log(
    week, tmp_path, capsys, monkeypatch, own_folders, form
):
    _, before, _ = _run(capsys, "log", "--json")
    _, exported, _ = _run(capsys, "log", form)
    path = tmp_path / f"export{form.replace('--', '.')}"
    path.write_text(exported)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    status, out, err = _run(capsys, "log", "--import", path)
    assert status == 0, err
    _, after, _ = _run(capsys, "log", "--json")
    assert json.loads(after) == json.loads(before)
    _, table_before, _ = _run(capsys, "log")
    monkeypatch.setenv("XDG_DATA_HOME", str(own_folders["data"].parent))
    _, table_after, _ = _run(capsys, "log")
    assert table_before == table_after


def test_log_filters(week, capsys):
    _, out, _ = _run(capsys, "log")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "STARTED", "ROUTINE"]
    assert len(lines) == 8 and "neck" in lines[2] and "stopped" in lines[2] and "1/6" in lines[2]
    assert len(_run(capsys, "log", "-n", "2")[1].splitlines()) == 3
    assert len(json.loads(_run(capsys, "log", "--json", "--routine", "neck")[1])) == 1
    since = (week - timedelta(days=2)).isoformat()
    assert len(json.loads(_run(capsys, "log", "--json", "--since", since)[1])) == 3
    status, _, err = _run(capsys, "log", "--since", "yesterday")
    assert status == 2 and "--since yesterday: must be a date as YYYY-MM-DD" in err


def test_a_bad_since_is_refused_before_there_is_a_history(own_folders, capsys):
    status, out, err = _run(capsys, "log", "--since", "garbage")
    assert status == 2 and out == ""
    assert err == "coach: --since garbage: must be a date as YYYY-MM-DD\n"


def test_delete_one_and_all(week, capsys):
    assert _run(capsys, "log", "--delete", "1")[1] == "Deleted session 1.\n"
    status, _, err = _run(capsys, "log", "--delete", "1")
    assert status == 2 and "--delete 1: no such session" in err
    status, _, err = _run(capsys, "log", "--delete-all")
    assert status == 2 and "add --yes" in err  # no terminal to ask on
    assert _run(capsys, "log", "--delete-all", "--yes")[1] == "Deleted 6 sessions.\n"
    assert _run(capsys, "log")[1] == "No sessions yet.\n"


def test_stats_of_the_week(week, capsys):
    status, out, err = _run(capsys, "stats", "--json")
    assert status == 0, err
    figures = json.loads(out)
    assert figures["all"] == {"sessions": 7, "minutes": 41.0, "counted": 6}
    assert [r["routine"] for r in figures["routines"]] == ["anma", "neck"]
    current = figures["streaks"]["current"]
    assert current["days"] == 7 and current["grace_days"] == [
        (week - timedelta(days=3)).isoformat()
    ]
    assert figures["calendar"][-1]["date"] == week.isoformat()
    status, out, _ = _run(capsys, "stats")
    assert "Current streak: 7 days" in out and "(with 1 grace day)" in out
    assert "■" in out and "◌" in out and "Mon" in out


def test_streaks_off_hides_them(week, capsys, own_folders):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text("streaks = false\n")
    _, out, _ = _run(capsys, "stats")
    assert "streak" not in out.lower() and "◌" not in out
    assert "streaks" not in json.loads(_run(capsys, "stats", "--json")[1])


def test_program_after_a_week(week, capsys, own_folders):
    # Started a week ago: six days of anma, one missed; the program waited, so today is
    # the rest day of week one (day 7), a day late.
    state = own_folders["state"]
    state.mkdir(parents=True)
    (state / "program.json").write_text(
        json.dumps({"name": "four-weeks", "started": (week - timedelta(days=7)).isoformat()})
    )
    status, out, err = _run(capsys, "program")
    assert status == 0, err
    assert "Today: day 7 of 28 (week 1 of 4): rest day" in out
    assert "Done: 6 of 24 sessions; 1 missed day" in out
    assert "Streak: 7 days" in out
    assert "* four-weeks" in _run(capsys, "programs")[1]


def test_today_on_a_rest_day_and_without_a_program(capsys, own_folders):
    status, _, err = _run(capsys, "today")
    assert status == 2 and "no program started" in err
    own_folders["state"].mkdir(parents=True)
    today = (datetime.now().astimezone() - timedelta(hours=4)).date()
    (own_folders["state"] / "program.json").write_text(
        json.dumps({"name": "gentle-start", "started": (today - timedelta(days=1)).isoformat()})
    )
    # Day one (quick) was missed yesterday: the program waited, today is still day one.
    status, out, _ = _run(capsys, "program")
    assert "Today: day 1 of 14" in out and "1 missed day" in out
    # Two days ago, with day one done: today is day two, a rest day.
    (own_folders["state"] / "program.json").write_text(
        json.dumps({"name": "gentle-start", "started": today.isoformat()})
    )
    day = today
    started = datetime(day.year, day.month, day.day, 12, 0).astimezone()
    from coach.history.store import open_store

    with open_store() as s:
        s.add(entry(uid="q", routine="quick", started=started - timedelta(days=1)))
    (own_folders["state"] / "program.json").write_text(
        json.dumps({"name": "gentle-start", "started": (today - timedelta(days=1)).isoformat()})
    )
    status, out, _ = _run(capsys, "today")
    assert status == 0 and "Day 2 of 14 of A gentle start: a rest day" in out


def test_coach_today_plays_todays_session(tmp_path, own_folders):
    assert run_coach("program", "start", "four-weeks").returncode == 0
    env, capture = _home(tmp_path)
    played = run_coach("today", env=env)
    assert played.returncode == 0, played.stderr
    assert (
        "Day 1 of 28 of Four weeks of anma: A short anma (6 minutes) (anma, 6 minutes)."
        in played.stderr
    )
    exported = run_coach("export", "anma", "--minutes", "6", "-o", tmp_path / "short.wav")
    assert exported.returncode == 0, exported.stderr
    assert np.array_equal(_captured(capture), decode(tmp_path / "short.wav", 2))
    [session] = json.loads(run_coach("log", "--json").stdout)
    assert session["routine"] == "anma" and session["options"]["minutes"] == 6
    again = run_coach("today", env=env)
    assert again.returncode == 0 and "done today" in again.stdout


def test_on_a_terminal_coach_asks_before_delete_all_and_offers_a_new_history(
    week, own_folders, tmp_path
):
    from test_player import Terminal, _until_screen_shows

    with Terminal(["log", "--delete-all"], {}) as term:
        _until_screen_shows(term, "Delete all 7 sessions")
        term.press("n\n")
        assert term.wait() == 0
        assert "Nothing deleted." in term.read(0.2)
    assert len(json.loads(run_coach("log", "--json").stdout)) == 7
    path = own_folders["data"] / "history.sqlite3"
    for side in path.parent.glob("history.sqlite3-*"):
        side.unlink()
    path.write_bytes(b"this is not a database" * 10)
    with Terminal(["stats"], {}) as term:
        _until_screen_shows(term, "Start a new, empty history")
        term.press("y\n")
        assert term.wait() == 0
        assert "Kept the old file as" in term.read(0.2)
    [kept] = path.parent.glob("history-kept-*.sqlite3")
    assert kept.read_bytes() == b"this is not a database" * 10

"""Recording from a real ``coach play``: ALSA captured through its ``file`` plugin, keys
pressed through a pseudo-terminal, the history read back from the SQLite file with the
sqlite3 shell and through ``coach log --json``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from test_history_store import _digest, fill
from test_player import Terminal, _captured, _home, _size, _until_screen_shows

from coach.history.recording import Recording
from coach.history.store import SCHEMA_VERSION, open_store
from conftest import RATE, coach_bin, decode, one_line, run_coach, tmpfs, wait_until

# Four short steps, so a session can be stopped in its third.
FOUR = """\
title = "Four"
intro = "Ready."
outro = "Done."
""" + "".join(
    f"""
[[steps]]
title = "Step {n}"
say = "Step {n}."
motion = "circle"
reps = 3
seconds = 1.5
"""
    for n in range(1, 5)
)


@pytest.fixture
def four_path(tmp_path: Path) -> Path:
    path = tmp_path / "four.toml"
    path.write_text(FOUR, encoding="utf-8")
    return path


def _history(own_folders) -> Path:
    return own_folders["data"] / "history.sqlite3"


def _rows(path: Path) -> list[dict]:
    """The sessions as the sqlite3 shell reads them (another reader than coach)."""
    out = subprocess.run(
        ["sqlite3", "-json", str(path), "SELECT * FROM sessions ORDER BY id"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out) if out.strip() else []


def test_a_finished_play_is_recorded_with_what_was_played(tmp_path, mini_path, own_folders):
    env, capture = _home(tmp_path)
    played = run_coach("play", mini_path, "--pace", "fast", env=env)
    assert played.returncode == 0, played.stderr
    [row] = _rows(_history(own_folders))
    assert (row["routine"], row["title"], row["outcome"]) == ("mini", "Mini", "finished")
    assert (row["steps_done"], row["steps_total"], row["closing"]) == (2, 2, 1)
    # Every sample sent to the device, and nothing more, is counted as played.
    assert row["seconds"] == pytest.approx(len(_captured(capture)) / RATE, abs=0.002)
    assert json.loads(row["options"])["pace"] == "fast"
    assert row["started"][-6] in "+-" and row["started"] <= row["ended"]
    # coach log shows it.
    log = json.loads(run_coach("log", "--json").stdout)
    assert [(e["routine"], e["outcome"]) for e in log] == [("mini", "finished")]


def test_q_in_step_3_is_a_stopped_session_with_two_steps(tmp_path, four_path, own_folders):
    env, capture = _home(tmp_path, realtime=True)
    began = time.monotonic()
    with Terminal(["play", str(four_path)], env) as term:
        for title in ("Introduction", "Step 1", "Step 2"):
            _until_screen_shows(term, title)
            term.press("n")
        _until_screen_shows(term, "Step 3")
        term.press(" ")  # a pause of two seconds is not played time
        _until_screen_shows(term, "paused")
        term.read(2.0)
        term.press(" ")
        term.read(0.5)
        term.press("q")
        assert term.wait() == 0
    lasted = time.monotonic() - began
    [row] = _rows(_history(own_folders))
    assert (row["outcome"], row["steps_done"], row["steps_total"], row["closing"]) == (
        "stopped",
        2,
        4,
        0,
    )
    # ALSA's file plugin captures what was handed to the device, a little ahead of what
    # was heard when a sound is cut short: an upper bound. The pause is not counted.
    sent = len(_captured(capture)) / RATE
    assert 0 < row["seconds"] <= sent
    assert row["seconds"] < lasted - 2.0, (row["seconds"], lasted)


def test_kill_9_mid_step_keeps_what_was_done(tmp_path, four_path, own_folders):
    env, capture = _home(tmp_path, realtime=True)
    with Terminal(["play", str(four_path)], env) as term:
        for title in ("Introduction", "Step 1"):
            _until_screen_shows(term, title)
            # Some of it heard before it is skipped (under load, keys can come first).
            heard = _size(capture)
            wait_until(lambda heard=heard: _size(capture) > heard, f"sound of {title}")
            term.press("n")
        _until_screen_shows(term, "Step 2")
        term.read(0.5)
        os.killpg(term.proc.pid, signal.SIGKILL)
        term.wait()
    [row] = _rows(_history(own_folders))
    # Recorded as step 2 started: step 1 done, never ended.
    assert (row["outcome"], row["steps_done"], row["closing"]) == ("playing", 1, 0)
    assert row["seconds"] > 0
    shown = run_coach("log")
    assert "unfinished" in shown.stdout and "1/4" in shown.stdout
    # The file is whole: SQLite's own check.
    assert (
        subprocess.run(
            ["sqlite3", str(_history(own_folders)), "PRAGMA integrity_check"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        == "ok"
    )


def test_two_plays_at_once_both_record(tmp_path, mini_path, phases_path, own_folders):
    runs = []
    for name, routine in (("a", mini_path), ("b", phases_path)):
        (tmp_path / name).mkdir()
        env, _ = _home(tmp_path / name)
        runs.append(
            subprocess.Popen(
                [str(coach_bin()), "play", str(routine)],
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in runs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    rows = _rows(_history(own_folders))
    assert sorted(r["routine"] for r in rows) == ["mini", "phases"]
    assert all(r["outcome"] == "finished" for r in rows)


@pytest.mark.parametrize("how", ["option", "setting"])
def test_history_off_records_nothing_and_makes_no_file(tmp_path, mini_path, own_folders, how):
    env, capture = _home(tmp_path)
    if how == "setting":
        own_folders["config"].mkdir(parents=True)
        (own_folders["config"] / "config.toml").write_text("history = false\n")
        args = ["play", mini_path]
    else:
        args = ["play", mini_path, "--no-history"]
    played = run_coach(*args, env=env)
    assert played.returncode == 0, played.stderr
    assert _size(capture) > 0
    assert not own_folders["data"].exists()


def test_export_is_not_practice(tmp_path, mini_path, own_folders):
    assert run_coach("export", mini_path, "-o", tmp_path / "m.wav").returncode == 0
    assert not own_folders["data"].exists()


def test_a_full_disk_never_stops_a_session(tmp_path, mini_path):
    with tmpfs(tmp_path / "small", "64k") as mount:
        fill(mount)
        env, capture = _home(tmp_path)
        played = run_coach("play", mini_path, env={**env, "XDG_DATA_HOME": str(mount)})
        assert played.returncode == 0, played.stderr
        one_line(
            played.stderr.replace("Finished. Well done.\n", ""),
            "could not record this session",
            "disk is full",
            "it plays on",
        )
    assert run_coach("export", mini_path, "-o", tmp_path / "m.wav").returncode == 0
    assert np.array_equal(_captured(capture), decode(tmp_path / "m.wav", 2))


def test_a_read_only_folder_never_stops_a_session(tmp_path, mini_path):
    with tmpfs(tmp_path / "ro", "64k") as mount:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        env, capture = _home(tmp_path)
        played = run_coach("play", mini_path, env={**env, "XDG_DATA_HOME": str(mount)})
        assert played.returncode == 0, played.stderr
        assert played.stderr.count("could not record") == 1 and "read-only" in played.stderr
        assert _size(capture) > 0


@pytest.mark.parametrize("make", ["garbage", "foreign", "newer"])
def test_a_bad_history_file_stops_play_before_any_sound_and_is_kept(
    tmp_path, mini_path, own_folders, make
):
    path = _history(own_folders)
    path.parent.mkdir(parents=True)
    if make == "garbage":
        path.write_bytes(os.urandom(4096))
    elif make == "foreign":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (text TEXT)")
        db.commit()
        db.close()
    else:
        with open_store(path):
            pass
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
        db.close()
    before = _digest(path)
    env, capture = _home(tmp_path)
    played = run_coach("play", mini_path, env=env)
    assert played.returncode == 2
    one_line(played.stderr, str(path))
    assert not capture.exists()
    for command in (["log"], ["stats"]):
        result = run_coach(*command)
        assert result.returncode == 2
        one_line(result.stderr, str(path))
    assert _digest(path) == before
    if make != "newer":
        moved = run_coach("log", "--start-new")
        assert moved.returncode == 0, moved.stderr
        kept = sorted(path.parent.glob("history-kept-*.sqlite3"))
        assert len(kept) == 1 and _digest(kept[0]) == before
        assert run_coach("play", mini_path, env=env).returncode == 0
        assert len(_rows(path)) == 1


def test_a_recording_that_cannot_write_says_so_once(tmp_path):
    notes: list[str] = []
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    rec = Recording("mini", "Mini", 2, path=blocked / "history.sqlite3", notify=notes.append)
    rec.start()
    rec.step_started(0, 1.0)
    rec.step_started(None, 2.0)
    rec.end(True, 3.0)
    assert len(notes) == 1 and "could not record" in notes[0]


def test_recording_of_checks_the_file_and_takes_the_routine(tmp_path):
    from coach.catalog import builtin
    from coach.history.store import DamagedHistory
    from coach.session import Options

    quick = builtin("quick")
    path = tmp_path / "history.sqlite3"
    rec = Recording.of(quick, Options(), path=path)
    assert (rec.routine, rec.title, rec.steps_total) == ("quick", "Quick anma", len(quick.steps))
    assert rec.options["pace"] == "normal" and not path.exists()  # nothing written yet
    path.write_bytes(b"x" * 200)
    with pytest.raises(DamagedHistory):
        Recording.of(quick, Options(), path=path)

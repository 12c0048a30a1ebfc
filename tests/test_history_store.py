"""The history file, for real: SQLite files in temporary folders, read back with the
sqlite3 command-line shell where it matters (another reader than coach's)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import subprocess
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from coach.history import store
from coach.history.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    DamagedHistory,
    Entry,
    HistoryWriteError,
    NewerHistory,
    Outcome,
    check,
    open_store,
    start_new,
)
from conftest import tmpfs

PARIS = timezone(timedelta(hours=1))


def entry(n: int = 0, routine: str = "anma", **kw) -> Entry:
    started = datetime(2026, 11, 1, 21, 30, tzinfo=PARIS) + timedelta(days=n)
    fields = {
        "uid": f"u{n}-{routine}",
        "routine": routine,
        "title": routine.title(),
        "started": started,
        "steps_total": 5,
        "ended": started + timedelta(minutes=7),
        "seconds": 400.0,
        "steps_done": 5,
        "closing": True,
        "outcome": Outcome.FINISHED,
        "options": {"pace": "slow"},
    }
    fields.update(kw)
    return Entry(**fields)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_history_is_marked_versioned_and_in_wal_mode(tmp_path):
    path = tmp_path / "deep" / "history.sqlite3"
    with open_store(path) as s:
        s.add(entry())
    assert check(path)
    shell = subprocess.run(
        [
            "sqlite3",
            str(path),
            "PRAGMA application_id; PRAGMA user_version; "
            "PRAGMA journal_mode; SELECT routine, started, outcome FROM sessions",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shell == [
        str(APPLICATION_ID),
        str(SCHEMA_VERSION),
        "wal",
        "anma|2026-11-01T21:30:00+01:00|finished",
    ]


def test_entries_newest_first_filtered_and_limited(tmp_path):
    with open_store(tmp_path / "h.sqlite3") as s:
        for n in range(5):
            s.add(entry(n, "anma" if n % 2 else "neck"))
        got = s.entries()
        assert [e.started.day for e in got] == [5, 4, 3, 2, 1]
        assert [e.id for e in s.entries(routine="anma")] == [4, 2]
        assert [e.started.day for e in s.entries(since=date(2026, 11, 4))] == [5, 4]
        assert len(s.entries(limit=2)) == 2
        assert got[0] == entry(4, "neck", id=5)  # every field comes back as stored


def test_order_is_by_the_moment_not_the_local_clock(tmp_path):
    # 22:00 in New York is after 23:00 in Paris on the same date.
    ny = timezone(timedelta(hours=-5))
    with open_store(tmp_path / "h.sqlite3") as s:
        s.add(entry(uid="ny", started=datetime(2026, 11, 1, 22, 0, tzinfo=ny)))
        s.add(entry(uid="paris", started=datetime(2026, 11, 1, 23, 0, tzinfo=PARIS)))
        assert [e.uid for e in s.entries()] == ["ny", "paris"]


def test_add_all_skips_sessions_already_there_and_delete(tmp_path):
    with open_store(tmp_path / "h.sqlite3") as s:
        s.add(entry(0))
        assert s.add_all([entry(0), entry(1), entry(2)]) == (2, 1)
        assert s.delete(2) and not s.delete(2)
        assert s.delete_all() == 2
        assert s.entries() == []


def test_open_without_create_makes_nothing(tmp_path):
    assert open_store(tmp_path / "none" / "h.sqlite3", create=False) is None
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize(
    "content, words",
    [
        (b"not a database at all" * 10, "not an SQLite database"),
        (b"SQLite format 3\x00" + b"\x00" * 40, "not an SQLite database"),
    ],
)
def test_a_damaged_file_is_refused_and_left_as_it_is(tmp_path, content, words):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(content)
    for attempt in (lambda: check(path), lambda: open_store(path)):
        with pytest.raises(DamagedHistory) as caught:
            attempt()
        assert str(path) in str(caught.value) and words in str(caught.value)
        assert "\n" not in str(caught.value)
    assert path.read_bytes() == content


def test_another_programs_database_is_refused_unchanged(tmp_path):
    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (name TEXT)")
    db.commit()
    db.close()
    before = _digest(path)
    with pytest.raises(DamagedHistory, match="another program"):
        open_store(path)
    assert _digest(path) == before


def test_a_history_from_a_newer_coach_is_refused_unchanged(tmp_path):
    path = tmp_path / "history.sqlite3"
    with open_store(path) as s:
        s.add(entry())
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = _digest(path)
    with pytest.raises(NewerHistory) as caught:
        open_store(path)
    assert f"schema {SCHEMA_VERSION + 1}" in str(caught.value) and str(path) in str(caught.value)
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists()


def test_an_older_history_is_migrated(tmp_path, monkeypatch):
    # A made-up version 2 adds a column; a version 1 file gains it when opened, keeping
    # its sessions.
    path = tmp_path / "history.sqlite3"
    with open_store(path) as s:
        s.add(entry())
    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(store.MIGRATIONS, 2, ("ALTER TABLE sessions ADD COLUMN mood TEXT",))
    with open_store(path) as s:
        assert len(s.entries()) == 1
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "mood" in [row[1] for row in db.execute("PRAGMA table_info(sessions)")]


def test_start_new_keeps_the_old_file_beside(tmp_path):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"garbage" * 20)
    kept = start_new(path)
    assert kept.parent == tmp_path and kept.read_bytes() == b"garbage" * 20
    assert not path.exists()
    with open_store(path) as s:
        assert s.entries() == []
    again = start_new(path)
    assert again != kept and kept.exists()


def _writer(path: str, n: int) -> None:
    with open_store(Path(path)) as s:
        for i in range(n):
            id = s.add(entry(i, routine=f"w{multiprocessing.current_process().name}"))
            s.update(
                id,
                ended=datetime.now(UTC),
                seconds=1.0,
                steps_done=1,
                closing=False,
                outcome=Outcome.PLAYING,
            )


def test_concurrent_writers_all_record(tmp_path):
    path = tmp_path / "history.sqlite3"
    procs = [
        multiprocessing.get_context("spawn").Process(
            target=_writer, args=(str(path), 30), name=str(k)
        )
        for k in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_store(path) as s:
        assert len(s.entries()) == 120


def fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_a_full_disk_is_a_write_error(tmp_path):
    with tmpfs(tmp_path / "small", "64k") as mount:
        fill(mount)
        with pytest.raises(HistoryWriteError, match="disk is full"):
            open_store(mount / "coach" / "history.sqlite3")


def test_a_read_only_folder_is_a_write_error(tmp_path):
    with tmpfs(tmp_path / "ro", "64k") as mount:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        with pytest.raises(HistoryWriteError, match="read-only"):
            open_store(mount / "history.sqlite3")


def test_a_missing_home_is_a_write_error_and_nothing_is_made(tmp_path, monkeypatch):
    # HOME=/nonexistent: the history is not kept, and /nonexistent/.local/share is not made.
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "nonexistent"))
    with pytest.raises(HistoryWriteError, match="no such folder"):
        open_store()
    assert list(tmp_path.iterdir()) == []

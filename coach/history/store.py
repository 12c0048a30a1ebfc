"""The history file, and every SQL statement coach runs: one SQLite database.

``history.sqlite3`` in ``places.data_dir()`` (``~/.local/share/coach/``, or
``$XDG_DATA_HOME/coach/``). The file is marked as coach's by SQLite's application id
(APPLICATION_ID) and carries its schema version in ``user_version``; a file from before a
change of schema is migrated in one transaction when it is opened (MIGRATIONS), a file
from a newer coach is refused and left as it is. It runs in WAL mode with a busy timeout,
so several ``coach play`` at once each record their own session.

What is wrong with a file is found from its first 100 bytes (``check``) before any sound
is made, without loading sqlite3: a damaged or foreign file is DamagedHistory, a newer one
NewerHistory (both InputError, status 2); neither is ever written to. Failing to write (a
full disk, a read-only folder) is HistoryWriteError.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from coach import owned, places
from coach.errors import CoachError, InputError, MissingPartError

if TYPE_CHECKING:  # imported where used: loading sqlite3 takes tens of milliseconds, and
    import sqlite3  # a session's first sound must not wait for it (check needs none)

#: The schema this coach writes. Raise it with a new entry in MIGRATIONS.
SCHEMA_VERSION = 1
#: SQLite's application id for coach's history: "coac" in ASCII.
APPLICATION_ID = 0x636F6163
#: The first bytes of every SQLite 3 database.
MAGIC = b"SQLite format 3\x00"
#: How long a writer waits for another one to finish, seconds.
BUSY_SECONDS = 10.0
FILE_NAME = "history.sqlite3"

#: The statements that bring a file of version N-1 to version N (1: a new file).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            routine TEXT NOT NULL,
            title TEXT NOT NULL,
            started TEXT NOT NULL,
            started_utc TEXT NOT NULL,
            ended TEXT,
            seconds REAL NOT NULL DEFAULT 0,
            steps_done INTEGER NOT NULL DEFAULT 0,
            steps_total INTEGER NOT NULL,
            closing INTEGER NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL CHECK (outcome IN ('playing', 'finished', 'stopped')),
            options TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX sessions_by_start ON sessions (started_utc)",
    ),
}


class Outcome(Enum):
    """How a session ended. PLAYING: not ended, so playing now or cut off (a crash,
    ``kill -9``, a power cut); what it reached is kept as each step starts."""

    PLAYING = "playing"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Entry:
    """One practice session. ``started``/``ended``: local time with its UTC offset (the
    clock where it was played); ``seconds``: sound actually played, pauses excluded;
    ``steps_done`` of ``steps_total``: the routine's steps played through; ``closing``:
    it reached the routine's closing; ``options``: pace, minutes, voice, bed and the like
    as given; ``uid``: the same session in any copy of any history; ``id``: its number in
    this file (0: not stored)."""

    uid: str
    routine: str
    title: str
    started: datetime
    steps_total: int
    ended: datetime | None = None
    seconds: float = 0.0
    steps_done: int = 0
    closing: bool = False
    outcome: Outcome = Outcome.PLAYING
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    id: int = 0


class DamagedHistory(InputError):
    """The history file is not a coach history (damaged, or another program's file)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: {reason}; it is left as it is ('coach log --start-new' "
            f"keeps it and starts a new history beside it)"
        )


class NewerHistory(InputError):
    """The history file was written by a newer coach."""

    def __init__(self, path: Path, version: int) -> None:
        self.path = path
        super().__init__(
            f"{path}: written by a newer coach (history schema {version}; this "
            f"coach reads up to {SCHEMA_VERSION}); left unchanged: update coach"
        )


class HistoryWriteError(MissingPartError):
    """The history could not be written: a full disk, a read-only file or folder."""


def default_path() -> Path:
    """Where the history lives: ``history.sqlite3`` in ``places.data_dir()``."""
    return places.data_dir() / FILE_NAME


def check(path: Path) -> bool:
    """Whether a history exists at ``path`` (an empty file counts as none), from its header
    alone: DamagedHistory when it is not coach's SQLite database, NewerHistory when a newer
    coach wrote it. Reads 100 bytes; cheap enough to run before a session's first sound."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        raise DamagedHistory(path, "is a folder, not a history file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the history: {exc.strerror or exc}") from None
    if not head:
        return False
    if len(head) < 100 or not head.startswith(MAGIC):
        raise DamagedHistory(
            path, "not a coach history (not an SQLite database: damaged, or another program's file)"
        )
    if int.from_bytes(head[68:72], "big") != APPLICATION_ID:
        raise DamagedHistory(path, "not a coach history (an SQLite database of another program)")
    version = int.from_bytes(head[60:64], "big")
    if version > SCHEMA_VERSION:
        raise NewerHistory(path, version)
    return True


def start_new(path: Path) -> Path:
    """Move the history at ``path`` (and its WAL files) aside to a dated name in the same
    folder, never replacing a file, so a new history starts at ``path``; returns where the
    old one went."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        kept = path.with_name(f"{path.stem}-kept-{stamp}{f'-{n}' if n else ''}{path.suffix}")
        if not kept.exists():
            break
    try:
        os.link(path, kept)  # fails rather than replace a file that appeared meanwhile
        path.unlink()
        for extra in ("-wal", "-shm"):
            side = Path(f"{path}{extra}")
            if side.exists():
                side.rename(Path(f"{kept}{extra}"))
    except OSError as exc:
        raise InputError(
            f"{path}: cannot move it aside to {kept.name}: {exc.strerror or exc}"
        ) from None
    return kept


def _write_error(path: Path, exc: BaseException) -> CoachError:
    import errno
    import sqlite3

    text = str(exc)
    code = getattr(exc, "errno", None)
    if "full" in text or code == errno.ENOSPC:
        return HistoryWriteError(f"{path}: cannot record: the disk is full")
    # SQLite says only "unable to open database file" when it cannot make its WAL files.
    unopened = "unable to open" in text and not os.access(path.parent, os.W_OK)
    if (
        "readonly" in text
        or "read-only" in text
        or unopened
        or code in (errno.EROFS, errno.EACCES)
        or isinstance(exc, PermissionError)
    ):
        return HistoryWriteError(f"{path}: cannot record: the file or its folder is read-only")
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return DamagedHistory(path, f"damaged ({text})")
    return HistoryWriteError(f"{path}: cannot record: {text}")


@dataclass(frozen=True)
class Store:
    """An open history. Every call is its own transaction; use as a context manager or
    ``close`` it."""

    path: Path
    db: sqlite3.Connection

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        import sqlite3

        try:
            with self.db:
                yield self.db
        except (sqlite3.Error, OSError) as exc:
            raise _write_error(self.path, exc) from None

    def add(self, entry: Entry) -> int:
        """Store ``entry`` and return its id."""
        with self._writing() as db:
            cur = db.execute(
                "INSERT INTO sessions (uid, routine, title, started, started_utc, ended, "
                "seconds, steps_done, steps_total, closing, outcome, options) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(entry),
            )
            return int(cur.lastrowid or 0)

    def update(
        self,
        id: int,
        *,
        ended: datetime,
        seconds: float,
        steps_done: int,
        closing: bool,
        outcome: Outcome,
    ) -> None:
        """Bring session ``id`` up to date as it plays and when it ends."""
        with self._writing() as db:
            db.execute(
                "UPDATE sessions SET ended = ?, seconds = ?, steps_done = ?, closing = ?, "
                "outcome = ? WHERE id = ?",
                (
                    ended.isoformat(timespec="seconds"),
                    round(seconds, 3),
                    steps_done,
                    int(closing),
                    outcome.value,
                    id,
                ),
            )

    def add_all(self, entries: Iterable[Entry]) -> tuple[int, int]:
        """Store ``entries`` but those whose uid is here already; (added, skipped)."""
        added = skipped = 0
        with self._writing() as db:
            for entry in entries:
                cur = db.execute(
                    "INSERT OR IGNORE INTO sessions (uid, routine, title, started, started_utc, "
                    "ended, seconds, steps_done, steps_total, closing, outcome, options) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row(entry),
                )
                added += cur.rowcount
                skipped += 1 - cur.rowcount
        return added, skipped

    def entries(
        self,
        since: date | None = None,
        routine: str | None = None,
        limit: int | None = None,
        options: bool = True,
    ) -> list[Entry]:
        """Sessions, newest first: those started on or after the day ``since`` (by the
        local date where they were played), of ``routine``, at most ``limit``; without
        ``options`` their options are left out (empty), for figures that need none."""
        where, args = [], []
        if since is not None:
            where.append("substr(started, 1, 10) >= ?")
            args.append(since.isoformat())
        if routine is not None:
            where.append("routine = ?")
            args.append(routine)
        sql = (
            "SELECT id, uid, routine, title, started, ended, seconds, steps_done, "
            f"steps_total, closing, outcome, {'options' if options else NO_OPTIONS} FROM sessions"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY started_utc DESC, id DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(str(limit))
        import sqlite3

        try:
            rows = self.db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise DamagedHistory(self.path, f"damaged ({exc})") from None
        return [_entry(row) for row in rows]

    def delete(self, id: int) -> bool:
        """Remove session ``id``; False when there is none."""
        with self._writing() as db:
            return db.execute("DELETE FROM sessions WHERE id = ?", (id,)).rowcount > 0

    def delete_all(self) -> int:
        """Remove every session; how many there were."""
        with self._writing() as db:
            return db.execute("DELETE FROM sessions").rowcount


def open_store(path: Path | None = None, create: bool = True) -> Store | None:
    """The history at ``path`` (default: ``default_path()``), migrated to SCHEMA_VERSION;
    with ``create`` made (and its folder) when missing, else None when there is none.
    Raises DamagedHistory, NewerHistory, or HistoryWriteError when it cannot be made."""
    import sqlite3

    path = path or default_path()
    if not check(path) and not create:
        return None
    try:
        owned.make_folder(path.parent)  # never the home folder itself (see coach.owned)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        db = sqlite3.connect(
            path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise _write_error(path, exc) from None
    try:
        _migrate(db, path)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL: safe from corruption, fast commits
    except BaseException:
        db.close()
        raise
    return Store(path, db)


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction (a new file: create it)."""
    import sqlite3

    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app = db.execute("PRAGMA application_id").fetchone()[0]
            if version == 0 and db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise DamagedHistory(
                    path, "not a coach history (an SQLite database of another program)"
                )
            if version > SCHEMA_VERSION:
                raise NewerHistory(path, version)
            if version and app != APPLICATION_ID:
                raise DamagedHistory(
                    path, "not a coach history (an SQLite database of another program)"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" not in str(exc):
            raise _write_error(path, exc) from None
        raise DamagedHistory(path, f"damaged ({exc})") from None


def _row(entry: Entry) -> tuple[Any, ...]:
    utc = entry.started.astimezone(UTC).isoformat(timespec="seconds")
    return (
        entry.uid,
        entry.routine,
        entry.title,
        entry.started.isoformat(timespec="seconds"),
        utc,
        entry.ended.isoformat(timespec="seconds") if entry.ended else None,
        round(entry.seconds, 3),
        entry.steps_done,
        entry.steps_total,
        int(entry.closing),
        entry.outcome.value,
        json.dumps(dict(entry.options), sort_keys=True, ensure_ascii=False),
    )


NO_OPTIONS = "NULL"
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_OUTCOMES = {o.value: o for o in Outcome}


def _entry(row: tuple[Any, ...]) -> Entry:
    (
        id,
        uid,
        routine,
        title,
        started,
        ended,
        seconds,
        steps_done,
        steps_total,
        closing,
        outcome,
        options,
    ) = row
    return Entry(
        uid=uid,
        routine=routine,
        title=title,
        started=datetime.fromisoformat(started),
        ended=datetime.fromisoformat(ended) if ended else None,
        seconds=float(seconds),
        steps_done=int(steps_done),
        steps_total=int(steps_total),
        closing=bool(closing),
        outcome=_OUTCOMES[outcome],
        options=MappingProxyType(json.loads(options)) if options else _EMPTY,
        id=int(id),
    )

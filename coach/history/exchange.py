"""The history as JSON or CSV for the user's own tools and backups, and back again.

JSON: a list of objects, one per session, newest first, with the keys of FIELDS;
``options`` is an object. CSV: a header row of FIELDS, then one row per session;
``options`` holds the same object as JSON text, ``closing`` is ``true``/``false``, an
empty ``ended`` is none. Times are ISO 8601 with their UTC offset. ``parse`` reads either
(told apart by the first character), checking every field: a problem is one InputError
naming the file and the place (``line 3: started``, ``[2].started``).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from coach.errors import InputError
from coach.history.store import Entry, Outcome
from coach.tomlfile import not_one_of

FIELDS = (
    "id",
    "uid",
    "routine",
    "title",
    "started",
    "ended",
    "seconds",
    "steps_done",
    "steps_total",
    "closing",
    "outcome",
    "options",
)
#: Sessions in one file to import, at most (10 years of daily sessions is about 4,000).
MAX_ENTRIES = 1_000_000
#: The largest export file read, bytes (about 300 bytes a session).
MAX_FILE_BYTES = 300_000_000


def as_dict(entry: Entry) -> dict[str, Any]:
    """``entry`` with the keys of FIELDS, as JSON gives it."""
    return {
        "id": entry.id,
        "uid": entry.uid,
        "routine": entry.routine,
        "title": entry.title,
        "started": entry.started.isoformat(),
        "ended": entry.ended.isoformat() if entry.ended else None,
        "seconds": entry.seconds,
        "steps_done": entry.steps_done,
        "steps_total": entry.steps_total,
        "closing": entry.closing,
        "outcome": entry.outcome.value,
        "options": dict(entry.options),
    }


def to_json(entries: Sequence[Entry]) -> str:
    return json.dumps([as_dict(e) for e in entries], indent=1, ensure_ascii=False) + "\n"


def to_csv(entries: Sequence[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for e in entries:
        d = as_dict(e)
        d["ended"] = d["ended"] or ""
        d["closing"] = "true" if e.closing else "false"
        d["options"] = json.dumps(d["options"], sort_keys=True, ensure_ascii=False)
        writer.writerow([d[f] for f in FIELDS])
    return out.getvalue()


def parse(text: str, source: str) -> list[Entry]:
    """The sessions in an export (JSON or CSV), oldest first, so a history made from it
    numbers them as the one it came from. InputError naming ``source`` and the place."""
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        return _sorted(_from_json(stripped, source))
    return _sorted(_from_csv(text, source))


def _sorted(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.started.timestamp(), e.id))


def _from_json(text: str, source: str) -> list[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a coach history") from None
    if not isinstance(data, list):
        raise InputError(f"{source}: must be a list of sessions, as 'coach log --json' writes")
    if len(data) > MAX_ENTRIES:
        raise InputError(f"{source}: more than {MAX_ENTRIES:,} sessions")
    return [_entry(item, f"[{n}]", source) for n, item in enumerate(data)]


def _from_csv(text: str, source: str) -> list[Entry]:
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows, None)
        if header is None:
            raise InputError(f"{source}: empty; expected a CSV export of 'coach log --csv' or JSON")
        missing = [
            f for f in FIELDS if f not in header and f not in ("id", "uid", "ended", "options")
        ]
        if missing:
            raise InputError(
                f"{source}: line 1: not a coach history export: no column {', '.join(missing)}"
            )
        entries = []
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            where = f"line {rows.line_num}"
            if len(row) != len(header):
                raise InputError(
                    f"{source}: {where}: {len(row)} fields; the header has {len(header)}"
                )
            item: dict[str, Any] = dict(zip(header, row))
            if item.get("options"):
                try:
                    item["options"] = json.loads(item["options"])
                except json.JSONDecodeError:
                    raise InputError(f"{source}: {where}: options: not valid JSON") from None
            item["closing"] = {"true": True, "false": False}.get(
                item["closing"].strip().lower(), item["closing"]
            )
            for key in ("seconds",):
                item[key] = _number(item[key], float, source, f"{where}: {key}")
            for key in ("steps_done", "steps_total", "id"):
                if key in item and item[key] != "":
                    item[key] = _number(item[key], int, source, f"{where}: {key}")
            item["ended"] = item.get("ended") or None
            entries.append(_entry(item, where, source))
            if len(entries) > MAX_ENTRIES:
                raise InputError(f"{source}: more than {MAX_ENTRIES:,} sessions")
        return entries
    except csv.Error as exc:
        raise InputError(f"{source}: line {rows.line_num}: not valid CSV: {exc}") from None


def _number(raw: str, kind: type, source: str, where: str) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise InputError(f"{source}: {where}: must be a number, not {raw!r}") from None


def _entry(item: Any, where: str, source: str) -> Entry:
    """One session from an export's ``item``; InputError naming the field."""

    def bad(key: str, message: str) -> InputError:
        sep = "." if where.startswith("[") else ": "
        return InputError(f"{source}: {where}{sep}{key}: {message}")

    if not isinstance(item, dict):
        raise InputError(f"{source}: {where}: must be an object with {', '.join(FIELDS)}")
    for key in ("routine", "title", "started", "steps_total", "outcome"):
        if item.get(key) in (None, ""):
            raise bad(key, "is missing")
    texts = {}
    for key in ("routine", "title"):
        if not isinstance(item[key], str) or len(item[key]) > 1000:
            raise bad(key, "must be text (at most 1,000 characters)")
        texts[key] = item[key]
    times: dict[str, datetime | None] = {}
    for key in ("started", "ended"):
        raw = item.get(key)
        if raw is None:
            times[key] = None
            continue
        try:
            moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise bad(
                key,
                f"must be a date and time with its UTC offset, like "
                f"2026-12-01T21:30:00+01:00, not {raw!r}",
            )
        times[key] = moment
    numbers: dict[str, Any] = {}
    for key, kind, low, high in (
        ("seconds", float, 0, 86_400.0),
        ("steps_done", int, 0, 10_000),
        ("steps_total", int, 0, 10_000),
    ):
        value = item.get(key, 0)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is int:
            ok = ok and float(value).is_integer()
        if not ok or not low <= value <= high:
            raise bad(
                key, f"must be a {'whole ' if kind is int else ''}number from {low} to {high:g}"
            )
        numbers[key] = kind(value)
    if numbers["steps_done"] > numbers["steps_total"]:
        raise bad("steps_done", "is more than steps_total")
    if not isinstance(item.get("closing", False), bool):
        raise bad("closing", "must be true or false")
    try:
        outcome = Outcome(item["outcome"])
    except ValueError:
        raise bad("outcome", not_one_of([o.value for o in Outcome])) from None
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise bad("options", "must be an object")
    uid = item.get("uid") or ""
    if not isinstance(uid, str) or len(uid) > 200:
        raise bad("uid", "must be text")
    started = times["started"]
    assert started is not None
    if not uid:  # written by hand: the same session is the same routine at the same moment
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"coach:{texts['routine']}@{started.isoformat()}").hex
    raw_id = item.get("id", 0)
    return Entry(
        uid=uid,
        routine=texts["routine"],
        title=texts["title"],
        started=started,
        ended=times["ended"],
        seconds=numbers["seconds"],
        steps_done=numbers["steps_done"],
        steps_total=numbers["steps_total"],
        closing=bool(item.get("closing", False)),
        outcome=outcome,
        options=MappingProxyType(options),
        id=raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else 0,
    )

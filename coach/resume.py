"""Where the last ``coach play`` of each routine stopped, so ``--resume`` can go on there.

Kept in ``places.state_dir()/resume.json`` as ``{routine key: {"step": index, "title":
title}}``; the key is a routine's name, or the absolute path of a routine file. A step is
found again by its title first (the file may have changed), then by its index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coach import owned
from coach.catalog import is_path
from coach.routine import Routine


def _file() -> Path:
    from coach.places import state_dir

    return state_dir() / "resume.json"


def key(spec: str) -> str:
    """The key of the routine the user named ``spec`` (a name, or a path to a file)."""
    if is_path(spec):
        return str(Path(spec).resolve())
    return spec


def _read() -> dict[str, Any]:
    from coach.errors import InputError
    from coach.tomlfile import read_text

    try:  # (a regular file only: a FIFO in its place would wait forever)
        data = json.loads(read_text(_file(), "state file"))
    except (InputError, ValueError):
        return {}  # nothing remembered, or a damaged file: start afresh
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, Any]) -> None:
    path = _file()
    try:
        owned.write_atomically(path, json.dumps(data, indent=1, ensure_ascii=False))
    except OSError:
        pass  # remembering is a convenience: never a reason to stop a session


def remember(name: str, routine: Routine, step: int) -> None:
    """Record that the session of ``name`` (a key()) was at step index ``step``."""
    data = _read()
    data[name] = {"step": step, "title": routine.steps[step].title}
    _write(data)


def forget(name: str) -> None:
    """The session of ``name`` finished: nothing to resume."""
    data = _read()
    if data.pop(name, None) is not None:
        _write(data)


def recall(name: str, routine: Routine) -> int | None:
    """The step index to resume ``name`` at, None when nothing is remembered or the step
    is gone from the routine."""
    entry = _read().get(name)
    if not isinstance(entry, dict):
        return None
    titles = [s.title for s in routine.steps]
    if entry.get("title") in titles:
        return titles.index(entry["title"])
    step = entry.get("step")
    return step if isinstance(step, int) and 0 <= step < len(titles) else None


def recorded_title(name: str) -> str | None:
    """The title of the step ``name`` stopped at, as it was then (None: nothing recorded).
    When the routine has changed since, the step ``recall`` finds by number has another
    title, and the user is told both."""
    entry = _read().get(name)
    title = entry.get("title") if isinstance(entry, dict) else None
    return title if isinstance(title, str) else None

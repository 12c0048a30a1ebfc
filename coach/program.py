"""Programs: which routine, with which options, on which day, over weeks, with rest days.

A program is a TOML file: built-in ones in ``coach/programs``, the user's own as
``places.config_dir()/programs/NAME.toml`` (one may take a built-in's place)::

    title = "Four weeks of anma"
    summary = "..."                       # optional

    [sessions.short]                      # a session the weeks name, any name
    routine = "anma"                      # a routine name (built-in or yours)
    minutes = 4                           # optional: minutes, pace, talk, count, bed
    title = "A short anma"                # optional; default: the routine's title

    [[weeks]]                             # 1 to 52 weeks, in order
    days = ["short", "short", "short", "short", "short", "short", "rest"]

Each week has seven days, each a session's name or ``"rest"``. A bad file is refused
whole, as a routine file is: one InputError naming the file, each place and its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from coach import places
from coach.errors import InputError
from coach.tomlfile import format_problems, parse_toml, read_text, unknown_key

REST = "rest"
MAX_WEEKS = 52
#: The options a program's session may set, as the settings file spells them.
OPTION_KEYS = ("minutes", "pace", "talk", "count", "bed")
_SESSION_KEYS = {"routine", "title", *OPTION_KEYS}
_PROGRAM_KEYS = {"title", "summary", "sessions", "weeks"}
#: A session's name in a program file (as a routine's name).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Session:
    """One session of a program: ``routine`` (a name) played with ``options`` (keys of
    OPTION_KEYS, values as the settings file gives them), called ``title``."""

    name: str
    routine: str
    title: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Program:
    """A whole program: ``days`` in order, each a Session or None for a rest day."""

    name: str
    title: str
    days: tuple[Session | None, ...]
    summary: str = ""
    source: str = field(default="", compare=False)

    @property
    def weeks(self) -> int:
        return len(self.days) // 7

    @property
    def sessions(self) -> int:
        """How many days are not rest days."""
        return sum(d is not None for d in self.days)


def _lines(text: str) -> dict[str, int]:
    """The line of each place a problem may be reported at: ``title``, ``sessions.X``
    (its header), ``sessions.X.minutes``, ``weeks[1]`` (its header), ``weeks[1].days``;
    only in the plain layout the module shows (anything else: no line, never a wrong one)."""
    found: dict[str, int] = {}
    table, week = "", -1
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.split("#", 1)[0].strip() if '"' not in line else line.strip()
        if stripped.startswith("[[") and stripped.rstrip().endswith("]]"):
            if stripped[2:-2].strip() == "weeks":
                week += 1
                table = f"weeks[{week}]"
                found.setdefault(table, number)
            continue
        header = re.fullmatch(r"\[\s*sessions\s*\.\s*([A-Za-z0-9_-]+)\s*\]", stripped)
        if header:
            table = f"sessions.{header.group(1)}"
            found.setdefault(table, number)
            continue
        key = re.match(r"([A-Za-z0-9_-]+)\s*=", stripped)
        if key:
            found.setdefault(f"{table}.{key.group(1)}" if table else key.group(1), number)
    return found


class _Problems:
    def __init__(self, source: str, lines: dict[str, int]) -> None:
        self.source, self.lines, self.items = source, lines, []  # type: ignore[var-annotated]

    def add(self, place: str, message: str) -> None:
        line = self.lines.get(place) or self.lines.get(place.rpartition(".")[0])
        self.items.append(f"{'line ' + str(line) + ': ' if line else ''}{place}: {message}")


def loads(text: str, name: str, source: str) -> Program:
    """A program from TOML ``text``; ``source`` names it in messages."""
    data = parse_toml(text, source)
    p = _Problems(source, _lines(text))
    for key in data:
        if key not in _PROGRAM_KEYS:
            p.items.append(unknown_key(key, _PROGRAM_KEYS))
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 80:
        p.add("title", "is missing" if title is None else "must be text of 1 to 80 characters")
    summary = data.get("summary", "")
    if not isinstance(summary, str) or len(summary) > 2000:
        p.add("summary", "must be text of at most 2,000 characters")
    sessions = _sessions(data.get("sessions"), p)
    days = _weeks(data.get("weeks"), sessions, p)
    if p.items:
        raise InputError(format_problems(source, p.items))
    return Program(name, str(title).strip(), tuple(days), str(summary).strip(), source)


def _sessions(raw: Any, p: _Problems) -> dict[str, Session]:
    from coach import catalog, config

    if not isinstance(raw, dict) or not raw:
        p.add("sessions", "is missing: one [sessions.NAME] table for each kind of session")
        return {}
    known = catalog.names()
    out: dict[str, Session] = {}
    for name, table in raw.items():
        place = f"sessions.{name}"
        if not isinstance(table, dict):
            p.add(place, "must be a table ([sessions.NAME] with routine = ...)")
            continue
        if name == REST or not NAME_PATTERN.fullmatch(name):
            p.add(place, f"a session's name is 1-64 letters, digits, - and _, and not '{REST}'")
            continue
        for key in table:
            if key not in _SESSION_KEYS:
                p.items.append(
                    _with_line(p, f"{place}.{key}", unknown_key(key, _SESSION_KEYS, place))
                )
        routine = table.get("routine")
        out[name] = Session(name, str(routine), "")  # (the weeks may name it, even if bad)
        if not isinstance(routine, str) or not routine:
            p.add(
                f"{place}.routine", "is missing" if routine is None else "must be a routine's name"
            )
            continue
        if routine not in known:
            near = difflib.get_close_matches(routine, known, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            p.add(
                f"{place}.routine",
                f"no routine named '{routine}'{hint}; routines: {', '.join(known)}",
            )
            continue
        options: dict[str, Any] = {}
        for key in OPTION_KEYS:
            if key not in table:
                continue
            value = table[key]
            if key == "minutes":
                ok = (
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and 0 < value <= 240
                )
                if not ok:
                    p.add(
                        f"{place}.minutes",
                        "must be a number of minutes, more than 0 and at most 240",
                    )
                    continue
                options[key] = float(value)
                continue
            try:
                options[key] = config.check_value(key, value, Path("."))
            except ValueError as exc:
                p.add(f"{place}.{key}", str(exc))
        title = table.get("title")
        if title is not None and (
            not isinstance(title, str) or not title.strip() or len(title) > 80
        ):
            p.add(f"{place}.title", "must be text of 1 to 80 characters")
            title = None
        out[name] = Session(
            name, routine, title.strip() if title else "", MappingProxyType(options)
        )
    return out


def _with_line(p: _Problems, place: str, message: str) -> str:
    line = p.lines.get(place)
    return f"line {line}: {message}" if line else message


def _weeks(raw: Any, sessions: dict[str, Session], p: _Problems) -> list[Session | None]:
    if not isinstance(raw, list) or not raw:
        p.add("weeks", "is missing: one [[weeks]] table with days = [...] for each week")
        return []
    if len(raw) > MAX_WEEKS:
        p.add("weeks", f"{len(raw)} weeks; a program has at most {MAX_WEEKS}")
        return []
    days: list[Session | None] = []
    allowed = [*sessions, REST]
    for n, week in enumerate(raw):
        place = f"weeks[{n}]"
        if not isinstance(week, dict) or set(week) != {"days"}:
            p.add(place, "must be a [[weeks]] table with only days = [...]")
            continue
        listed = week["days"]
        if not isinstance(listed, list) or len(listed) != 7:
            p.add(f"{place}.days", 'must list 7 days, each a session\'s name or "rest"')
            continue
        for d, item in enumerate(listed):
            if item == REST:
                days.append(None)
            elif isinstance(item, str) and item in sessions:
                days.append(sessions[item])
            else:
                near = difflib.get_close_matches(str(item), allowed, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                p.add(
                    f"{place}.days",
                    f"day {d + 1}: '{item}' is no session of this program"
                    f"{hint}; sessions: {', '.join(allowed)}",
                )
                days.append(None)
    if days and all(d is None for d in days):
        p.add("weeks", "every day is a rest day")
    return days


def load(path: Path, name: str | None = None) -> Program:
    """Read and check a program file (``name``: default the file's stem)."""
    return loads(read_text(path, "program file"), name or path.stem, str(path))


def programs_dir() -> Path:
    """The user's own programs, one ``NAME.toml`` each."""
    return places.config_dir() / "programs"


def builtin_names() -> list[str]:
    from coach.catalog import shipped

    return shipped("programs")


def user_paths() -> dict[str, Path]:
    from coach.catalog import named_files

    return named_files(programs_dir())


def names() -> list[str]:
    return sorted(set(builtin_names()) | set(user_paths()))


def resolve(name: str) -> Program:
    """A program by name: the user's first, then built-in."""
    user = user_paths()
    if name in user:
        return load(user[name], name)
    if name in builtin_names():
        text = (resources.files("coach") / "programs" / f"{name}.toml").read_text("utf-8")
        return loads(text, name, f"{name}.toml")
    near = difflib.get_close_matches(name, names(), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    raise InputError(f"no program named '{name}'{hint}; programs: {', '.join(names())}")


@dataclass(frozen=True)
class Entry:
    """One line of ``coach programs``: ``program`` or the ``error`` that kept it out."""

    name: str
    user: bool
    program: Program | None = None
    error: str = ""


def catalog() -> list[Entry]:
    """Every program by name; a broken file of the user's is an entry with its error."""
    user = user_paths()
    out = []
    for name in names():
        try:
            out.append(Entry(name, name in user, resolve(name)))
        except InputError as exc:
            out.append(Entry(name, name in user, error=str(exc)))
    return out

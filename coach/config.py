"""The settings file: defaults for the session options, one key per long option (the keys,
their kinds, ranges and comments come from the options table, coach.options).

``config.toml`` in ``places.config_dir()`` (or the file ``COACH_CONFIG`` names, which
replaces it) holds keys named as the long options (``pace = "slow"``, ``tone-volume =
-6``) plus ``output-dir``. What a setting ends up as comes from, in rising order: the
default, the file, the command line. A bad file is refused whole, like a bad routine:
one InputError naming the file, each key and its line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from coach import owned, places
from coach.errors import InputError
from coach.options import KEYS, Option
from coach.tomlfile import (
    SHOWN,
    format_problems,
    key_lines,
    not_one_of,
    parse_toml,
    read_text,
    unknown_key,
)

#: Where a setting's value came from when nothing set it.
DEFAULT = "default"
#: ... and when it was typed.
COMMAND_LINE = "command line"


@dataclass(frozen=True)
class Config:
    """The settings file as read: ``values`` holds only the keys the file sets (every
    path made absolute, relative to the file's folder); ``lines``: the line of each (0
    when unknown); ``exists``: whether there was a file."""

    path: Path
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    exists: bool = False
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Setting:
    """A setting's effective value and where it came from: DEFAULT, COMMAND_LINE or the
    settings file's path."""

    key: Option
    value: Any
    source: str
    line: int = 0

    @property
    def from_file(self) -> bool:
        """Whether the value is the settings file's."""
        return self.source not in (DEFAULT, COMMAND_LINE)

    @property
    def place(self) -> str:
        """Where the value was given, to begin a message: ``--bed`` as typed, or the
        settings file, its line and the key (``config.toml: line 3: bed``)."""
        if not self.from_file:
            return f"--{self.key.name}"
        return f"{self.source}: {f'line {self.line}: ' if self.line else ''}{self.key.name}"


def load(path: Path | None = None) -> Config:
    """Read and check the settings file (default: ``places.config_file()``). A missing
    file is no settings; anything wrong is one InputError naming file, key and line."""
    path = path or places.config_file()
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if os.environ.get("COACH_CONFIG") and path == places.config_file():
            raise InputError(f"{path}: no such settings file (COACH_CONFIG names it)") from None
        return Config(path)
    except OSError as exc:  # its folder shut (chmod 000): it may hold settings that matter
        raise InputError(f"{path}: cannot read it ({(exc.strerror or str(exc)).lower()})") from None
    text = read_text(path, "settings file")
    data = parse_toml(text, str(path))
    lines = key_lines(text)
    problems: list[str] = []
    count = 0
    values: dict[str, Any] = {}
    for name, raw in data.items():
        key = KEYS.get(name)
        try:
            if key is not None:
                values[name] = _check(key, raw, path.parent)
                continue
            problem = None  # an unknown key: its did-you-mean is looked for only if shown
        except ValueError as exc:
            problem = f"{name}: {exc}"
        count += 1
        if len(problems) < SHOWN:
            where = f"line {lines[name]}: " if name in lines else ""
            problems.append(where + (problem or unknown_key(name, set(KEYS))))
    if count:
        raise InputError(format_problems(str(path), problems, count))
    return Config(path, MappingProxyType(values), exists=True, lines=MappingProxyType(lines))


def _check(key: Option, raw: Any, base: Path) -> Any:
    """``raw`` from the file as the key's value; ValueError saying what it must be."""
    if key.kind == "bool":
        if not isinstance(raw, bool):
            raise ValueError("must be true or false")
        return raw
    if key.kind in ("int", "number"):
        ok = isinstance(raw, int) and not isinstance(raw, bool)
        if key.kind == "number":
            ok = ok or isinstance(raw, float)
        if not ok or not key.low <= raw <= key.high:
            kind = "a whole number" if key.kind == "int" else "a number"
            unit = f" ({key.unit})" if key.unit else ""
            raise ValueError(f"must be {kind} from {key.low:g} to {key.high:g}{unit}")
        return raw if key.kind == "int" else float(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must be non-empty text in quotes")
    if key.kind == "choice":
        if raw.lower() not in key.choices:
            raise ValueError(not_one_of(key.choices, raw.lower()))
        return raw.lower()
    if key.kind == "language":
        from coach import languages

        try:
            return languages.known(raw).code
        except ValueError as exc:
            raise ValueError(f"{raw}: {exc}") from None
    if key.kind == "time":
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", raw):
            raise ValueError('must be a time of day as "HH:MM", 00:00 to 23:59')
        return raw
    if key.kind == "bed":
        from coach.bed import NONE, builtin_names

        if raw.casefold() in (*builtin_names(), NONE):
            return raw
    if key.kind in ("folder", "bed"):  # every path in the file is from the file's folder
        try:
            folder = Path(raw).expanduser()
        except RuntimeError:  # ~nosuchuser
            raise ValueError(f"{raw}: no such user's home folder") from None
        return folder if folder.is_absolute() else base / folder
    return raw


def check_value(name: str, raw: Any, base: Path) -> Any:
    """``raw`` as the value of the setting ``name`` (paths from ``base``), as the settings
    file would take it; ValueError saying what it must be. For files that carry settings
    of their own (a program's sessions)."""
    return _check(KEYS[name], raw, base)


def effective(config: Config, typed: Mapping[str, Any]) -> dict[str, Setting]:
    """Every setting, by key name: the command line's value where ``typed`` has it (keys
    as in KEYS), else the file's, else the default."""
    out: dict[str, Setting] = {}
    for name, key in KEYS.items():
        if name in typed:
            out[name] = Setting(key, typed[name], COMMAND_LINE)
        elif name in config.values:
            out[name] = Setting(
                key, config.values[name], str(config.path), config.lines.get(name, 0)
            )
        else:
            out[name] = Setting(key, key.default, DEFAULT)
    return out


def template() -> str:
    """A commented settings file that sets nothing: every key shown, commented out."""
    lines = [
        "# coach settings: defaults for the session options. The command line always wins.",
        "# Keys are named as the long options; remove the '#' in front of a line to use it.",
        "# `coach config` shows every setting in effect and where it comes from.",
        "",
    ]
    for name, key in KEYS.items():
        lines.append(f"# {name} = {key.example:18} # {key.summary}")
    return "\n".join(lines) + "\n"


def create(path: Path) -> bool:
    """Write ``template()`` at ``path`` unless a file is there; True when written. Only
    coach's own settings folder is made if missing: a file placed elsewhere
    (``COACH_CONFIG``) needs its folder to exist, InputError otherwise."""
    if path.exists():
        return False
    own = path.parent == places.config_dir()
    if not own and not path.parent.is_dir():
        raise InputError(f"{path}: no such folder for the settings file")
    try:
        owned.write_atomically(path, template(), create=own)
    except OSError as exc:
        raise InputError(f"{path}: cannot write it: {exc.strerror or exc}") from None
    return True


def show(value: Any) -> str:
    """A setting's value as the settings file would spell it (unset: ``(not set)``)."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Path):
        return f'"{value}"'
    return f'"{value}"' if isinstance(value, str) else str(value)

"""Routines: the data model, loading and validating routine files, the built-in routines.

A routine file is TOML. Every problem in a file is collected and reported together in one
``InputError`` whose message names the file and each place, for example
``anma.toml: steps[2].phases[0].reps: must be a whole number from 1 to 200``.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

from coach.errors import InputError

MAX_FILE_BYTES = 1_000_000
MAX_TEXT_CHARS = 2_000
MAX_TITLE_CHARS = 80
MAX_STEPS = 100
MAX_PHASES = 20
MAX_REPS = 200
MIN_SECONDS, MAX_SECONDS = 0.3, 60.0
MAX_HOLD = 120.0
#: Problems listed in the one line of a bad file (the rest are counted).
SHOWN = 10
#: The most dotted parts one key may have (``[a.b.c]`` has 3; routine files need 2).
#: tomllib's time grows with the square of a key's parts (a 200,000-part header took
#: 148 s), so longer keys are refused before it reads them.
MAX_KEY_PARTS = 16

# C0 and C1 control characters other than tab and newline (CRLF counts as a newline):
# never meant to be spoken.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Motion(Enum):
    """What the hands do in one repetition; each has its own rhythm sound."""

    CIRCLE = "circle"
    STROKE = "stroke"
    PRESS = "press"
    PLUCK = "pluck"
    HOLD = "hold"


class Side(Enum):
    """The side of the face worked in a one-side-at-a-time phase."""

    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class Phase:
    """One movement inside a step, repeated ``reps`` times (per side, when sides are given).

    ``seconds`` is the length of one repetition at the normal pace; ``hold`` the seconds
    held at the top of each repetition (0: no hold). For ``Motion.HOLD`` the repetition
    is itself a hold of ``seconds``.
    """

    motion: Motion
    reps: int
    seconds: float
    say: str = ""
    hold: float = 0.0
    sides: tuple[Side, ...] = ()


@dataclass(frozen=True)
class Step:
    """A step of the routine: one chapter of the session."""

    title: str
    phases: tuple[Phase, ...]
    say: str = ""


@dataclass(frozen=True)
class Routine:
    """A whole routine. ``name`` is the built-in name or the file's stem; ``source`` the
    file name used in messages."""

    name: str
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    intro: str = ""
    outro: str = ""
    source: str = field(default="", compare=False)


_ROUTINE_KEYS = {"title", "summary", "intro", "outro", "steps"}
_PHASE_KEYS = {"say", "motion", "reps", "seconds", "hold", "sides"}
_STEP_KEYS = {"title", "say", "phases"} | _PHASE_KEYS


class _Problems:
    """Collects every problem found in one file, so the user sees them all at once.
    ``lines`` maps a place (``steps[0].reps``, ``steps[1]``) to its line in the file,
    where that is known for sure; a problem there is reported with its line."""

    def __init__(self, source: str, lines: dict[str, int] | None = None) -> None:
        self.source = source
        self.lines = lines or {}
        self.items: list[str] = []  # the first SHOWN problems, as shown
        self.count = 0  # every problem found

    def add(self, place: str, message: str | Callable[[], str]) -> None:
        """One problem at ``place``. ``message`` may be a function making it: it is called
        only for the problems shown, so a file of 60,000 unknown keys does not look for
        60,000 did-you-means."""
        self.count += 1
        if len(self.items) >= SHOWN:
            return
        text = message if isinstance(message, str) else message()
        line = _line_of(place, self.lines)
        where = f"line {line}: " if line else ""
        self.items.append(f"{where}{place}: {text}" if place else text)

    def raise_if_any(self) -> None:
        if self.count:
            raise InputError(format_problems(self.source, self.items, self.count))


_HEADER = re.compile(r"\s*\[\[\s*(steps|steps\s*\.\s*phases)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")
_INDEX = re.compile(r"\[\d+\]$")


def key_lines(text: str) -> dict[str, int]:
    """Where each place of a routine file is, as 1-based line numbers: ``steps[0]`` (its
    ``[[steps]]`` header), ``steps[0].phases[1]``, ``steps[0].reps``, ``title``.

    tomllib keeps no positions, so this reads the text itself, and only in the plain
    layout README shows: bare ``key = value`` lines under ``[[steps]]`` and
    ``[[steps.phases]]`` headers. Anything else (other headers, dotted or quoted keys,
    ``steps = [...]``, a key twice) makes the answer {} rather than a wrong line.
    """
    places: dict[str, int] = {}
    table, step, phase = "", -1, -1
    closing = ""  # the quotes that end a multi-line string we are inside
    for number, line in enumerate(text.split("\n"), start=1):
        if closing:
            if line.count(closing) % 2:
                closing = ""
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            if header.group(1) == "steps":
                step, phase = step + 1, -1
                table = f"steps[{step}]"
            elif step < 0:
                return {}
            else:
                phase += 1
                table = f"steps[{step}].phases[{phase}]"
            places[table] = number
            continue
        key = _KEY.match(line)
        if not key or key.group(1) in ("steps", "phases"):
            return {}  # a layout this reader does not follow
        place = f"{table}.{key.group(1)}" if table else key.group(1)
        if place in places:
            return {}
        places[place] = number
        value = line[key.end():]
        for quotes in ('"""', "'''"):
            if value.count(quotes) % 2:
                closing = quotes
                break
    return places


def _line_of(place: str, lines: dict[str, int]) -> int | None:
    """The line of ``place`` (``steps[0].sides[1]`` is on its ``sides`` line; a missing
    ``steps[0].motion`` belongs under the ``steps[0]`` header), else None."""
    if not lines:
        return None
    parent = place.rpartition(".")[0]
    return lines.get(place) or lines.get(_INDEX.sub("", place)) or lines.get(parent)


def format_problems(source: str, items: list[str], count: int | None = None) -> str:
    """One line for the problems found in ``source``: the first SHOWN of ``items``, and how
    many there are in all (``count``, default as many as ``items``)."""
    count = len(items) if count is None else count
    if count == 1:
        return f"{source}: {items[0]}"
    listed = "; ".join(items[:SHOWN])
    more = f"; and {count - SHOWN} more" if count > SHOWN else ""
    return f"{source}: {count} problems: {listed}{more}"


def unknown_key(key: str, allowed: set[str] | list[str], place: str = "") -> str:
    """The problem line for a key not in ``allowed``: ``place.key: unknown key (did you
    mean 'x'?); known keys: ...``. Shared by routine files and the config file."""
    return f"{_key_place(key, place)}: {_unknown(key, allowed)}"


def _key_place(key: str, place: str) -> str:
    # A quoted key may hold a newline or other control characters: escape it, so the
    # message stays one line.
    shown = key if key.isprintable() else json.dumps(key)
    return f"{place}{'.' if place else ''}{shown}"


def _unknown(key: str, allowed: set[str] | list[str]) -> str:
    near = difflib.get_close_matches(key, sorted(allowed), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return f"unknown key{hint}; known keys: {', '.join(sorted(allowed))}"


def _unknown_keys(table: dict[str, Any], allowed: set[str], place: str, p: _Problems) -> None:
    for key in table:
        if key not in allowed:
            p.add(_key_place(key, place), functools.partial(_unknown, key, allowed))


def _text(table: dict[str, Any], key: str, place: str, p: _Problems, *, required: bool = False,
          limit: int = MAX_TEXT_CHARS, lines: bool = False) -> str:
    """The text at ``table[key]``, whitespace collapsed; with ``lines`` its newlines are
    kept (one between lines), without they become spaces. Tab and newline are the only
    control characters allowed."""
    where = f"{place}.{key}" if place else key
    if key not in table:
        if required:
            p.add(where, "is missing")
        return ""
    value = table[key]
    if not isinstance(value, str):
        p.add(where, f"must be text, not {_kind(value)}")
        return ""
    value = value.replace("\r\n", "\n")  # a file saved with Windows line ends
    if lines:
        # A newline in spoken text is a pause (script.py); blank lines add nothing.
        text = "\n".join(" ".join(line.split()) for line in value.split("\n") if line.strip())
    else:
        text = " ".join(value.split())
    if required and not text:
        p.add(where, "must not be empty")
    elif _CONTROL.search(value):
        p.add(where, "contains a control character; use plain text")
    elif len(text) > limit:
        p.add(where, f"is {len(text)} characters long; the limit is {limit}")
    return text


def _number(table: dict[str, Any], key: str, place: str, p: _Problems, *, low: float,
            high: float, default: float | None = None, whole: bool = False) -> float:
    where = f"{place}.{key}"
    if key not in table:
        if default is None:
            p.add(where, "is missing")
            return low
        return default
    value = table[key]
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not whole:
        ok = ok or (isinstance(value, float) and math.isfinite(value))
    if not ok or not (low <= value <= high):
        kind = "a whole number" if whole else "a number of seconds"
        p.add(where, f"must be {kind} from {low:g} to {high:g}")
        return low
    return value


def _kind(value: Any) -> str:
    return {str: "text", bool: "true/false", int: "a number", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _choice(value: Any, enum: type[Enum], where: str, p: _Problems) -> Any:
    names = [m.value for m in enum]
    if isinstance(value, str) and value in names:
        return enum(value)
    near = difflib.get_close_matches(str(value), names, n=1) if isinstance(value, str) else []
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    p.add(where, f"must be one of {', '.join(names)}{hint}")
    return None


def _phase(table: dict[str, Any], place: str, p: _Problems, *, check_keys: bool = True) -> Phase | None:
    if check_keys:
        _unknown_keys(table, _PHASE_KEYS, place, p)
    before = p.count
    say = _text(table, "say", place, p, lines=True)
    motion = None
    if "motion" not in table:
        p.add(f"{place}.motion", f"is missing; one of {', '.join(m.value for m in Motion)}")
    else:
        motion = _choice(table["motion"], Motion, f"{place}.motion", p)
    reps = int(_number(table, "reps", place, p, low=1, high=MAX_REPS, whole=True))
    seconds = float(_number(table, "seconds", place, p, low=MIN_SECONDS, high=MAX_SECONDS))
    hold = float(_number(table, "hold", place, p, low=0, high=MAX_HOLD, default=0.0))
    sides: list[Side] = []
    if "sides" in table:
        raw = table["sides"]
        if not isinstance(raw, list) or not raw:
            p.add(f"{place}.sides", 'must be a list such as ["left", "right"]')
        else:
            for i, item in enumerate(raw):
                side = _choice(item, Side, f"{place}.sides[{i}]", p)
                if side in sides:
                    p.add(f"{place}.sides[{i}]", f"'{side.value}' is listed twice")
                elif side is not None:
                    sides.append(side)
    if motion is Motion.HOLD and hold:
        p.add(f"{place}.hold", "a hold motion is already a hold; give its length in 'seconds'")
    if p.count > before or motion is None:
        return None
    return Phase(motion=motion, reps=reps, seconds=seconds, say=say, hold=hold, sides=tuple(sides))


def _step(table: Any, place: str, p: _Problems) -> Step | None:
    if not isinstance(table, dict):
        p.add(place, f"must be a table ([[steps]]), not {_kind(table)}")
        return None
    _unknown_keys(table, _STEP_KEYS, place, p)
    before = p.count
    title = _text(table, "title", place, p, required=True, limit=MAX_TITLE_CHARS)
    say = _text(table, "say", place, p, lines=True)
    inline = _PHASE_KEYS - {"say"}
    phases: list[Phase | None] = []
    if "phases" in table:
        raw = table["phases"]
        if inline & table.keys():
            keys = ", ".join(sorted(inline & table.keys()))
            p.add(place, f"has both phases and {keys}; put {keys} inside the phases")
        elif not isinstance(raw, list) or not raw:
            p.add(f"{place}.phases", "must be a non-empty list of tables ([[steps.phases]])")
        elif len(raw) > MAX_PHASES:
            p.add(f"{place}.phases", f"has {len(raw)} phases; the limit is {MAX_PHASES}")
        else:
            for i, item in enumerate(raw):
                where = f"{place}.phases[{i}]"
                if not isinstance(item, dict):
                    p.add(where, f"must be a table, not {_kind(item)}")
                else:
                    phases.append(_phase(item, where, p))
    elif inline & table.keys():
        # The short form: a step with a single phase written inline; its `say` is the step's.
        phases.append(_phase({k: v for k, v in table.items() if k in inline}, place, p,
                             check_keys=False))
    else:
        p.add(place, "has no movement: give motion, reps and seconds, or [[steps.phases]]")
    if p.count > before or not all(phases):
        return None
    return Step(title=title, phases=tuple(ph for ph in phases if ph), say=say)


def parse(data: dict[str, Any], name: str, source: str,
          lines: dict[str, int] | None = None) -> Routine:
    """Validate a parsed TOML document into a Routine; raise InputError naming every problem
    (with its line when ``lines``, from ``key_lines``, knows it)."""
    p = _Problems(source, lines)
    _unknown_keys(data, _ROUTINE_KEYS, "", p)
    title = _text(data, "title", "", p, required=True, limit=MAX_TITLE_CHARS)
    summary = _text(data, "summary", "", p)
    intro = _text(data, "intro", "", p, lines=True)
    outro = _text(data, "outro", "", p, lines=True)
    steps: list[Step] = []
    raw = data.get("steps")
    if raw is None:
        p.add("steps", "is missing; add at least one [[steps]] table")
    elif not isinstance(raw, list) or not raw:
        p.add("steps", "must be a non-empty list of [[steps]] tables")
    elif len(raw) > MAX_STEPS:
        p.add("steps", f"has {len(raw)} steps; the limit is {MAX_STEPS}")
    else:
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            step = _step(item, f"steps[{i}]", p)
            if step is None:
                continue
            key = step.title.casefold()
            if key in seen:
                p.add(f"steps[{i}].title", f"'{step.title}' is also the title of steps[{seen[key]}]; "
                      "each step needs its own title (it names a chapter)")
            seen.setdefault(key, i)
            steps.append(step)
    p.raise_if_any()
    return Routine(name=name, title=title, steps=tuple(steps), summary=summary, intro=intro,
                   outro=outro, source=source)


def loads(text: str, name: str = "routine", source: str = "<routine>") -> Routine:
    """Parse routine TOML text. ``source`` names it in messages, with the line of each
    problem where it can be found for sure (``key_lines``)."""
    return parse(parse_toml(text, source), name, source, key_lines(text))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as a dict; InputError naming ``source``, line and column when it is not
    TOML. Shared by routine files and the config file."""
    deep = _overlong_key(text)
    if deep:
        raise InputError(f"{source}: line {deep}: a key of more than {MAX_KEY_PARTS} dotted "
                         "parts; nothing coach reads nests that deep")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: {_toml_message(exc, text)}") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a routine") from None


# The pieces of TOML text that matter for counting a key's parts: strings and comments
# (taken whole, so dots inside them do not count), a dot (with the spaces TOML allows
# around it), a bare word, a quote that opens no string, anything else.
_TOKEN = re.compile(r'''
    (?P<string>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*""""{0,2}
             | \'\'\'[^']*(?:'(?!'')[^']*)*\'\'\''{0,2}
             | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
             | '[^'\n]*')
  | (?P<comment>\#[^\n]*)
  | (?P<dot>[ \t]*\.[ \t]*)
  | (?P<word>[A-Za-z0-9_+:-]+)
  | (?P<quote>["'])
  | [^"'#.A-Za-z0-9_+:-]+
''', re.VERBOSE | re.DOTALL)
_PART = r'''(?:[A-Za-z0-9_+:-]+|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\n]*')'''
# A run of more than MAX_KEY_PARTS parts anywhere, strings and comments included: one
# quick look that clears almost every file before the exact pass.
_CHAIN = re.compile(rf"(?<![A-Za-z0-9_+:.-]){_PART}(?:[ \t]*\.[ \t]*{_PART}){{{MAX_KEY_PARTS}}}")


def _overlong_key(text: str) -> int:
    """The line of the first key with more than MAX_KEY_PARTS dotted parts in ``text``,
    else 0, in time linear in the text. Numbers and dates have at most two parts (``1.5``),
    so a longer chain of words and quoted strings joined by dots outside strings and
    comments can only be a key. Stops at a quote that opens no string: the text is not
    TOML, and tomllib says where."""
    if _CHAIN.search(text) is None:
        return 0
    parts, dotted, at = 0, False, 0
    while at < len(text):
        token = _TOKEN.match(text, at)
        if token is None or token.lastgroup == "quote":
            return 0
        kind = token.lastgroup
        if kind in ("string", "word"):
            parts = parts + 1 if dotted else 1
            if parts > MAX_KEY_PARTS:
                return text.count("\n", 0, at) + 1
        elif kind != "dot":
            parts = 0
        dotted = kind == "dot"
        at = token.end()
    return 0


def _toml_message(exc: tomllib.TOMLDecodeError, text: str) -> str:
    match = re.match(r"(.*) \(at (?:line (\d+), column (\d+)|end of document)\)$", str(exc))
    if match:
        what, line, col = match.groups()
        if line is None:  # tomllib says "end of document": give its line and column too
            line, col = text.count("\n") + 1, len(text) - text.rfind("\n")
        return f"line {line}, column {col}: not valid TOML: {what[:1].lower()}{what[1:]}"
    return f"not valid TOML: {exc}"


def load(path: str | Path, name: str | None = None) -> Routine:
    """Read and validate a routine file (``name``: its name, default the file's stem).
    Raises InputError for any problem."""
    path = Path(path)
    return loads(read_text(path, "routine file"), name=name or path.stem, source=str(path))


def read_text(path: Path, what: str) -> str:
    """A small UTF-8 text file (``what`` names its kind in messages: "routine file"), at
    most MAX_FILE_BYTES, without a byte-order mark. InputError naming the file otherwise
    (by the path as the user gave it, so the message points at that very file)."""
    source = str(path)
    try:
        # Opened without waiting (a FIFO would block here until a writer came), and only
        # read once it is known to be a regular file: never a FIFO, device or socket.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise InputError(f"{path}: is {_file_kind(mode)}, not a {what}")
            os.set_blocking(fd, True)
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{source}: larger than {MAX_FILE_BYTES // 1_000_000} MB; "
                         f"a {what} is a few kilobytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"{source}: line {line}, column {col}: not UTF-8 text "
                         f"(byte 0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    return text.removeprefix("\ufeff")


def _file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for messages: ``a named pipe (FIFO)``."""
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a device"


def builtin_names() -> list[str]:
    """Names of the routines shipped with coach, sorted."""
    folder = resources.files("coach") / "routines"
    return sorted(f.name.removesuffix(".toml") for f in folder.iterdir() if f.name.endswith(".toml"))


def builtin(name: str) -> Routine:
    """A built-in routine by name."""
    if name not in builtin_names():
        raise InputError(f"no built-in routine named '{name}'; built-in: "
                         f"{', '.join(builtin_names())} (or give a path to a .toml file)")
    return loads(_builtin_text(name), name=name, source=f"{name}.toml")


def _builtin_text(name: str) -> str:
    return (resources.files("coach") / "routines" / f"{name}.toml").read_text("utf-8")


def find_step(routine: Routine, spec: str, option: str = "--from") -> int:
    """The index of the step ``spec`` names: its number (1 is the first) or its title,
    case-insensitively, whole or a prefix that fits one step. InputError otherwise,
    naming ``option``."""
    count = len(routine.steps)
    text = spec.strip()
    if text.isdigit():
        if 1 <= int(text) <= count:
            return int(text) - 1
        raise InputError(f"{option} {spec}: {routine.title} has steps 1 to {count}")
    key = text.casefold()
    titles = [s.title.casefold() for s in routine.steps]
    if key in titles:
        return titles.index(key)
    found = [i for i, t in enumerate(titles) if key and t.startswith(key)]
    if len(found) == 1:
        return found[0]
    listed = "; ".join(f"{i + 1} {s.title}" for i, s in enumerate(routine.steps))
    if found:
        return _ambiguous(option, spec, [routine.steps[i].title for i in found])
    raise InputError(f"{option} {spec}: no step by that number or title; steps: {listed}")


def _ambiguous(option: str, spec: str, titles: list[str]) -> int:
    raise InputError(f"{option} {spec}: fits {len(titles)} steps ({', '.join(titles)}); "
                     "type more of the title, or the step's number")


def describe_routine(routine: Routine, seconds: float) -> list[str]:
    """``routine`` as readable lines: title, summary and length (``seconds``, as the
    built script estimates it), then each step with its phases."""
    from coach.clock import about

    lines = [f"{routine.title} ({routine.name}, {len(routine.steps)} steps, about {about(seconds)})"]
    if routine.summary:
        lines.append(routine.summary)
    for k, step in enumerate(routine.steps, 1):
        lines.append(f"{k}. {step.title}" + (f": {step.say}" if step.say else ""))
        for phase in step.phases:
            hold = f", hold {phase.hold:g} s" if phase.hold else ""
            sides = f", {' then '.join(s.value for s in phase.sides)}" if phase.sides else ""
            each = " each side" if phase.sides else ""
            what = (f"hold {phase.seconds:g} s" if phase.motion is Motion.HOLD
                    else f"{phase.motion.value} {phase.seconds:g} s")
            lines.append(f"   - {phase.reps} x {what}{hold}{each}{sides}"
                         + (f": {phase.say}" if phase.say else ""))
    return lines


# ---- the user's own routines ------------------------------------------------------------

#: A routine name: what `coach new` accepts and what a user routine's file stem must be to
#: be found by name (so it can be typed and completed without quoting).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def user_paths() -> dict[str, Path]:
    """The user's routine files by name (``routines_dir()/NAME.toml``), sorted by name.
    A missing folder means none."""
    from coach.places import routines_dir

    folder = routines_dir()
    try:
        files = sorted(folder.glob("*.toml"))
    except OSError:
        return {}
    return {f.stem: f for f in files if NAME_PATTERN.fullmatch(f.stem)}


def names() -> list[str]:
    """Every routine name that works as ROUTINE: built-in and the user's, sorted, once each."""
    return sorted(set(builtin_names()) | set(user_paths()))


def resolve(spec: str) -> Routine:
    """A routine from a name or a path to a ``.toml`` file. A name is looked up first
    among the user's routines (so one may take a built-in's place), then built-in."""
    if spec.endswith(".toml") or "/" in spec or Path(spec).is_file():
        return load(spec)
    user = user_paths()
    if spec in user:
        return load(user[spec], name=spec)
    if spec in builtin_names():
        return builtin(spec)
    near = difflib.get_close_matches(spec, names(), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    raise InputError(f"no routine named '{spec}'{hint}; routines: {', '.join(names())} "
                     "(or give a path to a .toml file)")


@dataclass(frozen=True)
class Entry:
    """One line of the routine catalogue. ``user``: from the user's folder (``path``);
    ``shadows``: a user routine with a built-in's name, used in its place; ``error``:
    why the file could not be loaded (``routine`` is then None)."""

    name: str
    user: bool
    path: Path | None = None
    routine: Routine | None = None
    error: str = ""
    shadows: bool = False


def catalog() -> list[Entry]:
    """Every routine by name, the one a name resolves to: a broken user file is an entry
    with its error, never a reason to leave the others out."""
    user, shipped = user_paths(), builtin_names()
    entries: list[Entry] = []
    for name in sorted(set(shipped) | set(user)):
        if name in user:
            try:
                entries.append(Entry(name, True, user[name], load(user[name], name=name),
                                     shadows=name in shipped))
            except InputError as exc:
                entries.append(Entry(name, True, user[name], error=str(exc), shadows=name in shipped))
        else:
            entries.append(Entry(name, False, routine=builtin(name)))
    return entries


STARTER = """\
# A coach routine: edit it, then play it with `coach play {name}`.
# `coach validate {path}` checks it; `coach script {name}` shows what will be said.
# Every field is shown below; the README's "Routine files" section explains each one.

title = "{title}"                       # required; 1-80 characters
summary = "Two short steps to start from."   # optional; shown by `coach routines`
intro = "Sit comfortably, let your shoulders drop and close your eyes."   # spoken first
outro = "That is all. Open your eyes when you are ready."                  # spoken last

# A step with a single movement gives it inline.
[[steps]]
title = "Cheek circles"                 # required; unique in the routine (it names a chapter)
say = "Draw slow circles on your cheeks, always sweeping upward."   # spoken once
motion = "circle"                       # circle, stroke, press, pluck or hold
reps = 8                                # repetitions (per side when sides are given), 1-200
seconds = 3.0                           # one repetition at the normal pace, 0.3-60

# A step with several movements lists them as phases, one after the other.
[[steps]]
title = "Jaw and brows"
say = "Now the jaw, then the brows."

[[steps.phases]]
say = "One side at a time: stroke from the middle of the jaw up to the cheekbone."
motion = "stroke"
sides = ["left", "right"]               # one side, then the other
reps = 4
seconds = 2.5
hold = 1.5                              # seconds held at the top of each stroke, 0-120

[[steps.phases]]
say = "Lift both brows with your fingertips and hold them there."
motion = "hold"                         # each repetition is a hold of `seconds`
reps = 2
seconds = 6.0
"""


def check_name(name: str) -> str:
    """``name`` when it can name a user routine; InputError saying what a name may be."""
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(f"'{name}': a routine name is 1-64 letters, digits, '-' or '_', "
                         "starting with a letter or digit")
    return name


def create(name: str, force: bool = False) -> Path:
    """Write the commented starter routine as the user routine ``name`` and return its
    path. InputError when it exists and ``force`` is not given; the file appears whole
    or not at all."""
    from coach.places import routines_dir, write_atomically

    path = routines_dir() / f"{check_name(name)}.toml"
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; edit it, or use --force to replace it "
                         "with the starter routine")
    text = STARTER.format(name=name, path=path, title=name.replace("-", " ").replace("_", " ").capitalize())
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write it: {exc.strerror or exc}") from None
    return path

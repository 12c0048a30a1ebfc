"""Small TOML files the user writes (routine files, the settings file): read whole (only
regular files, bounded, UTF-8), parsed with the line and column of a mistake, and their
problems told in one line.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import tomllib
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from coach.errors import InputError

MAX_FILE_BYTES = 1_000_000

#: Problems listed in the one line of a bad file (the rest are counted).
SHOWN = 10

#: The most dotted parts one key may have (``[a.b.c]`` has 3; routine files need 2).
#: tomllib's time grows with the square of a key's parts (a 200,000-part header took
#: 148 s), so longer keys are refused before it reads them.
MAX_KEY_PARTS = 16


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
    return f"{key_place(key, place)}: {unknown(key, allowed)}"


def key_place(key: str, place: str) -> str:
    # A quoted key may hold a newline or other control characters: escape it, so the
    # message stays one line.
    shown = key if key.isprintable() else json.dumps(key)
    return f"{place}{'.' if place else ''}{shown}"


def unknown(key: str, allowed: set[str] | list[str]) -> str:
    return f"unknown key{_near(key, sorted(allowed))}; known keys: {', '.join(sorted(allowed))}"


def not_one_of(names: Sequence[str], value: object = None) -> str:
    """Why a value is refused when it must be one of ``names``: ``must be one of slow,
    normal, fast``, and `` (did you mean 'fast'?)`` when ``value`` is text close to one.
    The one wording of every choice's problem: options, the settings file, routine files,
    the command line."""
    hint = _near(value, names) if isinstance(value, str) else ""
    return f"must be one of {', '.join(names)}{hint}"


def _near(word: str, names: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the one of ``names`` closest to ``word``, else ""."""
    near = difflib.get_close_matches(word, list(names), n=1)
    return f" (did you mean '{near[0]}'?)" if near else ""


# One part of a key or a header: bare, or quoted (no escapes in a basic string).
_PART_OF = r"""(?:[A-Za-z0-9_-]+|"[^"\\\n]*"|'[^'\n]*')"""
_PARTS = re.compile(r"""([A-Za-z0-9_-]+)|"([^"\\\n]*)"|'([^'\n]*)'""")
# A table's header, ``[a.b]`` or ``[[a.b]]``, with a comment after it at most.
_HEADER = re.compile(rf"\s*(\[\[?)\s*((?:{_PART_OF}\s*\.\s*)*{_PART_OF})\s*(\]\]?)\s*(?:#.*)?$")
# A key being set: one part, bare or quoted (not dotted).
_KEY = re.compile(rf"\s*({_PART_OF})\s*=")
# What holds no list bracket that counts: a quoted string, a comment.
_QUOTED = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'|#.*""")


def key_lines(text: str, arrays_of_tables: Collection[str] = ()) -> dict[str, int]:
    """The line (1-based) where each place of a TOML file is set: a key (``title``), a
    table (``bed``, its header), an entry of an array of tables (``steps[0]``, its
    ``[[steps]]`` header) and the keys inside them (``steps[0].phases[1].reps``). The one
    finder of "which line is this key on" for routine files and the settings file.

    tomllib keeps no positions, so this reads the text itself, following the layouts
    people write: bare or quoted keys, ``[table]`` and ``[[array]]`` headers of bare names,
    a list or a string going on over several lines (its place is its first line).
    Anything else (a dotted key, a place set twice, one of ``arrays_of_tables`` set as a
    key or a ``[NAME]`` table rather than by ``[[NAME]]`` headers) makes the answer {} rather than a wrong line:
    messages then name no line."""
    places: dict[str, int] = {}
    table = ""
    arrays: dict[str, int] = {}  # each array of tables, by its bare name: its last entry
    closing = ""  # the quotes that end a multi-line string we are inside
    depth = 0  # the brackets still open of a list that goes on over several lines
    for number, line in enumerate(text.split("\n"), start=1):
        if closing:
            if line.count(closing) % 2:
                closing = ""
            continue
        if depth:
            depth += _brackets(line)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            array = header.group(1) == "[["
            if array != (header.group(3) == "]]"):
                return {}
            names = _names(header.group(2))
            if not array and names[-1] in arrays_of_tables:
                return {}  # one of them written as a plain table: its messages name no line
            bare = ".".join(names)
            if array:
                arrays[bare] = arrays.get(bare, -1) + 1
                for inner in [a for a in arrays if a.startswith(bare + ".")]:
                    del arrays[inner]  # a new entry starts its own inner arrays
            parts = []
            for k, name in enumerate(names):
                index = arrays.get(".".join(names[: k + 1]))
                parts.append(name if index is None else f"{name}[{index}]")
            table = ".".join(parts)
            if table in places:
                return {}
            places[table] = number
            continue
        key = _KEY.match(line)
        if not key:
            return {}  # a layout this reader does not follow
        name = _names(key.group(1))[0]
        if name in arrays_of_tables:
            return {}  # its entries have no lines of their own: none may borrow this one
        place = f"{table}.{name}" if table else name
        if place in places:
            return {}
        places[place] = number
        value = line[key.end() :]
        for quotes in ('"""', "'''"):
            if value.count(quotes) % 2:
                closing = quotes
                break
        else:
            depth = max(0, _brackets(value))
    return places


def _names(parts: str) -> list[str]:
    """The names in a key's or header's ``parts`` (``a."b c"``: a, b c), quotes taken off."""
    return [next(g for g in m.groups() if g is not None) for m in _PARTS.finditer(parts)]


def _brackets(text: str) -> int:
    """How many more list brackets ``text`` opens than it closes (quoted text and a
    comment left out)."""
    bare = _QUOTED.sub("", text)
    return bare.count("[") - bare.count("]")


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as a dict; InputError naming ``source``, line and column when it is not
    TOML. Shared by routine files and the config file."""
    deep = _overlong_key(text)
    if deep:
        raise InputError(
            f"{source}: line {deep}: a key of more than {MAX_KEY_PARTS} dotted "
            "parts; nothing coach reads nests that deep"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: {_toml_message(exc, text)}") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a routine") from None


# The pieces of TOML text that matter for counting a key's parts: strings and comments
# (taken whole, so dots inside them do not count), a dot (with the spaces TOML allows
# around it), a bare word, a quote that opens no string, anything else.
_TOKEN = re.compile(
    r'''
    (?P<string>"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*""""{0,2}
             | \'\'\'[^']*(?:'(?!'')[^']*)*\'\'\''{0,2}
             | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
             | '[^'\n]*')
  | (?P<comment>\#[^\n]*)
  | (?P<dot>[ \t]*\.[ \t]*)
  | (?P<word>[A-Za-z0-9_+:-]+)
  | (?P<quote>["'])
  | [^"'#.A-Za-z0-9_+:-]+
''',
    re.VERBOSE | re.DOTALL,
)
_PART = r"""(?:[A-Za-z0-9_+:-]+|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\n]*')"""

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


def read_text(path: Path, what: str, source: str | None = None, limit: int = MAX_FILE_BYTES) -> str:
    """A small UTF-8 text file (``what`` names its kind in messages: "routine file"), at
    most ``limit`` bytes, without a byte-order mark. InputError naming the file otherwise
    (by ``source``, the path as the user gave it, so the message points at that very file:
    ``./x.toml`` stays ``./x.toml``)."""
    source = str(path) if source is None else source
    try:
        # Opened without waiting (a FIFO would block here until a writer came), and only
        # read once it is known to be a regular file: never a FIFO, device or socket.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise InputError(f"{source}: is {_file_kind(mode)}, not a {what}")
            os.set_blocking(fd, True)
            raw = f.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{source}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a folder, not a {what}") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read it: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise InputError(
            f"{source}: larger than {limit // 1_000_000} MB"
            + (f"; a {what} is a few kilobytes" if limit == MAX_FILE_BYTES else "")
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"{source}: line {line}, column {col}: not UTF-8 text "
            f"(byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for messages: ``a named pipe (FIFO)``."""
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a device"

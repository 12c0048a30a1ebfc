"""Routine files: TOML text checked into a Routine.

Every problem in a file is collected and reported together in one ``InputError`` whose
message names the file and each place (with its line where that is known for sure), for
example ``anma.toml: steps[2].phases[0].reps: must be a whole number from 1 to 200``.

One module because it is one idea, the file format: every field's check sits beside the
others so the messages stay alike (the model is coach.routine, finding files by name
coach.catalog, generic TOML and file reading coach.tomlfile).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from coach.errors import InputError
from coach.routine import (
    MAX_COACHING,
    MAX_COACHING_CHARS,
    MAX_HOLD,
    MAX_PHASES,
    MAX_REPS,
    MAX_SECONDS,
    MAX_STEPS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    MIN_SECONDS,
    Motion,
    Phase,
    Routine,
    Side,
    Step,
)
from coach.spoken import spoken_length
from coach.tomlfile import (
    SHOWN,
    format_problems,
    key_lines,
    key_place,
    not_one_of,
    parse_toml,
    read_text,
    unknown,
)

# C0 and C1 control characters other than tab and newline (CRLF counts as a newline):
# never meant to be spoken.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ROUTINE_KEYS = {"title", "summary", "intro", "outro", "steps", "language"}
_PHASE_KEYS = {"say", "motion", "reps", "seconds", "hold", "sides", "resting", "coaching"}
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


_INDEX = re.compile(r"\[\d+\]$")


def _line_of(place: str, lines: dict[str, int]) -> int | None:
    """The line of ``place`` (``steps[0].sides[1]`` is on its ``sides`` line; a missing
    ``steps[0].motion`` belongs under the ``steps[0]`` header), else None."""
    if not lines:
        return None
    parent = place.rpartition(".")[0]
    return lines.get(place) or lines.get(_INDEX.sub("", place)) or lines.get(parent)


def _unknown_keys(table: dict[str, Any], allowed: set[str], place: str, p: _Problems) -> None:
    for key in table:
        if key not in allowed:
            p.add(key_place(key, place), functools.partial(unknown, key, allowed))


def _text(
    table: dict[str, Any],
    key: str,
    place: str,
    p: _Problems,
    *,
    required: bool = False,
    limit: int = MAX_TEXT_CHARS,
    lines: bool = False,
) -> str:
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
    elif (aloud := spoken_length(text)) > limit:  # "987654321" is 90 characters read aloud
        p.add(
            where, f"is {aloud} characters long read aloud (numbers as words); the limit is {limit}"
        )
    return text


def _number(
    table: dict[str, Any],
    key: str,
    place: str,
    p: _Problems,
    *,
    low: float,
    high: float,
    default: float | None = None,
    whole: bool = False,
) -> float:
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
    return {
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _choice(value: Any, enum: type[Enum], where: str, p: _Problems) -> Any:
    names = [m.value for m in enum]
    if isinstance(value, str) and value in names:
        return enum(value)
    p.add(where, not_one_of(names, value))
    return None


def _phase(
    table: dict[str, Any], place: str, p: _Problems, *, check_keys: bool = True
) -> Phase | None:
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
    if motion is Motion.BREATHE:
        seconds = 0.0  # a breath takes the voice's time: in, a pause, out, a pause
        for key in ("seconds", "hold", "sides"):
            if key in table:
                p.add(
                    f"{place}.{key}",
                    "a breathe motion keeps its own time (one slow breath "
                    f"a repetition); leave out '{key}'",
                )
    else:
        seconds = float(_number(table, "seconds", place, p, low=MIN_SECONDS, high=MAX_SECONDS))
    hold = float(_number(table, "hold", place, p, low=0, high=MAX_HOLD, default=0.0))
    resting = False
    if "resting" in table:
        if not isinstance(table["resting"], bool):
            p.add(f"{place}.resting", f"must be true or false, not {_kind(table['resting'])}")
        elif table["resting"] and motion is not Motion.HOLD:
            p.add(f"{place}.resting", 'only a hold can be resting (motion = "hold")')
        else:
            resting = table["resting"]
    coaching = _lines(table, "coaching", place, p)
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
    return Phase(
        motion=motion,
        reps=reps,
        seconds=seconds,
        say=say,
        hold=hold,
        sides=tuple(sides),
        resting=resting,
        coaching=coaching,
    )


def _lines(table: dict[str, Any], key: str, place: str, p: _Problems) -> tuple[str, ...]:
    """A list of short one-line texts at ``table[key]`` (``coaching``), each checked as
    ``_text`` checks a text; empty when the key is missing."""
    where = f"{place}.{key}"
    if key not in table:
        return ()
    raw = table[key]
    if not isinstance(raw, list) or not raw:
        p.add(where, 'must be a list of lines such as ["Lighter on the way down."]')
        return ()
    if len(raw) > MAX_COACHING:
        p.add(where, f"has {len(raw)} lines; the limit is {MAX_COACHING}")
        return ()
    out: list[str] = []
    for i, item in enumerate(raw):
        found = _Problems(p.source)  # each line's problems, placed at the line
        text = _text({key: item}, key, "", found, required=True, limit=MAX_COACHING_CHARS)
        for problem in found.items:
            p.add(f"{where}[{i}]", problem.removeprefix(f"{key}: "))
        if text and not found.count:
            out.append(text)
    return tuple(out)


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
        phases.append(
            _phase({k: v for k, v in table.items() if k in inline}, place, p, check_keys=False)
        )
    else:
        p.add(place, "has no movement: give motion, reps and seconds, or [[steps.phases]]")
    if p.count > before or not all(phases):
        return None
    return Step(title=title, phases=tuple(ph for ph in phases if ph), say=say)


def parse(
    data: dict[str, Any], name: str, source: str, lines: dict[str, int] | None = None
) -> Routine:
    """Validate a parsed TOML document into a Routine; raise InputError naming every problem
    (with its line when ``lines``, from ``tomlfile.key_lines``, knows it)."""
    p = _Problems(source, lines)
    _unknown_keys(data, _ROUTINE_KEYS, "", p)
    title = _text(data, "title", "", p, required=True, limit=MAX_TITLE_CHARS)
    summary = _text(data, "summary", "", p)
    intro = _text(data, "intro", "", p, lines=True)
    outro = _text(data, "outro", "", p, lines=True)
    language = _language(data, p)
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
                p.add(
                    f"steps[{i}].title",
                    f"'{step.title}' is also the title of steps[{seen[key]}]; "
                    "each step needs its own title (it names a chapter)",
                )
            seen.setdefault(key, i)
            steps.append(step)
    p.raise_if_any()
    return Routine(
        name=name,
        title=title,
        steps=tuple(steps),
        summary=summary,
        intro=intro,
        outro=outro,
        source=source,
        language=language,
    )


def _language(data: dict[str, Any], p: _Problems) -> str:
    """The file's ``language`` (BCP 47: ``ja``, ``ja-JP``), as coach's code for it; ``en``
    when absent."""
    from coach import languages

    if "language" not in data:
        return languages.DEFAULT
    value = data["language"]
    if not isinstance(value, str):
        p.add("language", f'must be text, a language code such as "ja", not {_kind(value)}')
        return languages.DEFAULT
    try:
        return languages.get(value, option="").code
    except InputError:
        p.add("language", f"'{value}': coach speaks {', '.join(languages.names())}")
        return languages.DEFAULT


def loads(text: str, name: str = "routine", source: str = "<routine>") -> Routine:
    """Parse routine TOML text. ``source`` names it in messages, with the line of each
    problem where it can be found for sure (``tomlfile.key_lines``)."""
    return parse(parse_toml(text, source), name, source, key_lines(text, ("steps", "phases")))


def load(path: str | Path, name: str | None = None) -> Routine:
    """Read and validate a routine file (``name``: its name, default the file's stem).
    Raises InputError for any problem, naming the file as the user spelled it."""
    source = str(path)
    path = Path(path)
    return loads(read_text(path, "routine file", source), name=name or path.stem, source=source)

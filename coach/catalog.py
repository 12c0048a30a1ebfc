"""The routines coach knows by name: the built-in ones shipped in ``coach/routines``, the
user's own in ``places.routines_dir()`` (one may take a built-in's place), and the starter
routine ``coach new`` writes (``coach/starter.toml``).

A routine may be written in several languages: its translation into language ``L`` is
the file ``L/NAME.toml`` beside ``NAME.toml`` (built-in: ``coach/routines/ja/anma.toml``),
saying ``language = "L"``. ``resolve(spec, language)`` picks one.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from coach import languages
from coach.errors import InputError
from coach.routine import Routine
from coach.routinefile import load, loads


def shipped(folder: str) -> list[str]:
    """The names of the ``NAME.toml`` files shipped in coach's package folder ``folder``
    (``routines``, ``programs``), sorted."""
    files = (resources.files("coach") / folder).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def builtin_names() -> list[str]:
    """Names of the routines shipped with coach, sorted."""
    return shipped("routines")


def builtin(name: str) -> Routine:
    """A built-in routine by name."""
    if name not in builtin_names():
        raise InputError(
            f"no built-in routine named '{name}'; built-in: "
            f"{', '.join(builtin_names())} (or give a path to a .toml file)"
        )
    return loads(_builtin_text(name), name=name, source=f"{name}.toml")


def _builtin_text(name: str) -> str:
    return (resources.files("coach") / "routines" / f"{name}.toml").read_text("utf-8")


#: A routine name: what `coach new` accepts and what a user routine's file stem must be to
#: be found by name (so it can be typed and completed without quoting).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def user_paths() -> dict[str, Path]:
    """The user's routine files by name (``routines_dir()/NAME.toml``), sorted by name.
    A missing folder means none."""
    from coach.places import routines_dir

    return named_files(routines_dir())


def named_files(folder: Path) -> dict[str, Path]:
    """The ``NAME.toml`` files in ``folder`` whose NAME fits NAME_PATTERN, by name, sorted;
    a missing folder holds none."""
    try:
        with os.scandir(folder) as entries:
            files = sorted(Path(e.path) for e in entries if e.name.endswith(".toml"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:  # an unreadable folder is not an empty one: say so
        raise InputError(
            f"{folder}: cannot be read ({(exc.strerror or str(exc)).lower()})"
        ) from None
    return {f.stem: f for f in files if NAME_PATTERN.fullmatch(f.stem)}


def names() -> list[str]:
    """Every routine name that works as ROUTINE: built-in and the user's, sorted, once each."""
    return sorted(set(builtin_names()) | set(user_paths()))


def is_path(spec: str) -> bool:
    """Whether the ROUTINE ``spec`` the user typed names a file rather than a routine by
    name: anything with a ``/`` or a ``.toml`` suffix (``./quick`` is the file, ``quick``
    the routine, whatever the current folder holds), as ``--bed ./waves`` names a file."""
    return "/" in spec or spec.endswith(".toml")


def resolve(spec: str, language: str | None = None, preferred: str | None = None) -> Routine:
    """A routine from a name or a path (``is_path``), in ``language`` (None: in
    ``preferred`` when it is written in that one, the settings file's ``language``; else
    the language of the file the name or path finds). A name is looked up first among the
    user's routines (so one may take a built-in's place), then built-in. InputError when
    the routine is not written in ``language``."""
    routine = _resolve(spec)
    if language is None:
        if preferred is None or preferred == routine.language:
            return routine
        found = _translations(spec, routine).get(preferred)
        return routine if found is None else found()
    code = languages.get(language).code
    if routine.language == code:
        return routine
    found = _translations(spec, routine).get(code)
    if found is None:
        raise InputError(
            f"--language {language}: {routine.name} is written in "
            f"{', '.join(languages_of(spec, routine))}"
        )
    return found()


def languages_of(spec: str, routine: Routine) -> list[str]:
    """The languages ``routine`` (found by ``spec``) is written in: its own, then its
    translations', in coach.languages' order."""
    found = set(_translations(spec, routine)) | {routine.language}
    return [code for code in languages.names() if code in found]


def _translations(spec: str, routine: Routine) -> dict[str, Callable[[], Routine]]:
    """Language -> a loader of ``routine``'s translation into it (``LANG/NAME.toml`` beside
    its file), for each language that has one. The loaded file must say that language."""

    def checked(made: Routine, code: str) -> Routine:
        if made.language != code:
            raise InputError(
                f"{made.source}: language: is '{made.language}', but the file is "
                f"the '{code}' translation (in the folder {code}/)"
            )
        return made

    out: dict[str, Callable[[], Routine]] = {}
    user = user_paths()
    if is_path(spec) or spec in user:
        base = Path(spec) if is_path(spec) else user[spec]
        for code in languages.names():
            path = base.parent / code / base.name
            if path.is_file():
                out[code] = functools.partial(
                    lambda p, c: checked(load(p, name=routine.name), c), path, code
                )
        return out
    folder = resources.files("coach") / "routines"
    for code in languages.names():
        if (folder / code / f"{spec}.toml").is_file():
            out[code] = functools.partial(
                lambda c: checked(
                    loads(
                        (folder / c / f"{spec}.toml").read_text("utf-8"),
                        name=spec,
                        source=f"{c}/{spec}.toml",
                    ),
                    c,
                ),
                code,
            )
    return out


def _resolve(spec: str) -> Routine:
    """A routine from a name or a path (``is_path``). A name is looked up first among
    the user's routines (so one may take a built-in's place), then built-in."""
    if is_path(spec):
        return load(spec)
    user = user_paths()
    if spec in user:
        try:
            return load(user[spec], name=spec)
        except InputError as exc:
            if spec not in builtin_names():
                raise
            raise InputError(f"{exc} ({hides_builtin(spec, user[spec])})") from None
    if spec in builtin_names():
        return builtin(spec)
    near = difflib.get_close_matches(spec, names(), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    if Path(spec).exists():  # a file of that name here: a path needs a / to be one
        hint += f" (for the file '{spec}' here, give ./{spec})"
    raise InputError(
        f"no routine named '{spec}'{hint}; routines: {', '.join(names())} "
        "(or give a path: anything with a / or ending in .toml)"
    )


def hides_builtin(name: str, path: Path) -> str:
    """What to say when the user's routine ``path`` takes the place of the built-in ``name``."""
    return (
        f"your {path} is used in place of the built-in '{name}'; "
        f"remove or rename it to get the built-in back"
    )


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
                entries.append(
                    Entry(
                        name, True, user[name], load(user[name], name=name), shadows=name in shipped
                    )
                )
            except InputError as exc:
                entries.append(
                    Entry(name, True, user[name], error=str(exc), shadows=name in shipped)
                )
        else:
            entries.append(Entry(name, False, routine=builtin(name)))
    return entries


def starter(name: str, path: Path) -> str:
    """The starter routine (``coach/starter.toml``) for the user routine ``name`` at
    ``path``: its title made from the name, its comments naming both."""
    template = (resources.files("coach") / "starter.toml").read_text("utf-8")
    title = name.replace("-", " ").replace("_", " ").capitalize()
    return template.format(name=name, path=path, title=title)


def check_name(name: str) -> str:
    """``name`` when it can name a user routine; InputError saying what a name may be."""
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"'{name}': a routine name is 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def create(name: str, force: bool = False) -> Path:
    """Write the commented starter routine as the user routine ``name`` and return its
    path. InputError when it exists and ``force`` is not given; the file appears whole
    or not at all."""
    from coach.owned import write_atomically
    from coach.places import routines_dir

    path = routines_dir() / f"{check_name(name)}.toml"
    try:
        exists = path.exists()
    except OSError as exc:  # the routines folder shut (chmod 000)
        raise InputError(f"{path}: cannot write it: {exc.strerror or exc}") from None
    if exists and not force:
        raise InputError(
            f"{path}: already exists; edit it, or use --force to replace it "
            "with the starter routine"
        )
    text = starter(name, path)
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write it: {exc.strerror or exc}") from None
    return path

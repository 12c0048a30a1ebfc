"""A web request's session options: the query's text values -> a routine and Options.

The names are the options table's (``coach.options``), as the command line spells them
without their dashes: ``pace``, ``tone-volume``, ``no-tones=true``; plus ``from`` (a
step) and ``routine``. A value not given comes from the settings file, then the default,
exactly as for ``coach export``, and every check and message is the command line's own
(``coach.choices``). Nothing from the web names a file: a routine is chosen by name, a
bed among the built-in ones (a sound file only through the settings file), sound packs
only through the settings file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coach.errors import InputError
from coach.options import OPTIONS, Kind, Option

if TYPE_CHECKING:
    from coach.routine import Routine
    from coach.session import Options

#: The options a request may set: those that shape an exported session, but for files.
WEB: dict[str, Option] = {
    name: o for name, o in OPTIONS.items() if "export" in o.commands and o.kind is not Kind.FOLDER
}
#: Query names that are not options of the table.
OTHER = ("routine", "token", "from")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
#: The routine of a query that names none, as for the command line.
DEFAULT_ROUTINE = "anma"


class UnknownRoutine(InputError):
    """No routine has that name (the server answers 404)."""


@dataclass(frozen=True)
class Chosen:
    """A request's session: the routine and its options (with the step it starts at)."""

    routine: Routine
    options: Options


def _value(option: Option, raw: str) -> Any:
    """``raw`` as the option's type; InputError in the command line's words."""
    text, flag = raw.strip(), f"--{option.name}"
    if option.kind is Kind.BOOL:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise InputError(f"{flag} {raw}: must be true or false")
    if option.kind is Kind.INT:
        try:
            return int(text)
        except ValueError:
            raise InputError(f"{flag} {raw}: must be a whole number") from None
    if option.kind is Kind.NUMBER:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InputError(f"{flag} {raw}: must be a number")
        return number
    if not text:
        raise InputError(f"{flag}: must not be empty")
    if option.kind is Kind.BED:
        from coach.bed import NONE, builtin_names

        if text.casefold() not in (*builtin_names(), NONE):
            # The command line's words for a name that is neither built-in nor a file: no
            # file is looked for on behalf of the web.
            raise InputError(
                f"{flag} {raw}: no such file, and not a built-in bed "
                f"({', '.join(builtin_names())}, or {NONE})"
            )
    return text


def routine(name: str, language: str | None = None, preferred: str | None = None) -> Routine:
    """The routine ``name`` (the user's, else built-in) in ``language`` (None: in
    ``preferred`` where it is written in it, else its file's own), as the command line
    finds it by name. UnknownRoutine when none has it (a path is
    never followed); InputError when the user's file of that name is broken or the routine
    is not written in ``language``."""
    import difflib

    from coach.catalog import is_path, names, resolve

    known = names()
    if is_path(name) or name not in known:
        near = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise UnknownRoutine(f"no routine named '{name}'{hint}; routines: {', '.join(known)}")
    return resolve(name, language, preferred)


def saved() -> dict[str, Any]:
    """Every option's value at the user's saved settings (file, else defaults), by name."""
    from coach import choices, config

    return choices.values(config.effective(config.load(), {}), {})


def options_from(query: Mapping[str, str], language: str = "en") -> tuple[Options, str | None]:
    """The Options a query asks for over the saved settings, for a session in ``language``
    (the rate is checked in its unit: words or morae per minute), and its ``from`` step."""
    from coach import choices, config
    from coach.speech import check_rate

    typed: dict[str, Any] = {}
    loose: dict[str, Any] = {}
    for name, raw in query.items():
        if name in OTHER:
            continue
        option = WEB.get(name)
        if option is None:
            raise InputError(f"unknown option '{name}'; options: {', '.join([*WEB, 'from'])}")
        (typed if option.key else loose)[option.name if option.key else option.param] = _value(
            option, raw
        )
    settings = config.effective(config.load(), typed)
    with choices.judged(settings):  # a bad saved value names the settings file's line
        options = choices.options(choices.values(settings, loose), notify=_note)
        if options.rate is not None:
            check_rate(options.rate, language)
        return options, query.get("from")


def _note(message: str) -> None:
    import logging

    logging.getLogger("coach.serve").warning("coach: %s", message)


def routine_of(query: Mapping[str, str], default_routine: str = DEFAULT_ROUTINE) -> Routine:
    """The routine a query names (``routine``, else the command line's default) in the
    language it asks for (``language``, else the settings file's where the routine is
    written in it, else the routine file's own)."""
    from coach import config

    preferred = config.effective(config.load(), {})["language"].value
    return routine(query.get("routine", default_routine), query.get("language"), preferred)


def chosen(query: Mapping[str, str], default_routine: str = DEFAULT_ROUTINE) -> Chosen:
    """The routine (``routine``, the command line's default when absent; in ``language``,
    else its file's own) and Options a query asks for. Raises UnknownRoutine or InputError
    with the command line's message."""
    from coach import choices

    found = routine_of(query, default_routine)
    options, start = options_from(query, found.language)
    return Chosen(found, choices.with_start(options, found, start))

"""What the command line's session commands share (``script``, ``export``, ``play``,
``config``, ``today``): their options, each declared from the one options table
(coach.options), the wrapper that settles them against the settings file into one
Options, the routine argument, and playing a session on this terminal (keys, status line,
the history's recording).

Part of the cli front door, beneath both of its command modules: coach.cli and
coach.cli_practice import it, and it imports neither, so data flows one way.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coach import completion as completing
from coach.options import OPTIONS
from coach.terminal import Keyboard, StatusLine, is_terminal

if TYPE_CHECKING:
    from coach.routine import Routine
    from coach.session import Options


def complete_routine(incomplete: str) -> list[str]:
    """Routine names (built-in and the user's) starting with ``incomplete``."""
    try:
        from coach.catalog import names

        return [n for n in names() if n.startswith(incomplete)]
    except Exception:  # completion must never print an error into the shell's line
        return []


def voice_names() -> list[str]:
    """Every voice as ``ENGINE:ID`` that works here, for completion; empty when the speech
    engines cannot say. The one place completion asks the speech package."""
    try:
        from coach import speech

        return [v.spec for v in speech.voices()[0]]
    except Exception:
        return []


def _complete_voice(incomplete: str) -> list[str]:
    """``ENGINE:ID``, the bare id and its last part (``gmw/en-us``, ``en-us``)."""
    found = set()
    for spec in voice_names():
        voice = spec.partition(":")[2]
        found |= {spec, voice, voice.rsplit("/", 1)[-1]}
    return sorted(v for v in found if v.startswith(incomplete))


RoutineArg = Annotated[
    str,
    typer.Argument(
        metavar="ROUTINE",
        help="A routine name (yours, then built-in; see "
        "'coach routines') or a path: anything with a / "
        "or ending in .toml (./quick is a file).",
        show_default=True,
        autocompletion=complete_routine,
    ),
]


#: Each option's default, from the table.
DEFAULT: dict[str, Any] = {name: option.default for name, option in OPTIONS.items()}


def _option(name: str, **extra: Any) -> Any:
    """The typer option ``name`` as the options table (coach.options) declares it."""
    option = OPTIONS[name]
    metavar = option.metavar or ("|".join(option.choices) if option.choices else None)
    return typer.Option(*option.flags, help=option.help, metavar=metavar, **extra)


PaceOpt = Annotated[str, _option("pace", autocompletion=completing.paces)]


TalkOpt = Annotated[str, _option("talk", autocompletion=completing.talks)]


CountOpt = Annotated[bool, _option("count")]


MinutesOpt = Annotated[float | None, _option("minutes")]


VoiceOpt = Annotated[str | None, _option("voice", autocompletion=_complete_voice)]


RateOpt = Annotated[int | None, _option("rate")]


MonoOpt = Annotated[bool, _option("mono")]


ToneVolOpt = Annotated[float, _option("tone-volume")]


NoTonesOpt = Annotated[bool, _option("no-tones")]


SoundsOpt = Annotated[Path | None, _option("sounds")]


BedOpt = Annotated[str | None, _option("bed", autocompletion=completing.beds)]


BedVolOpt = Annotated[float, _option("bed-volume")]


HistoryOpt = Annotated[bool | None, _option("history", show_default=False)]


LanguageOpt = Annotated[str | None, _option("language")]


FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="STEP",
        help="Start at this step: its number or the start of its title.",
        autocompletion=completing.steps,
    ),
]


def settings_for(ctx: typer.Context, chosen: dict[str, Any]) -> dict[str, Any]:
    """The effective settings (config.Setting by key) for a command's ``chosen`` values:
    what the user typed wins, then the settings file, then the defaults. A bad settings
    file stops here, before anything is made."""
    from coach import config
    from coach.options import KEYS

    typed = {}
    for key in KEYS.values():
        if key.param in chosen:
            source = ctx.get_parameter_source(key.param)
            if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
                typed[key.name] = chosen[key.param]
    return config.effective(config.load(), typed)


def judged_settings(settings: dict[str, Any]) -> Any:
    from coach.choices import judged

    return judged(settings)


def values_of(settings: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
    """Every option's value by name (see ``choices.values``)."""
    from coach.choices import values

    return values(settings, chosen)


def options_of(values: dict[str, Any]) -> Options:
    from coach.choices import options

    return options(values, notify=notify_user)


def sound_pack(folder: Path) -> Any:
    from coach.choices import pack

    return pack(folder, notify=notify_user)


def starting_at(options: Any, routine: Any, step: str | None) -> Any:
    from coach.choices import with_start

    return with_start(options, routine, step)


def load_routine(
    spec: str, language: str | None = None, settings: dict[str, Any] | None = None
) -> Routine:
    """The routine ``spec`` in ``language`` (``--language``), else in the ``settings``'
    language where it is written in it (the user is told when it is not)."""
    from coach import languages
    from coach.catalog import resolve

    preferred = settings["language"].value if settings is not None else None
    found = resolve(spec, language, preferred)
    if language is None and preferred is not None and found.language != preferred:
        notify_user(
            f"{found.name} is not written in {languages.get(preferred).name}: "
            f"it is spoken in {languages.get(found.language).name}"
        )
    return found


def _session_options(
    pace: PaceOpt = DEFAULT["pace"],
    voice: VoiceOpt = DEFAULT["voice"],
    rate: RateOpt = DEFAULT["rate"],
    talk: TalkOpt = DEFAULT["talk"],
    count: CountOpt = DEFAULT["count"],
    minutes: MinutesOpt = DEFAULT["minutes"],
    mono: MonoOpt = DEFAULT["mono"],
    tone_volume: ToneVolOpt = DEFAULT["tone-volume"],
    no_tones: NoTonesOpt = DEFAULT["no-tones"],
    sounds: SoundsOpt = DEFAULT["sounds"],
    bed: BedOpt = DEFAULT["bed"],
    bed_volume: BedVolOpt = DEFAULT["bed-volume"],
) -> None:
    """The options of every command that makes a session's sound, declared once."""


def session_command(
    command: Callable[..., None] | None = None, *, without: tuple[str, ...] = ()
) -> Any:
    """``command`` with the session options (less those named in ``without``) added to
    its own; it receives them as one Options value in its ``options`` parameter (settled
    against the settings file, every value checked), and the effective settings in
    ``settings`` when it has that parameter.

    Why it writes the wrapper's ``__signature__``: typer reads a command's parameters from
    its signature and has no shared option groups (click's decorators, ``typer.Context``
    and a callback do not give a command typed options it did not declare). The plainer
    ways each say the twelve session options again in every command that takes them, or
    move them before the command name (``coach --pace slow play``), which README and
    the settings file do not promise. So the options are declared once
    (``_session_options``, each from the table) and their parameters are spliced into the
    command's signature here (tests/test_cli.py checks each command's help and that every
    option is in README)."""
    if command is None:
        return functools.partial(session_command, without=without)
    shared = [
        p
        for p in inspect.signature(_session_options, eval_str=True).parameters.values()
        if p.name not in without
    ]
    own = [
        p
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.name not in ("options", "settings")
    ]
    wants = inspect.signature(command).parameters

    @functools.wraps(command)
    def wrapper(ctx: typer.Context, **kwargs: Any) -> None:
        chosen = {p.name: kwargs.pop(p.name) for p in shared}
        settings = settings_for(ctx, chosen)
        extra: dict[str, Any] = {"settings": settings} if "settings" in wants else {}
        with judged_settings(settings):
            if "options" in wants:  # (decoding sound packs and beds: only where sound is made)
                extra["options"] = options_of(values_of(settings, chosen))
            command(**extra, **kwargs)

    context = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )
    params = [context] + own + shared
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def play_live(r: Any, name: str, options: Any, recording: Any) -> None:
    """Play routine ``r`` (its resume key ``name``) with ``options``, recorded by
    ``recording`` (None: not recorded)."""
    from coach.session import Session

    # Keys go to coach from the start: starting the voice takes a moment, and a key
    # pressed meanwhile must be neither echoed nor lost.
    with Keyboard() as keyboard, Session(r, options, notify=notify_user) as session:
        _play(session, name, r, keyboard, [recording] if recording else [])


def recording_for(r: Any, options: Any, settings: Any, history: bool | None) -> Any:
    """The history's Recording of this session, None when history is off. A damaged or
    newer history file stops here, before any sound (one line, status 2)."""
    if not (settings["history"].value if history is None else history):
        return None
    from coach.history.recording import Recording

    return Recording.of(r, options, notify=notify_user)


def _play(session: Any, name: str, r: Any, keyboard: Keyboard, observers: list[Any]) -> None:
    from coach import live, player
    from coach.phrases import Phrases

    status = StatusLine() if is_terminal(sys.stderr) else None
    try:
        outcome = live.play(
            session,
            name,
            r,
            keyboard.poll if keyboard.on else None,
            status.show if status else None,
            observers,
        )
    finally:
        if status:
            status.close()
    said = Phrases(session.script.language)  # the session's last line, in its language
    typer.echo(said("stopped" if outcome is player.Outcome.QUIT else "played_out"), err=True)


def plural(count: int, noun: str) -> str:
    """``1 step``, ``2 steps``: a count with its noun (regular English plurals only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def notify_user(message: str) -> None:
    """One line for the user on stderr that is not an error."""
    if sys.stderr is not None:
        sys.stderr.write(f"coach: {message}\n")
        sys.stderr.flush()

"""The command line. The only module that imports typer, prints for the user or exits.

Every command turns its options into core values (Options, ScriptChoices, Mix) and calls the
core; every failure comes back as a CoachError subclass and is turned into one line and
an exit status in ``main``, in one place.

Why one module of about 900 lines: it is one idea, the front door's commands (the one
error map, the help text and completion hooks), and every command in it is a thin
wrapper. What the session commands share (their options from coach.options, settling
them, playing on the terminal) is coach.cli_session; the practice commands are
coach.cli_practice, added to the app here. Data flows one way: cli imports both, they
import neither cli nor each other.
"""

from __future__ import annotations

import difflib
import errno
import json
import os
import shutil
import signal
import sys
import traceback
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from coach import __version__, cli_practice
from coach import completion as completing
from coach.cli_session import (
    DEFAULT,
    BedOpt,
    BedVolOpt,
    CountOpt,
    FromOpt,
    HistoryOpt,
    LanguageOpt,
    MinutesOpt,
    NoTonesOpt,
    PaceOpt,
    RateOpt,
    RoutineArg,
    SoundsOpt,
    TalkOpt,
    VoiceOpt,
    complete_routine,
    judged_settings,
    load_routine,
    notify_user,
    options_of,
    play_live,
    plural,
    recording_for,
    session_command,
    settings_for,
    sound_pack,
    starting_at,
    values_of,
)
from coach.errors import CoachError, InputError, MissingPartError, OutputError
from coach.terminal import Progress

if TYPE_CHECKING:  # imported lazily where used: the core loads only what a command needs
    pass


class Exit(IntEnum):
    """coach's exit statuses (README, *Exit statuses*); ``_run`` maps every failure to one."""

    OK = 0
    BUG = 1  # an internal error: a bug in coach
    INPUT = 2  # bad input: a routine, an option, a settings file, a place to write
    MISSING = 3  # a missing part: no audio device, no ffmpeg, a full disk
    INTERRUPTED = 130  # Ctrl-C or SIGTERM


#: The one error map: each of coach's errors to its exit status, the most specific first
#: (an OptionError is an InputError; anything else of coach's is bad input).
_STATUS: tuple[tuple[type[CoachError], Exit], ...] = (
    (OutputError, Exit.MISSING),  # a full disk, ffmpeg failing, a closed standard output
    (MissingPartError, Exit.MISSING),
    (InputError, Exit.INPUT),
    (CoachError, Exit.INPUT),
)


def status_of(exc: CoachError) -> Exit:
    """The exit status for ``exc`` (``_STATUS``)."""
    return next(status for kind, status in _STATUS if isinstance(exc, kind))


class _OutputClosed(Exception):
    """Whoever read coach's output stopped reading (``coach voices | head -1``)."""


class _Commands(typer.core.TyperGroup):
    """coach's commands, with a failed write to standard output turned into what it means
    before click sees it (click makes a broken pipe a silent status 1)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise _OutputClosed() from None
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise OutputError(
                    f"{exc.filename or 'standard output'}: the disk is full"
                ) from None
            raise


app = typer.Typer(
    cls=_Commands,
    name="coach",
    help="A voice-guided audio coach. A calm voice, rhythm tones and bells walk you through "
    "a routine (the built-in one is 'anma', a Japanese facial massage), live or as an MP3.",
    no_args_is_help=True,
    # `coach completion SHELL` instead of typer's --show-completion, which guesses the
    # shell and ignores the one named.
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"coach {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the full traceback on errors (also COACH_DEBUG=1)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Sit down, close your eyes, run one command."""
    _state["debug"] = debug or _state["debug"]


# ---- shared options -------------------------------------------------------------------


def _complete_sound(incomplete: str) -> list[str]:
    from coach.sounds import Sound

    return [s.value for s in Sound if s.value.startswith(incomplete)]


def _placeholder(self: Any, ctx: Any) -> str:
    """What help shows for a parameter's value: its metavar (``WPM``, ``slow|normal|fast``,
    ``ROUTINE``), nothing for a flag. typer's own is the Python type (``<str>``, ``<bool>``,
    ``<list[Path]>``), which tells a user nothing."""
    if getattr(self, "is_flag", False) or self.metavar is None:
        return ""
    return str(self.metavar) + ("..." if self.nargs != 1 else "")


_typer_default_string = typer.core.TyperOption._get_default_string


def _default_string(self: Any, *, ctx: Any, show_default_is_str: bool, default_value: Any) -> str:
    """A ``--x/--no-x`` flag's default as help shows it, from the default in effect (the
    settings file's, see ``_help_defaults``): typer names it from the declared default."""
    if self.is_bool_flag and self.secondary_opts and not show_default_is_str:
        return str((self.opts if default_value else self.secondary_opts)[0]).lstrip("-")
    return str(
        _typer_default_string(
            self, ctx=ctx, show_default_is_str=show_default_is_str, default_value=default_value
        )
    )


typer.core.TyperOption.display_type_rich = _placeholder  # type: ignore[method-assign]
typer.core.TyperArgument.display_type_rich = _placeholder  # type: ignore[method-assign]
typer.core.TyperOption._get_default_string = _default_string  # type: ignore[method-assign]


# ---- commands -------------------------------------------------------------------------


@app.command()
def routines(
    show: Annotated[
        str | None,
        typer.Option(
            "--show",
            metavar="NAME",
            help="Print this routine's steps and phases.",
            autocompletion=complete_routine,
        ),
    ] = None,
) -> None:
    """List the routines, built-in and your own: name, steps, minutes, title."""
    from coach.catalog import catalog, hides_builtin, languages_of, resolve
    from coach.routine import describe_routine
    from coach.script import build

    if show is not None:
        r = resolve(show)
        for line in describe_routine(r, build(r).estimate_seconds()):
            typer.echo(line)
        return
    from coach import languages

    # Wide enough for a routine written in every language coach speaks.
    w = max(len("LANGUAGES"), len(",".join(languages.names())))
    typer.echo(f"{'NAME':16} {'FROM':9} {'LANGUAGES':{w}} {'STEPS':>5} {'MINUTES':>7}  TITLE")
    bad = 0
    for entry in catalog():
        where = "yours" if entry.user else "built-in"
        if entry.routine is None:
            bad += 1
            typer.echo(
                f"{entry.name:16} {where:9} {'-':{w}} {'-':>5} {'-':>7}  (broken: see below)"
            )
            hidden = (
                f" ({hides_builtin(entry.name, entry.path)})"
                if entry.shadows and entry.path
                else ""
            )
            typer.echo(f"coach: {entry.error}{hidden}", err=True)
            continue
        r = entry.routine
        try:
            minutes = f"{build(r).estimate_seconds() / 60:7.1f}"
        except InputError as exc:
            minutes = f"{'-':>7}"
            typer.echo(f"coach: {exc}", err=True)
            bad += 1
        note = " (in place of the built-in)" if entry.shadows else ""
        try:
            langs = ",".join(languages_of(entry.name, r))
        except InputError as exc:
            langs = r.language
            typer.echo(f"coach: {exc}", err=True)
            bad += 1
        typer.echo(
            f"{entry.name:16} {where:9} {langs:{w}} {len(r.steps):5d} {minutes}  {r.title}{note}"
        )
    from coach.places import routines_dir

    typer.echo(f"Your routines folder: {routines_dir()}")
    if bad:
        raise typer.Exit(Exit.INPUT)


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="The new routine's name (letters, digits, - and _)."),
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing routine of that name with the starter."),
    ] = False,
) -> None:
    """Write a commented starter routine to your routines folder and print its path."""
    from coach.catalog import builtin_names, create, hides_builtin

    path = create(name, force)
    typer.echo(str(path))
    if name in builtin_names():
        notify_user(hides_builtin(name, path))


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Routine files to check.")],
) -> None:
    """Check routine files; report every problem in each. Exit status 2 if any is bad."""
    from coach.clock import minutes_seconds
    from coach.routinefile import load
    from coach.script import build

    bad = 0
    for path in paths:
        try:
            r = load(path)
            length = minutes_seconds(build(r).estimate_seconds())
            typer.echo(f"{path}: ok ({plural(len(r.steps), 'step')}, about {length})")
        except InputError as exc:
            typer.echo(str(exc), err=True)
            bad += 1
    if bad:
        raise typer.Exit(Exit.INPUT)


@app.command()
def script(
    ctx: typer.Context,
    routine: RoutineArg = "anma",
    pace: PaceOpt = DEFAULT["pace"],
    talk: TalkOpt = DEFAULT["talk"],
    count: CountOpt = DEFAULT["count"],
    minutes: MinutesOpt = DEFAULT["minutes"],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the laid-out timeline as JSON "
            "(synthesizes the speech to know its real length).",
        ),
    ] = False,
    voice: VoiceOpt = DEFAULT["voice"],
    rate: RateOpt = DEFAULT["rate"],
    language: LanguageOpt = None,
    start: FromOpt = None,
    bed: BedOpt = DEFAULT["bed"],
    bed_volume: BedVolOpt = DEFAULT["bed-volume"],
    no_tones: NoTonesOpt = DEFAULT["no-tones"],
) -> None:
    """Show the cue list of a session (with a bed, its ducking windows too), or with --json its exact timeline."""
    chosen = {
        "pace": pace,
        "talk": talk,
        "count": count,
        "minutes": minutes,
        "voice": voice,
        "rate": rate,
        "bed": bed,
        "bed_volume": bed_volume,
        "no_tones": no_tones,
    }
    settings = settings_for(ctx, chosen)
    # No sound is made, so no pack is read: silences are counted from the built-in lengths.
    values = values_of(settings, chosen) | {"sounds": None}
    r = load_routine(routine, language, settings)
    from coach import report
    from coach.session import Session

    with (
        judged_settings(settings),
        Session(r, starting_at(options_of(values), r, start), notify=notify_user) as session,
    ):
        if as_json:
            typer.echo(json.dumps(report.plan(session), indent=1, ensure_ascii=False))
        else:
            for line in report.describe(session):
                typer.echo(line)


@app.command()
def voices(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            "-l",
            metavar="CODE",
            help="Only voices whose language starts with this code, e.g. en.",
        ),
    ] = None,
) -> None:
    """List every engine's voices that work here: engine, id, languages, name; * marks each language's default."""
    from coach import speech

    found, problems = speech.voices()
    for line in problems:
        notify_user(line)
    if lang:
        found = [
            v for v in found if any(x.casefold().startswith(lang.casefold()) for x in v.languages)
        ]
        if not found:
            raise InputError(f"--lang {lang}: no voice for that language; run 'coach voices'")
    from coach import languages

    defaults = {speech.default_spec(code) for code in languages.names()}
    typer.echo(f"  {'ENGINE':9} {'ID':26} {'LANGUAGES':18} NAME")
    for v in found:
        mark = "*" if v.spec in defaults else " "
        typer.echo(f"{mark} {v.engine:9} {v.id:26} {','.join(v.languages):18} {v.name}")


@app.command()
def cache(clear: Annotated[bool, typer.Option("--clear", help="Empty it.")] = False) -> None:
    """Show coach's cache folder (spoken clips, bed loops, served sessions) and its size; --clear empties it."""
    from coach import bed, owned
    from coach.sessions import store
    from coach.speech import clip_cache, probe
    from coach.speech.cache import TRIM_TO

    clips = clip_cache()
    sessions = store()
    problems: list[str] = []
    if clear:
        removed, failed = clips.clear()
        problems += failed
        try:
            gone = bed.clear_cache()
        except OSError as exc:
            gone = 0
            problems.append(owned.problem(bed.cache_folder(), exc, "empty"))
        try:
            probe.clear()  # the neural voice is tried again on its next start
        except OSError as exc:
            problems.append(owned.problem(probe.folder(), exc, "empty"))
        try:
            served = sessions.clear()
        except OSError as exc:
            served = 0
            problems.append(owned.problem(sessions.root, exc, "empty"))
        typer.echo(
            f"Removed {plural(removed, 'clip')}, {plural(gone, 'bed loop')} and "
            f"{plural(served, 'session')} from {clips.root.parent}"
        )
    else:
        info = clips.info()
        problems += info.problems
        try:
            loops = bed.cached()
        except OSError as exc:
            loops = []
            problems.append(owned.problem(bed.cache_folder(), exc))
        typer.echo(f"{clips.root.parent}")
        typer.echo(
            f"  clips: {plural(info.entries, 'clip')}, "
            f"{info.size / 1e6:.1f} MB (trimmed to {clips.max_bytes * TRIM_TO / 1e6:.0f} MB "
            f"when it grows past {clips.max_bytes / 1e6:.0f} MB)"
        )
        typer.echo(
            f"  beds: {plural(len(loops), 'loop')}, {sum(size for _, size in loops) / 1e6:.1f} MB"
        )
        try:
            kept = sessions.info()
            typer.echo(
                f"  sessions (coach serve): {plural(kept.sessions, 'session')}, "
                f"{kept.size / 1e6:.1f} MB (trimmed to "
                f"{sessions.max_bytes * TRIM_TO / 1e6:.0f} MB when it grows past "
                f"{sessions.max_bytes / 1e6:.0f} MB)"
            )
        except OSError as exc:
            problems.append(owned.problem(sessions.root, exc))
    if problems:  # after what could be done: one line naming every folder left as it was
        raise InputError("; ".join(problems))


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host", help="The address to listen on (0.0.0.0: every address of this machine)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8765,
    lan: Annotated[
        bool,
        typer.Option(
            "--lan",
            help="Listen on this machine's network address, for phones on the same network.",
        ),
    ] = False,
    new_token: Annotated[
        bool,
        typer.Option(
            "--new-token",
            help="Replace the access token (old links and feed subscriptions stop working).",
        ),
    ] = False,
) -> None:
    """Serve a page, an API and a podcast feed of your sessions to phones on your network."""
    from coach.serve import run

    run(host, port, lan, new_token, debug=_state["debug"])


@app.command()
@session_command
def export(
    routine: RoutineArg = "anma",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Where to write: a file "
            "(.mp3, .ogg or .wav), a folder (gets ROUTINE.mp3), "
            "or - for standard output (default: ROUTINE.mp3 "
            "in output-dir, else here).",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            autocompletion=completing.formats,
            metavar="mp3|ogg|wav",
            help="mp3, ogg or wav, where no file suffix says it (-o -, a folder).",
        ),
    ] = None,
    cues: Annotated[
        Path | None,
        typer.Option(
            "--cues",
            metavar="PATH",
            help="Also write the spoken lines with their times: .vtt, .srt or .lrc.",
        ),
    ] = None,
    chapters: Annotated[
        Path | None,
        typer.Option(
            "--chapters",
            metavar="PATH",
            help="Also write the chapters: .json (Podcasting 2.0) or .cue (CUE sheet).",
        ),
    ] = None,
    start: FromOpt = None,
    language: LanguageOpt = None,
    options: Any = None,
    settings: Any = None,
) -> None:
    """Export a session as an audio file with tags and one chapter per step."""
    from coach import job
    from coach.clock import RATE, minutes_seconds
    from coach.script import build

    r = load_routine(routine, language, settings)
    options = starting_at(options, r, start)
    folder = settings["output-dir"].value
    if output is None and folder:
        output = str(folder) + os.sep
    targets = job.targets_for(job.default_stem(r, options.settings), output, fmt, cues, chapters)
    name = targets.audio.name if targets.audio else "to standard output"
    script = build(r, options.settings, options.rate)  # once: the job is given it
    bar = Progress(round(script.estimate_seconds(options.rate) * RATE), f"Exporting {name}")
    try:
        result = job.run(
            r,
            options,
            targets,
            bar.update,
            out=sys.stdout.buffer if targets.audio is None and sys.stdout else None,
            notify=notify_user,
            inputs=[("settings file", _config_path())],
            script=script,
        )
    finally:
        bar.close()
    carried = f", {plural(result.chapters, 'chapter')}" if result.chapters else ""
    typer.echo(
        f"Wrote {result.audio or 'standard output'} ({minutes_seconds(result.seconds)}{carried})"
        + "".join(f" and {p}" for p in result.also),
        err=targets.audio is None,
    )


@app.command()
@session_command
def play(
    routine: RoutineArg = "anma",
    start: FromOpt = None,
    resuming: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Start at the step where the last 'coach play' of this routine stopped.",
        ),
    ] = False,
    history: HistoryOpt = None,
    language: LanguageOpt = None,
    options: Any = None,
    settings: Any = None,
) -> None:
    """Play a session live. Keys: space pause/resume, n next step, b start of the step (twice: the step before), q quit."""
    from dataclasses import replace

    from coach import live, resume

    r = load_routine(routine, language, settings)
    step, note = live.start_step(routine, r, resuming, start)
    if note:
        typer.echo(note, err=True)
    options = replace(options, settings=replace(options.settings, start=step))
    play_live(r, resume.key(routine), options, recording_for(r, options, settings, history))


def _config_path() -> Path:
    from coach.places import config_file

    return config_file()


def _edit_config(value: bool) -> None:
    """``coach config --edit``: runs before the settings are read, so a broken file can be
    opened to mend it; the file is checked once the editor closes."""
    if not value:
        return
    import shlex
    import subprocess

    from coach import config

    path = _config_path()
    # As git and crontab do: $VISUAL, then $EDITOR, then vi; a blank one is not set.
    name, editor = next(
        ((n, os.environ[n]) for n in ("VISUAL", "EDITOR") if os.environ.get(n, "").strip()),
        ("", "vi"),
    )
    said = f"${name} {editor}" if name else editor
    try:
        command = shlex.split(editor)
    except ValueError as exc:  # an unclosed quote
        raise InputError(f"{said}: cannot be read as a command ({exc}); fix ${name}") from None
    if not shutil.which(command[0]):
        raise MissingPartError(f"{said}: no such program; set VISUAL or EDITOR, or edit {path}")
    if config.create(path):
        typer.echo(f"Created {path}", err=True)
    try:
        done = subprocess.run([*command, str(path)])
    except OSError as exc:
        raise MissingPartError(f"{said}: cannot run it: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise InputError(f"{said} exited with status {done.returncode}; {path} was not checked")
    config.load(path)  # its problems, one line, status 2; nothing when it is good
    raise typer.Exit(Exit.OK)


@app.command("config")
@session_command(without=("minutes",))  # a routine's length: no setting, nothing to show
def config_command(
    edit: Annotated[
        bool,
        typer.Option(
            "--edit",
            help="Open the settings file in $EDITOR (created with comments if missing).",
            callback=_edit_config,
            is_eager=True,
        ),
    ] = False,
    options: Any = None,
    settings: Any = None,
) -> None:
    """Show every setting in effect and where it comes from: default, the settings file or the command line."""
    from coach import config
    from coach.speech import check_voice

    # Every value is checked as play would check it (options are made): the voice too,
    # without loading a model; it is shown as the voice it names.
    voice = settings["voice"].value
    found = check_voice(voice)
    shown = {name: config.show(setting.value) for name, setting in settings.items()}
    shown["voice"] = f'"{found}"' if voice is None or voice == found else f'"{voice}" ({found})'
    width = max(12, *map(len, shown.values()))
    typer.echo(f"{'SETTING':12} {'VALUE':{width}}  FROM")
    for name, setting in settings.items():
        typer.echo(f"{name:12} {shown[name]:{width}}  {setting.source}")
    path = _config_path()
    typer.echo(
        f"Settings file: {path}{'' if path.exists() else ' (none yet: coach config --edit makes it)'}"
    )


@app.command()
def sounds(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="SOUND", help="Only these sounds.", autocompletion=_complete_sound),
    ] = None,
    sounds: SoundsOpt = None,
) -> None:
    """List the sounds by name and the file each comes from (built-in or your pack)."""
    from coach.sounds import Sound
    from coach.tones import sounds_dir

    # The parameter is named as the setting, so a typed --sounds wins over the file's.
    settings = settings_for(ctx, {"sounds": sounds})
    pack_folder = settings["sounds"].value
    with judged_settings(settings):
        pack = sound_pack(pack_folder) if pack_folder is not None else None
    wanted = list(Sound)
    if names:
        known = {s.value: s for s in Sound}
        for n in names:
            if n.lower() not in known:  # as pack files are matched: any case
                raise InputError(f"sound '{n}': no such sound; sounds: {', '.join(known)}")
        wanted = [known[n.lower()] for n in names]
    typer.echo(f"{'SOUND':9} FILE")
    for sound in wanted:
        mine = pack.file(sound) if pack else None
        typer.echo(
            f"{sound.value:9} {mine if mine else str(sounds_dir() / f'{sound.value}.wav') + ' (built-in)'}"
        )


class Shell(StrEnum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


@app.command()
def completion(
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script for bash, zsh or fish (see the README to install it)."""
    typer.echo(completing.script(shell.value), nl=False)


# ---- entry point ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """The ``coach`` console script: run a command, map every failure to one line and
    an exit status (0 ok, 2 bad input, 3 missing part, 130 interrupted)."""
    _state["debug"] = os.environ.get("COACH_DEBUG", "") not in ("", "0")
    from coach import interrupts

    # SIGTERM stops coach as Ctrl-C does, so the same clean-up runs; a second signal cannot
    # cut it short. (A shell starts background jobs with SIGINT ignored, and Python keeps
    # that; coach must still stop cleanly when told to.)
    signal.signal(signal.SIGTERM, interrupts.handler)
    signal.signal(signal.SIGINT, interrupts.handler)
    _plug_closed_streams()
    status = run(argv)
    if status == Exit.INTERRUPTED:
        # Python gives the signals their default action back while it shuts down: one more
        # Ctrl-C then would kill coach (status -2, tracebacks from threading._shutdown).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(_flushed(status))


def _plug_closed_streams() -> None:
    """Put /dev/null on standard streams coach was started without (``>&-``), so no file
    coach opens takes their place. Python has already made such a stream None, and it
    stays None: ``export -o -`` still sees that there is no standard output."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:  # (the lowest free descriptor: ``fd`` itself, normally)
                os.dup2(null, fd)
                os.close(null)


def _flushed(status: int) -> int:
    """``status``, after what is left in standard output's buffer is written. When it
    cannot be (the reader has gone, the disk is full), it is dropped here rather than
    raise at exit; a full disk not reported yet makes the status 3."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
        if status == Exit.OK and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            _error("standard output: the disk is full")
            return Exit.MISSING
    return status


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status instead of exiting (for tests)."""
    args = sys.argv[1:] if argv is None else argv
    return _run(args)


def _run(args: list[str]) -> int:
    if os.environ.get(completing.COMPLETE_VAR):  # a shell asking for completions
        completing.install()  # coach's bash class, typer's zsh and fish ones
    try:
        # Without standalone mode typer returns an Exit's status (and turns Ctrl-C
        # into Exit(130)) instead of raising it; a command itself returns None.
        status = app(
            args=args,
            prog_name="coach",
            standalone_mode=False,
            default_map=_help_defaults() if {"--help", "-h"} & set(args) else None,
        )
        status = status if isinstance(status, int) else Exit.OK
        if status == Exit.INTERRUPTED:
            _error("interrupted")
        return status
    except typer.Exit as exc:
        return exc.exit_code
    except _OutputClosed:  # a listing cut short by its reader: a normal end, as for `ls | head`
        return Exit.OK
    except typer.TyperException as exc:  # bad option or argument
        _error(_usage_error(exc, args))
        return Exit.INPUT
    except typer.Abort:
        _error("interrupted")
        return Exit.INTERRUPTED
    except KeyboardInterrupt:
        _error("interrupted")
        return Exit.INTERRUPTED
    except CoachError as exc:
        if _state["debug"]:
            traceback.print_exc()
        _error(str(exc))
        return status_of(exc)
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if _state["debug"]:
            traceback.print_exc()
        else:
            _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return Exit.BUG


def _help_defaults() -> dict[str, dict[str, Any]]:
    """For ``--help``: the settings file's values as each command's defaults, so help says
    ``[default: slow]`` where the file sets it, not coach's own ``normal`` (click shows a
    context's default map as the default). A broken file shows coach's own: the command
    itself reports it."""
    from coach import config
    from coach.options import KEYS

    try:
        found = config.load().values
    except CoachError:
        return {}
    return {
        command: {
            o.param: str(found[name]) if isinstance(found[name], Path) else found[name]
            for name, o in KEYS.items()
            if name in found and command in o.commands
        }
        for command in {c for o in KEYS.values() for c in o.commands}
    }


def _usage_error(exc: Any, args: list[str]) -> str:
    """A bad option or argument as one line, pointing at the help of the command given
    (click names the command only for some errors, and spreads choices over lines); an
    option of another command says whose it is, instead of a far-fetched did-you-mean."""
    import typer.main

    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    name = next((a for a in args if a in commands), None)
    message = " ".join(exc.format_message().split())
    option = getattr(exc, "option_name", None)
    if option and name and type(exc).__name__ == "NoSuchOption":
        owners = [
            c
            for c, cmd in commands.items()
            if any(option in p.opts or option in p.secondary_opts for p in cmd.params)
        ]
        near = [
            p
            for p in getattr(exc, "possibilities", None) or []
            if difflib.SequenceMatcher(None, option, p).ratio() >= 0.75
        ]
        if owners:
            message = f"No such option: {option} (it is an option of {' and '.join(f'coach {o}' for o in owners)})"
        else:
            message = f"No such option: {option}" + (
                f" (did you mean {' or '.join(near)}?)" if near else ""
            )
    return f"{message} (see 'coach {name} --help')" if name else f"{message} (see 'coach --help')"


def _error(message: str) -> None:
    if sys.stderr is not None:  # started with stderr closed: the status is all there is
        sys.stderr.write(f"coach: {message}\n")
        sys.stderr.flush()


# The practice commands (log, stats, programs, program, today, remind) live in their own
# module of this front door; they are added to the app here, after the session commands.
for _name, _command in cli_practice.COMMANDS.items():
    app.command(_name)(_command)

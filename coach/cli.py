"""The command line. The only module that imports typer, prints for the user or exits.

Every command turns its options into core values (Options, Settings, Mix) and calls the
core; every failure comes back as a CoachError subclass and is turned into one line and
an exit status in ``main``, in one place.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import shutil
import signal
import sys
import traceback
from pathlib import Path
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from coach import __version__
from coach.errors import CoachError, InputError, MissingPartError

if TYPE_CHECKING:  # imported lazily where used: the core loads only what a command needs
    from coach.routine import Routine
    from coach.session import Options

EXIT_OK, EXIT_INPUT, EXIT_MISSING, EXIT_INTERRUPTED, EXIT_BUG = 0, 2, 3, 130, 1

app = typer.Typer(
    name="coach",
    help="A voice-guided audio coach. A calm voice, rhythm tones and bells walk you through "
         "a routine (the built-in one is 'anma', a Japanese facial massage), live or as an MP3.",
    no_args_is_help=True,
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
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors "
                                        "(also COACH_DEBUG=1).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Sit down, close your eyes, run one command."""
    _state["debug"] = debug or _state["debug"]


# ---- shared options -------------------------------------------------------------------

RoutineArg = Annotated[str, typer.Argument(help="A built-in routine name or a path to a .toml file.",
                                           show_default=True)]
PaceOpt = Annotated[str, typer.Option("--pace", "-p", help="slow, normal or fast: scales "
                                      "repetitions, holds and pauses (x1.25, x1, x0.8).")]
TalkOpt = Annotated[str, typer.Option("--talk", help="less, normal or more: how much is said "
                                      "beyond the instructions.")]
CountOpt = Annotated[bool, typer.Option("--count", help="Count every repetition aloud "
                                        "(repetitions of 1.2 s or longer).")]
MinutesOpt = Annotated[Optional[float], typer.Option("--minutes", "-m", help="Fit the session to "
                                                     "about this many minutes by scaling repetitions.")]
VoiceOpt = Annotated[Optional[str], typer.Option("--voice", "-v", help="Voice id, name or language "
                                                 "code (see 'coach voices'); eSpeak NG variants "
                                                 "like en-us+f3 work.")]
RateOpt = Annotated[Optional[int], typer.Option("--rate", "-r", help="Speaking rate in words per "
                                                "minute (default 140 at the normal pace).")]
MonoOpt = Annotated[bool, typer.Option("--mono", help="One channel; no left/right panning.")]
ToneVolOpt = Annotated[float, typer.Option("--tone-volume", help="Raise or lower the tones, in dB "
                                           "(-30 to 10).")]
NoTonesOpt = Annotated[bool, typer.Option("--no-tones", help="Voice only: no rhythm tones or bells.")]


E = TypeVar("E", bound=Enum)


def _choice(option: str, value: str, enum: type[E]) -> E:
    names = [m.value for m in enum]
    if value.lower() not in names:
        raise InputError(f"{option} {value}: must be one of {', '.join(names)}")
    return enum(value.lower())


def _options(pace: str, talk: str = "normal", count: bool = False, minutes: float | None = None,
             voice: str | None = None, rate: int | None = None, mono: bool = False,
             tone_volume: float = 0.0, no_tones: bool = False) -> Options:
    from coach.render import TONE_VOLUME_RANGE, Mix
    from coach.script import Pace, Settings, Talk
    from coach.session import Options

    if minutes is not None and not 0 < minutes <= 240:
        raise InputError(f"--minutes {minutes:g}: must be more than 0 and at most 240")
    if rate is not None:
        from coach.speech import RATE_RANGE

        slowest, fastest = RATE_RANGE
        if not slowest <= rate <= fastest:
            raise InputError(f"--rate {rate}: must be from {slowest} to {fastest} words per minute")
    low, high = TONE_VOLUME_RANGE
    if not low <= tone_volume <= high:
        raise InputError(f"--tone-volume {tone_volume:g}: must be from {low:g} to {high:g} dB")
    settings = Settings(pace=_choice("--pace", pace, Pace), talk=_choice("--talk", talk, Talk),
                        count=count, minutes=minutes, tones=not no_tones)
    mix = Mix(channels=1 if mono else 2, tones=not no_tones, tone_volume=tone_volume)
    return Options(settings=settings, voice=voice, rate=rate, mix=mix)


def _routine(spec: str) -> Routine:
    from coach.routine import resolve

    return resolve(spec)


# ---- commands -------------------------------------------------------------------------

@app.command()
def routines() -> None:
    """List the built-in routines: name, title, steps and approximate minutes."""
    from coach.routine import builtin, builtin_names
    from coach.script import build

    typer.echo(f"{'NAME':12} {'STEPS':>5} {'MINUTES':>7}  TITLE")
    for name in builtin_names():
        r = builtin(name)
        minutes = build(r).estimate_seconds() / 60
        typer.echo(f"{name:12} {len(r.steps):5d} {minutes:7.1f}  {r.title}")


@app.command()
def validate(paths: Annotated[list[Path], typer.Argument(help="Routine files to check.")]) -> None:
    """Check routine files; report every problem in each. Exit status 2 if any is bad."""
    from coach.clock import minutes_seconds
    from coach.routine import load
    from coach.script import build

    bad = 0
    for path in paths:
        try:
            r = load(path)
            length = minutes_seconds(build(r).estimate_seconds())
            typer.echo(f"{path}: ok ({_plural(len(r.steps), 'step')}, about {length})")
        except InputError as exc:
            typer.echo(str(exc), err=True)
            bad += 1
    if bad:
        raise typer.Exit(EXIT_INPUT)


@app.command()
def script(
    routine: RoutineArg = "anma",
    pace: PaceOpt = "normal",
    talk: TalkOpt = "normal",
    count: CountOpt = False,
    minutes: MinutesOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the laid-out timeline as JSON "
                                          "(synthesizes the speech to know its real length).")] = False,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    no_tones: NoTonesOpt = False,
) -> None:
    """Show the cue list of a session, or with --json its exact timeline."""
    from coach.script import build, describe

    options = _options(pace, talk, count, minutes, voice, rate, no_tones=no_tones)
    r = _routine(routine)
    if not as_json:
        for line in describe(build(r, options.settings)):
            typer.echo(line)
        return
    from coach.session import Session

    session = Session(r, options)
    typer.echo(json.dumps(session.timeline().to_json(), indent=1, ensure_ascii=False))


@app.command()
def voices(lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Only voices whose "
                                                        "language starts with this code, e.g. en.")] = None) -> None:
    """List the voices that work on this machine: id, name, languages."""
    from coach.speech import Speaker

    with Speaker() as speaker:
        found = speaker.voices()
    if lang:
        found = [v for v in found if any(x.casefold().startswith(lang.casefold()) for x in v.languages)]
        if not found:
            raise InputError(f"--lang {lang}: no voice for that language; run 'coach voices'")
    typer.echo(f"{'ID':28} {'LANGUAGES':18} NAME")
    for v in found:
        typer.echo(f"{v.id:28} {','.join(v.languages):18} {v.name}")


def _session_options(
    pace: PaceOpt = "normal",
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    talk: TalkOpt = "normal",
    count: CountOpt = False,
    minutes: MinutesOpt = None,
    mono: MonoOpt = False,
    tone_volume: ToneVolOpt = 0.0,
    no_tones: NoTonesOpt = False,
) -> None:
    """The options of every command that makes a session's sound, declared once."""


def _session_command(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the session options added to its own; it receives them as one
    Options value in its ``options`` parameter."""
    shared = list(inspect.signature(_session_options, eval_str=True).parameters.values())
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name != "options"]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        chosen = {p.name: kwargs.pop(p.name) for p in shared}
        command(options=_options(**chosen), **kwargs)

    params = own + shared
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


@app.command()
@_session_command
def export(
    routine: RoutineArg = "anma",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="The file to write; "
                                                   ".mp3, .wav or .ogg (default: ROUTINE.mp3 here).")] = None,
    cues: Annotated[Optional[Path], typer.Option("--cues", help="Also write the spoken lines with "
                                                 "their times: .vtt, .srt or .lrc.")] = None,
    options: Any = None,
) -> None:
    """Export a session as an audio file with tags and one chapter per step."""
    from coach import cuesheet
    from coach.export import check_target, export as write
    from coach.session import Session
    from coach.clock import RATE, minutes_seconds

    r = _routine(routine)
    path = output or Path(f"{r.name}.mp3")
    check_target(path)
    if cues is not None:
        cuesheet.check_target(cues)
    session = Session(r, options)
    bar = _Progress(round(session.script.estimate_seconds() * RATE), f"Exporting {path.name}")
    tags = {"title": r.title, "artist": "coach", "album": r.title, "genre": "Spoken word",
            "comment": f"pace {options.settings.pace.value}, made with coach {__version__}"}
    write(session.blocks(RATE * 10), path, RATE, options.mix.channels, tags, session.timeline,
          bar.update)
    bar.close()
    tl = session.timeline()
    if cues is not None:
        cuesheet.write(tl, cues)
    typer.echo(f"Wrote {path} ({minutes_seconds(tl.length / tl.rate)}, "
               f"{_plural(len(tl.chapters), 'chapter')})"
               + (f" and {cues}" if cues else ""))


@app.command()
@_session_command
def play(routine: RoutineArg = "anma", options: Any = None) -> None:
    """Play a session live. Keys on a terminal: space pause/resume, n next step,
    b back to the start of the step, q quit."""
    from coach import player
    from coach.session import Session

    r = _routine(routine)
    status = _StatusLine() if _terminal(sys.stderr) else None
    # Keys go to coach from the start: starting the voice takes a moment, and a key
    # pressed meanwhile must be neither echoed nor lost.
    with _Keyboard() as keyboard:
        session = Session(r, options)
        try:
            outcome = player.play(session, poll_key=keyboard.poll if keyboard.on else None,
                                  status=status.show if status else None)
        finally:
            if status:
                status.close()
    typer.echo("Stopped." if outcome is player.Outcome.QUIT else "Finished. Well done.", err=True)


def _plural(count: int, noun: str) -> str:
    """``1 step``, ``2 steps``: a count with its noun (regular English plurals only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# ---- terminal output ------------------------------------------------------------------

def _terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; a closed standard stream (None) is not."""
    return stream is not None and stream.isatty()


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = max(1, total), label
        self.on = _terminal(sys.stderr)
        self.last = -1

    def update(self, done: int) -> None:
        pct = min(99, done * 100 // self.total)  # the total is an estimate
        if self.on and pct != self.last:
            self.last = pct
            filled = pct * 30 // 100
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class _Keyboard:
    """Single key presses from a terminal on stdin (cbreak mode, no echo); the terminal is
    restored on exit, whatever happened. Off when stdin is not a terminal."""

    def __init__(self) -> None:
        self.on = _terminal(sys.stdin)
        self._saved: list | None = None

    def __enter__(self) -> _Keyboard:
        if self.on:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            # TCSANOW, not setcbreak's default TCSAFLUSH: keys typed already are kept.
            tty.setcbreak(fd, termios.TCSANOW)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)

    def poll(self, timeout: float) -> str | None:
        """A key pressed within ``timeout`` seconds, lower-cased, or None."""
        import select

        fd = sys.stdin.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        key = os.read(fd, 1).decode("utf-8", "replace")
        return key.lower() if key else "q"  # end of input: stop


class _StatusLine:
    """The live status line of ``coach play``, redrawn in place on stderr when it changes."""

    def __init__(self) -> None:
        self.last = ""

    def show(self, text: str) -> None:
        if text == self.last:
            return
        self.last = text
        columns = shutil.get_terminal_size((80, 24)).columns
        sys.stderr.write("\r\033[K" + text[: max(40, columns) - 1])
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


# ---- entry point ----------------------------------------------------------------------

def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """The ``coach`` console script: run a command, map every failure to one line and
    an exit status (0 ok, 2 bad input, 3 missing part, 130 interrupted)."""
    _state["debug"] = os.environ.get("COACH_DEBUG", "") not in ("", "0")
    signal.signal(signal.SIGTERM, _on_sigterm)  # so clean-up runs as for Ctrl-C
    # A shell starts background jobs with SIGINT ignored, and Python keeps that; coach
    # must still stop cleanly when told to.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    status = run(argv)
    sys.exit(status)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status instead of exiting (for tests)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return _run(args)
    finally:
        speech = sys.modules.get("coach.speech")  # only if a command used it
        if speech is not None:
            speech.shutdown()


def _run(args: list[str]) -> int:
    try:
        # Without standalone mode typer returns an Exit's status (and turns Ctrl-C
        # into Exit(130)) instead of raising it; a command itself returns None.
        status = app(args=args, prog_name="coach", standalone_mode=False)
        status = status if isinstance(status, int) else EXIT_OK
        if status == EXIT_INTERRUPTED:
            _error("interrupted")
        return status
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # bad option or argument
        ctx = getattr(exc, "ctx", None)
        where = f" (see 'coach {ctx.info_name} --help')" if ctx and ctx.parent else " (see 'coach --help')"
        _error(exc.format_message() + where)
        return EXIT_INPUT
    except typer.Abort:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except CoachError as exc:
        if _state["debug"]:
            traceback.print_exc()
        _error(str(exc))
        return EXIT_MISSING if isinstance(exc, MissingPartError) else EXIT_INPUT
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if _state["debug"]:
            traceback.print_exc()
        else:
            _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_BUG


def _error(message: str) -> None:
    if sys.stderr is not None:  # started with stderr closed: the status is all there is
        sys.stderr.write(f"coach: {message}\n")
        sys.stderr.flush()

"""The export job: one routine under one set of options, written to every place asked for.

This is the use-case behind ``coach export``; the CLI only parses options, calls
``targets_for`` and ``run`` and prints the Result. The order makes a failure harmless:

1. ``targets_for`` turns the options into Targets (default name, a folder, standard
   output, the format) and refuses bad names;
2. ``run`` checks every place before any work (coach.outputs): each folder must exist and
   take a new file (a hidden ``.NAME.*.part`` is created there and kept for the job), no
   target may be read-only or one of the export's inputs, and the audio's disk must have
   room for the least the file will take;
3. the session is made and encoded into those hidden files, the cue and chapter files
   are written into theirs;
4. only then is each renamed over its target (the file a symbolic link points to), with
   the permissions of the file it replaces, or those a new file gets.

On any failure or interruption every hidden file is removed and whatever was at each
target before is left as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from coach import __version__, cuesheet, interrupts
from coach.clock import RATE
from coach.errors import InputError
from coach.export import FORMATS, Tags, encode_file, encode_stream, least_bytes
from coach.outputs import Outputs
from coach.routine import Routine
from coach.script import Script, ScriptChoices
from coach.session import Options, Session
from coach.tomlfile import not_one_of

#: Samples made and encoded at a time: memory stays bounded whatever the length.
BLOCK = RATE * 10
#: What ``-o`` takes to mean standard output.
STDOUT = "-"


@dataclass(frozen=True)
class Targets:
    """Where an export goes. ``audio`` None means standard output; ``fmt`` is the audio
    format's suffix ('.mp3', '.ogg' or '.wav')."""

    audio: Path | None
    fmt: str
    cues: Path | None = None
    chapters: Path | None = None


@dataclass(frozen=True)
class Result:
    """What was written: ``chapters`` counts the chapters the audio itself carries (0
    when it cannot); ``seconds`` is its length; ``also`` the cue and chapter files."""

    audio: Path | None
    fmt: str
    seconds: float
    chapters: int
    also: tuple[Path, ...]


def default_stem(routine: Routine, settings: ScriptChoices) -> str:
    """The name of an export's file when none is given: the routine's (``quick``), and
    from which step when it does not start at the first (``quick-from-3``), so a partial
    session never replaces the whole one."""
    return f"{routine.name}-from-{settings.start + 1}" if settings.start else routine.name


def tags_for(routine: Routine, settings: ScriptChoices) -> Tags:
    """What the file says about itself: the routine's title, and when the session starts
    at a later step, that it is a part (in the title, in the routine's language, so players
    show it, and the comment); the language spoken."""
    from coach.phrases import Phrases

    title, part = routine.title, ""
    if settings.start:
        step = settings.start + 1
        title = Phrases(routine.language)(
            "partial_title",
            title=routine.title,
            number=step,
            step=routine.steps[settings.start].title,
        )
        part = f"from step {step} of {len(routine.steps)} (a partial session), "
    return Tags(
        title=title,
        album=routine.title,
        comment=f"{part}pace {settings.pace.value}, made with coach {__version__}",
        language=routine.language,
    )


def targets_for(
    routine_name: str,
    output: str | None,
    fmt: str | None = None,
    cues: Path | None = None,
    chapters: Path | None = None,
) -> Targets:
    """Targets from the user's choices: ``output`` None writes ``ROUTINE.mp3`` here; ``-``
    writes to standard output; an existing folder, or a name ending in ``/``, gets
    ``ROUTINE.<fmt>`` inside it. ``fmt`` ('mp3', 'ogg', 'wav') is needed only where no
    suffix says it; given with a file name, it must agree with the suffix."""
    chosen = _format_option(fmt) if fmt is not None else None
    if output is None or output == STDOUT:
        audio = None if output == STDOUT else Path(f"{routine_name}{chosen or '.mp3'}")
        return _checked_names(Targets(audio, chosen or ".mp3", cues, chapters))
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():
        path = path / f"{routine_name}{chosen or '.mp3'}"
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{path}: unknown format '{path.suffix or '(none)'}'; use {', '.join(FORMATS)}"
        )
    if chosen is not None and chosen != suffix:
        raise InputError(f"--format {fmt}: does not match the file name {path}")
    return _checked_names(Targets(path, suffix, cues, chapters))


def _format_option(fmt: str) -> str:
    suffix = "." + fmt.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(f"--format {fmt}: {not_one_of([f[1:] for f in FORMATS])}")
    return suffix


def _checked_names(t: Targets) -> Targets:
    for option, path, formats in (
        ("--cues", t.cues, cuesheet.CUE_FORMATS),
        ("--chapters", t.chapters, cuesheet.CHAPTER_FORMATS),
    ):
        if path is not None and path.suffix.lower() not in formats:
            raise InputError(
                f"{option} {path}: unknown format '{path.suffix or '(none)'}'; "
                f"use {', '.join(formats)}"
            )
    named = [p for p in (t.audio, t.cues, t.chapters) if p is not None]
    if len({os.path.abspath(p) for p in named}) < len(named):
        raise InputError(f"{named[-1]}: named twice; give each output its own file")
    return t


def run(
    routine: Routine,
    options: Options,
    targets: Targets,
    progress: Callable[[int], None] | None = None,
    out: BinaryIO | None = None,
    notify: Callable[[str], None] | None = None,
    inputs: Iterable[tuple[str, Path]] = (),
    script: Script | None = None,
) -> Result:
    """Export ``routine`` to ``targets``; ``out`` is standard output (needed when
    ``targets.audio`` is None). ``progress`` gets the samples made so far; ``notify`` a
    line for the user that is not an error (see Session). ``inputs``: files read besides
    those ``routine`` and ``options`` name (the settings file), as (what it is, path); no
    target may be one of them, nor the routine file, the bed or a sound of the pack.
    ``script``: the routine's script under ``options`` when the caller has built it (to
    show progress against its estimate), else built here; either way it is built once.

    Raises InputError for a place that cannot be written (before any work),
    MissingPartError for a missing ffmpeg, OutputError for a full disk or a failing one.
    """
    from coach.script import build

    script = script or build(routine, options.settings, options.rate)
    estimate = script.estimate_seconds(options.rate)
    channels = options.mix.channels
    places = Outputs()
    stack = contextlib.ExitStack()  # the session's speech engine, closed whatever happens
    try:
        if targets.audio is None:
            if out is None:
                raise InputError(
                    "-o -: standard output is closed; redirect it to a file or "
                    "a program (coach export -o - > session.mp3)"
                )
            if out.isatty():
                raise InputError(
                    "-o -: standard output is a terminal; redirect it to a file "
                    "or a program (coach export -o - > session.mp3)"
                )
        else:
            places.check(
                targets.audio, "", parts=2, room=least_bytes(targets.fmt, estimate, RATE, channels)
            )
        for option, path in (("--cues ", targets.cues), ("--chapters ", targets.chapters)):
            if path is not None:
                places.check(path, option, parts=1)
        places.refuse_inputs(_inputs(routine, options, inputs))
        places.reserve()

        session = stack.enter_context(Session(routine, options, notify=notify, script=script))
        tags = tags_for(routine, options.settings)
        if targets.audio is None:
            assert out is not None
            tl = session.timeline()  # chapters and tags go first in a stream
            encode_stream(
                session.blocks(BLOCK), targets.fmt, RATE, channels, tags, tl, out, progress
            )
            carried = len(tl.chapters) if targets.fmt != ".wav" else 0
        else:
            done, tl = encode_file(
                session.blocks(BLOCK),
                targets.fmt,
                RATE,
                channels,
                tags,
                session.timeline,
                places.parts(targets.audio),
                progress,
            )
            places.finished(targets.audio, done)
            carried = len(tl.chapters)
        if targets.cues is not None:
            places.write(targets.cues, _encoded(cuesheet.render(tl, targets.cues.suffix.lower())))
        if targets.chapters is not None:
            name = (
                cuesheet.audio_name_for(targets.chapters, targets.audio)
                if targets.audio
                else f"{routine.name}{targets.fmt}"
            )
            places.write(
                targets.chapters,
                _encoded(cuesheet.render_chapters(tl, targets.chapters.suffix.lower(), name)),
            )
        places.publish()
    finally:
        with interrupts.shielded():  # a second Ctrl-C must not leave hidden files behind
            try:
                stack.close()  # (the session's close never fails the export: see Speaker.close)
            finally:
                places.clean()
    also = tuple(p for p in (targets.cues, targets.chapters) if p is not None)
    return Result(targets.audio, targets.fmt, tl.length / tl.rate, carried, also)


def _inputs(
    routine: Routine, options: Options, more: Iterable[tuple[str, Path]]
) -> list[tuple[str, Path]]:
    """Every file this export reads, as (what it is, path). A built-in routine's source is
    a bare ``NAME.toml``, which no output can be named (outputs are never .toml)."""
    found = [("routine file", Path(routine.source))] if routine.source else []
    bed = options.mix.bed
    if bed is not None and bed.path is not None:
        found.append(("bed", bed.path))
    if options.mix.sounds is not None:
        found += [(f"{sound.value} sound", path) for sound, path in options.mix.sounds.files]
    return found + list(more)


def _encoded(text: str) -> bytes:
    """A cue or chapter file's text as UTF-8; a file name in it that is not UTF-8 (a CUE
    sheet's FILE line) keeps its own bytes, so the sheet names the very file."""
    return text.encode("utf-8", "surrogateescape")

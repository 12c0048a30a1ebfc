"""The export job: one routine under one set of options, written to every place asked for.

This is the use-case behind ``coach export``; the CLI only parses options, calls
``targets_for`` and ``run`` and prints the Result. The order makes a failure harmless:

1. ``targets_for`` turns the options into Targets (default name, a folder, standard
   output, the format) and refuses bad names;
2. ``run`` checks every place before any work: each folder must exist and take a new
   file (a hidden ``.NAME.*.part`` is created there and kept for the job), and the audio's
   disk must have room for the least the file will take;
3. the session is made and encoded into those hidden files, the cue and chapter files
   are written into theirs;
4. only then is each renamed over its target, with the permissions a new file gets.

On any failure or interruption every hidden file is removed and whatever was at each
target before is left as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from coach import __version__, cuesheet, interrupts
from coach.clock import RATE
from coach.errors import InputError, MissingPartError
from coach.export import FORMATS, Tags, encode_file, encode_stream, least_bytes
from coach.routine import Routine
from coach.script import Settings
from coach.session import Options, Session

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


def default_stem(routine: Routine, settings: Settings) -> str:
    """The name of an export's file when none is given: the routine's (``quick``), and
    from which step when it does not start at the first (``quick-from-3``), so a partial
    session never replaces the whole one."""
    return f"{routine.name}-from-{settings.start + 1}" if settings.start else routine.name


def tags_for(routine: Routine, settings: Settings) -> Tags:
    """What the file says about itself: the routine's title, and when the session starts
    at a later step, that it is a part (in the title, so players show it, and the comment)."""
    title, part = routine.title, ""
    if settings.start:
        step = settings.start + 1
        title = f"{routine.title} (from step {step}: {routine.steps[settings.start].title})"
        part = f"from step {step} of {len(routine.steps)} (a partial session), "
    return Tags(title=title, album=routine.title,
                comment=f"{part}pace {settings.pace.value}, made with coach {__version__}")


def targets_for(routine_name: str, output: str | None, fmt: str | None = None,
         cues: Path | None = None, chapters: Path | None = None) -> Targets:
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
        raise InputError(f"{path}: unknown format '{path.suffix or '(none)'}'; "
                         f"use {', '.join(FORMATS)}")
    if chosen is not None and chosen != suffix:
        raise InputError(f"--format {fmt}: does not match the file name {path}")
    return _checked_names(Targets(path, suffix, cues, chapters))


def _format_option(fmt: str) -> str:
    suffix = "." + fmt.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(f"--format {fmt}: must be one of {', '.join(f[1:] for f in FORMATS)}")
    return suffix


def _checked_names(t: Targets) -> Targets:
    for option, path, formats in (("--cues", t.cues, cuesheet.CUE_FORMATS),
                                  ("--chapters", t.chapters, cuesheet.CHAPTER_FORMATS)):
        if path is not None and path.suffix.lower() not in formats:
            raise InputError(f"{option} {path}: unknown format '{path.suffix or '(none)'}'; "
                             f"use {', '.join(formats)}")
    named = [p for p in (t.audio, t.cues, t.chapters) if p is not None]
    if len({os.path.abspath(p) for p in named}) < len(named):
        raise InputError(f"{named[-1]}: named twice; give each output its own file")
    return t


def run(routine: Routine, options: Options, targets: Targets,
        progress: Callable[[int], None] | None = None, out: BinaryIO | None = None,
        notify: Callable[[str], None] | None = None) -> Result:
    """Export ``routine`` to ``targets``; ``out`` is standard output (needed when
    ``targets.audio`` is None). ``progress`` gets the samples made so far; ``notify`` a
    line for the user that is not an error (see Session).

    Raises InputError for a place that cannot be written (before any work),
    MissingPartError for a full disk or a missing or failing ffmpeg.
    """
    from coach.script import build

    estimate = build(routine, options.settings).estimate_seconds()
    channels = options.mix.channels
    places = _Places()
    stack = contextlib.ExitStack()  # the session's speech engine, closed whatever happens
    try:
        if targets.audio is None:
            if out is None:
                raise InputError("-o -: standard output is closed; redirect it to a file or "
                                 "a program (coach export -o - > session.mp3)")
            if out.isatty():
                raise InputError("-o -: standard output is a terminal; redirect it to a file "
                                 "or a program (coach export -o - > session.mp3)")
        else:
            places.check(targets.audio, "", parts=2,
                         room=least_bytes(targets.fmt, estimate, RATE, channels))
        for option, path in (("--cues ", targets.cues), ("--chapters ", targets.chapters)):
            if path is not None:
                places.check(path, option, parts=1)
        places.reserve()

        session = stack.enter_context(Session(routine, options, notify=notify))
        tags = tags_for(routine, options.settings)
        if targets.audio is None:
            assert out is not None
            tl = session.timeline()  # chapters and tags go first in a stream
            encode_stream(session.blocks(BLOCK), targets.fmt, RATE, channels, tags, tl, out,
                          progress)
            carried = len(tl.chapters) if targets.fmt != ".wav" else 0
        else:
            done, tl = encode_file(session.blocks(BLOCK), targets.fmt, RATE, channels, tags,
                                   session.timeline, places.parts(targets.audio), progress)
            places.finished(targets.audio, done)
            carried = len(tl.chapters)
        if targets.cues is not None:
            places.write(targets.cues, cuesheet.render(tl, targets.cues.suffix.lower()))
        if targets.chapters is not None:
            name = (cuesheet.audio_name_for(targets.chapters, targets.audio) if targets.audio
                    else f"{routine.name}{targets.fmt}")
            places.write(targets.chapters,
                         cuesheet.render_chapters(tl, targets.chapters.suffix.lower(), name))
        places.publish()
    finally:
        with interrupts.shielded():  # a second Ctrl-C must not leave hidden files behind
            try:
                stack.close()  # (the session's close never fails the export: see Speaker.close)
            finally:
                places.clean()
    also = tuple(p for p in (targets.cues, targets.chapters) if p is not None)
    return Result(targets.audio, targets.fmt, tl.length / tl.rate, carried, also)


class _Places:
    """The output places of one job: checked, then each given hidden temporary files
    beside it; on ``publish`` the finished file of each replaces its target."""

    def __init__(self) -> None:
        self._wanted: list[tuple[Path, str, int, int]] = []
        self._parts: dict[Path, list[Path]] = {}
        self._done: dict[Path, Path] = {}

    def check(self, path: Path, option: str, parts: int, room: int = 0) -> None:
        """Check ``path`` by its name alone (no file is made yet); ``room``: bytes needed."""
        where = f"{option}{path}"
        if path.is_dir():
            example = path / ("session" + (path.suffix or ".mp3"))
            raise InputError(f"{where}: is a folder; give a file name such as {example}")
        if path.exists() and not path.is_file():
            raise InputError(f"{where}: is not a regular file")
        folder = path.parent
        for above in (folder, *folder.parents):
            if above.exists() or above.is_symlink():
                if not above.is_dir():
                    raise InputError(f"{where}: {above} is a file, not a folder")
                break
        if not folder.is_dir():
            raise InputError(f"{where}: the folder {folder} does not exist")
        self._wanted.append((path, where, parts, room))

    def reserve(self) -> None:
        """Make the hidden files for every place (proving each folder takes a new file),
        then check each disk has room. Raises before anything else is done."""
        for path, where, parts, _ in self._wanted:
            for _ in range(parts):
                try:
                    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                                dir=path.parent)
                except OSError as exc:
                    raise _place_error(where, path.parent, exc) from None
                os.close(fd)
                self._parts.setdefault(path, []).append(Path(name))
        for path, where, _, room in self._wanted:
            if room:
                stat = os.statvfs(path.parent)
                free = stat.f_bavail * stat.f_frsize
                if free < room:
                    raise MissingPartError(
                        f"{where}: the disk is full: about {_mb(room)} needed, {_mb(free)} "
                        f"free in {path.parent}; nothing was written")

    def parts(self, path: Path) -> tuple[Path, Path]:
        first, second = self._parts[path]
        return first, second

    def finished(self, path: Path, part: Path) -> None:
        self._done[path] = part

    def write(self, path: Path, text: str) -> None:
        """Write ``text`` (UTF-8) into ``path``'s hidden file."""
        part = self._parts[path][0]
        try:
            part.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _place_error(str(path), path.parent, exc) from None
        self._done[path] = part

    def publish(self) -> None:
        """Give each finished file the permissions a new file gets here (mkstemp makes
        them private) and rename it over its target."""
        from coach.places import new_file_mode

        mode = new_file_mode()
        for part in self._done.values():
            part.chmod(mode)
        for path, part in self._done.items():
            os.replace(part, path)

    def clean(self) -> None:
        for parts in self._parts.values():
            for part in parts:
                part.unlink(missing_ok=True)


def _place_error(where: str, folder: Path, exc: OSError) -> InputError | MissingPartError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return MissingPartError(f"{where}: the disk is full ({folder}); nothing was written")
    reason = exc.strerror or type(exc).__name__
    return InputError(f"{where}: cannot write in the folder {folder} ({reason.lower()})")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"

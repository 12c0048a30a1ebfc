"""Export: PCM blocks -> an audio file (MP3, WAV or OGG) with tags and chapters, by
piping raw samples into ffmpeg. Memory stays bounded by one block, whatever the length.

Two passes: ffmpeg encodes the blocks as they are made (so speech synthesis and mixing
overlap the encoder), then copies the encoded stream, unchanged, into the final file with
the tags and chapters, which are only known once every line has been spoken. Both files
are hidden temporaries beside the target; the second is renamed over the target at the
end. On any failure or interruption both are removed and whatever was at the target
before is left untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from queue import Queue
from typing import IO

import numpy as np

from coach.clock import stamp
from coach.errors import InputError, MissingPartError
from coach.timeline import Timeline

#: Suffix -> ffmpeg output format, codec arguments (bit rate for stereo; mono halves it)
#: and container arguments.
FORMATS: dict[str, tuple[str, list[str], list[str]]] = {
    ".mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "{kbps}k"], ["-id3v2_version", "4"]),
    ".ogg": ("ogg", ["-c:a", "libvorbis", "-b:a", "{kbps}k"], []),
    ".wav": ("wav", ["-c:a", "pcm_s16le"], []),
}
STEREO_KBPS = 96


def check_target(path: Path) -> None:
    """Raise InputError unless ``path`` names a file coach can write in a known format."""
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"{path}: unknown format '{path.suffix or '(none)'}'; "
                         f"use {', '.join(FORMATS)}")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name such as {path / 'session.mp3'}")
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{path}: cannot write in the folder {folder}")


def ffmpeg() -> str:
    """The ffmpeg program, or MissingPartError."""
    found = shutil.which("ffmpeg")
    if not found:
        raise MissingPartError("ffmpeg is not installed; install it (apt-get install ffmpeg) "
                               "or play the session live with 'coach play'")
    return found


def _escape(text: str) -> str:
    for ch in "\\=;#\n":
        text = text.replace(ch, "\\" + ch)
    return text


def ffmetadata(tl: Timeline, tags: dict[str, str]) -> str:
    """An FFMETADATA1 document: the tags, then one chapter per timeline chapter."""
    lines = [";FFMETADATA1"] + [f"{k}={_escape(v)}" for k, v in tags.items()]
    for c in tl.chapters:
        lines += ["[CHAPTER]", f"TIMEBASE=1/{tl.rate}", f"START={c.start}", f"END={c.end}",
                  f"title={_escape(c.title)}"]
    return "\n".join(lines) + "\n"


def vorbis_chapters(tl: Timeline) -> dict[str, str]:
    """The chapters as Vorbis comments (``CHAPTER001=HH:MM:SS.mmm``, ``CHAPTER001NAME``).

    ffmpeg writes no chapters into an Ogg Vorbis stream (the FFMETADATA chapters were
    silently dropped: ffprobe listed none), but it reads these comments back as chapters,
    as other players do.
    """
    out = {}
    for i, c in enumerate(tl.chapters, 1):
        out[f"CHAPTER{i:03d}"] = stamp(c.start, tl.rate)
        out[f"CHAPTER{i:03d}NAME"] = c.title
    return out


def export(blocks: Iterable[np.ndarray], path: Path, rate: int, channels: int,
           tags: dict[str, str], plan: Callable[[], Timeline],
           progress: Callable[[int], None] | None = None) -> None:
    """Encode ``blocks`` (int16, shape (n, channels), at ``rate``) to ``path``.

    ``plan`` gives the session's Timeline once every block has been made: its chapters are
    written into the file. ``progress`` is called with the samples encoded so far. Raises
    InputError for a bad path, MissingPartError when ffmpeg is missing or fails (disk full
    included).
    """
    check_target(path)
    program = ffmpeg()
    fmt, codec, container = FORMATS[path.suffix.lower()]
    kbps = STEREO_KBPS * channels // 2
    codec = [a.format(kbps=kbps) for a in codec]
    encoded, final = _hidden_beside(path), _hidden_beside(path)
    try:
        with tempfile.TemporaryDirectory(prefix="coach-export-") as work:
            log = Path(work) / "ffmpeg.log"
            _ffmpeg(program, ["-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0",
                              *codec, "-f", fmt, str(encoded)], log, blocks, progress)
            tl = plan()
            if fmt == "ogg":
                tags = {**tags, **vorbis_chapters(tl)}
            meta = Path(work) / "chapters.txt"
            meta.write_text(ffmetadata(tl, tags), encoding="utf-8")
            _ffmpeg(program, ["-i", str(encoded), "-i", str(meta), "-map", "0:a",
                              "-map_metadata", "1", "-map_chapters", "1", "-c", "copy",
                              *container, "-f", fmt, str(final)], log)
        # mkstemp makes the file private; give it the mode any new file here would have.
        umask = os.umask(0)
        os.umask(umask)
        final.chmod(0o666 & ~umask)
        os.replace(final, path)
    finally:
        encoded.unlink(missing_ok=True)
        final.unlink(missing_ok=True)


def _hidden_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return Path(name)


def _feed(pipe: IO[bytes], blocks: Iterable[np.ndarray],
          progress: Callable[[int], None] | None) -> None:
    """Write ``blocks`` to ``pipe`` from a second thread, so that making the next block
    (levelling and mixing) overlaps ffmpeg encoding the last one; then close the pipe.
    A pipe that breaks (ffmpeg stopped) ends the feed quietly: ffmpeg's status says why."""
    queue: Queue[bytes | None] = Queue(maxsize=3)
    broken = threading.Event()

    def write() -> None:
        try:
            while (data := queue.get()) is not None:
                if not broken.is_set():
                    pipe.write(data)
            pipe.close()
        except (BrokenPipeError, ValueError):
            broken.set()
            while queue.get() is not None:  # let the producer finish or stop
                pass

    writer = threading.Thread(target=write, name="coach-ffmpeg-feed", daemon=True)
    writer.start()
    done = 0
    try:
        for block in blocks:
            if broken.is_set():
                break
            queue.put(np.ascontiguousarray(block, dtype="<i2").tobytes())
            done += len(block)
            if progress:
                progress(done)
    finally:
        queue.put(None)
        writer.join()


def _ffmpeg(program: str, args: list[str], log: Path, blocks: Iterable[np.ndarray] | None = None,
            progress: Callable[[int], None] | None = None) -> None:
    """Run ffmpeg with ``args`` (an argument list, never a shell), feeding ``blocks`` to its
    standard input when given. Raises MissingPartError when it fails."""
    cmd = [program, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if blocks is not None else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)  # Ctrl-C reaches coach, which stops ffmpeg
        try:
            if blocks is not None:
                assert proc.stdin is not None
                _feed(proc.stdin, blocks, progress)
            status = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if status != 0:
        message = log.read_text("utf-8", "replace").strip().splitlines()
        last = message[-1] if message else f"exit status {status}"
        if "No space left" in "\n".join(message):
            raise MissingPartError(f"{Path(args[-1]).parent}: the disk is full; nothing was written")
        raise MissingPartError(f"ffmpeg failed: {last}")

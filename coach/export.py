"""Export: PCM blocks -> an audio file (MP3, WAV or OGG) with tags and chapters, by
piping raw samples into ffmpeg. Memory stays bounded by one block, whatever the length.

The file appears only when complete: ffmpeg writes a hidden temporary file beside the
target, which is renamed over it at the end. On any failure or interruption the
temporary file is removed and whatever was at the target before is left untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from coach.errors import InputError, MissingPartError
from coach.timeline import Timeline

#: Suffix -> ffmpeg output format and codec arguments (bit rate for stereo; mono halves it).
FORMATS: dict[str, tuple[str, list[str]]] = {
    ".mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "{kbps}k", "-id3v2_version", "4"]),
    ".ogg": ("ogg", ["-c:a", "libvorbis", "-b:a", "{kbps}k"]),
    ".wav": ("wav", ["-c:a", "pcm_s16le"]),
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
        ms = round(c.start * 1000 / tl.rate)
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        out[f"CHAPTER{i:03d}"] = f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
        out[f"CHAPTER{i:03d}NAME"] = c.title
    return out


def export(tl: Timeline, blocks: Iterable[np.ndarray], path: Path, channels: int,
           tags: dict[str, str], progress: Callable[[int], None] | None = None) -> None:
    """Encode ``blocks`` (int16, shape (n, channels), covering ``tl``) to ``path``.

    ``progress`` is called with the samples written so far. Raises InputError for a bad
    path, MissingPartError when ffmpeg is missing or fails (disk full included).
    """
    check_target(path)
    program = ffmpeg()
    fmt, codec = FORMATS[path.suffix.lower()]
    if fmt == "ogg":
        tags = {**tags, **vorbis_chapters(tl)}
    kbps = STEREO_KBPS * channels // 2
    codec = [a.format(kbps=kbps) for a in codec]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with tempfile.TemporaryDirectory(prefix="coach-export-") as work:
            meta = Path(work) / "chapters.txt"
            meta.write_text(ffmetadata(tl, tags), encoding="utf-8")
            log = Path(work) / "ffmpeg.log"
            _encode(program, blocks, meta, log, tmp, fmt, codec, tl.rate, channels, progress)
        # mkstemp makes the file private; give it the mode any new file here would have.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _encode(program: str, blocks: Iterable[np.ndarray], meta: Path, log: Path, out: Path,
            fmt: str, codec: list[str], rate: int, channels: int,
            progress: Callable[[int], None] | None) -> None:
    cmd = [program, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0",
           "-i", str(meta), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1",
           *codec, "-f", fmt, str(out)]
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)  # Ctrl-C reaches coach, which stops ffmpeg
        assert proc.stdin is not None
        done = 0
        try:
            try:
                for block in blocks:
                    proc.stdin.write(np.ascontiguousarray(block, dtype="<i2").tobytes())
                    done += len(block)
                    if progress:
                        progress(done)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg has stopped; its status and log say why
            status = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if status != 0:
        message = log.read_text("utf-8", "replace").strip().splitlines()
        last = message[-1] if message else f"exit status {status}"
        if "No space left" in "\n".join(message):
            raise MissingPartError(f"{out.parent}: the disk is full; nothing was written")
        raise MissingPartError(f"ffmpeg failed: {last}")

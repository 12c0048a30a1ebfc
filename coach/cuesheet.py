"""Cue sheets: the spoken lines with their times, from the same timeline as the audio.

WebVTT (.vtt) and SubRip (.srt) give each line its start and end; LRC (.lrc) gives each
line its start, which is what music players show lyrics by.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from coach.clock import stamp
from coach.errors import InputError
from coach.timeline import Kind, Timeline

FORMATS = (".vtt", ".srt", ".lrc")


def check_target(path: Path) -> None:
    """Raise InputError unless ``path`` is a writable cue sheet name."""
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"--cues {path}: unknown format '{path.suffix or '(none)'}'; "
                         f"use {', '.join(FORMATS)}")
    if not path.parent.is_dir() or path.is_dir():
        raise InputError(f"--cues {path}: the folder {path.parent} does not exist"
                         if not path.parent.is_dir() else f"--cues {path}: is a folder")


def render(tl: Timeline, fmt: str) -> str:
    """The cue sheet text in ``fmt`` ('.vtt', '.srt' or '.lrc')."""
    lines = [e for e in tl.events if e.kind is Kind.SPEECH]
    r = tl.rate
    if fmt == ".lrc":
        out = [f"[ti:{tl.title}]", "[by:coach]"]
        for e in lines:
            cs = e.start * 100 // r
            out.append(f"[{cs // 6000:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}]{e.text}")
        return "\n".join(out) + "\n"
    out = ["WEBVTT", ""] if fmt == ".vtt" else []
    sep = "." if fmt == ".vtt" else ","
    for i, e in enumerate(lines, 1):
        out += [str(i), f"{stamp(e.start, r, sep)} --> {stamp(e.end, r, sep)}", e.text, ""]
    return "\n".join(out)


def write(tl: Timeline, path: Path) -> None:
    """Write the cue sheet for ``tl`` to ``path`` atomically (format from the suffix)."""
    check_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(render(tl, path.suffix.lower()))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""ffmpeg, located once, and reading the user's own sound files through it (sound packs,
beds). Encoding is export's; this module only finds the program and decodes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from coach.clock import RATE
from coach.errors import InputError, MissingPartError, OptionError

#: Seconds a file may take to decode before it is refused.
DECODE_TIMEOUT = 120
#: A file whose every sample is under this (linear, one step of 16-bit audio) is silent.
SILENT = 1 / 32768


def ffmpeg() -> str:
    """The ffmpeg program, or MissingPartError."""
    found = shutil.which("ffmpeg")
    if not found:
        raise MissingPartError(
            "ffmpeg is not installed; install it (apt-get install ffmpeg) "
            "or play the session live with 'coach play'"
        )
    return found


def file_arg(path: Path | str) -> str:
    """``path`` as ffmpeg must be given it: absolute, so it is always read as a file and
    never as a protocol or URL (a folder named ``pipe:`` would make ffmpeg read coach's
    standard input; ``http:``, ``concat:`` and the like would reach out). Not resolved:
    symlinks are followed by the system, as for any other program."""
    return str(Path(path).absolute())


def decode(path: Path, channels: int, seconds: float, option: str = "") -> np.ndarray:
    """The first ``seconds`` of any file ffmpeg reads, as float32 at RATE, shape
    (samples, ``channels``). InputError naming the file (an OptionError of ``option``, such
    as ``--bed``, when given) when it is not audio, holds no samples, is silent (``SILENT``)
    or takes too long; MissingPartError without ffmpeg."""
    cmd = [
        ffmpeg(),
        "-nostdin",
        "-v",
        "error",
        "-i",
        file_arg(path),
        "-t",
        str(seconds),
        "-map",
        "0:a:0",
        "-f",
        "f32le",
        "-ac",
        str(channels),
        "-ar",
        str(RATE),
        "pipe:1",
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=DECODE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise _bad(option, path, "took too long to decode") from None
    data = np.frombuffer(done.stdout, dtype="<f4")
    if done.returncode or not len(data) or not np.all(np.isfinite(data)):
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1].split(": ")[-1] if done.returncode and lines else "no sound in it"
        raise _bad(option, path, f"cannot be read as a sound (ffmpeg cannot decode it: {why})")
    if float(np.max(np.abs(data))) < SILENT:
        # Levelled to a loudness, a silent file would add nothing at any gain (a bed) or
        # be raised without bound (a sound): refused as what it is.
        raise _bad(option, path, "is silent (no sample reaches one 16-bit step)")
    return data.reshape(-1, channels).astype(np.float32)


def _bad(option: str, path: Path, reason: str) -> InputError:
    return OptionError(option, path, reason) if option else InputError(f"{path}: {reason}")

"""The ambient bed: a built-in or user-given loop laid under the finished voice and tones.

``resolve`` turns the user's ``--bed`` and ``--bed-volume`` into a ``Bed`` value (checking
the name or decoding the file at once, so a bad bed fails before any work); ``loop`` gives
the bed's samples as one seamless loop at the session's level; ``lay`` adds a window of the
looped, enveloped bed to a window of finished PCM. The loop is indexed by absolute sample
position, so any window of the session is the same sound whether it is rendered alone
(live play, chapter by chapter) or inside the whole (export, block by block).

Submodules: ``synth`` makes the built-in beds, ``ducking`` plans the bed's gain.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from coach import owned, places
from coach.clock import RATE, stamp
from coach.errors import OptionError
from coach.options import BED_VOLUME_RANGE

if TYPE_CHECKING:
    from coach.bed.ducking import Envelope

#: The bed's loudness before ducking, LUFS in stereo (3 dB less in mono, as the voice):
#: about 17 LU under the voice lines, so it is heard between them and never competes.
BED_LUFS = -35.0
#: No sample of a user's bed goes above this (dBFS) at the default volume: a loud
#: transient in a recording must not poke through the voice.
CEILING_DB = -14.0
#: The loop point of a user's file is crossfaded over this long, seconds (at most a
#: quarter of the file) ...
CROSSFADE = 0.5
#: ... after moving it back by up to this much to where the end best matches the start.
SEARCH = 0.25
#: Only this much of a user's file is used (the loop), seconds; keeps memory small.
LONGEST_FILE = 180
#: Bumped whenever synthesis changes, so a cached loop is never stale.
SYNTH_VERSION = 5


def builtin_names() -> list[str]:
    from coach.bed.synth import BUILTIN

    return list(BUILTIN)


@dataclass(frozen=True)
class Bed:
    """A bed: ``name`` of a built-in bed or ``path`` to a sound file (exactly one), and
    ``volume``, dB added to the default level BED_LUFS."""

    name: str = ""
    path: Path | None = None
    volume: float = 0.0

    @property
    def label(self) -> str:
        """How the bed is named to the user: the built-in name or the file's name."""
        return self.name or (self.path.name if self.path else "")


#: ``--bed none`` means no bed (to turn off a bed chosen in a configuration).
NONE = "none"


def resolve(spec: str, volume: float = 0.0) -> Bed | None:
    """The Bed for ``--bed spec``: a built-in name (any case), a file ffmpeg decodes, or
    None for ``none``. Decodes the file now (cached), so a bad one is an InputError before
    any work. A file named ``none`` or like a built-in bed is reached as ``./none``."""
    check_volume(volume)
    if spec.casefold() == NONE:
        return None
    if spec.casefold() in builtin_names():
        return Bed(name=spec.casefold(), volume=volume)
    try:
        path = places.expand_user(spec)
    except ValueError as exc:
        raise OptionError("--bed", spec, str(exc)) from None
    if not path.exists():
        raise OptionError(
            "--bed",
            spec,
            f"no such file, and not a built-in bed ({', '.join(builtin_names())}, or {NONE})",
        )
    if not path.is_file():
        raise OptionError("--bed", spec, "is not a file")
    path = path.resolve()
    _decoded(path, *_stamp(path))
    return Bed(path=path, volume=volume)


def check_volume(volume: float) -> None:
    """InputError unless ``volume`` (``--bed-volume``, dB) is inside BED_VOLUME_RANGE."""
    low, high = BED_VOLUME_RANGE
    if not low <= volume <= high:
        raise OptionError("--bed-volume", f"{volume:g}", f"must be from {low:g} to {high:g} dB")


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=2)
def _decoded(path: Path, mtime: int, size: int) -> np.ndarray:
    """The file decoded by ffmpeg to float32 stereo at RATE (a mono file on both
    channels), at most LONGEST_FILE seconds. InputError when it does not decode."""
    from coach import media

    x = media.decode(path, 2, LONGEST_FILE, "--bed")
    if len(x) < RATE // 2:
        raise OptionError("--bed", path, "under half a second of sound; a bed needs more to loop")
    return x


def seamless(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """``x`` (n, channels) as a loop that repeats with no click and no gap.

    The loop is ``x`` up to a point near its end, with its first CROSSFADE seconds faded
    in from what follows that point (so the end runs on into the start exactly as the
    file itself ran on). The point is moved back by up to SEARCH seconds to where the
    material best matches the start, and the crossfade keeps the power steady for that
    match: equal power for unrelated sound, equal gain for the same sound.
    """
    n = len(x)
    fade = min(round(CROSSFADE * rate), n // 4)
    search = min(round(SEARCH * rate), n // 4)
    head = x[:fade].astype(np.float64)
    best, best_r = n - fade, -2.0
    mono = x.astype(np.float64).sum(axis=1)
    h = mono[:fade]
    for cut in range(n - fade, n - fade - search - 1, -max(1, rate // 2000)):
        t = mono[cut : cut + fade]
        denom = np.sqrt(np.dot(h, h) * np.dot(t, t))
        r = float(np.dot(h, t) / denom) if denom > 0 else 0.0
        if r > best_r:
            best, best_r = cut, r
    loop = x[:best].astype(np.float32).copy()
    if fade:
        theta = np.linspace(0, 0.5 * np.pi, fade, endpoint=False)[:, None]
        a, b = np.sin(theta), np.cos(theta)
        r = max(0.0, best_r)
        tail = x[best : best + fade].astype(np.float64)
        loop[:fade] = ((head * a + tail * b) / np.sqrt(1 + 2 * r * a * b)).astype(np.float32)
    return loop


@functools.lru_cache(maxsize=4)
def loop(bed: Bed, channels: int) -> np.ndarray:
    """The bed as one seamless loop, float32 (n, channels), at its level: BED_LUFS (less
    3 dB in mono) plus its volume."""
    from coach import levels

    target = BED_LUFS - 10 * np.log10(2 / channels) + bed.volume
    if bed.name:
        stored, lufs = _builtin(bed.name)
        x = stored.astype(np.float32)
        if channels == 1:
            x = x.mean(axis=1, keepdims=True)
        x *= np.float32(levels.db(target - lufs[channels - 1]) / 32767)
        return x
    assert bed.path is not None
    y = seamless(_decoded(bed.path, *_stamp(bed.path))).astype(np.float64)
    if channels == 1:
        y = y.mean(axis=1, keepdims=True)
    measured = levels.loudness([y[:, c] for c in range(channels)], RATE)
    y *= levels.db(target - bed.volume - measured) if np.isfinite(measured) else 0.0
    y = levels.limit(y, levels.db(CEILING_DB))
    return (y * levels.db(bed.volume)).astype(np.float32)


def _builtin(name: str) -> tuple[np.ndarray, tuple[float, float]]:
    """A built-in bed's loop as int16 (n, 2) and its loudness in mono and in stereo (LUFS,
    read with 32767 as full scale): from coach's cache folder when made before (saving about half a second
    of synthesis and most of its memory on every later session), else made and stored."""
    from coach import levels
    from coach.bed.synth import BUILTIN

    stored_name = f"{name}-v{SYNTH_VERSION}-{RATE}.npz"
    try:
        with owned.folder(cache_folder()) as folder:
            fd = os.open(
                stored_name,
                os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC,
                dir_fd=folder,
            )
            with open(fd, "rb") as raw:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.EINVAL, "not a regular file")
                with np.load(raw, allow_pickle=False) as f:
                    stored, lufs = f["loop"], f["lufs"]
        if (
            stored.ndim == 2
            and stored.shape[1] == 2
            and stored.dtype == np.int16
            and len(lufs) == 2
        ):
            return stored, (float(lufs[0]), float(lufs[1]))
    except Exception:
        pass
    made = BUILTIN[name]()
    peak = float(np.max(np.abs(made))) or 1.0
    stored = np.round(made * (32767 / peak)).astype(np.int16)
    del made
    x = stored.astype(np.float64) / 32767
    measured = (levels.loudness([x.mean(axis=1)], RATE), levels.loudness([x[:, 0], x[:, 1]], RATE))
    try:
        with owned.folder(cache_folder(), create=True) as folder:
            owned.replace(
                folder, stored_name, lambda out: np.savez(out, loop=stored, lufs=np.array(measured))
            )
            for stale in owned.names(folder, lambda n: _is_loop(n) and n.startswith(f"{name}-v")):
                if stale != stored_name:  # made by an older coach
                    owned.remove(folder, stale)
    except OSError:  # a read-only or full cache folder only costs the time to make it again
        pass
    return stored, measured


def cache_folder() -> Path:
    """Where the built-in loops are kept: ``beds/`` in coach's cache folder."""
    return places.cache_dir() / "beds"


#: A kept loop's name: ``NAME-vSYNTH_VERSION-RATE.npz``.
_LOOP = re.compile(r"[a-z]+-v[0-9]+-[0-9]+\.npz")


def _is_loop(name: str) -> bool:
    return _LOOP.fullmatch(name) is not None


def _is_loop_part(name: str) -> bool:
    stem = owned.part_of(name)
    return stem is not None and _is_loop(stem)


def cached() -> list[tuple[str, int]]:
    """The built-in loops kept in coach's cache folder: (name, bytes) each. OSError when
    the folder cannot be read (a symbolic link is not followed: ELOOP)."""
    try:
        with owned.folder(cache_folder()) as folder:
            found = []
            for name in sorted(owned.names(folder, _is_loop)):
                try:
                    found.append(
                        (name, os.stat(name, dir_fd=folder, follow_symlinks=False).st_size)
                    )
                except FileNotFoundError:
                    continue
            return found
    except FileNotFoundError:
        return []


def clear_cache() -> int:
    """Remove the kept loops and coach's leftover temporary files among them (they are
    made again when next used); how many loops. OSError when the folder cannot be read."""
    try:
        with owned.folder(cache_folder()) as folder:
            for part in owned.names(folder, _is_loop_part):
                owned.remove(folder, part)
            return sum(owned.remove(folder, name) for name in owned.names(folder, _is_loop))
    except FileNotFoundError:
        return 0


def window(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of ``samples`` looped forever from position 0."""
    n = len(samples)
    parts = []
    at = start % n
    left = stop - start
    while left > 0:
        take = min(left, n - at)
        parts.append(samples[at : at + take])
        left, at = left - take, 0
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def lay(pcm: np.ndarray, bed_loop: np.ndarray, gain: np.ndarray, start: int) -> np.ndarray:
    """``pcm`` (int16, session samples from ``start``) with the looped bed under it, scaled
    by ``gain`` (one per sample). The bed is made int16 on its own and added, so the voice
    and tones keep exactly their samples: the result minus ``pcm`` is the bed alone."""
    bed = window(bed_loop, start, start + len(pcm)) * (gain[:, None] * np.float32(32767))
    out = pcm.astype(np.int32)
    out += np.rint(bed, out=bed).astype(np.int32)
    return np.clip(out, -32768, 32767, out=out).astype(np.int16)


def describe(bed: Bed, envelope: Envelope, rate: int = RATE) -> list[str]:
    """The bed and its ducking windows as lines for ``coach script``."""
    from coach.bed import ducking

    lines = [
        f"== Bed: {bed.label}, {BED_LUFS + bed.volume:g} LUFS ({bed.volume:+g} dB); "
        f"{ducking.DEPTH_DB:g} dB lower under the voice, fading in over "
        f"{envelope.fade_in / rate:.1f} s"
        + (
            f" and out over {(envelope.end - envelope.fade_out) / rate:.1f} s"
            if envelope.end is not None and envelope.fade_out is not None
            else ""
        )
    ]
    for d in envelope.ducks:
        lines.append(f"  lowered  {stamp(max(0, d.start), rate)} - {stamp(d.end, rate)}")
    return lines


def to_json(bed: Bed, envelope: Envelope, rate: int = RATE) -> dict[str, Any]:
    """The bed for ``coach script --json``: what it is, its level, and its envelope."""
    return {
        "name": bed.label,
        "builtin": bool(bed.name),
        "volume_db": bed.volume,
        "level_lufs": BED_LUFS + bed.volume,
        **envelope.to_json(rate),
    }

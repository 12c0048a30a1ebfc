"""Rendered sessions kept on disk: ``sessions/`` in coach's cache folder, beside the clips.

A session (a routine under one set of options, in one audio format) is rendered once by
the export job (``coach.job``, so the file is byte for byte what ``coach export`` writes,
tags and chapters included) into ``KEY.mp3`` with its Podcasting 2.0 chapters in
``KEY.chapters.json``; then ``KEY.json`` records the file's size, SHA-256 and length. A
session counts as kept only once that record exists and agrees with the file, so a render
that stopped half-way (the job leaves only hidden ``.part`` files, and removes them) is
never served. ``KEY`` is a SHA-256 over everything that decides the audio: the routine's
content, the options, the format and the versions of coach and of the parts that make
sound.

The folder trims itself: when it grows past ``MAX_BYTES`` the least recently used
sessions go until it is under ``TRIM_TO`` of that. ``coach cache`` shows and clears it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach import owned
from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.routine import Routine
    from coach.session import Options

#: The folder trims itself to TRIM_TO of this many bytes when it grows past it.
MAX_BYTES = 1_000_000_000
TRIM_TO = 0.8
#: Bumped whenever what is kept for a session changes.
STORE_FORMAT = 1


class Stopped(CoachError):
    """A render was stopped before its end (the server is shutting down)."""


@dataclass(frozen=True)
class Kept:
    """A rendered session: ``audio`` (``size`` bytes, ``sha256`` hex of them, ``seconds``
    long, ``fmt`` its suffix, ``made`` when, Unix time) and ``chapters``, its Podcasting
    2.0 chapters file."""

    key: str
    audio: Path
    chapters: Path
    fmt: str
    size: int
    sha256: str
    seconds: float
    made: float

    @property
    def etag(self) -> str:
        """An HTTP entity tag: the content's hash, so it changes exactly when the bytes do."""
        return f'"{self.sha256[:32]}"'


@dataclass(frozen=True)
class StoreInfo:
    """Where the folder is, how many sessions it keeps and their size in bytes."""

    path: Path
    sessions: int
    size: int


def _stamp(path: Path | None) -> Any:
    """A file's or folder's identity for a key: its path, size and time (the user may
    change a sound file under the same name)."""
    if path is None:
        return None
    try:
        files = sorted(path.iterdir()) if path.is_dir() else [path]
        return [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    except OSError:
        return str(path)


def _versions() -> dict[str, str]:
    """The versions of coach and of what makes its sound, so an upgrade renders anew."""
    from importlib import metadata

    from coach import __version__
    from coach.export import lame_version

    found = {"coach": __version__, "lame": lame_version() or "", "store": str(STORE_FORMAT)}
    for name in ("hibari-tts", "onnxruntime"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = ""
    return found


def key(routine: Routine, options: Options, fmt: str) -> str:
    """The hex SHA-256 naming the session ``routine`` under ``options`` in ``fmt``."""
    mix = options.mix
    fields = {
        "routine": repr(routine),
        "settings": repr(options.settings),
        "voice": options.voice,
        "rate": options.rate,
        "mix": [mix.channels, mix.tones, mix.tone_volume, mix.gain, mix.tone_boost],
        "sounds": _stamp(mix.sounds.folder) if mix.sounds else None,
        "bed": None if mix.bed is None else [mix.bed.name, _stamp(mix.bed.path), mix.bed.volume],
        "fmt": fmt,
        "versions": _versions(),
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class Store:
    """Rendered sessions under ``root`` (created on first render), at most ``max_bytes``."""

    def __init__(self, root: Path, max_bytes: int = MAX_BYTES) -> None:
        self.root, self.max_bytes = root, max_bytes
        self._trim_lock = threading.Lock()

    def find(self, name: str) -> Kept | None:
        """The kept session ``name`` (a key), or None when it is not (wholly) there."""
        record = self.root / f"{name}.json"
        try:
            data = json.loads(record.read_text("utf-8"))
            kept = Kept(
                name,
                self.root / f"{name}{data['fmt']}",
                self.root / f"{name}.chapters.json",
                data["fmt"],
                int(data["size"]),
                data["sha256"],
                float(data["seconds"]),
                float(data["made"]),
            )
            if kept.audio.stat().st_size != kept.size or not kept.chapters.is_file():
                return None
            os.utime(record)  # least recently used goes first when trimming
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return kept

    def render(
        self,
        name: str,
        routine: Routine,
        options: Options,
        fmt: str,
        stop: threading.Event | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> Kept:
        """Render the session ``name`` (its key) with the export job and keep it. ``stop``,
        once set, ends the render at its next block (Stopped; nothing is left behind)."""
        from coach import job

        def progress(done: int) -> None:
            if stop is not None and stop.is_set():
                raise Stopped("stopped before the session was made")

        owned.make_folder(self.root)  # (never the home folder: see coach.owned)
        audio = self.root / f"{name}{fmt}"
        chapters = self.root / f"{name}.chapters.json"
        result = job.run(
            routine, options, job.Targets(audio, fmt, chapters=chapters), progress, notify=notify
        )
        digest = hashlib.sha256()
        with open(audio, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        record = {
            "fmt": fmt,
            "size": audio.stat().st_size,
            "sha256": digest.hexdigest(),
            "seconds": result.seconds,
            "routine": routine.name,
            "made": time.time(),
        }
        owned.write_atomically(self.root / f"{name}.json", json.dumps(record) + "\n")
        self.trim(keep=name)
        kept = self.find(name)
        if kept is None:  # trimmed at once: the bound is smaller than this one session
            raise CoachError(f"{self.root}: the session does not fit in the cache")
        return kept

    def _sessions(self, parts: bool = False) -> dict[str, tuple[float, int, list[str]]]:
        """Each key's last use, total size and file names; with ``parts``, the hidden
        ``.part`` files of renders too (under their session's key; a render under way has
        them). OSError when the folder cannot be read or is a symbolic link (coach.owned:
        never followed); an absent folder keeps nothing."""
        out: dict[str, tuple[float, int, list[str]]] = {}
        try:
            with owned.folder(self.root) as fd:
                for name in owned.names(fd, lambda n: parts or not n.endswith(".part")):
                    try:
                        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except OSError:
                        continue
                    found = name.lstrip(".").split(".", 1)[0]
                    used, size, files = out.get(found, (0.0, 0, []))
                    if name == f"{found}.json":
                        used = st.st_mtime
                    out[found] = (used, size + st.st_size, files + [name])
        except FileNotFoundError:
            pass
        return out

    def _remove(self, names: list[str]) -> None:
        """Remove the files ``names`` from the folder (never through a symbolic link)."""
        if not names:
            return
        with owned.folder(self.root) as fd:
            for name in names:
                owned.remove(fd, name)

    def info(self) -> StoreInfo:
        kept = self._sessions()
        return StoreInfo(
            self.root,
            sum(1 for k in kept if self.find(k)),
            sum(size for _, size, _ in kept.values()),
        )

    def trim(self, keep: str = "") -> int:
        """Remove the least recently used sessions (never ``keep``) while the folder is over
        its bound, down to TRIM_TO of it. Returns how many were removed."""
        with self._trim_lock:
            kept = self._sessions()
            total = sum(size for _, size, _ in kept.values())
            if total <= self.max_bytes:
                return 0
            removed = 0
            for name, (_, size, files) in sorted(kept.items(), key=lambda kv: kv[1][0]):
                if total <= self.max_bytes * TRIM_TO:
                    break
                if name == keep:
                    continue
                self._remove(files)
                total -= size
                removed += 1
            return removed

    def clear(self) -> int:
        """Remove every kept session and any leftover; how many sessions there were."""
        kept = self._sessions(parts=True)
        count = sum(1 for k in kept if self.find(k))
        self._remove([name for _, _, files in kept.values() for name in files])
        return count


def store() -> Store:
    """The sessions folder in coach's cache (``~/.cache/coach/sessions`` on Linux)."""
    from coach import places

    return Store(places.cache_dir() / "sessions")

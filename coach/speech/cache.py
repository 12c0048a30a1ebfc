"""The clip cache: every synthesized line stored once on disk, shared by play and export.

Each entry is one file named by the SHA-256 of its key (engine, engine version, language,
model hash and settings, voice, rate, text, and coach's own clip format), holding a header, the
samples (float32 mono) and a checksum of them. So:
- a hit gives exactly the samples that were stored: the same session is the same audio
  cold or warm, live or exported;
- writes are atomic (a temporary file in the same folder, renamed into place), so two
  coach processes at once never see half an entry, and the last rename simply wins with
  identical content;
- an entry that is truncated or corrupt fails its checksum, is removed and made again,
  never played;
- reading an entry touches its time, and the cache trims the least recently used
  entries when it grows past its bound.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from coach import owned

_MAGIC = b"COACHCLIP1\0\0"
_HEADER = struct.Struct("<12sIQ32s")  # magic, sample rate, samples, sha256 of the samples
#: Bumped whenever coach changes what it does to an engine's output before storing it.
CLIP_FORMAT = 1
#: The cache trims itself to TRIM_TO of this many bytes when it grows past it.
MAX_BYTES = 500_000_000
TRIM_TO = 0.8
_SUFFIX = ".clip"
#: No entry holds more samples than this (an hour at 48 kHz, far above the longest line
#: coach speaks): a bigger file is not coach's and is never read.
MAX_SAMPLES = 3600 * 48_000


@dataclass(frozen=True)
class CacheInfo:
    """Where the cache is, how many entries it holds and their size in bytes; ``problems``:
    one line for each of its folders that could not be read (their entries not counted)."""

    path: Path
    entries: int
    size: int
    problems: tuple[str, ...] = ()


def key(
    engine: str,
    version: str,
    identity: str,
    voice: str,
    rate: int,
    text: str,
    stage: str = "",
    language: str = "en",
) -> str:
    """The entry name for one clip: a hex SHA-256 over everything that decides its samples.
    ``stage``: empty for the spoken clip, else what a later stage made of it (levelled
    for a mix, say), which must name everything that decides that stage's samples.
    ``language``: the session's (BCP 47): the same letters are other words in another
    language, so a clip is never shared across languages."""
    fields = {
        "format": CLIP_FORMAT,
        "engine": engine,
        "version": version,
        "language": language,
        "identity": identity,
        "voice": voice,
        "rate": rate,
        "text": text,
        "stage": stage,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


#: coach's own names in the cache: a subfolder per first two hex digits, an entry per key.
_SUBFOLDER = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{64}\.clip")


def _is_entry_part(name: str) -> bool:
    stem = owned.part_of(name)
    return stem is not None and (stem == "" or _ENTRY.fullmatch(stem) is not None)


@dataclass(frozen=True)
class _Entry:
    mtime: float
    size: int
    folder: str
    name: str


class ClipCache:
    """Clips on disk under ``root`` (created on first write). ``max_bytes``: the bound.

    Everything is done inside ``root`` by name (coach.owned): a ``root`` or subfolder that
    is a symbolic link is never followed, and only coach's own names are read, written or
    removed. No failure of the cache's disk is ever raised: a clip that cannot be read or
    stored is made again, a trim that cannot finish is left for the next one."""

    def __init__(self, root: Path, max_bytes: int = MAX_BYTES) -> None:
        self.root, self.max_bytes = root, max_bytes
        self.written = 0

    def get(self, name: str, rate: int) -> np.ndarray | None:
        """The stored samples for ``name`` at ``rate``, or None (absent or damaged: a
        damaged entry is removed). Only a regular file is read, and the header is checked
        against the file's size before the samples are read, so an entry of the wrong size
        costs nothing to refuse."""
        entry = name + _SUFFIX
        try:
            with owned.folder(self.root) as root, owned.subfolder(root, name[:2]) as sub:
                fd = os.open(
                    entry, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=sub
                )
                with open(fd, "rb") as f:
                    st = os.fstat(fd)
                    samples = _read(f, st.st_size, rate) if stat.S_ISREG(st.st_mode) else None
                    if samples is not None:
                        os.utime(fd)  # least recently used goes first when trimming
                if samples is None:
                    owned.remove(sub, entry)
                return samples
        except OSError:
            return None

    def put(self, name: str, samples: np.ndarray, rate: int) -> None:
        """Store ``samples`` (float32 mono at ``rate``) atomically. A cache that cannot be
        written (read-only, full) is not an error: the clip is simply made again next time."""
        payload = np.ascontiguousarray(samples, dtype="<f4").tobytes()
        header = _HEADER.pack(_MAGIC, rate, len(samples), hashlib.sha256(payload).digest())
        try:
            with (
                owned.folder(self.root, create=True) as root,
                owned.subfolder(root, name[:2], create=True) as sub,
            ):
                owned.replace(sub, name + _SUFFIX, lambda f: f.write(header + payload))
            self.written += len(header) + len(payload)
        except OSError:
            pass

    def _scan(self) -> tuple[list[_Entry], list[str]]:
        """Every entry (regular files of coach's names in coach's subfolders), and a line
        for each folder that could not be read."""
        entries: list[_Entry] = []
        problems: list[str] = []
        try:
            with owned.folder(self.root) as root:
                for link in owned.links(root, _SUBFOLDER.fullmatch):
                    problems.append(
                        owned.problem(self.root / link, OSError(errno.ELOOP, "is a symbolic link"))
                    )
                for folder in owned.names(root, _SUBFOLDER.fullmatch, folders=True):
                    try:
                        with owned.subfolder(root, folder) as sub:
                            for name in owned.names(sub, _ENTRY.fullmatch):
                                try:
                                    st = os.stat(name, dir_fd=sub, follow_symlinks=False)
                                except FileNotFoundError:  # trimmed or cleared meanwhile
                                    continue
                                entries.append(_Entry(st.st_mtime, st.st_size, folder, name))
                    except FileNotFoundError:
                        continue
                    except OSError as exc:
                        problems.append(owned.problem(self.root / folder, exc))
        except FileNotFoundError:
            pass
        except OSError as exc:
            problems.append(owned.problem(self.root, exc))
        return entries, problems

    def info(self) -> CacheInfo:
        entries, problems = self._scan()
        return CacheInfo(self.root, len(entries), sum(e.size for e in entries), tuple(problems))

    def _remove(self, entries: list[_Entry]) -> tuple[int, list[str]]:
        """Remove ``entries``; how many were removed, and a line per folder that refused."""
        removed, problems = 0, []
        try:
            with owned.folder(self.root) as root:
                for entry in entries:
                    try:
                        with owned.subfolder(root, entry.folder) as sub:
                            removed += owned.remove(sub, entry.name)
                    except FileNotFoundError:
                        continue
                    except OSError as exc:
                        problems.append(owned.problem(self.root / entry.folder, exc, "empty"))
        except FileNotFoundError:
            pass
        except OSError as exc:
            problems.append(owned.problem(self.root, exc, "empty"))
        return removed, problems

    def trim(self) -> int:
        """Remove the least recently used entries while the cache is over its bound, down
        to TRIM_TO of it. Returns the number removed; never raises for the disk (what
        cannot be read or removed now is left for the next trim)."""
        entries, _ = self._scan()
        total = sum(e.size for e in entries)
        if total <= self.max_bytes:
            return 0
        oldest: list[_Entry] = []
        for entry in sorted(entries, key=lambda e: (e.mtime, e.name)):
            if total <= self.max_bytes * TRIM_TO:
                break
            oldest.append(entry)
            total -= entry.size
        return self._remove(oldest)[0]

    def clear(self) -> tuple[int, tuple[str, ...]]:
        """Remove every entry, coach's leftover temporary files and its emptied subfolders.
        Returns how many entries were removed and a line for each folder that could not be
        read or emptied (nothing else in the cache is touched)."""
        entries, problems = self._scan()
        removed, failed = self._remove(entries) if entries else (0, [])
        problems += failed
        try:
            with owned.folder(self.root) as root:
                for folder in owned.names(root, _SUBFOLDER.fullmatch, folders=True):
                    try:
                        with owned.subfolder(root, folder) as sub:
                            for part in owned.names(sub, _is_entry_part):
                                owned.remove(sub, part)
                        os.rmdir(folder, dir_fd=root)
                    except OSError:  # not empty (not coach's files), or reported above
                        pass
        except OSError:
            pass
        return removed, tuple(dict.fromkeys(problems))


def _read(f: BinaryIO, size: int, rate: int) -> np.ndarray | None:
    """The samples of the entry open as ``f`` (``size`` bytes), or None when it is not one
    of coach's entries at ``rate``, is truncated or fails its checksum. Reads nothing
    beyond the header unless the header's length matches ``size`` exactly."""
    if not _HEADER.size <= size <= _HEADER.size + 4 * MAX_SAMPLES:
        return None
    head = f.read(_HEADER.size)
    if len(head) != _HEADER.size:
        return None
    magic, stored_rate, n, digest = _HEADER.unpack(head)
    if magic != _MAGIC or stored_rate != rate or size != _HEADER.size + 4 * n:
        return None
    payload = f.read(4 * n)
    if len(payload) != 4 * n or hashlib.sha256(payload).digest() != digest:
        return None
    return np.frombuffer(payload, dtype="<f4").astype(np.float32)

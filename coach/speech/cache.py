"""The clip cache: every synthesized line stored once on disk, shared by play and export.

Each entry is one file named by the SHA-256 of its key (engine, engine version, model
hash and settings, voice, rate, text, and coach's own clip format), holding a header, the
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

import hashlib
import json
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

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
    """Where the cache is, how many entries it holds and their size in bytes."""

    path: Path
    entries: int
    size: int


def key(engine: str, version: str, identity: str, voice: str, rate: int, text: str,
        stage: str = "") -> str:
    """The entry name for one clip: a hex SHA-256 over everything that decides its samples.
    ``stage``: empty for the spoken clip, else what a later stage made of it (levelled
    for a mix, say), which must name everything that decides that stage's samples."""
    fields = {"format": CLIP_FORMAT, "engine": engine, "version": version,
              "identity": identity, "voice": voice, "rate": rate, "text": text, "stage": stage}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class ClipCache:
    """Clips on disk under ``root`` (created on first write). ``max_bytes``: the bound."""

    def __init__(self, root: Path, max_bytes: int = MAX_BYTES) -> None:
        self.root, self.max_bytes = root, max_bytes
        self.written = 0

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / (name + _SUFFIX)

    def get(self, name: str, rate: int) -> np.ndarray | None:
        """The stored samples for ``name`` at ``rate``, or None (absent or damaged: a
        damaged entry is removed). The header is checked against the file's size before
        the samples are read, so an entry of the wrong size costs nothing to refuse."""
        path = self._path(name)
        try:
            with open(path, "rb") as f:
                samples = _read(f, os.fstat(f.fileno()).st_size, rate)
        except OSError:
            return None
        if samples is None:
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)  # least recently used goes first when trimming
        except OSError:
            pass
        return samples

    def put(self, name: str, samples: np.ndarray, rate: int) -> None:
        """Store ``samples`` (float32 mono at ``rate``) atomically. A cache that cannot be
        written (read-only, full) is not an error: the clip is simply made again next time."""
        path = self._path(name)
        payload = np.ascontiguousarray(samples, dtype="<f4").tobytes()
        header = _HEADER.pack(_MAGIC, rate, len(samples), hashlib.sha256(payload).digest())
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(header + payload)
            os.replace(tmp, path)
            tmp = None
            self.written += len(header) + len(payload)
        except OSError:
            pass
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def _entries(self) -> list[tuple[float, int, Path]]:
        out: list[tuple[float, int, Path]] = []
        if not self.root.is_dir():
            return out
        for sub in os.scandir(self.root):
            if not sub.is_dir():
                continue
            for entry in os.scandir(sub.path):
                if entry.name.endswith(_SUFFIX):
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    out.append((st.st_mtime, st.st_size, Path(entry.path)))
        return out

    def info(self) -> CacheInfo:
        entries = self._entries()
        return CacheInfo(self.root, len(entries), sum(size for _, size, _ in entries))

    def trim(self) -> int:
        """Remove the least recently used entries while the cache is over its bound, down
        to TRIM_TO of it. Returns the number removed."""
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return 0
        removed = 0
        for _, size, path in sorted(entries):
            if total <= self.max_bytes * TRIM_TO:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed

    def clear(self) -> int:
        """Remove every entry (and coach's empty folders in the cache). Returns how many."""
        entries = self._entries()
        for _, _, path in entries:
            path.unlink(missing_ok=True)
        if self.root.is_dir():
            for sub in os.scandir(self.root):
                if sub.is_dir():
                    for leftover in Path(sub.path).glob(".*.part"):
                        leftover.unlink(missing_ok=True)
                    try:
                        os.rmdir(sub.path)
                    except OSError:
                        pass
        return len(entries)


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

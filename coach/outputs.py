"""The output places of an export: each checked before any work, written through hidden
files beside it, and renamed over it only when everything is done.

What a careful tool does with the user's files, in one place:

- a target that is a symbolic link is written through: the file it points to is replaced
  (atomically, with the hidden files beside that file), and the link stays a link;
- a target without write permission is refused, as ``cp`` refuses it without ``-f``;
- a target that is one of the export's own inputs (the routine file, the bed, a sound of
  the pack, the settings file: the same path or the same file by inode) is refused;
- a replaced file keeps its permissions; a new one gets those the umask gives;
- the hidden files are named ``.NAME.XXXXXXXX.part`` (NAME shortened when the whole would
  pass the file system's limit on a name), and each is locked (``flock``) for as long as
  its coach lives. One whose coach is gone (``kill -9``, a power cut) is stale: the next
  export to the same target removes the stale hidden files of that target, and only
  those: unlocked and untouched for STALE_SECONDS.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coach import owned
from coach.errors import InputError, OutputError

#: A hidden file unlocked and untouched this long belongs to no live coach (the lock is
#: taken the moment the file is made; this only covers that moment).
STALE_SECONDS = 5.0


@dataclass
class _Place:
    given: Path  # as the user named it (for messages and the result)
    target: Path  # the file written: ``given``, or the file a symbolic link points to
    where: str  # how messages name it: the option and the path given
    parts: int
    room: int
    mode: int | None = None  # the permissions of the file replaced


class Outputs:
    """The output places of one export. ``check`` each, ``refuse_inputs``, ``reserve``;
    then ``parts``/``write``/``finished`` fill the hidden files and ``publish`` renames
    them over their targets; ``clean`` removes whatever is left, whatever happened."""

    def __init__(self) -> None:
        self._places: dict[Path, _Place] = {}
        self._parts: dict[Path, list[Path]] = {}
        self._locks: list[int] = []
        self._done: dict[Path, Path] = {}

    def check(self, path: Path, option: str, parts: int, room: int = 0) -> None:
        """Check ``path`` by its name alone (no file is made yet); ``room``: bytes needed."""
        where = f"{option}{path}"
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        if target.is_dir():
            example = path / ("session" + (path.suffix or ".mp3"))
            raise InputError(f"{where}: is a folder; give a file name such as {example}")
        if target.exists() and not target.is_file():
            raise InputError(f"{where}: is not a regular file")
        folder = target.parent
        for above in (folder, *folder.parents):
            if above.exists() or above.is_symlink():
                if not above.is_dir():
                    raise InputError(f"{where}: {above} is a file, not a folder")
                break
        if not folder.is_dir():
            raise InputError(f"{where}: the folder {folder} does not exist")
        mode = None
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _place_error(where, folder, exc) from None
        # (On a read-only file system every file is read-only: the folder check says so.)
        if (
            mode is not None
            and not os.statvfs(folder).f_flag & os.ST_RDONLY
            and (not mode & 0o222 or not os.access(target, os.W_OK))
        ):
            raise InputError(
                f"{where}: is read-only (mode {mode:04o}); coach does not replace "
                "a file you protected: make it writable or choose another name"
            )
        self._places[path] = _Place(path, target, where, parts, room, mode)

    def refuse_inputs(self, inputs: Iterable[tuple[str, Path]]) -> None:
        """InputError when a target is one of ``inputs`` ((what it is, its path)): the same
        path once resolved, or the same file (device and inode, so a hard link counts)."""
        files = []
        for what, path in inputs:
            try:
                st = os.stat(path)
            except OSError:
                continue  # not there: nothing to overwrite
            files.append((what, path, os.path.realpath(path), (st.st_dev, st.st_ino)))
        for place in self._places.values():
            try:
                st = os.stat(place.target)
            except OSError:
                continue
            for what, path, real, identity in files:
                if real == os.path.realpath(place.target) or identity == (st.st_dev, st.st_ino):
                    raise InputError(
                        f"{place.where}: is the {what} this export reads ({path}); "
                        "give the output another name"
                    )

    def reserve(self) -> None:
        """Remove stale hidden files of each target, make this export's own (locked,
        proving each folder takes a new file), then check each disk has room. Raises
        before anything else is done."""
        for place in self._places.values():
            folder = place.target.parent
            try:
                limit = os.pathconf(folder, "PC_NAME_MAX")
            except (OSError, ValueError):
                limit = 255
            stem = _stem(place.target.name, limit)
            remove_stale(folder, stem)
            for _ in range(place.parts):
                try:
                    part, fd = _make_part(folder, stem)
                except OSError as exc:
                    raise _place_error(place.where, folder, exc) from None
                self._locks.append(fd)
                self._parts.setdefault(place.given, []).append(part)
        for place in self._places.values():
            if place.room:
                fs = os.statvfs(place.target.parent)
                free = fs.f_bavail * fs.f_frsize
                if free < place.room:
                    raise OutputError(
                        f"{place.where}: the disk is full: about {_mb(place.room)} needed, "
                        f"{_mb(free)} free in {place.target.parent}; nothing was written"
                    )

    def parts(self, path: Path) -> tuple[Path, Path]:
        first, second = self._parts[path]
        return first, second

    def finished(self, path: Path, part: Path) -> None:
        self._done[path] = part

    def write(self, path: Path, data: bytes) -> None:
        """Write ``data`` into ``path``'s hidden file."""
        part = self._parts[path][0]
        try:
            part.write_bytes(data)
        except OSError as exc:
            raise _place_error(self._places[path].where, part.parent, exc) from None
        self._done[path] = part

    def publish(self) -> None:
        """Give each finished file the permissions of the file it replaces (else those a
        new file gets here: mkstemp-style files are private) and rename it over its
        target."""
        fresh = owned.new_file_mode()
        for path, part in self._done.items():
            mode = self._places[path].mode
            part.chmod(fresh if mode is None else mode)
        for path, part in self._done.items():
            os.replace(part, self._places[path].target)

    def clean(self) -> None:
        """Remove every hidden file still there and let go of their locks."""
        for parts in self._parts.values():
            for part in parts:
                part.unlink(missing_ok=True)
        for fd in self._locks:
            os.close(fd)
        self._locks.clear()


def _stem(name: str, limit: int) -> str:
    """``name`` as it stands in its hidden files' names: whole when ``.NAME.XXXXXXXX.part``
    fits in ``limit`` bytes, else shortened (at a character) until it does. The same name
    always gives the same stem, so stale files are found again."""
    room = limit - len(owned.part_name(""))  # what the hidden file's name adds
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return name


def _make_part(folder: Path, stem: str) -> tuple[Path, int]:
    """A new hidden file for ``stem`` in ``folder``, created and locked at once; its path
    and the open descriptor that holds the lock."""
    while True:
        part = folder / owned.part_name(stem)
        try:
            fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new: nobody else can hold it
        return part, fd


def remove_stale(folder: Path, stem: str) -> int:
    """Remove the hidden files of ``stem`` in ``folder`` that no live coach holds: regular
    files named ``.STEM.XXXXXXXX.part``, unlocked, untouched for STALE_SECONDS. Returns how
    many; anything that cannot be looked at is left alone."""
    removed = 0
    try:
        names = [n for n in os.listdir(folder) if owned.part_of(n) == stem]
    except OSError:
        return 0
    for name in names:
        path = folder / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or time.time() - st.st_mtime < STALE_SECONDS:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held: its coach is still at work
                continue
            if os.path.samestat(st, os.stat(path, follow_symlinks=False)):
                path.unlink()
                removed += 1
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _place_error(where: str, folder: Path, exc: OSError) -> InputError | OutputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"{where}: the disk is full ({folder}); nothing was written")
    reason = exc.strerror or type(exc).__name__
    return InputError(f"{where}: cannot write in the folder {folder} ({reason.lower()})")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"

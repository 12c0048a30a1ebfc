"""Working inside coach's own folders without ever leaving them.

The cache (clips, bed loops) is written, trimmed and cleared by name. Every such step is
done relative to a folder opened as a descriptor whose last component is not followed if
it is a symbolic link, so a ``clips`` or ``ab`` that is a link to somewhere else is never
walked into, written through or emptied: coach touches only real folders of its own and
files its own names match. Folders are made with their missing parents, but never the
home folder or the folder that should hold an XDG base (``HOME=/nonexistent`` makes no
``/nonexistent/.cache``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from coach import places

#: How a folder is opened: a directory, never through a symbolic link at its last step.
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: The random part of a temporary file's name (``secrets.token_hex(4)``, or tempfile's).
_TOKEN = re.compile(r"[a-z0-9_]{8}")


def make_folder(folder: Path) -> None:
    """Make ``folder`` and its missing parents. Inside one of coach's own folders (config,
    state, cache, data), the home folder must exist already when the XDG base is under it
    (``~`` for ``~/.local/state``: a new account has no ``~/.local`` yet), else the folder
    that holds the base (``/x`` for ``XDG_STATE_HOME=/x/state``): FileNotFoundError
    otherwise, and nothing is made."""
    folder = Path(folder)
    home = Path.home()
    for own in (places.config_dir(), places.state_dir(), places.cache_dir(), places.data_dir()):
        if folder == own or own in folder.parents:
            base = own.parent
            holder = home if home in base.parents else base.parent
            if not holder.is_dir():
                raise FileNotFoundError(errno.ENOENT, "no such folder", str(holder))
            break
    folder.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def folder(path: Path, create: bool = False) -> Iterator[int]:
    """``path`` open as a folder descriptor for the block (made first when ``create``).
    OSError when it is missing, unreadable, or a symbolic link (ELOOP: not followed)."""
    if create:
        make_folder(path)
    fd = _open_folder(path)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def subfolder(parent: int, name: str, create: bool = False) -> Iterator[int]:
    """The folder ``name`` inside the open folder ``parent``, as ``folder`` does."""
    if create:
        try:
            os.mkdir(name, dir_fd=parent)
        except FileExistsError:
            pass
    fd = _open_folder(name, parent)
    try:
        yield fd
    finally:
        os.close(fd)


def _open_folder(path: Path | str, parent: int | None = None) -> int:
    """``os.open`` of a folder; a symbolic link in its place is OSError(ELOOP) whatever
    the system says (Linux says ENOTDIR for a link to a folder)."""
    try:
        return os.open(path, _FOLDER, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            try:
                link = stat.S_ISLNK(os.lstat(path, dir_fd=parent).st_mode)
            except OSError:
                link = False
            if link:
                raise OSError(errno.ELOOP, "is a symbolic link", str(path)) from None
        raise


def names(fd: int, match: Callable[[str], object], folders: bool = False) -> list[str]:
    """The names in the open folder ``fd`` that ``match`` accepts and are regular files
    (or, with ``folders``, real folders); symbolic links are neither. OSError when the
    folder cannot be read."""
    found = []
    with os.scandir(fd) as entries:
        for entry in entries:
            if not match(entry.name):
                continue
            try:
                kind = entry.stat(follow_symlinks=False).st_mode
            except OSError:  # gone meanwhile
                continue
            if stat.S_ISDIR(kind) if folders else stat.S_ISREG(kind):
                found.append(entry.name)
    return found


def links(fd: int, match: Callable[[str], object]) -> list[str]:
    """The names in the open folder ``fd`` that ``match`` accepts and are symbolic links
    (which coach never follows: they are named to the user instead)."""
    found = []
    with os.scandir(fd) as entries:
        for entry in entries:
            if match(entry.name) and entry.is_symlink():
                found.append(entry.name)
    return found


def remove(fd: int, name: str) -> bool:
    """Remove the file ``name`` from the open folder ``fd``; False when it was not there."""
    try:
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        return False
    return True


def part_name(stem: str) -> str:
    """A new name for a hidden temporary file of ``stem`` (``.STEM.XXXXXXXX.part``): the one
    naming of every file coach writes whole or not at all (``part_of`` reads it back)."""
    return f".{stem}.{secrets.token_hex(4)}.part"


def new_file_mode() -> int:
    """The permissions a new file gets here (0o666 less the umask), as ``cp`` or a shell's
    ``>`` would give it: a hidden temporary file is made private (0600), so a file meant
    for the user is given these before it is renamed into place."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def replace(
    fd: int, name: str, write: Callable[[BinaryIO], object], mode: int | None = None
) -> None:
    """Make ``name`` in the open folder ``fd`` whole or not at all: ``write`` fills a hidden
    ``.NAME.XXXXXXXX.part`` there (``part_name``), which is given the permissions ``mode``
    (None: private, 0600) and renamed over ``name``. On any failure the temporary file is
    gone and the error raised. The one writer of whole files: the clip and bed caches,
    the settings and state files, the user's files (``write_atomically``); the export job
    (coach.outputs) names and types its longer-lived hidden files the same way."""
    part = part_name(name)
    handle = os.open(
        part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=fd
    )
    try:
        with open(handle, "wb") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            write(out)
        os.replace(part, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException:
        remove(fd, part)
        raise


def write_atomically(path: Path, text: str, create: bool = True, mode: int | None = None) -> None:
    """Put ``text`` (UTF-8) at ``path`` whole or not at all (``replace`` in its folder, the
    path as the user gave it: a folder reached through a symbolic link is written in),
    with the permissions ``mode``, else those of the file it replaces, else those of any
    new file (``new_file_mode``). The folder is made if missing when ``create``
    (never the home folder: see ``make_folder``). On any failure the temporary file is
    gone and OSError is raised; EINVAL, before anything is written, when ``path`` is there
    and is not a regular file (a device, a pipe, a socket)."""
    if create:
        make_folder(path.parent)
    if path.exists() and not path.is_file():
        # Renaming over a device, a pipe or a socket would put a file in its place.
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = new_file_mode()
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        replace(fd, path.name, lambda out: out.write(text.encode("utf-8")), mode)
    finally:
        os.close(fd)


def part_of(name: str) -> str | None:
    """The name whose temporary file ``name`` is, if it is one that ``replace`` makes
    (``.NAME.XXXXXXXX.part``); ``""`` for one an older coach made (``.XXXXXXXX.part``);
    None for anything else."""
    if not (name.startswith(".") and name.endswith(".part")):
        return None
    stem, _, token = name[1:-5].rpartition(".")
    return stem if _TOKEN.fullmatch(token) else None


def problem(path: Path, exc: OSError, doing: str = "read") -> str:
    """One line for a folder of coach's that could not be read (or, ``doing``, emptied)."""
    if exc.errno == errno.ELOOP:
        return (
            f"{path}: is a symbolic link; coach works only in its own folders and leaves it alone"
        )
    return f"{path}: cannot {doing} it ({(exc.strerror or str(exc)).lower()})"

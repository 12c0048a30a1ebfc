"""Where coach keeps the user's things: every platformdirs path in one place.

On Linux these follow the XDG variables: ``~/.config/coach`` (``XDG_CONFIG_HOME``),
``~/.local/share/coach`` (``XDG_DATA_HOME``),
``~/.local/state/coach`` (``XDG_STATE_HOME``), ``~/.cache/coach`` (``XDG_CACHE_HOME``).
Nothing here creates a folder; the code that writes into one creates it when it writes.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily where used
    from platformdirs import PlatformDirs

APP = "coach"


def _dirs() -> PlatformDirs:
    """platformdirs' answer for coach, imported when first needed."""
    from platformdirs import PlatformDirs

    return PlatformDirs(APP, appauthor=False)


def config_dir() -> Path:
    """The user's settings folder: ``config.toml`` and ``routines/``."""
    return Path(_dirs().user_config_dir)


def routines_dir() -> Path:
    """The user's own routines, one ``NAME.toml`` each."""
    return config_dir() / "routines"


def config_file() -> Path:
    """The settings file in use: ``COACH_CONFIG`` when set (it replaces the default file),
    else ``config.toml`` in ``config_dir()``."""
    chosen = os.environ.get("COACH_CONFIG", "")
    if not chosen:
        return config_dir() / "config.toml"
    try:
        return expand_user(chosen)
    except ValueError as exc:
        from coach.errors import InputError

        raise InputError(f"COACH_CONFIG {chosen}: {exc}") from None


def expand_user(path: str | Path) -> Path:
    """``path`` with a leading ``~`` or ``~user`` made the home folder; ValueError saying
    so when there is no such user (``~nosuchuser``)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise ValueError("no such user's home folder") from None


def state_dir() -> Path:
    """Where coach remembers things between runs (where a session stopped)."""
    return Path(_dirs().user_state_dir)


def cache_dir() -> Path:
    """Files coach can make again at will (synthesized voice clips)."""
    return Path(_dirs().user_cache_dir)


def new_file_mode() -> int:
    """The permissions a new file gets here (0o666 less the umask), as ``cp`` or a shell's
    ``>`` would give it: ``mkstemp`` makes its files private (0600), so a file written
    through one is given these before it is renamed into place."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(
    path: Path, text: str, make_folder: bool = True, mode: int | None = None
) -> None:
    """Put ``text`` (UTF-8) at ``path`` whole or not at all: written to a hidden temporary
    file beside it, then renamed over it, with the permissions ``mode``, else those of the
    file it replaces, else those of any new file (``new_file_mode``). The folder is made
    if missing when ``make_folder``. On any failure the temporary file is gone and OSError
    is raised; EINVAL, before anything is written, when ``path`` is there and is not a
    regular file (a device, a pipe, a socket)."""
    import tempfile

    if make_folder:
        from coach.owned import make_folder as make

        make(path.parent)  # (never the home folder: see coach.owned)
    if path.exists() and not path.is_file():
        # Renaming over a device, a pipe or a socket would put a file in its place.
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = new_file_mode()
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), mode)
            f.write(text)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def data_dir() -> Path:
    """The user's own data that coach cannot make again: the practice history."""
    return Path(_dirs().user_data_dir)

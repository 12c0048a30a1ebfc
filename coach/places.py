"""Where coach keeps the user's things: every platformdirs path in one place.

On Linux these follow the XDG variables: ``~/.config/coach`` (``XDG_CONFIG_HOME``),
``~/.local/state/coach`` (``XDG_STATE_HOME``), ``~/.cache/coach`` (``XDG_CACHE_HOME``).
Nothing here creates a folder; the code that writes into one creates it when it writes.
"""

from __future__ import annotations

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
    return Path(chosen).expanduser() if chosen else config_dir() / "config.toml"


def state_dir() -> Path:
    """Where coach remembers things between runs (where a session stopped)."""
    return Path(_dirs().user_state_dir)


def cache_dir() -> Path:
    """Files coach can make again at will (synthesized voice clips)."""
    return Path(_dirs().user_cache_dir)


def write_atomically(path: Path, text: str) -> None:
    """Put ``text`` (UTF-8) at ``path`` whole or not at all: written to a hidden temporary
    file beside it, then renamed over it; the folder is made if missing. On any failure the
    temporary file is gone and OSError is raised."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise

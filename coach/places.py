"""Where coach keeps the user's things: every platformdirs path in one place.

On Linux these follow the XDG variables: ``~/.config/coach`` (``XDG_CONFIG_HOME``),
``~/.local/share/coach`` (``XDG_DATA_HOME``),
``~/.local/state/coach`` (``XDG_STATE_HOME``), ``~/.cache/coach`` (``XDG_CACHE_HOME``).
Nothing here creates a folder or writes a file: coach.owned does, when it writes.
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


def data_dir() -> Path:
    """The user's own data that coach cannot make again: the practice history."""
    return Path(_dirs().user_data_dir)

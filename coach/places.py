"""coach's own folders on this machine (platformdirs), and nowhere else.

Linux: ``~/.cache/coach``, ``~/.config/coach``, ``~/.local/state/coach``, with
``XDG_CACHE_HOME``, ``XDG_CONFIG_HOME`` and ``XDG_STATE_HOME`` honoured. Nothing here
creates a folder: whoever writes into one makes it first.
"""

from __future__ import annotations

from pathlib import Path

APP = "coach"


def cache_dir() -> Path:
    """Where coach keeps what it can make again (the clip cache)."""
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)

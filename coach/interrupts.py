"""Ctrl-C and SIGTERM: the first one stops coach, nothing cuts its clean-up short.

The command line installs ``handler`` for SIGINT and SIGTERM. The first signal raises
KeyboardInterrupt in the main thread, so every ``finally`` runs as for Ctrl-C; any later
one is ignored, so pressing Ctrl-C twice (or a SIGTERM right after it) cannot stop the
clean-up halfway and leave hidden files behind. Code that must run whole (removing an
export's temporary files) runs ``shielded()``: a first signal arriving inside is held
until the block ends. Ctrl-\\ (SIGQUIT) still stops coach at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

# Only the main thread runs signal handlers and shielded blocks (between two bytecodes of
# it): no lock is needed, and one taken here could deadlock against the handler.
_state = {"stopping": False, "held": False, "shields": 0}


def handler(signum: int, frame: object) -> None:
    """The signal handler for SIGINT and SIGTERM (see the module's docstring)."""
    if _state["stopping"]:
        return
    if _state["shields"]:
        _state["held"] = True
        return
    _state["stopping"] = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run the block whole: an interrupt that arrives inside it is raised (as
    KeyboardInterrupt) only when the block is done."""
    _state["shields"] += 1
    try:
        yield
    finally:
        _state["shields"] -= 1
        if not _state["shields"] and _state["held"] and not _state["stopping"]:
            _state["stopping"] = True
            raise KeyboardInterrupt


def reset() -> None:
    """Forget any interrupt (for a new run in the same process, as the tests do)."""
    _state.update(stopping=False, held=False, shields=0)

"""The terminal side of the command line: whether a stream is a terminal, the export's
progress bar, single key presses for ``coach play`` and its status line. Part of the front
door (cli): it writes to stderr and reads stdin, nothing in the core does.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; a closed standard stream (None) is not."""
    return stream is not None and stream.isatty()


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = max(1, total), label
        self.on = is_terminal(sys.stderr)
        self.last = -1

    def update(self, done: int) -> None:
        pct = min(99, done * 100 // self.total)  # the total is an estimate
        if self.on and pct != self.last:
            self.last = pct
            filled = pct * 30 // 100
            sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class Keyboard:
    """Single key presses from a terminal on stdin (cbreak mode, no echo); the terminal is
    restored on exit, whatever happened. Off when stdin is not a terminal."""

    def __init__(self) -> None:
        self.on = is_terminal(sys.stdin)
        self._saved: list | None = None

    def __enter__(self) -> Keyboard:
        if self.on:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            # TCSANOW, not setcbreak's default TCSAFLUSH: keys typed already are kept.
            tty.setcbreak(fd, termios.TCSANOW)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)

    def poll(self, timeout: float) -> str | None:
        """A key pressed within ``timeout`` seconds, lower-cased, or None."""
        import select

        fd = sys.stdin.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        key = os.read(fd, 1).decode("utf-8", "replace")
        return key.lower() if key else "q"  # end of input: stop


class StatusLine:
    """The live status line of ``coach play``, redrawn in place on stderr when it changes."""

    def __init__(self) -> None:
        self.last = ""

    def show(self, text: str) -> None:
        if text == self.last:
            return
        self.last = text
        columns = shutil.get_terminal_size((80, 24)).columns
        sys.stderr.write("\r\033[K" + text[: max(40, columns) - 1])
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

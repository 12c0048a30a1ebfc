"""The ``coach`` program's first code, before anything heavy is imported.

Importing the command line (typer, click, rich) takes a second on a slow machine; a
Ctrl-C or SIGTERM in that second used to print Python's KeyboardInterrupt traceback.
Here the two signals end coach at once, quietly, with status 130, until ``coach.cli``
installs its own handlers (``coach.interrupts``): nothing has been made yet, so there is
nothing to clean up.
"""

from __future__ import annotations

import os
import signal


def _before_start(signum: int, frame: object) -> None:
    os.write(2, b"coach: interrupted\n")
    os._exit(130)


def main() -> None:
    """The console script: quiet signals, then ``coach.cli.main``."""
    signal.signal(signal.SIGINT, _before_start)
    signal.signal(signal.SIGTERM, _before_start)
    from coach.cli import main as run

    run()

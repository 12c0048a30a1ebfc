"""coach.cli_session: what the session commands share, beneath cli and cli_practice."""

from __future__ import annotations

import inspect
import subprocess
import sys

from coach import cli, cli_practice, cli_session
from coach.options import OPTIONS


def test_a_session_command_takes_the_session_options_once():
    @cli_session.session_command(without=("minutes",))
    def command(extra: int = 0, options: object = None) -> None:
        """A command."""

    names = list(inspect.signature(command).parameters)
    assert names[:2] == ["ctx", "extra"] and "options" not in names
    shared = list(inspect.signature(cli_session._session_options).parameters)
    assert names[2:] == [n for n in shared if n != "minutes"]
    assert all(OPTIONS[n.replace("_", "-")].param == n for n in shared)


def test_the_practice_commands_are_added_by_cli_alone():
    registered = {c.name or c.callback.__name__ for c in cli.app.registered_commands}
    assert set(cli_practice.COMMANDS) <= registered
    # Importing either module beneath cli imports neither cli nor registers anything.
    code = "import sys, coach.cli_practice, coach.cli_session; print('coach.cli' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

"""Shell completion (coach.completion) in a real interactive bash: the script from
`coach completion bash` installed as a user would, keys typed into a pseudo-terminal,
what readline puts on the line and lists read back from the screen."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import coach_bin, run_coach

BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")

#: The interactive shell's start-up file: coach's script as installed, readline set to list
#: every match on one Tab, and Ctrl-T bound to print the line being edited between markers.
RC = """
{load}
. <(coach completion bash)
bind 'set show-all-if-ambiguous on'
bind 'set completion-query-items 0'
bind 'set page-completions off'
bind 'set bell-style none'
bind -x '"\\C-t": printf "\\n<<<%s>>>\\n" "$READLINE_LINE"'
PS1='READY> '
"""


class Bash:
    """An interactive bash in a pseudo-terminal, in ``folder``."""

    def __init__(self, folder: Path, bash_completion: bool = True) -> None:
        rc = folder / "bashrc"
        rc.write_text(RC.format(load=f". {BASH_COMPLETION}" if bash_completion else ""))
        env = {**os.environ, "TERM": "dumb", "PATH": f"{coach_bin().parent}:{os.environ['PATH']}"}
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--rcfile", str(rc), "-i"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=folder,
            start_new_session=True,
        )
        os.close(slave)
        self._read_until(b"READY> ")

    def _read_until(self, marker: bytes, timeout: float = 120) -> str:
        out, end = b"", time.monotonic() + timeout
        while marker not in out:
            ready, _, _ = select.select([self.master], [], [], max(0.0, end - time.monotonic()))
            assert ready, f"bash did not answer: {out!r}"
            out += os.read(self.master, 65536)
        return out.decode("utf-8", "replace")

    def tab(self, typed: str) -> tuple[str, list[str]]:
        """Type ``typed`` and one Tab: (the line then, the words listed below it)."""
        os.write(self.master, typed.encode() + b"\t\x14")
        screen = self._read_until(b">>>\r\n")
        line = screen[screen.rindex("<<<") + 3 : screen.rindex(">>>")]
        before = screen[: screen.rindex("<<<")]
        # A list, when there is one, sits between the typed line and the prompt drawn again.
        words = sorted(
            before[before.index("\r\n") : before.rindex("READY> ")].split()
            if "READY> " in before
            else []
        )
        os.write(self.master, b"\x15")  # clear the line for the next one
        return line, words

    def close(self) -> None:
        os.write(self.master, b"exit\n")
        try:
            self.process.wait(10)
        finally:
            os.close(self.master)


@pytest.fixture(params=[True, False], ids=["bash-completion", "plain bash"])
def bash(request, tmp_path):
    assert shutil.which("bash"), "bash is not installed"
    if request.param:
        assert BASH_COMPLETION.exists(), "bash-completion is not installed: run scripts/setup"
    shell = Bash(tmp_path, request.param)
    yield shell
    shell.close()


def test_voices_complete_after_the_engine_and_its_colon(bash):
    # What the new user saw: `hibari:<Tab><Tab>` listed files, `espeak:gmw/en-u<Tab>` did nothing.
    assert bash.tab("coach play --voice hibari:")[0] == "coach play --voice hibari:heart "
    line, listed = bash.tab("coach play --voice espeak:gmw/en-u")
    assert line == "coach play --voice espeak:gmw/en-us"
    assert listed == ["gmw/en-us", "gmw/en-us-nyc"]
    assert bash.tab("coach export --voice hib")[0] == "coach export --voice hibari:heart "


def test_option_values_are_offered(bash):
    assert bash.tab("coach play --pace ")[1] == ["fast", "normal", "slow"]
    assert bash.tab("coach script --talk m")[0] == "coach script --talk more "
    assert bash.tab("coach export --format o")[0] == "coach export --format ogg "
    assert bash.tab("coach export --bed ")[1] == [
        "bashrc",
        "drone",
        "none",
        "rain",
        "waves",
    ]  # and files


def test_steps_are_offered_by_number_and_title_of_the_routine_on_the_line(bash):
    _, listed = bash.tab("coach play anma --from ")
    assert {"1", "5", "Smile", "Lip", "plucks", "Cheek", "circles"} <= set(listed)
    assert bash.tab("coach play anma --from Sm")[0] == "coach play anma --from Smile\\ lines "
    assert bash.tab("coach script neck --from ")[1][:6] == ["1", "2", "3", "4", "5", "6"]


def test_routines_and_files_where_a_file_is_meant_and_only_there(bash, tmp_path):
    (tmp_path / "mine.toml").write_text("")
    assert bash.tab("coach play ")[1] == ["anma", "bashrc", "evening", "mine.toml", "neck", "quick"]
    assert bash.tab("coach play mi")[0] == "coach play mine.toml "
    # A voice is never a file name: nothing matches, nothing is offered.
    assert bash.tab("coach play --voice zz")[0] == "coach play --voice zz"
    assert bash.tab("coach play --pace mi")[0] == "coach play --pace mi"


def test_the_script_is_coachs_own_for_bash_and_typers_for_zsh_and_fish():
    bash = run_coach("completion", "bash")
    assert bash.returncode == 0
    assert (
        "_get_comp_words_by_ref -n :" in bash.stdout
        and "complete -F _coach_completion coach" in bash.stdout
    )
    assert "-o default" not in bash.stdout  # nothing matching is not a reason to list files
    assert subprocess.run(["bash", "-n"], input=bash.stdout, text=True).returncode == 0
    for shell, marker in (("zsh", "#compdef coach"), ("fish", "complete --command coach")):
        assert marker in run_coach("completion", shell).stdout


def test_the_completer_protocol_is_typed_lines():
    # The raw answers the script reads: plain values, then `file,` where a path may go.
    env = {
        "_COACH_COMPLETE": "complete_bash",
        "COMP_WORDS": "coach play --bed r",
        "COMP_CWORD": "3",
    }
    done = subprocess.run(
        [str(coach_bin())], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.stdout.splitlines() == ["plain,rain", "file,"]
    env["COMP_WORDS"], env["COMP_CWORD"] = "coach play --voice hibari:", "3"
    done = subprocess.run(
        [sys.executable, "-m", "coach"], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.stdout.splitlines() == ["plain,hibari:heart"]

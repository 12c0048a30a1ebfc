"""The command line: in-process through ``cli.run`` and through the real ``coach`` entry
point, ``python -m coach`` and the two set-up scripts."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from coach import cli
from conftest import MINI, RATE, decode, plan, probe, run_coach

ROOT = Path(__file__).resolve().parent.parent


def _run(capsys, *args: str) -> tuple[int, str, str]:
    status = cli.run([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_help_lists_every_command(capsys):
    status, out, _ = _run(capsys, "--help")
    assert status == 0
    for command in ("routines", "validate", "script", "voices", "export", "play"):
        assert command in out


@pytest.mark.parametrize("command", ["routines", "validate", "script", "voices", "export", "play"])
def test_every_command_has_help(capsys, command):
    status, out, _ = _run(capsys, command, "--help")
    assert status == 0
    assert "Usage" in out


def _documented_surface() -> tuple[list[str], list[tuple[str, str]]]:
    """The commands and (command, option) pairs of the typer app itself, global options
    under the command name ''; help options left out."""
    import typer
    from typer.core import TyperGroup, TyperOption

    root = typer.main.get_command(cli.app)
    assert isinstance(root, TyperGroup)
    options = [("", opt) for p in root.params for opt in p.opts if opt.startswith("--")
               and opt != "--help"]
    commands = sorted(root.commands)
    for name in commands:
        for param in root.commands[name].params:
            if isinstance(param, TyperOption):
                options += [(name, opt) for opt in param.opts + param.secondary_opts
                            if opt.startswith("--") and opt != "--help"]
    return commands, options


def test_every_command_and_option_is_in_the_readme():
    # Taken from the app, not from --help output (as sqlite-utils' docs test does): a
    # command or option added without a word in the manual fails here.
    readme = (ROOT / "README.md").read_text()
    commands, options = _documented_surface()
    assert {"play", "export", "script", "routines", "validate", "voices"} <= set(commands)
    assert ("", "--debug") in options and ("", "--version") in options
    assert ("script", "--json") in options and ("export", "--tone-volume") in options
    for name in commands:
        assert f"coach {name}" in readme, f"command {name} is not documented in README"
    for name, option in options:
        # The whole option, not a longer one that starts the same.
        assert re.search(re.escape(option) + r"(?![\w-])", readme), \
            f"{name or 'coach'} {option} is not documented in README"


def test_routines_lists_anma(capsys):
    status, out, _ = _run(capsys, "routines")
    assert status == 0
    line = next(l for l in out.splitlines() if l.startswith("anma"))
    minutes = float(line.split()[2])
    # The listed length, and README's, are the session's: `coach script anma --json` lays
    # it out exactly (README said "about seven minutes" of a 6:24 session). Voices differ
    # in speed, so within half a minute.
    real = plan("anma")["duration"]
    assert minutes * 60 == pytest.approx(real, abs=30)
    readme = (ROOT / "README.md").read_text()
    assert "in five steps, about six and a half minutes" in readme
    assert 6.5 * 60 == pytest.approx(real, abs=30)


def test_script_prints_chapters_and_cues(capsys, mini_path):
    status, out, _ = _run(capsys, "script", mini_path)
    assert status == 0
    assert out.splitlines()[0].startswith("Mini — pace normal")
    assert [l for l in out.splitlines() if l.startswith("==")] == [
        "== Introduction", "== Circles", "== Strokes", "== Closing"]
    assert "(left)" in out and "(right)" in out


def test_validate_reports_each_file(capsys, tmp_path, mini_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(MINI.replace("reps = 3", "reps = 0"))
    status, out, err = _run(capsys, "validate", mini_path, bad)
    assert status == 2
    assert re.fullmatch(rf"{re.escape(str(mini_path))}: ok \(2 steps, about \d:[0-5]\d\)", out.strip())
    # The file as the user named it, and the line of the value at fault.
    assert err.strip() == f"{bad}: line 10: steps[0].reps: must be a whole number from 1 to 200"


def test_validate_says_one_step(capsys, tmp_path):
    one = tmp_path / "one.toml"
    one.write_text('title = "One"\n[[steps]]\ntitle = "A"\nmotion = "press"\nreps = 2\nseconds = 1\n')
    status, out, _ = _run(capsys, "validate", one)
    assert status == 0
    assert re.fullmatch(rf"{re.escape(str(one))}: ok \(1 step, about 0:[0-5]\d\)", out.strip())


@pytest.mark.parametrize("args, fragment", [
    (["script", "--pace", "brisk"], "--pace brisk: must be one of slow, normal, fast"),
    (["script", "--talk", "loud"], "--talk loud: must be one of less, normal, more"),
    (["script", "--minutes", "0"], "--minutes 0"),
    (["script", "--minutes", "1"], "cannot fit"),
    (["export", "--tone-volume", "40"], "--tone-volume 40"),
    (["export", "--rate", "5", "-o", "x.wav"], "--rate 5: must be from 80 to 400 words per minute"),
    (["script", "--rate", "999"], "--rate 999: must be from 80 to 400 words per minute"),
    (["script", "--json", "--rate", "79"], "--rate 79"),
    (["play", "--rate", "401"], "--rate 401"),
    (["play", "--tone-volume", "nan"], "--tone-volume nan"),
    (["script", "--minutes", "inf"], "--minutes inf"),
    (["script", "--bogus"], "No such option: --bogus"),
    (["script", "nosuch"], "no built-in routine named 'nosuch'"),
    (["script", "missing.toml"], "missing.toml: no such routine file"),
    (["export", "-o", "/nonexistent/folder/x.mp3"], "does not exist"),
    (["export", "-o", "x.flac"], "unknown format '.flac'"),
    (["script", "--json", "--voice", "nosuch"], "coach voices"),
    (["voices", "--lang", "xx-nosuch"], "--lang xx-nosuch"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, *args)
    assert status == 2, err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_real_entry_point_bad_input(mini_path, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n")
    result = run_coach("export", bad)
    assert result.returncode == 2
    assert result.stderr.startswith(f"coach: {bad}: line 1, column 9: not valid TOML")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_debug_shows_the_traceback(tmp_path):
    for args, env in ((["--debug", "script", "nosuch"], None),
                      (["script", "nosuch"], {"COACH_DEBUG": "1"})):
        result = run_coach(*args, env=env)
        assert result.returncode == 2
        assert "Traceback" in result.stderr
        assert "no built-in routine named 'nosuch'" in result.stderr


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "coach", "--version"], capture_output=True,
                            text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("coach ")


def test_voices_lists_working_voices():
    result = run_coach("voices", "--lang", "en")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "LANGUAGES"]
    assert any(l.startswith("gmw/en-us ") for l in lines)
    assert not any(l.startswith("mb/") for l in lines)


def test_export_default_name_and_report(tmp_path, mini_path):
    result = run_coach("export", mini_path, "--pace", "fast", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mini.mp3").is_file()
    assert result.stdout.startswith("Wrote mini.mp3 (")
    assert "4 chapters" in result.stdout
    assert "\r" not in result.stderr  # no progress bar when not on a terminal
    info = probe(tmp_path / "mini.mp3")
    assert info["format"]["tags"]["title"] == "Mini"
    assert (tmp_path / "mini.mp3").stat().st_mode & 0o777 == 0o644


def test_scripts_run_lists_routines():
    result = subprocess.run([str(ROOT / "scripts" / "run"), "routines"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("anma")


def test_scripts_run_without_a_device_exports_instead(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text('pcm.!default { type hw; card 9; device 0 }\n')
    result = subprocess.run([str(ROOT / "scripts" / "run")], capture_output=True, text=True,
                            cwd=tmp_path, env={"PATH": "/usr/local/bin:/usr/bin:/bin",
                                               "HOME": str(home)}, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "No audio device here: exporting the session to anma.mp3 instead." in result.stderr
    assert len(decode(tmp_path / "anma.mp3")) > 5 * 60 * RATE


def test_wheel_ships_sounds_and_routines(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("coach-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "coach/routines/anma.toml" in names
    for sound in ("circle", "stroke", "pluck", "hold", "release", "bell", "start", "end"):
        assert f"coach/sounds/{sound}.wav" in names

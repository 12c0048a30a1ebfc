"""The command line: in-process through ``cli.run`` and through the real ``coach`` entry
point, ``python -m coach`` and the two set-up scripts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from coach import cli
from conftest import MINI, RATE, coach_bin, decode, make_sound, one_line, plan, probe, run_coach

ROOT = Path(__file__).resolve().parent.parent


#: Commands that were there from the start; every command's help is checked from the app.
COMMANDS = (
    "routines",
    "validate",
    "script",
    "voices",
    "export",
    "play",
    "new",
    "config",
    "sounds",
    "completion",
)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    status = cli.run([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_help_lists_every_command(capsys):
    status, out, _ = _run(capsys, "--help")
    assert status == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
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
    options = [
        ("", opt) for p in root.params for opt in p.opts if opt.startswith("--") and opt != "--help"
    ]
    commands = sorted(root.commands)
    for name in commands:
        for param in root.commands[name].params:
            if isinstance(param, TyperOption):
                options += [
                    (name, opt)
                    for opt in param.opts + param.secondary_opts
                    if opt.startswith("--") and opt != "--help"
                ]
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
        assert re.search(re.escape(option) + r"(?![\w-])", readme), (
            f"{name or 'coach'} {option} is not documented in README"
        )


def test_help_names_values_and_shows_the_defaults_in_effect(capsys, own_folders, monkeypatch):
    # The new user saw `<bool>`, `<str>`, `<list[Path]>` and `[default: normal]` though the
    # settings file set `slow`.
    monkeypatch.setenv("COLUMNS", "200")
    for command in (
        "play",
        "export",
        "script",
        "config",
        "validate",
        "sounds",
        "new",
        "voices",
        "routines",
        "completion",
        "cache",
    ):
        status, out, _ = _run(capsys, command, "--help")
        assert status == 0
        assert not re.search(r"<\w+(\[\w+\])?>", out), (command, out)
    status, out, _ = _run(capsys, "play", "--help")
    assert re.search(r"--rate\s+-r\s+RATE\s", out) and re.search(
        r"--pace\s+-p\s+slow\|normal\|fast\s", out
    )
    assert "[default: normal]" in out and "[default: no-count]" in out  # pace and talk, count
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text('pace = "slow"\ncount = true\n')
    status, out, _ = _run(capsys, "play", "--help")
    assert out.count("[default: slow]") == 1 and "[default: count]" in out
    assert out.count("[default: normal]") == 1  # talk's
    (own_folders["config"] / "config.toml").write_text("pace = \n")  # broken: help still helps
    status, out, _ = _run(capsys, "play", "--help")
    assert status == 0 and out.count("[default: normal]") == 2


def test_routines_lists_the_built_ins(capsys):
    status, out, _ = _run(capsys, "routines")
    assert status == 0
    rows = {l.split()[0]: l.split() for l in out.splitlines()[1:] if "built-in" in l}
    assert set(rows) == {"anma", "quick", "evening", "neck"}
    assert rows["anma"][3] == "6" and 8 <= float(rows["anma"][4]) <= 9.5
    assert rows["anma"][2] == "en,ja" and rows["quick"][2] == "en,ja,de,fr,es"
    # Every column lines up, however many languages a routine is written in.
    lines = out.splitlines()
    assert (
        len(
            {line.index("STEPS") + 5 for line in lines[:1]}
            | {
                line.index(rows[name][3], 40) + len(rows[name][3])
                for name in rows
                for line in lines
                if line.startswith(name + " ")
            }
        )
        == 1
    )
    minutes = float(rows["anma"][4])
    # The listed length, and README's, are the session's: `coach script anma --json` lays
    # it out exactly (README said "about seven minutes" of a 6:24 session). Voices differ
    # in speed, so within half a minute.
    real = plan("anma")["duration"]
    assert minutes * 60 == pytest.approx(real, abs=30)
    readme = (ROOT / "README.md").read_text()
    assert "in five steps and a wind-down, about eight and a half minutes" in readme
    assert 8.5 * 60 == pytest.approx(real, abs=30)


def test_script_prints_chapters_and_cues(capsys, mini_path):
    status, out, _ = _run(capsys, "script", mini_path)
    assert status == 0
    assert out.splitlines()[0].startswith("Mini — pace normal")
    assert [l for l in out.splitlines() if l.startswith("==")] == [
        "== Introduction",
        "== Circles",
        "== Strokes",
        "== Closing",
    ]
    assert "(left)" in out and "(right)" in out


def test_validate_reports_each_file(capsys, tmp_path, mini_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(MINI.replace("reps = 3", "reps = 0"))
    status, out, err = _run(capsys, "validate", mini_path, bad)
    assert status == 2
    assert re.fullmatch(
        rf"{re.escape(str(mini_path))}: ok \(2 steps, about \d:[0-5]\d\)", out.strip()
    )
    # The file as the user named it, and the line of the value at fault.
    assert err.strip() == f"{bad}: line 10: steps[0].reps: must be a whole number from 1 to 200"


def test_validate_says_one_step(capsys, tmp_path):
    one = tmp_path / "one.toml"
    one.write_text(
        'title = "One"\n[[steps]]\ntitle = "A"\nmotion = "press"\nreps = 2\nseconds = 1\n'
    )
    status, out, _ = _run(capsys, "validate", one)
    assert status == 0
    assert re.fullmatch(rf"{re.escape(str(one))}: ok \(1 step, about 0:[0-5]\d\)", out.strip())


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["script", "--pace", "brisk"], "--pace brisk: must be one of slow, normal, fast"),
        (["script", "--talk", "loud"], "--talk loud: must be one of less, normal, more"),
        (["script", "--minutes", "0"], "--minutes 0"),
        (["script", "--minutes", "1"], "cannot fit"),
        (["export", "--tone-volume", "40"], "--tone-volume 40"),
        (
            ["export", "--rate", "5", "-o", "x.wav"],
            "--rate 5: must be from 80 to 900 (words per "
            "minute 80-400; in Japanese, morae per minute 150-900)",
        ),
        (["script", "--rate", "999"], "--rate 999: must be from 80 to 900"),
        (
            ["script", "--rate", "500"],
            "--rate 500: must be from 80 to 400 words per minute in English",
        ),
        (
            ["script", "--language", "ja", "--rate", "120"],
            "--rate 120: must be from 150 to 900 morae per minute in Japanese",
        ),
        (["script", "--language", "tlh"], "--language tlh: coach speaks en, ja"),
        (["script", "--json", "--rate", "79"], "--rate 79"),
        (["play", "--rate", "401"], "--rate 401"),
        (["play", "--tone-volume", "nan"], "--tone-volume nan"),
        (["script", "--minutes", "inf"], "--minutes inf"),
        (["script", "--bogus"], "No such option: --bogus"),
        (["script", "nosuch"], "no routine named 'nosuch'"),
        (["script", "missing.toml"], "missing.toml: no such routine file"),
        (["export", "-o", "/nonexistent/folder/x.mp3"], "does not exist"),
        (["export", "-o", "x.flac"], "unknown format '.flac'"),
        (["script", "--json", "--voice", "nosuch"], "coach voices"),
        (["voices", "--lang", "xx-nosuch"], "--lang xx-nosuch"),
        # What the new user met: a far-fetched did-you-mean, four lines, the wrong help.
        (
            ["export", "--resume"],
            "No such option: --resume (it is an option of coach play) (see 'coach export --help')",
        ),
        (
            ["play", "--pase", "slow"],
            "No such option: --pase (did you mean --pace?) (see 'coach play --help')",
        ),
        (
            ["completion"],
            "Missing argument 'SHELL'. Choose from: bash, zsh, fish (see 'coach completion --help')",
        ),
        (
            ["routines", "--show"],
            "Option '--show' requires an argument. (see 'coach routines --help')",
        ),
    ],
)
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
    for args, env in (
        (["--debug", "script", "nosuch"], None),
        (["script", "nosuch"], {"COACH_DEBUG": "1"}),
    ):
        result = run_coach(*args, env=env)
        assert result.returncode == 2
        assert "Traceback" in result.stderr
        assert "no routine named 'nosuch'" in result.stderr


@pytest.mark.process  # python -m coach
def test_python_dash_m_and_version():
    result = subprocess.run(
        [sys.executable, "-m", "coach", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("coach ")


def test_voices_lists_working_voices():
    result = run_coach("voices", "--lang", "en")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ENGINE", "ID", "LANGUAGES"]
    rows = [line[2:].split() for line in lines[1:]]
    assert ["espeak", "gmw/en-us"] in [r[:2] for r in rows]
    assert not any(r[1].startswith("mb/") for r in rows)
    # The default voice is marked, and it is the neural one.
    default = [line for line in lines[1:] if line.startswith("*")]
    assert len(default) == 1 and default[0][2:].split()[:2] == ["hibari", "heart"]


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


@pytest.mark.process  # scripts/run, as a user starts it
def test_scripts_run_lists_routines():
    result = subprocess.run(
        [str(ROOT / "scripts" / "run"), "routines"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("anma")


@pytest.mark.process  # scripts/run, as a user starts it
def test_scripts_run_without_a_device_exports_instead(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type hw; card 9; device 0 }\n")
    result = subprocess.run(
        [str(ROOT / "scripts" / "run")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "No audio device here: exporting the session to anma.mp3 instead." in result.stderr
    assert len(decode(tmp_path / "anma.mp3")) > 5 * 60 * RATE


@pytest.mark.slow  # builds a wheel
def test_wheel_ships_sounds_and_routines(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("coach-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "coach/routines/anma.toml" in names
    for sound in ("circle", "stroke", "pluck", "hold", "release", "bell", "start", "end"):
        assert f"coach/sounds/{sound}.wav" in names


# ---- your own routines ---------------------------------------------------------------------


def test_new_routine_is_listed_shown_and_exported_by_name(own_folders, tmp_path):
    made = run_coach("new", "my-face")
    assert made.returncode == 0, made.stderr
    path = own_folders["config"] / "routines" / "my-face.toml"
    assert made.stdout == f"{path}\n"
    again = run_coach("new", "my-face")
    assert again.returncode == 2
    assert (
        again.stderr
        == f"coach: {path}: already exists; edit it, or use --force to replace it with the starter routine\n"
    )
    assert run_coach("new", "my-face", "--force").returncode == 0

    listed = run_coach("routines")
    assert listed.returncode == 0, listed.stderr
    row = next(l for l in listed.stdout.splitlines() if l.startswith("my-face "))
    name, where, langs, steps, minutes, *title = row.split()
    assert (where, langs, steps, " ".join(title)) == ("yours", "en", "2", "My face")
    from coach.routinefile import load
    from coach.script import build

    assert float(minutes) == round(build(load(path)).estimate_seconds() / 60, 1)

    shown = run_coach("routines", "--show", "my-face")
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0] == "My face (my-face, 2 steps, about 3 min)"
    assert "2. Jaw and brows: Now the jaw, then the brows." in shown.stdout

    out = tmp_path / "mine.mp3"
    exported = run_coach("export", "my-face", "-o", out)
    assert exported.returncode == 0, exported.stderr
    chapters = [c["tags"]["title"] for c in probe(out)["chapters"]]
    assert chapters == ["Introduction", "Cheek circles", "Jaw and brows", "Closing"]
    assert probe(out)["format"]["tags"]["title"] == "My face"


def test_routines_marks_a_shadowing_routine_and_reports_a_broken_one(own_folders):
    folder = own_folders["config"] / "routines"
    folder.mkdir(parents=True)
    (folder / "quick.toml").write_text(MINI)
    (folder / "broken.toml").write_text("title = \n")
    result = run_coach("routines")
    assert result.returncode == 2
    rows = {l.split()[0]: l for l in result.stdout.splitlines()[1:-1]}
    assert set(rows) == {"anma", "broken", "evening", "neck", "quick"}
    assert rows["quick"].split()[1] == "yours" and rows["quick"].endswith(
        "Mini (in place of the built-in)"
    )
    assert "broken" in rows["broken"] and rows["anma"].split()[1] == "built-in"
    assert (
        result.stderr
        == f"coach: {folder / 'broken.toml'}: line 1, column 9: not valid TOML: invalid value\n"
    )
    # The shadowing routine is what the name plays.
    assert run_coach("script", "quick").stdout.startswith("Mini — ")


def test_routines_show_a_builtin(capsys):
    status, out, _ = _run(capsys, "routines", "--show", "neck")
    assert status == 0
    assert out.splitlines()[0].startswith("Neck strokes (neck, 6 steps, about 7 min)")
    assert "   - 8 x stroke 3 s each side, left then right" in out


# ---- --from ---------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["3", "smile", "Smile Lines"])
def test_script_from_a_step_by_number_or_title(capsys, step):
    status, out, _ = _run(capsys, "script", "anma", "--from", step)
    assert status == 0
    chapters = [l[3:] for l in out.splitlines() if l.startswith("== ")]
    assert chapters == [
        "Introduction",
        "Smile lines",
        "Brows, eyes and forehead",
        "Lip plucks",
        "Wind down",
        "Closing",
    ]
    assert "'Anma facial massage, from step three.'" in out


def test_export_from_a_step_has_the_chapters_from_there(tmp_path, mini_path):
    out = tmp_path / "from.ogg"
    result = run_coach("export", mini_path, "--from", "str", "-o", out)
    assert result.returncode == 0, result.stderr
    assert [c["tags"]["title"] for c in probe(out)["chapters"]] == [
        "Introduction",
        "Strokes",
        "Closing",
    ]


def test_a_partial_export_never_replaces_the_whole_and_its_tags_say_it_is_a_part(
    tmp_path, mini_path
):
    import mutagen

    whole = tmp_path / "mini.mp3"
    whole.write_bytes(b"the whole session, exported before")
    result = run_coach("export", mini_path, "--from", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert whole.read_bytes() == b"the whole session, exported before"
    part = mutagen.File(tmp_path / "mini-from-2.mp3")
    assert str(part.tags["TIT2"]) == "Mini (from step 2: Strokes)"
    assert str(part.tags["TALB"]) == "Mini"
    assert str(part.tags["COMM::eng"]).startswith(
        "from step 2 of 2 (a partial session), pace normal"
    )
    assert result.stdout.startswith("Wrote mini-from-2.mp3 (")


@pytest.mark.parametrize(
    "args, message",
    [
        (["script", "anma", "--from", "9"], "--from 9: Anma facial massage has steps 1 to 6"),
        (
            ["export", "anma", "--from", "nose"],
            "--from nose: no step by that number or title; steps: 1 Cheek circles;",
        ),
        (["play", "anma", "--from", "2", "--resume"], "--resume and --from: give one of them"),
    ],
)
def test_bad_from(capsys, args, message):
    status, out, err = _run(capsys, *args)
    assert status == 2
    assert err.startswith(f"coach: {message}") and err.count("\n") == 1


# ---- sounds -----------------------------------------------------------------------------------


def test_sounds_lists_every_sound_and_its_file(capsys, tmp_path, own_folders):

    status, out, _ = _run(capsys, "sounds")
    assert status == 0
    rows = dict(l.split(None, 1) for l in out.splitlines()[1:])
    from coach.sounds import Sound
    from coach.tones import sounds_dir

    assert list(rows) == [s.value for s in Sound]
    assert rows["bell"] == f"{sounds_dir() / 'bell.wav'} (built-in)"
    pack = tmp_path / "pack"
    pack.mkdir()
    make_sound(pack / "bell.flac", "sine=duration=0.5")
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text(f'sounds = "{pack}"\n')
    status, out, _ = _run(capsys, "sounds", "bell", "end")
    assert status == 0
    assert out.splitlines()[1:] == [
        f"bell      {pack / 'bell.flac'}",
        f"end       {sounds_dir() / 'end.wav'} (built-in)",
    ]
    status, _, err = _run(capsys, "sounds", "gong")
    assert status == 2 and err.startswith("coach: sound 'gong': no such sound; sounds: circle, ")


def _sine(path: Path, seconds: float = 0.5) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=duration={seconds}", str(path)],
        check=True,
    )
    return path


def test_sounds_checks_the_folder_given_with_sounds(capsys, tmp_path):
    status, out, err = _run(capsys, "sounds", "--sounds", tmp_path / "nowhere")
    assert (status, out) == (2, "")
    assert err == f"coach: --sounds {tmp_path / 'nowhere'}: no such folder\n"
    pack = tmp_path / "pack"
    pack.mkdir()
    _sine(pack / "bell.wav")
    (pack / "bell.wav.bak").write_bytes((pack / "bell.wav").read_bytes())  # not a second bell
    _sine(pack / "gong.wav")
    status, out, err = _run(capsys, "sounds", "BELL", "Stroke", "--sounds", pack)
    assert status == 0, err
    from coach.tones import sounds_dir

    assert out.splitlines()[1:] == [
        f"bell      {pack / 'bell.wav'}",
        f"stroke    {sounds_dir() / 'stroke.wav'} (built-in)",
    ]
    assert err == (
        f"coach: --sounds {pack}: ignored bell.wav.bak, gong.wav (not named after a "
        "sound: circle, stroke, press, pluck, pulse, hold, release, sustain, bell, start, end)\n"
    )


def test_a_bare_name_is_a_routine_even_with_a_file_of_that_name_here(tmp_path):
    (tmp_path / "neck").write_text("notes: do the neck routine daily\n")
    (tmp_path / "quick").write_text((ROOT / "coach" / "routines" / "neck.toml").read_text())
    neck = run_coach("script", "neck", cwd=tmp_path)
    assert neck.returncode == 0, neck.stderr
    assert neck.stdout.startswith("Neck strokes")
    quick = run_coach("script", "quick", cwd=tmp_path)
    assert quick.returncode == 0 and quick.stdout.startswith("Quick anma")
    assert run_coach("script", "./quick", cwd=tmp_path).stdout == neck.stdout
    nope = run_coach("script", "./nope.toml", cwd=tmp_path)
    assert (nope.returncode, nope.stderr) == (2, "coach: ./nope.toml: no such routine file\n")


def test_new_over_a_builtin_says_so_and_how_to_get_it_back(own_folders):
    made = run_coach("new", "anma")
    path = own_folders["config"] / "routines" / "anma.toml"
    assert made.returncode == 0 and made.stdout == f"{path}\n"
    assert made.stderr == (
        f"coach: your {path} is used in place of the built-in 'anma'; remove "
        "or rename it to get the built-in back\n"
    )
    path.write_text("title = \n")
    broken = run_coach("script", "anma")
    assert broken.returncode == 2
    assert broken.stderr.rstrip().endswith("remove or rename it to get the built-in back)")
    listed = run_coach("routines")
    assert "remove or rename it to get the built-in back" in listed.stderr
    path.unlink()
    assert run_coach("script", "anma").returncode == 0


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask_as_exports_do(own_folders, tmp_path, mini_path, umask, mode):
    import os
    import stat

    from conftest import coach_bin

    def run(*args: str) -> None:
        done = subprocess.run(
            [str(coach_bin()), *args],
            capture_output=True,
            text=True,
            preexec_fn=lambda: os.umask(umask),
            env={**os.environ, "EDITOR": "true"},
        )
        assert done.returncode == 0, done.stderr

    run("new", "mine")
    run("config", "--edit")
    run("export", str(mini_path), "-o", str(tmp_path / "q.wav"))
    for path in (
        own_folders["config"] / "routines" / "mine.toml",
        own_folders["config"] / "config.toml",
        tmp_path / "q.wav",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


# ---- completion ---------------------------------------------------------------------------------


def _complete(words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the command line ``words`` (the last word partial)."""
    parts = words.split(" ")
    result = run_coach(
        env={
            "_COACH_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
            **(env or {}),
        }
    )
    assert result.returncode == 0, result.stderr
    return [
        line.partition(",")[2] for line in result.stdout.splitlines() if line.startswith("plain,")
    ]


def test_completion_of_routine_names_built_in_and_yours(own_folders):
    assert _complete("coach play ") == ["anma", "evening", "neck", "quick"]
    assert _complete("coach export e") == ["evening"]
    assert run_coach("new", "evening-short").returncode == 0
    assert _complete("coach play ev") == ["evening", "evening-short"]
    assert _complete("coach routines --show n") == ["neck"]


def test_completion_of_commands_options_and_sounds():
    assert _complete("coach ro") == ["routines"]
    assert "--resume" in _complete("coach play --re")
    assert _complete("coach sounds b") == ["bell"]
    assert _complete("coach sounds s") == ["stroke", "sustain", "start"]


def test_completion_of_voices():
    offered = _complete("coach play --voice en-g")
    assert offered and all(v.startswith("en-g") for v in offered)
    assert "en-gb-x-rp" in offered


@pytest.mark.parametrize(
    "shell, marker",
    [
        ("bash", "complete -F _coach_completion coach"),
        ("zsh", "#compdef coach"),
        ("fish", "complete --command coach"),
    ],
)
def test_completion_prints_the_script(shell, marker):
    result = run_coach("completion", shell)
    assert result.returncode == 0
    assert marker in result.stdout and "_COACH_COMPLETE" in result.stdout


# ---- standard output: a reader that stops, a full disk, none at all --------------------


def _closed_pipe() -> int:
    """The write end of a pipe whose reader has already gone: every write is EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize(
    "args",
    [
        ["voices"],
        ["script", "neck"],
        ["script", "--json", "quick"],
        ["routines"],
        ["completion", "bash"],
        ["cache"],
        ["sounds"],
        ["stats"],
        ["log", "--csv"],
        ["programs"],
    ],
    ids=" ".join,
)
def test_a_listing_whose_reader_has_gone_ends_quietly_with_status_0(args):
    # `coach voices | head -1` was status 1 with no message in 3 runs of 4.
    write = _closed_pipe()
    try:
        r = subprocess.run(
            [str(coach_bin()), *args], stdout=write, stderr=subprocess.PIPE, text=True, timeout=300
        )
    finally:
        os.close(write)
    assert (r.returncode, r.stderr) == (0, "")


def test_coach_piped_into_head_in_a_real_shell():
    for command in ("voices", "script neck"):
        r = subprocess.run(
            ["bash", "-o", "pipefail", "-c", f"'{coach_bin()}' {command} | head -1"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert (r.returncode, r.stderr) == (0, ""), command
        assert r.stdout.count("\n") == 1


@pytest.mark.parametrize(
    "args", [["script", "neck"], ["routines"], ["completion", "bash"]], ids=" ".join
)
def test_a_listing_to_a_full_disk_is_status_3_and_one_line(args):
    with open("/dev/full", "wb") as full:
        r = subprocess.run(
            [str(coach_bin()), *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=300
        )
    assert r.returncode == 3
    assert one_line(r.stderr) == "coach: standard output: the disk is full"

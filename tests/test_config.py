"""The settings file: coach.config, and its precedence as `coach config` shows it and as
the other commands use it (default < settings file < COACH_CONFIG file < command line)."""

from __future__ import annotations

import os
import re

import pytest

from coach import cli, config
from coach.errors import InputError
from conftest import make_sound, one_line, probe, run_coach

# For every key: a value in the default settings file, another in the COACH_CONFIG file,
# a third on the command line (None: no such option), each as `coach config` shows it.
LAYERS: dict[str, tuple[str, str, list[str] | None, str, str, str]] = {
    # key: (file value, COACH_CONFIG value, command line, shown for each)
    "pace": ('"slow"', '"fast"', ["--pace", "normal"], '"slow"', '"fast"', '"normal"'),
    "voice": (
        '"en-us"',
        '"en-gb"',
        ["--voice", "en-gb-x-rp"],
        '"en-us" (espeak:gmw/en-us)',
        '"en-gb" (espeak:gmw/en)',
        '"en-gb-x-rp" (espeak:gmw/en-gb-x-rp)',
    ),
    "rate": ("120", "150", ["--rate", "170"], "120", "150", "170"),
    "talk": ('"less"', '"more"', ["--talk", "normal"], '"less"', '"more"', '"normal"'),
    "count": ("true", "false", ["--count"], "true", "false", "true"),
    "mono": ("true", "false", ["--mono"], "true", "false", "true"),
    "tone-volume": ("-6", "3.5", ["--tone-volume", "-12"], "-6", "3.5", "-12"),
    "no-tones": ("true", "false", ["--no-tones"], "true", "false", "true"),
    "sounds": ('"packs/a"', '"packs/b"', ["--sounds", "PACK_C"], "A", "B", "C"),
    "bed": ('"rain"', '"waves"', None, '"rain"', '"waves"', ""),
    "bed-volume": ("-10", "-3", None, "-10", "-3", ""),
    "output-dir": ('"out/a"', '"out/b"', None, "A", "B", ""),
    "history": ("false", "true", None, "false", "true", ""),
    "streaks": ("false", "true", None, "false", "true", ""),
    "day-starts": ('"05:30"', '"00:00"', None, '"05:30"', '"00:00"', ""),
    "language": ('"ja-JP"', '"DE"', None, '"ja"', '"de"', ""),
}


def test_every_key_has_layers():
    assert set(LAYERS) == set(config.KEYS)


def _shown(capsys, *args: str) -> dict[str, tuple[str, str]]:
    """`coach config ARGS` in-process: {key: (value, source)}."""
    status = cli.run(["config", *args])
    out = capsys.readouterr()
    assert status == 0, out.err
    rows = {}
    for line in out.out.splitlines()[1:-1]:
        key, value, source = re.match(r"(\S+)\s+(\S+(?: \S+)*?)\s{2,}(.+)$", line).groups()
        rows[key] = (value, source)
    return rows


@pytest.mark.parametrize("key", list(LAYERS))
def test_precedence_for_every_key(key, capsys, own_folders, tmp_path, monkeypatch):
    in_file, in_env, typed, show_file, show_env, show_typed = LAYERS[key]
    for sub in ("packs/a", "packs/b", "pack_c"):
        (tmp_path / sub).mkdir(parents=True)
    folder = own_folders["config"]
    folder.mkdir(parents=True)
    default_file = folder / "config.toml"
    other = tmp_path / "other.toml"

    def expect(shown: str) -> str:
        return {
            "A": str(folder / ("packs/a" if key == "sounds" else "out/a")),
            "B": str(tmp_path / ("packs/b" if key == "sounds" else "out/b")),
            "C": str(tmp_path / "pack_c"),
        }.get(shown, shown).join('""' if len(shown) == 1 else ("", ""))

    # 1. Nothing set: the default.
    value, source = _shown(capsys)[key]
    assert source == "default"
    assert value == ('"hibari:heart"' if key == "voice" else config.show(config.KEYS[key].default))
    # 2. The default settings file.
    default_file.write_text(f"{key} = {in_file}\n")
    if key == "sounds":
        (folder / "packs" / "a").mkdir(parents=True)
    assert _shown(capsys)[key] == (expect(show_file), str(default_file))
    # 3. COACH_CONFIG replaces that file.
    other.write_text(f"{key} = {in_env}\n")
    monkeypatch.setenv("COACH_CONFIG", str(other))
    assert _shown(capsys)[key] == (expect(show_env), str(other))
    # 4. The command line wins over both.
    if typed is not None:
        args = [str(tmp_path / "pack_c") if a == "PACK_C" else a for a in typed]
        assert _shown(capsys, *args)[key] == (expect(show_typed), "command line")


def test_the_command_line_can_turn_off_what_the_file_turns_on(capsys, own_folders):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text(
        "count = true\nmono = true\nno-tones = true\n"
    )
    shown = _shown(capsys, "--no-count", "--stereo", "--tones")
    assert {k: shown[k] for k in ("count", "mono", "no-tones")} == {
        "count": ("false", "command line"),
        "mono": ("false", "command line"),
        "no-tones": ("false", "command line"),
    }


def test_typing_the_default_value_still_counts_as_the_command_line(capsys, own_folders):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text('pace = "slow"\n')
    assert _shown(capsys, "--pace", "normal")["pace"] == ('"normal"', "command line")
    assert _shown(capsys, "-p", "normal")["pace"] == ('"normal"', "command line")


# ---- the settings reach the session ----------------------------------------------------------


def test_script_follows_the_settings_file_and_the_command_line(own_folders, mini_path):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text(
        'pace = "slow"\ntalk = "less"\ncount = true\n'
    )
    result = run_coach("script", mini_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Mini — pace slow, talk less, counting, about 2 min"
    result = run_coach("script", mini_path, "--pace", "fast", "--no-count")
    assert result.stdout.splitlines()[0].startswith("Mini — pace fast, talk less, about")


def test_export_follows_output_dir_and_mono_from_the_file(own_folders, mini_path, tmp_path):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text(
        f'output-dir = "{tmp_path / "music"}"\nmono = true\n'
    )
    (tmp_path / "music").mkdir()
    result = run_coach("export", mini_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    made = tmp_path / "music" / "mini.mp3"
    assert probe(made)["streams"][0]["channels"] == 1
    assert not (tmp_path / "mini.mp3").exists()


# ---- a bad settings file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'pace = "slo"\n',
            "config.toml: line 1: pace: must be one of slow, normal, fast (did you mean 'slow'?)",
        ),
        (
            "\n\ntone_volume = 3\n",
            "config.toml: line 3: tone_volume: unknown key (did you mean 'tone-volume'?); known keys: bed, ",
        ),
        ("rate = 1000\n", "config.toml: line 1: rate: must be a whole number from 80 to 900"),
        ("rate = 150.5\n", "config.toml: line 1: rate: must be a whole number from 80 to 900"),
        ('mono = "yes"\n', "config.toml: line 1: mono: must be true or false"),
        ("tone-volume = 11\n", "config.toml: line 1: tone-volume: must be a number from -30 to 10"),
        ('"voice" = ""\n', "config.toml: line 1: voice: must be non-empty text in quotes"),
        ("[pace]\nx = 1\n", "config.toml: line 1: pace: must be non-empty text in quotes"),
        ("pace = \n", "config.toml: line 1, column 8: not valid TOML: invalid value"),
        (
            'day-starts = "4am"\n',
            'config.toml: line 1: day-starts: must be a time of day as "HH:MM", 00:00 to 23:59',
        ),
        (
            'day-starts = "24:00"\n',
            'config.toml: line 1: day-starts: must be a time of day as "HH:MM"',
        ),
        ("history = 0\n", "config.toml: line 1: history: must be true or false"),
        (
            'language = "xx"\n',
            "config.toml: line 1: language: xx: coach speaks en, ja, de, fr, es; a language "
            "needs a complete catalog of coach's phrases (see README)",
        ),
    ],
)
def test_bad_settings_file(own_folders, text, message):
    own_folders["config"].mkdir(parents=True)
    path = own_folders["config"] / "config.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        config.load()
    assert str(info.value).startswith(f"{path.parent}/{message}")


def test_bad_settings_file_stops_every_session_command_with_one_line(
    own_folders, mini_path, tmp_path
):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text('pace = "brisk"\n')
    for args in (
        ["script", mini_path],
        ["export", mini_path, "-o", tmp_path / "x.mp3"],
        ["play", mini_path],
        ["config"],
    ):
        result = run_coach(*args)
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("coach: ")
        assert "config.toml: line 1: pace: must be one of slow, normal, fast" in result.stderr
        assert result.stdout == ""
    assert not (tmp_path / "x.mp3").exists()


def test_twenty_thousand_unknown_keys_are_one_line_with_their_lines(own_folders, monkeypatch):
    # A line search per key (a regex compiled and the text scanned twice) made this take
    # 110 s; lines come from one pass, did-you-means only for the ten shown.
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(
        difflib, "get_close_matches", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    own_folders["config"].mkdir(parents=True)
    path = own_folders["config"] / "config.toml"
    path.write_text(
        'pace = "slow"\n'
        + "".join(f"k{i} = 1\n" for i in range(20_000))
        + '"quoted key" = 1\n[table]\n'
    )
    with pytest.raises(InputError) as info:
        config.load()
    message = str(info.value)
    assert message.startswith(f"{path}: 20002 problems: line 2: k0: unknown key")
    assert "line 11: k9: unknown key" in message and message.endswith("; and 19992 more")
    assert len(calls) == 10
    path.write_text("\n\"rate\" = 1\n['bed']\n")
    with pytest.raises(InputError) as info:
        config.load()
    assert str(info.value) == (
        f"{path}: 2 problems: line 2: rate: must be a whole number from 80 to 900 (words per "
        "minute 80-400; in Japanese, morae per minute 150-900); line 3: bed: must be non-empty "
        "text in quotes"
    )


def test_a_fifo_as_the_settings_file_is_one_line(own_folders, mini_path):
    # Every command read it, and waited for a writer forever.
    own_folders["config"].mkdir(parents=True)
    path = own_folders["config"] / "config.toml"
    os.mkfifo(path)
    r = run_coach("script", mini_path, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert one_line(r.stderr) == f"coach: {path}: is a named pipe (FIFO), not a settings file"


def test_missing_coach_config_file_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(InputError, match="nope.toml: no such settings file"):
        config.load()


# ---- coach config --edit --------------------------------------------------------------------------


def test_edit_creates_a_commented_file_and_opens_the_editor(own_folders, tmp_path):
    seen = tmp_path / "seen"
    editor = tmp_path / "editor"
    editor.write_text(f'#!/bin/sh\ncp "$1" {seen}\n')
    editor.chmod(0o755)
    result = run_coach("config", "--edit", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.returncode == 0, result.stderr
    path = own_folders["config"] / "config.toml"
    assert seen.read_text() == path.read_text()
    assert config.load().values == {}  # every key is commented out: valid, sets nothing
    for key in config.KEYS:
        assert f"# {key} = " in path.read_text()
    # Uncommenting any line gives a valid file.
    path.write_text(
        "\n".join(l.lstrip("# ") if " = " in l else l for l in path.read_text().splitlines())
    )
    assert set(config.load().values) == set(config.KEYS)


def test_edit_opens_a_broken_file_and_checks_it_when_the_editor_closes(own_folders, tmp_path):
    own_folders["config"].mkdir(parents=True)
    path = own_folders["config"] / "config.toml"
    path.write_text("pace = \n")
    result = run_coach("config", "--edit", env={"EDITOR": "true", "VISUAL": ""})
    assert (result.returncode, result.stderr) == (
        2,
        f"coach: {path}: line 1, column 8: not valid TOML: invalid value\n",
    )
    assert path.read_text() == "pace = \n"
    # An edit that leaves a duplicate key is caught at once, not by the next command.
    editor = tmp_path / "editor"
    editor.write_text('#!/bin/sh\nprintf \'pace = "slow"\\npace = "fast"\\n\' > "$1"\n')
    editor.chmod(0o755)
    result = run_coach("config", "--edit", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.returncode == 2
    one_line(result.stderr, f"{path}: line 2", "not valid TOML")
    editor.write_text('#!/bin/sh\nprintf \'pace = "slow"\\n\' > "$1"\n')
    result = run_coach("config", "--edit", env={"EDITOR": str(editor), "VISUAL": ""})
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    "env, status, message",
    [
        (
            {"EDITOR": "vim 'oops", "VISUAL": ""},
            2,
            "coach: $EDITOR vim 'oops: cannot be read as a command (No closing quotation); fix $EDITOR\n",
        ),
        (
            {"EDITOR": "false", "VISUAL": ""},
            2,
            "Created {path}\ncoach: $EDITOR false exited with status 1; {path} was not checked\n",
        ),
        (
            {"EDITOR": "true", "VISUAL": "nope"},
            3,
            "coach: $VISUAL nope: no such program; set VISUAL or EDITOR, or edit {path}\n",
        ),
        ({"EDITOR": "   ", "VISUAL": " "}, 0, "Created {path}\n"),  # blank is not set: vi
        ({"EDITOR": "", "VISUAL": ""}, 0, "Created {path}\n"),
    ],
)
def test_edit_with_a_bad_or_blank_editor(own_folders, tmp_path, env, status, message):
    import shutil

    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "vi").write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "vi-ran"}\n')
    (folder / "vi").chmod(0o755)
    for tool in ("false", "true"):
        (folder / tool).symlink_to(shutil.which(tool))
    path = own_folders["config"] / "config.toml"
    result = run_coach("config", "--edit", env={**env, "PATH": f"{folder}:/usr/bin:/bin"})
    assert (result.returncode, result.stderr) == (status, message.format(path=path))
    assert (tmp_path / "vi-ran").exists() == (not env["EDITOR"].strip())
    if not env["EDITOR"].strip():
        assert (tmp_path / "vi-ran").read_text() == f"{path}\n"


def test_edit_never_makes_the_folder_coach_config_names(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COACH_CONFIG", str(tmp_path / "nonexistent" / "c.toml"))
    monkeypatch.setenv("EDITOR", "true")
    status = cli.run(["config", "--edit"])
    assert status == 2
    assert (
        capsys.readouterr().err
        == f"coach: {tmp_path / 'nonexistent' / 'c.toml'}: no such folder for the settings file\n"
    )
    assert not (tmp_path / "nonexistent").exists()


# ---- values from the file are judged as if typed, and reported where they were given --------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'pace = "slow"\nvoice = "zzzz"\n',
            "line 2: voice = \"zzzz\": no such voice here; 'coach voices' lists them",
        ),
        ('sounds = "nope"\n', 'line 1: sounds = "{folder}/nope": no such folder'),
        (
            '\n\nbed = "b.flac"\n',
            'line 3: bed = "{folder}/b.flac": no such file, and not a built-in bed (waves, '
            "rain, drone, or none)",
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["config"],
        ["script", "quick"],
        ["export", "quick", "-o", "x.mp3"],
        ["play", "quick"],
        ["sounds"],
    ],
)
def test_a_bad_value_in_the_file_names_the_file_line_and_key(
    own_folders, capsys, tmp_path, monkeypatch, text, message, command
):
    if (command[0], "sounds" in text) in (("sounds", False), ("script", True)):
        return  # `sounds` reads only the pack; `script` makes no sound, so reads no pack
    monkeypatch.chdir(tmp_path)
    folder = own_folders["config"]
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(text)
    status = cli.run(command)
    out = capsys.readouterr()
    assert (status, out.out) == (2, "")
    assert out.err == f"coach: {folder / 'config.toml'}: {message.format(folder=folder)}\n"
    assert list(tmp_path.iterdir()) == []
    # Typed, the same value is named as the option.
    option = text.split()[0]
    if option != "voice" and command[0] in ("config", "script"):
        status = cli.run([*command, f"--{option}", "nowhere-at-all"])
        assert status == 2 and capsys.readouterr().err.startswith(
            f"coach: --{option} nowhere-at-all: "
        )


def test_every_path_in_the_file_is_from_its_folder_bed_too(
    own_folders, capsys, tmp_path, monkeypatch
):

    monkeypatch.chdir(tmp_path)
    folder = own_folders["config"]
    (folder / "beds").mkdir(parents=True)
    make_sound(folder / "beds" / "b.flac", "sine=duration=3")
    (folder / "config.toml").write_text('bed = "beds/b.flac"\nsounds = "."\noutput-dir = "out"\n')
    shown = _shown(capsys)
    assert shown["bed"] == (f'"{folder / "beds" / "b.flac"}"', str(folder / "config.toml"))
    assert shown["sounds"] == (f'"{folder / "."}"', str(folder / "config.toml"))
    (folder / "config.toml").write_text('bed = "Rain"\n')
    assert _shown(capsys)["bed"][0] == '"Rain"'  # a built-in name stays a name


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--rate", "79"],
            "--rate 79: must be from 80 to 900 (words per minute 80-400; in Japanese, "
            "morae per minute 150-900)",
        ),
        (["--pace", "bogus"], "--pace bogus: must be one of slow, normal, fast"),
        (["--talk", "loud"], "--talk loud: must be one of less, normal, more"),
        (["--tone-volume", "99"], "--tone-volume 99: must be from -30 to 10 dB"),
        (["--bed-volume", "99"], "--bed-volume 99: must be from -30 to 10 dB"),
        (
            ["--bed", "ocean"],
            "--bed ocean: no such file, and not a built-in bed (waves, rain, drone, or none)",
        ),
        (["--voice", "zzz"], "--voice zzz: no such voice here; 'coach voices' lists them"),
        (
            ["-m", "5"],
            "No such option: -m (it is an option of coach script and coach export and coach play "
            "and coach today) (see 'coach config --help')",
        ),
    ],
)
def test_config_refuses_what_play_refuses(capsys, args, message):
    for command in (["config"], ["play", "quick"]):
        if command[0] == "play" and args[0] == "-m":
            continue  # play takes -m (and would play)
        status = cli.run([*command, *args])
        out = capsys.readouterr()
        assert (status, out.out) == (2, ""), command
        assert out.err == f"coach: {message.replace('config', command[0])}\n"


def test_edit_with_a_missing_editor_is_one_line(own_folders):
    result = run_coach("config", "--edit", env={"EDITOR": "no-such-editor-here", "VISUAL": ""})
    assert result.returncode == 3
    assert result.stderr.startswith("coach: $EDITOR no-such-editor-here: no such program")
    assert not (own_folders["config"] / "config.toml").exists()


def test_a_settings_folder_shut_to_coach_is_one_line(own_folders, mini_path):
    # ~/.config/coach mode 000: every session command was an internal error (status 1).
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text('pace = "slow"\n')
    own_folders["config"].chmod(0)
    try:
        for args in (["script", mini_path], ["export", mini_path, "-o", "-"], ["config"]):
            r = run_coach(*args, as_user=True)
            assert r.returncode == 2, args
            assert one_line(r.stderr) == (
                f"coach: {own_folders['config'] / 'config.toml'}: "
                "cannot read it (permission denied)"
            )
    finally:
        own_folders["config"].chmod(0o755)


def test_the_settings_language_chooses_a_routine_written_in_it(own_folders, capsys):
    own_folders["config"].mkdir(parents=True)
    (own_folders["config"] / "config.toml").write_text('language = "ja"\n')

    def header(*args: str) -> tuple[str, str]:
        assert cli.run(["script", *args]) == 0
        out = capsys.readouterr()
        return out.out.splitlines()[0], out.err

    assert header("quick")[0].startswith("短い按摩")  # quick is written in Japanese too
    assert header("quick", "--language", "en")[0].startswith("Quick anma")  # typed wins
    (own_folders["config"] / "config.toml").write_text('language = "de"\n')
    first, said = header("anma")  # anma has no German: its own language, and a word why
    assert first.startswith("Anma facial massage")
    assert said == "coach: anma is not written in German: it is spoken in English\n"
    assert header("quick")[0].startswith("Kurzes Anma")

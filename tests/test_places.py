"""Where coach keeps things: coach.places, one platformdirs call per folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from coach import places
from conftest import coach_bin, empty_home_env, one_line, run_coach


def test_folders_follow_the_xdg_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "k"))
    assert places.config_dir() == tmp_path / "c" / "coach"
    assert places.routines_dir() == tmp_path / "c" / "coach" / "routines"
    assert places.config_file() == tmp_path / "c" / "coach" / "config.toml"
    assert places.state_dir() == tmp_path / "s" / "coach"
    assert places.cache_dir() == tmp_path / "k" / "coach"
    assert not (tmp_path / "c").exists()  # asking creates nothing


def test_without_xdg_variables_the_folders_are_under_home(tmp_path, monkeypatch):
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert places.config_dir() == tmp_path / ".config" / "coach"
    assert places.state_dir() == tmp_path / ".local" / "state" / "coach"
    assert places.cache_dir() == tmp_path / ".cache" / "coach"


def test_coach_config_replaces_the_settings_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_CONFIG", "~/elsewhere.toml")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert places.config_file() == tmp_path / "elsewhere.toml"
    monkeypatch.setenv("COACH_CONFIG", "")
    assert places.config_file() == places.config_dir() / "config.toml"
    assert isinstance(places.config_file(), Path)


# ---- nothing written outside coach's folders ------------------------------------------------

#: Everything coach may write under HOME: its own folders (and the folders above them).
OWN = (".cache/coach/", ".config/coach/", ".local/state/coach/")

#: A real bash asking coach's completion for `coach play --voice <Tab>`, the way the script
#: from `coach completion bash` is installed (bash-completion loaded when it is there).
TAB = """
[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
. <(coach completion bash)
spec=$(complete -p coach); fn=${spec##*-F }; fn=${fn%% *}
COMP_WORDS=(coach play --voice ""); COMP_CWORD=3
COMP_LINE="coach play --voice "; COMP_POINT=${#COMP_LINE}
"$fn" coach "" --voice
printf '%s\\n' "${COMPREPLY[@]}"
"""

FOOTPRINT = {
    "export, neural voice": (["coach", "export", "{routine}", "-o", "out.mp3"], "out.mp3"),
    "export, eSpeak NG": (
        ["coach", "export", "{routine}", "--voice", "espeak:en-us", "-o", "out.mp3"],
        "out.mp3",
    ),
    "export, fallback": (["coach", "export", "{routine}", "-o", "out.mp3"], "out.mp3"),
    "script, eSpeak NG": (
        ["coach", "script", "--json", "{routine}", "--voice", "espeak:en-gb"],
        '"espeak"',
    ),
    "voices": (["coach", "voices"], "  espeak  "),
    "completion of --voice": (["bash", "-c", TAB], "espeak:"),
}


@pytest.mark.parametrize("case", FOOTPRINT)
def test_nothing_is_written_outside_coach_folders(case, tmp_path, mini_path):
    # What the tester saw: eSpeak NG (through its audio library) created
    # ~/.config/pulse/<machine-id>-runtime and a lasting $TMPDIR/pulse-XXXX/; onnxruntime
    # 1.23+ writes ~/.cache/Microsoft/... unless coach switches it off before it loads;
    # hibari could download into ~/.cache/hibari. Under an empty HOME and TMPDIR (and none
    # of the variables that would keep onnxruntime quiet by themselves), with every engine
    # and every command that starts one, all that is left is in coach's own folders and
    # the file asked for.
    from test_speech_hibari import broken_onnxruntime

    home, tmp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for folder in (tmp, work):
        folder.mkdir()
    env = empty_home_env(
        home, TMPDIR=str(tmp), PATH=os.pathsep.join([str(coach_bin().parent), os.environ["PATH"]])
    )
    if case == "export, fallback":
        env["PYTHONPATH"] = broken_onnxruntime(tmp_path)["PYTHONPATH"]
    command, expected = FOOTPRINT[case]
    r = subprocess.run(
        [arg.replace("{routine}", str(mini_path)) for arg in command],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert expected in r.stdout or (work / expected).exists(), r.stdout[-500:]
    written = sorted(
        str(p.relative_to(home)) + ("/" if p.is_dir() else "") for p in home.rglob("*")
    )
    stray = [w for w in written if not any(w.startswith(own) or own.startswith(w) for own in OWN)]
    assert stray == [], stray
    assert list(tmp.iterdir()) == []
    assert [p.name for p in work.iterdir()] == ([expected] if expected == "out.mp3" else [])


@pytest.mark.parametrize(
    "setting, args, message",
    [
        (
            'output-dir = "~nosuchuser/x"',
            [],
            "config.toml: line 1: output-dir: ~nosuchuser/x: no such user's home folder",
        ),
        (
            'sounds = "~nosuchuser"',
            [],
            "config.toml: line 1: sounds: ~nosuchuser: no such user's home folder",
        ),
        ("", ["--bed", "~nosuchuser/x"], "--bed ~nosuchuser/x: no such user's home folder"),
        ("", ["--sounds", "~nosuchuser"], "--sounds ~nosuchuser: no such user's home folder"),
        (None, [], "COACH_CONFIG ~nosuchuser/c.toml: no such user's home folder"),
    ],
    ids=["output-dir", "sounds", "--bed", "--sounds", "COACH_CONFIG"],
)
def test_a_home_folder_of_no_such_user_is_one_line(
    own_folders, mini_path, tmp_path, setting, args, message
):
    # Each was an internal error (RuntimeError from Path.expanduser), status 1.
    env = {"COACH_CONFIG": "~nosuchuser/c.toml"} if setting is None else {}
    if setting:
        own_folders["config"].mkdir(parents=True)
        (own_folders["config"] / "config.toml").write_text(setting + "\n")
    r = run_coach("export", mini_path, *args, cwd=tmp_path, env=env)
    assert r.returncode == 2
    one_line(r.stderr, message)
    assert list(tmp_path.iterdir()) == [mini_path]


def test_expand_user():
    assert places.expand_user("~root/x") == Path(os.path.expanduser("~root")) / "x"
    with pytest.raises(ValueError, match="no such user's home folder"):
        places.expand_user("~nosuchuser")

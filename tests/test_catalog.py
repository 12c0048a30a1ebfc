"""Routines by name: coach.catalog (built-in and the user's, the starter routine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.catalog import (
    builtin,
    builtin_names,
    catalog,
    create,
    is_path,
    languages_of,
    resolve,
    starter,
)
from coach.errors import InputError
from coach.routine import Motion
from coach.routinefile import loads
from conftest import GOOD, MINI, one_line, run_coach


def test_resolve_builtin_name_or_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert resolve("anma") == builtin("anma")
    path = tmp_path / "mine.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert resolve(str(path)).source == str(path)
    plain = tmp_path / "plain"  # no .toml suffix: a path because it has a slash
    plain.write_text(GOOD, encoding="utf-8")
    assert resolve(str(plain)).name == "plain"
    monkeypatch.chdir(tmp_path)
    assert resolve("./plain").title == "T"  # a file here: a path has a slash
    assert resolve("mine.toml").name == "mine"


def test_a_bare_name_is_a_routine_whatever_the_current_folder_holds(tmp_path, monkeypatch):
    from importlib import resources

    monkeypatch.chdir(tmp_path)
    (tmp_path / "neck").write_text("my notes about the neck, not TOML\n")
    (tmp_path / "quick").write_text(
        (resources.files("coach") / "routines" / "neck.toml").read_text()
    )
    assert resolve("neck") == builtin("neck")
    assert resolve("quick") == builtin("quick")
    assert resolve("./quick").title == builtin("neck").title
    (tmp_path / "notes").write_text(GOOD)
    with pytest.raises(
        InputError, match=r"no routine named 'notes' \(for the file 'notes' here, give ./notes\)"
    ):
        resolve("notes")


def test_a_path_is_named_as_the_user_spelled_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^\./nope\.toml: no such routine file$"):
        resolve("./nope.toml")
    (tmp_path / "bad.toml").write_text("title = \n")
    with pytest.raises(InputError, match=r"^\./bad\.toml: line 1, column 9: "):
        resolve("./bad.toml")


def test_a_broken_routine_of_yours_says_how_to_get_the_builtin_back(own_folders):
    mine = own_folders["config"] / "routines" / "anma.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text("title = \n")
    with pytest.raises(InputError) as info:
        resolve("anma")
    assert str(info.value) == (
        f"{mine}: line 1, column 9: not valid TOML: invalid value (your {mine} "
        "is used in place of the built-in 'anma'; remove or rename it to get "
        "the built-in back)"
    )
    mine.unlink()
    assert resolve("anma") == builtin("anma")


def test_resolve_unknown_name_lists_the_routines(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(InputError) as info:
        resolve("anmaa")
    message = str(info.value)
    assert message.startswith("no routine named 'anmaa' (did you mean 'anma'?); routines: ")
    assert "anma" in message and ".toml" in message


def test_resolve_missing_toml_path():
    with pytest.raises(InputError, match=r"^nowhere\.toml: no such routine file$"):
        resolve("nowhere.toml")


def test_new_writes_a_commented_valid_starter_with_sides_and_a_hold(own_folders):
    path = create("my-face")
    assert path == own_folders["config"] / "routines" / "my-face.toml"
    text = path.read_text("utf-8")
    assert text.count("#") > 10
    r = resolve("my-face")
    assert r.name == "my-face" and r.title == "My face"
    phases = [p for s in r.steps for p in s.phases]
    assert any(p.sides for p in phases) and any(p.hold for p in phases)
    assert any(p.motion is Motion.HOLD for p in phases)
    assert not list(path.parent.glob(".*"))  # no temporary file left


def test_new_never_overwrites_without_force(own_folders):
    path = create("mine")
    path.write_text(GOOD)
    with pytest.raises(InputError, match=r"mine\.toml: already exists; .*--force"):
        create("mine")
    assert path.read_text() == GOOD
    create("mine", force=True)
    assert resolve("mine").title == "Mine"


@pytest.mark.parametrize("name", ["", "a/b", "../up", ".hidden", "with space", "x" * 65])
def test_new_refuses_names_that_are_not_names(name):
    with pytest.raises(InputError, match="a routine name is 1-64 letters"):
        create(name)


def test_user_routine_takes_a_builtin_name_and_a_broken_one_hides_nothing(own_folders):
    folder = own_folders["config"] / "routines"
    folder.mkdir(parents=True)
    (folder / "anma.toml").write_text(GOOD)
    (folder / "broken.toml").write_text(GOOD.replace("reps = 2", "reps = 0"))
    (folder / "fine.toml").write_text(MINI)
    (folder / "notes.txt").write_text("not a routine")
    assert resolve("anma").title == "T"  # the user's, in place of the built-in
    entries = {e.name: e for e in catalog()}
    assert set(entries) == {"anma", "broken", "fine", "evening", "neck", "quick"}
    assert entries["anma"].user and entries["anma"].shadows and entries["anma"].routine.title == "T"
    assert entries["broken"].routine is None
    assert (
        entries["broken"].error
        == f"{folder / 'broken.toml'}: line 6: steps[0].reps: must be a whole number from 1 to 200"
    )
    assert entries["fine"].routine.title == "Mini" and not entries["fine"].shadows
    assert not entries["quick"].user and entries["quick"].routine == builtin("quick")


def test_the_starter_is_a_valid_routine_file(tmp_path: Path):
    # coach/starter.toml as shipped, its placeholders filled, loads as a routine, and every
    # key a routine file takes is shown in it.
    text = starter("my-face", tmp_path / "my-face.toml")
    r = loads(text, name="my-face", source="starter.toml")
    assert r.title == "My face" and len(r.steps) == 2
    for key in (
        "summary",
        "intro",
        "outro",
        "say",
        "motion",
        "reps",
        "seconds",
        "sides",
        "hold",
        "coaching",
        "resting",
    ):
        assert f"\n{key} = " in text


def test_is_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain").write_text("")
    assert is_path("x.toml") and is_path("a/b") and is_path("./plain")
    assert not is_path("anma") and not is_path("my-face") and not is_path("plain")


def test_new_into_a_shut_routines_folder_is_one_line(own_folders):
    # `coach new` into a mode-000 folder was an internal error (PermissionError).
    folder = own_folders["config"] / "routines"
    folder.mkdir(parents=True)
    folder.chmod(0)
    try:
        r = run_coach("new", "mine", as_user=True)
    finally:
        folder.chmod(0o755)
    assert r.returncode == 2
    assert (
        one_line(r.stderr) == f"coach: {folder / 'mine.toml'}: cannot write it: Permission denied"
    )
    assert list(folder.iterdir()) == []


def _shape(routine):
    """Everything but the words: what the hands do and when."""
    return [
        (
            len(step.phases),
            [
                (
                    p.motion,
                    p.reps,
                    p.seconds,
                    p.hold,
                    p.sides,
                    bool(p.say),
                    getattr(p, "resting", False),
                    len(getattr(p, "coaching", ())),
                )
                for p in step.phases
            ],
            bool(step.say),
        )
        for step in routine.steps
    ]


@pytest.mark.parametrize("name", builtin_names())
def test_every_language_of_a_built_in_has_the_same_steps_motions_and_timings(name):
    english = resolve(name)
    langs = languages_of(name, english)
    assert langs[0] == "en"
    for code in langs[1:]:
        other = resolve(name, code)
        assert other.language == code and other.name == name
        assert _shape(other) == _shape(english), (name, code)
        assert bool(other.intro) == bool(english.intro) and bool(other.outro) == bool(english.outro)
        assert other.title != english.title  # written in that language, not left in English


def test_anma_is_written_in_japanese():
    assert languages_of("anma", resolve("anma"))[:2] == ["en", "ja"]
    ja = resolve("anma", "ja")
    assert ja.source == "ja/anma.toml"
    text = ja.intro + "".join(s.title + s.say for s in ja.steps)
    assert sum(ch.isascii() and ch.isalpha() for ch in text) == 0


def test_a_language_a_routine_is_not_written_in_is_named(tmp_path):
    with pytest.raises(InputError, match=r"^--language de: anma is written in en, ja$"):
        resolve("anma", "de")
    with pytest.raises(InputError, match=r"^--language tlh: coach speaks en, ja"):
        resolve("anma", "tlh")


def test_a_file_s_translation_sits_beside_it(mini_ja_path):
    assert resolve(str(mini_ja_path)).language == "en"
    assert resolve(str(mini_ja_path), "ja").title == "ミニ"
    assert resolve(str(mini_ja_path), "en").title == "Mini"


def test_a_translation_saying_another_language_is_refused(mini_ja_path):
    bad = mini_ja_path.parent / "ja" / "mini.toml"
    bad.write_text(
        bad.read_text(encoding="utf-8").replace('language = "ja"', 'language = "en"'),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="language: is 'en', but the file is the 'ja' translation"):
        resolve(str(mini_ja_path), "ja")


def test_a_shut_routines_folder_is_one_line_not_an_empty_folder(own_folders):
    # Taken for empty, it listed no routine of yours and said "no routine named 'mine'".
    folder = own_folders["config"] / "routines"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.toml").write_text("")
    folder.chmod(0)
    try:
        for args in (("routines",), ("script", "mine")):
            r = run_coach(*args, as_user=True)
            assert r.returncode == 2, (args, r.stderr)
            assert one_line(r.stderr) == f"coach: {folder}: cannot be read (permission denied)"
    finally:
        folder.chmod(0o755)

"""Where the last play stopped: coach.resume, in the state folder."""

from __future__ import annotations

import json
import os

from coach import resume
from coach.catalog import builtin
from coach.routinefile import loads
from conftest import MINI


def test_remember_recall_forget(own_folders):
    anma = builtin("anma")
    assert resume.recall("anma", anma) is None
    resume.remember("anma", anma, 3)
    saved = json.loads((own_folders["state"] / "resume.json").read_text())
    assert saved == {"anma": {"step": 3, "title": "Brows, eyes and forehead"}}
    assert resume.recall("anma", anma) == 3
    assert resume.recall("quick", builtin("quick")) is None  # kept per routine
    resume.forget("anma")
    assert resume.recall("anma", anma) is None
    assert not list(own_folders["state"].glob(".*"))  # no temporary file left


def test_a_step_is_found_again_by_its_title_then_by_its_index(own_folders):
    mini = loads(MINI)
    resume.remember("mini", mini, 1)
    moved = loads(MINI.replace('title = "Circles"', 'title = "Small circles"'))
    assert resume.recall("mini", moved) == 1
    reordered = loads(MINI.replace('title = "Strokes"', 'title = "Upward strokes"'))
    assert resume.recall("mini", reordered) == 1  # the title is gone: the index ...
    assert resume.recorded_title("mini") == "Strokes"  # ... and what it was, to say so
    shorter = loads(
        MINI.split("[[steps]]")[0]
        + "[[steps]]"
        + MINI.split("[[steps]]")[1].replace('title = "Circles"', 'title = "Other"')
    )
    assert resume.recall("mini", shorter) is None  # neither: start afresh


def test_a_damaged_state_file_is_no_state(own_folders):
    own_folders["state"].mkdir(parents=True)
    (own_folders["state"] / "resume.json").write_text("{not json")
    assert resume.recall("anma", builtin("anma")) is None
    resume.remember("anma", builtin("anma"), 1)
    assert resume.recall("anma", builtin("anma")) == 1


def test_a_fifo_in_place_of_the_state_file_is_no_state(own_folders):
    own_folders["state"].mkdir(parents=True)
    os.mkfifo(own_folders["state"] / "resume.json")  # reading it would wait for a writer
    assert resume.recall("anma", builtin("anma")) is None


def test_an_unwritable_state_folder_never_stops_a_session(own_folders):
    own_folders["state"].parent.mkdir(parents=True)
    own_folders["state"].write_text("a file where the folder should be")
    resume.remember("anma", builtin("anma"), 1)  # no error
    assert resume.recall("anma", builtin("anma")) is None


def test_key_is_the_name_or_the_full_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text(MINI)
    assert resume.key("anma") == "anma"
    assert resume.key("mine.toml") == str(tmp_path / "mine.toml")
    assert resume.key("./mine.toml") == resume.key(os.path.join(str(tmp_path), "mine.toml"))

"""The sessions folder: a session rendered by the export job and kept, found again, never
half-kept, trimmed to its bound, cleared (and shown) by `coach cache`."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from coach import choices, sessions
from coach.routinefile import load
from conftest import run_coach


def _options(**chosen: object):
    """Options as the command line makes them, ``chosen`` by parameter name (``bed_volume``)."""
    named = {name.replace("_", "-"): value for name, value in chosen.items()}
    return choices.options(choices.values({}, {}) | named)


@pytest.fixture
def mini(mini_path: Path):
    return load(mini_path, name="mini")


@pytest.mark.slow  # renders sessions
def test_a_kept_session_is_the_file_coach_export_writes(tmp_path, mini, mini_path):
    store = sessions.Store(tmp_path / "sessions")
    options = _options(pace="fast")
    name = sessions.key(mini, options, ".mp3")
    kept = store.render(name, mini, options, ".mp3")
    r = run_coach(
        "export",
        mini_path,
        "--pace",
        "fast",
        "-o",
        tmp_path / "e.mp3",
        "--chapters",
        tmp_path / "e.json",
    )
    assert r.returncode == 0, r.stderr
    assert kept.audio.read_bytes() == (tmp_path / "e.mp3").read_bytes()
    assert kept.chapters.read_bytes() == (tmp_path / "e.json").read_bytes()
    assert kept.size == kept.audio.stat().st_size and len(kept.sha256) == 64
    assert store.find(name) == kept
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        [f"{name}.mp3", f"{name}.json", f"{name}.chapters.json"]
    )


def test_keys_follow_everything_that_decides_the_audio(mini, mini_path):
    base = sessions.key(mini, _options(), ".mp3")
    assert sessions.key(mini, _options(), ".mp3") == base
    others = [
        sessions.key(mini, _options(pace="slow"), ".mp3"),
        sessions.key(mini, _options(bed="rain"), ".mp3"),
        sessions.key(mini, _options(bed="rain", bed_volume=-3), ".mp3"),
        sessions.key(mini, _options(voice="en-us"), ".mp3"),
        sessions.key(mini, _options(mono=True), ".mp3"),
        sessions.key(mini, _options(), ".wav"),
        sessions.key(load(_write(mini_path, "All done", "Done"), name="mini"), _options(), ".mp3"),
    ]
    assert len({base, *others}) == len(others) + 1


def _write(path: Path, old: str, new: str) -> Path:
    changed = path.with_name("changed.toml")
    changed.write_text(path.read_text().replace(old, new))
    return changed


@pytest.mark.slow  # renders sessions
def test_a_session_without_its_record_or_with_a_short_file_is_not_found(tmp_path, mini):
    store = sessions.Store(tmp_path / "s")
    options = _options()
    name = sessions.key(mini, options, ".wav")
    kept = store.render(name, mini, options, ".wav")
    data = kept.audio.read_bytes()
    kept.audio.write_bytes(data[:-10])
    assert store.find(name) is None
    kept.audio.write_bytes(data)
    assert store.find(name) is not None
    (store.root / f"{name}.json").unlink()
    assert store.find(name) is None


@pytest.mark.slow  # loads the voice before the first block
def test_a_stopped_render_leaves_nothing(tmp_path, mini):
    store = sessions.Store(tmp_path / "s")
    options = _options()
    stop = threading.Event()
    stop.set()
    with pytest.raises(sessions.Stopped):
        store.render(sessions.key(mini, options, ".mp3"), mini, options, ".mp3", stop)
    assert list(store.root.iterdir()) == []


@pytest.mark.slow  # renders sessions
def test_the_folder_trims_the_least_recently_used_sessions(tmp_path, mini):
    import os

    store = sessions.Store(tmp_path / "s")
    made = []
    for pace in ("slow", "normal", "fast"):
        options = _options(pace=pace, mono=True)
        name = sessions.key(mini, options, ".mp3")
        made.append((name, store.render(name, mini, options, ".mp3")))
    for age, (name, _) in enumerate(made):  # slow used longest ago
        record = store.root / f"{name}.json"
        os.utime(record, (1_000_000 + age, 1_000_000 + age))
    store.find(made[0][0])  # ... but just now: kept
    slow = sum(p.stat().st_size for p in store.root.glob(f"{made[0][0]}.*"))
    store.max_bytes = int(slow / sessions.TRIM_TO) + 1  # room for that one alone
    assert store.trim() == 2
    assert store.find(made[0][0]) is not None
    assert store.find(made[1][0]) is None and store.find(made[2][0]) is None
    assert store.info().sessions == 1


@pytest.mark.slow  # renders sessions
def test_coach_cache_shows_and_clears_the_sessions(tmp_path, mini):
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    store = sessions.Store(tmp_path / "c" / "coach" / "sessions")
    options = _options()
    store.render(sessions.key(mini, options, ".mp3"), mini, options, ".mp3")
    (store.root / ".leftover.mp3.x.part").write_bytes(b"x")
    r = run_coach("cache", env=env)
    assert r.returncode == 0 and "sessions (coach serve): 1 session," in r.stdout
    r = run_coach("cache", "--clear", env=env)
    assert r.returncode == 0 and "and 1 session from" in r.stdout
    assert list(store.root.iterdir()) == []
    assert json.dumps(store.info().size) == "0"

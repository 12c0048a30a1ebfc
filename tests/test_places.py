"""Where coach keeps things: coach.places, one platformdirs call per folder."""

from __future__ import annotations

from pathlib import Path

from coach import places


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

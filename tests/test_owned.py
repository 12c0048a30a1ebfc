"""Working inside coach's own folders: coach.owned (folders made but never the home
folder, no symbolic link followed, coach's own temporary names)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess

import pytest

from coach import owned, places
from conftest import coach_bin, empty_home_env, run_in_empty_home


def test_a_missing_home_is_never_made(tmp_path, monkeypatch):
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "nonexistent"))
    own = (
        places.cache_dir() / "clips" / "ab",
        places.state_dir(),
        places.routines_dir(),
        places.data_dir(),
    )
    for folder in own:
        with pytest.raises(FileNotFoundError):
            owned.make_folder(folder)
    assert list(tmp_path.iterdir()) == []
    # A home without ~/.cache or ~/.local yet is an ordinary new account: the XDG folders
    # are made (~/.local/state/coach as well as ~/.cache/coach).
    (tmp_path / "nonexistent").mkdir()
    for folder in own:
        owned.make_folder(folder)
        assert folder.is_dir()
    assert (tmp_path / "nonexistent" / ".local" / "state" / "coach").is_dir()
    # XDG_STATE_HOME=/x/state: /x must be there; the base itself is made.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "x" / "state"))
    with pytest.raises(FileNotFoundError):
        owned.make_folder(places.state_dir())
    (tmp_path / "x").mkdir()
    owned.make_folder(places.state_dir())
    assert (tmp_path / "x" / "state" / "coach").is_dir()
    # A folder that is not coach's is made as asked, parents and all.
    owned.make_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_a_new_account_keeps_its_program_and_its_server_token(tmp_path):
    # A new account has no ~/.local: `coach program start` and `coach serve` refused to
    # make ~/.local/state/coach ("no such folder").
    home = tmp_path / "home"
    r, written = run_in_empty_home(home, "program", "start", "four-weeks", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert written == [".local/state/coach/program.json"]
    from coach.serve import access

    env = empty_home_env(tmp_path / "home2")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
            mp.delenv(name, raising=False)
        made = access.token()
        assert (tmp_path / "home2" / ".local" / "state" / "coach" / "serve-token").read_text() == (
            made + "\n"
        )


def test_an_export_with_home_missing_writes_only_its_output(tmp_path, mini_path):
    # HOME=/nonexistent made /nonexistent/.cache/coach/clips/...: the cache is only
    # skipped, and the export is made all the same.
    home = tmp_path / "nonexistent"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    out = tmp_path / "out.mp3"
    r = subprocess.run(
        [str(coach_bin()), "export", str(mini_path), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10_000
    assert not home.exists()


def test_folders_are_opened_never_through_a_symbolic_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with owned.folder(tmp_path / "real") as fd:
        owned.replace(fd, "x.bin", lambda f: f.write(b"data"))
        assert owned.names(fd, lambda n: True) == ["x.bin"]
        with pytest.raises(OSError) as info:
            with owned.subfolder(fd, "nope"):
                pass
        assert info.value.errno == 2
    with pytest.raises(OSError) as info:
        with owned.folder(tmp_path / "link"):
            pass
    assert "symbolic link" in owned.problem(tmp_path / "link", info.value)
    assert (tmp_path / "real" / "x.bin").read_bytes() == b"data"
    assert sorted(os.listdir(tmp_path / "real")) == ["x.bin"]  # no temporary file left


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    def fail(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with owned.folder(tmp_path) as fd, pytest.raises(OSError):
        owned.replace(fd, "x.bin", fail)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name, stem",
    [
        (".x.clip.0a1b2c3d.part", "x.clip"),
        (".abcd_12x.part", ""),
        (".a.b.12345678.part", "a.b"),
        ("x.clip", None),
        (".x.clip.0a1b.part", None),
        (".x.clip.0A1B2C3D.part", None),
        ("x.12345678.part", None),
    ],
)
def test_part_of(name, stem):
    assert owned.part_of(name) == stem


def test_write_atomically_never_puts_a_file_in_place_of_a_pipe(tmp_path):
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as caught:
        owned.write_atomically(fifo, "pace = 'slow'\n")
    assert caught.value.errno == errno.EINVAL and "not a regular file" in str(caught.value)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and list(tmp_path.iterdir()) == [fifo]

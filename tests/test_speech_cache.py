"""The clip cache on disk: cold and warm give the same samples, damaged entries are made
again, two processes at once, trimming, `coach cache` and `--clear`, and live play equal
to the export in any order of runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_player import assert_play_equals_export

from coach.speech.cache import ClipCache, key
from conftest import RATE, coach_peak_rss, decode, one_line, run_coach


def clips_in(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "coach" / "clips").rglob("*.clip"))


def test_entry_round_trip_and_damage(tmp_path):
    cache = ClipCache(tmp_path)
    x = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    name = key("e", "1", "id", "v", 100, "Hello.")
    assert cache.get(name, RATE) is None
    cache.put(name, x, RATE)
    assert np.array_equal(cache.get(name, RATE), x)
    path = next(tmp_path.rglob("*.clip"))
    # Truncated: detected, removed, never returned.
    cache.put(name, x, RATE)
    path.write_bytes(path.read_bytes()[:-10])
    assert cache.get(name, RATE) is None and not path.exists()
    # One flipped byte in the samples: the checksum catches it.
    cache.put(name, x, RATE)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x40
    path.write_bytes(bytes(data))
    assert cache.get(name, RATE) is None and not path.exists()
    # An empty file (a crash between create and write elsewhere) likewise.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    assert cache.get(name, RATE) is None
    # A clip stored at another sample rate (an older coach) is stale: not this clip.
    cache.put(name, x, 22_050)
    assert cache.get(name, RATE) is None


def test_an_entry_of_the_wrong_size_is_refused_unread(tmp_path):
    cache = ClipCache(tmp_path)
    x = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    name = key("e", "1", "id", "v", 100, "Hello.")
    cache.put(name, x, RATE)
    path = next(tmp_path.rglob("*.clip"))
    good = path.read_bytes()
    # A header that claims more samples than the file holds, or fewer.
    for size in (len(good) + 4, len(good) - 4):
        path.write_bytes(good[:size] if size < len(good) else good + b"\0" * 4)
        assert cache.get(name, RATE) is None and not path.exists()


@pytest.mark.process  # python -m coach, its memory measured
def test_a_huge_file_in_place_of_an_entry_is_never_read(tmp_path, mini_path):
    # What the tester did: a 2 GB (sparse) file in place of one entry of a warm cache.
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_coach("script", "--json", mini_path, env=env).returncode == 0
    victim = max(clips_in(tmp_path / "cache"), key=lambda p: p.stat().st_size)
    with open(victim, "r+b") as f:
        f.truncate(2 << 30)
    out = tmp_path / "out.wav"
    status, max_rss_kb, _ = coach_peak_rss("export", mini_path, "-o", out, env=env)
    assert status == 0 and out.exists()
    assert max_rss_kb < 1_000_000, f"{max_rss_kb} kB"  # it was 4.3 GB: the file read whole
    assert victim.stat().st_size < 1 << 30  # removed and made again


def test_key_covers_everything_that_decides_the_samples():
    base = ("hibari", "1", "model=abc", "heart", 130, "Hello.", "")
    names = {key(*base)}
    for i, other in enumerate(("espeak", "2", "model=abd", "emma", 131, "Hello!", "levelled")):
        changed = list(base)
        changed[i] = other
        names.add(key(*changed))
    assert len(names) == 8


def test_trim_removes_least_recently_used_first(tmp_path):
    cache = ClipCache(tmp_path, max_bytes=11_000)
    x = np.zeros(1000, dtype=np.float32)  # about 4 kB an entry
    import time

    for i in range(5):
        cache.put(f"{i:02d}" + "0" * 62, x, RATE)
        stamp = time.time() - 100 + i
        os.utime(next(tmp_path.rglob(f"{i:02d}*.clip")), (stamp, stamp))
    cache.get("00" + "0" * 62, RATE)  # used just now: kept
    removed = cache.trim()
    left = sorted(p.name[:2] for p in tmp_path.rglob("*.clip"))
    assert removed == 3 and left == ["00", "04"]
    assert cache.info().size <= 11_000 * 0.8


def test_levelled_clips_are_cached_too(tmp_path, mini_path, monkeypatch):
    # A warm run levels nothing: every levelled clip comes from the cache, and is the same.
    from coach import render
    from coach.routinefile import load
    from coach.session import Options, Session

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    made = []
    real = render.prepare_speech
    monkeypatch.setattr(render, "prepare_speech", lambda *a: made.append(1) or real(*a))
    blocks = []
    for _ in range(2):
        with Session(load(mini_path), Options()) as session:
            blocks.append(np.concatenate(list(session.blocks(RATE * 10))))
            texts = session.script.texts()
    assert len(made) == len(texts)  # the first run only
    assert np.array_equal(blocks[0], blocks[1])


def test_cache_command_and_clear(tmp_path, mini_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    r = run_coach("cache", env=env)
    assert r.returncode == 0 and "0 clips" in r.stdout and "0 loops" in r.stdout
    assert r.stdout.splitlines()[0] == str(tmp_path / "c" / "coach")
    r = run_coach("script", "--json", mini_path, env=env)
    assert r.returncode == 0, r.stderr
    texts = {e["text"] for e in json.loads(r.stdout)["events"] if e["kind"] == "speech"}
    made = clips_in(tmp_path / "c")
    assert len(made) == len(texts) > 3  # every distinct line once
    r = run_coach("cache", env=env)
    assert f"{len(made)} clips" in r.stdout
    r = run_coach("export", mini_path, "--bed", "rain", "-o", tmp_path / "m.wav", env=env)
    assert r.returncode == 0, r.stderr  # the rain loop is made and kept
    assert "1 loop," in run_coach("cache", env=env).stdout
    stored = len(clips_in(tmp_path / "c"))  # spoken and levelled
    r = run_coach("cache", "--clear", env=env)
    assert r.returncode == 0 and f"Removed {stored} clips, 1 bed loop and 0 sessions" in r.stdout
    assert clips_in(tmp_path / "c") == [] and not list((tmp_path / "c").rglob("*.npz"))


def test_cold_and_warm_exports_are_identical_and_warm_makes_nothing(tmp_path, mini_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    for name in ("cold.wav", "warm.wav"):
        r = run_coach("export", mini_path, "-o", tmp_path / name, env=env)
        assert r.returncode == 0, r.stderr
    assert np.array_equal(decode(tmp_path / "cold.wav"), decode(tmp_path / "warm.wav"))
    # A damaged entry is made again, to the same samples.
    victim = clips_in(tmp_path / "c")[0]
    victim.write_bytes(victim.read_bytes()[:100])
    r = run_coach("export", mini_path, "-o", tmp_path / "mended.wav", env=env)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(decode(tmp_path / "cold.wav"), decode(tmp_path / "mended.wav"))
    assert victim.stat().st_size > 100


TWO_AT_ONCE = """
import sys
from coach import cli
sys.exit(cli.run(["export", sys.argv[1], "-o", sys.argv[2]]))
"""


@pytest.mark.process  # two coach processes
def test_two_processes_at_once_share_the_cache_safely(tmp_path, mini_path):
    env_cache = tmp_path / "c"

    env = {**os.environ, "XDG_CACHE_HOME": str(env_cache)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_AT_ONCE, str(mini_path), str(tmp_path / f"p{i}.wav")],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    a, b = decode(tmp_path / "p0.wav"), decode(tmp_path / "p1.wav")
    assert np.array_equal(a, b)
    assert not list(env_cache.rglob("*.part"))
    # Every entry is whole: a third run reads them all and makes nothing new.
    r = run_coach(
        "export", mini_path, "-o", tmp_path / "p2.wav", env={"XDG_CACHE_HOME": str(env_cache)}
    )
    assert r.returncode == 0 and np.array_equal(a, decode(tmp_path / "p2.wav"))


@pytest.mark.parametrize("order", ["play-first", "export-first"])
def test_live_equals_export_with_a_cold_and_a_warm_cache(tmp_path, mini_path, order):
    # The cache is cold for whichever runs first, warm for the second.
    assert_play_equals_export(
        tmp_path,
        mini_path,
        [],
        env={"XDG_CACHE_HOME": str(tmp_path / "c")},
        export_first=order == "export-first",
    )


# ---- a cache that fails: never the export's failure -----------------------------------


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_an_unreadable_cache_folder_costs_the_export_nothing(tmp_path, mini_path):
    # The tester's chmod 000 on one subfolder: the trim after the export raised, the export
    # ended in status 1 and left a 19 MB .part beside the output.
    env = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    shut = tmp_path / "c" / "coach" / "clips" / "00"
    shut.mkdir(parents=True)
    (shut / ("00" + "0" * 62 + ".clip")).write_bytes(b"x" * 1000)
    out = tmp_path / "out"
    out.mkdir()
    shut.chmod(0)
    try:
        r = run_coach("export", mini_path, "-o", out / "m.wav", env=env, as_user=True)
        assert r.returncode == 0, r.stderr
        assert [p.name for p in out.iterdir()] == ["m.wav"]
        assert len(clips_in(tmp_path / "c")) > 3  # the other folders took the new clips
        r = run_coach("cache", env=env, as_user=True)
        assert r.returncode == 2 and "clips" in r.stdout
        assert one_line(r.stderr) == f"coach: {shut}: cannot read it (permission denied)"
        r = run_coach("cache", "--clear", env=env, as_user=True)
        assert r.returncode == 2 and r.stdout.startswith("Removed ")
        assert one_line(r.stderr) == f"coach: {shut}: cannot read it (permission denied)"
    finally:
        shut.chmod(0o755)
    assert [p.name for p in clips_in(tmp_path / "c")] == ["00" + "0" * 62 + ".clip"]


def test_trimming_and_clearing_at_once_raise_nothing(tmp_path):
    # `coach cache --clear` while another coach trims: folders and entries vanish under
    # the trim (7,809 FileNotFoundErrors in the tester's loop).
    import threading

    x = np.zeros(2000, dtype=np.float32)
    errors: list[BaseException] = []

    def work(job: str) -> None:
        cache = ClipCache(tmp_path, max_bytes=50_000)
        try:
            for i in range(150):
                if job == "clear":
                    cache.clear()
                    cache.info()
                else:
                    cache.put(key("e", "1", job, "v", 100, str(i)), x, RATE)
                    cache.get(key("e", "1", job, "v", 100, str(i - 1)), RATE)
                    cache.trim()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(job,)) for job in ("a", "b", "clear", "clear")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    cache = ClipCache(tmp_path, max_bytes=50_000)
    cache.clear()
    assert _listing(tmp_path) == []  # no temporary file left behind either


def test_clearing_never_follows_a_symbolic_link_out_of_the_cache(tmp_path, mini_path):
    # With ~/.cache/coach/clips a link to another folder, --clear deleted *.clip files
    # there and emptied its subfolders.
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "ab").mkdir(parents=True)
    (elsewhere / "cd").mkdir()
    (elsewhere / "mine.clip").write_text("not coach's")
    (elsewhere / "ab" / ("ab" + "1" * 62 + ".clip")).write_text("named like coach's, not coach's")
    before = _listing(elsewhere)
    cache_home = tmp_path / "c"
    (cache_home / "coach").mkdir(parents=True)
    (cache_home / "coach" / "clips").symlink_to(elsewhere)
    (cache_home / "coach" / "beds").symlink_to(elsewhere)
    env = {"XDG_CACHE_HOME": str(cache_home)}
    r = run_coach("export", mini_path, "--bed", "rain", "-o", tmp_path / "m.mp3", env=env)
    assert r.returncode == 0, r.stderr  # nothing kept: the links are not written through
    r = run_coach("cache", "--clear", env=env)
    assert r.returncode == 2
    clips, beds = cache_home / "coach" / "clips", cache_home / "coach" / "beds"
    assert one_line(r.stderr) == (
        f"coach: {clips}: is a symbolic link; coach works only in its own folders and leaves it "
        f"alone; {beds}: is a symbolic link; coach works only in its own folders and leaves it alone"
    )
    assert _listing(elsewhere) == before
    # A link inside the real folder is left alone too, and so are files not coach's.
    clips.unlink()
    beds.unlink()
    assert run_coach("script", "--json", mini_path, env=env).returncode == 0
    (clips / "ab").symlink_to(elsewhere / "ab")
    own = next(p.parent for p in clips_in(cache_home))
    (own / "notes.txt").write_text("mine")
    r = run_coach("cache", "--clear", env=env)
    assert r.returncode == 2  # named, as README promises, after the rest is done
    assert one_line(r.stderr) == (
        f"coach: {clips / 'ab'}: is a symbolic link; coach works only in its own folders and "
        f"leaves it alone"
    )
    assert _listing(clips) == sorted(["ab", own.name, f"{own.name}/notes.txt"])
    assert _listing(elsewhere) == before

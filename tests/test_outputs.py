"""An export's output places (coach.outputs), through the real ``coach export``: its own
inputs are never overwritten, a read-only target is refused, a symbolic link is written
through, hidden files of a killed coach are cleaned up, names up to the file system's
limit work."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from coach import outputs
from conftest import coach_bin, one_line, probe, run_coach, wait_until

OLD = b"the user's own file, which must survive\n"


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def held_open(folder: Path) -> bool:
    """Whether any process has a file in ``folder`` open (as /proc shows it)."""
    inside = f"{folder}/"
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd).startswith(inside):
                return True
        except OSError:  # the process or the descriptor is gone
            continue
    return False


@pytest.fixture
def sounds(tmp_path: Path) -> tuple[Path, Path]:
    """A bed (3 s of a low tone) and a sound pack with a bell of its own."""
    bed, pack = tmp_path / "bed.wav", tmp_path / "pack"
    pack.mkdir()
    for path, freq, seconds in ((bed, 220, 3), (pack / "bell.wav", 880, 1)):
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f={freq}:d={seconds}", str(path)],
            check=True,
        )
    return bed, pack


# ---- an export never overwrites what it reads -------------------------------------------


def test_no_output_may_be_one_of_the_exports_own_inputs(tmp_path, mini_path, sounds):
    # The tester's three: the bed, a sound of the pack, the routine file as the cue sheet.
    bed, pack = sounds
    routine = tmp_path / "r.lrc"
    routine.write_bytes(mini_path.read_bytes())
    (tmp_path / "hard.vtt").hardlink_to(routine)
    settings = tmp_path / "settings.srt"
    settings.write_text('pace = "slow"\n')
    saved = {p: p.read_bytes() for p in (bed, pack / "bell.wav", routine, settings)}
    cases = [
        (
            ["./r.lrc", "--bed", "bed.wav", "-o", "bed.wav"],
            {},
            "bed.wav: is the bed this export reads",
        ),
        (
            ["./r.lrc", "--sounds", "pack", "-o", "pack/bell.wav"],
            {},
            "pack/bell.wav: is the bell sound this export reads",
        ),
        (["./r.lrc", "--cues", "r.lrc"], {}, "--cues r.lrc: is the routine file this export reads"),
        (["./r.lrc", "--cues", "hard.vtt"], {}, "--cues hard.vtt: is the routine file"),  # by inode
        (
            ["./r.lrc", "--cues", "settings.srt"],
            {"COACH_CONFIG": str(settings)},
            "--cues settings.srt: is the settings file this export reads",
        ),
    ]
    for args, env, message in cases:
        r = run_coach("export", *args, cwd=tmp_path, env=env)
        assert r.returncode == 2, args
        one_line(r.stderr, message, "give the output another name")
        assert {p: p.read_bytes() for p in saved} == saved
        assert hidden(tmp_path) == [] and hidden(pack) == []


# ---- the target's own file ----------------------------------------------------------------


def test_a_read_only_target_is_refused_like_cp_without_f(tmp_path, mini_path):
    target = tmp_path / "s.mp3"
    target.write_bytes(OLD)
    target.chmod(0o444)
    for as_user in (False, True):  # root included: it could write, and must not
        r = run_coach("export", mini_path, "-o", target, as_user=as_user)
        assert r.returncode == 2
        one_line(r.stderr, f"{target}: is read-only (mode 0444)")
        assert target.read_bytes() == OLD and hidden(tmp_path) == []


def test_a_replaced_file_keeps_its_permissions_a_new_one_follows_the_umask(tmp_path, mini_path):
    kept = tmp_path / "kept.ogg"
    kept.write_bytes(OLD)
    kept.chmod(0o640)
    old = os.umask(0o022)
    try:
        for target in (kept, tmp_path / "new.ogg"):
            assert run_coach("export", mini_path, "-o", target).returncode == 0
    finally:
        os.umask(old)
    assert kept.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "new.ogg").stat().st_mode & 0o777 == 0o644


def test_a_symbolic_link_is_written_through_atomically(tmp_path, mini_path):
    real = tmp_path / "music"
    real.mkdir()
    (real / "session.mp3").write_bytes(OLD)
    link, dangling = tmp_path / "link.mp3", tmp_path / "dangling.mp3"
    link.symlink_to(real / "session.mp3")
    dangling.symlink_to(real / "later.mp3")
    for target in (link, dangling):
        r = run_coach("export", mini_path, "-o", target)
        assert r.returncode == 0, r.stderr
        assert target.is_symlink()  # the link stays a link ...
    # ... and the files it points to hold the sessions.
    for name in ("session.mp3", "later.mp3"):
        assert float(probe(real / name)["format"]["duration"]) > 10
    assert hidden(real) == [] and hidden(tmp_path) == []


# ---- hidden files -------------------------------------------------------------------------


def test_a_killed_export_leaves_hidden_files_the_next_one_removes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "anma.wav"
    proc = subprocess.Popen(
        [str(coach_bin()), "export", "anma", "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def writing() -> bool:
            assert proc.poll() is None
            return any(p.stat().st_size > 0 for p in out.glob(".anma.wav.*.part"))

        wait_until(writing, "ffmpeg writing", tries=24_000)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # ffmpeg, in its own session, ends by itself (its input closed): once it has let go of
    # its file, nothing touches what the kill left.
    wait_until(lambda: not held_open(out), "ffmpeg ending")
    stale = hidden(out)
    assert len(stale) == 2  # what kill -9 leaves
    # Another target's hidden file and one a live process holds are not this export's to take.
    other = out / ".other.wav.abcd1234.part"
    held = out / ".anma.wav.held0001.part"
    other.write_bytes(b"x")
    held.write_bytes(b"x")
    holder = subprocess.Popen(["flock", "--exclusive", str(held), "sleep", "600"])
    try:
        long_ago = time.time() - 3600  # old enough: no live coach leaves a file untouched so long
        for name in (*stale, other.name, held.name):
            os.utime(out / name, (long_ago, long_ago))
        wait_until(
            lambda: subprocess.run(["flock", "--nonblock", str(held), "true"]).returncode != 0,
            "flock taking the lock",
            tries=2_000,
        )
        r = run_coach("export", "anma", "-o", target, timeout=600)
        assert r.returncode == 0, r.stderr
        assert hidden(out) == sorted([other.name, held.name])
    finally:
        holder.kill()
        holder.wait()


def test_names_up_to_the_file_systems_limit_work(tmp_path, mini_path):
    # A 255-byte name is valid on ext4, tmpfs and most others; its hidden file's name
    # would be 270 bytes, so it is shortened.
    assert os.pathconf(tmp_path, "PC_NAME_MAX") == 255
    audio, cues = tmp_path / ("a" * 251 + ".mp3"), tmp_path / ("é" * 125 + "b.srt")
    assert len(os.fsencode(cues.name)) == 255
    r = run_coach("export", mini_path, "-o", audio, "--cues", cues)
    assert r.returncode == 0, r.stderr
    assert audio.stat().st_size > 10_000 and cues.stat().st_size > 100
    assert hidden(tmp_path) == []


def test_the_stem_of_a_long_name_is_shortened_at_a_character():
    assert outputs._stem("s.mp3", 255) == "s.mp3"
    stem = outputs._stem("é" * 200, 255)
    assert len(os.fsencode(f".{stem}.12345678.part")) <= 255 and stem == "é" * 120


def test_a_name_that_is_not_utf8_goes_into_the_cue_sheet_as_it_is(tmp_path, mini_path):
    # It was an internal error (UnicodeEncodeError): the sheet names the very file.
    name = os.fsdecode(b"caf\xe9.mp3")
    r = subprocess.run(
        [str(coach_bin()), "export", str(mini_path), "-o", name, "--chapters", "c.cue"],
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"Wrote caf\xe9.mp3 ")  # the name's own bytes, as ls shows them
    assert b'FILE "caf\xe9.mp3" MP3' in (tmp_path / "c.cue").read_bytes()
    assert (tmp_path / name).stat().st_size > 10_000


def test_stale_files_are_matched_by_name_kind_and_lock(tmp_path):
    names = [
        ".s.mp3.abcd1234.part",
        ".s.mp3.ABCD1234.part",
        ".s.mp3.abc.part",
        ".xs.mp3.abcd1234.part",
        "s.mp3.abcd1234.part",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".s.mp3.link0001.part").symlink_to(tmp_path / "s.mp3")
    fresh = tmp_path / ".s.mp3.fresh001.part"
    fresh.write_bytes(b"x")
    long_ago = time.time() - 60
    for p in tmp_path.iterdir():
        if p != fresh:
            os.utime(p, (long_ago, long_ago), follow_symlinks=False)
    with open(tmp_path / names[-1], "rb") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # (not a hidden file of s.mp3 anyway)
        assert outputs.remove_stale(tmp_path, "s.mp3") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*names[1:], ".s.mp3.link0001.part", fresh.name]
    )

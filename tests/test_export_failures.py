"""Nothing is lost when an export fails: whatever was at the target before is still
there byte for byte, no temporary file is left beside it, and the user gets one line.

Every case runs the real ``coach`` program; ffmpeg is taken away, replaced by a failing
fake, starved of disk space (a 200 KiB tmpfs) or interrupted by a signal.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import coach_bin, one_line, run_coach, wait_until

PREVIOUS = b"the previous session, which must survive\n" + bytes(range(256)) * 40


def put_previous(path: Path) -> None:
    path.write_bytes(PREVIOUS)


def assert_nothing_lost(target: Path, others: tuple[str, ...] = ()) -> None:
    """The target holds PREVIOUS, and its folder holds nothing else (no ``.*.part``)."""
    assert target.read_bytes() == PREVIOUS
    left = sorted(p.name for p in target.parent.iterdir())
    assert left == sorted((target.name, *others)), left


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# ---- ffmpeg missing or failing --------------------------------------------------------


def test_no_ffmpeg_on_path(mini_path, out_dir, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    assert shutil.which("ffmpeg", path=str(empty)) is None
    target = out_dir / "session.mp3"
    put_previous(target)
    # coach is run by absolute path and its interpreter is named in its first line, so
    # nothing else is needed from PATH.
    r = run_coach("export", mini_path, "-o", target, env={"PATH": str(empty)})
    assert r.returncode == 3, r.stderr
    line = one_line(r.stderr, "ffmpeg")
    assert "install" in line
    assert r.stdout == ""
    assert_nothing_lost(target)


FAKES = {
    # Fails at once, without reading its input: coach meets a broken pipe.
    "at-once": 'echo "fake-ffmpeg: Invalid argument (simulated failure)" >&2\nexit 1\n',
    # Reads everything, writes part of a file, then fails.
    "at-the-end": (
        'cat > /dev/null\nfor last; do :; done\nprintf "half a file" > "$last"\n'
        'echo "fake-ffmpeg: Invalid argument (simulated failure)" >&2\nexit 1\n'
    ),
    # Killed by a signal halfway.
    "killed": "head -c 100000 > /dev/null\nkill -9 $$\n",
}


@pytest.mark.parametrize("fake", list(FAKES))
def test_ffmpeg_fails(mini_path, out_dir, tmp_path, fake):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "ffmpeg"
    program.write_text("#!/bin/sh\n" + FAKES[fake], encoding="utf-8")
    program.chmod(0o755)
    target = out_dir / "session.wav"
    put_previous(target)
    r = run_coach(
        "export",
        mini_path,
        "-o",
        target,
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    assert r.returncode == 3, r.stderr
    line = one_line(r.stderr, "ffmpeg")
    if fake != "killed":
        assert "simulated failure" in line  # ffmpeg's own last line is passed on
    assert_nothing_lost(target)


# ---- bad targets ----------------------------------------------------------------------


def test_output_folder_missing(mini_path, tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "session.mp3"
    r = run_coach("export", mini_path, "-o", target)
    assert r.returncode == 2
    one_line(r.stderr, "does not exist")
    assert not (tmp_path / "no").exists()


def test_a_folder_named_as_a_cue_sheet(mini_path, out_dir):
    # -o FOLDER writes inside it; --cues FOLDER has no name to take, so it is refused.
    folder = out_dir / "session.vtt"
    folder.mkdir()
    (folder / "keep.txt").write_bytes(PREVIOUS)
    r = run_coach("export", mini_path, "-o", out_dir / "x.mp3", "--cues", folder)
    assert r.returncode == 2
    one_line(r.stderr, "--cues", "is a folder")
    assert folder.is_dir() and [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert [p.name for p in out_dir.iterdir()] == ["session.vtt"]


@pytest.mark.parametrize("name", ["session.xyz", "session", "session.mp4"])
def test_unknown_suffix(mini_path, out_dir, name):
    target = out_dir / name
    put_previous(target)
    r = run_coach("export", mini_path, "-o", target)
    assert r.returncode == 2
    one_line(r.stderr, "unknown format", ".mp3")
    assert_nothing_lost(target)


def test_failed_export_keeps_a_cue_sheet_too(mini_path, out_dir, tmp_path):
    # The cue sheet is written after the audio: when the audio fails, an old cue sheet
    # stays as it was too.
    empty = tmp_path / "bin"
    empty.mkdir()
    target, cues = out_dir / "session.mp3", out_dir / "session.vtt"
    put_previous(target)
    cues.write_bytes(PREVIOUS)
    r = run_coach("export", mini_path, "-o", target, "--cues", cues, env={"PATH": str(empty)})
    assert r.returncode == 3
    assert cues.read_bytes() == PREVIOUS
    assert_nothing_lost(target, ("session.vtt",))


# ---- disk full ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".ogg"])
def test_disk_full(mini_path, small_disk, suffix):
    target = small_disk / f"session{suffix}"
    put_previous(target)
    stat = os.statvfs(small_disk)
    assert stat.f_blocks * stat.f_frsize <= 256 * 1024  # really the small disk
    r = run_coach("export", mini_path, "-o", target)
    assert r.returncode == 3, r.stderr
    one_line(r.stderr, "disk is full")
    assert_nothing_lost(target)


def test_folder_not_writable(mini_path, small_disk):
    """A read-only file system stops even root: the folder check says so before any work."""
    target = small_disk / "session.mp3"
    put_previous(target)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    r = run_coach("export", mini_path, "-o", target)
    assert r.returncode == 2, r.stderr
    one_line(r.stderr, "cannot write in the folder")
    assert_nothing_lost(target)


# ---- interrupted ----------------------------------------------------------------------


def _ffmpeg_writing_to(folder: Path) -> list[int]:
    """Processes whose command line names ``folder`` (an ffmpeg left running)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(folder).encode() in part for part in cmdline) and b"ffmpeg" in cmdline[0]:
            found.append(int(entry.name))
    return found


def _export_writing(target: Path) -> subprocess.Popen[str]:
    """A real ``coach export anma -o target``, once ffmpeg is writing its hidden file."""
    folder = target.parent
    proc = subprocess.Popen(
        [str(coach_bin()), "export", "anma", "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def writing() -> bool:
        assert proc.poll() is None, proc.communicate()
        return any(p.stat().st_size > 0 for p in folder.glob(f".{target.name}.*.part"))

    try:
        wait_until(writing, "ffmpeg writing", tries=24_000)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def _stopped(proc: subprocess.Popen[str], *signals: int, gap: float = 0.0) -> tuple[str, str]:
    """Send ``signals`` to ``proc`` ``gap`` seconds apart; its (stdout, stderr) at its end."""
    try:
        for i, signum in enumerate(signals):
            if i:
                time.sleep(gap)
            proc.send_signal(signum)
        return proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_export(out_dir, signum):
    """Ctrl-C (SIGINT) exits 130, like any program stopped by it. cli.main turns SIGTERM
    into the same KeyboardInterrupt so the same clean-up runs: it exits 130 too."""
    target = out_dir / "anma.wav"
    put_previous(target)
    proc = _export_writing(target)
    assert proc.poll() is None, "the export finished before it could be interrupted"
    stdout, stderr = _stopped(proc, signum)
    assert proc.returncode == 130, stderr
    one_line(stderr, "interrupted")
    assert "Wrote" not in stdout
    assert_nothing_lost(target)
    assert _ffmpeg_writing_to(out_dir) == []


# The tester's Ctrl-C pressed twice, or INT then TERM within ~70 ms: the second signal cut
# the clean-up short (.NAME.*.part files left in 12 runs of 14) and Python's shutdown
# printed threading._shutdown tracebacks.
@pytest.mark.parametrize(
    "second, gap",
    [
        (signal.SIGINT, 0.0),
        (signal.SIGINT, 0.02),
        (signal.SIGINT, 0.05),
        (signal.SIGTERM, 0.07),
        (signal.SIGTERM, 0.0),
    ],
    ids=["INT INT", "INT 20ms INT", "INT 50ms INT", "INT 70ms TERM", "INT TERM"],
)
def test_a_second_signal_does_not_stop_the_clean_up(out_dir, second, gap):
    target = out_dir / "anma.wav"
    put_previous(target)
    proc = _export_writing(target)
    stdout, stderr = _stopped(proc, signal.SIGINT, second, gap=gap)
    assert proc.returncode == 130  # (not killed by the second signal while Python shuts down)
    assert one_line(stderr) == "coach: interrupted"
    assert "Wrote" not in stdout
    assert_nothing_lost(target)
    assert _ffmpeg_writing_to(out_dir) == []


# The tester's Ctrl-C in the first second, while Python was still importing the command
# line (typer, click, rich): an 18-line KeyboardInterrupt traceback. Here that import is
# made slow on purpose (an import hook in sitecustomize), and the signal lands inside it.
SLOW_TYPER = """
import importlib.abc, pathlib, sys, time

class _Slow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "typer":
            pathlib.Path({marker!r}).touch()
            time.sleep(30)
        return None

sys.meta_path.insert(0, _Slow())
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_coach_imports_its_command_line_is_one_line(tmp_path, out_dir, signum):
    target = out_dir / "anma.wav"
    put_previous(target)
    hook, marker = tmp_path / "hook", tmp_path / "importing-typer"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_TYPER.format(marker=str(marker)))
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(
        [str(coach_bin()), "export", "anma", "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
    )

    def importing() -> bool:
        assert proc.poll() is None, proc.communicate()
        return marker.exists()

    wait_until(importing, "coach importing typer")
    stdout, stderr = _stopped(proc, signum)
    assert proc.returncode == 130, stderr
    assert one_line(stderr) == "coach: interrupted"
    assert_nothing_lost(target)

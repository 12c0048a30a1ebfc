"""The export job (coach.job) through the real ``coach export``: where the outputs go
(a file, a folder, standard output), every place checked before any work, and the cue and
chapter files beside the audio."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import mutagen
import pytest

from conftest import RATE, coach_bin, decode, one_line, plan, probe, run_coach, tmpfs

#: Each output option with a good name in ``out``.
OPTIONS = {"-o": "s.mp3", "--cues": "s.vtt", "--chapters": "s.json"}


def listing(root: Path) -> list[str]:
    """Every file and folder under ``root``, relative, sorted (hidden ones included)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def export_args(out: Path, option: str, bad: Path) -> list[str | Path]:
    """All three outputs in ``out``, except ``option``, which goes to ``bad``."""
    args: list[str | Path] = []
    for opt, name in OPTIONS.items():
        args += [opt, bad if opt == option else out / name]
    return args


def _missing_folder(root: Path, name: str) -> tuple[Path, str]:
    return root / "no" / "such" / name, "the folder"


def _file_as_folder(root: Path, name: str) -> tuple[Path, str]:
    (root / "a.wav").write_bytes(b"not a folder")
    return root / "a.wav" / name, f"{root / 'a.wav'} is a file, not a folder"


def _proc(root: Path, name: str) -> tuple[Path, str]:
    return Path("/proc") / name, "cannot write in the folder /proc"


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize(
    "place",
    [_missing_folder, _file_as_folder, _proc],
    ids=["missing-folder", "file-as-folder", "proc"],
)
def test_a_bad_place_is_refused_before_any_work(mini_path, tmp_path, option, place):
    out = tmp_path / "out"
    out.mkdir()
    bad, says = place(tmp_path, OPTIONS[option])
    before = listing(tmp_path)
    r = run_coach("export", mini_path, *export_args(out, option, bad))
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr, str(bad), says)
    if option != "-o":
        assert line.startswith(f"coach: {option} ")
    assert r.stdout == ""
    assert listing(tmp_path) == before  # not the audio, not the other files, no .part
    assert not list(Path("/proc").glob(".s.*"))


@pytest.mark.parametrize("option", list(OPTIONS))
def test_a_read_only_folder_is_refused_before_any_work(mini_path, tmp_path, option):
    out = tmp_path / "out"
    out.mkdir()
    with tmpfs(tmp_path / "ro", "1m") as ro:
        (ro / OPTIONS[option]).write_bytes(b"previous")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        r = run_coach("export", mini_path, *export_args(out, option, ro / OPTIONS[option]))
        assert r.returncode == 2, r.stderr
        one_line(r.stderr, "cannot write in the folder", "read-only")
        assert (
            listing(ro) == [OPTIONS[option]] and (ro / OPTIONS[option]).read_bytes() == b"previous"
        )
    assert listing(out) == []


def fill(folder: Path) -> None:
    """Use up every block and every inode of ``folder``'s file system."""
    try:
        with open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass
    for i in range(100_000):
        try:
            (folder / f"f{i}").touch()
        except OSError:
            return
    pytest.fail("the small disk never filled")


@pytest.mark.parametrize("option", list(OPTIONS))
def test_a_full_disk_is_found_before_any_work(mini_path, tmp_path, option):
    # A disk with no room left at all: not even an empty file can be made.
    out = tmp_path / "out"
    out.mkdir()
    with tmpfs(tmp_path / "full", "64k,nr_inodes=16") as full:
        fill(full)
        before = listing(tmp_path)
        r = run_coach("export", mini_path, *export_args(out, option, full / OPTIONS[option]))
        assert r.returncode == 3, r.stderr
        one_line(r.stderr, "disk is full", str(full / OPTIONS[option]))
        assert listing(tmp_path) == before


@pytest.mark.parametrize("suffix", [".mp3", ".ogg", ".wav"])
def test_a_disk_that_fills_during_the_export(mini_path, tmp_path, suffix):
    # Room for the estimated file (so the check before work passes) but not for the two
    # hidden copies the export makes on the way: the failure comes mid-way and still
    # leaves nothing behind.
    sample = tmp_path / f"sample{suffix}"
    assert run_coach("export", mini_path, "-o", sample).returncode == 0
    size = sample.stat().st_size * 3 // 2
    with tmpfs(tmp_path / "disk", f"{size // 1024}k") as disk:
        r = run_coach("export", mini_path, "-o", disk / f"s{suffix}")
        assert r.returncode == 3, r.stderr
        line = one_line(r.stderr, "disk is full")
        assert "needed" not in line  # not the check before work
        assert listing(disk) == []


def test_a_file_where_a_folder_should_be_is_named(mini_path, tmp_path):
    (tmp_path / "a.wav").write_bytes(b"audio")
    r = run_coach("export", mini_path, "-o", tmp_path / "a.wav" / "x.mp3")
    assert r.returncode == 2
    line = one_line(r.stderr, "a.wav is a file, not a folder")
    assert "does not exist" not in line


def test_the_same_file_twice_is_refused(mini_path, tmp_path):
    r = run_coach(
        "export",
        mini_path,
        "-o",
        tmp_path / "s.mp3",
        "--chapters",
        tmp_path / "x.json",
        "--cues",
        tmp_path / "s.mp3",
    )
    assert r.returncode == 2
    one_line(r.stderr, "--cues")
    assert listing(tmp_path) == ["mini.toml"]


# ---- where the audio goes -------------------------------------------------------------


@pytest.mark.parametrize("how", ["existing", "slash"])
def test_a_folder_gets_routine_named_file(mini_path, tmp_path, how):
    folder = tmp_path / "out"
    folder.mkdir()
    target = str(folder) + ("/" if how == "slash" else "")
    r = run_coach("export", mini_path, "-o", target, "--format", "ogg")
    assert r.returncode == 0, r.stderr
    assert listing(folder) == ["mini.ogg"]
    assert probe(folder / "mini.ogg")["streams"][0]["codec_name"] == "vorbis"
    assert r.stdout.startswith(f"Wrote {folder / 'mini.ogg'} (")


def test_a_folder_without_format_gets_mp3(mini_path, tmp_path):
    r = run_coach("export", mini_path, "-o", tmp_path)
    assert r.returncode == 0, r.stderr
    assert probe(tmp_path / "mini.mp3")["streams"][0]["codec_name"] == "mp3"


@pytest.mark.parametrize(
    "args,says",
    [
        (["--format", "flac"], "--format flac"),
        (["-o", "x.mp3", "--format", "wav"], "does not match"),
    ],
)
def test_bad_format_option(mini_path, tmp_path, args, says):
    r = run_coach("export", mini_path, *args, cwd=tmp_path)
    assert r.returncode == 2
    one_line(r.stderr, says)
    assert listing(tmp_path) == ["mini.toml"]


def _to_stdout(mini_path: Path, tmp_path: Path, *args: str) -> tuple[bytes, str]:
    with open(tmp_path / "stream", "wb") as sink:
        r = subprocess.run(
            [str(coach_bin()), "export", str(mini_path), "-o", "-", *args],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )
    assert r.returncode == 0, r.stderr
    return (tmp_path / "stream").read_bytes(), r.stderr


def test_stdout_mp3_carries_tags_and_chapters(mini_path, tmp_path):
    data, stderr = _to_stdout(mini_path, tmp_path, "--chapters", "ch.json")
    assert stderr.startswith("Wrote standard output (") and "4 chapters" in stderr
    assert data[:3] == b"ID3"
    sink = tmp_path / "stream.mp3"
    sink.write_bytes(data)
    p = plan(mini_path)
    info = probe(sink)
    assert info["streams"][0]["codec_name"] == "mp3"
    assert [c["tags"]["title"] for c in info["chapters"]] == [c["title"] for c in p["chapters"]]
    tags = mutagen.File(sink).tags
    assert tags["COMM::eng"].text[0].startswith("pace normal")
    # A stream has no Xing/LAME header (it would be written at the end, at the start):
    # decoders add the encoder's delay and padding, less than two frames.
    assert 0 <= len(decode(sink)) - round(p["duration"] * RATE) < 2 * 1152
    assert json.loads((tmp_path / "ch.json").read_text())["chapters"][0]["title"] == "Introduction"
    assert listing(tmp_path) == ["ch.json", "mini.toml", "stream", "stream.mp3"]


@pytest.mark.parametrize("fmt", ["ogg", "wav"])
def test_stdout_ogg_and_wav(mini_path, tmp_path, fmt):
    data, stderr = _to_stdout(mini_path, tmp_path, "--format", fmt)
    sink = tmp_path / f"stream.{fmt}"
    sink.write_bytes(data)
    p = plan(mini_path)
    info = probe(sink)
    assert info["streams"][0]["codec_name"] == ("vorbis" if fmt == "ogg" else "pcm_s16le")
    tags = {
        k.lower(): v
        for k, v in {**info["format"].get("tags", {}), **info["streams"][0].get("tags", {})}.items()
    }
    assert tags["title"] == "Mini"
    assert len(decode(sink)) == round(p["duration"] * RATE)
    if fmt == "ogg":
        assert [c["tags"]["title"] for c in info["chapters"]] == [c["title"] for c in p["chapters"]]
        assert "4 chapters" in stderr
    else:  # a WAV stream cannot carry its chapters (they follow the sound), and says so
        assert "chapters" not in stderr


def test_stdout_on_a_terminal_is_refused(mini_path, tmp_path):
    leader, follower = pty.openpty()
    try:
        r = subprocess.run(
            [str(coach_bin()), "export", str(mini_path), "-o", "-"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert r.returncode == 2
    one_line(r.stderr, "standard output is a terminal")
    assert listing(tmp_path) == ["mini.toml"]


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
def test_export_to_standard_output_on_a_full_disk_names_standard_output(mini_path, fmt):
    # WAV said ".: the disk is full"; MP3 was an internal error (status 1).
    with open("/dev/full", "wb") as full:
        r = subprocess.run(
            [str(coach_bin()), "export", str(mini_path), "-o", "-", "-f", fmt],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert r.returncode == 3
    assert one_line(r.stderr) == (
        "coach: standard output: the disk is full before the end of the session"
    )


def test_export_to_a_closed_standard_output_says_it_is_closed(mini_path, tmp_path):
    # It said "standard output is a terminal".
    r = subprocess.run(
        ["bash", "-c", f"exec '{coach_bin()}' export '{mini_path}' -o - >&-"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert r.returncode == 2
    one_line(r.stderr, "-o -: standard output is closed")
    assert list(tmp_path.iterdir()) == [mini_path]


# ---- permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_every_file_gets_the_umask_mode(mini_path, tmp_path, umask):
    old = os.umask(umask)
    try:
        r = run_coach(
            "export",
            mini_path,
            "-o",
            tmp_path / "s.wav",
            "--cues",
            tmp_path / "s.srt",
            "--chapters",
            tmp_path / "s.cue",
        )
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    for name in ("s.wav", "s.srt", "s.cue"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_stdout_closed_early_is_one_line(mini_path, tmp_path):
    # The reader stops (``coach export -o - | head -c 100``): no traceback, status 3.
    proc = subprocess.Popen(
        [str(coach_bin()), "export", str(mini_path), "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 3
    one_line(stderr, "standard output was closed")
    assert listing(tmp_path) == ["mini.toml"]


# ---- the job as a library call, in-process ------------------------------------------------


def _mini_in_process(mini_path: Path):
    from coach.routinefile import load
    from coach.session import Options

    return load(mini_path), Options(voice="espeak:en-us")


def test_in_process_run_writes_audio_cues_and_chapters(mini_path, tmp_path):
    import webvtt

    from coach import job

    routine, options = _mini_in_process(mini_path)
    targets = job.targets_for(
        "mini", str(tmp_path) + "/", None, tmp_path / "c.vtt", tmp_path / "c.json"
    )
    made: list[int] = []
    result = job.run(routine, options, targets, progress=made.append)
    assert result.audio == tmp_path / "mini.mp3" and result.fmt == ".mp3"
    assert result.also == (tmp_path / "c.vtt", tmp_path / "c.json")
    assert listing(tmp_path) == ["c.json", "c.vtt", "mini.mp3", "mini.toml"]  # no .part left
    assert float(probe(result.audio)["format"]["duration"]) == pytest.approx(
        result.seconds, abs=0.1
    )
    chapters = json.loads((tmp_path / "c.json").read_text())["chapters"]
    assert len(chapters) == result.chapters == len(probe(result.audio)["chapters"])
    said = [c.text for c in webvtt.read(str(tmp_path / "c.vtt"))]
    assert "Draw small circles." in said
    assert made == sorted(made) and made[-1] == round(result.seconds * RATE)


def test_in_process_a_bad_place_is_refused_before_any_work(mini_path, tmp_path):
    from coach import job
    from coach.errors import InputError

    routine, options = _mini_in_process(mini_path)
    (tmp_path / "a.wav").write_bytes(b"audio")
    before = listing(tmp_path)
    targets = job.targets_for("mini", str(tmp_path / "s.wav"), None, tmp_path / "a.wav" / "c.vtt")
    with pytest.raises(InputError, match=r"--cues .*a\.wav is a file, not a folder"):
        job.run(routine, options, targets)
    assert listing(tmp_path) == before


def test_in_process_standard_output_gets_the_stream(mini_path, tmp_path):
    from coach import job

    routine, options = _mini_in_process(mini_path)
    with open(tmp_path / "stdout", "wb") as out:  # what ffmpeg writes into: a real file
        result = job.run(routine, options, job.targets_for("mini", "-", "wav"), out=out)
    data = (tmp_path / "stdout").read_bytes()
    assert result.audio is None and data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert len(data) >= round(result.seconds * RATE) * 4  # stereo int16, after the header

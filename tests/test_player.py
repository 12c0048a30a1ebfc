"""The live player, for real: ALSA's ``file`` plugin under a temporary HOME captures what
``coach play`` sends to the default device, and a pseudo-terminal drives its keys."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import RATE, coach_bin, decode, plan, run_coach, wait_until

# Appends what it reads to a file at most RATE * 4 bytes a second (stereo int16): a device
# that keeps real time, so keys can be pressed while the session plays. A stream that was
# stopped drains before the next one writes.
THROTTLE = """\
import fcntl, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for coach, not for the device
rate, out = int(sys.argv[1]), open(sys.argv[2], "ab", buffering=0)
fcntl.flock(out, fcntl.LOCK_EX)  # one stream at a time, in the order they were opened
start, n = time.monotonic(), 0
while True:
    data = sys.stdin.buffer.read1(4096)
    if not data:
        break
    out.write(data)
    n += len(data)
    ahead = n / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
"""


def _home(tmp_path: Path, realtime: bool = False) -> tuple[dict[str, str], Path]:
    """A HOME whose .asoundrc routes the default device into a capture file."""
    home = tmp_path / "home"
    home.mkdir()
    capture = tmp_path / "captured.raw"
    if realtime:
        throttle = tmp_path / "throttle.py"
        throttle.write_text(THROTTLE)
        sink = f"|{sys.executable} {throttle} {RATE * 4} {capture}"
    else:
        sink = f"|cat >> {capture}"
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; file "{sink}"; format "raw" }}\n'
    )
    return {"HOME": str(home)}, capture


def _captured(path: Path, channels: int = 2) -> np.ndarray:
    return np.fromfile(path, dtype="<i2").reshape(-1, channels)


def assert_play_equals_export(
    tmp_path: Path,
    routine: Path | str,
    options: list[str],
    env: dict[str, str] | None = None,
    export_first: bool = False,
) -> None:
    """``coach play ROUTINE OPTIONS`` sends the ALSA device exactly the samples that
    ``coach export`` writes (the export decoded by ffmpeg), in either order of runs."""
    home, capture = _home(tmp_path)
    env = {**(env or {}), **home}
    runs = [("play", routine, *options), ("export", routine, *options, "-o", tmp_path / "same.wav")]
    for args in reversed(runs) if export_first else runs:
        result = run_coach(*args, env=env)
        assert result.returncode == 0, result.stderr
    channels = 1 if "--mono" in options else 2
    want, got = decode(tmp_path / "same.wav", channels), _captured(capture, channels)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


@pytest.mark.parametrize("options", [[], ["--mono", "--pace", "fast"]])
def test_play_sends_exactly_the_exported_audio(tmp_path, mini_path, options):
    assert_play_equals_export(tmp_path, mini_path, options)


def test_no_audio_device_is_one_line_and_exit_3(tmp_path, mini_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type hw; card 9; device 0 }\n")
    result = run_coach("play", mini_path, env={"HOME": str(home)})
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "coach export" in lines[0] and "audio device" in lines[0]
    assert "Traceback" not in result.stderr


class Terminal:
    """``coach play`` on a pseudo-terminal: keys in, screen out."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.slave = slave
        self.proc = subprocess.Popen(
            [str(coach_bin()), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, **env},
            close_fds=True,
            start_new_session=True,
        )
        self.screen = b""

    def read(self, seconds: float) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.screen += os.read(self.master, 4096)
                except OSError:
                    break
        return self.screen.decode("utf-8", "replace")

    def press(self, key: str) -> None:
        os.write(self.master, key.encode())

    def wait(self, timeout: float = 60) -> int:
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.read(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _settled(path: Path) -> int:
    """The size of the capture ``path`` once the device has stopped receiving (what was
    already on its way drained: the same size over 100 polls, half a second; the throttle
    writes every 43 ms while it drains)."""
    sizes: list[int] = []

    def still() -> bool:
        sizes.append(_size(path))
        return len(sizes) > 100 and sizes[-1] == sizes[-101]

    wait_until(still, "the device stopping")
    return sizes[-1]


def _find(haystack: np.ndarray, needle: np.ndarray) -> list[int]:
    """Sample offsets where ``needle`` (frames) starts in ``haystack``."""
    flat_h, flat_n = haystack[:, 0], needle[:, 0]
    candidates = np.flatnonzero(flat_h[: len(flat_h) - len(flat_n) + 1] == flat_n[0])
    return [int(i) for i in candidates if np.array_equal(haystack[i : i + len(needle)], needle)]


@pytest.fixture
def mini_plan(mini_path):
    return plan(mini_path)


def test_keys_skip_back_pause_and_quit(tmp_path, mini_path, mini_plan):
    env, capture = _home(tmp_path, realtime=True)
    exported = run_coach("export", mini_path, "-o", tmp_path / "same.wav")
    assert exported.returncode == 0, exported.stderr
    full = decode(tmp_path / "same.wav", 2)
    chapters = mini_plan["chapters"]
    ch1 = round(chapters[1]["start"] * RATE)
    ch1_head = full[ch1 + RATE // 10 : ch1 + RATE // 10 + 2000]  # past the bell's silent start

    with Terminal(["play", str(mini_path)], env) as term:
        _until_screen_shows(term, "Introduction")  # the status line
        _until_screen_shows(term, "left")
        term.press("n")  # skip the rest of the introduction
        wait_until(
            lambda: (
                len(_find(_captured(capture), ch1_head)) == 1
                if _size(capture) > (ch1_head.size + RATE) * 4
                else False
            ),
            "the head of Circles reaching the device",
        )
        _until_screen_shows(term, "Circles")

        term.press("b")  # back to the start of "Circles": its head is heard twice
        wait_until(
            lambda: len(_find(_captured(capture), ch1_head)) == 2 if _size(capture) else False,
            "the head of Circles reaching the device again",
        )

        term.press(" ")  # pause: nothing more reaches the device
        _until_screen_shows(term, "paused")
        before = _settled(capture)
        term.read(1.5)
        assert _size(capture) == before
        term.press(" ")  # resume
        wait_until(lambda: _size(capture) > before, "sound after resuming")

        term.press("q")
        status = term.wait()
        _until_screen_shows(term, "Stopped.")
        screen = term.read(0)
        assert status == 0
        assert "Traceback" not in screen
        # The terminal is given back as it was: line editing and echo on.
        attrs = termios.tcgetattr(term.slave)
        assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO
        # Skipped and quit early: far less than the whole session reached the device.
        assert len(_captured(capture)) < len(full)


def test_ctrl_c_stops_at_once_with_one_line_and_130(tmp_path, mini_path):
    env, capture = _home(tmp_path, realtime=True)
    with Terminal(["play", str(mini_path)], env) as term:
        wait_until(lambda: _size(capture) > RATE * 4, "a second of sound")
        os.killpg(term.proc.pid, signal.SIGINT)
        status = term.wait(30)
        _until_screen_shows(term, "interrupted")
        screen = term.read(0)
        assert status == 130, screen
        assert "Traceback" not in screen
        attrs = termios.tcgetattr(term.slave)
        assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO
        # The device stops receiving sound (the last buffered bytes aside).
        settled = _settled(capture)
        time.sleep(1.0)
        assert _size(capture) == settled


def test_without_a_terminal_plays_to_the_end_with_no_status_line(tmp_path, mini_path):
    env, capture = _home(tmp_path)
    result = run_coach("play", mini_path, env=env)
    assert result.returncode == 0
    assert "\r" not in result.stderr and "left" not in result.stderr
    assert result.stdout == ""


def test_closed_standard_streams_are_no_terminal(tmp_path, mini_path):
    """Started with stdin and stderr closed (as some launchers do), it plays to the end."""
    env, capture = _home(tmp_path)
    result = subprocess.run(
        ["bash", "-c", 'exec "$0" play "$1" 0<&- 2>&-', str(coach_bin()), str(mini_path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert _size(capture) > 0


# ---- your own routine, --resume and going back a step ----------------------------------------


def test_a_routine_made_by_coach_new_plays_by_name(tmp_path):
    env, capture = _home(tmp_path)
    assert run_coach("new", "my-face").returncode == 0
    played = run_coach("play", "my-face", env=env)
    assert played.returncode == 0, played.stderr
    exported = run_coach("export", "my-face", "-o", tmp_path / "same.wav")
    assert exported.returncode == 0, exported.stderr
    assert np.array_equal(_captured(capture), decode(tmp_path / "same.wav", 2))


def _until_screen_shows(term: Terminal, text: str) -> None:
    """Wait until the status line has shown ``text`` (the screen so far)."""
    wait_until(lambda: text in term.read(0.01), f"the screen showing {text!r}")


def _skip_to_strokes(term: Terminal) -> None:
    """With MINI playing on ``term``, skip to its second step ("Strokes") with ``n``."""
    _until_screen_shows(term, "Introduction")
    term.press("n")
    _until_screen_shows(term, "Circles")
    term.press("n")
    _until_screen_shows(term, "Strokes")


def _stop_in_strokes(tmp_path: Path, mini_path: Path, stop: str) -> None:
    """Play MINI on a terminal, skip to its second step, and stop there with ``stop``."""
    (tmp_path / stop).mkdir()
    env, _ = _home(tmp_path / stop, realtime=True)
    with Terminal(["play", str(mini_path)], env) as term:
        _skip_to_strokes(term)
        if stop == "q":
            term.press("q")
            assert term.wait() == 0
        else:
            os.killpg(term.proc.pid, signal.SIGINT)
            assert term.wait() == 130


@pytest.mark.parametrize("stop", ["q", "ctrl-c"])
def test_resume_starts_where_play_stopped(tmp_path, mini_path, stop):
    _stop_in_strokes(tmp_path, mini_path, stop)
    env, capture = _home(tmp_path)
    resumed = run_coach("play", mini_path, "--resume", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.splitlines()[0] == "Resuming at step 2: Strokes."
    exported = run_coach("export", mini_path, "--from", "2", "-o", tmp_path / "from2.wav")
    assert exported.returncode == 0, exported.stderr
    assert np.array_equal(_captured(capture), decode(tmp_path / "from2.wav", 2))
    # Played to the end: nothing left to resume.
    capture.unlink()
    again = run_coach("play", mini_path, "--resume", env=env)
    assert again.returncode == 0
    assert (
        again.stderr.splitlines()[0]
        == f"Nothing to resume for {mini_path}: starting at the beginning."
    )
    whole = run_coach("export", mini_path, "-o", tmp_path / "whole.wav")
    assert whole.returncode == 0
    assert np.array_equal(_captured(capture), decode(tmp_path / "whole.wav", 2))


def test_resume_is_kept_per_routine(tmp_path, mini_path, phases_path):
    _stop_in_strokes(tmp_path, mini_path, "q")
    env, _ = _home(tmp_path)
    other = run_coach("play", phases_path, "--resume", env=env)
    assert other.stderr.splitlines()[0].startswith("Nothing to resume for ")
    mine = run_coach("script", mini_path, "--from", "2")
    assert mine.returncode == 0  # and the mini routine still resumes at its step:
    assert run_coach("play", mini_path, "--resume", env=env).stderr.startswith(
        "Resuming at step 2: Strokes."
    )


def test_resume_says_what_changed_when_the_routine_was_edited(tmp_path, mini_path):
    _stop_in_strokes(tmp_path, mini_path, "q")
    env, _ = _home(tmp_path)
    mini_path.write_text(
        mini_path.read_text().replace('title = "Strokes"', 'title = "Upward strokes"')
    )
    edited = run_coach("play", mini_path, "--resume", env=env)
    assert edited.returncode == 0, edited.stderr
    assert edited.stderr.splitlines()[0] == (
        "Resuming at step 2: Upward strokes. (it was 'Strokes' "
        "when you stopped: the routine has changed)"
    )


def test_b_twice_goes_to_the_previous_step(tmp_path, mini_path):
    env, _ = _home(tmp_path, realtime=True)
    with Terminal(["play", str(mini_path)], env) as term:
        _skip_to_strokes(term)
        term.screen = b""
        term.press("b")
        term.press("b")
        _until_screen_shows(term, "Circles")
        assert "Strokes" not in term.read(0.5).split("Circles", 1)[1]
        term.press("q")
        assert term.wait() == 0


def test_a_broken_sound_file_stops_play_before_any_sound(tmp_path, mini_path):
    env, capture = _home(tmp_path)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bell.flac").write_text("fLaC, but only in name")
    result = run_coach("play", mini_path, "--sounds", pack, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"coach: {pack / 'bell.flac'}: cannot be read as a sound")
    assert result.stderr.count("\n") == 1
    assert not capture.exists()


def test_a_key_pressed_during_the_opening_chime_is_not_lost(tmp_path, mini_path, mini_plan):
    # The chime plays on its own while the voice loads; `n` pressed then skips the rest
    # of the introduction, as it would a moment later.
    env, capture = _home(tmp_path, realtime=True)
    with Terminal(["play", str(mini_path)], env) as term:
        _until_screen_shows(term, "Starting")
        term.press("n")
        _until_screen_shows(term, "Circles")
        term.press("q")
        assert term.wait() == 0
    intro = mini_plan["chapters"][0]
    played = len(_captured(capture)) / RATE
    assert played < (intro["end"] - intro["start"]), played


def _time_left(screen: str) -> float:
    """The last "m:ss left" the status line showed, seconds."""
    import re

    found = re.findall(r"(\d+):(\d\d) left", screen)
    assert found, screen
    minutes, seconds = found[-1]
    return int(minutes) * 60 + int(seconds)


def test_time_left_follows_the_real_timeline(tmp_path):
    # The status line's "time left" is the real session's: 3 s into the 6:24 session it
    # showed 6:33 left, and after n 5:01 instead of about 4:53.
    env, _ = _home(tmp_path, realtime=True)
    timeline = plan("anma")
    duration, chapters = timeline["duration"], timeline["chapters"]
    with Terminal(["play", "anma"], env) as term:
        _until_screen_shows(term, " left")
        screen = term.read(3.0)
        # Whole seconds, at most the 3 s read (and a little) into the session; never more
        # than the real session (the old estimate said 6:33 of a 6:24 one).
        assert duration - 4.5 <= _time_left(screen) <= duration + 1.5
        term.press("n")
        term.read(2.0)
        screen = term.read(0.5)
        assert chapters[1]["title"] in screen
        after = duration - chapters[1]["start"]
        assert after - 3.5 <= _time_left(screen) <= after + 1.5
        term.press("q")
        assert term.wait() == 0


def test_keys_pressed_while_play_starts_are_kept_and_not_echoed(tmp_path, mini_path):
    env, _ = _home(tmp_path, realtime=True)
    # Typed before coach has even started: kept, and acted on once it plays.
    with Terminal(["play", str(mini_path)], env) as term:
        term.press("q")
        assert term.wait() == 0
        _until_screen_shows(term, "Stopped.")
    # Typed while it starts (keys are read from the moment echo is off, before the voice
    # is ready): not shown on the screen.
    with Terminal(["play", str(mini_path)], env) as term:
        wait_until(lambda: not termios.tcgetattr(term.slave)[3] & termios.ECHO, "echo off")
        term.press("x")
        term.press("q")
        assert term.wait() == 0
        _until_screen_shows(term, "Stopped.")
        assert "x" not in term.read(0)


# ---- the key state machine in-process: an injected clock and device ---------------------
#
# The device keeps each buffer it is given and when it was started and stopped on the
# clock; the clock moves only when the player waits for a key. What the listener heard is
# then exact: each buffer up to where it was stopped, in order.


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Buffer:
    def __init__(self, clock: _Clock, data: bytes, channels: int) -> None:
        self.clock, self.started, self.stopped = clock, clock.now, None
        self.samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels)

    def is_playing(self) -> bool:
        return self.stopped is None and self.clock.now < self.started + len(self.samples) / RATE

    def stop(self) -> None:
        if self.is_playing():
            self.stopped = self.clock.now

    def heard(self) -> np.ndarray:
        if self.stopped is None:
            return self.samples
        return self.samples[: int((self.stopped - self.started) * RATE)]


class _Device:
    def __init__(self, clock: _Clock) -> None:
        self.clock, self.buffers = clock, []

    def play_buffer(self, data: bytes, channels: int, width: int, rate: int) -> _Buffer:
        assert (width, rate) == (2, RATE)
        self.buffers.append(_Buffer(self.clock, data, channels))
        return self.buffers[-1]

    def stop_all(self) -> None:
        for b in self.buffers:
            b.stop()

    def heard(self) -> np.ndarray:
        return np.concatenate([b.heard() for b in self.buffers])


def _keys(clock: _Clock, pressed: list[tuple[float, str]]):
    """``poll_key`` pressing each key at its time (seconds on ``clock``); waiting moves the
    clock on, at most to the next key."""
    pending = sorted(pressed)

    def poll(timeout: float) -> str | None:
        if pending and pending[0][0] <= clock.now:
            return pending.pop(0)[1]
        clock.now = min(clock.now + timeout, pending[0][0] if pending else float("inf"))
        return None

    return poll


@pytest.fixture(scope="module")
def mini_session():
    from coach.routinefile import loads
    from coach.session import Options, Session
    from conftest import MINI

    with Session(loads(MINI), Options(voice="espeak:en-us")) as session:
        whole = np.concatenate(list(session.blocks(RATE)))
        starts = [0]
        for k in range(session.chapter_count):
            starts.append(starts[-1] + session.chapter(k).length)
        yield session, whole, starts


def _play(session, pressed: list[tuple[float, str]]):
    from coach import player

    clock = _Clock()
    device = _Device(clock)
    reached: list[int] = []
    shown: list[str] = []
    outcome = player.play(
        session,
        poll_key=_keys(clock, pressed),
        status=shown.append,
        on_chapter=reached.append,
        device=device,
        clock=clock,
    )
    return outcome, device.heard(), reached, shown


def test_in_process_play_without_keys_is_the_whole_session(mini_session):
    from coach.player import Outcome

    session, whole, _ = mini_session
    outcome, heard, reached, shown = _play(session, [])
    assert outcome is Outcome.FINISHED
    assert np.array_equal(heard, whole)
    assert reached == list(range(session.chapter_count))
    assert shown[0].startswith(f"{session.chapter_title(0)} · Starting · ")
    assert shown[-1].endswith("0:00 left")
    # Never the chapter's title twice ("Smile lines · Smile lines"): its bell says the step.
    assert all(len(set(line.split(" · ")[:2])) == 2 for line in shown), shown
    assert "Strokes · step 2 of 2 · " in "\n".join(shown)


def test_in_process_pause_and_resume_lose_nothing(mini_session):
    from coach.player import Outcome

    session, whole, starts = mini_session
    at = starts[1] / RATE + 1.0  # a second into the first step
    outcome, heard, _, shown = _play(session, [(at, " "), (at + 5, " ")])
    assert outcome is Outcome.FINISHED
    assert np.array_equal(heard, whole)
    assert any(s.endswith("paused — space to resume") for s in shown)


def test_in_process_q_quits_where_it_is(mini_session):
    from coach.player import Outcome

    session, whole, _ = mini_session
    outcome, heard, reached, _ = _play(session, [(1.0, "q")])  # during the opening chime
    assert outcome is Outcome.QUIT and reached == []
    assert np.array_equal(heard, whole[:RATE])


def test_in_process_n_skips_and_b_restarts_or_goes_back(mini_session):
    from coach import player
    from coach.player import DOUBLE_BACK, Outcome

    session, whole, starts = mini_session
    first = starts[1] / RATE  # where step 1 starts, give or take a tick
    # n a second into step 1: step 2 from its start; b in it: step 2 again, and again
    # (the b before was long ago); b once more at once: step 1; then on to the end.
    pressed = [
        (first + 1.0, "n"),
        (first + 2.0, "b"),
        (first + 3.0 + 2 * DOUBLE_BACK, "b"),
        (first + 3.1 + 2 * DOUBLE_BACK, "b"),
    ]
    clock = _Clock()
    device = _Device(clock)
    reached: list[int] = []
    outcome = player.play(
        session,
        poll_key=_keys(clock, pressed),
        on_chapter=reached.append,
        device=device,
        clock=clock,
    )
    assert outcome is Outcome.FINISHED
    assert reached == [0, 1, 2, 2, 2, *range(1, session.chapter_count)]
    # The opening chime, then each chapter from its start, whole where it played out.
    lead, *played = device.buffers
    assert np.array_equal(lead.samples, whole[: len(lead.samples)])
    assert np.array_equal(played[0].samples, whole[len(lead.samples) : starts[1]])
    for buffer, k in zip(played[1:], reached[1:]):
        assert np.array_equal(buffer.samples, whole[starts[k] : starts[k + 1]])
    cut = [b.stopped is not None for b in played]
    assert cut == [False, True, True, True, True, *[False] * (len(played) - 5)]


def test_in_process_status_line_is_in_the_sessions_language():
    # A Japanese session's status line is Japanese from the chime to the end: the chapter,
    # where the listener is (step, side, motion), time left and pause.
    from coach.routinefile import loads
    from coach.session import Options, Session
    from conftest import MINI_JA

    with Session(loads(MINI_JA), Options(voice="espeak:jpx/ja")) as session:
        first = session.chapter(0).length / RATE
        outcome, _, _, shown = _play(session, [(first + 1.0, " "), (first + 3.0, " ")])
    text = "\n".join(shown)
    assert shown[0].startswith("はじめに · 開始 · 残り ")
    assert "まる · ステップ 1/2 · 残り " in text
    assert "なで上げ · 左側、なで 1/2 · " in text and "右側、なで 2/2、キープ · " in text
    assert "一時停止中 — スペースで再開" in text
    assert shown[-1].endswith("残り 0:00")
    assert not any(word in text for word in ("left", "Starting", "step", "paused"))


def test_a_japanese_session_ends_with_its_own_last_line(tmp_path, mini_ja_path):
    # Through the real `coach play`: the line after the sound is the session's language's.
    home, _ = _home(tmp_path)
    played = run_coach(
        "play", mini_ja_path, "--language", "ja", "--voice", "espeak:jpx/ja", "--pace", "fast",
        env=home,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    assert played.stderr.splitlines()[-1] == "おつかれさまでした。"

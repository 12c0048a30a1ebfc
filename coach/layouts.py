"""A session's chapters on the clock, and its time: each chapter laid out on its own from
sample 0 (so chapter *k* alone is sample-for-sample chapter *k* inside the whole
timeline), the whole timeline, the plan from estimated line lengths (what the session's
gain is decided from before any line is spoken) and the time left while it plays.

Data flows one way: a Script and the session's Clips (whose lengths place every event)
in, laid-out events and sample counts out. Lengths are samples at ``clock.RATE``.
"""

from __future__ import annotations

from coach import timeline
from coach.clips import Clips
from coach.clock import RATE
from coach.script import Beat, Cue, Rest, Say, Script, speech_estimate, texts
from coach.timeline import Event, Timeline


class Layouts:
    """The chapters of ``script`` laid out with the lengths of ``clips``; ``rate`` is the
    speaking voice's rate (words or morae per minute) that line estimates assume.
    Thread-safe as far as live play needs: a chapter laid out twice comes out the same."""

    def __init__(self, script: Script, clips: Clips, rate: float | None) -> None:
        self.script, self._clips, self._rate = script, clips, rate
        self.cues: list[tuple[Cue, ...]] = [cues for _, cues in script.chapters()]
        self.titles: list[str] = [title for title, _ in script.chapters()]
        self._laid: dict[int, tuple[tuple[Event, ...], int]] = {}  # chapter -> events, end
        self._estimates: dict[str, int] = {}  # text -> estimated samples

    @property
    def count(self) -> int:
        """How many chapters."""
        return len(self.cues)

    def laid_out(self, index: int) -> tuple[tuple[Event, ...], int]:
        """Chapter ``index``'s events from 0 and its length in samples, synthesizing its
        lines (kept: a chapter's length places the next)."""
        if index not in self._laid:
            cues = self.cues[index]
            events, end = timeline.layout_chapter(cues, self._clips.lengths(texts(cues)), RATE)
            self._laid[index] = (tuple(events), end)
        return self._laid[index]

    def start_of(self, index: int) -> int:
        """Where chapter ``index`` starts on the session's clock, samples (lays out the
        chapters before it)."""
        return sum(self.laid_out(i)[1] for i in range(index))

    def opening(self) -> tuple[list[Event], int]:
        """Chapter 0's events before its first spoken line, and where that line starts:
        laid out without any speech (nothing before the first line depends on a clip)."""
        head: list[Cue] = []
        for cue in self.cues[0]:
            if isinstance(cue, Say):
                break
            head.append(cue)
        return timeline.layout_chapter(head, {}, RATE)

    def timeline(self) -> Timeline:
        """The whole session on one clock (synthesizes every line)."""
        return timeline.layout(self.script, self._clips.lengths(self.script.texts()), RATE)

    def estimated(self, text: str) -> int:
        """``text``'s estimated length in samples at the voice's rate (kept: asked for
        again and again while playing). The rate each engine speaks at is measured
        (coach.speech), so words per minute is the common measure; the Speaker's own rate,
        not a fallback's, keeps the plan the same however the session is made."""
        if text not in self._estimates:
            seconds = speech_estimate(
                text, self.script.settings.pace, self._rate, self.script.language
            )
            self._estimates[text] = round(seconds * RATE)
        return self._estimates[text]

    def plan(self) -> Timeline:
        """The whole session laid out with each line's estimated length (no speech made)."""
        frames = {t: self.estimated(t) for t in self.script.texts()}
        return timeline.layout(self.script, frames, RATE)

    def seconds_from(self, index: int) -> float:
        """How long the session lasts from the start of chapter ``index`` to its end,
        seconds: each chapter exactly once its lines have been spoken, else its plan with
        each line's estimate corrected by how fast the voice has been so far (the "time
        left" of a session whose later chapters are not made yet)."""
        frames = self._clips.spoken()
        estimated = sum(self.estimated(t) for t in frames)
        speed = sum(frames.values()) / estimated if estimated else 1.0
        # How fast the voice has been is trusted as far as the speech it was measured on
        # goes: the first chapter's few lines (an intro, slower than the rest) taken for
        # the whole session put "time left" 8 to 20 s too high, and it then fell back as
        # the truth came in (3:16, then 3:24). Weighted by the share of the session's
        # speech made so far, the estimate moves only as far as the evidence does.
        everything = sum(self.estimated(t) for t in self.script.texts())
        speed = 1.0 + (speed - 1.0) * (estimated / everything if everything else 0.0)
        total = 0
        for k in range(index, self.count):
            cues = self.cues[k]
            if all(text in frames for text in texts(cues)):
                total += self.laid_out(k)[1]  # nothing is spoken for it: all lines exist
            else:
                total += round(
                    sum(c.seconds for c in cues if isinstance(c, Beat | Rest)) * RATE
                    + speed
                    * sum(self.estimated(c.text) for c in cues if isinstance(c, Say) and not c.over)
                )
        return total / RATE

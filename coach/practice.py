"""What a played session reports as it goes, to whoever keeps track of practice.

The audio pipeline reports what was heard in its own terms (``player.Listener``: the first
sound, each chapter as it starts, samples played); ``Tracker`` turns that into the
practice's terms, a session that started, the routine step that started, the seconds
played, the end, and tells every ``Observer`` (the history's Recording; the web page
reports through the same three calls). Neither side knows the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from coach.clock import RATE
from coach.script import Script
from coach.session import Options


class Observer(Protocol):
    """Follows one session. ``step``: the routine's step index that starts (None: the
    closing, after the last step); ``seconds``: sound played so far, pauses excluded."""

    def start(self) -> None: ...

    def step_started(self, step: int | None, seconds: float) -> None: ...

    def end(self, finished: bool, seconds: float) -> None: ...


class Tracker:
    """A ``player.Listener`` that reports to ``observers`` in steps and seconds."""

    def __init__(self, script: Script, observers: Sequence[Observer]) -> None:
        self.script, self.observers = script, tuple(observers)

    def sound_started(self) -> None:
        for o in self.observers:
            o.start()

    def chapter_started(self, index: int, played: int) -> None:
        step = self.script.step_of(index)
        for o in self.observers:
            o.step_started(step, played / RATE)

    def sound_ended(self, played: int, finished: bool) -> None:
        for o in self.observers:
            o.end(finished, played / RATE)


def options_record(options: Options) -> dict[str, Any]:
    """What the history keeps of a session's options: those that shape the practice
    (pace, minutes, talk, counting, the step it started from, voice, rate, bed, tones)."""
    s = options.settings
    bed = options.mix.bed
    record: dict[str, Any] = {"pace": s.pace.value, "talk": s.talk.value, "count": s.count,
                              "minutes": s.minutes, "from": s.start + 1, "voice": options.voice,
                              "rate": options.rate, "bed": bed.name or str(bed.path) if bed else None,
                              "tones": s.tones, "mono": options.mix.channels == 1}
    return {k: v for k, v in record.items() if v is not None}

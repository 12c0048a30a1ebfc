"""What a played session reports as it goes, to whoever keeps track of practice.

The audio pipeline reports what was heard in its own terms (``player.Listener``: the first
sound, each chapter as it starts, samples played); ``Tracker`` turns that into the
practice's terms, a session that started, the routine step that started, the seconds
played, the end, and tells every ``Observer`` (the history's Recording; the web page
reports through the same three calls). Neither side knows the other.

Observers are called on a thread of their own, in order: writing to a disk (an fsync can
take a while on a busy machine) never delays a sound or the next chapter. The end is
waited for (at most END_WAIT seconds), so it is written before coach exits.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from coach.clock import RATE
from coach.script import Script
from coach.session import Options

#: How long the end of a session waits for the observers to catch up, seconds.
END_WAIT = 10.0


class Observer(Protocol):
    """Follows one session. ``step``: the routine's step index that starts (None: the
    closing, after the last step); ``seconds``: sound played so far, pauses excluded."""

    def start(self) -> None: ...

    def step_started(self, step: int | None, seconds: float) -> None: ...

    def end(self, finished: bool, seconds: float) -> None: ...


class Tracker:
    """A ``player.Listener`` that reports to ``observers`` in steps and seconds, on a
    thread of its own (started with the first sound, none without observers)."""

    def __init__(self, script: Script, observers: Sequence[Observer]) -> None:
        self.script, self.observers = script, tuple(observers)
        self._calls: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def _tell(self, call: Callable[[Observer], None]) -> None:
        if not self.observers:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="coach-practice", daemon=True)
            self._thread.start()
        for o in self.observers:
            self._calls.put(lambda o=o: call(o))  # type: ignore[misc]

    def _run(self) -> None:
        while (call := self._calls.get()) is not None:
            call()

    def sound_started(self) -> None:
        self._tell(lambda o: o.start())

    def chapter_started(self, index: int, played: int) -> None:
        step = self.script.step_of(index)
        self._tell(lambda o: o.step_started(step, played / RATE))

    def sound_ended(self, played: int, finished: bool) -> None:
        self._tell(lambda o: o.end(finished, played / RATE))
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join(END_WAIT)


def options_record(options: Options) -> dict[str, Any]:
    """What the history keeps of a session's options: those that shape the practice
    (pace, minutes, talk, counting, the step it started from, voice, rate, bed, tones)."""
    s = options.settings
    bed = options.mix.bed
    record: dict[str, Any] = {
        "pace": s.pace.value,
        "talk": s.talk.value,
        "count": s.count,
        "minutes": s.minutes,
        "from": s.start + 1,
        "voice": options.voice,
        "rate": options.rate,
        "bed": bed.name or str(bed.path) if bed else None,
        "tones": s.tones,
        "mono": options.mix.channels == 1,
    }
    return {k: v for k, v in record.items() if v is not None}

"""The page's practice, recorded in the history as ``coach play`` records it.

The page reports its player's progress in the three calls of ``practice.Observer``: the
session started (the first sound), a chapter started with the seconds played so far
(pauses and seeks excluded), the session ended (played to its end, or left). ``Progress``
keeps a history ``Recording`` for each page session under way, by the page's random id,
and turns chapters into the routine's steps as ``practice.Tracker`` does. At most
``LIMIT`` page sessions are followed at once: beyond that the oldest is ended as stopped.
A session nobody ends (a phone that went away) stays as the history keeps any session
whose end never came: with its last step and seconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coach.errors import InputError

if TYPE_CHECKING:
    from coach.practice import Observer
    from coach.script import Script
    from coach.serve.query import Chosen

#: Page sessions followed at once.
LIMIT = 32


@dataclass
class _Followed:
    observer: Observer
    script: Script
    seconds: float = 0.0


class Progress:
    """Page sessions under way, by id. ``notify`` gets a line when the history cannot be
    written (the page plays on, as ``coach play`` does)."""

    def __init__(self, notify: Callable[[str], None] | None = None) -> None:
        self.notify = notify
        self._followed: OrderedDict[str, _Followed] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, uid: str, chosen: Chosen) -> bool:
        """A page session ``uid`` of ``chosen`` starts; False when the history is off.
        DamagedHistory or NewerHistory (InputError) when the history cannot take it."""
        from coach import config
        from coach.history.recording import Recording
        from coach.script import build

        if not config.effective(config.load(), {})["history"].value:
            return False
        # A damaged or newer history file: InputError here, its one line on the page.
        recording = Recording.of(chosen.routine, chosen.options, notify=self.notify)
        followed = _Followed(recording, build(chosen.routine, chosen.options.settings))
        with self._lock:
            old = self._followed.pop(uid, None)
            self._followed[uid] = followed
            gone = []
            while len(self._followed) > LIMIT:
                gone.append(self._followed.popitem(last=False)[1])
        for f in ([old] if old else []) + gone:
            f.observer.end(False, f.seconds)
        recording.start()
        return True

    def _get(self, uid: str) -> _Followed | None:
        with self._lock:
            return self._followed.get(uid)

    def chapter(self, uid: str, index: int, seconds: float) -> None:
        """Chapter ``index`` of page session ``uid`` starts, ``seconds`` played so far."""
        followed = self._get(uid)
        if followed is None:
            return
        if not 0 <= index < len(followed.script.chapters()):
            raise InputError(
                f"chapter {index}: the session has chapters 0 to "
                f"{len(followed.script.chapters()) - 1}"
            )
        followed.seconds = seconds
        followed.observer.step_started(followed.script.step_of(index), seconds)

    def end(self, uid: str, finished: bool, seconds: float) -> None:
        """Page session ``uid`` ended, ``finished`` or left, ``seconds`` played in all."""
        with self._lock:
            followed = self._followed.pop(uid, None)
        if followed is not None:
            followed.observer.end(finished, seconds)

    def close(self) -> None:
        """End every session still followed as stopped (the server is stopping)."""
        with self._lock:
            left = list(self._followed.values())
            self._followed.clear()
        for f in left:
            f.observer.end(False, f.seconds)


def event(body: Any) -> tuple[str, str, int, float, bool]:
    """(id, kind, chapter, seconds, finished) of a progress report the page sent as JSON:
    ``{"session": ID, "event": "start"|"chapter"|"end", "chapter": N, "seconds": S,
    "finished": B}``. InputError naming what is wrong."""
    import math
    import re

    if not isinstance(body, dict):
        raise InputError("progress: a JSON object is expected")
    uid, kind = body.get("session"), body.get("event")
    if not isinstance(uid, str) or not re.fullmatch(r"[0-9a-f]{16,64}", uid):
        raise InputError("progress: 'session' must be 16 to 64 hexadecimal digits")
    if kind not in ("start", "chapter", "end"):
        raise InputError("progress: 'event' must be start, chapter or end")
    chapter, seconds, finished = (
        body.get("chapter", 0),
        body.get("seconds", 0.0),
        body.get("finished", False),
    )
    if not isinstance(chapter, int) or isinstance(chapter, bool) or chapter < 0:
        raise InputError("progress: 'chapter' must be a whole number from 0")
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not math.isfinite(seconds)
        or not 0 <= seconds <= 86_400
    ):
        raise InputError("progress: 'seconds' must be a number from 0 to 86400")
    if not isinstance(finished, bool):
        raise InputError("progress: 'finished' must be true or false")
    return uid, kind, chapter, float(seconds), finished

"""One session being recorded as it plays: the history's side of ``practice.Observer``.

Front doors make one with ``Recording.of(routine, options)`` before the first sound and
hand it to the play use case (``practice.Tracker``), or call ``start``, ``step_started``
and ``end`` themselves as the session goes. The session is stored when it starts and
brought up to date as each step starts, so a crash or ``kill -9`` keeps what was done;
``end`` says how it ended. Recording never stops a session: the first failure (a full
disk, a read-only folder, a damaged file) is one note through ``notify`` and the session
plays on unrecorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from coach.errors import CoachError
from coach.history.store import Entry, Outcome, Store, open_store

if TYPE_CHECKING:
    from coach.routine import Routine
    from coach.session import Options


class Recording:
    """Records one session of ``routine`` (its name and ``title``, ``steps_total`` steps)
    played with ``options`` into the history at ``path`` (default: the user's). The three
    calls are those of ``practice.Observer``: ``start``, ``step_started``, ``end``."""

    def __init__(
        self,
        routine: str,
        title: str,
        steps_total: int,
        options: Mapping[str, Any] | None = None,
        path: Path | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.routine, self.title, self.steps_total = routine, title, steps_total
        self.options = MappingProxyType(dict(options or {}))
        self.path, self.notify = path, notify
        self.store: Store | None = None
        self.id = 0
        self.failed = False
        self.steps: set[int] = set()  # every step that started
        self.current: int | None = None
        self.closing = False

    @classmethod
    def of(
        cls,
        routine: Routine,
        options: Options,
        path: Path | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> Recording:
        """The Recording of a session of ``routine`` played with ``options``: what every
        front door (the command line, the web page) calls before the session's first
        sound. The history file is checked first (its header only, no sqlite3):
        DamagedHistory or NewerHistory (status 2) when it cannot be recorded to."""
        from coach.history.store import check, default_path
        from coach.practice import options_record

        check(path or default_path())
        return cls(
            routine.name,
            routine.title,
            len(routine.steps),
            options_record(options),
            path=path,
            notify=notify,
        )

    def _try(self, work: Callable[[], None]) -> None:
        if self.failed:
            return
        try:
            work()
        except (CoachError, OSError) as exc:
            self.failed = True
            self._close()
            if self.notify:
                self.notify(f"could not record this session in the history ({exc}); it plays on")

    def start(self) -> None:
        """Store the session as begun, now."""

        def work() -> None:
            self.store = open_store(self.path)
            assert self.store is not None
            self.id = self.store.add(
                Entry(
                    uid=uuid.uuid4().hex,
                    routine=self.routine,
                    title=self.title,
                    started=_now(),
                    steps_total=self.steps_total,
                    options=self.options,
                )
            )

        self._try(work)

    @property
    def steps_done(self) -> int:
        """Steps played through: every step started but the one playing (all of them
        once the closing is reached)."""
        return len(self.steps - ({self.current} if self.current is not None else set()))

    def _update(self, seconds: float, outcome: Outcome) -> None:
        def work() -> None:
            if self.store is not None:
                self.store.update(
                    self.id,
                    ended=_now(),
                    seconds=seconds,
                    steps_done=self.steps_done,
                    closing=self.closing,
                    outcome=outcome,
                )

        self._try(work)

    def step_started(self, step: int | None, seconds: float) -> None:
        """The step of index ``step`` starts (None: the closing); ``seconds`` played so far."""
        if step is None:
            self.closing, self.current = True, None
        else:
            self.steps.add(step)
            self.current = step
        self._update(seconds, Outcome.PLAYING)

    def end(self, finished: bool, seconds: float) -> None:
        """The session ended, played to its end or stopped; ``seconds`` played in all."""
        if finished:
            self.closing, self.current = True, None
        self._update(seconds, Outcome.FINISHED if finished else Outcome.STOPPED)
        self._close()

    def _close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


def _now() -> datetime:
    """Now, on the local clock with its UTC offset."""
    return datetime.now().astimezone().replace(microsecond=0)

"""The server's one line of heavy work: renders and plans run one at a time, in one thread.

Several phones and tabs may ask at once. A job is named (a session's key): asking for a
job that is already waiting or running joins it, so ten clients asking for one new
session make it once. At most ``limit`` distinct jobs wait; beyond that ``submit`` raises
Busy, which the server answers with 503 and Retry-After. The clients wait on the job's
future without holding anything else, so a slow or vanished one blocks no other; a job
whose clients have all gone still finishes (its result is kept for the next one).
``close`` stops the line: jobs not started are cancelled, the running one is told to stop
(``stop``) and waited for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from coach.errors import CoachError

T = TypeVar("T")

#: Distinct jobs that may wait (or run) at once.
LIMIT = 8


class Busy(CoachError):
    """Too many jobs are waiting: try again later."""


class Renders:
    """One job at a time; ``stop`` is set when the line closes, for the running job to see."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.stop = threading.Event()
        self.started = 0  # jobs begun (the tests count renders)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="coach-render")
        self._jobs: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def submit(self, name: str, work: Callable[[], T]) -> Future[T]:
        """The future of the job ``name``: the waiting or running one of that name, else
        ``work`` queued. Raises Busy when ``limit`` jobs are waiting already."""
        with self._lock:
            found = self._jobs.get(name)
            if found is not None:
                return found
            if len(self._jobs) >= self.limit:
                raise Busy(f"{len(self._jobs)} sessions are being made; try again in a minute")
            if self.stop.is_set():
                raise Busy("the server is stopping")
            future = self._pool.submit(self._run, work)
            self._jobs[name] = future
        future.add_done_callback(lambda _: self._forget(name))
        return future

    def _run(self, work: Callable[[], T]) -> T:
        with self._lock:
            self.started += 1
        return work()

    def _forget(self, name: str) -> None:
        with self._lock:
            self._jobs.pop(name, None)

    @property
    def waiting(self) -> int:
        """Jobs waiting or running."""
        with self._lock:
            return len(self._jobs)

    def close(self) -> None:
        """Cancel the jobs not started, stop the running one, wait for it (idempotent)."""
        self.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

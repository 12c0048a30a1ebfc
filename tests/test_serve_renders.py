"""The server's line of work: one job at a time, a job asked for twice made once, a bound
on what waits, and a close that stops it."""

from __future__ import annotations

import threading

import pytest

from coach.serve.renders import Busy, Renders


def test_a_job_asked_for_while_it_waits_or_runs_is_joined():
    line = Renders()
    gate = threading.Event()
    made = []

    def work() -> str:
        gate.wait(10)
        made.append(1)
        return "done"

    first = line.submit("a", work)
    again = [line.submit("a", work) for _ in range(9)]
    assert all(f is first for f in again)
    gate.set()
    assert first.result(10) == "done" and made == [1] and line.started == 1
    line.close()


def test_jobs_run_one_at_a_time_and_beyond_the_limit_is_busy():
    line = Renders(limit=2)
    gate = threading.Event()
    running = []

    def work() -> None:
        running.append(threading.active_count())
        gate.wait(10)

    a, b = line.submit("a", work), line.submit("b", work)
    with pytest.raises(Busy, match="try again"):
        line.submit("c", work)
    assert line.waiting == 2
    gate.set()
    a.result(10), b.result(10)
    assert line.started == 2
    line.submit("c", lambda: None).result(10)  # room again once they are done
    line.close()


def test_close_cancels_what_waits_and_tells_the_running_job_to_stop():
    line = Renders()
    seen = threading.Event()

    def work() -> str:
        seen.set()
        line.stop.wait(10)
        return "stopped"

    running = line.submit("a", work)
    waiting = line.submit("b", lambda: "never")
    seen.wait(10)
    line.close()
    assert running.result(1) == "stopped" and waiting.cancelled()
    with pytest.raises(Busy, match="stopping"):
        line.submit("c", lambda: None)

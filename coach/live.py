"""``coach play``'s use case, beside the export job (coach.job): where a live session
starts (``--from``, ``--resume``) and what is remembered while it plays, so ``--resume``
can go on where it stopped. The front door brings the keys and the status line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from coach import player, resume
from coach.errors import InputError
from coach.routine import Routine, find_step
from coach.session import Session


def start_step(spec: str, routine: Routine, resuming: bool, step: str | None) -> tuple[int, str]:
    """The step index a ``coach play ROUTINE`` (``spec`` as typed) starts at, and a line
    for the user about it ("" for none): ``step`` is ``--from``'s value, ``resuming`` is
    ``--resume`` (the step where the last play of the routine stopped)."""
    if not resuming:
        return (0 if step is None else find_step(routine, step)), ""
    if step is not None:
        raise InputError("--resume and --from: give one of them")
    name = resume.key(spec)
    found = resume.recall(name, routine)
    if found is None:
        return 0, f"Nothing to resume for {spec}: starting at the beginning."
    was, now = resume.recorded_title(name), routine.steps[found].title
    changed = (
        f" (it was '{was}' when you stopped: the routine has changed)" if was and was != now else ""
    )
    return found, f"Resuming at step {found + 1}: {now}.{changed}"


def play(
    session: Session,
    name: str,
    routine: Routine,
    poll_key: Callable[[float], str | None] | None,
    status: Callable[[str], None] | None,
    observers: Sequence[Any],
) -> player.Outcome:
    """Play ``session`` of ``routine`` (its resume key ``name``) to the audio device,
    remembering each step as it starts and forgetting it when the session finishes;
    ``observers`` follow the session (coach.practice.Tracker: the practice history)."""
    from coach.practice import Tracker

    def reached(chapter: int) -> None:
        # Recorded as each chapter starts, so q, Ctrl-C and even a crash leave it behind.
        step = session.script.step_of(chapter)
        if step is None:
            resume.forget(name)
        else:
            resume.remember(name, routine, step)

    outcome = player.play(
        session,
        poll_key=poll_key,
        status=status,
        on_chapter=reached,
        listener=Tracker(session.script, list(observers)),
    )
    if outcome is player.Outcome.FINISHED:
        resume.forget(name)
    return outcome

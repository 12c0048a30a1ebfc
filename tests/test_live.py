"""coach play's use case (coach.live): where a live session starts and what is remembered."""

from __future__ import annotations

import pytest

from coach import live, resume
from coach.catalog import builtin
from coach.errors import InputError


def test_from_a_step_or_the_start():
    anma = builtin("anma")
    assert live.start_step("anma", anma, False, None) == (0, "")
    assert live.start_step("anma", anma, False, "smile") == (2, "")


def test_resume_where_the_last_play_stopped_and_say_so():
    anma = builtin("anma")
    assert live.start_step("anma", anma, True, None) == (
        0,
        "Nothing to resume for anma: starting at the beginning.",
    )
    resume.remember("anma", anma, 3)
    step, note = live.start_step("anma", anma, True, None)
    assert step == 3 and note == f"Resuming at step 4: {anma.steps[3].title}."
    with pytest.raises(InputError, match="--resume and --from: give one of them"):
        live.start_step("anma", anma, True, "2")

"""The routine model: coach.routine (a step by number or title, the readable listing)."""

from __future__ import annotations

import re

import pytest

from coach.catalog import builtin
from coach.errors import InputError
from coach.routine import describe_routine, find_step
from coach.routinefile import loads
from conftest import GOOD


def test_routine_is_frozen():
    r = loads(GOOD)
    with pytest.raises(AttributeError):
        r.title = "x"  # type: ignore[misc]
    assert r.title == "T"


@pytest.mark.parametrize(
    "spec, index",
    [
        ("1", 0),
        ("3", 2),
        ("smile", 2),
        ("SMILE LINES", 2),
        ("  brows", 3),
        ("jaw", 1),
        ("Lip plucks", 4),
    ],
)
def test_find_step(spec, index):
    assert find_step(builtin("anma"), spec) == index


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("0", "--from 0: Anma facial massage has steps 1 to 6"),
        ("7", "has steps 1 to 6"),
        ("nose", "--from nose: no step by that number or title; steps: 1 Cheek circles; 2 Jaw"),
        ("", "no step by that number or title"),
    ],
)
def test_find_step_refuses(spec, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)):
        find_step(builtin("anma"), spec)


def test_find_step_prefix_of_two_titles_is_ambiguous():
    r = loads(
        GOOD.replace('title = "A"', 'title = "Brow lift"')
        + GOOD.split("\n", 2)[2].replace('title = "A"', 'title = "Brow circles"')
    )
    with pytest.raises(InputError, match=r"--from brow: fits 2 steps \(Brow lift, Brow circles\)"):
        find_step(r, "brow")
    assert find_step(r, "brow c") == 1


def test_describe_routine_lists_steps_and_phases():
    lines = describe_routine(builtin("anma"), 400)
    assert lines[0] == "Anma facial massage (anma, 6 steps, about 7 min)"
    assert lines[2].startswith("1. Cheek circles: Place your fingertips")
    assert "   - 10 x circle 3 s" in lines
    assert any(
        l.startswith("   - 5 x stroke 2.5 s, hold 1.5 s each side, left then right") for l in lines
    )
    assert any(
        l.startswith("   - 2 x hold 8 s: Rest your fingertips on the brow bone") for l in lines
    )
    assert any(l.startswith("   - 1 x resting hold 12 s: Now cup your palms") for l in lines)
    assert any(
        l.startswith("   - 1 x slow breath: Rub your palms")
        for l in describe_routine(builtin("evening"), 600)
    )

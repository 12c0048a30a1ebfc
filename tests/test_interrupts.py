"""Ctrl-C and SIGTERM: coach.interrupts (the real signals to a real export are in
test_export_failures)."""

from __future__ import annotations

import pytest

from coach import interrupts


@pytest.fixture(autouse=True)
def _fresh():
    interrupts.reset()
    yield
    interrupts.reset()


def test_the_first_signal_stops_later_ones_are_ignored():
    with pytest.raises(KeyboardInterrupt):
        interrupts.handler(2, None)
    interrupts.handler(2, None)  # the clean-up goes on
    interrupts.handler(15, None)


def test_a_signal_inside_a_shielded_block_waits_for_its_end():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.shielded():
            interrupts.handler(2, None)
            done.append("rest of the clean-up")
            with interrupts.shielded():
                interrupts.handler(15, None)
                done.append("inner")
            done.append("outer")
    assert done == ["rest of the clean-up", "inner", "outer"]
    interrupts.handler(2, None)  # stopping already: ignored


def test_a_shielded_block_without_a_signal_raises_nothing():
    with interrupts.shielded():
        pass
    with pytest.raises(KeyboardInterrupt):
        interrupts.handler(2, None)

"""coach.bedplan: the bed under one session, the same in any window of its clock."""

from __future__ import annotations

import numpy as np
import pytest

from coach.bed import resolve
from coach.render import Mix
from coach.routinefile import loads
from coach.session import Options, Session
from conftest import MINI


@pytest.fixture(scope="module")
def session():
    options = Options(voice="espeak:en-us", mix=Mix(bed=resolve("rain")))
    with Session(loads(MINI), options) as made:
        yield made


def test_a_chapter_window_has_the_gain_of_the_whole(session):
    # Ducking near a chapter's edges depends on the neighbours' lines: a chapter's own
    # envelope must give the very gain the whole session's envelope gives there.
    plan, tl = session.bed, session.timeline()
    assert plan is not None
    whole = plan.whole(tl)
    assert whole is not None
    for k, span in enumerate(tl.chapters):
        events, end = session.layouts.laid_out(k)
        window = plan.chapter(k, span.start, events, span.start + end)
        assert np.array_equal(
            window.gain(span.start, span.end), whole.gain(span.start, span.end)
        ), k


def test_the_opening_has_the_gain_of_the_whole(session):
    plan, tl = session.bed, session.timeline()
    assert plan is not None
    whole = plan.whole(tl)
    assert whole is not None
    _, end = session.layouts.opening()
    assert end > 0
    assert np.array_equal(plan.opening(end).gain(0, end), whole.gain(0, end))


def test_laying_it_adds_only_the_bed(session):
    plan = session.bed
    assert plan is not None
    silence = np.zeros((1000, session.channels), np.int16)
    envelope = plan.opening(1000)
    bed = plan.lay(silence, envelope, 0)
    assert bed.shape == silence.shape and np.any(bed != 0)
    tone = np.full((1000, session.channels), 1000, np.int16)
    assert np.array_equal(plan.lay(tone, envelope, 0).astype(np.int32) - 1000, bed)

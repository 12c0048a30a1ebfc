"""coach.layouts: a session's chapters on the clock, each laid out on its own, and its time."""

from __future__ import annotations

import pytest

from coach.routinefile import loads
from coach.session import Options, Session
from coach.timeline import Speech, moved
from conftest import MINI, RATE


@pytest.fixture(scope="module")
def layouts():
    with Session(loads(MINI), Options(voice="espeak:en-us")) as session:
        yield session.layouts


def test_each_chapter_alone_is_its_part_of_the_whole_timeline(layouts):
    tl = layouts.timeline()
    assert layouts.count == len(tl.chapters)
    for k, span in enumerate(tl.chapters):
        events, length = layouts.laid_out(k)
        assert layouts.start_of(k) == span.start and span.end - span.start == length
        inside = [e for e in tl.events if span.start <= e.start < span.end]
        assert [moved(e, span.start) for e in events] == inside
    assert layouts.start_of(layouts.count) == tl.length


def test_the_opening_is_known_without_speech(layouts):
    events, first_line = layouts.opening()
    tl = layouts.timeline()
    assert first_line == min(e.start for e in tl.events if isinstance(e, Speech))
    assert all(not isinstance(e, Speech) for e in events)


def test_time_left_is_exact_once_every_line_is_spoken(layouts):
    tl = layouts.timeline()  # speaks every line
    assert layouts.seconds_from(0) == tl.length / RATE
    last = layouts.count - 1
    assert layouts.seconds_from(last) == (tl.length - tl.chapters[last].start) / RATE


def test_the_plan_from_estimates_has_the_same_chapters(layouts):
    plan, tl = layouts.plan(), layouts.timeline()
    assert [c.title for c in plan.chapters] == [c.title for c in tl.chapters]
    assert layouts.titles == [c.title for c in tl.chapters]

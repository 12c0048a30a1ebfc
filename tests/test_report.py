"""coach.report: a session told rather than played (coach script and its JSON plan)."""

from __future__ import annotations

import json

from coach import report
from coach.bed import resolve
from coach.render import Mix
from coach.routinefile import loads
from coach.script import describe
from coach.session import Options, Session
from conftest import MINI


def test_the_plan_is_json_with_the_voice_and_no_bed_without_one():
    with Session(loads(MINI), Options(voice="espeak:en-us")) as session:
        plan = report.plan(session)
        assert json.loads(json.dumps(plan)) == plan
        assert plan["voice"] == session.voice.to_json()
        assert "bed" not in plan
        assert report.describe(session) == describe(session.script)


def test_with_a_bed_both_tell_its_ducking():
    options = Options(voice="espeak:en-us", mix=Mix(bed=resolve("rain")))
    with Session(loads(MINI), options) as session:
        plan = report.plan(session)
        lines = report.describe(session)
    assert plan["bed"]["name"] and plan["bed"]["ducking"]
    cues = describe(session.script)
    assert lines[: len(cues)] == cues
    assert lines[len(cues)].startswith("== Bed: ")
    assert len(lines) - len(cues) - 1 == len(plan["bed"]["ducking"])

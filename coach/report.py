"""A session told rather than played: ``coach script``'s readable lines and the plan as
JSON-ready data (``coach script --json``, the web page's ``/api/script``).

Data flows one way: a Session in (its timeline, voice and bed plan), text and plain data
out; times in the data are seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coach import bed
from coach.script import describe as describe_script

if TYPE_CHECKING:
    from coach.session import Session


def plan(session: Session) -> dict[str, Any]:
    """The whole session's plan as JSON-ready data: the timeline in seconds, the voice,
    and the bed with its ducking windows if any (synthesizes every line, to time them)."""
    tl = session.timeline()
    mix = session.options.mix
    out = {**tl.to_json(tones=mix.tones), "voice": session.voice.to_json()}
    envelope = session.bed.whole(tl) if session.bed is not None else None
    if mix.bed is not None and envelope is not None:
        out["bed"] = bed.to_json(mix.bed, envelope, tl.rate)
    return out


def describe(session: Session) -> list[str]:
    """The session as readable lines: its cues, and with a bed the bed and its ducking
    windows (which synthesizes the speech, to time them)."""
    lines = describe_script(session.script)
    mix = session.options.mix
    if mix.bed is not None and session.bed is not None:
        tl = session.timeline()
        envelope = session.bed.whole(tl)
        assert envelope is not None
        lines += bed.describe(mix.bed, envelope, tl.rate)
    return lines

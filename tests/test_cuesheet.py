"""Cue sheets rendered from a timeline, read back by outside parsers (webvtt-py, srt).

(Writing them beside an export, and escaping, are tested with the export.)
"""

from __future__ import annotations

import datetime

import srt
import webvtt

from coach.clock import RATE
from coach.cuesheet import render
from coach.timeline import ChapterSpan, Event, Kind, Timeline

LINES = [("Welcome. Smile 😊", 0, RATE * 2), ("Café, naïve — 按摩.", RATE * 3 + 12, RATE * 5),
         ("Next: Jaw to cheekbone.", RATE * 61 + 1, RATE * 64 - 1)]


def _timeline() -> Timeline:
    events = [Event(start, end - start, Kind.SPEECH, text=text) for text, start, end in LINES]
    events.insert(1, Event(RATE * 2, RATE, Kind.TONE))  # not a line: left out
    return Timeline("t", "Test", RATE, (ChapterSpan("Introduction", 0, RATE * 64),), tuple(events))


def _ms(samples: int) -> int:
    return samples * 1000 // RATE  # cue times round down to the millisecond


def _parse(stamp: str) -> int:
    """``HH:MM:SS.mmm`` as milliseconds."""
    hms, ms = stamp.split(".")
    h, m, sec = map(int, hms.split(":"))
    return ((h * 60 + m) * 60 + sec) * 1000 + int(ms)


def test_webvtt_reads_every_spoken_line_with_its_times():
    captions = webvtt.from_string(render(_timeline(), ".vtt")).captions
    # Emoji and symbols are not spoken, but the cue sheet shows the line as written.
    assert [c.text for c in captions] == [text for text, _, _ in LINES]
    for caption, (_, start, end) in zip(captions, LINES):
        # (webvtt-py's *_in_seconds are whole seconds: read its time strings instead.)
        assert (_parse(caption.start), _parse(caption.end)) == (_ms(start), _ms(end))


def test_srt_reads_every_spoken_line_with_its_times():
    subtitles = list(srt.parse(render(_timeline(), ".srt")))
    assert [s.index for s in subtitles] == [1, 2, 3]
    assert [s.content for s in subtitles] == [text for text, _, _ in LINES]
    for sub, (_, start, end) in zip(subtitles, LINES):
        assert sub.start == datetime.timedelta(milliseconds=_ms(start))
        assert sub.end == datetime.timedelta(milliseconds=_ms(end))


def test_lrc_gives_each_line_its_start_in_hundredths():
    lines = render(_timeline(), ".lrc").splitlines()
    assert lines[:2] == ["[ti:Test]", "[by:coach]"]
    assert lines[2:] == ["[00:00.00]Welcome. Smile 😊", "[00:03.00]Café, naïve — 按摩.",
                         "[01:01.00]Next: Jaw to cheekbone."]

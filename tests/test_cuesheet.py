"""Cue and chapter files, read back with parsers nobody here wrote (webvtt-py, srt) or by
the format's own rules (LRC lines, Podcasting 2.0 JSON, CUE sheets): each gives back
exactly the spoken line or title, at the timeline's time."""

from __future__ import annotations

import datetime
import html
import io
import json
import re

import pytest
import srt
import webvtt

from coach import cuesheet
from coach.clock import RATE
from coach.sounds import Sound
from coach.timeline import ChapterSpan, Speech, Timeline, Tone

#: Lines that broke the cue files: markup, a cue-timing arrow, entities, a blank line.
HOSTILE = [
    "Salt & pepper.",
    "A <b>bold</b> word, x --> y and the rest.",
    "a < b > c &amp; d &lt;",
    "Breathe in.\nBreathe out.",
    "One.\n\n\nTwo.",
    "--> at the start",
    "[00:01.00] looks like a time",
    'Say "hello" \\ back',
]
#: What a reader gets back: a blank line inside a cue would end it, so runs of line
#: breaks become one.
SPOKEN = [re.sub(r"\n\s*\n+", "\n", t) for t in HOSTILE]


def timeline(texts: list[str], titles: list[str]) -> Timeline:
    """Speech events of 1.5 s every 2 s; chapters splitting them evenly."""
    events = tuple(Speech(i * 2 * RATE + 17, RATE * 3 // 2, text=t) for i, t in enumerate(texts))
    length = len(texts) * 2 * RATE
    bounds = [length * i // len(titles) for i in range(len(titles) + 1)]
    chapters = tuple(ChapterSpan(t, a, b) for t, a, b in zip(titles, bounds, bounds[1:]))
    return Timeline("hostile", 'A "quoted" & <odd> title', RATE, chapters, events)


TITLES = ["Intro", 'Say "cheese"', "Back\\slash & <b>", "Closing"]


@pytest.fixture
def tl() -> Timeline:
    return timeline(HOSTILE, TITLES)


def milliseconds(clock: str) -> int:
    h, m, s, ms = map(int, re.split(r"[:.]", clock))
    return ((h * 60 + m) * 60 + s) * 1000 + ms


def test_webvtt_py_reads_back_every_line(tl):
    text = cuesheet.render(tl, ".vtt")
    captions = list(webvtt.from_buffer(io.StringIO(text)))
    assert len(captions) == len(HOSTILE)  # no cue lost to a "-->" or a blank line
    for caption, spoken, e in zip(captions, SPOKEN, tl.events):
        # webvtt-py leaves character references as written; a browser decodes them.
        assert "<" not in caption.text and "-->" not in caption.text
        assert html.unescape(caption.text) == spoken
        assert milliseconds(caption.start) == e.start * 1000 // RATE
        assert milliseconds(caption.end) == e.end * 1000 // RATE
    body = text.split("\n\n", 1)[1]
    assert all(
        "-->" not in line
        for line in body.splitlines()
        if not re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", line)
    )


def test_srt_reads_back_every_line(tl):
    subtitles = list(srt.parse(cuesheet.render(tl, ".srt")))
    assert [s.content for s in subtitles] == SPOKEN
    for s, e in zip(subtitles, tl.events):
        assert s.start.total_seconds() == pytest.approx(e.start * 1000 // RATE / 1000)
        assert s.end.total_seconds() == pytest.approx(e.end * 1000 // RATE / 1000)


def test_lrc_is_one_line_per_cue(tl):
    lines = cuesheet.render(tl, ".lrc").splitlines()
    assert lines[0] == '[ti:A "quoted" & <odd> title]'
    timed = lines[2:]
    assert len(timed) == len(HOSTILE)
    for line, text, e in zip(timed, HOSTILE, tl.events):
        m = re.fullmatch(r"\[(\d\d):(\d\d)\.(\d\d)\](.*)", line)
        assert m, line
        assert (int(m[1]) * 60 + int(m[2])) * 100 + int(m[3]) == e.start * 100 // RATE
        assert m[4] == " ".join(text.split())


def test_json_chapters(tl):
    doc = json.loads(cuesheet.render_chapters(tl, ".json", "x.mp3"))
    assert doc["version"] == "1.2.0"
    assert [c["title"] for c in doc["chapters"]] == TITLES
    for got, want in zip(doc["chapters"], tl.chapters):
        assert got["startTime"] == pytest.approx(want.start / RATE, abs=0.0005)
        assert got["endTime"] == pytest.approx(want.end / RATE, abs=0.0005)


def parse_cue(text: str) -> dict:
    """A CUE sheet read by its grammar: commands with quoted strings (``\\"`` and
    ``\\\\`` escaped) or bare words; TRACK opens a track."""
    token = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
    sheet: dict = {"tracks": []}
    for line in text.splitlines():
        words = [(re.sub(r"\\(.)", r"\1", q) if q else w) for q, w in token.findall(line)]
        assert len(token.sub("", line).strip()) == 0, line
        command, args = words[0], words[1:]
        if command == "TRACK":
            sheet["tracks"].append({"number": int(args[0]), "type": args[1]})
        elif sheet["tracks"]:
            sheet["tracks"][-1][command if command != "INDEX" else f"INDEX {args[0]}"] = (
                args[-1] if command != "INDEX" else args[1]
            )
        else:
            sheet[command] = args
    return sheet


def test_cue_sheet(tl):
    sheet = parse_cue(cuesheet.render_chapters(tl, ".cue", "sub/x y.mp3"))
    assert sheet["FILE"] == ["sub/x y.mp3", "MP3"]
    assert sheet["TITLE"] == ['A "quoted" & <odd> title']
    assert [t["number"] for t in sheet["tracks"]] == [1, 2, 3, 4]
    assert [t["TITLE"] for t in sheet["tracks"]] == TITLES
    for track, c in zip(sheet["tracks"], tl.chapters):
        mm, ss, ff = map(int, track["INDEX 01"].split(":"))
        assert ff < 75 and ss < 60
        assert (mm * 60 + ss) * 75 + ff == c.start * 75 // RATE


def test_cue_time_passes_99_minutes():
    assert cuesheet.cue_time(RATE * (120 * 60 + 1) + RATE // 75 * 3, RATE) == "120:01:03"
    assert cuesheet.cue_time(RATE - 1, RATE) == "00:00:74"


def test_wav_cue_sheet_names_wave_and_the_relative_file(tmp_path):
    from pathlib import Path

    sheet = tmp_path / "cues" / "s.cue"
    assert cuesheet.audio_name_for(sheet, tmp_path / "audio" / "s.wav") == "../audio/s.wav"
    assert cuesheet.audio_name_for(sheet, Path("relative.wav")).endswith("relative.wav")
    tl = timeline(["x"], ["Only"])
    assert parse_cue(cuesheet.render_chapters(tl, ".cue", "s.wav"))["FILE"] == ["s.wav", "WAVE"]


HOSTILE_ROUTINE = """\
title = "Salt & <b>pepper</b>"

[[steps]]
title = 'Say "cheese" --> now'
say = "Salt & pepper. A <b>bold</b> word, x --> y, and the rest."
motion = "press"
reps = 1
seconds = 1.0
"""


def test_export_writes_cue_files_parsers_read_back(tmp_path):
    # Through the real program: the timeline's own lines, read back by webvtt-py and srt,
    # and the chapter titles by the JSON and CUE readers.
    from conftest import plan, run_coach

    routine = tmp_path / "hostile.toml"
    routine.write_text(HOSTILE_ROUTINE, encoding="utf-8")
    r = run_coach(
        "export",
        routine,
        "-o",
        tmp_path / "h.wav",
        "--cues",
        tmp_path / "h.vtt",
        "--chapters",
        tmp_path / "h.cue",
    )
    assert r.returncode == 0, r.stderr
    r = run_coach(
        "export",
        routine,
        "-o",
        tmp_path / "h.ogg",
        "--cues",
        tmp_path / "h.srt",
        "--chapters",
        tmp_path / "h.json",
    )
    assert r.returncode == 0, r.stderr
    p = plan(routine)
    lines = [e["text"] for e in p["events"] if e["kind"] == "speech"]
    assert "Salt & pepper. A <b>bold</b> word, x --> y, and the rest." in lines
    vtt = list(webvtt.read(str(tmp_path / "h.vtt")))
    assert [html.unescape(c.text) for c in vtt] == lines
    assert [s.content for s in srt.parse((tmp_path / "h.srt").read_text("utf-8"))] == lines
    titles = [c["title"] for c in p["chapters"]]
    assert 'Say "cheese" --> now' in titles
    sheet = parse_cue((tmp_path / "h.cue").read_text("utf-8"))
    assert sheet["FILE"] == ["h.wav", "WAVE"]
    assert [t["TITLE"] for t in sheet["tracks"]] == titles
    doc = json.loads((tmp_path / "h.json").read_text("utf-8"))
    assert [c["title"] for c in doc["chapters"]] == titles


# ---- lines with emoji, accents and other scripts ------------------------------------

LINES = [
    ("Welcome. Smile 😊", 0, RATE * 2),
    ("Café, naïve — 按摩.", RATE * 3 + 12, RATE * 5),
    ("Next: Jaw to cheekbone.", RATE * 61 + 1, RATE * 64 - 1),
]


def _lines_timeline() -> Timeline:
    events = [Speech(start, end - start, text=text) for text, start, end in LINES]
    events.insert(1, Tone(RATE * 2, RATE, sound=Sound.PULSE))  # not a line: left out
    return Timeline("t", "Test", RATE, (ChapterSpan("Introduction", 0, RATE * 64),), tuple(events))


def _ms(samples: int) -> int:
    return samples * 1000 // RATE  # cue times round down to the millisecond


def _parse(stamp: str) -> int:
    """``HH:MM:SS.mmm`` as milliseconds."""
    hms, ms = stamp.split(".")
    h, m, sec = map(int, hms.split(":"))
    return ((h * 60 + m) * 60 + sec) * 1000 + int(ms)


def test_webvtt_reads_every_spoken_line_with_its_times():
    captions = webvtt.from_string(cuesheet.render(_lines_timeline(), ".vtt")).captions
    # Emoji and symbols are not spoken, but the cue sheet shows the line as written.
    assert [c.text for c in captions] == [text for text, _, _ in LINES]
    for caption, (_, start, end) in zip(captions, LINES):
        # (webvtt-py's *_in_seconds are whole seconds: read its time strings instead.)
        assert (_parse(caption.start), _parse(caption.end)) == (_ms(start), _ms(end))


def test_srt_reads_every_spoken_line_with_its_times():
    subtitles = list(srt.parse(cuesheet.render(_lines_timeline(), ".srt")))
    assert [s.index for s in subtitles] == [1, 2, 3]
    assert [s.content for s in subtitles] == [text for text, _, _ in LINES]
    for sub, (_, start, end) in zip(subtitles, LINES):
        assert sub.start == datetime.timedelta(milliseconds=_ms(start))
        assert sub.end == datetime.timedelta(milliseconds=_ms(end))


def test_lrc_gives_each_line_its_start_in_hundredths():
    lines = cuesheet.render(_lines_timeline(), ".lrc").splitlines()
    assert lines[:2] == ["[ti:Test]", "[by:coach]"]
    assert lines[2:] == [
        "[00:00.00]Welcome. Smile 😊",
        "[00:03.00]Café, naïve — 按摩.",
        "[01:01.00]Next: Jaw to cheekbone.",
    ]

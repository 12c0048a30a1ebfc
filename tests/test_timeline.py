"""The sequencer: coach.timeline lays a Script on one sample clock, with fake clip lengths."""

from __future__ import annotations

import json

import pytest

from coach.catalog import builtin
from coach.clock import RATE  # the session's own clock
from coach.script import COUNT_IN, Beat, Pace, Rest, Say, Script, ScriptChoices, Sound, Talk, build
from coach.timeline import (
    ChapterSpan,
    Event,
    Pause,
    Speech,
    Timeline,
    Tone,
    layout,
    layout_chapter,
    moved,
)

ANMA = builtin("anma")
SETTINGS = [
    ScriptChoices(),
    ScriptChoices(talk=Talk.MORE, count=True),
    ScriptChoices(talk=Talk.LESS, pace=Pace.FAST),
    ScriptChoices(pace=Pace.SLOW, count=True),
]


def frames(script: Script, per_word: int = 1000) -> dict[str, int]:
    """Fake clip lengths: ``per_word`` samples a word."""
    return {t: per_word * len(t.split()) for t in script.texts()}


def speech(events) -> list[Event]:
    return [e for e in events if isinstance(e, Speech)]


def assert_speech_apart(events) -> None:
    spoken = sorted(speech(events), key=lambda e: e.start)
    for a, b in zip(spoken, spoken[1:]):
        assert a.end <= b.start, (a, b)


def assert_pauses_silent(events) -> None:
    spoken = speech(events)
    for pause in (e for e in events if isinstance(e, Pause)):
        for s in spoken:
            assert s.end <= pause.start or pause.end <= s.start, (pause, s)


def shape(events) -> list[tuple]:
    return [
        (e.start, e.end, type(e), getattr(e, "text", ""), getattr(e, "sound", None)) for e in events
    ]


# ---- speech -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings", SETTINGS, ids=["normal", "more-count", "less-fast", "slow-count"]
)
@pytest.mark.parametrize("per_word", [1000, 9000])
def test_speech_never_overlaps_and_pauses_are_silent(settings, per_word):
    script = build(ANMA, settings)
    tl = layout(script, frames(script, per_word), RATE)
    assert_speech_apart(tl.events)
    assert_pauses_silent(tl.events)
    spoken = speech(tl.events)
    assert [e.text for e in spoken] == [c.text for c in script.cues if isinstance(c, Say)]
    assert all(e.length == per_word * len(e.text.split()) for e in spoken)


def test_over_speech_longer_than_its_beat_waits_and_delays_what_follows():
    cues = [
        Say("Go."),
        Say("one two three", over=True),
        Beat(Sound.CIRCLE, 0.5),
        Say("four", over=True),
        Beat(Sound.CIRCLE, 0.5),
        Beat(Sound.CIRCLE, 0.5),
        Rest(1.0),
        Say("Done."),
    ]
    events, end = layout_chapter(
        cues, {"Go.": 1000, "one two three": 3000, "four": 1000, "Done.": 1000}, rate=1000
    )
    assert shape(events) == [
        (0, 1000, Speech, "Go.", None),
        (1000, 4000, Speech, "one two three", None),  # starts with its beat
        (1000, 1500, Tone, "", Sound.CIRCLE),
        (1500, 2000, Tone, "", Sound.CIRCLE),  # rhythm runs on under the voice
        (2000, 2500, Tone, "", Sound.CIRCLE),
        (4000, 5000, Speech, "four", None),  # waits for the line before it
        (5000, 6000, Pause, "", None),  # the rest waits for the voice
        (6000, 7000, Speech, "Done.", None),
    ]
    assert end == 7000


def test_over_speech_before_a_rest_is_not_inside_the_pause():
    cues = [Beat(Sound.PRESS, 0.5), Say("one two", over=True), Rest(1.0), Say("Done.")]
    events, end = layout_chapter(cues, {"one two": 2000, "Done.": 1000}, rate=1000)
    assert_pauses_silent(events)
    assert shape(events) == [
        (0, 500, Tone, "", Sound.PRESS),
        (500, 2500, Speech, "one two", None),
        (2500, 3500, Pause, "", None),
        (3500, 4500, Speech, "Done.", None),
    ]
    assert end == 4500


def test_trailing_over_speech_extends_the_chapter():
    events, end = layout_chapter(
        [Beat(Sound.PRESS, 0.5), Say("a b c", over=True)], {"a b c": 3000}, rate=1000
    )
    assert shape(events) == [(0, 500, Tone, "", Sound.PRESS), (500, 3500, Speech, "a b c", None)]
    assert end == 3500


def test_short_over_speech_leaves_the_rhythm_alone():
    cues = [Beat(Sound.PRESS, 1.0), Say("two", over=True), Beat(Sound.PRESS, 1.0), Rest(0.5)]
    events, end = layout_chapter(cues, {"two": 300}, rate=1000)
    assert shape(events) == [
        (0, 1000, Tone, "", Sound.PRESS),
        (1000, 1300, Speech, "two", None),
        (1000, 2000, Tone, "", Sound.PRESS),
        (2000, 2500, Pause, "", None),
    ]
    assert end == 2500


# ---- rhythm -------------------------------------------------------------------------------


def test_beats_after_speech_start_at_its_end_plus_the_rests():
    cues = [
        Say("hello there"),
        Rest(0.5),
        Rest(0.25),
        Beat(Sound.CIRCLE, 1.0),
        Beat(Sound.PULSE, 1.0),
    ]
    events, end = layout_chapter(cues, {"hello there": 4001}, RATE)
    tones = [e for e in events if isinstance(e, Tone)]
    assert tones[0].start == 4001 + round(0.75 * RATE)
    assert tones[1].start == 4001 + round(1.75 * RATE)
    assert end == tones[1].end == 4001 + round(2.75 * RATE)
    pauses = [e for e in events if isinstance(e, Pause)]
    assert [(p.start, p.end) for p in pauses] == [
        (4001, 4001 + round(0.5 * RATE)),
        (4001 + round(0.5 * RATE), 4001 + round(0.75 * RATE)),
    ]


def test_anma_rhythm_starts_after_the_instruction():
    script = build(ANMA)
    tl = layout(script, frames(script), RATE)
    say = next(
        e
        for e in tl.events
        if isinstance(e, Speech) and e.text == ANMA.steps[0].say.split("\n")[-1]
    )
    first = next(e for e in tl.events if isinstance(e, Tone) and e.sound is Sound.CIRCLE)
    assert first.start == say.end + round(COUNT_IN * RATE)  # time to place the hands


@pytest.mark.parametrize(
    ("seconds", "rate"),
    [(0.3333333, 22_050), (0.123457, 22_050), (0.3333333, 44_100), (0.0123457, 1000)],
)
def test_rhythm_does_not_drift(seconds, rate):
    anchor = 1234
    cues = [Say("Go now.")] + [Beat(Sound.PLUCK, seconds)] * 200
    events, end = layout_chapter(cues, {"Go now.": anchor}, rate)
    tones = [e for e in events if isinstance(e, Tone)]
    assert len(tones) == 200
    for k, tone in enumerate(tones):
        assert tone.start == anchor + round(k * seconds * rate), k
    for a, b in zip(tones, tones[1:]):
        assert a.end == b.start
    assert end == tones[-1].end == anchor + round(200 * seconds * rate)


def test_tone_events_carry_the_beat():
    cues = [Beat(Sound.HOLD, 3.0, pan=-0.6, sustain=True, label="left side, hold 1 of 2")]
    (event,), end = layout_chapter(cues, {}, RATE)
    assert event == Tone(
        0, 3 * RATE, sound=Sound.HOLD, pan=-0.6, sustain=True, label="left side, hold 1 of 2"
    )
    assert event.end == end == 3 * RATE


# ---- chapters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings", SETTINGS, ids=["normal", "more-count", "less-fast", "slow-count"]
)
def test_chapters_are_contiguous(settings):
    script = build(ANMA, settings)
    tl = layout(script, frames(script, 3000), RATE)
    assert [c.title for c in tl.chapters] == [t for t, _ in script.chapters()]
    assert tl.chapters[0].start == 0
    for a, b in zip(tl.chapters, tl.chapters[1:]):
        assert a.end == b.start
        assert a.start < a.end
    assert tl.chapters[-1].end == tl.length == max(e.end for e in tl.events)
    assert [e.start for e in tl.events] == sorted(e.start for e in tl.events)
    for c in tl.chapters:  # every event lies inside a chapter
        inside = [e for e in tl.events if c.start <= e.start < c.end]
        assert all(e.end <= c.end for e in inside)
    assert sum(
        len([e for e in tl.events if c.start <= e.start < c.end]) for c in tl.chapters
    ) == len(tl.events)


@pytest.mark.parametrize("start", [1, 12_345, 10**9 + 7])
def test_chapters_are_independent_of_where_they_start(start):
    script = build(ANMA, ScriptChoices(talk=Talk.MORE, count=True))
    clips = frames(script, 7000)
    for _, cues in script.chapters():
        at_zero, end_zero = layout_chapter(cues, clips, RATE)
        shifted, end = layout_chapter(cues, clips, RATE, start)
        assert end == end_zero + start
        assert [moved(e, -start) for e in shifted] == at_zero


def test_layout_is_its_chapters_laid_end_to_end():
    script = build(ANMA)
    clips = frames(script)
    tl = layout(script, clips, RATE)
    events: list[Event] = []
    for span, (title, cues) in zip(tl.chapters, script.chapters()):
        chapter_events, end = layout_chapter(cues, clips, RATE, span.start)
        assert (span.title, span.end) == (title, end)
        events.extend(chapter_events)
    assert tuple(events) == tl.events


def test_empty_timeline_has_no_length():
    assert Timeline("x", "X", RATE, (), ()).length == 0


# ---- JSON ---------------------------------------------------------------------------------


def test_to_json():
    script = build(ANMA)
    tl = layout(script, frames(script), RATE)
    data = tl.to_json()
    json.dumps(data)  # plain JSON types only
    assert data["routine"] == "anma"
    assert data["title"] == ANMA.title
    assert data["sample_rate"] == RATE
    assert data["duration"] == pytest.approx(tl.length / RATE)
    assert data["chapters"] == [
        {"title": c.title, "start": c.start / RATE, "end": c.end / RATE} for c in tl.chapters
    ]
    assert data["chapters"][0]["start"] == 0
    assert data["chapters"][-1]["end"] == data["duration"]
    assert len(data["events"]) == len(tl.events)
    for out, e in zip(data["events"], tl.events):
        assert {"start", "end", "kind"} <= out.keys()
        assert (out["start"], out["end"], out["kind"]) == (
            e.start / RATE,
            e.end / RATE,
            type(e).__name__.lower(),
        )
        if isinstance(e, Speech):
            assert out["text"] == e.text and "sound" not in out
        elif isinstance(e, Tone):
            assert (
                out["sound"] == e.sound.value and out["sustain"] == e.sustain and "text" not in out
            )
        else:
            assert out.keys() == {"start", "end", "kind"}
    kinds = {out["kind"] for out in data["events"]}
    assert kinds == {"speech", "tone", "pause"}


def test_chapter_span_and_event_are_frozen_values():
    # Equal by value, hashable, and not to be changed once made.
    assert ChapterSpan("A", 0, 10) != ChapterSpan("A", 0, 11)
    assert len({Pause(5, 10), Pause(5, 10)}) == 1
    assert Pause(5, 10).end == 15
    # One kind of event is not another, whatever its place.
    assert Pause(5, 10) != Speech(5, 10, text="")
    with pytest.raises(AttributeError):
        Speech(5, 10, text="x").start = 6  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ChapterSpan("A", 0, 10).end = 12  # type: ignore[misc]

"""The sequencer: a Script laid out on one integer clock, in samples.

Speech takes exactly its clip's length. Rhythm is placed from an anchor (the end of the
last speech) by rounding the *cumulative* seconds since that anchor, so a long run of
repetitions never drifts by more than half a sample. Speech never overlaps speech: a
line spoken over the rhythm waits for the one before it, and anything that is not rhythm
(speech, a rest, a new chapter) waits for the voice to finish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from coach.script import Beat, Cue, Rest, Say, Script
from coach.sounds import Sound


@dataclass(frozen=True)
class _Span:
    """``length`` samples from ``start`` on the session's clock."""

    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class Speech(_Span):
    """A spoken line: its clip, exactly ``length`` samples. ``pan``: -1 left .. +1 right."""

    text: str
    pan: float = 0.0


@dataclass(frozen=True)
class Tone(_Span):
    """A sound at the start of a slot of ``length`` samples (cut with a fade at its end);
    ``sustain``: a soft tone fills the slot; ``label``: where the listener is."""

    sound: Sound
    pan: float = 0.0
    sustain: bool = False
    label: str = ""


@dataclass(frozen=True)
class Pause(_Span):
    """Silence that the plan asks for (nothing is rendered)."""


#: Something on the timeline: every renderer, cue sheet and plan matches on its type.
Event = Speech | Tone | Pause


def moved(e: Event, by: int) -> Event:
    """``e`` ``by`` samples later (earlier when negative)."""
    return replace(e, start=e.start + by)


@dataclass(frozen=True)
class ChapterSpan:
    """A chapter from ``start`` to ``end`` samples (end exclusive)."""

    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Timeline:
    """A laid-out session: chapters cover [0, length) without gaps; events are sorted by start."""

    name: str
    title: str
    rate: int
    chapters: tuple[ChapterSpan, ...]
    events: tuple[Event, ...]
    #: The language spoken (BCP 47).
    language: str = "en"

    @property
    def length(self) -> int:
        return self.chapters[-1].end if self.chapters else 0

    def to_json(self, tones: bool = True) -> dict[str, Any]:
        """The plan with times in seconds, for ``coach script --json``. Without ``tones``
        (a voice-only session) no tone sounds: each tone's slot is listed as ``timing``,
        the time it keeps (with its sound and label), not as something heard."""
        sec = self.rate

        def event(e: Event) -> dict[str, Any]:
            out: dict[str, Any] = {"start": e.start / sec, "end": e.end / sec}
            if isinstance(e, Speech):
                out.update(kind="speech", text=e.text, pan=e.pan)
            elif isinstance(e, Tone):
                out.update(
                    kind="tone" if tones else "timing",
                    sound=e.sound.value,
                    sustain=e.sustain,
                    pan=e.pan,
                )
                if e.label:
                    out["label"] = e.label
            else:
                out["kind"] = "pause"
            return out

        return {
            "routine": self.name,
            "title": self.title,
            "language": self.language,
            "sample_rate": self.rate,
            "duration": self.length / sec,
            "chapters": [
                {"title": c.title, "start": c.start / sec, "end": c.end / sec}
                for c in self.chapters
            ],
            "events": [event(e) for e in self.events],
        }


def layout_chapter(
    cues: Sequence[Cue], clip_frames: Mapping[str, int], rate: int, start: int = 0
) -> tuple[list[Event], int]:
    """Lay one chapter's cues (no Chapter cues) from sample ``start``.

    ``clip_frames`` maps each spoken text to its clip's length in samples at ``rate``.
    Returns the events and the sample where the chapter ends.
    """
    events: list[Event] = []
    anchor, offset = start, 0.0  # the clock is anchor + round(offset * rate)
    speech_end = start
    pending: list[Say] = []

    def now() -> int:
        return anchor + round(offset * rate)

    def speak(say: Say, at: int) -> int:
        at = max(at, speech_end)
        n = clip_frames[say.text]
        events.append(Speech(at, n, text=say.text, pan=say.pan))
        return at + n

    for cue in cues:
        if isinstance(cue, Say) and cue.over:
            pending.append(cue)
            continue
        for say in pending:
            speech_end = speak(say, now())
        pending.clear()
        if not isinstance(cue, Beat):
            # Only rhythm runs under a voice; everything else waits for it.
            if speech_end > now():
                anchor, offset = speech_end, 0.0
        at = now()
        if isinstance(cue, Say):
            speech_end = speak(cue, at)
            anchor, offset = speech_end, 0.0
        elif isinstance(cue, Beat):
            offset += cue.seconds
            events.append(
                Tone(
                    at,
                    now() - at,
                    sound=cue.sound,
                    pan=cue.pan,
                    sustain=cue.sustain,
                    label=cue.label,
                )
            )
        elif isinstance(cue, Rest):
            offset += cue.seconds
            if now() > at:
                events.append(Pause(at, now() - at))
        else:  # pragma: no cover - the Script type admits nothing else
            raise TypeError(f"unexpected cue {cue!r}")
    for say in pending:
        speech_end = speak(say, now())
    end = max(now(), speech_end)
    events.sort(key=lambda e: e.start)
    return events, end


def layout(script: Script, clip_frames: Mapping[str, int], rate: int) -> Timeline:
    """The whole session on one clock. ``clip_frames``: text -> samples at ``rate``."""
    chapters: list[ChapterSpan] = []
    events: list[Event] = []
    t = 0
    for title, cues in script.chapters():
        chapter_events, end = layout_chapter(cues, clip_frames, rate, t)
        chapters.append(ChapterSpan(title, t, end))
        events.extend(chapter_events)
        t = end
    return Timeline(
        script.name, script.title, rate, tuple(chapters), tuple(events), script.language
    )

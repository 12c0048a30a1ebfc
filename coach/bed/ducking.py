"""Planned ducking: the bed's gain over the session, from the timeline, never from audio.

coach knows where every spoken line starts and ends before it makes a sample, so the bed
is lowered *ahead* of each line and raised again a moment after it, with smooth ramps and
without the pumping and late reaction of a compressor keyed on the voice. Lines closer
together than a few seconds share one window, so the bed does not bob between them. Tones
do not duck the bed.

Every time here is an integer sample position on the session's clock. The gain at a
sample depends only on the windows near it, the fade-in (the first chapter) and the
fade-out (the last chapter), so a chapter rendered alone, knowing only the last line of
the chapter before and the first line of the one after, gets the very same gain as the
whole session rendered at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.clock import RATE

#: How far the bed goes down under the voice, dB.
DEPTH_DB = 14.0
#: The bed is fully down this long before a line starts, seconds ...
LEAD = 0.15
#: ... after ramping down over this long, seconds (so it starts 0.5 s before the line).
RAMP_DOWN = 0.35
#: It stays down this long after a line ends, seconds ...
TAIL = 0.3
#: ... then comes back up over this long, seconds.
RAMP_UP = 1.2
#: Two windows closer than this (seconds, from the end of one to the start of the next)
#: become one: lines less than HOLD + LEAD + TAIL = 2.95 s apart keep the bed down. At
#: least RAMP_UP + RAMP_DOWN, so ramps never overlap.
HOLD = 2.5
#: How far one spoken line moves the bed's gain, seconds: two lines further apart than
#: this never share a ducking window, so a chapter's envelope needs the lines of its
#: neighbours only as far as this reaches.
REACH = HOLD + LEAD + TAIL + RAMP_DOWN + RAMP_UP
#: The bed fades in over the first seconds of the session (at most the first chapter) ...
FADE_IN = 5.0
#: ... and out over the last ones (at most the last chapter).
FADE_OUT = 8.0


@dataclass(frozen=True)
class Duck:
    """The bed is fully lowered over [start, end) samples; it ramps down over the RAMP_DOWN
    before ``start`` and back up over the RAMP_UP after ``end``."""

    start: int
    end: int


@dataclass(frozen=True)
class Envelope:
    """The bed's gain over a stretch of the session (without its volume): ``ducks`` sorted
    and apart by at least HOLD; fades in over [0, fade_in) and out over [fade_out, end),
    where ``fade_out`` and ``end`` are None when the session's end is not in view."""

    ducks: tuple[Duck, ...]
    fade_in: int
    fade_out: int | None = None
    end: int | None = None

    def gain(self, start: int, stop: int) -> np.ndarray:
        """Linear gain for samples [start, stop), float32: 1 at full level, DEPTH_DB down
        under the voice, 0 before the session and after its end."""
        g = np.ones(stop - start, dtype=np.float32)
        ramp_down, ramp_up = round(RAMP_DOWN * RATE), round(RAMP_UP * RATE)
        for d in self.ducks:
            if d.end + ramp_up <= start or d.start - ramp_down >= stop:
                continue
            # Down over the ramp before, all the way inside, up over the ramp after.
            _part(
                g,
                start,
                d.start - ramp_down,
                d.start,
                lambda t: _ducked((t - (d.start - ramp_down)) / ramp_down),  # noqa: B023 (called at once)
            )
            lo, hi = max(start, d.start), min(stop, d.end)
            if hi > lo:
                g[lo - start : hi - start] = DEPTH
            _part(
                g,
                start,
                d.end,
                d.end + ramp_up,
                lambda t: _ducked((d.end + ramp_up - t) / ramp_up),  # noqa: B023
            )
        if start < self.fade_in:
            _part(g, start, 0, self.fade_in, lambda t: _rise(t / self.fade_in))
        if self.fade_out is not None and self.end is not None and stop > self.fade_out:
            span = max(1, self.end - self.fade_out)
            _part(g, start, self.fade_out, self.end, lambda t: _rise((self.end - t) / span))
            if stop > self.end:
                g[max(0, self.end - start) :] = 0.0
        if start < 0:
            g[: min(len(g), -start)] = 0.0
        return g

    def to_json(self, rate: int = RATE) -> dict[str, Any]:
        """The windows in seconds, for ``coach script --json``."""
        return {
            "depth_db": DEPTH_DB,
            "ramp_down": RAMP_DOWN,
            "ramp_up": RAMP_UP,
            "fade_in": {"start": 0.0, "end": self.fade_in / rate},
            "fade_out": (
                None
                if self.fade_out is None or self.end is None
                else {"start": self.fade_out / rate, "end": self.end / rate}
            ),
            "ducking": [{"start": d.start / rate, "end": d.end / rate} for d in self.ducks],
        }


#: The gain all the way down.
DEPTH = np.float32(10 ** (-DEPTH_DB / 20))


def _part(
    g: np.ndarray, origin: int, lo: int, hi: int, factor: Callable[[np.ndarray], np.ndarray]
) -> None:
    """Multiply ``g`` (samples from ``origin``) over [lo, hi) by ``factor(t)``, ``t`` the
    sample positions there."""
    a, b = max(lo, origin), min(hi, origin + len(g))
    if b > a:
        g[a - origin : b - origin] *= factor(np.arange(a, b, dtype=np.float64)).astype(np.float32)


def _ducked(x: np.ndarray) -> np.ndarray:
    """The gain ``x`` of the way down (0 full level .. 1 DEPTH_DB down), along a raised
    cosine in dB, the way the ear hears a change of level."""
    x = np.clip(x, 0.0, 1.0)
    return 10 ** (-DEPTH_DB * (0.5 - 0.5 * np.cos(np.pi * x)) / 20)


def _rise(x: np.ndarray) -> np.ndarray:
    """0 -> 1 as ``x`` goes 0 -> 1 along a quarter sine: out of silence at once (the bed
    is heard within half a second, so the very start and end are not dead air), then
    levelling off smoothly into full level."""
    return np.sin(0.5 * np.pi * x)


def ducks(lines: Sequence[tuple[int, int]]) -> tuple[Duck, ...]:
    """The windows for spoken ``lines`` ((start, end) samples, in order): each line from
    LEAD before to TAIL after, merged where the gap is under HOLD."""
    lead, tail, hold = round(LEAD * RATE), round(TAIL * RATE), round(HOLD * RATE)
    out: list[Duck] = []
    for start, end in sorted(lines):
        d = Duck(start - lead, end + tail)
        if out and d.start - out[-1].end < hold:
            out[-1] = Duck(out[-1].start, max(out[-1].end, d.end))
        else:
            out.append(d)
    return tuple(out)


def envelope(
    lines: Sequence[tuple[int, int]], opening: int, last_chapter: tuple[int, int] | None
) -> Envelope:
    """The bed's envelope for ``lines`` (the spoken lines in view). ``opening``: how long
    the session's opening before its first line is, when the first chapter is in view,
    else 0 (the fade-in is at most that long: it is over before anything is spoken, and
    known before any speech is made, so live play can start with the bed at once);
    ``last_chapter``: the last chapter's (start, end) when it is in view, for the
    fade-out."""
    fade_in = min(round(FADE_IN * RATE), opening)
    fade_out = end = None
    if last_chapter is not None:
        start, end = last_chapter
        fade_out = max(start, end - round(FADE_OUT * RATE))
    return Envelope(ducks(lines), fade_in, fade_out, end)

"""The bed under one session: its envelope over any window of the session's clock (the
ducking under each line, the fade-in and the fade-out), and the bed laid under that
window's samples by its absolute position, so a chapter played alone and the same chapter
inside the exported file carry the very same bed.

Data flows one way: the session's chapter layouts (coach.layouts) in, envelopes and
int16 samples out. Positions and lengths are samples at ``clock.RATE``. A part of the
session, not of the coach.bed package: that package sits below the renderer (a Mix
names its Bed), this plan above the layouts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from coach import timeline
from coach.bed import Bed, lay, loop
from coach.bed.ducking import REACH, Envelope, envelope
from coach.clock import RATE
from coach.timeline import Event, Speech, Timeline

if TYPE_CHECKING:
    from coach.layouts import Layouts

#: Clip lengths that are all zero: enough to find where a chapter's first line starts.
_NO_FRAMES: Mapping[str, int] = defaultdict(int)


class BedPlan:
    """``bed`` under the session whose chapters ``layouts`` lays out, in ``channels``
    (1 or 2)."""

    def __init__(self, bed: Bed, channels: int, layouts: Layouts) -> None:
        self.bed, self.channels, self._layouts = bed, channels, layouts

    def lay(self, pcm: np.ndarray, envelope: Envelope, start: int) -> np.ndarray:
        """``pcm`` (int16, the session's samples from ``start``) with the bed under it,
        shaped by ``envelope``."""
        gain = envelope.gain(start, start + len(pcm))
        return lay(pcm, loop(self.bed, self.channels), gain, start)

    def opening(self, end: int) -> Envelope:
        """The envelope of chapter 0's first ``end`` samples (before its first line),
        known without speaking anything: live play starts with the bed at once."""
        found, _ = timeline.layout_chapter(self._layouts.cues[0], _NO_FRAMES, RATE)
        lines = [(e.start, e.end) for e in found if isinstance(e, Speech)]
        return envelope(lines, end, None)

    def chapter(self, index: int, start: int, events: tuple[Event, ...], end: int) -> Envelope:
        """The envelope for chapter ``index`` (``events`` laid out from 0) at [start, end) of
        the session: the ducking there depends on this chapter's lines plus the nearest
        line of the chapters on either side, and on nothing further (see
        coach.bed.ducking); the fade-in on the first chapter, the fade-out on the last."""
        layouts = self._layouts
        reach = round(REACH * RATE)
        lines = [(e.start + start, e.end + start) for e in events if isinstance(e, Speech)]
        pos = start
        for i in range(index - 1, -1, -1):  # back to the last line before this chapter
            laid, length = layouts.laid_out(i)
            pos -= length
            spoken = [e for e in laid if isinstance(e, Speech)]
            if spoken:
                lines.insert(0, (pos + spoken[-1].start, pos + spoken[-1].end))
                break
            if start - pos > reach:
                break
        pos = end
        for cues in layouts.cues[index + 1 :]:  # on to the next line after it
            # Where the next chapter's first line starts depends on no clip's length, so
            # it is known without speaking anything: play starts no later for it.
            found, chapter_end = timeline.layout_chapter(cues, _NO_FRAMES, RATE, pos)
            spoken = [e for e in found if isinstance(e, Speech)]
            if spoken:
                lines.append((spoken[0].start, spoken[0].start + 1))
                break
            pos = chapter_end  # exact: no speech in that chapter
            if pos - end > reach:
                break
        last = (start, end) if index == layouts.count - 1 else None
        return envelope(lines, layouts.opening()[1] if index == 0 else 0, last)

    def whole(self, tl: Timeline) -> Envelope | None:
        """The envelope over the whole of ``tl`` (the session's timeline): every ducking
        window, the fade-in and the fade-out; None for a timeline without chapters."""
        if not tl.chapters:
            return None
        lines = [(e.start, e.end) for e in tl.events if isinstance(e, Speech)]
        last = (tl.chapters[-1].start, tl.chapters[-1].end)
        return envelope(lines, self._layouts.opening()[1], last)

"""The one clock: the session's sample rate and every way a time is written for people.

Every position in coach is an integer count of samples at ``RATE``; seconds appear only
at the edges (routine files, messages, cue sheets). 24,000 Hz is the neural voice's own
rate, so the default voice is never resampled; eSpeak NG's 22,050 Hz is upsampled.
"""

from __future__ import annotations

#: Samples per second of every clip, tone, timeline and output file.
RATE = 24_000


def minutes_seconds(seconds: float) -> str:
    """``m:ss`` (``1:05``; negative times show as ``0:00``), for status lines and messages."""
    m, s = divmod(max(0, round(seconds)), 60)
    return f"{m}:{s:02d}"


def about(seconds: float) -> str:
    """A rough length in words: ``7 min`` or ``1 h 5 min``."""
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def stamp(samples: int, rate: int = RATE, sep: str = ".") -> str:
    """``HH:MM:SS.mmm`` (``sep`` before the milliseconds; SubRip uses ``,``), rounded down
    to the millisecond so a cue never starts before its sound."""
    ms = samples * 1000 // rate
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"

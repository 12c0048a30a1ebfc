"""The names of coach's sounds besides speech, and how long each built-in one lasts: what
the script engine needs to know of them, with no audio at all (``tones`` makes, stores and
loads the sounds themselves, and is their one maker; this is their one list of names).
"""

from __future__ import annotations

from enum import Enum


class Sound(Enum):
    """Every sound the coach makes besides speech."""

    CIRCLE = "circle"
    STROKE = "stroke"
    PRESS = "press"
    PLUCK = "pluck"
    PULSE = "pulse"
    HOLD = "hold"
    RELEASE = "release"
    SUSTAIN = "sustain"
    BELL = "bell"
    START = "start"
    END = "end"


#: How long each built-in sound sounds when played whole, seconds: tones synthesizes each
#: exactly this long, ending where it has died away (tests/test_tones.py checks).
SECONDS: dict[Sound, float] = {
    Sound.CIRCLE: 0.9,
    Sound.STROKE: 0.55,
    Sound.PRESS: 0.5,
    Sound.PLUCK: 0.16,
    Sound.PULSE: 0.3,
    Sound.HOLD: 0.64,
    Sound.RELEASE: 0.57,
    Sound.SUSTAIN: 1.0,
    Sound.BELL: 2.4,
    Sound.START: 2.3,
    Sound.END: 3.0,
}

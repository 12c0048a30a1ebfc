"""A Speaker: one voice at one rate, text -> clip at the session rate, each text made
once and kept in the clip cache.

What coach does to every engine's output, the same for all of them: each sentence is
resampled to the session rate (never down from 24 kHz: the neural voice is already at
it), trimmed of near-silence at its edges with a short fade so no piece starts or ends
with a click, and the sentences are joined with coach's own pause (the neural engine adds
none between sentences).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from coach import levels
from coach.clock import RATE
from coach.errors import InputError, MissingPartError
from coach.pieces import SENTENCE_PAUSE
from coach.speech import cache as clip_cache
from coach.speech.engine import Engine, Utterance

#: Near-silence kept before and after a sentence's first and last audible sample, seconds.
LEAD, TAIL = 0.02, 0.15
#: Anything below this (linear) counts as silence when trimming.
FLOOR = 0.004


@dataclass(frozen=True)
class VoiceChoice:
    """The voice a session speaks with: ``engine``, its voice ``id``, ``rate`` in words
    per minute."""

    engine: str
    id: str
    rate: int

    def to_json(self) -> dict[str, object]:
        return {"engine": self.engine, "id": self.id, "rate": self.rate}


class Speaker:
    """Makes clips with ``engine``'s ``voice`` at ``rate`` (in the session language's
    unit: words or morae per minute; ``engine_rate``, when given, is what the engine is
    asked for instead: eSpeak NG takes words per minute in every language). ``language``:
    the session's (BCP 47), part of every clip's cache key.

    ``cache``: where clips are kept (None: nowhere). ``fallback``: called once, before
    the first clip, if the engine cannot run here; it returns the Speaker to use instead
    (the default voice falls back to eSpeak NG) or raises.
    """

    def __init__(
        self,
        engine: Engine,
        voice: str,
        rate: int,
        cache: clip_cache.ClipCache | None = None,
        fallback: Callable[[MissingPartError], Speaker] | None = None,
        engine_rate: int | None = None,
        language: str = "en",
    ) -> None:
        self.engine, self.voice, self.rate, self.language = engine, voice, rate, language
        self._engine_rate = rate if engine_rate is None else engine_rate
        self.cache = cache
        self._fallback = fallback
        self._checked = False
        self._delegate: Speaker | None = None
        self._identity: str | None = None
        self._version = ""  # the engine's, read once with its identity
        self.given = 0  # clips handed out
        self.closed = False

    @property
    def choice(self) -> VoiceChoice:
        if self._delegate is not None:
            return self._delegate.choice
        return VoiceChoice(self.engine.name, self.voice, self.rate)

    def _check(self) -> None:
        """Before the first clip: make sure the engine is there (cheaply: a warm cache
        never loads it)."""
        if self._checked:
            return
        self._checked = True
        try:
            self.engine.probe()
            self._identity = self.engine.identity(self.voice, self._engine_rate)
            self._version = self.engine.version()
        except MissingPartError as exc:
            self._fall_back(exc)

    def _fall_back(self, problem: MissingPartError) -> None:
        """Hand every clip to the fallback Speaker, or raise ``problem`` if there is none
        or a clip has already been given out (a session never mixes two voices)."""
        if self._fallback is None or self.given:
            raise problem
        self._delegate = self._fallback(problem)

    def synthesize(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """Clips for ``texts`` as float32 mono at RATE; a text given twice is made once.
        Nothing is kept in memory here: the caller owns the clips. InputError for a line
        the voice has nothing to say for (only symbols, or a script it cannot read)."""
        if self.closed:  # never start an engine again once the session is over
            raise MissingPartError("the speech engine has been closed")
        self._check()
        if self._delegate is not None:
            return self._delegate.synthesize(texts)
        assert self._identity is not None
        clips = {}
        for text in dict.fromkeys(texts):
            name = self._key(text)
            clip = self.cache.get(name, RATE) if self.cache else None
            if clip is None:
                try:
                    self.engine.start()
                except MissingPartError as exc:
                    self._fall_back(exc)  # only before any clip was given: clips is empty
                    assert self._delegate is not None
                    return self._delegate.synthesize(texts)
                clip = finish(self.engine.speak(text, self.voice, self._engine_rate), text)
                if self.cache:
                    self.cache.put(name, clip, RATE)
            clips[text] = clip
            self.given += 1
        return clips

    def _key(self, text: str, tag: str = "") -> str:
        """The clip cache's name for ``text`` spoken by this Speaker (``tag``: a later
        stage's version of the clip, as ``derived`` makes)."""
        assert self._identity is not None
        return clip_cache.key(
            self.engine.name,
            self._version,
            self._identity,
            self.voice,
            self._engine_rate,
            text,
            tag,
            self.language,
        )

    def derived(self, text: str, tag: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        """Something made from ``text``'s clip (a later stage's version of it, named by
        ``tag``, which must change whenever ``make`` would make something else): from
        the cache when it is there, else ``make()``, stored. ``text`` must have been
        synthesized by this Speaker. float32 mono at RATE."""
        if self._delegate is not None:
            return self._delegate.derived(text, tag, make)
        if self.cache is None or self._identity is None:
            return make()
        name = self._key(text, tag)
        found = self.cache.get(name, RATE)
        if found is None:
            found = make()
            self.cache.put(name, found, RATE)
        return found

    def close(self) -> None:
        """Release the engine (for good: no clip is made after this); trim the cache if
        this Speaker grew it."""
        self.closed = True
        if self._delegate is not None:
            self._delegate.close()
        try:
            if self.cache is not None and self.cache.written:
                self.cache.trim()  # (never raises for the disk: a cache is only a cache)
        finally:
            self.engine.close()


def finish(utterance: Utterance, text: str = "") -> np.ndarray:
    """An engine's raw output for ``text`` as one clip at RATE: sentences resampled,
    trimmed, faded and joined with SENTENCE_PAUSE of silence. InputError when there is
    nothing to hear."""
    pieces = [_trim(resample(s.astype(np.float32), utterance.rate)) for s in utterance.sentences]
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        raise InputError(
            f"the line {text!r} has nothing this voice can say; write it in "
            "words (or choose another voice with --voice)"
        )
    gap = np.zeros(round(SENTENCE_PAUSE * RATE), dtype=np.float32)
    out: list[np.ndarray] = []
    for p in pieces:
        if out:
            out.append(gap)
        out.append(levels.edge_faded(p))
    return np.concatenate(out).astype(np.float32)


def resample(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` from ``rate`` to RATE with a polyphase filter (band-limited, deterministic)."""
    if rate == RATE:
        return x
    from scipy.signal import resample_poly

    g = math.gcd(rate, RATE)
    return resample_poly(x, RATE // g, rate // g).astype(np.float32)


def _trim(x: np.ndarray) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping LEAD and TAIL seconds."""
    loud = np.flatnonzero(np.abs(x) > FLOOR)
    if not len(loud):
        return x[:0]
    start = max(0, loud[0] - int(LEAD * RATE))
    end = min(len(x), loud[-1] + int(TAIL * RATE))
    return x[start:end]

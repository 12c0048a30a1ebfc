"""The speech-engine interface: what every engine module implements, and the values
that pass through it.

An engine turns text into raw audio in its own sample rate; everything after that
(sentence pauses, trimming, resampling to the session rate, the cache) is coach's and
the same for every engine (``coach.speech.speaker``). A new engine is one module in
this package with a class that satisfies ``Engine``, listed in ``coach.speech.ENGINES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Voice:
    """A voice as an engine offers it. ``id`` is unique within its engine; ``bundled``:
    its model is installed with coach (only such voices are offered)."""

    engine: str
    id: str
    name: str
    languages: tuple[str, ...]
    bundled: bool = True

    @property
    def spec(self) -> str:
        """The ``--voice`` value that selects exactly this voice: ``ENGINE:ID``."""
        return f"{self.engine}:{self.id}"


@dataclass(frozen=True)
class Utterance:
    """An engine's raw output for one text: float32 mono ``sentences`` at ``rate`` Hz.

    An engine that pauses between sentences by itself returns one piece; one that adds
    no pause returns each sentence apart, and coach puts its own pause between them.
    """

    rate: int
    sentences: tuple[np.ndarray, ...]


class Engine(Protocol):
    """One speech engine. Constructing it is cheap; the model or library is loaded by
    ``start`` (or on first need), so listing voices and resolving a spec cost little.

    Errors: ``resolve`` raises InputError for a voice it does not have;
    ``start``/``speak`` raise MissingPartError when the engine cannot run here.
    """

    #: The engine's name as used in ``--voice ENGINE:ID`` and in the cache key.
    name: str
    #: Words per minute at the normal pace when no ``--rate`` is given.
    default_rate: int
    #: The voice used when only the engine is named.
    default_voice: str

    def version(self) -> str:
        """The engine's version, as part of the cache key."""

    def voices(self) -> list[Voice]:
        """The voices that work here without downloading anything."""

    def resolve(self, spec: str) -> str:
        """The engine's voice id for ``spec`` (an id or name as ``voices`` lists them;
        an engine may accept more, e.g. eSpeak NG's language codes and ``+variant``)."""

    def identity(self, voice: str, rate: int) -> str:
        """Everything besides the text that decides the samples ``speak`` returns for
        ``voice`` at ``rate`` words per minute (model file hash, settings): the cache
        key's engine part. Two calls with equal identities and text give equal samples."""

    def probe(self) -> None:
        """Check cheaply (without loading a model) that the engine can run here;
        MissingPartError if not."""

    def start(self) -> None:
        """Load the engine now (idempotent); MissingPartError if it cannot run here."""

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        """Synthesize ``text`` (plain text, spoken literally) with ``voice`` at ``rate``
        words per minute."""

    def close(self) -> None:
        """Release the engine (threads, sessions, temporary files). Idempotent."""


def interpolate_rate(table: tuple[tuple[float, float], ...], wpm: float) -> float:
    """The engine setting for ``wpm``, by linear interpolation in ``table`` of measured
    (setting, words per minute) pairs, sorted by both; clamped at the ends."""
    settings = [s for s, _ in table]
    rates = [r for _, r in table]
    return float(np.interp(wpm, rates, settings))

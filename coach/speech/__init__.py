"""Speech: text -> voice clips, through one engine interface.

Engines (one module each, loaded only when used, as pyttsx3 loads its drivers):
``hibari`` (the default: a neural voice bundled with coach) and ``espeak`` (eSpeak NG
through pyttsx3: every language eSpeak has). ``open_speaker`` turns a ``--voice`` spec
and rate into a Speaker; ``voices`` lists what every engine offers.

A spec is ``ENGINE:ID`` (``hibari:heart``, ``espeak:gmw/en-us``), or as before an eSpeak
NG id, id tail, language code or name (``en-us``, ``en-gb-x-rp+f3``,
``English (America)``); a bare hibari voice name (``heart``) also works.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from coach.errors import InputError, MissingPartError, OptionError
from coach.options import RATE_RANGE
from coach.speech.cache import ClipCache
from coach.speech.engine import Engine, Voice
from coach.speech.speaker import Speaker, VoiceChoice

#: Engine name -> "module:class", in the order they are offered.
ENGINES = {"hibari": "coach.speech.hibari:HibariEngine",
           "espeak": "coach.speech.espeak:EspeakEngine"}
DEFAULT_ENGINE = "hibari"
FALLBACK_ENGINE = "espeak"

__all__ = ["ENGINES", "Engine", "Speaker", "Voice", "VoiceChoice", "engine", "open_speaker",
           "voices", "default_spec", "clip_cache", "check_rate", "check_voice"]


def engine(name: str) -> Engine:
    """A new engine object by name (nothing is loaded yet)."""
    module, _, cls = ENGINES[name].partition(":")
    made: Engine = getattr(importlib.import_module(module), cls)()
    return made


def check_rate(rate: int) -> None:
    """InputError unless ``rate`` (``--rate``, words per minute) is inside RATE_RANGE."""
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise OptionError("--rate", rate, f"must be from {RATE_RANGE[0]} to {RATE_RANGE[1]} "
                          "words per minute")


def clip_cache() -> ClipCache:
    """The clip cache in coach's cache folder (``~/.cache/coach/clips`` on Linux)."""
    from coach import places

    return ClipCache(places.cache_dir() / "clips")


def default_spec() -> str:
    """The default voice as ``ENGINE:ID``."""
    return f"{DEFAULT_ENGINE}:{engine(DEFAULT_ENGINE).default_voice}"


def check_voice(spec: str | None) -> str:
    """The voice ``--voice spec`` names, as ``ENGINE:ID`` (None: the default voice), found
    as a session would find it but without loading any model. InputError (an OptionError
    of ``--voice``) when there is no such voice; MissingPartError when its engine cannot run."""
    if spec is None:
        return default_spec()
    eng, voice, _ = _parse(spec)
    try:
        return f"{eng.name}:{voice}"
    finally:
        eng.close()


def voices() -> tuple[list[Voice], list[str]]:
    """Every engine's voices that work here, and one line per engine that cannot start."""
    found: list[Voice] = []
    problems: list[str] = []
    for name in ENGINES:
        eng = engine(name)
        try:
            found += eng.voices()
        except MissingPartError as exc:
            problems.append(f"{name}: {exc}")
        finally:
            eng.close()
    return found, problems


def _parse(spec: str | None) -> tuple[Engine, str, bool]:
    """(engine, its voice id, whether the engine was chosen by the user)."""
    if spec is None:
        eng = engine(DEFAULT_ENGINE)
        return eng, eng.default_voice, False
    head, sep, rest = spec.partition(":")
    if sep and head.strip().casefold() in ENGINES:
        eng = engine(head.strip().casefold())
        return eng, eng.resolve(rest) if rest.strip() else eng.default_voice, True
    neural = engine(DEFAULT_ENGINE)
    try:
        return neural, neural.resolve(spec), True
    except (InputError, MissingPartError):
        neural.close()
    eng = engine(FALLBACK_ENGINE)
    return eng, eng.resolve(spec), True


def open_speaker(spec: str | None, rate: int | None, pace_speech: float = 1.0,
                 cache: bool = True,
                 notify: Callable[[str], None] | None = None) -> Speaker:
    """The Speaker for ``--voice spec`` (None: the default voice) at ``--rate rate``
    (None: the engine's default rate times ``pace_speech``).

    Raises InputError for an unknown voice or a rate out of range, MissingPartError when
    the chosen engine cannot run. The default voice falls back to eSpeak NG when the
    neural engine cannot start, after calling ``notify`` with one line saying so.
    ``cache``: keep clips in coach's cache folder (``clip_cache``).
    """
    if rate is not None:
        check_rate(rate)
    eng, voice, chosen = _parse(spec)
    clips = clip_cache() if cache else None

    def wpm(e: Engine) -> int:
        return rate if rate is not None else round(e.default_rate * pace_speech)

    def fallback(problem: MissingPartError) -> Speaker:
        eng.close()
        other = engine(FALLBACK_ENGINE)
        if notify:
            notify(f"{problem}; speaking with eSpeak NG instead")
        return Speaker(other, other.resolve(other.default_voice), wpm(other), clips)

    return Speaker(eng, voice, wpm(eng), clips, None if chosen else fallback)

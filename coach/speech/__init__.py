"""Speech: text -> voice clips, through one engine interface.

Engines (one module each, loaded only when used, as pyttsx3 loads its drivers):
``hibari`` (English: a neural voice bundled with coach), ``kokoro-ja`` (Japanese: neural
voices bundled with coach) and ``espeak`` (eSpeak NG through pyttsx3: every language
eSpeak has). ``open_speaker`` turns a ``--voice`` spec, a rate and the session's language
into a Speaker; ``voices`` lists what every engine offers.

A spec is ``ENGINE:ID`` (``hibari:heart``, ``espeak:gmw/en-us``), or as before an eSpeak
NG id, id tail, language code or name (``en-us``, ``en-gb-x-rp+f3``,
``English (America)``); a bare neural voice name (``heart``, ``jf_alpha``) also works.
A voice must speak the session's language (coach.languages).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from coach import languages
from coach.errors import InputError, MissingPartError, OptionError
from coach.languages import Language
from coach.speech.cache import ClipCache
from coach.speech.engine import Engine, Voice
from coach.speech.speaker import Speaker, VoiceChoice

#: Engine name -> "module:class", in the order they are offered.
ENGINES = {
    "hibari": "coach.speech.hibari:HibariEngine",
    "kokoro-ja": "coach.speech.kokoro_ja:KokoroJaEngine",
    "espeak": "coach.speech.espeak:EspeakEngine",
}
#: The engines a bare voice name is looked up in, in order, before eSpeak NG.
NEURAL_ENGINES = ("hibari", "kokoro-ja")
FALLBACK_ENGINE = "espeak"

__all__ = [
    "ENGINES",
    "Engine",
    "Speaker",
    "Voice",
    "VoiceChoice",
    "engine",
    "open_speaker",
    "voices",
    "default_spec",
    "clip_cache",
    "check_rate",
    "check_voice",
]


def engine(name: str) -> Engine:
    """A new engine object by name (nothing is loaded yet)."""
    module, _, cls = ENGINES[name].partition(":")
    made: Engine = getattr(importlib.import_module(module), cls)()
    return made


def check_rate(rate: int, language: str = languages.DEFAULT) -> None:
    """InputError (an OptionError of ``--rate``) unless ``rate`` (in the language's unit:
    words or morae per minute) is inside the language's range."""
    lang = languages.get(language)
    low, high = lang.rate_range
    if not low <= rate <= high:
        raise OptionError(
            "--rate", rate, f"must be from {low} to {high} {lang.rate_words} in {lang.name}"
        )


def clip_cache() -> ClipCache:
    """The clip cache in coach's cache folder (``~/.cache/coach/clips`` on Linux)."""
    from coach import places

    return ClipCache(places.cache_dir() / "clips")


def default_spec(language: str = languages.DEFAULT) -> str:
    """The language's default voice as ``ENGINE:ID``."""
    return languages.get(language).voice


def check_voice(spec: str | None, language: str = languages.DEFAULT) -> str:
    """The voice ``--voice spec`` names, as ``ENGINE:ID`` (None: the language's default
    voice), found as a session would find it but without loading any model. InputError (an
    OptionError of ``--voice``) when there is no such voice; MissingPartError when its
    engine cannot run."""
    if spec is None:
        return default_spec(language)
    eng, voice, _ = _parse(spec, languages.get(language))
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


def _parse(spec: str | None, lang: Language) -> tuple[Engine, str, bool]:
    """(engine, its voice id, whether the voice was chosen by the user)."""
    if spec is None:
        name, _, voice = lang.voice.partition(":")
        return engine(name), voice, False
    head, sep, rest = spec.partition(":")
    if sep and head.strip().casefold() in ENGINES:
        eng = engine(head.strip().casefold())
        return eng, eng.resolve(rest) if rest.strip() else eng.default_voice, True
    for name in NEURAL_ENGINES:
        neural = engine(name)
        try:
            return neural, neural.resolve(spec), True
        except (InputError, MissingPartError):
            neural.close()
    eng = engine(FALLBACK_ENGINE)
    return eng, eng.resolve(spec), True


def _check_language(eng: Engine, voice: str, spec: str | None, lang: Language) -> None:
    """InputError when ``voice`` does not speak ``lang`` (eSpeak NG variants aside)."""
    listed = {v.id: v for v in eng.voices()}.get(voice.partition("+")[0])
    if listed is not None and not languages.speaks(listed.languages, lang.code):
        raise OptionError(
            "--voice",
            spec or voice,
            f"speaks {', '.join(listed.languages)}, not "
            f"{lang.name}; 'coach voices --lang {lang.code}' lists the {lang.name} voices",
        )


def _engine_rate(
    eng: Engine, lang: Language, rate: int | None, pace_speech: float
) -> tuple[int, int]:
    """(the rate in the language's unit, the rate the engine is asked for). eSpeak NG takes
    words per minute whatever the language; a morae rate is converted for it."""
    if eng.name == FALLBACK_ENGINE and lang.rate_unit != "words":
        chosen = rate if rate is not None else round(lang.estimate_rate * pace_speech)
        return chosen, round(chosen * lang.espeak_rate)
    chosen = rate if rate is not None else round(eng.default_rate * pace_speech)
    return chosen, chosen


def open_speaker(
    spec: str | None,
    rate: int | None,
    pace_speech: float = 1.0,
    cache: bool = True,
    notify: Callable[[str], None] | None = None,
    language: str = languages.DEFAULT,
) -> Speaker:
    """The Speaker for ``--voice spec`` (None: the language's default voice) at ``--rate
    rate`` (in the language's unit; None: the voice's default rate times ``pace_speech``),
    speaking ``language``.

    Raises InputError for an unknown voice, one that does not speak the language, or a
    rate out of range; MissingPartError when the chosen engine cannot run. The default
    voice falls back to the language's eSpeak NG voice when its engine cannot start,
    after calling ``notify`` with one line saying so; a language only eSpeak NG speaks
    is announced the same way, once. ``cache``: keep clips in coach's cache folder.
    """
    lang = languages.get(language)
    if rate is not None:
        check_rate(rate, lang.code)
    eng, voice, chosen = _parse(spec, lang)
    if chosen:
        try:
            _check_language(eng, voice, spec, lang)
        except BaseException:
            eng.close()
            raise
    clips = clip_cache() if cache else None
    if eng.name == FALLBACK_ENGINE and lang.note and notify:
        notify(lang.note)

    def fallback(problem: MissingPartError) -> Speaker:
        eng.close()
        name, _, fallback_voice = lang.fallback.partition(":")
        other = engine(name)
        if notify:
            notify(f"{problem}; speaking with eSpeak NG instead")
        shown, asked = _engine_rate(other, lang, rate, pace_speech)
        return Speaker(
            other,
            other.resolve(fallback_voice),
            shown,
            clips,
            engine_rate=asked,
            language=lang.code,
        )

    shown, asked = _engine_rate(eng, lang, rate, pace_speech)
    return Speaker(
        eng,
        voice,
        shown,
        clips,
        None if chosen else fallback,
        engine_rate=asked,
        language=lang.code,
    )

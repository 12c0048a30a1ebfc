"""The session options as values: from the settings (the command line's, the settings
file's, a web request's) to one ``Options``, with the same checks and the same one-line
messages whichever door they came through (``coach.cli`` and ``coach.serve``).

Values are named as the options table names them (``coach.options``: ``tone-volume``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from coach.errors import InputError, OptionError

if TYPE_CHECKING:  # imported lazily where used: the settings need no audio library
    from coach.config import Setting
    from coach.routine import Routine
    from coach.session import Options
    from coach.sounds import Sound
    from coach.tones import SoundPack

E = TypeVar("E", bound=Enum)


def choice(option: str, value: str, enum: type[E]) -> E:
    """The member of ``enum`` whose value is ``value`` (any case); OptionError naming
    ``option`` and the choices otherwise."""
    from coach.tomlfile import not_one_of

    names = [m.value for m in enum]
    if value.lower() not in names:
        raise OptionError(option, value, not_one_of(names))
    return enum(value.lower())


def values(settings: dict[str, Setting], chosen: dict[str, Any]) -> dict[str, Any]:
    """Every option's value by name: the settings' effective values (``config.effective``),
    and for an option with no settings file key (``--minutes``) what was chosen (by its
    parameter name, ``minutes``), else its default."""
    from coach.options import OPTIONS

    typed = {OPTIONS[name.replace("_", "-")].name: value for name, value in chosen.items()}
    return {name: typed.get(name, option.default) for name, option in OPTIONS.items()} | {
        name: setting.value for name, setting in settings.items()
    }


def options(values: dict[str, Any], notify: Callable[[str], None] | None = None) -> Options:
    """The session's Options from ``values`` (by option name, see ``values``), every value
    checked against the options table; a sound pack and a bed are decoded here. Raises
    OptionError naming the option; ``notify`` gets a line that is not an error (a sound
    pack's stray file)."""
    from coach.bed import check_volume, resolve
    from coach.options import MINUTES_RANGE, OPTIONS, RATE_RANGE, TONE_VOLUME_RANGE
    from coach.render import Mix
    from coach.script import Pace, ScriptChoices, Talk
    from coach.session import Options

    pace, talk, count, minutes = values["pace"], values["talk"], values["count"], values["minutes"]
    voice, rate, mono, tone_volume = (
        values["voice"],
        values["rate"],
        values["mono"],
        values["tone-volume"],
    )
    no_tones, sounds, bed, bed_volume = (
        values["no-tones"],
        values["sounds"],
        values["bed"],
        values["bed-volume"],
    )
    if minutes is not None and not MINUTES_RANGE[0] < minutes <= MINUTES_RANGE[1]:
        raise OptionError(
            "--minutes",
            f"{minutes:g}",
            f"must be more than {MINUTES_RANGE[0]:g} and at most {MINUTES_RANGE[1]:g}",
        )
    if rate is not None and not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        # The session checks its own language's range (``for_routine``).
        raise OptionError(
            "--rate",
            rate,
            f"must be from {RATE_RANGE[0]} to {RATE_RANGE[1]} ({OPTIONS['rate'].unit})",
        )
    low, high = TONE_VOLUME_RANGE
    if not low <= tone_volume <= high:
        raise OptionError(
            "--tone-volume", f"{tone_volume:g}", f"must be from {low:g} to {high:g} dB"
        )
    # Every file of a sound pack and the bed are decoded here, before any audio is made.
    found = pack(sounds, notify) if sounds is not None else None
    settings = ScriptChoices(
        pace=choice("--pace", pace, Pace),
        talk=choice("--talk", talk, Talk),
        count=count,
        minutes=minutes,
        tones=not no_tones,
        sounding=() if found is None else sounding(found),
    )
    bed_volume = 0.0 if bed_volume is None else bed_volume
    check_volume(bed_volume)  # even without a bed: a bad value is a mistake either way
    mix = Mix(
        channels=1 if mono else 2,
        tones=not no_tones,
        tone_volume=tone_volume,
        sounds=found,
        bed=None if bed is None else resolve(str(bed), bed_volume),
    )
    return Options(settings=settings, voice=voice, rate=rate, mix=mix)


def pack(folder: Path, notify: Callable[[str], None] | None = None) -> SoundPack:
    """The sound pack in ``folder`` (tones.SoundPack); ``notify`` is told which of its files
    it leaves unused."""
    from coach.sounds import Sound
    from coach.tones import sound_pack

    found = sound_pack(folder)
    if found.ignored and notify is not None:
        notify(
            f"--sounds {folder}: ignored {', '.join(found.ignored)} (not named after a sound: "
            f"{', '.join(s.value for s in Sound)})"
        )
    return found


def sounding(found: SoundPack) -> tuple[tuple[Sound, float], ...]:
    """How long each sound of the pack ``found`` lasts, seconds (``ScriptChoices.sounding``):
    what the script counts its silences from."""
    from coach.tones import seconds

    return tuple((sound, seconds(sound, found)) for sound, _ in found.files)


@contextlib.contextmanager
def judged(settings: dict[str, Setting]) -> Iterator[None]:
    """Values are judged alike wherever they come from, but a bad one is reported where it
    was given: an OptionError about a value from the settings file names the file, its
    line and the key, as the file's other problems do."""
    try:
        yield
    except OptionError as exc:
        setting = settings.get(exc.option.removeprefix("--"))
        if setting is None or not setting.from_file:
            raise
        raise InputError(f'{setting.place} = "{exc.value}": {exc.reason}') from None


def with_start(options: Options, routine: Routine, step: str | None) -> Options:
    """``options`` starting at the step ``step`` names (``--from``: its number or the start
    of its title; None: the first)."""
    if step is None:
        return options
    from coach.routine import find_step

    start = find_step(routine, step)
    return replace(options, settings=replace(options.settings, start=start))

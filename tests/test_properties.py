"""Properties: whatever the loader accepts goes through the engine and the sequencer, and
the laid-out session is well formed."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach import tones as tone_sounds
from coach.clock import RATE
from coach.errors import InputError
from coach.routine import Motion, Routine
from coach.routinefile import loads, parse
from coach.script import (
    SHORT_SPEECH,
    Beat,
    Pace,
    Say,
    Script,
    ScriptChoices,
    Sound,
    Talk,
    build,
    rhythm_seconds,
    speech_estimate,
)
from coach.timeline import Pause, Speech, Timeline, Tone, layout

#: The promise: no stretch of a session longer than this without a sound, seconds.
MAX_SILENCE = 5.0
# How many examples: 60, 15 in the fast lane (COACH_TEST_EXAMPLES, tests/conftest.py).
PROFILE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORD = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=8)
SENTENCE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
SETTINGS = st.builds(
    ScriptChoices, pace=st.sampled_from(Pace), talk=st.sampled_from(Talk), count=st.booleans()
)


def toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(text, ensure_ascii=False)


@st.composite
def phase_lines(draw: st.DrawFn, *, with_say: bool) -> list[str]:
    motion = draw(st.sampled_from([m.value for m in Motion]))
    lines = [f"motion = {toml_str(motion)}", f"reps = {draw(st.integers(1, 30))}"]
    if motion != "breathe":  # a breath keeps its own time, on no side
        lines.append(f"seconds = {draw(st.floats(0.3, 10.0))!r}")
        if motion != "hold" and draw(st.booleans()):
            lines.append(f"hold = {draw(st.floats(0.0, 5.0))!r}")
        sides = draw(
            st.sampled_from([None, ["left"], ["right"], ["left", "right"], ["right", "left"]])
        )
        if sides:
            lines.append(f"sides = {json.dumps(sides)}")
    if motion == "hold" and draw(st.booleans()):
        lines.append("resting = true")
    if draw(st.booleans()):
        lines.append(
            f"coaching = {json.dumps(draw(st.lists(SENTENCE, min_size=1, max_size=3)), ensure_ascii=False)}"
        )
    if with_say and draw(st.booleans()):
        lines.append(f"say = {toml_str(draw(SENTENCE))}")
    return lines


@st.composite
def routine_toml(draw: st.DrawFn) -> str:
    out = [f"title = {toml_str(draw(SENTENCE))}"]
    for key in ("summary", "intro", "outro"):
        if draw(st.booleans()):
            out.append(f"{key} = {toml_str(draw(SENTENCE))}")
    for i in range(draw(st.integers(1, 5))):
        out += ["", "[[steps]]", f"title = {toml_str(f'{i} ' + draw(SENTENCE))}"]
        if draw(st.booleans()):
            out.append(f"say = {toml_str(draw(SENTENCE))}")
        phases = draw(st.integers(1, 3))
        if phases == 1 and draw(st.booleans()):
            out += draw(phase_lines(with_say=False))  # the short inline form
        else:
            for _ in range(phases):
                out += ["[[steps.phases]]", *draw(phase_lines(with_say=True))]
    return "\n".join(out) + "\n"


def check_session(routine: Routine, chosen: ScriptChoices) -> None:
    """Build and lay out ``routine``; assert the timeline is well formed."""
    try:
        script = build(routine, chosen)
    except InputError as exc:  # the only refusal left for a valid routine
        assert str(exc).endswith("the limit is 4 hours"), exc
        assert rhythm_seconds(routine, chosen.pace) > 3 * 3600
        return
    assert rhythm_seconds(routine, chosen.pace) < script.estimate_seconds()
    clips = {t: len(t) * 100 + 1 for t in script.texts()}
    tl = layout(script, clips, RATE)

    spoken = [e for e in tl.events if isinstance(e, Speech)]
    assert [e.text for e in spoken] == [c.text for c in script.cues if isinstance(c, Say)]
    for a, b in zip(spoken, spoken[1:]):
        assert a.end <= b.start, (a, b)
    for pause in (e for e in tl.events if isinstance(e, Pause)):
        assert all(s.end <= pause.start or pause.end <= s.start for s in spoken), pause
    tones = [e for e in tl.events if isinstance(e, Tone)]
    assert len(tones) == sum(isinstance(c, Beat) for c in script.cues)
    assert all(e.start >= 0 for e in tones)
    # Only a hold written as a tiny fraction of a second rounds to an empty slot.
    assert all(e.length > 0 or e.sound is Sound.HOLD for e in tones)
    assert [e.start for e in tl.events] == sorted(e.start for e in tl.events)

    chapters = tl.chapters
    assert [c.title for c in chapters] == [t for t, _ in script.chapters()]
    assert chapters[0].start == 0
    for a, b in zip(chapters, chapters[1:]):
        assert a.end == b.start
    assert all(c.start < c.end for c in chapters)
    assert tl.length == chapters[-1].end == max(e.end for e in tl.events)
    assert tl.length == sum(c.end - c.start for c in chapters)
    assert all(0 <= e.start and e.end <= tl.length for e in tl.events)
    assert tl.to_json()["duration"] == tl.length / RATE


@PROFILE
@given(text=routine_toml(), chosen=SETTINGS)
def test_generated_routines_load_build_and_lay_out(text: str, chosen: ScriptChoices):
    routine = loads(text, source="gen.toml")  # valid by construction: must be accepted
    assert 1 <= len(routine.steps) <= 5
    check_session(routine, chosen)


# ---- hostile documents: anything goes in, only InputError or a good session comes out ----

SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(-(2**64), 2**64),
    st.floats(),
    st.booleans(),
    st.sampled_from(["circle", "stroke", "press", "pluck", "hold", "left", "right"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
PHASE_DICT = st.fixed_dictionaries(
    {},
    optional={
        "motion": st.sampled_from([m.value for m in Motion]) | VALUES,
        "reps": st.integers(-2, 202) | VALUES,
        "seconds": st.floats(0.0, 70.0) | VALUES,
        "hold": st.floats(-1.0, 130.0) | VALUES,
        "sides": st.lists(st.sampled_from(["left", "right", "up"]), max_size=3) | VALUES,
        "say": SENTENCE | VALUES,
        "resting": st.booleans() | VALUES,
        "coaching": st.lists(SENTENCE, max_size=3) | VALUES,
        "moton": VALUES,
    },
)
STEP_DICT = st.one_of(
    PHASE_DICT.map(lambda d: {"title": "Step", **d}),
    st.fixed_dictionaries(
        {"title": SENTENCE | VALUES},
        optional={"phases": st.lists(PHASE_DICT | VALUES, max_size=3) | VALUES, "say": VALUES},
    ),
    VALUES,
)
DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "title": SENTENCE | VALUES,
        "intro": SENTENCE | VALUES,
        "titel": VALUES,
        "steps": st.lists(STEP_DICT, max_size=4) | VALUES,
    },
)


@PROFILE
@given(data=DOCUMENT, chosen=SETTINGS)
def test_any_document_is_refused_cleanly_or_works(data: dict, chosen: ScriptChoices):
    try:
        routine = parse(data, "gen", "gen.toml")
    except InputError as exc:
        message = str(exc)
        assert message.startswith("gen.toml: ")
        assert "\n" not in message and "\r" not in message
        return
    check_session(routine, chosen)


def tables(data: dict) -> list[dict]:
    """The document, its step tables and their phase tables."""
    out = [data]
    for step in data.get("steps") if isinstance(data.get("steps"), list) else []:
        if isinstance(step, dict):
            out.append(step)
            phases = step.get("phases")
            out += [ph for ph in phases if isinstance(ph, dict)] if isinstance(phases, list) else []
    return out


@st.composite
def mutated_document(draw: st.DrawFn) -> tuple[dict, int]:
    """A valid routine, parsed, with 0 to 3 keys deleted or set to anything."""
    data = tomllib.loads(draw(routine_toml()))
    changes = draw(st.integers(0, 3))
    for _ in range(changes):
        table = draw(st.sampled_from(tables(data)))
        key = draw(st.sampled_from(sorted(table) + ["moton", "sides", "hold", "phases", "say"]))
        if key in table and draw(st.booleans()):
            del table[key]
        else:
            table[key] = draw(VALUES)
    return data, changes


@PROFILE
@given(case=mutated_document(), chosen=SETTINGS)
def test_mutated_routines_are_refused_cleanly_or_work(
    case: tuple[dict, int], chosen: ScriptChoices
):
    data, changes = case
    try:
        routine = parse(data, "gen", "gen.toml")
    except InputError as exc:
        assert changes, "an unchanged generated routine must be accepted"
        message = str(exc)
        assert message.startswith("gen.toml: ")
        assert "\n" not in message and "\r" not in message
        return
    check_session(routine, chosen)


def longest_silence(
    tl: Timeline, with_tones: bool, pack: tone_sounds.SoundPack | None = None
) -> float:
    """The longest stretch of ``tl`` without a sound, seconds: speech sounds for its clip,
    a tone for as long as it is stored (the sound ``pack``'s file, else the built-in; cut
    at its slot's end), a sustained tone for its whole slot; without tones only the voice
    sounds. After the last sound the session is over."""
    heard = []
    for e in tl.events:
        if isinstance(e, Speech):
            heard.append((e.start, e.end))
        elif isinstance(e, Tone) and with_tones and e.length:
            sounding = e.length if e.sustain else round(tone_sounds.seconds(e.sound, pack) * RATE)
            heard.append((e.start, e.start + min(e.length, sounding)))
    heard.sort()
    longest, reached = heard[0][0], heard[0][1]
    for start, end in heard[1:]:
        longest = max(longest, start - reached)
        reached = max(reached, end)
    return longest / RATE


def slow_enough_clips(script: Script) -> dict[str, int]:
    """Clip lengths for a voice as quick as the silence plan allows (SHORT_SPEECH of each
    line's estimate): the worst case for silence between lines."""
    pace = script.settings.pace
    return {t: round(speech_estimate(t, pace) * SHORT_SPEECH * RATE) for t in script.texts()}


@PROFILE
@given(text=routine_toml(), chosen=SETTINGS, with_tones=st.booleans())
def test_no_session_is_silent_for_more_than_five_seconds(
    text: str, chosen: ScriptChoices, with_tones: bool
):
    # With tones, pulses fill long slots, rests and holds; without, the voice counts, says
    # "Hold." and "Release." and fills what is left with a word.
    chosen = ScriptChoices(pace=chosen.pace, talk=chosen.talk, count=chosen.count, tones=with_tones)
    try:
        script = build(loads(text, source="gen.toml"), chosen)
    except InputError:  # over 4 hours: nothing is made
        return
    tl = layout(script, slow_enough_clips(script), RATE)
    assert longest_silence(tl, with_tones) <= MAX_SILENCE


@pytest.mark.parametrize("with_tones", [True, False])
def test_a_twelve_second_stroke_is_never_silent_for_five_seconds(with_tones: bool):
    # Found by a user: a 12 s stroke per repetition left 6.2 s of silence before the
    # closing bell; without tones, 19 s.
    text = (
        'title = "Slow"\n[[steps]]\ntitle = "Long strokes"\nmotion = "stroke"\n'
        "reps = 3\nseconds = 12\n"
    )
    for extra in ("", "hold = 7\n"):
        for talk in Talk:
            script = build(loads(text + extra), ScriptChoices(talk=talk, tones=with_tones))
            tl = layout(script, slow_enough_clips(script), RATE)
            assert longest_silence(tl, with_tones) <= MAX_SILENCE, (extra, talk)
    if not with_tones:
        spoken = [c.text for c in script.cues if isinstance(c, Say)]
        assert {"one", "two", "three", "Hold.", "Release."} <= set(spoken)


def test_a_sound_pack_of_short_sounds_is_timed_by_its_own_lengths(tmp_path):
    # A pack's sounds last as long as its files, not as the built-ins: the script counts
    # its silences from where they really end (with the built-in lengths assumed, these
    # fast circles would leave 5.07 s without a sound).
    from dataclasses import replace

    from coach import choices
    from coach.sounds import Sound
    from conftest import make_sound

    for sound in Sound:
        if sound is not Sound.SUSTAIN:
            make_sound(tmp_path / f"{sound.value}.wav", "sine=frequency=660:duration=0.05")
    options = choices.options(choices.values({}, {}) | {"sounds": tmp_path})
    pack = options.mix.sounds
    assert pack is not None
    assert dict(options.settings.sounding)[Sound.CIRCLE] == pytest.approx(0.05, abs=0.01)
    text = (
        'title = "Fast"\n[[steps]]\ntitle = "Circles"\nmotion = "circle"\nreps = 2\nseconds = 4.9\n'
    )
    script = build(loads(text), replace(options.settings, pace=Pace.FAST))
    tl = layout(script, slow_enough_clips(script), RATE)
    assert longest_silence(tl, True, pack) <= MAX_SILENCE
    assumed = build(loads(text), ScriptChoices(pace=Pace.FAST))  # the built-in lengths
    tl = layout(assumed, slow_enough_clips(assumed), RATE)
    assert longest_silence(tl, True, pack) > MAX_SILENCE

"""The script engine: coach.script turns a Routine and ScriptChoices into ordered cues."""

from __future__ import annotations

import re

import pytest

import coach.script as script_module
from coach.catalog import builtin
from coach.errors import InputError
from coach.pieces import CLAUSE_PAUSE
from coach.routine import Routine
from coach.routinefile import loads
from coach.script import (
    CHAR_SECONDS,
    LINE_BREAK,
    LINE_SECONDS,
    MAX_SESSION_SECONDS,
    MAX_SLOT,
    SIDE_PAN,
    Beat,
    Chapter,
    Pace,
    Rest,
    Say,
    Script,
    ScriptChoices,
    Sound,
    Talk,
    build,
    describe,
    estimate_seconds,
    number_word,
    rhythm_seconds,
    speech_estimate,
)
from conftest import MINI, MINI_JA

ANMA = builtin("anma")
STEP_TITLES = [s.title for s in ANMA.steps]
OVER_LINES = {"Halfway.", "Last three.", "Last one."}
COACHING = {c for s in ANMA.steps for p in s.phases for c in p.coaching}


def one_step(
    motion: str = "circle", reps: int = 8, seconds: float = 3.0, extra: str = "", title: str = "One"
) -> Routine:
    """A one-step routine in the short inline form."""
    return loads(
        f'title = "{title}"\n[[steps]]\ntitle = "Only"\nmotion = "{motion}"\n'
        f"reps = {reps}\nseconds = {seconds}\n{extra}",
        source="one.toml",
    )


def chapter(script: Script, title: str) -> tuple:
    return dict(script.chapters())[title]


def beats(cues, *sounds: Sound) -> list[Beat]:
    return [c for c in cues if isinstance(c, Beat) and (not sounds or c.sound in sounds)]


def says(cues) -> list[str]:
    return [c.text for c in cues if isinstance(c, Say)]


# ---- order --------------------------------------------------------------------------------


def test_chapters_in_order():
    script = build(ANMA)
    assert script.cues[0] == Chapter("Introduction")
    assert [t for t, _ in script.chapters()] == ["Introduction", *STEP_TITLES, "Closing"]
    assert [c.title for c in script.cues if isinstance(c, Chapter)] == [
        "Introduction",
        *STEP_TITLES,
        "Closing",
    ]
    assert (script.name, script.title) == ("anma", ANMA.title)


def test_start_bell_end_beats():
    script = build(ANMA)
    cues = script.cues
    assert cues[1] == Beat(Sound.START, 2.5, label="Starting")
    bells = [
        cues[i + 1]
        for i, cue in enumerate(cues)
        if isinstance(cue, Chapter) and cue.title != "Introduction"
    ]
    # Each labelled with where it is (a status line shows the chapter's title beside it).
    assert bells == [Beat(Sound.BELL, 2.0, label=f"step {k} of 6") for k in range(1, 7)] + [
        Beat(Sound.BELL, 2.0, label="last bell")
    ]
    assert cues[-1] == Beat(Sound.END, 3.0, label="Finished")
    assert len(beats(cues, Sound.START)) == len(beats(cues, Sound.END)) == 1
    assert len(beats(cues, Sound.BELL)) == len(ANMA.steps) + 1


def test_spoken_frame_of_the_session():
    script = build(ANMA)
    intro = chapter(script, "Introduction")
    # Each line of the intro is its own cue, with a pause between.
    # Then each marker is heard once, named, before it is needed.
    assert says(intro) == [
        *ANMA.intro.split("\n"),
        "This sound means hold.",
        "And this one means release.",
    ]
    assert [b.sound for b in beats(intro)] == [Sound.START, Sound.HOLD, Sound.RELEASE]
    for k, title in enumerate(STEP_TITLES):
        spoken = says(chapter(script, title))
        assert spoken[0] == f"Step {number_word(k + 1)} of six: {title}."
    assert says(chapter(script, "Closing")) == ANMA.outro.split("\n")
    first = chapter(script, "Cheek circles")
    assert says(first)[1 : 1 + len(ANMA.steps[0].say.split("\n"))] == ANMA.steps[0].say.split("\n")


def test_default_intro_and_outro():
    script = build(one_step())
    assert script.cues[2] == Say("One. Sit comfortably and close your eyes.")
    assert says(chapter(script, "Closing")) == [
        "That is all for today. Open your eyes when you are ready."
    ]


def test_each_step_title_is_said_once():
    # No "Next: ..." or "The first step: ..." preview: the title is said when the step starts.
    for talk in Talk:
        spoken = says(build(ANMA, ScriptChoices(talk=talk)).cues)
        for k, title in enumerate(STEP_TITLES):
            assert [t for t in spoken if title in t] == [
                f"Step {number_word(k + 1)} of six: {title}."
            ]


def test_a_count_in_before_the_first_repetition():
    cues = chapter(build(ANMA), "Cheek circles")
    first = next(i for i, c in enumerate(cues) if isinstance(c, Beat) and c.sound is Sound.CIRCLE)
    assert cues[first - 1] == Rest(script_module.COUNT_IN)
    fast = chapter(build(ANMA, ScriptChoices(pace=Pace.FAST)), "Cheek circles")
    first = next(i for i, c in enumerate(fast) if isinstance(c, Beat) and c.sound is Sound.CIRCLE)
    assert fast[first - 1] == Rest(script_module.COUNT_IN_LEAST)  # never under it


def test_a_breath_cue_is_followed_by_a_breath_of_quiet():
    cues = build(ANMA, ScriptChoices(pace=Pace.FAST)).cues
    breath = cues.index(Say("Take a slow breath in, and a long breath out."))
    assert cues[breath + 1] == Rest(script_module.BREATH_QUIET)  # at every pace


def test_closing_lines_are_spaced():
    for pace in Pace:
        closing = chapter(build(ANMA, ScriptChoices(pace=pace)), "Closing")
        gaps = [
            c.seconds
            for a, c, b in zip(closing, closing[1:], closing[2:])
            if isinstance(a, Say) and isinstance(c, Rest) and isinstance(b, Say)
        ]
        assert gaps and min(gaps) >= script_module.CLOSING_LEAST


def test_repeated_holds_are_announced():
    cues = chapter(build(ANMA), "Brows, eyes and forehead")
    assert "Two holds." in says(cues)
    assert "One hold." not in says(build(builtin("quick")).cues)


def test_step_say_and_first_phase_say_are_both_spoken():
    r = loads(
        'title = "T"\n[[steps]]\ntitle = "A"\nsay = "Step words."\n'
        '[[steps.phases]]\nsay = "First phase."\nmotion = "press"\nreps = 1\nseconds = 1\n'
        '[[steps.phases]]\nsay = "Second phase."\nmotion = "press"\nreps = 1\nseconds = 1\n'
    )
    assert says(chapter(build(r), "A"))[1:4] == ["Step words.", "First phase.", "Second phase."]


# ---- rhythm -------------------------------------------------------------------------------


def test_one_beat_per_repetition_with_the_motion_sound():
    for motion, sound in [
        ("circle", Sound.CIRCLE),
        ("stroke", Sound.STROKE),
        ("press", Sound.PRESS),
        ("pluck", Sound.PLUCK),
    ]:
        cues = chapter(build(one_step(motion)), "Only")
        rhythm = [b for b in beats(cues)[1:] if b.label]  # after the bell; no rest pulses
        assert rhythm == [Beat(sound, 3.0, label=f"{motion} {i} of 8") for i in range(1, 9)]


def test_phase_form_beats():
    r = loads(
        'title = "T"\n[[steps]]\ntitle = "A"\n[[steps.phases]]\nmotion = "circle"\n'
        'reps = 8\nseconds = 3\n[[steps.phases]]\nmotion = "pluck"\nreps = 3\nseconds = 0.5\n'
    )
    cues = chapter(build(r), "A")
    assert [(b.sound, b.seconds) for b in beats(cues)[1:]] == [(Sound.CIRCLE, 3.0)] * 8 + [
        (Sound.PLUCK, 0.5)
    ] * 3


@pytest.mark.parametrize("pace", list(Pace))
def test_no_beat_slot_longer_than_four_seconds_unless_a_sustained_hold(pace):
    for routine in (
        ANMA,
        one_step(seconds=60, reps=3),
        one_step(seconds=4.1, reps=2),
        one_step("stroke", 2, 8.0, "hold = 30"),
    ):
        for beat in beats(build(routine, ScriptChoices(pace=pace)).cues):
            assert beat.seconds <= MAX_SLOT or (beat.sound is Sound.HOLD and beat.sustain), beat


@pytest.mark.parametrize(
    ("seconds", "parts"), [(4.0, 1), (4.1, 2), (8.0, 2), (10.0, 3), (60.0, 15)]
)
def test_long_repetition_is_split_into_pulses(seconds, parts):
    cues = chapter(build(one_step("press", 2, seconds)), "Only")
    rhythm = [b for b in beats(cues)[1:] if b.label]  # not the pulses that fill a rest
    assert len(rhythm) == 2 * parts
    for rep in (rhythm[:parts], rhythm[parts:]):
        assert rep[0].sound is Sound.PRESS
        assert all(b.sound is Sound.PULSE for b in rep[1:])
        assert len({b.seconds for b in rep}) == 1
        assert sum(b.seconds for b in rep) == pytest.approx(seconds, abs=1e-5)


def test_holds_after_each_repetition():
    cues = chapter(build(ANMA), "Jaw to cheekbone")
    rhythm = beats(cues)[1:]
    assert [b.sound for b in rhythm[:6]] == [Sound.STROKE, Sound.HOLD, Sound.RELEASE] * 2
    stroke, hold, release = rhythm[:3]
    # The release's slot is the time to lift off and return: 1.6 s (1.28 s at the fast pace).
    assert (stroke.seconds, hold.seconds, release.seconds) == (2.5, 1.5, 1.6)
    assert not hold.sustain and not release.sustain
    assert hold.label == "left side, stroke 1 of 5, hold"


@pytest.mark.parametrize(
    ("hold", "pace", "sustain"),
    [
        (2.5, Pace.NORMAL, True),
        (2.4, Pace.NORMAL, False),
        (3.0, Pace.FAST, False),
        (2.0, Pace.SLOW, True),
        (30, Pace.NORMAL, True),
    ],
)
def test_sustain_from_two_and_a_half_seconds_as_played(hold, pace, sustain):
    rhythm = beats(
        chapter(
            build(one_step("press", 1, 1.0, f"hold = {hold}"), ScriptChoices(pace=pace)), "Only"
        )
    )[1:]
    assert [b.sound for b in rhythm] == [Sound.PRESS, Sound.HOLD, Sound.RELEASE]
    assert rhythm[1].sustain is sustain
    assert rhythm[1].seconds == pytest.approx(hold * pace.factor)


def test_hold_motion_is_a_hold_then_release():
    cues = chapter(build(ANMA), "Brows, eyes and forehead")
    rhythm = beats(cues)[1:5]
    assert [(b.sound, b.seconds, b.sustain) for b in rhythm] == [
        (Sound.HOLD, 8.0, True),
        (Sound.RELEASE, 1.6, False),
    ] * 2


# ---- sides --------------------------------------------------------------------------------


def test_sides_give_equal_panned_blocks():
    cues = list(chapter(build(ANMA), "Jaw to cheekbone"))
    left_at = cues.index(Say("Left side.", pan=-SIDE_PAN))
    right_at = cues.index(Say("Now the right side.", pan=SIDE_PAN))
    assert left_at < right_at
    left, right = cues[left_at + 1 : right_at], cues[right_at + 1 :]
    left_beats, right_beats = beats(left), beats(right)
    assert len(left_beats) == len(right_beats) == 5 * 3
    assert [(b.sound, b.seconds, b.sustain) for b in left_beats] == [
        (b.sound, b.seconds, b.sustain) for b in right_beats
    ]
    assert all(b.pan == -SIDE_PAN < 0 for b in left_beats)
    assert all(b.pan == SIDE_PAN > 0 for b in right_beats)
    assert all(b.label.startswith("left side, ") for b in left_beats)
    assert all(b.label.startswith("right side, ") for b in right_beats)
    # The over-the-rhythm lines of a side come from that side.
    for block, sign in ((left, -1), (right, 1)):
        over = [c for c in block if isinstance(c, Say) and c.over]
        assert over and all(c.pan * sign > 0 for c in over)
    # Nothing else in the session is panned.
    elsewhere = [
        c
        for t, cs in build(ANMA).chapters()
        if t != "Jaw to cheekbone"
        for c in cs
        if isinstance(c, Say | Beat)
    ]
    assert all(c.pan == 0 for c in elsewhere)


def test_single_side():
    cues = chapter(build(one_step(reps=2, extra='sides = ["right"]')), "Only")
    assert Say("Right side.", pan=SIDE_PAN) in cues
    assert all(b.pan > 0 for b in beats(cues)[1:] if b.label)


# ---- pace ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pace", [Pace.SLOW, Pace.FAST])
def test_pace_scales_every_beat_and_rest(pace):
    mini = loads(MINI)
    normal, other = build(mini).cues, build(mini, ScriptChoices(pace=pace)).cues
    assert len(normal) == len(other)
    for a, b in zip(normal, other):
        assert type(a) is type(b)
        if isinstance(a, Beat | Rest) and a != Rest(script_module.COUNT_IN):
            assert b.seconds == pytest.approx(a.seconds * pace.factor, abs=1e-6)
        elif isinstance(a, Rest):  # the count-in: time to place the hands, never too short
            assert b.seconds == max(a.seconds * pace.factor, script_module.COUNT_IN_LEAST)
        else:
            assert a == b
    assert {Pace.SLOW: 1.25, Pace.FAST: 0.8}[pace] == pace.factor


def test_pace_scales_anma_totals_but_not_its_breaths():
    def rhythm(pace: Pace) -> float:
        return sum(
            c.seconds
            for c in build(ANMA, ScriptChoices(pace=pace)).cues
            if isinstance(c, Beat | Rest) and c != Rest(script_module.BREATH_QUIET)
        )

    # A breath keeps the body's time, and the count-in never drops under its least.
    assert rhythm(Pace.SLOW) == pytest.approx(rhythm(Pace.NORMAL) * 1.25, abs=1e-3)
    assert rhythm(Pace.FAST) == pytest.approx(rhythm(Pace.NORMAL) * 0.8, rel=0.01)
    assert rhythm(Pace.FAST) > rhythm(Pace.NORMAL) * 0.8


# ---- talk and counting --------------------------------------------------------------------


def test_talk_normal_has_progress_lines():
    cues = chapter(build(ANMA), "Cheek circles")
    over = [(i, c.text) for i, c in enumerate(cues) if isinstance(c, Say) and c.over]
    assert [t for _, t in over] == ["Halfway.", "Last three.", "Last one."]
    rhythm = [i for i, c in enumerate(cues) if isinstance(c, Beat) and c.sound is Sound.CIRCLE]
    # Each comes just before the repetition it marks: the 6th, 8th and 10th of 10.
    assert [i + 1 for i, _ in over] == [rhythm[5], rhythm[7], rhythm[9]]


def test_no_word_over_a_repetition_shorter_than_it():
    # 0.75 s plucks: "Last three." and "Last one." would outlast them, so they are not said.
    spoken = says(chapter(build(ANMA), "Lip plucks"))
    assert not OVER_LINES & set(spoken)


def test_talk_less():
    script = build(ANMA, ScriptChoices(talk=Talk.LESS))
    spoken = says(script.cues)
    assert not OVER_LINES & set(spoken)
    assert not COACHING & set(spoken)
    assert not [c for c in script.cues if isinstance(c, Say) and c.over]
    # The routine's own words are all still there, the preparation and the safety words too.
    assert set(ANMA.intro.split("\n")) <= set(spoken)
    assert set(ANMA.steps[0].say.split("\n")) <= set(spoken)


def test_talk_more_adds_each_phases_coaching_once():
    normal = says(build(ANMA).cues)
    more = says(build(ANMA, ScriptChoices(talk=Talk.MORE)).cues)
    extra = [t for t in more if t not in normal]
    assert sorted(extra) == sorted(COACHING)  # every line, once
    assert not COACHING & set(normal)


def test_talk_more_without_coaching_lines_uses_a_spare_line_at_most_once():
    more = says(build(loads(MINI), ScriptChoices(talk=Talk.MORE)).cues)
    spare = [t for t in more if t in script_module.SPARE_COACHING]
    assert len(spare) == len(set(spare)) == 2  # one for each phase


def test_count_aloud_over_the_rhythm():
    cues = chapter(build(one_step(reps=3, seconds=1.5), ScriptChoices(count=True)), "Only")
    assert [(c.text, c.over) for c in cues if isinstance(c, Say) and c.over] == [
        ("one", True),
        ("two", True),
        ("three", True),
    ]
    for i, cue in enumerate(cues):
        if isinstance(cue, Say) and cue.over:
            assert isinstance(cues[i + 1], Beat) and cues[i + 1].sound is Sound.CIRCLE


@pytest.mark.parametrize(
    ("seconds", "pace", "counted"),
    [
        (1.2, Pace.NORMAL, True),
        (1.19, Pace.NORMAL, False),
        (0.75, Pace.NORMAL, False),
        (1.0, Pace.SLOW, True),
        (1.4, Pace.FAST, False),
        (2.0, Pace.FAST, True),
    ],
)
def test_count_needs_a_repetition_of_at_least_1_2_seconds(seconds, pace, counted):
    settings = ScriptChoices(count=True, talk=Talk.LESS, pace=pace)
    over = [
        c.text
        for c in build(one_step(reps=3, seconds=seconds), settings).cues
        if isinstance(c, Say) and c.over
    ]
    assert over == (["one", "two", "three"] if counted else [])


def test_count_replaces_progress_lines():
    spoken = says(build(one_step(reps=12, seconds=2.0), ScriptChoices(count=True)).cues)
    assert [number_word(i) for i in range(1, 13)] == [t for t in spoken if t.islower()]
    assert not OVER_LINES & set(spoken)


def test_count_restarts_on_each_side():
    cues = build(
        one_step(reps=2, seconds=2.0, extra='sides = ["left", "right"]'), ScriptChoices(count=True)
    ).cues
    assert [(c.text, c.pan) for c in cues if isinstance(c, Say) and c.over] == [
        ("one", -SIDE_PAN),
        ("two", -SIDE_PAN),
        ("one", SIDE_PAN),
        ("two", SIDE_PAN),
    ]


# ---- fitting --minutes ---------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [7, 12])
def test_minutes_fit_within_ten_percent(minutes):
    script = build(ANMA, ScriptChoices(minutes=minutes))
    assert script.estimate_seconds() == pytest.approx(minutes * 60, rel=0.10)
    assert script.settings.minutes == minutes
    # Every phase keeps at least one repetition.
    for title, cues in script.chapters()[1:-1]:
        assert beats(cues, Sound.CIRCLE, Sound.STROKE, Sound.PLUCK, Sound.HOLD), title


def test_minutes_longer_means_more_repetitions():
    def reps(minutes: float) -> int:
        return len(beats(build(ANMA, ScriptChoices(minutes=minutes)).cues, Sound.CIRCLE))

    assert reps(7) < reps(build(ANMA).estimate_seconds() / 60) < reps(12)


def test_minutes_cap_plucks_and_holds():
    def counts(minutes: float) -> tuple[int, int, int]:
        cues = build(ANMA, ScriptChoices(minutes=minutes)).cues
        return (
            len(beats(cues, Sound.PLUCK)),
            len([b for b in beats(cues, Sound.HOLD) if b.label.startswith("hold")]),
            len(beats(cues, Sound.STROKE)),
        )

    plucks, holds, strokes = counts(30)
    assert (plucks, holds) == (32, 2)  # as written: 16 a lip, two brow holds
    assert strokes > 3 * counts(9)[2]


def test_minutes_too_few_for_anma_suggests_quick():
    with pytest.raises(
        InputError,
        match=r"^--minutes 3: Anma facial massage cannot fit; .*; "
        r"for a short session try quick \(coach play quick -m 3\)$",
    ):
        build(ANMA, ScriptChoices(minutes=3))
    with pytest.raises(InputError, match=r"lasts at least \d+:\d\d \(-m [\d.]+ or more fits\)$"):
        build(builtin("quick"), ScriptChoices(minutes=2))


def test_minutes_never_drop_a_phase_below_one_repetition():
    r = loads(
        'title = "T"\n[[steps]]\ntitle = "Tiny"\nmotion = "press"\nreps = 1\nseconds = 1\n'
        '[[steps]]\ntitle = "Big"\nmotion = "circle"\nreps = 100\nseconds = 3\n'
    )
    script = build(r, ScriptChoices(minutes=2))
    assert script.estimate_seconds() == pytest.approx(120, rel=0.10)
    assert len(beats(chapter(script, "Tiny"), Sound.PRESS)) == 1
    assert 0 < len(beats(chapter(script, "Big"), Sound.CIRCLE)) < 50


@pytest.mark.parametrize("minutes", [0.5, 500])
def test_impossible_minutes(minutes):
    with pytest.raises(InputError) as info:
        build(ANMA, ScriptChoices(minutes=minutes))
    message = str(info.value)
    assert message.startswith(f"--minutes {minutes:g}: Anma facial massage cannot fit")
    assert "\n" not in message


@pytest.mark.slow  # fits whole routines again and again
@pytest.mark.parametrize("name", ["neck", "quick", "anma"])
def test_the_refusal_names_the_real_bound_and_it_fits(name):
    # The tester: `-m 3.2` was refused as "at least about 3 min" though 3.3 fits.
    routine = builtin(name)
    for wanted, sign in ((0.5, 1), (900, -1)):
        with pytest.raises(InputError) as info:
            build(routine, ScriptChoices(minutes=wanted))
        fits = float(re.search(r"\(-m ([\d.]+) or (?:more|less) fits\)$", str(info.value)).group(1))
        build(routine, ScriptChoices(minutes=fits))  # the bound given fits ...
        with pytest.raises(InputError):  # ... and a tenth of a minute beyond it does not
            build(routine, ScriptChoices(minutes=round(fits - sign * 0.1, 1)))


# ---- limits and numbers ---------------------------------------------------------------------


def test_session_over_four_hours_is_refused():
    text = "".join(
        f'[[steps]]\ntitle = "S{i}"\nmotion = "press"\nreps = 200\nseconds = 60\n'
        for i in range(10)
    )
    r = loads('title = "Marathon"\n' + text, source="long.toml")
    with pytest.raises(InputError) as info:
        build(r)
    message = str(info.value)
    assert message.startswith("long.toml: the session would last about ")
    assert message.endswith("; the limit is 4 hours")


@pytest.mark.slow  # builds a four-hour script
def test_the_four_hour_cap_counts_the_rate_and_numbers_as_words():
    # What the tester did: a talk-heavy routine that passes at the default rate got past
    # the cap at --rate 80 (and numbers, read as words, are longer than they look).
    line = ("Let the shoulders fall and breathe out slowly through the mouth " * 30)[:1900]
    text = "".join(
        f'[[steps]]\ntitle = "S{i}"\nsay = "{line}"\nmotion = "press"\nreps = 1\nseconds = 1\n'
        for i in range(60)
    )
    r = loads('title = "Talk"\n' + text, source="talk.toml")
    assert build(r).estimate_seconds() < MAX_SESSION_SECONDS
    with pytest.raises(
        InputError,
        match=r"^talk\.toml: the session would last about .* at the "
        r"normal pace and 80 words per minute; the limit is 4 hours$",
    ):
        build(r, wpm=80)
    # "987654321" is read as 90 characters of words, not 9.
    assert speech_estimate("987654321", Pace.NORMAL) == pytest.approx(
        LINE_SECONDS + 90 * CHAR_SECONDS
    )


def test_a_long_line_is_spoken_in_pieces_with_their_pauses():
    line = ", ".join(["one two three four five six seven eight nine"] * 8) + "."
    r = loads(
        f'title = "Long"\n[[steps]]\ntitle = "S"\nsay = "{line}"\nmotion = "press"\n'
        "reps = 1\nseconds = 1\n"
    )
    cues = chapter(build(r), "S")
    says = [i for i, c in enumerate(cues) if isinstance(c, Say) and "one two" in c.text]
    assert len(says) > 1
    assert " ".join(cues[i].text for i in says) == line
    for i in says[:-1]:
        assert cues[i + 1] == Rest(CLAUSE_PAUSE)


def test_huge_routine_is_refused_before_any_cue_is_built(monkeypatch: pytest.MonkeyPatch):
    # 100 steps x 20 phases x 200 reps x 2 sides of 60 s: a 150 kB file asking for 12
    # million beats. It must be refused from its numbers, not after building them.
    phase = '{motion = "press", reps = 200, seconds = 60, sides = ["left", "right"]}'
    text = "".join(
        f'[[steps]]\ntitle = "S{i}"\nphases = [{", ".join([phase] * 20)}]\n' for i in range(100)
    )
    r = loads('title = "Huge"\n' + text, source="huge.toml")

    def no_building(*args, **kwargs):
        raise AssertionError("the cues were built")

    monkeypatch.setattr(script_module._Builder, "build", no_building)
    with pytest.raises(
        InputError,
        match=r"^huge\.toml: the session would last about 13333 h 20 min "
        r"at the normal pace; the limit is 4 hours$",
    ):
        build(r)


@pytest.mark.parametrize(
    ("steps", "reps", "minutes", "fits"),
    [(100, 200, 30, False), pytest.param(5, 1, 30, True, marks=pytest.mark.slow)],
)
def test_fitting_a_huge_routine_builds_no_huge_script(
    monkeypatch: pytest.MonkeyPatch, steps, reps, minutes, fits
):
    phase = f'{{motion = "press", reps = {reps}, seconds = 0.3, sides = ["left", "right"]}}'
    text = "".join(
        f'[[steps]]\ntitle = "S{i}"\nphases = [{", ".join([phase] * 20)}]\n' for i in range(steps)
    )
    r = loads('title = "Huge"\n' + text, source="huge.toml")
    built: list[int] = []
    real = script_module._Builder.build

    def counted(self):
        cues = real(self)
        built.append(len(cues))
        return cues

    monkeypatch.setattr(script_module._Builder, "build", counted)
    if fits:
        script = build(r, ScriptChoices(minutes=minutes))
        assert script.estimate_seconds() == pytest.approx(minutes * 60, rel=0.10)
    else:
        with pytest.raises(
            InputError,
            match=r"^--minutes 30: Huge cannot fit; at the normal pace "
            r"it lasts at least [\d:]+ \(-m [\d.]+ or more fits\)$",
        ):
            build(r, ScriptChoices(minutes=minutes))
    # No script much longer than the target is built (rhythm at most twice the target:
    # 12000 beats of 0.3 s), though the longest scale asks for 200 x 20 x 2 x steps beats.
    assert built and max(built) < 20_000 < 200 * 20 * 2 * steps


@pytest.mark.parametrize("pace", list(Pace))
def test_rhythm_seconds_is_a_lower_bound_of_the_estimate(pace):
    for routine in (loads(MINI), one_step("hold", 3, 5.0), one_step(extra="hold = 2")):
        script = build(routine, ScriptChoices(pace=pace))
        rhythm = sum(
            c.seconds
            for c in script.cues
            if isinstance(c, Beat)
            and c.label
            and c.sound not in (Sound.START, Sound.BELL, Sound.END)
        )
        assert rhythm_seconds(routine, pace) == pytest.approx(rhythm, abs=1e-3)
        assert rhythm_seconds(routine, pace) < script.estimate_seconds()
    breathe = loads('title = "B"\n[[steps]]\ntitle = "Air"\nmotion = "breathe"\nreps = 3\n')
    for routine in (ANMA, builtin("evening"), breathe):
        assert (
            rhythm_seconds(routine, pace)
            < build(routine, ScriptChoices(pace=pace)).estimate_seconds()
        )


def test_session_just_under_four_hours_is_built():
    r = one_step("press", 200, 60.0, title="Long")  # 200 minutes of rhythm
    script = build(r)
    assert 3 * 3600 < script.estimate_seconds() < MAX_SESSION_SECONDS


def test_estimate_is_the_sum_of_the_cues():
    script = build(ANMA)
    expected = sum(c.seconds for c in script.cues if isinstance(c, Beat | Rest)) + sum(
        speech_estimate(c.text, Pace.NORMAL)
        for c in script.cues
        if isinstance(c, Say) and not c.over
    )
    assert script.estimate_seconds() == pytest.approx(expected)
    assert estimate_seconds(script.cues, Pace.NORMAL) == script.estimate_seconds()
    assert 5 * 60 < script.estimate_seconds() < 9 * 60


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "one"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (21, "twenty one"),
        (40, "forty"),
        (58, "fifty eight"),
        (99, "ninety nine"),
        (100, "one hundred"),
        (101, "one hundred and one"),
        (115, "one hundred and fifteen"),
        (142, "one hundred and forty two"),
        (190, "one hundred and ninety"),
        (200, "two hundred"),
    ],
)
def test_number_word(n, word):
    assert number_word(n) == word


def test_number_words_are_distinct_words():
    words = [number_word(n) for n in range(1, 201)]
    assert len(set(words)) == 200
    assert all(re.fullmatch(r"[a-z]+( [a-z]+)*", w) for w in words)


def test_texts_are_distinct_in_order():
    script = build(ANMA)
    texts = script.texts()
    assert len(texts) == len(set(texts))
    assert texts[0] == ANMA.intro.split("\n")[0]
    assert set(texts) == set(says(script.cues))


# ---- describe -------------------------------------------------------------------------------


def test_describe():
    script = build(ANMA, ScriptChoices(talk=Talk.LESS, pace=Pace.SLOW, count=True))
    lines = describe(script)
    assert lines[0].startswith("Anma facial massage — pace slow, talk less, counting, about ")
    assert re.search(r"about \d+ min$", lines[0])
    assert [l for l in lines if l.startswith("== ")] == [
        f"== {t}" for t in ["Introduction", *STEP_TITLES, "Closing"]
    ]
    assert not any("\n" in l for l in lines)


def test_describe_folds_runs_of_beats():
    lines = describe(build(ANMA, ScriptChoices(talk=Talk.LESS)))
    assert "  tone     circle 4 s x5  circle 1 of 5" in lines
    assert "  tone     pluck 0.75 s x16  pluck 1 of 16" in lines
    assert "  tone     hold 8 s sustained  hold 1 of 2" in lines
    assert any(l.startswith("  tone     stroke 2.5 s (left)") for l in lines)
    assert any(l.startswith("  say over 'Last one.' (right)") for l in describe(build(ANMA)))
    assert "  rest     1.5 s" in lines
    # Folding loses no beat: the runs add up to every Beat cue.
    count = sum(
        int(m.group(1)) if (m := re.search(r" x(\d+)", l)) else 1
        for l in lines
        if l.startswith("  tone")
    )
    assert count == len(beats(build(ANMA, ScriptChoices(talk=Talk.LESS)).cues))


# ---- starting part-way ----------------------------------------------------------------------


def test_from_a_step_skips_the_ones_before_and_shortens_the_introduction():
    script = build(ANMA, ScriptChoices(start=2))
    assert [t for t, _ in script.chapters()] == ["Introduction", *STEP_TITLES[2:], "Closing"]
    intro = says(chapter(script, "Introduction"))
    assert intro[0] == "Anma facial massage, from step three."  # the title comes once, next
    # Steps keep their numbers in the whole routine.
    assert says(chapter(script, "Smile lines"))[0] == "Step three of six: Smile lines."
    assert describe(script)[0].endswith(", from step 3, about 5 min")
    # The rest is the same as in the whole session.
    whole = build(ANMA)
    for title in STEP_TITLES[2:]:
        assert chapter(script, title) == chapter(whole, title)


def test_from_the_first_step_is_the_whole_session():
    assert build(ANMA, ScriptChoices(start=0)).cues == build(ANMA).cues


@pytest.mark.parametrize("start", [-1, 6])
def test_from_a_step_that_is_not_there(start):
    with pytest.raises(InputError, match="has 6 steps"):
        build(ANMA, ScriptChoices(start=start))


def test_from_with_minutes_fits_what_is_played():
    script = build(ANMA, ScriptChoices(start=3, minutes=5))
    assert 4.5 <= script.estimate_seconds() / 60 <= 5.5
    assert len(script.chapters()) == 5


@pytest.mark.parametrize("start", [0, 3])
def test_step_of_each_chapter(start):
    script = build(ANMA, ScriptChoices(start=start))
    steps = [script.step_of(i) for i in range(len(script.chapters()))]
    assert steps == [start, *range(start, 6), None]


# ---- the built-in routines, silence at the script level ---------------------------------------


@pytest.mark.parametrize("name", ["anma", "quick", "evening", "neck"])
@pytest.mark.parametrize("pace", list(Pace))
def test_no_builtin_leaves_a_long_silence(name, pace):
    """No beat slot over MAX_SLOT unless a sustained hold fills it, and no rest over 5 s:
    nothing in any built-in routine is silent long enough to seem stopped."""
    script = build(builtin(name), ScriptChoices(pace=pace))
    for cue in script.cues:
        if isinstance(cue, Beat):
            assert cue.seconds <= MAX_SLOT or (cue.sound is Sound.HOLD and cue.sustain), cue
        elif isinstance(cue, Rest):
            assert cue.seconds <= 5.0, cue


def test_a_newline_in_spoken_text_is_a_pause_between_two_cues():
    r = loads(MINI.replace('say = "Draw small circles."', 'say = "Draw small circles.\\nSlowly."'))
    cues = build(r).cues
    i = cues.index(Say("Draw small circles."))
    assert cues[i + 1] == Rest(LINE_BREAK) and cues[i + 2] == Say("Slowly.")
    slow = build(r, ScriptChoices(pace=Pace.SLOW)).cues
    assert slow[slow.index(Say("Draw small circles.")) + 1] == Rest(LINE_BREAK * Pace.SLOW.factor)


def test_a_line_of_emoji_only_is_not_a_cue_and_emoji_stay_in_spoken_lines():
    r = loads(
        MINI.replace('say = "Draw small circles."', 'say = "Smile 😊\\n🙂👍🏽"').replace(
            'outro = "All done."', 'outro = "✨"'
        )
    )
    spoken = says(build(r).cues)
    assert "Smile 😊" in spoken  # kept as written (cue sheets show it); not spoken
    assert not [t for t in spoken if t in ("🙂👍🏽", "✨")]
    # Without an outro to speak, the closing chapter is the bell and the end chime only.
    closing = chapter(build(r), "Closing")
    assert not says(closing) and isinstance(closing[-1], Beat)


def test_a_japanese_script_shows_its_header_and_labels_in_japanese():
    # coach script's first line and every label (where the listener is) come from the
    # session language's catalog: nothing English in a Japanese session's layout.
    script = build(loads(MINI_JA), ScriptChoices(pace=Pace.SLOW, count=True, tones=False, start=1))
    lines = describe(script)
    assert re.fullmatch(
        r"ミニ — ペース slow、語り normal、回数を数える、声のみ、ステップ2から、約\d+分", lines[0]
    ), lines[0]
    labels = [c.label for c in script.cues if isinstance(c, Beat) and c.label]
    assert labels[0] == "開始" and "ステップ 2/2" in labels and labels[-1] == "終了"
    assert "左側、なで 1/2" in labels and "右側、なで 2/2、キープ" in labels
    assert not any(re.search(r"[A-Za-z]", label) for label in labels), labels


def test_a_long_script_says_hours_in_its_language():
    from coach.phrases import Phrases

    assert Phrases("en").about(65 * 60) == "about 1 h 5 min"
    assert Phrases("ja").about(65 * 60) == "約1時間5分"
    assert Phrases("de").about(7 * 60) == "etwa 7 Min."

"""The built-in routines (coach/routines/*.toml) as a face-massage teacher reads them.

Every check reads the plan, as ``coach script --json`` prints it (Session.plan): the
matrix of routine x pace x talk x --count x --no-tones x --minutes runs in-process with a
voice whose every line lasts what the script engine estimates (an engine of this file:
the real voice is not what most of these check), and a few sessions run through the real
neural voice, where a line's true length matters (words said over the rhythm). The
sessions as written are the fast lane; fitted to --minutes and with the real voice, the
full lane.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from functools import cache

import numpy as np
import pytest

from coach import cli, report
from coach.catalog import builtin
from coach.render import Mix
from coach.routine import Motion, Routine
from coach.script import (
    PHRASES,
    SPARE_COACHING,
    Pace,
    ScriptChoices,
    Talk,
    _script,
    speech_estimate,
)
from coach.session import Options, Session
from coach.speech.engine import Utterance, Voice
from coach.speech.speaker import Speaker

ROUTINES = ["anma", "quick", "evening", "neck"]
FACE = ["anma", "quick", "evening"]
ESTIMATE_RATE = 130  # the words per minute speech_estimate assumes
REP = re.compile(r"\b(?:circle|stroke|press|pluck|hold) \d+(?:-\d+)? of \d+")
BREATH = re.compile(r"\bbreath(e|es|ing)?\b", re.IGNORECASE)
#: What the voice says to keep time without tones: never in or after the closing.
PACING = {PHRASES[k] for k in ("keep_going", "keep_holding", "hold", "release")} | {"Relax."}


class EstimateEngine:
    """A voice whose every line lasts what the script engine estimates for it (at the
    speaker's rate): a soft tone, so coach's trimming keeps it whole."""

    name = "estimate"
    default_rate = ESTIMATE_RATE
    default_voice = "plain"

    def version(self) -> str:
        return "1"

    def voices(self) -> list[Voice]:
        return [Voice(self.name, "plain", "Plain", ("en",))]

    def resolve(self, spec: str) -> str:
        return "plain"

    def identity(self, voice: str, rate: int) -> str:
        return f"{voice}@{rate}"

    def probe(self) -> None:
        pass

    def start(self) -> None:
        pass

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        return Utterance(24_000, (_clip(text, rate),))

    def close(self) -> None:
        pass


@cache
def _clip(text: str, rate: int) -> np.ndarray:
    """A steady sound as long as ``text`` is estimated to take at ``rate``."""
    seconds = speech_estimate(text, Pace.NORMAL) * ESTIMATE_RATE / rate
    return np.full(int(seconds * 24_000), 0.3, np.float32)


@cache
def routine(name: str) -> Routine:
    return builtin(name)


@cache
def plan(
    name: str,
    pace: str = "normal",
    talk: str = "normal",
    count: bool = False,
    tones: bool = True,
    minutes: float | None = None,
    start: int = 0,
) -> dict:
    """The plan of a session, as ``coach script --json`` prints it, with EstimateEngine."""
    settings = ScriptChoices(
        pace=Pace(pace), talk=Talk(talk), count=count, tones=tones, minutes=minutes, start=start
    )
    speaker = Speaker(EstimateEngine(), "plain", round(ESTIMATE_RATE * Pace(pace).speech))
    with Session(
        routine(name), Options(settings=settings, mix=Mix(tones=tones)), speaker=speaker
    ) as s:
        return report.plan(s)


@cache
def shortest_minutes(name: str, pace: str, talk: str, count: bool, tones: bool) -> int:
    """The fewest whole minutes ``name`` fits with these options."""
    settings = ScriptChoices(pace=Pace(pace), talk=Talk(talk), count=count, tones=tones)
    return math.ceil(_script(routine(name), settings, 0.0).estimate_seconds() / 60)


# ---- reading a plan ---------------------------------------------------------------------


def speeches(p: dict) -> list[dict]:
    return [e for e in p["events"] if e["kind"] == "speech"]


def heard(p: dict) -> list[dict]:
    """Every event that sounds: speech, and tones (a voice-only plan's slots are timing)."""
    return [e for e in p["events"] if e["kind"] in ("speech", "tone")]


def reps(p: dict) -> list[dict]:
    """The rhythm: tone or timing events of a repetition (labelled "... 3 of 12")."""
    return [
        e for e in p["events"] if e["kind"] in ("tone", "timing") and REP.search(e.get("label", ""))
    ]


def rep_spans(p: dict) -> list[tuple[float, float, str]]:
    """(start, end, label) of every repetition, its hold and release included: the events
    in a row that share a label (a phase's "pluck 1 of 10" is not the next phase's)."""
    spans: list[list] = []
    for e in reps(p):
        label = e["label"].removesuffix(", hold")
        if spans and spans[-1][2] == label and abs(spans[-1][1] - e["start"]) < 1e-6:
            spans[-1][1] = e["end"]
        else:
            spans.append([e["start"], e["end"], label])
    return [(a, b, label) for a, b, label in spans]


def inside(t: float, spans: list[tuple[float, float, str]]) -> tuple[float, float, str] | None:
    for span in spans:
        if span[0] - 1e-6 <= t < span[1] - 1e-6:
            return span
    return None


def standalone(p: dict) -> list[dict]:
    """Lines said on their own, not over the rhythm."""
    spans = rep_spans(p)
    return [s for s in speeches(p) if inside(s["start"], spans) is None]


def chapter(p: dict, title: str) -> dict:
    return next(c for c in p["chapters"] if c["title"] == title)


def in_chapter(events: list[dict], c: dict) -> list[dict]:
    return [e for e in events if c["start"] <= e["start"] < c["end"]]


# ---- the checks: one per point of the issue, each on one plan ------------------------------


def check_preparation(p: dict, name: str) -> None:
    texts = [s["text"] for s in speeches(p)]
    # The instruction itself ("Before you close your eyes, ..." is not it).
    eyes = next(
        i for i, t in enumerate(texts) if re.search(r"(?<!before you )close your eyes", t.lower())
    )
    before = " ".join(texts[:eyes]).lower()
    for word in (
        "clean hands",
        "oil",
        "lenses",
        "glasses",
        "elbows",
        "hurts",
        "stop",
        "broken",
        "sunburnt",
    ):
        assert word in before, (name, word)
    if name == "neck":
        for word in ("infection", "swollen", "thyroid", "carotid", "dizzy"):
            assert word in before, (name, word)
    else:
        for word in ("fillers", "botox", "laser", "flare"):
            assert word in before, (name, word)


def check_count_in(p: dict) -> None:
    """At least 1.5 s from a line said on its own to the next repetition."""
    starts = [e["start"] for e in reps(p)]
    for s in standalone(p):
        following = [t for t in starts if t >= s["end"] - 1e-6]
        if following:
            assert following[0] - s["end"] >= 1.5 - 1e-3, (s["text"], following[0] - s["end"])


def check_time_to_return(p: dict) -> None:
    events = reps(p)
    for i, e in enumerate(events):
        if e["sound"] == "release" and i + 1 < len(events):
            nxt = events[i + 1]
            if nxt["start"] - e["start"] < 10:  # the next repetition of the same run
                assert nxt["start"] - e["start"] >= 1.2 - 1e-3, (e, nxt)


def check_sounds_taught(p: dict) -> None:
    """Each marker heard, named, in the introduction before it is needed (about 5 s)."""
    intro = p["chapters"][0]
    first_rep = min((e["start"] for e in reps(p)), default=math.inf)
    taught = []
    for sound in ("hold", "release"):
        used = [e for e in heard(p) if e["kind"] == "tone" and e["sound"] == sound]
        if not used:
            continue
        first = used[0]
        assert first["end"] <= intro["end"] and first["start"] < first_rep, (sound, first)
        named = [s for s in speeches(p) if s["end"] <= first["start"] + 1e-6][-1]
        assert sound in named["text"].lower() and first["start"] - named["end"] < 1.0, named
        taught.append((named["start"], first["end"]))
    if taught:
        assert taught[-1][1] - taught[0][0] <= 9.0, taught


def check_breath_quiet(p: dict) -> None:
    """4 s of quiet (no line, no tone starting) after each breath cue said on its own."""
    for s in standalone(p):
        if BREATH.search(s["text"]):
            after = [e for e in heard(p) if s["end"] - 1e-6 < e["start"] < s["end"] + 4.0]
            assert not after, (s["text"], after[:2])


def check_closing(p: dict) -> None:
    closing = p["chapters"][-1]
    lines = in_chapter(speeches(p), closing)
    assert lines, "the closing says something"
    for a, b in itertools.pairwise(lines):
        assert b["start"] - a["end"] >= 2.0 - 1e-3, (a["text"], b["text"])
    # No pacing word in the closing or after it; nothing is said after the outro.
    assert not [s for s in speeches(p) if s["start"] >= closing["start"] and s["text"] in PACING]


def check_titles_once(p: dict) -> None:
    for c in p["chapters"][1:-1]:
        said = [
            s["start"] for s in speeches(p) if s["text"].lower().endswith(c["title"].lower() + ".")
        ]
        assert said, c["title"]
        for a, b in itertools.pairwise(said):
            assert b - a >= 10.0, (c["title"], said)


def check_words_fit(p: dict) -> None:
    """No line said over the rhythm lasts longer than the repetition it starts in."""
    spans = rep_spans(p)
    for s in speeches(p):
        span = inside(s["start"], spans)
        if span is not None:
            assert s["end"] - s["start"] <= span[1] - span[0] + 1e-6, (s["text"], span)


def check_plan_is_what_sounds(p: dict, tones: bool) -> None:
    kinds = {e["kind"] for e in p["events"]}
    if tones:
        assert "timing" not in kinds
    else:
        assert "tone" not in kinds and "timing" in kinds


def check_caps(p: dict, name: str) -> None:
    """Plucks and (non-resting) holds never more than written, whatever --minutes says."""
    written: dict[str, int] = {}
    for step in routine(name).steps:
        for phase in step.phases:
            if phase.motion in (Motion.PLUCK, Motion.HOLD) and not phase.resting:
                written[phase.motion.value] = max(written.get(phase.motion.value, 0), phase.reps)
    for e in reps(p):
        m = re.search(r"(pluck|hold) \d+(?:-\d+)? of (\d+)$", e["label"])
        if m and not e["label"].endswith(", hold"):
            assert int(m.group(2)) <= written[m.group(1)], e["label"]


def check_all(p: dict, name: str, tones: bool, start: int = 0) -> None:
    if start == 0:
        check_preparation(p, name)
    check_count_in(p)
    check_time_to_return(p)
    check_sounds_taught(p)
    check_breath_quiet(p)
    check_closing(p)
    check_titles_once(p)
    check_words_fit(p)
    check_plan_is_what_sounds(p, tones)
    check_caps(p, name)


# ---- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("tones", [True, False], ids=["tones", "no-tones"])
@pytest.mark.parametrize("count", [False, True], ids=["", "count"])
@pytest.mark.parametrize("talk", ["less", "normal", "more"])
@pytest.mark.parametrize("pace", ["slow", "normal", "fast"])
@pytest.mark.parametrize("name", ROUTINES)
def test_every_session_as_written(name, pace, talk, count, tones):
    check_all(plan(name, pace, talk, count, tones), name, tones)


def _minutes_cases() -> list[tuple]:
    """Each routine from its minimum to 30 minutes at each pace, with the options taking
    turns (every talk level, --count and --no-tones each met at the ends)."""
    cases = []
    options = itertools.cycle(
        [
            ("normal", False, True),
            ("more", True, False),
            ("less", False, False),
            ("more", False, True),
            ("normal", True, True),
            ("less", True, False),
        ]
    )
    for name in ROUTINES:
        for pace in ("slow", "normal", "fast"):
            for at in ("least", "middle", "most"):
                talk, count, tones = next(options)
                low = shortest_minutes(name, pace, talk, count, tones)
                minutes = {"least": low, "middle": (low + 30) // 2, "most": 30}[at]
                cases.append((name, pace, talk, count, tones, minutes))
    return cases


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pace", "talk", "count", "tones", "minutes"), _minutes_cases())
def test_every_session_fitted_to_minutes(name, pace, talk, count, tones, minutes):
    p = plan(name, pace, talk, count, tones, minutes)
    check_all(p, name, tones)
    assert p["duration"] == pytest.approx(minutes * 60, rel=0.12)


@pytest.mark.parametrize("name", ROUTINES)
@pytest.mark.parametrize("tones", [True, False], ids=["tones", "no-tones"])
def test_from_a_later_step(name, tones):
    p = plan(name, tones=tones, start=2)
    check_all(p, name, tones, start=2)
    assert speeches(p)[0]["text"].endswith("from step three.")


# ---- the points one by one, where a single plan shows them ------------------------------------


@pytest.mark.parametrize("name", ROUTINES)
def test_extra_minutes_go_to_strokes_breaths_and_rest_not_to_plucks_and_holds(name):
    short, long = plan(name), plan(name, minutes=30)
    assert long["duration"] > 25 * 60

    def total(p: dict, motion: str) -> int:
        return len({l for _, _, l in rep_spans(p) if re.search(rf"\b{motion} \d", l)})

    for motion in ("pluck", "hold"):
        assert total(long, motion) <= total(short, motion), motion
    assert total(long, "stroke") + total(long, "circle") + total(long, "press") > 2 * (
        total(short, "stroke") + total(short, "circle") + total(short, "press")
    )

    def breaths(p: dict) -> int:
        return len([s for s in speeches(p) if s["text"].startswith(PHRASES["breathe_in"][:7])])

    if breaths(short):  # a routine that rests or breathes does it longer
        assert breaths(long) > breaths(short)


def test_too_short_for_anma_suggests_quick(capsys):
    status = cli.run(["script", "anma", "-m", "3"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "cannot fit" in err and "try quick" in err
    assert cli.run(["script", "quick", "-m", "3"]) == 0


@pytest.mark.parametrize("name", ROUTINES)
def test_talk_more_coaches_each_phase_and_never_repeats_itself(name):
    for pace, count, tones in [
        ("normal", False, True),
        ("fast", True, False),
        ("slow", False, True),
    ]:
        more = [s["text"] for s in speeches(plan(name, pace, "more", count, tones))]
        normal = {s["text"] for s in speeches(plan(name, pace, "normal", count, tones))}
        extra = [t for t in more if t not in normal]
        assert len(extra) == len(set(extra)), extra
        written = {c for step in routine(name).steps for ph in step.phases for c in ph.coaching}
        assert set(extra) <= written | set(SPARE_COACHING)
        # Every phase of a built-in routine has its own coaching, and it is heard.
        assert len(set(extra)) >= sum(len(step.phases) for step in routine(name).steps)
    assert not {"Good.", "Nice and easy.", "Halfway. Keep breathing slowly."} & set(more)


@pytest.mark.parametrize("name", ROUTINES)
def test_no_tones_counts_plucks_as_a_light_count_and_holds_rest_continuously(name):
    p = plan(name, tones=False)
    texts = [s["text"] for s in speeches(p)]
    light = [t for t in texts if t.startswith("and ")]
    if any(ph.motion is Motion.PLUCK for step in routine(name).steps for ph in step.phases):
        # "and one, and two, ...": every number in turn, starting again with each lip.
        runs = [[int(w) for w in run] for run in _runs(light)]
        assert runs and all(run == list(range(1, len(run) + 1)) for run in runs), light
    # A resting hold is one hold: no "Hold." / "Release." cycling while the hands rest.
    for s in standalone(p):
        assert s["text"] not in (PHRASES["hold"], PHRASES["keep_holding"]), s


def _runs(light: list[str]) -> list[list[str]]:
    words = {
        w: str(i)
        for i, w in enumerate(
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen twenty".split(),
            start=1,
        )
    }
    runs: list[list[str]] = []
    for t in light:
        n = words[t.removeprefix("and ")]
        if n == "1":
            runs.append([])
        runs[-1].append(n)
    return runs


@pytest.mark.parametrize("name", ROUTINES)
def test_safety_by_zone_in_every_line(name):
    r = routine(name)
    lines = [
        line
        for text in [r.intro, r.outro]
        + [s.say for s in r.steps]
        + [ph.say for s in r.steps for ph in s.phases]
        for line in text.split("\n")
        if line
    ]
    lines += [c for s in r.steps for ph in s.phases for c in ph.coaching]
    text = " ".join(lines).lower()
    assert "tilt your head back" not in text and "front of your neck" not in text
    for line in lines:
        low = line.lower()
        if "throat" in low or "pulse" in low:
            assert re.search(r"never|away from|off the", low), line
        if "eyelid" in low:
            assert "never" in low, line
        # One idea per line: short enough to follow with the eyes closed.
        assert len(line.split()) <= 16, line
    for old in ("fresh blood", "everything drains", "end of the routine"):
        assert old not in text
    if name in FACE:
        # Around the eyes: the brow bone, the ring fingers on the bony rim, the lightest touch.
        assert "brow bone" in text and "ring finger" in text and "rim" in text
        assert "lightest under the eye" in text or "lightest of all under the eye" in text


def test_neck_stays_on_the_sides_and_ends_with_a_clearing_pass():
    r = routine("neck")
    titles = [s.title for s in r.steps]
    assert "Front of the neck" not in titles and "Clearing strokes" in titles
    clearing = r.steps[titles.index("Clearing strokes")]
    assert "collarbones" in clearing.say and "level" in clearing.say
    assert "head level" in r.intro


def test_anma_winds_down_before_its_closing():
    p = plan("anma")
    wind = chapter(p, "Wind down")
    assert p["chapters"][-2] is wind or p["chapters"][-2]["title"] == "Wind down"
    rhythm = [
        e
        for e in p["events"]
        if wind["start"] <= e["start"] < wind["end"] and e["kind"] != "speech"
    ]
    assert 30 <= wind["end"] - wind["start"] <= 75
    assert any(e.get("label") == "resting hold" for e in rhythm)  # palms over the eyes


def test_evening_gives_the_palm_rub_its_time():
    p = plan("evening")
    lines = speeches(p)
    rub = next(i for i, s in enumerate(lines) if s["text"].startswith("Rub your palms"))
    breath_words = {PHRASES[k] for k in ("breathe_in_first", "breathe_in", "breathe_out")}
    after = next(s for s in lines[rub + 1 :] if s["text"] not in breath_words)
    assert after["start"] - lines[rub]["end"] >= 8.0


def test_quick_is_short_and_its_lip_switch_is_heard():
    r = routine("quick")
    assert len(r.steps) == 3
    p = plan("quick")
    assert 2.5 * 60 <= p["duration"] <= 4.5 * 60
    lips = chapter(p, "Lips")
    said = [s["text"] for s in standalone(p) if lips["start"] <= s["start"] < lips["end"]]
    assert "Lower lip." in said


def test_anma_and_evening_say_lower_lip_too():
    for name in ("anma", "evening"):
        assert "Lower lip." in [s["text"] for s in standalone(plan(name))]


# ---- with the real voice: words over the rhythm fit their repetitions ---------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("anma", []),
        ("anma", ["--pace", "fast", "--count", "--talk", "more"]),
        ("anma", ["--pace", "fast", "--no-tones"]),
        ("quick", ["--pace", "fast", "--no-tones", "--talk", "more"]),
        ("evening", ["--pace", "slow", "--count"]),
        ("neck", ["--talk", "more", "--count", "--pace", "fast"]),
    ],
)
def test_with_the_real_voice(capsys, name, args):
    assert cli.run(["script", name, "--json", *args]) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["voice"]["engine"] == "hibari"
    tones = "--no-tones" not in args
    check_all(p, name, tones)
    # One idea per line: no line is long.
    assert max(s["end"] - s["start"] for s in speeches(p)) <= 8.0

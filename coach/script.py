"""The script engine: Routine + ScriptChoices -> an ordered Script of cues.

Pure: no audio and no clock. A cue says *what* happens in which order and, for tones and
rests, for how many seconds; how long speech lasts is the sequencer's business (it knows
the real clips). Speech lengths are only *estimated* here, to fit ``--minutes`` and to cap
a session's length before any audio is made.

One module because it is one idea, the order and timing of cues: the count-ins, breaths,
holds, counts, progress words, closing and ``--minutes`` fitting all decide the same
sequence and each depends on what the others placed. The words themselves are not here
(coach.phrases, from the catalogs); splitting the ``--minutes`` fitting out is the next
step if it grows again.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass, replace
from enum import Enum

from coach import languages, numbers
from coach.clock import about, minutes_seconds
from coach.errors import InputError
from coach.phrases import PHRASES, SPARE_COACHING, Phrases  # noqa: F401 (SPARE_COACHING re-exported)
from coach.pieces import pieces
from coach.routine import MAX_REPS, Motion, Phase, Routine, Side
from coach.sounds import SECONDS, Sound
from coach.spoken import is_speakable, speakable, spoken_length

MAX_SESSION_SECONDS = 4 * 3600
#: How long a line is assumed to take, before any voice has spoken it: LINE_SECONDS plus
#: one CHAR_SECONDS per spoken character, at the normal pace and ESTIMATE_WPM. Characters
#: predict a line's length better than words; fitted on the 166 distinct lines of the four
#: built-in routines as the default voice speaks them at 130 words per minute (7 % mean
#: error). A voice at another rate scales it (Session): every engine's rate is measured in
#: the same words per minute.
ESTIMATE_WPM = 130
LINE_SECONDS = 0.396
CHAR_SECONDS = 0.0736
#: A tone slot longer than this gets soft pulses, so no stretch of a session is silent
#: for long enough to make someone with closed eyes wonder whether it stopped.
MAX_SLOT = 4.0
#: Counting aloud needs room for the word inside one repetition.
MIN_COUNTED_SLOT = 1.2
#: A hold at least this long gets a sustained soft tone under it.
SUSTAIN_FROM = 2.5
#: The release marker's own slot, seconds at the normal pace: time to lift off and return
#: before the next repetition (1.28 s at the fast pace).
RELEASE_SLOT = 1.6
#: The longest stretch a plan leaves without a sound, seconds (the promise is 5 s; a line's
#: real length may differ from its estimate). Longer silences get a soft pulse, or
#: without tones a spoken word.
MAX_SILENCE = 4.5
#: Without tones, a spoken line is assumed to last at least this share of its estimate
#: when working out how long the silence after it is.
SHORT_SPEECH = 0.7
#: The pause a newline inside a routine's text makes, seconds at the normal pace.
LINE_BREAK = 0.6
#: Stereo position of the rhythm while one side is worked (-1 left .. +1 right).
SIDE_PAN = 0.6


class Pace(Enum):
    """How fast the session goes. ``factor`` scales repetitions, holds and pauses;
    ``speech`` scales the speaking rate."""

    SLOW = "slow"
    NORMAL = "normal"
    FAST = "fast"

    @property
    def factor(self) -> float:
        return {"slow": 1.25, "normal": 1.0, "fast": 0.8}[self.value]

    @property
    def speech(self) -> float:
        return {"slow": 0.9, "normal": 1.0, "fast": 1.12}[self.value]


class Talk(Enum):
    """How much the coach says beyond the routine's own instructions."""

    LESS = "less"
    NORMAL = "normal"
    MORE = "more"


MOTION_SOUND = {
    Motion.CIRCLE: Sound.CIRCLE,
    Motion.STROKE: Sound.STROKE,
    Motion.PRESS: Sound.PRESS,
    Motion.PLUCK: Sound.PLUCK,
    Motion.HOLD: Sound.HOLD,
}


@dataclass(frozen=True)
class ScriptChoices:
    """Choices that shape the script (named apart from config.Setting, one value of the
    settings file). ``minutes``: fit the session to about this long by scaling
    repetitions (None: as written). ``start``: the index of the first step played
    (0: from the beginning; later, the introduction is one line). ``tones``: False for a
    voice-only session, where the voice paces the rhythm: it counts and says when to hold
    and release. ``sounding``: how long each sound of a chosen sound pack lasts, seconds,
    where the pack has one (the rest last as the built-ins, sounds.SECONDS): silences are
    counted from where the sounds really end."""

    pace: Pace = Pace.NORMAL
    talk: Talk = Talk.NORMAL
    count: bool = False
    minutes: float | None = None
    start: int = 0
    tones: bool = True
    sounding: tuple[tuple[Sound, float], ...] = ()

    def seconds_of(self, sound: Sound) -> float:
        """How long ``sound`` lasts when played whole, seconds: the pack's, else the
        built-in's."""
        for known, seconds in self.sounding:
            if known is sound:
                return seconds
        return SECONDS[sound]


@dataclass(frozen=True)
class Chapter:
    """A chapter starts here (zero length)."""

    title: str


@dataclass(frozen=True)
class Say:
    """Speak ``text`` literally. ``over``: spoken over the rhythm, starting with the next
    cue instead of taking its own time. ``pan``: stereo position, -1 left .. +1 right."""

    text: str
    pan: float = 0.0
    over: bool = False


@dataclass(frozen=True)
class Beat:
    """A sound at the start of a slot of ``seconds``. ``sustain``: a soft tone fills the
    slot. ``label`` says where the listener is (for a status line)."""

    sound: Sound
    seconds: float
    pan: float = 0.0
    sustain: bool = False
    label: str = ""


@dataclass(frozen=True)
class Rest:
    """Silence for ``seconds``."""

    seconds: float


Cue = Chapter | Say | Beat | Rest


@dataclass(frozen=True)
class Script:
    """The ordered cues of one session. Starts with a Chapter; every cue belongs to the
    chapter before it."""

    name: str
    title: str
    settings: ScriptChoices
    cues: tuple[Cue, ...]
    #: The language every line is in (the routine's, BCP 47).
    language: str = "en"

    def chapters(self) -> list[tuple[str, tuple[Cue, ...]]]:
        """(title, cues after the Chapter cue) for each chapter, in order."""
        out: list[tuple[str, list[Cue]]] = []
        for cue in self.cues:
            if isinstance(cue, Chapter):
                out.append((cue.title, []))
            else:
                out[-1][1].append(cue)
        return [(title, tuple(cues)) for title, cues in out]

    def step_of(self, chapter: int) -> int | None:
        """The routine step index chapter ``chapter`` plays: the introduction counts as the
        first step played, the closing is None (the routine is done)."""
        steps = len(self.chapters()) - 2
        if chapter >= steps + 1:
            return None
        return self.settings.start + max(0, chapter - 1)

    def texts(self) -> list[str]:
        """Distinct speech texts in the order first spoken."""
        return texts(self.cues)

    def estimate_seconds(self, wpm: float | None = None) -> float:
        """Approximate length, speech at ``wpm`` words per minute (see speech_estimate)."""
        return estimate_seconds(self.cues, self.settings.pace, wpm, self.language)


def texts(cues: tuple[Cue, ...]) -> list[str]:
    """The distinct lines ``cues`` speak, in the order first spoken."""
    return list(dict.fromkeys(c.text for c in cues if isinstance(c, Say)))


def estimate_seconds(
    cues: tuple[Cue, ...], pace: Pace, wpm: float | None = None, language: str = languages.DEFAULT
) -> float:
    """Approximate seconds ``cues`` last, speech in ``language`` at ``wpm`` (see
    speech_estimate)."""
    return sum(_estimate(c, pace, wpm, language) for c in cues)


@functools.lru_cache(maxsize=4096)  # fitting --minutes builds dozens of scripts of the same lines
def speech_estimate(
    text: str, pace: Pace, wpm: float | None = None, language: str = languages.DEFAULT
) -> float:
    """Rough seconds to speak ``text`` in ``language`` at ``wpm`` (the language's rate unit:
    words, or in Japanese morae, per minute; None: the default rate for ``pace``). English
    from its length read aloud: numbers count as the words they are read as, emoji and
    symbols, which are not spoken, as nothing (``spoken.spoken_length``); another language
    from its rate's units (coach.languages: Japanese morae, estimated by coach.morae)."""
    if language == languages.DEFAULT:
        seconds = LINE_SECONDS + spoken_length(text) * CHAR_SECONDS
        return seconds * ESTIMATE_WPM / wpm if wpm else seconds / pace.speech
    lang = languages.get(language)
    seconds = LINE_SECONDS + lang.units(speakable(text)) * 60 / lang.estimate_rate
    return seconds * lang.estimate_rate / wpm if wpm else seconds / pace.speech


def _estimate(
    cue: Cue, pace: Pace, wpm: float | None = None, language: str = languages.DEFAULT
) -> float:
    if isinstance(cue, Say):
        return 0.0 if cue.over else speech_estimate(cue.text, pace, wpm, language)
    if isinstance(cue, Beat | Rest):
        return cue.seconds
    return 0.0


#: Everything coach itself says beyond the routine's own words is a template in
#: coach.phrases (PHRASES, by key; SPARE_COACHING for --talk more), English here.


def phrase(key: str, **values: object) -> str:
    """Coach's own line ``key`` (coach.phrases.PHRASES) with ``values`` filled in."""
    return PHRASES[key].format(**values)


#: A spoken line that invites a breath: what follows it is BREATH_QUIET of quiet.
_BREATH = re.compile(r"\bbreath(e|es|ing)?\b", re.IGNORECASE)
#: Quiet after a breath cue, seconds, at every pace (a breath keeps the body's own time;
#: 4-6 s, under the 5 s a session may be silent).
BREATH_QUIET = 4.5
#: A breath at least: two words and their quiet (for ``rhythm_seconds``).
BREATH_SECONDS = 2 * BREATH_QUIET
#: Time to place the hands between an instruction and the first repetition, seconds at
#: the normal pace, and never less than COUNT_IN_LEAST at any pace.
COUNT_IN = 1.8
COUNT_IN_LEAST = 1.6
#: Between the lines of the closing, seconds at the normal pace (at least CLOSING_LEAST).
CLOSING_GAP = 2.5
CLOSING_LEAST = 2.2
#: A line spoken over the rhythm must fit its repetition: its estimate times this (short
#: words run up to a fifth over their estimate).
FIT_MARGIN = 1.3
#: A resting hold lasts about this long per breath, seconds (the words and their quiet).
RESTING_BREATH = 11.0


def says_breath(text: str, language: str = languages.DEFAULT) -> bool:
    """Whether ``text`` invites a breath (and so is followed by BREATH_QUIET): its words for
    breathing in ``language`` (coach.languages)."""
    if language == languages.DEFAULT:
        return bool(_BREATH.search(text))
    return bool(re.search(languages.get(language).breath, text))


def number_word(n: int) -> str:
    """English words for 1..200, as counted aloud (coach.numbers has every language's)."""
    return numbers.english(n)


def _side_line(index: int, side: Side, t: Phrases) -> str:
    name = t.side(side.value)
    if index == 0:
        return t("first_side", Side=name.capitalize())
    return t("next_side", side=name)


def _pan(side: Side | None) -> float:
    return {None: 0.0, Side.LEFT: -SIDE_PAN, Side.RIGHT: SIDE_PAN}[side]


def _uses_markers(routine: Routine, start: int) -> bool:
    """Whether the hold and release markers sound in the session from step ``start``."""
    return any(
        phase.motion is Motion.HOLD or phase.hold
        for step in routine.steps[start:]
        for phase in step.phases
    )


class _Builder:
    def __init__(self, routine: Routine, settings: ScriptChoices, rep_scale: float) -> None:
        self.r, self.s, self.scale = routine, settings, rep_scale
        self.t = Phrases(routine.language)  # coach's own words, in the routine's language
        self.f = settings.pace.factor
        self.cues: list[Cue] = []
        self.coached: set[str] = set()  # --talk more lines said so far: never twice

    def add(self, *cues: Cue) -> None:
        # A line with nothing to speak (only emoji) is no cue: it would be a silent "line".
        self.cues.extend(c for c in cues if not isinstance(c, Say) or is_speakable(c.text))

    def line(self, text: str, pan: float = 0.0) -> None:
        """One line spoken on its own (a line longer than PIECE_CHARS read aloud as several,
        each cut with its pause: coach.pieces); a breath cue is followed by a breath's quiet."""
        if not is_speakable(text):
            return
        for piece in pieces(text):
            self.add(Say(piece.text, pan=pan))
            if piece.pause:
                self.add(Rest(piece.pause))
        if says_breath(text, self.r.language):
            self.gap(BREATH_QUIET, scaled=False)

    def say(self, text: str, between: float = LINE_BREAK, least: float = 0.0) -> None:
        """The routine's own ``text``: each of its lines spoken, a pause of ``between``
        seconds at the normal pace (at least ``least``) between them."""
        lines = [line for line in text.split("\n") if is_speakable(line)]
        for i, line in enumerate(lines):
            if i:
                self.gap(between, least=least)
            self.line(line)

    def rest(self, seconds: float) -> None:
        self.add(Rest(round(seconds * self.f, 6)))

    def gap(self, seconds: float, scaled: bool = True, least: float = 0.0) -> None:
        """At least ``seconds`` (times the pace when ``scaled``; never under ``least``) of
        rest since the last cue: a rest just before grows to it instead of adding up."""
        want = round(max(seconds * (self.f if scaled else 1.0), least), 6)
        if self.cues and isinstance(self.cues[-1], Rest):
            if self.cues[-1].seconds < want:
                self.cues[-1] = Rest(want)
        else:
            self.add(Rest(want))

    def fits(self, text: str, seconds: float) -> bool:
        """Whether ``text`` said over the rhythm ends inside ``seconds`` of it."""
        return speech_estimate(text, self.s.pace, None, self.r.language) * FIT_MARGIN <= seconds

    def build(self) -> tuple[Cue, ...]:
        r, start = self.r, self.s.start
        self.add(
            Chapter(self.t("introduction")),
            Beat(Sound.START, round(2.5 * self.f, 6), label=self.t("label_starting")),
        )
        if start:  # picking up part-way: the person has heard the full introduction before
            self.line(self.t("from_step", title=r.title, number=self.t.number(start + 1)))
        else:
            self.say(r.intro or self.t("default_intro", title=r.title))
        if self.s.tones and _uses_markers(r, start):
            # Each marker heard once, named, before it is needed.
            self.gap(0.8)
            for line, sound in (
                (self.t("teach_hold"), Sound.HOLD),
                (self.t("teach_release"), Sound.RELEASE),
            ):
                self.line(line)
                self.rest(0.3)
                self.add(Beat(sound, round(1.2 * self.f, 6)))
        self.gap(1.5)
        for k, step in enumerate(r.steps):
            if k < start:
                continue
            bell = 2.0 * self.f if self.s.tones else 1.0  # without tones the bell is only time
            # The label says where in the routine the bell is: the chapter's title is
            # shown beside it already ("Smile lines · Smile lines" said nothing).
            self.add(
                Chapter(step.title),
                Beat(
                    Sound.BELL,
                    round(bell, 6),
                    label=self.t("label_step", number=k + 1, count=len(r.steps)),
                ),
            )
            self.line(
                self.t(
                    "step",
                    number=self.t.number(k + 1),
                    count=self.t.number(len(r.steps)),
                    title=step.title,
                )
            )
            if step.say:
                self.gap(0.4)
                self.say(step.say)
            for phase in step.phases:
                self.phase(phase)
            self.gap(1.5)
        self.add(
            Chapter(self.t("closing")),
            Beat(
                Sound.BELL,
                round(2.0 * self.f if self.s.tones else 1.0, 6),
                label=self.t("label_last_bell"),
            ),
        )
        self.say(r.outro or self.t("default_outro"), between=CLOSING_GAP, least=CLOSING_LEAST)
        if self.s.tones:
            self.gap(1.0)
            self.add(Beat(Sound.END, round(3.0 * self.f, 6), label=self.t("label_finished")))
        else:  # nothing sounds after the last word: a short, silent end
            self.gap(1.0, scaled=False)
            self.add(Beat(Sound.END, 1.0, label=self.t("label_finished")))
        return _fill_silence(self.cues, self.s, self.t)

    def coaching(self, phase: Phase) -> list[str]:
        """The ``--talk more`` lines for ``phase`` not yet said in this session."""
        if self.s.talk is not Talk.MORE:
            return []
        lines = [c for c in phase.coaching if c not in self.coached]
        if not phase.coaching:
            lines = [c for c in self.t.coaching() if c not in self.coached][:1]
        return lines

    def phase(self, phase: Phase) -> None:
        if phase.say:
            self.gap(0.4)
            self.say(phase.say)
        reps = _scaled_reps(phase, self.scale)
        period = self.period(phase)
        held = phase.motion is Motion.HOLD and not phase.resting
        if held and reps > 1:
            self.gap(0.4)
            self.line(self.t("holds", Number=self.t.number(reps).capitalize()))
        # Coaching lines too long to say over a repetition are said before it starts.
        coaching = self.coaching(phase)
        over = self.s.count or not self.s.tones or phase.motion is Motion.BREATHE or phase.resting
        spoken_first = [c for c in coaching if over or not self.fits(c, period)]
        for text in spoken_first:
            self.gap(0.6)
            self.line(text)
            self.coached.add(text)
        coaching = [c for c in coaching if c not in spoken_first]
        sides: tuple[Side | None, ...] = phase.sides or (None,)
        for j, side in enumerate(sides):
            if side is not None:
                self.gap(1.0 if j else 0.6)
                self.line(_side_line(j, side, self.t), pan=_pan(side))
            self.gap(COUNT_IN, least=COUNT_IN_LEAST)
            if phase.motion is Motion.BREATHE:
                self.breaths(reps)
            elif phase.resting:
                self.resting(phase, reps)
            else:
                coaching = self.reps(phase, reps, side, coaching)
        for text in coaching:  # no repetition had room for it: said once the phase is done
            self.gap(1.0)
            self.line(text)
            self.coached.add(text)
        self.gap(1.0)

    def period(self, phase: Phase) -> float:
        """Seconds one repetition of ``phase`` lasts at this pace, hold and release included."""
        held = phase.motion is Motion.HOLD or phase.hold
        return (phase.seconds + phase.hold + (RELEASE_SLOT if held else 0.0)) * self.f

    def breaths(self, count: int) -> None:
        """``count`` slow breaths paced by the voice: in, quiet, out, quiet."""
        for i in range(count):
            self.line(self.t("breathe_in_first" if i == 0 else "breathe_in"))
            self.line(self.t("breathe_out"))
            self.gap(BREATH_QUIET, scaled=False)

    def resting(self, phase: Phase, reps: int) -> None:
        """A resting hold: one continuous hold of reps x seconds, paced by slow breaths
        (never a release until the end, so the hands stay where they rest)."""
        seconds = reps * phase.seconds * self.f
        if self.s.tones:
            self.add(Beat(Sound.HOLD, round(1.2 * self.f, 6), label=self.t("label_resting")))
        self.breaths(_resting_breaths(seconds))
        if self.s.tones:
            self.add(
                Beat(Sound.RELEASE, round(RELEASE_SLOT * self.f, 6), label=self.t("label_resting"))
            )
        else:
            self.line(self.t("release"))

    def reps(self, phase: Phase, reps: int, side: Side | None, coaching: list[str]) -> list[str]:
        """The repetitions of one side (or of the phase); returns the ``coaching`` lines
        that found no repetition to be said over."""
        f, pan, talk = self.f, _pan(side), self.s.talk
        period = self.period(phase)
        slot = phase.seconds * f
        held = phase.motion is Motion.HOLD
        # Without tones the voice keeps the time: it counts every repetition where the
        # number fits in one, else a light count ("and one", "and two") over every few.
        group = 1  # repetitions per counted word; a last short group joins the one before
        counted = not self.s.tones and not held
        while (
            counted
            and group < reps
            and not self.fits(self.count_word(reps // group, group), slot * group)
        ):
            group += 1
        starts = list(range(0, reps - reps % group if group > 1 else reps, group)) or [0]
        lines: dict[int, str] = {}
        if counted:
            lines = {i: self.count_word(n, group) for n, i in enumerate(starts, 1)}
        elif self.s.count and slot >= MIN_COUNTED_SLOT and not held:
            lines = {
                i: self.t.number(i + 1)
                for i in range(reps)
                if self.fits(self.t.number(i + 1), slot)
            }
        elif talk is not Talk.LESS:
            marks = {reps // 2: "halfway"} if reps >= 6 else {}
            if reps >= 8:
                marks[reps - 3] = "last_three"
            if reps >= 4:
                marks[reps - 1] = "last_one"
            lines = {i: self.t(k) for i, k in marks.items() if self.fits(self.t(k), period)}
        # --talk more: the phase's coaching, spread over repetitions that carry no other
        # line, after one that carries none either (each line fits its repetition).
        left = []
        for text in coaching:
            free = [i for i in range(1, reps) or [0] if not {i - 1, i} & lines.keys()]
            if not free or not self.fits(text, period):
                left.append(text)
                continue
            lines[free[(len(self.coached) * 7 + 1) % len(free)]] = (
                text  # spread, not always the first
            )
            self.coached.add(text)
        for i in range(reps):
            label = self.label(phase, side, i + 1, i + 1, reps)
            if i in lines:
                self.add(Say(lines[i], pan=pan, over=True))
            if held:
                self.hold(phase.seconds * f, pan, label)
            elif group > 1:  # the voice counts every few: one timing slot for them
                if i in starts:
                    n = (starts[starts.index(i) + 1] if i != starts[-1] else reps) - i
                    label = self.label(phase, side, i + 1, i + n, reps)
                    self.add(Beat(MOTION_SOUND[phase.motion], round(slot * n, 6), pan, label=label))
            else:
                self.slot(MOTION_SOUND[phase.motion], slot, pan, label)
                if phase.hold:
                    self.hold(phase.hold * f, pan, self.t("label_then_hold", label=label))
        return left

    def label(self, phase: Phase, side: Side | None, first: int, last: int, reps: int) -> str:
        """Where the listener is in ``phase``: its motion, repetitions ``first`` to ``last``
        (from 1) of ``reps``, and the side, in the session's language."""
        motion = self.t.motion(phase.motion.value)
        label = (
            self.t("label_rep", motion=motion, number=first, count=reps)
            if first == last
            else self.t("label_reps", motion=motion, number=first, last=last, count=reps)
        )
        return self.t("label_side", side=self.t.side(side.value), label=label) if side else label

    def count_word(self, n: int, group: int) -> str:
        """The word for the ``n``-th count: the number, or with ``group`` repetitions to a
        count a light "and one" (every number in turn, none skipped)."""
        return self.t.number(n) if group == 1 else self.t("light_count", number=self.t.number(n))

    def slot(self, sound: Sound, seconds: float, pan: float, label: str) -> None:
        parts = max(1, math.ceil(seconds / MAX_SLOT - 1e-9))
        each = round(seconds / parts, 6)
        self.add(Beat(sound, each, pan, label=label))
        for _ in range(parts - 1):
            self.add(Beat(Sound.PULSE, each, pan, label=label))

    def hold(self, seconds: float, pan: float, label: str) -> None:
        if not self.s.tones:
            self.add(Say(self.t("hold"), pan=pan, over=True))
        self.add(
            Beat(Sound.HOLD, round(seconds, 6), pan, sustain=seconds >= SUSTAIN_FROM, label=label)
        )
        if not self.s.tones:
            self.add(Say(self.t("release"), pan=pan, over=True))
        self.add(Beat(Sound.RELEASE, round(RELEASE_SLOT * self.f, 6), pan, label=label))


#: The session's frame: sounds that mark where it is, not the rhythm. Without tones they
#: are only time, and a long stretch of them is shortened rather than talked over.
FRAME_SOUNDS = frozenset({Sound.START, Sound.BELL, Sound.END})


def _fill_silence(cues: list[Cue], settings: ScriptChoices, t: Phrases) -> tuple[Cue, ...]:
    """``cues`` with a sound wherever they would leave more than MAX_SILENCE seconds
    without one: a soft pulse (a Beat taking over the rest of a slot or a rest, so no
    time moves). Without tones only the voice sounds: inside the rhythm a word keeps the
    time ("Keep going.", "Keep holding."); elsewhere (rests, the silent bells and chimes)
    the wait is shortened instead, so no pacing word is said outside the rhythm, and none
    in or after the closing. Sounds last as ``settings.seconds_of`` says (a sound pack's
    own lengths, else sounds.SECONDS); a sustained tone fills its slot."""
    out: list[Cue] = []
    quiet = 0.0  # seconds since the last sound ended, where the plan now is
    voice = 0.0  # seconds of voice still to come, from lines spoken over the rhythm
    pace = settings.pace

    def estimate(say: Say) -> float:
        return speech_estimate(say.text, pace, None, t.language) * SHORT_SPEECH

    for cue in cues:
        if isinstance(cue, Say):
            out.append(cue)
            if cue.over:
                voice += estimate(cue)
            else:
                quiet, voice = 0.0, 0.0
        elif isinstance(cue, Beat) and not settings.tones and cue.sound in FRAME_SOUNDS:
            keep = round(min(cue.seconds, max(0.1, MAX_SILENCE - quiet - voice)), 6)
            out.append(replace(cue, seconds=keep))
            quiet += keep
            voice = 0.0
        elif isinstance(cue, Beat):
            beat: Beat = cue
            while True:
                if settings.tones:
                    sounding = beat.seconds if beat.sustain else settings.seconds_of(beat.sound)
                else:
                    sounding = voice
                sounding = min(sounding, beat.seconds)
                voice = max(0.0, voice - beat.seconds)
                if sounding > 0:
                    quiet = 0.0
                cut = sounding + MAX_SILENCE - quiet
                if beat.seconds - sounding + quiet <= MAX_SILENCE or cut <= 0:
                    quiet += beat.seconds - sounding
                    out.append(beat)
                    break
                # Split the slot where the silence would grow too long; a pulse (or a
                # word) takes over the rest of it.
                cut = round(cut, 6)
                out.append(replace(beat, seconds=cut))
                beat = Beat(Sound.PULSE, round(beat.seconds - cut, 6), beat.pan, label=beat.label)
                if not settings.tones:
                    held = cue.sound is Sound.HOLD
                    word = Say(t("keep_holding" if held else "keep_going"), pan=beat.pan, over=True)
                    out.append(word)
                    voice = estimate(word)
                quiet = 0.0
        elif isinstance(cue, Rest):
            rest = cue.seconds
            if not settings.tones:  # nothing but the voice sounds: the wait is shortened
                rest = round(min(rest, max(0.0, MAX_SILENCE - quiet)), 6)
            while settings.tones and quiet + rest > MAX_SILENCE:
                # The pulse takes the rest's place from its start (quiet is still under
                # the limit there), so it sounds whole and no time moves.
                pulse = min(rest, MAX_SILENCE)
                out.append(Beat(Sound.PULSE, pulse))
                quiet = max(0.0, pulse - settings.seconds_of(Sound.PULSE))
                rest = round(rest - pulse, 6)
            if rest > 0:
                out.append(Rest(rest))
                quiet += rest
            voice = 0.0  # a rest waits for the voice
        else:
            out.append(cue)
    return tuple(out)


def build(
    routine: Routine, settings: ScriptChoices = ScriptChoices(), wpm: float | None = None
) -> Script:
    """The Script for ``routine`` under ``settings``, for a voice speaking ``wpm`` words
    per minute (None: the default rate for the pace).

    Raises InputError when ``settings.minutes`` cannot be met or the session would last
    longer than MAX_SESSION_SECONDS (speech estimated at ``wpm``).
    """
    if not 0 <= settings.start < len(routine.steps):
        raise InputError(
            f"--from {settings.start + 1}: {routine.title} has {len(routine.steps)} steps"
        )
    if settings.minutes is not None:
        script = _fit(routine, settings)
    else:
        rhythm = rhythm_seconds(routine, settings.pace, start=settings.start)
        if rhythm > MAX_SESSION_SECONDS:  # refuse before building: a small file can ask
            raise _too_long(routine, settings, rhythm)  # for millions of repetitions
        script = _script(routine, settings, 1.0)
    total = script.estimate_seconds(wpm)
    if total > MAX_SESSION_SECONDS:
        raise _too_long(routine, settings, total, wpm)
    return script


def _too_long(
    routine: Routine, settings: ScriptChoices, total: float, wpm: float | None = None
) -> InputError:
    rate = f" and {wpm:g} words per minute" if wpm else ""
    return InputError(
        f"{routine.source or routine.name}: the session would last about "
        f"{about(total)} at the {settings.pace.value} pace{rate}; the limit is "
        "4 hours"
    )


def rhythm_seconds(routine: Routine, pace: Pace, rep_scale: float = 1.0, start: int = 0) -> float:
    """Seconds of rhythm in ``routine`` from step ``start`` on (repetitions, holds and
    releases; a breath's quiet) with repetitions scaled as ``build`` scales them, counted
    without building the cues: a lower bound of the session's estimated length."""
    total = 0.0
    f = pace.factor
    for step in routine.steps[start:]:
        for phase in step.phases:
            sides = len(phase.sides or (None,))
            reps = _scaled_reps(phase, rep_scale)
            if phase.motion is Motion.BREATHE:
                total += reps * sides * BREATH_SECONDS  # a breath keeps its time at any pace
            elif phase.resting:
                total += sides * (
                    _resting_breaths(reps * phase.seconds * f) * BREATH_SECONDS + RELEASE_SLOT * f
                )
            else:
                held = phase.motion is Motion.HOLD or phase.hold
                rep = phase.seconds + phase.hold + (RELEASE_SLOT if held else 0.0)
                total += reps * sides * rep * f
    return total


def _resting_breaths(seconds: float) -> int:
    """How many slow breaths a resting hold of ``seconds`` holds."""
    return max(1, round(seconds / RESTING_BREATH))


def capped(phase: Phase) -> bool:
    """Whether ``phase`` keeps at most its written repetitions under ``--minutes``:
    plucks and holds do not get better for more of them (extra minutes go to the strokes,
    circles, breaths and resting holds)."""
    return phase.motion is Motion.PLUCK or (phase.motion is Motion.HOLD and not phase.resting)


def _scaled_reps(phase: Phase, rep_scale: float) -> int:
    reps = max(1, min(MAX_REPS, round(phase.reps * rep_scale)))
    return min(reps, phase.reps) if capped(phase) else reps


def _script(routine: Routine, settings: ScriptChoices, rep_scale: float) -> Script:
    cues = _Builder(routine, settings, rep_scale).build()
    return Script(routine.name, routine.title, settings, cues, routine.language)


def _fit(routine: Routine, settings: ScriptChoices) -> Script:
    """Scale repetitions so the estimate lands near ``settings.minutes``.

    A scale whose rhythm alone lasts over twice the target is never built: the shortest
    script is nearer the target, and a hostile file could ask for millions of cues there.
    """
    target = settings.minutes * 60  # type: ignore[operator]

    def near(scale: float) -> Script | None:
        if rhythm_seconds(routine, settings.pace, scale, settings.start) > 2 * target:
            return None
        return _script(routine, settings, scale)

    shortest, longest = _script(routine, settings, 0.0), near(float(MAX_REPS))
    low = shortest.estimate_seconds()
    high = longest.estimate_seconds() if longest else math.inf
    if not low <= target <= high:
        # The real bound, to a tenth of a minute that fits: "about 3 min" for a routine
        # that needs 3.3 sent the user guessing.
        if target < low:
            fits = math.ceil(low / 6) / 10
            fits += 0.1 if fits * 60 < low else 0  # 3.3 * 60 is 197.99999999999997
            bound = f"at least {minutes_seconds(low)} (-m {fits:.1f} or more fits)"
        else:
            fits = math.floor(high / 6) / 10
            fits -= 0.1 if fits * 60 > high else 0
            bound = f"at most {minutes_seconds(high)} (-m {fits:.1f} or less fits)"
        hint = _shorter_routine(routine, settings) if target < low else ""
        raise InputError(
            f"--minutes {settings.minutes:g}: {routine.title} cannot fit; "
            f"at the {settings.pace.value} pace it lasts {bound}{hint}"
        )
    # Estimated length grows with the scale in steps; bisect for the closest scale. The
    # rhythm alone (cheap: no cues) already reaches the target at some scale, and the
    # estimate is never below the rhythm, so the search starts under that scale.
    lo, hi = 0.0, float(MAX_REPS)
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (
            (mid, hi)
            if rhythm_seconds(routine, settings.pace, mid, settings.start) < target
            else (lo, mid)
        )
    lo, hi = 0.0, hi
    best = near(1.0) or shortest
    for _ in range(18):
        mid = (lo + hi) / 2
        candidate = near(mid)
        if candidate is None:
            hi = mid
            continue
        if abs(candidate.estimate_seconds() - target) < abs(best.estimate_seconds() - target):
            best = candidate
        if candidate.estimate_seconds() < target:
            lo = mid
        else:
            hi = mid
    return replace(best, settings=settings)


#: The built-in routine made for short sessions, offered when another cannot be that short.
SHORT_ROUTINE = "quick"


def _shorter_routine(routine: Routine, settings: ScriptChoices) -> str:
    """``; try quick (...)`` when the built-in short routine fits ``settings.minutes``
    and ``routine`` is not it, else ""."""
    from coach.catalog import builtin, builtin_names

    if (
        routine.name == SHORT_ROUTINE
        or routine.name not in builtin_names()
        or routine != builtin(routine.name)
    ):
        return ""  # a routine of the user's own may be long for reasons of its own
    short = builtin(SHORT_ROUTINE)
    if _script(short, replace(settings, start=0), 0.0).estimate_seconds() > settings.minutes * 60:  # type: ignore[operator]
        return ""
    return f"; for a short session try {SHORT_ROUTINE} (coach play {SHORT_ROUTINE} -m {settings.minutes:g})"


def _side(pan: float) -> str:
    return "" if not pan else (" (left)" if pan < 0 else " (right)")


def describe(script: Script) -> list[str]:
    """The script as readable lines: one per cue, runs of identical beats folded."""
    s, t = script.settings, Phrases(script.language)
    details = [t("script_pace", pace=s.pace.value), t("script_talk", talk=s.talk.value)]
    details += [t("script_counting")] if s.count else []
    details += [] if s.tones else [t("script_voice_only")]
    details += [t("script_from", number=s.start + 1)] if s.start else []
    details.append(t.about(script.estimate_seconds()))
    lines = [t("script_header", title=script.title, details=t.listed(details))]

    # Identical beats in a row fold into one line; every other cue keeps its own.
    def fold(pair: tuple[int, Cue]) -> object:
        i, cue = pair
        return (cue.sound, cue.seconds, cue.pan, cue.sustain) if isinstance(cue, Beat) else i

    for _, group in itertools.groupby(enumerate(script.cues), key=fold):
        run = [cue for _, cue in group]
        cue = run[0]
        if isinstance(cue, Chapter):
            lines.append(f"== {cue.title}")
        elif isinstance(cue, Say):
            lines.append(f"  {'say over' if cue.over else 'say':9}{cue.text!r}{_side(cue.pan)}")
        elif isinstance(cue, Rest):
            lines.append(f"  {'rest':9}{cue.seconds:g} s")
        else:
            times = f" x{len(run)}" if len(run) > 1 else ""
            extra = " sustained" if cue.sustain else ""
            lines.append(
                f"  {'tone':9}{cue.sound.value} {cue.seconds:g} s{extra}{times}"
                f"{_side(cue.pan)}{'  ' + cue.label if cue.label else ''}"
            )
    return lines

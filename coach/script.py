"""The script engine: Routine + Settings -> an ordered Script of cues.

Pure: no audio and no clock. A cue says *what* happens in which order and, for tones and
rests, for how many seconds; how long speech lasts is the sequencer's business (it knows
the real clips). Speech lengths are only *estimated* here, to fit ``--minutes`` and to cap
a session's length before any audio is made.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from enum import Enum

from coach.clock import about, minutes_seconds
from coach.errors import InputError
from coach.pieces import pieces
from coach.routine import MAX_REPS, Motion, Phase, Routine, Side
from coach.sounds import SECONDS, Sound
from coach.spoken import is_speakable, spoken_length

MAX_SESSION_SECONDS = 4 * 3600
#: How long a line is assumed to take, before any voice has spoken it: LINE_SECONDS plus
#: one CHAR_SECONDS per spoken character, at the normal pace and ESTIMATE_WPM. Characters
#: predict a line's length better than words (14 % against 26 % error, fitted on every
#: line of anma with counting and encouragement: 0.37 s + 0.0666 s per character at 153
#: words per minute, scaled here to 130, the default voice's rate). A voice at another
#: rate scales it (Session): every engine's rate is measured in the same words per minute.
ESTIMATE_WPM = 130
LINE_SECONDS = 0.37 * 153 / ESTIMATE_WPM
CHAR_SECONDS = 0.0666 * 153 / ESTIMATE_WPM
#: A tone slot longer than this gets soft pulses, so no stretch of a session is silent
#: for long enough to make someone with closed eyes wonder whether it stopped.
MAX_SLOT = 4.0
#: Counting aloud needs room for the word inside one repetition.
MIN_COUNTED_SLOT = 1.2
#: A hold at least this long gets a sustained soft tone under it.
SUSTAIN_FROM = 2.5
#: The release marker's own slot, seconds at the normal pace.
RELEASE_SLOT = 0.6
#: The longest stretch a plan leaves without a sound, seconds (the promise is 5 s; a line's
#: real length may differ from its estimate). Longer silences get a soft pulse, or
#: without tones a spoken word.
MAX_SILENCE = 4.5
#: Without tones, a spoken line is assumed to last at least this share of its estimate
#: when working out how long the silence after it is.
SHORT_SPEECH = 0.7
#: The pause a newline inside a routine's text makes, seconds at the normal pace.
LINE_BREAK = 0.5
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


MOTION_SOUND = {Motion.CIRCLE: Sound.CIRCLE, Motion.STROKE: Sound.STROKE,
                Motion.PRESS: Sound.PRESS, Motion.PLUCK: Sound.PLUCK, Motion.HOLD: Sound.HOLD}


@dataclass(frozen=True)
class Settings:
    """Choices that shape the script. ``minutes``: fit the session to about this long by
    scaling repetitions (None: as written). ``start``: the index of the first step played
    (0: from the beginning; later, the introduction is one line). ``tones``: False for a
    voice-only session, where the voice paces the rhythm: it counts and says when to hold
    and release."""

    pace: Pace = Pace.NORMAL
    talk: Talk = Talk.NORMAL
    count: bool = False
    minutes: float | None = None
    start: int = 0
    tones: bool = True


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
    settings: Settings
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
        return estimate_seconds(self.cues, self.settings.pace, wpm)


def texts(cues: tuple[Cue, ...]) -> list[str]:
    """The distinct lines ``cues`` speak, in the order first spoken."""
    return list(dict.fromkeys(c.text for c in cues if isinstance(c, Say)))


def estimate_seconds(cues: tuple[Cue, ...], pace: Pace, wpm: float | None = None) -> float:
    """Approximate seconds ``cues`` last, speech at ``wpm`` (see speech_estimate)."""
    return sum(_estimate(c, pace, wpm) for c in cues)


def speech_estimate(text: str, pace: Pace, wpm: float | None = None) -> float:
    """Rough seconds to speak ``text`` at ``wpm`` words per minute (None: the default rate
    for ``pace``), from its length read aloud: numbers count as the words they are read
    as, emoji and symbols, which are not spoken, as nothing (``spoken.spoken_length``)."""
    seconds = LINE_SECONDS + spoken_length(text) * CHAR_SECONDS
    return seconds * ESTIMATE_WPM / wpm if wpm else seconds / pace.speech


def _estimate(cue: Cue, pace: Pace, wpm: float | None = None) -> float:
    if isinstance(cue, Say):
        return 0.0 if cue.over else speech_estimate(cue.text, pace, wpm)
    if isinstance(cue, Beat | Rest):
        return cue.seconds
    return 0.0


_NUMBERS = ("one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty").split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy",
         8: "eighty", 9: "ninety"}
_ENCOURAGE = ("Good.", "Well done. Keep your breathing slow.", "Nice and easy.",
              "Good. Let your shoulders stay soft.")


def number_word(n: int) -> str:
    """English words for 1..200, as counted aloud."""
    if n <= 20:
        return _NUMBERS[n - 1]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_NUMBERS[ones - 1]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{_NUMBERS[hundreds - 1]} hundred"
    return head + (f" and {number_word(rest)}" if rest else "")


def _side_line(index: int, side: Side) -> str:
    return f"{side.value.capitalize()} side." if index == 0 else f"Now the {side.value} side."


def _pan(side: Side | None) -> float:
    return {None: 0.0, Side.LEFT: -SIDE_PAN, Side.RIGHT: SIDE_PAN}[side]


class _Builder:
    def __init__(self, routine: Routine, settings: Settings, rep_scale: float) -> None:
        self.r, self.s, self.scale = routine, settings, rep_scale
        self.f = settings.pace.factor
        self.cues: list[Cue] = []
        self.encouraged = 0

    def add(self, *cues: Cue) -> None:
        # A line with nothing to speak (only emoji) is no cue: it would be a silent "line".
        self.cues.extend(c for c in cues if not isinstance(c, Say) or is_speakable(c.text))

    def say(self, text: str) -> None:
        """The routine's own ``text``: each of its lines spoken, a short pause between; a
        line longer than PIECE_CHARS read aloud as several, each cut with its pause
        (coach.pieces), so no line costs more to speak than a short one."""
        lines = [line for line in text.split("\n") if is_speakable(line)]
        for i, line in enumerate(lines):
            if i:
                self.rest(LINE_BREAK)
            for piece in pieces(line):
                self.add(Say(piece.text))
                if piece.pause:
                    self.add(Rest(piece.pause))

    def rest(self, seconds: float) -> None:
        self.add(Rest(round(seconds * self.f, 6)))

    def build(self) -> tuple[Cue, ...]:
        r, talk, start = self.r, self.s.talk, self.s.start
        self.add(Chapter("Introduction"), Beat(Sound.START, round(2.5 * self.f, 6), label="Starting"))
        if start:  # picking up part-way: the person has heard the full introduction before
            self.add(Say(f"{r.title}, from step {number_word(start + 1)}: {r.steps[start].title}."))
        else:
            self.say(r.intro or f"{r.title}. Sit comfortably and close your eyes.")
            if talk is not Talk.LESS:
                self.rest(0.8)
                self.add(Say(f"The first step: {r.steps[0].title}."))
        self.rest(1.5)
        for k, step in enumerate(r.steps):
            if k < start:
                continue
            # The label says where in the routine the bell is: the chapter's title is
            # shown beside it already ("Smile lines · Smile lines" said nothing).
            self.add(Chapter(step.title), Beat(Sound.BELL, round(2.0 * self.f, 6),
                                               label=f"step {k + 1} of {len(r.steps)}"))
            self.add(Say(f"Step {number_word(k + 1)} of {number_word(len(r.steps))}: {step.title}."))
            if step.say:
                self.rest(0.4)
                self.say(step.say)
            for phase in step.phases:
                self.phase(phase)
            if talk is not Talk.LESS and k + 1 < len(r.steps):
                self.add(Say(f"Next: {r.steps[k + 1].title}."))
            self.rest(1.5)
        self.add(Chapter("Closing"), Beat(Sound.BELL, round(2.0 * self.f, 6), label="last bell"))
        self.say(r.outro or "That is the end of the routine. Open your eyes when you are ready.")
        self.rest(1.0)
        self.add(Beat(Sound.END, round(3.0 * self.f, 6), label="Finished"))
        return _fill_silence(self.cues, self.s)

    def phase(self, phase: Phase) -> None:
        if phase.say:
            self.rest(0.4)
            self.say(phase.say)
        reps = _scaled_reps(phase.reps, self.scale)
        self.rest(0.8)
        sides: tuple[Side | None, ...] = phase.sides or (None,)
        for j, side in enumerate(sides):
            if side is not None:
                if j:
                    self.rest(1.0)
                self.add(Say(_side_line(j, side), pan=_pan(side)))
                self.rest(0.5)
            self.reps(phase, reps, side)
        self.rest(1.0)
        if self.s.talk is Talk.MORE:
            self.add(Say(_ENCOURAGE[self.encouraged % len(_ENCOURAGE)]))
            self.encouraged += 1
            self.rest(0.5)

    def reps(self, phase: Phase, reps: int, side: Side | None) -> None:
        f, pan, talk = self.f, _pan(side), self.s.talk
        period = phase.seconds * f
        where = f"{side.value} side, " if side else ""
        # Without tones the voice keeps the time: it counts, every repetition when the
        # word fits in one, else every few.
        every = 1 if self.s.tones else math.ceil(MIN_COUNTED_SLOT / period - 1e-9)
        for i in range(reps):
            label = f"{where}{phase.motion.value} {i + 1} of {reps}"
            line = ""
            if self.s.count and period >= MIN_COUNTED_SLOT:
                line = number_word(i + 1)
            elif not self.s.tones:
                line = number_word(i + 1) if i % every == 0 else ""
            elif talk is not Talk.LESS:
                if reps >= 8 and i == reps - 3:
                    line = "Last three."
                elif reps >= 4 and i == reps - 1:
                    line = "Last one."
                elif reps >= 6 and i == reps // 2:
                    line = "Halfway." if talk is Talk.NORMAL else "Halfway. Keep breathing slowly."
            if line:
                self.add(Say(line, pan=pan, over=True))
            if phase.motion is Motion.HOLD:
                self.hold(period, pan, label)
            else:
                self.slot(MOTION_SOUND[phase.motion], period, pan, label)
                if phase.hold:
                    self.hold(phase.hold * f, pan, label + ", hold")

    def slot(self, sound: Sound, seconds: float, pan: float, label: str) -> None:
        parts = max(1, math.ceil(seconds / MAX_SLOT - 1e-9))
        each = round(seconds / parts, 6)
        self.add(Beat(sound, each, pan, label=label))
        for _ in range(parts - 1):
            self.add(Beat(Sound.PULSE, each, pan, label=label))

    def hold(self, seconds: float, pan: float, label: str) -> None:
        if not self.s.tones:
            self.add(Say("Hold.", pan=pan, over=True))
        self.add(Beat(Sound.HOLD, round(seconds, 6), pan, sustain=seconds >= SUSTAIN_FROM, label=label))
        if not self.s.tones:
            self.add(Say("Release.", pan=pan, over=True))
        self.add(Beat(Sound.RELEASE, round(RELEASE_SLOT * self.f, 6), pan, label=label))


def _fill_silence(cues: list[Cue], settings: Settings) -> tuple[Cue, ...]:
    """``cues`` with a sound wherever they would leave more than MAX_SILENCE seconds
    without one: a soft pulse (a Beat taking over the rest of a slot or a rest, so no
    time moves), or without tones a spoken word. Sounds last as listed (sounds.SECONDS);
    a sustained tone fills its slot; without tones, only the voice sounds."""
    out: list[Cue] = []
    quiet = 0.0  # seconds since the last sound ended, where the plan now is
    voice = 0.0  # seconds of voice still to come, from lines spoken over the rhythm
    pace = settings.pace

    def estimate(say: Say) -> float:
        return speech_estimate(say.text, pace) * SHORT_SPEECH

    for cue in cues:
        if isinstance(cue, Say):
            out.append(cue)
            if cue.over:
                voice += estimate(cue)
            else:
                quiet, voice = 0.0, 0.0
        elif isinstance(cue, Beat):
            beat: Beat = cue
            while True:
                if settings.tones:
                    sounding = beat.seconds if beat.sustain else SECONDS[beat.sound]
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
                    word = Say("Keep holding." if held else "Keep going.", pan=beat.pan, over=True)
                    out.append(word)
                    voice = estimate(word)
                quiet = 0.0
        elif isinstance(cue, Rest):
            rest = cue.seconds
            while quiet + rest > MAX_SILENCE:
                if settings.tones:
                    # The pulse takes the rest's place from its start (quiet is still
                    # under the limit there), so it sounds whole and no time moves.
                    pulse = min(rest, MAX_SILENCE)
                    out.append(Beat(Sound.PULSE, pulse))
                    quiet = max(0.0, pulse - SECONDS[Sound.PULSE])
                    rest = round(rest - pulse, 6)
                else:
                    before = round(max(0.0, MAX_SILENCE - quiet), 6)
                    if before:
                        out.append(Rest(before))
                    rest = round(rest - before, 6)
                    out.append(Say("Relax."))
                    quiet = 0.0
            if rest > 0:
                out.append(Rest(rest))
                quiet += rest
            voice = 0.0  # a rest waits for the voice
        else:
            out.append(cue)
    return tuple(out)


def build(routine: Routine, settings: Settings = Settings(), wpm: float | None = None) -> Script:
    """The Script for ``routine`` under ``settings``, for a voice speaking ``wpm`` words
    per minute (None: the default rate for the pace).

    Raises InputError when ``settings.minutes`` cannot be met or the session would last
    longer than MAX_SESSION_SECONDS (speech estimated at ``wpm``).
    """
    if not 0 <= settings.start < len(routine.steps):
        raise InputError(f"--from {settings.start + 1}: {routine.title} has "
                         f"{len(routine.steps)} steps")
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


def _too_long(routine: Routine, settings: Settings, total: float,
              wpm: float | None = None) -> InputError:
    rate = f" and {wpm:g} words per minute" if wpm else ""
    return InputError(f"{routine.source or routine.name}: the session would last about "
                      f"{about(total)} at the {settings.pace.value} pace{rate}; the limit is "
                      "4 hours")


def rhythm_seconds(routine: Routine, pace: Pace, rep_scale: float = 1.0, start: int = 0) -> float:
    """Seconds of rhythm in ``routine`` from step ``start`` on (repetitions, holds and
    releases) with repetitions scaled as ``build`` scales them, counted without building
    the cues: a lower bound of the session's estimated length."""
    total = 0.0
    for step in routine.steps[start:]:
        for phase in step.phases:
            held = phase.motion is Motion.HOLD or phase.hold
            rep = phase.seconds + phase.hold + (RELEASE_SLOT if held else 0.0)
            total += _scaled_reps(phase.reps, rep_scale) * len(phase.sides or (None,)) * rep
    return total * pace.factor


def _scaled_reps(reps: int, rep_scale: float) -> int:
    return max(1, min(MAX_REPS, round(reps * rep_scale)))


def _script(routine: Routine, settings: Settings, rep_scale: float) -> Script:
    cues = _Builder(routine, settings, rep_scale).build()
    return Script(routine.name, routine.title, settings, cues, routine.language)


def _fit(routine: Routine, settings: Settings) -> Script:
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
        raise InputError(f"--minutes {settings.minutes:g}: {routine.title} cannot fit; "
                         f"at the {settings.pace.value} pace it lasts {bound}")
    # Estimated length grows with the scale in steps; bisect for the closest scale.
    lo, hi = 0.0, float(MAX_REPS)
    best = near(1.0) or shortest
    for _ in range(40):
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


def _side(pan: float) -> str:
    return "" if not pan else (" (left)" if pan < 0 else " (right)")


def describe(script: Script) -> list[str]:
    """The script as readable lines: one per cue, runs of identical beats folded."""
    s = script.settings
    lines = [f"{script.title} — pace {s.pace.value}, talk {s.talk.value}"
             f"{', counting' if s.count else ''}{'' if s.tones else ', voice only'}"
             f"{f', from step {s.start + 1}' if s.start else ''}, about {about(script.estimate_seconds())}"]
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
            lines.append(f"  {'tone':9}{cue.sound.value} {cue.seconds:g} s{extra}{times}"
                         f"{_side(cue.pan)}{'  ' + cue.label if cue.label else ''}")
    return lines

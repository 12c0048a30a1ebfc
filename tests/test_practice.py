"""What a played session reports (coach.practice): the player in-process on a stand-in
device and clock (as tests/test_player.py drives it), reporting through the Tracker to an
observer that writes down every call, and to a real history Recording."""

from __future__ import annotations

import pytest
from test_player import _Clock, _Device, _keys, mini_session  # noqa: F401 (a fixture)

from coach import player
from coach.clock import RATE
from coach.history.recording import Recording
from coach.history.store import Outcome, open_store
from coach.practice import Tracker, options_record


class Notes:
    """An Observer that writes down every call."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def start(self) -> None:
        self.calls.append(("start",))

    def step_started(self, step: int | None, seconds: float) -> None:
        self.calls.append(("step", step, seconds))

    def end(self, finished: bool, seconds: float) -> None:
        self.calls.append(("end", finished, seconds))


def _play(session, pressed, *observers):
    clock = _Clock()
    device = _Device(clock)
    outcome = player.play(
        session,
        poll_key=_keys(clock, pressed),
        device=device,
        clock=clock,
        listener=Tracker(session.script, observers),
    )
    return outcome, device


def test_every_step_and_the_seconds_heard(mini_session):  # noqa: F811 (the fixture imported)
    session, whole, starts = mini_session
    notes = Notes()
    outcome, device = _play(session, [], notes)
    assert outcome is player.Outcome.FINISHED
    steps = [c[1] for c in notes.calls if c[0] == "step"]
    assert notes.calls[0] == ("start",) and steps == [0, 0, 1, None]
    # Each step starts when what came before it has been heard, to the sample (the
    # first chapter goes on from the end of the opening chime).
    lead = len(session.lead_in()) / RATE
    assert [c[2] for c in notes.calls if c[0] == "step"] == [lead] + [
        s / RATE for s in starts[1:-1]
    ]
    assert notes.calls[-1] == ("end", True, len(whole) / RATE)


def test_pauses_and_skips_are_not_played_time(mini_session):  # noqa: F811 (the fixture imported)
    session, whole, starts = mini_session
    at = starts[1] / RATE + 1.0  # a second into the first step
    notes = Notes()
    # A pause of 30 seconds, then n to the next step, then q a second later.
    outcome, device = _play(
        session, [(at, " "), (at + 30, " "), (at + 31, "n"), (at + 32, "q")], notes
    )
    assert outcome is player.Outcome.QUIT
    heard = len(device.heard())
    end = notes.calls[-1]
    assert end[:2] == ("end", False)
    assert abs(end[2] * RATE - heard) <= 2 * RATE * player.TICK  # a tick either side
    assert end[2] < at + 3  # 32 seconds went by; the pause was not counted


def test_a_recording_of_a_session_stopped_in_its_second_step(mini_session, own_folders):  # noqa: F811 (the fixture imported)
    session, whole, starts = mini_session
    path = own_folders["data"] / "history.sqlite3"
    r = session.routine
    recording = Recording(r.name, r.title, len(r.steps), options_record(session.options), path=path)
    second = starts[2] / RATE + 0.5
    _play(session, [(second, "q")], recording)
    with open_store(path) as store:
        [e] = store.entries()
    assert (e.outcome, e.steps_done, e.steps_total, e.closing) == (Outcome.STOPPED, 1, 2, False)
    assert e.seconds == pytest.approx(second, abs=2 * player.TICK)
    assert e.options["voice"] == "espeak:en-us" and e.options["pace"] == "normal"

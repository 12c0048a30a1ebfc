"""JSON and CSV exports and imports of the history: round trips, read back by the
standard library's own json and csv readers, and one-line messages for bad files."""

from __future__ import annotations

import csv
import io
import json

import pytest
from test_history_store import entry

from coach.errors import InputError
from coach.history import exchange
from coach.history.store import Outcome


def _sample():
    return [
        entry(2, "neck", options={"pace": "slow", "bed": "rain"}),
        entry(
            1,
            outcome=Outcome.STOPPED,
            closing=False,
            steps_done=2,
            ended=None,
            title='A "quoted", title',
        ),
        entry(0, outcome=Outcome.PLAYING, closing=False, steps_done=1),
    ]


@pytest.mark.parametrize("write", [exchange.to_json, exchange.to_csv])
def test_round_trip(write):
    entries = list(_sample())
    back = exchange.parse(write(entries), "export")
    assert back == sorted(entries, key=lambda e: e.started)  # oldest first, every field


def test_json_and_csv_read_by_plain_readers():
    data = json.loads(exchange.to_json(_sample()))
    assert data[0]["routine"] == "neck" and data[0]["options"] == {"bed": "rain", "pace": "slow"}
    assert data[1]["ended"] is None and data[1]["outcome"] == "stopped"
    rows = list(csv.DictReader(io.StringIO(exchange.to_csv(_sample()))))
    assert rows[1]["title"] == 'A "quoted", title' and rows[1]["ended"] == ""
    assert json.loads(rows[0]["options"]) == {"bed": "rain", "pace": "slow"}


def test_a_hand_written_csv_without_uid_gets_a_stable_one():
    text = (
        "routine,title,started,seconds,steps_done,steps_total,closing,outcome\n"
        "anma,Anma,2026-11-01T21:30:00+01:00,400,5,5,true,finished\n"
    )
    first, again = exchange.parse(text, "mine.csv"), exchange.parse(text, "mine.csv")
    assert first[0].uid and first[0].uid == again[0].uid


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"sessions": []}', "export.json: must be a list of sessions"),
        ("[1, 2", "export.json: line 1, column 6: not valid JSON"),
        ('[{"routine": "anma"}]', "export.json: [0].title: is missing"),
        (
            '[{"routine": "a", "title": "A", "started": "2026-11-01 21:30", "steps_total": 5, '
            '"outcome": "finished"}]',
            "export.json: [0].started: must be a date and time with its UTC offset",
        ),
        (
            '[{"routine": "a", "title": "A", "started": "2026-11-01T21:30+01:00", "steps_total": 5, '
            '"outcome": "done"}]',
            "export.json: [0].outcome: must be one of playing, finished, stopped",
        ),
        (
            '[{"routine": "a", "title": "A", "started": "2026-11-01T21:30+01:00", "steps_total": 5, '
            '"steps_done": 6, "outcome": "finished"}]',
            "[0].steps_done: is more than steps_total",
        ),
        ("name,age\nx,1\n", "export.json: line 1: not a coach history export: no column routine"),
        (
            "routine,title,started,seconds,steps_done,steps_total,closing,outcome\n"
            "a,A,2026-11-01T21:30:00+01:00,many,5,5,true,finished\n",
            "export.json: line 2: seconds: must be a number, not 'many'",
        ),
    ],
)
def test_bad_exports_are_one_line_naming_the_place(text, words):
    with pytest.raises(InputError) as caught:
        exchange.parse(text, "export.json")
    assert words in str(caught.value) and "\n" not in str(caught.value)

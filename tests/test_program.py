"""Program files: the built-in programs, your own, and bad files told in one line."""

from __future__ import annotations

import pytest

from coach import program
from coach.errors import InputError

GOOD = """\
title = "Mine"

[sessions.a]
routine = "quick"
minutes = 2
pace = "slow"

[[weeks]]
days = ["a", "rest", "a", "rest", "a", "rest", "rest"]
"""


def test_the_four_week_plan_is_as_described():
    p = program.resolve("four-weeks")
    assert p.weeks == 4 and len(p.days) == 28
    week = [p.days[w * 7 : (w + 1) * 7] for w in range(4)]
    assert all(w[6] is None for w in week)  # a rest day a week
    assert {(s.routine, s.options.get("minutes")) for s in week[0][:6]} == {("anma", 6.0)}
    assert all(
        (s.routine, s.options.get("minutes")) == ("anma", None) for w in week[1:3] for s in w[:6]
    )
    assert [s.routine for s in week[3][:6]] == ["anma", "evening"] * 3


def test_at_least_two_built_ins_all_valid():
    entries = program.catalog()
    assert len([e for e in entries if not e.user]) >= 2
    assert all(e.program is not None for e in entries), [e.error for e in entries]


def test_your_program_is_found_by_name_and_may_replace_a_built_in(own_folders):
    folder = own_folders["config"] / "programs"
    folder.mkdir(parents=True)
    (folder / "four-weeks.toml").write_text(GOOD)
    p = program.resolve("four-weeks")
    assert p.title == "Mine" and p.days[0].options == {"minutes": 2.0, "pace": "slow"}
    assert [e.user for e in program.catalog() if e.name == "four-weeks"] == [True]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            GOOD.replace('routine = "quick"', 'routine = "quik"'),
            "mine.toml: line 4: sessions.a.routine: no routine named 'quik' (did you mean 'quick'?)",
        ),
        (
            GOOD.replace('"a", "rest", "a"', '"a", "rset", "a"'),
            "mine.toml: line 9: weeks[0].days: day 2: 'rset' is no session of this program (did you mean 'rest'?)",
        ),
        (
            GOOD.replace('pace = "slow"', 'pace = "slwo"'),
            "mine.toml: line 6: sessions.a.pace: must be one of slow, normal, fast (did you mean 'slow'?)",
        ),
        (
            GOOD.replace("minutes = 2", "minutes = 0"),
            "mine.toml: line 5: sessions.a.minutes: must be a number of minutes",
        ),
        (GOOD.replace(', "rest"]', "]"), "mine.toml: line 9: weeks[0].days: must list 7 days"),
        (
            GOOD.replace('title = "Mine"', 'titel = "Mine"'),
            "mine.toml: 2 problems: titel: unknown key (did you mean 'title'?)",
        ),
        (
            GOOD.replace("minutes = 2", "mintues = 2"),
            "mine.toml: line 5: sessions.a.mintues: unknown key (did you mean 'minutes'?)",
        ),
        ("title = \n", "mine.toml: line 1, column 9: not valid TOML"),
    ],
)
def test_a_bad_program_is_one_line_naming_file_and_place(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        program.load(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}"), str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_program_has_a_did_you_mean():
    with pytest.raises(
        InputError, match="no program named 'four-week' \\(did you mean 'four-weeks'\\?\\)"
    ):
        program.resolve("four-week")


def test_every_built_in_session_can_be_made_as_it_says(capsys):
    # four-weeks asked for anma in 4 minutes after anma grew a count-in and a wind-down
    # (it needs 5:55): `coach today` refused day one.
    from coach import cli

    for name in program.builtin_names():
        sessions = {s.name: s for s in program.resolve(name).days if s is not None}
        for s in sessions.values():
            minutes = s.options.get("minutes")
            args = ["script", s.routine] + ([] if minutes is None else ["-m", str(minutes)])
            status = cli.run(args)
            assert status == 0, (name, s.name, capsys.readouterr().err)

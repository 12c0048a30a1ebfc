"""coach.pieces: a long line in bounded pieces, cut where a reader pauses; and for real,
the longest line a routine may hold spoken within the memory of a short session."""

from __future__ import annotations

import pytest

from coach.pieces import (
    CLAUSE_PAUSE,
    PIECE_CHARS,
    SENTENCE_CHARS,
    SENTENCE_PAUSE,
    WORD_PAUSE,
    pieces,
)
from coach.routine import MAX_TEXT_CHARS
from coach.spoken import spoken_length
from conftest import coach_peak_rss, one_line, run_coach

WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi "
    "rho sigma tau upsilon phi chi psi omega "
)


def longest_line() -> str:
    """The longest line of plain words a routine may hold, with no punctuation at all."""
    return (WORDS * 30)[:MAX_TEXT_CHARS].rsplit(" ", 1)[0]


def test_a_short_line_is_one_piece():
    assert [(p.text, p.pause) for p in pieces("Breathe in.  Breathe out.")] == [
        ("Breathe in. Breathe out.", 0.0)
    ]


@pytest.mark.parametrize(
    "text",
    [
        longest_line(),
        "This is a sentence, with a clause; and more. " * 40,
        "x" * 2000,
        "9" * 2000,
        "Count 123456789123 456789123456 789123456789 " * 30,
    ],
)
def test_every_piece_is_bounded_and_nothing_is_lost(text):
    got = pieces(text)
    assert len(got) > 1
    assert all(spoken_length(p.text) <= PIECE_CHARS for p in got)
    assert "".join(p.text for p in got).replace(" ", "") == text.replace(" ", "")
    assert got[-1].pause == 0.0 and all(p.pause > 0 for p in got[:-1])


def test_cuts_come_where_a_reader_pauses():
    sentence = "Let the hands rest, " * 4 + "and breathe."  # 92 characters
    got = pieces(" ".join([sentence] * 6))
    # Whole sentences, packed up to PIECE_CHARS, each piece ending a sentence.
    assert all(p.text.endswith("breathe.") for p in got)
    assert [p.pause for p in got] == [SENTENCE_PAUSE] * (len(got) - 1) + [0.0]
    long = ", ".join(["one two three four five six seven eight nine"] * 8) + "."
    got = pieces(long)  # one sentence of 383 characters: at its commas
    assert all(spoken_length(p.text) <= SENTENCE_CHARS for p in got)
    assert {p.pause for p in got[:-1]} == {CLAUSE_PAUSE}
    got = pieces(longest_line())  # no punctuation: between words
    assert {p.pause for p in got[:-1]} == {WORD_PAUSE}
    assert all(p.text.split() == p.text.split(" ") for p in got)


def test_japanese_is_cut_at_its_own_stops_and_commas():
    sentence = "ゆっくりと息を吸って、" * 6 + "肩の力を抜きましょう。"  # 71 characters
    got = pieces(sentence * 6)
    assert all(p.text.endswith("。") for p in got) and len(got) > 1
    got = pieces("ゆっくりと息を吸って、" * 20)  # one sentence: at its commas
    assert all(p.text.endswith("、") for p in got[:-1]) and len(got) > 1


def test_lower_case_after_a_stop_goes_on_as_the_neural_voice_reads_it():
    text = "Press gently, e.g. with two fingers, then let go. " * 4
    assert all("e.g. with" in p.text for p in pieces(text))


def peak_kb(tmp_path, routine) -> int:
    env = {"XDG_CACHE_HOME": str(tmp_path / f"cache-{routine.stem}")}
    status, kb, stderr = coach_peak_rss("script", "--json", routine, env=env)
    assert status == 0, stderr
    return kb


@pytest.mark.slow  # speaks the longest line a routine may hold
def test_the_longest_line_costs_what_a_short_session_costs(tmp_path, mini_path):
    # What the tester did: 2,000 characters of plain words with no punctuation took 1.2 GB
    # and 67 s (the neural voice was handed the whole line): five times a short session.
    # Spoken in pieces, it takes about what a session with lines of ordinary length does
    # (scripts/bench: 1.2 times a 7-minute routine); against MINI, whose lines are a few
    # words each, 1.7 times leaves room for the pieces' longer sentences.
    routine = tmp_path / "long.toml"
    routine.write_text(
        f'title = "Long"\n\n[[steps]]\ntitle = "One"\nsay = "{longest_line()}"\n'
        'motion = "press"\nreps = 1\nseconds = 1.0\n',
        encoding="utf-8",
    )
    long, short = peak_kb(tmp_path, routine), peak_kb(tmp_path, mini_path)
    assert long < 1.7 * short, (long, short)


def test_a_line_of_numbers_is_as_long_as_its_words(tmp_path):
    # What the tester did: 125 times "987654321987654 " (2,000 characters) passed as
    # "about 3:07" and took 21.6 GB. Read aloud it is 19,624 characters: refused at once.
    routine = tmp_path / "numbers.toml"
    routine.write_text(
        'title = "N"\n\n[[steps]]\ntitle = "One"\nsay = "'
        + ("987654321987654 " * 125).strip()
        + '"\nmotion = "press"\nreps = 1\nseconds = 1.0\n',
        encoding="utf-8",
    )
    for command in ("validate", "script"):
        r = run_coach(command, routine)
        assert r.returncode == 2, r.stderr
        one_line(
            r.stderr,
            f"{routine}: line 5: steps[0].say: is 19624 characters long read "
            "aloud (numbers as words); the limit is 2000",
        )

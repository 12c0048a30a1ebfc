"""spoken.speakable: emoji and symbols are not read out; everything a voice reads well is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coach.spoken import is_speakable, speakable, spoken_length


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Smile 😊", "Smile"),
        ("Smile 😊.", "Smile."),
        ("Relax ✨ your jaw 👍🏽, then rest", "Relax your jaw, then rest"),
        ("👨‍👩‍👧 together", "together"),  # a zero-width-joined family
        ("Flags 🇯🇵!", "Flags!"),  # regional indicators
        ("Press ❤️ lightly", "Press lightly"),  # a variation selector after the heart
        ("Go → up ↑", "Go up"),  # arrows are pictures too
        ("Café, naïve, São Paulo", "Café, naïve, São Paulo"),
        ("Count 1, 2, 3: 50% and $5 + tax = more", "Count 1, 2, 3: 50% and $5 + tax = more"),
        ("按摩 (anma), «press»", "按摩 (anma), «press»"),
    ],
)
def test_speakable(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize("text", ["😊", "🙂 👍🏽", "✨\n💆", "", "   "])
def test_nothing_to_speak(text):
    assert speakable(text) == "" and not is_speakable(text)


@given(st.text())
def test_speakable_is_idempotent_and_never_adds(text):
    once = speakable(text)
    assert speakable(once) == once
    assert "\n" not in once and once == once.strip()
    # Only removes (and folds whitespace): every kept character was in the text.
    assert set(once) - {" "} <= set(text)


def test_an_emoji_is_not_spoken_by_the_real_voice(mini_path):
    # The clip for "Smile 😊" is the clip for "Smile": the voice never reads the emoji's
    # name ("smiling face with smiling eyes"), so the line is no longer than the word.
    from coach.routinefile import load
    from coach.session import Options, Session

    session = Session(load(mini_path), Options())
    frames = session.clips.lengths(["Smile 😊", "Smile", "Smile smiling face with smiling eyes"])
    assert frames["Smile 😊"] == frames["Smile"]
    assert frames["Smile smiling face with smiling eyes"] > 1.5 * frames["Smile"]
    assert np.array_equal(session.clips["Smile 😊"], session.clips["Smile"])


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("Breathe in.", 11),
        ("Hold for 30 seconds.", len("Hold for thirty seconds.")),
        (
            "987654321",
            len(
                "nine hundred eighty-seven million six hundred fifty-four thousand "
                "three hundred twenty-one"
            ),
        ),
        ("1000000", len("one million")),
        ("Smile 😊", 5),
        ("1" * 40, 6 * 40),  # past the named scales: digit by digit
    ],
)
def test_spoken_length_counts_numbers_as_their_words(text, length):
    assert spoken_length(text) == length

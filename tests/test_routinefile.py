"""Loading and validating routine files: coach.routinefile (and coach.tomlfile, which reads them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coach.catalog import builtin, builtin_names
from coach.errors import InputError
from coach.routine import Motion, Phase, Side, Step
from coach.routinefile import load, loads
from coach.tomlfile import MAX_FILE_BYTES, MAX_KEY_PARTS
from conftest import GOOD, MINI, PHASES, one_line, run_coach


def error(text: str, source: str = "x.toml") -> str:
    """The message of the InputError that loading ``text`` raises."""
    with pytest.raises(InputError) as info:
        loads(text, source=source)
    return str(info.value)


# ---- what loads -------------------------------------------------------------------------


def test_builtin_anma_loads():
    r = builtin("anma")
    assert r.name == "anma"
    assert r.source == "anma.toml"
    assert r.title == "Anma facial massage"
    assert len(r.steps) == 6
    assert [len(s.phases) for s in r.steps] == [1, 1, 1, 3, 2, 2]
    jaw = r.steps[1].phases[0]
    assert r.steps[1].title == "Jaw to cheekbone"
    assert jaw.motion is Motion.STROKE
    assert jaw.sides == (Side.LEFT, Side.RIGHT)
    assert jaw.hold == 1.5
    assert (jaw.reps, jaw.seconds) == (5, 2.5)
    assert jaw.coaching and all(c.endswith(".") for c in jaw.coaching)
    brows = r.steps[3]
    assert [p.motion for p in brows.phases] == [Motion.HOLD, Motion.CIRCLE, Motion.CIRCLE]
    assert all(p.say for p in brows.phases)
    palms = r.steps[5].phases[1]
    assert (palms.motion, palms.resting) == (Motion.HOLD, True)


def test_builtin_text_keeps_its_lines_with_single_spaces():
    r = builtin("anma")
    texts = (
        [r.intro, r.outro, r.summary]
        + [s.say for s in r.steps]
        + [p.say for s in r.steps for p in s.phases]
    )
    for text in texts:
        for line in text.split("\n") if text else ():
            assert line and "  " not in line and line == line.strip()
    assert "\n" not in r.summary
    # The intro: one idea per line, preparation first.
    assert r.intro.split("\n")[0] == "Welcome. Before you close your eyes, a little preparation."
    assert len(r.intro.split("\n")) == 14


def test_a_newline_in_spoken_text_is_kept_other_control_characters_refused():
    r = loads(GOOD + 'say = "One.\\r\\n\\n  Two\\tthree.\\n"\n')
    assert r.steps[0].say == "One.\nTwo three."
    titled = loads(GOOD.replace('title = "T"', 'title = "T\\nU"', 1))
    assert titled.title == "T U"  # titles and summaries are one line
    for bad in ("\\r", "\\u0007", "\\u001b[31m", "\\u0085"):
        with pytest.raises(InputError) as info:
            loads(GOOD + f'say = "One{bad}two"\n', source="x.toml")
        assert str(info.value).endswith(
            "steps[0].say: contains a control character; use plain text"
        )


def test_builtin_names_lists_anma():
    assert "anma" in builtin_names()
    assert builtin_names() == sorted(builtin_names())


def test_short_inline_form():
    r = loads(MINI, name="mini", source="mini.toml")
    assert (r.name, r.title, r.source) == ("mini", "Mini", "mini.toml")
    assert (r.summary, r.intro, r.outro) == (
        "Two short steps for tests.",
        "Sit comfortably.",
        "All done.",
    )
    circles, strokes = r.steps
    # The inline step's `say` belongs to the step, its single phase has none.
    assert circles == Step("Circles", (Phase(Motion.CIRCLE, 3, 1.5),), say="Draw small circles.")
    assert strokes.phases == (
        Phase(Motion.STROKE, 2, 1.5, hold=3.0, sides=(Side.LEFT, Side.RIGHT)),
    )


def test_phases_form():
    r = loads(PHASES)
    brows, lips = r.steps
    assert brows.say == ""
    assert brows.phases == (
        Phase(Motion.HOLD, 1, 4.0, say="Lift and hold."),
        Phase(Motion.CIRCLE, 2, 2.0, say="Circle."),
    )
    assert lips.phases == (Phase(Motion.PLUCK, 6, 0.5),)


def test_defaults():
    r = loads(GOOD)
    assert (r.name, r.source, r.summary, r.intro, r.outro) == ("routine", "<routine>", "", "", "")
    phase = r.steps[0].phases[0]
    assert (phase.say, phase.hold, phase.sides) == ("", 0.0, ())
    assert isinstance(phase.reps, int) and isinstance(phase.seconds, float)


def test_integer_seconds_become_float_and_limits_are_inclusive():
    r = loads(
        GOOD.replace("reps = 2", "reps = 200").replace("seconds = 1.0", "seconds = 60")
        + "hold = 120\n"
    )
    phase = r.steps[0].phases[0]
    assert (phase.reps, phase.seconds, phase.hold) == (200, 60.0, 120.0)
    assert type(phase.seconds) is float
    low = loads(GOOD.replace("reps = 2", "reps = 1").replace("seconds = 1.0", "seconds = 0.3"))
    assert (low.steps[0].phases[0].reps, low.steps[0].phases[0].seconds) == (1, 0.3)


def test_whitespace_in_text_is_folded():
    r = loads(
        'title = "  Soft \\t face  "\nintro = """\nOne\n  two\n"""\n' + GOOD.split("\n", 1)[1]
    )
    assert r.title == "Soft face"
    assert r.intro == "One\ntwo"  # spoken text keeps its lines: a pause between them


def test_source_is_not_part_of_equality():
    assert loads(GOOD, source="a.toml") == loads(GOOD, source="b.toml")


def test_markup_is_kept_verbatim():
    say = '<speak><break time="3s"/></speak> [[h@\'loU]]'
    r = loads(GOOD + 'say = "<speak><break time=\\"3s\\"/></speak> [[h@\'loU]]"\n')
    assert r.steps[0].say == say


# ---- what is refused, and how it is said -----------------------------------------------

BAD = [
    # (what to change in GOOD, the whole expected message)
    (
        ("reps = 2", 'reps = "2"'),
        "x.toml: line 6: steps[0].reps: must be a whole number from 1 to 200",
    ),
    (
        ("reps = 2", "reps = 2.0"),
        "x.toml: line 6: steps[0].reps: must be a whole number from 1 to 200",
    ),
    (
        ("reps = 2", "reps = 0"),
        "x.toml: line 6: steps[0].reps: must be a whole number from 1 to 200",
    ),
    (
        ("reps = 2", "reps = 201"),
        "x.toml: line 6: steps[0].reps: must be a whole number from 1 to 200",
    ),
    (
        ("reps = 2", "reps = nan"),
        "x.toml: line 6: steps[0].reps: must be a whole number from 1 to 200",
    ),
    (
        ("seconds = 1.0", "seconds = true"),
        "x.toml: line 7: steps[0].seconds: must be a number of seconds from 0.3 to 60",
    ),
    (
        ("seconds = 1.0", "seconds = 0.29"),
        "x.toml: line 7: steps[0].seconds: must be a number of seconds from 0.3 to 60",
    ),
    (
        ("seconds = 1.0", "seconds = -inf"),
        "x.toml: line 7: steps[0].seconds: must be a number of seconds from 0.3 to 60",
    ),
    (
        ("seconds = 1.0", "seconds = 1.0\nhold = nan"),
        "x.toml: line 8: steps[0].hold: must be a number of seconds from 0 to 120",
    ),
    (
        ("seconds = 1.0", "seconds = 1.0\nhold = -1"),
        "x.toml: line 8: steps[0].hold: must be a number of seconds from 0 to 120",
    ),
    (('title = "T"', "title = 7"), "x.toml: line 1: title: must be text, not a number"),
    (('title = "T"', "title = [1]"), "x.toml: line 1: title: must be text, not a list"),
    (('title = "T"', 'title = "   "'), "x.toml: line 1: title: must not be empty"),
    (('title = "T"\n', ""), "x.toml: title: is missing"),
    (
        ('title = "A"', 'title = "A"\nsay = false'),
        "x.toml: line 5: steps[0].say: must be text, not true/false",
    ),
    (
        ('motion = "press"', "motion = 3"),
        "x.toml: line 5: steps[0].motion: must be one of circle, stroke, "
        "press, pluck, hold, breathe",
    ),
    (
        ('motion = "press"', 'motion = "pres"'),
        "x.toml: line 5: steps[0].motion: must be one of circle, stroke, press, pluck, hold, "
        "breathe (did you mean 'press'?)",
    ),
    (
        ('motion = "press"\n', ""),
        "x.toml: line 3: steps[0].motion: is missing; one of circle, stroke, "
        "press, pluck, hold, breathe",
    ),
    (("reps = 2\n", ""), "x.toml: line 3: steps[0].reps: is missing"),
    (("seconds = 1.0\n", ""), "x.toml: line 3: steps[0].seconds: is missing"),
    (
        ('motion = "press"\nreps = 2\nseconds = 1.0\n', ""),
        "x.toml: line 3: steps[0]: has no movement: give motion, reps and seconds, or [[steps.phases]]",
    ),
    (('title = "A"\n', ""), "x.toml: line 3: steps[0].title: is missing"),
    (
        ("seconds = 1.0", 'seconds = 1.0\nsides = "left"'),
        'x.toml: line 8: steps[0].sides: must be a list such as ["left", "right"]',
    ),
    (
        ("seconds = 1.0", "seconds = 1.0\nsides = []"),
        'x.toml: line 8: steps[0].sides: must be a list such as ["left", "right"]',
    ),
    (
        ("seconds = 1.0", 'seconds = 1.0\nsides = ["left", "rigth"]'),
        "x.toml: line 8: steps[0].sides[1]: must be one of left, right (did you mean 'right'?)",
    ),
    (
        ("seconds = 1.0", 'seconds = 1.0\nsides = ["right", "right"]'),
        "x.toml: line 8: steps[0].sides[1]: 'right' is listed twice",
    ),
    (
        ('motion = "press"', 'motion = "hold"\nhold = 2'),
        "x.toml: line 6: steps[0].hold: a hold motion is already a hold; give its length in 'seconds'",
    ),
    (
        ("seconds = 1.0", "seconds = 1.0\nresting = 1"),
        "x.toml: line 8: steps[0].resting: must be true or false, not a number",
    ),
    (
        ("seconds = 1.0", "seconds = 1.0\nresting = true"),
        'x.toml: line 8: steps[0].resting: only a hold can be resting (motion = "hold")',
    ),
    (
        ('motion = "press"', 'motion = "breathe"'),
        "x.toml: line 7: steps[0].seconds: a breathe motion keeps its own time (one slow breath a "
        "repetition); leave out 'seconds'",
    ),
    (
        ("seconds = 1.0", 'seconds = 1.0\ncoaching = "Softly."'),
        'x.toml: line 8: steps[0].coaching: must be a list of lines such as ["Lighter on the way down."]',
    ),
    (
        ("seconds = 1.0", "seconds = 1.0\ncoaching = []"),
        'x.toml: line 8: steps[0].coaching: must be a list of lines such as ["Lighter on the way down."]',
    ),
    (
        ("seconds = 1.0", 'seconds = 1.0\ncoaching = ["Softly.",\n  3]'),
        "x.toml: line 8: steps[0].coaching[1]: must be text, not a number",
    ),
    (
        ("seconds = 1.0", 'seconds = 1.0\ncoaching = ["Softly.", " "]'),
        "x.toml: line 8: steps[0].coaching[1]: must not be empty",
    ),
    (
        ("seconds = 1.0", f'seconds = 1.0\ncoaching = ["{"a" * 201}"]'),
        "x.toml: line 8: steps[0].coaching[0]: is 201 characters long; the limit is 200",
    ),
    (
        ("seconds = 1.0", f"seconds = 1.0\ncoaching = {[f'Line {i}.' for i in range(11)]}"),
        "x.toml: line 8: steps[0].coaching: has 11 lines; the limit is 10",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m.split(": ", 1)[1][:40] for _, m in BAD])
def test_each_problem_is_named_with_its_place(change, message):
    old, new = change
    assert old in GOOD
    assert error(GOOD.replace(old, new, 1)) == message


def test_top_level_shapes():
    assert error('title = "T"\n') == "x.toml: steps: is missing; add at least one [[steps]] table"
    assert (
        error('title = "T"\nsteps = []\n')
        == "x.toml: steps: must be a non-empty list of [[steps]] tables"
    )
    assert (
        error('title = "T"\n[steps]\ntitle = "A"\n')
        == "x.toml: steps: must be a non-empty list of [[steps]] tables"
    )
    assert (
        error('title = "T"\nsteps = [1]\n')
        == "x.toml: steps[0]: must be a table ([[steps]]), not a number"
    )


def test_phases_shapes():
    head = 'title = "T"\n[[steps]]\ntitle = "A"\n'
    assert (
        error(head + "phases = []\n")
        == "x.toml: steps[0].phases: must be a non-empty list of tables ([[steps.phases]])"
    )
    assert (
        error(head + '[steps.phases]\nmotion = "press"\nreps = 1\nseconds = 1\n')
        == "x.toml: steps[0].phases: must be a non-empty list of tables ([[steps.phases]])"
    )
    assert (
        error(head + 'phases = ["press"]\n')
        == "x.toml: steps[0].phases[0]: must be a table, not text"
    )
    assert (
        error(head + 'reps = 3\n[[steps.phases]]\nmotion = "press"\nreps = 1\nseconds = 1\n')
        == "x.toml: line 2: steps[0]: has both phases and reps; put reps inside the phases"
    )
    assert (
        error(head + '[[steps.phases]]\nmotion = "press"\nreps = 1\n')
        == "x.toml: line 4: steps[0].phases[0].seconds: is missing"
    )
    many = head + '[[steps.phases]]\nmotion = "press"\nreps = 1\nseconds = 1\n' * 21
    assert error(many) == "x.toml: line 2: steps[0].phases: has 21 phases; the limit is 20"
    assert loads(head + '[[steps.phases]]\nmotion = "press"\nreps = 1\nseconds = 1\n' * 20)


def test_limits_on_size():
    step = '[[steps]]\ntitle = "S{}"\nmotion = "press"\nreps = 1\nseconds = 1\n'
    assert (
        error('title = "T"\n' + "".join(step.format(i) for i in range(101)))
        == "x.toml: steps: has 101 steps; the limit is 100"
    )
    assert len(loads('title = "T"\n' + "".join(step.format(i) for i in range(100))).steps) == 100
    assert (
        error(GOOD.replace('title = "T"', f'title = "{"t" * 81}"'))
        == "x.toml: line 1: title: is 81 characters long; the limit is 80"
    )
    assert loads(GOOD.replace('title = "T"', f'title = "{"t" * 80}"')).title == "t" * 80
    assert (
        error(GOOD.replace('title = "A"', f'title = "{"a" * 81}"'))
        == "x.toml: line 4: steps[0].title: is 81 characters long; the limit is 80"
    )
    assert (
        error(f'intro = "{"w " * 1000}w"\n' + GOOD)
        == "x.toml: line 1: intro: is 2001 characters long; the limit is 2000"
    )
    assert loads(f'intro = "{"w " * 999}w"\n' + GOOD).intro == "w " * 999 + "w"


def test_control_characters_are_refused():
    assert (
        error(GOOD + 'say = "ring \\u0007 bell"\n')
        == "x.toml: line 8: steps[0].say: contains a control character; use plain text"
    )
    assert (
        error(GOOD.replace('title = "T"', 'title = "T\\u0085"'))
        == "x.toml: line 1: title: contains a control character; use plain text"
    )
    # A tab is whitespace; a newline is kept (a pause when spoken).
    assert loads(GOOD + 'say = "a\\tb\\nc"\n').steps[0].say == "a b\nc"


def test_duplicate_step_titles_case_insensitive():
    text = GOOD + '[[steps]]\ntitle = "a"\nmotion = "press"\nreps = 1\nseconds = 1\n'
    assert error(text) == (
        "x.toml: line 9: steps[1].title: 'a' is also the title of steps[0]; "
        "each step needs its own title (it names a chapter)"
    )


def test_toml_syntax_error_gives_line_and_column():
    assert error('title = "T"\n\nreps 3\n').startswith(
        "x.toml: line 3, column 6: not valid TOML: expected '=' after a key"
    )
    assert error('title = "T"\ntitle = "U"\n').startswith("x.toml: line 2, column ")


def test_toml_error_at_end_of_text_gives_line_and_column():
    # tomllib itself says only "end of document" here.
    assert (
        error('title = "T"\ntitle = ') == "x.toml: line 2, column 9: not valid TOML: invalid value"
    )
    assert error('title = "T') == "x.toml: line 1, column 11: not valid TOML: unterminated string"


@pytest.mark.parametrize(
    ("text", "place", "hint"),
    [
        (GOOD + 'moton = "circle"\n', "steps[0].moton", "motion"),
        ('titel = "x"\n' + GOOD, "titel", "title"),
        (
            'title = "T"\n[[steps]]\ntitle = "A"\n[[steps.phases]]\nmotion = "press"\nreps = 1\n'
            "seconds = 1\nrepz = 2\n",
            "steps[0].phases[0].repz",
            "reps",
        ),
    ],
)
def test_unknown_key_suggests_the_near_one(text, place, hint):
    message = error(text)
    assert f"{place}: unknown key (did you mean '{hint}'?)" in message


def test_unknown_key_without_near_one_lists_known_keys():
    message = error('colour = "red"\n' + GOOD)
    assert (
        message
        == "x.toml: line 1: colour: unknown key; known keys: intro, language, outro, steps, summary, title"
    )


def test_unknown_key_with_a_newline_stays_one_line():
    message = error('"ti\\ntle" = "x"\n' + GOOD)
    assert "\n" not in message
    assert message.startswith('x.toml: "ti\\ntle": unknown key')


def test_all_problems_are_reported_together():
    text = """\
titel = "typo"

[[steps]]
title = "A"
motion = "spin"
reps = 0
seconds = 1

[[steps]]
title = "a"
motion = "press"
reps = 1
seconds = 99
"""
    message = error(text)
    assert message.startswith("x.toml: 5 problems: ")
    assert "\n" not in message
    places = [
        "titel: unknown key",
        "title: is missing",
        "steps[0].motion: must be one of",
        "steps[0].reps: must be",
        "steps[1].seconds: must be",
    ]
    positions = [message.index(p) for p in places]
    assert positions == sorted(positions)


def test_more_than_ten_problems_are_summarised():
    text = 'title = "T"\nsteps = [' + ", ".join(f'{{title = "S{i}"}}' for i in range(14)) + "]\n"
    message = error(text)
    assert message.startswith("x.toml: 14 problems: steps[0]: has no movement")
    assert message.endswith("; and 4 more")
    assert message.count("has no movement") == 10


def test_deep_nesting_is_an_input_error():
    assert (
        error("x = " + "[" * 5000 + "]" * 5000 + "\n")
        == "x.toml: nested too deeply to be a routine"
    )


# tomllib's time grows with the square of a key's dotted parts: the tester's 200,000-part
# header took 148 s. Such keys are refused before tomllib sees them (the test would run
# for minutes otherwise).
@pytest.mark.parametrize(
    "text",
    [
        "[" + ".".join(["a"] * 200_000) + "]\n",
        "[[" + ".".join(["a"] * 200_000) + "]]\n",
        "x = 1\n" + ".".join(["a"] * 200_000) + " = 1\n",
        "x = 1\ny = { " + " . ".join(['"a"'] * 200_000) + " = 1 }\n",
    ],
    ids=["table", "array of tables", "dotted key", "quoted parts in an inline table"],
)
def test_keys_of_absurdly_many_parts_are_refused_before_parsing(text):
    line = 1 if text.startswith("[") else 2
    assert error(text) == (
        f"x.toml: line {line}: a key of more than {MAX_KEY_PARTS} dotted "
        "parts; nothing coach reads nests that deep"
    )


def test_dotted_parts_inside_strings_comments_and_numbers_are_not_keys():
    chain = ".".join(["a"] * 100)
    text = (
        f'summary = "{chain}"\nintro = """\n{chain}\n"""\n# {chain}\noutro = \'{chain}\'\n' + GOOD
    )
    assert loads(text).summary == chain
    deep = ".".join(["a"] * MAX_KEY_PARTS)
    assert "a key of more" not in error(GOOD + f"{deep} = 1\n")  # at the limit: tomllib reads it
    assert "a key of more" in error(GOOD + f"{deep}.a = 1\n")


def test_a_file_of_60000_unknown_keys_looks_for_ten_did_you_means(monkeypatch):
    # A did-you-mean per key made 60,000 keys take minutes; only the ten shown get one.
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(
        difflib, "get_close_matches", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    message = error("".join(f"titl{i} = 1\n" for i in range(60_000)) + GOOD)
    assert message.startswith("x.toml: 60000 problems: line 1: titl0: unknown key")
    assert message.endswith("; and 59990 more")
    assert len(calls) == 10


# ---- files ------------------------------------------------------------------------------


def test_load_names_the_routine_after_the_file(tmp_path: Path):
    path = tmp_path / "my-face.toml"
    path.write_text(GOOD, encoding="utf-8")
    r = load(path)
    assert (r.name, r.source) == ("my-face", str(path))  # the path as given
    assert load(str(path)) == r


def test_load_error_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace("reps = 2", "reps = -2"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load(path)
    assert str(info.value) == f"{path}: line 6: steps[0].reps: must be a whole number from 1 to 200"
    # A relative path stays relative, as the user typed it.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^broken\.toml: line 6: steps\[0\]\.reps: "):
        load("broken.toml")


def test_non_utf8_reports_line_and_column(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "T"\n[[steps]]\ntitle = "Caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(InputError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: line 3, column 13: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )


def test_byte_order_mark_is_accepted(tmp_path: Path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load(path).title == "T"


def test_file_over_one_megabyte_is_refused(tmp_path: Path):
    path = tmp_path / "big.toml"
    padding = "#" * (MAX_FILE_BYTES - len(GOOD) - 1) + "\n"
    path.write_text(GOOD + padding, encoding="utf-8")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load(path).title == "T"
    path.write_text(GOOD + "#" + padding, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load(path)
    assert str(info.value) == f"{path}: larger than 1 MB; a routine file is a few kilobytes"


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(InputError, match="no such routine file"):
        load(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="is a folder, not a routine file"):
        load(tmp_path)


def test_only_regular_files_are_read(tmp_path: Path):
    # Reading a FIFO waits for a writer forever; a device may never end.
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a named pipe (FIFO)"), (Path("/dev/zero"), "a device")):
        with pytest.raises(InputError) as info:
            load(path)
        assert str(info.value) == f"{path}: is {kind}, not a routine file"


def test_a_fifo_routine_file_in_a_real_coach_is_one_line(tmp_path: Path, own_folders):
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)
    r = run_coach("validate", fifo, timeout=60)
    assert r.returncode == 2
    assert one_line(r.stderr) == f"{fifo}: is a named pipe (FIFO), not a routine file"
    # In the routines folder: `coach routines` lists the others and names the pipe.
    own_folders["config"].joinpath("routines").mkdir(parents=True)
    os.mkfifo(own_folders["config"] / "routines" / "pipe.toml")
    r = run_coach("routines", timeout=60)
    assert r.returncode == 2
    assert "anma " in r.stdout and "pipe " in r.stdout and "(broken" in r.stdout
    one_line(r.stderr, "pipe.toml: is a named pipe (FIFO), not a routine file")


# ---- more built-in routines ---------------------------------------------------------------

# Each new routine and the minutes it says it lasts (in its summary and the README), as
# the built plan estimates them at the normal pace.
LENGTHS = {"quick": (3.0, 4.0), "evening": (11.0, 13.0), "neck": (6.5, 7.5), "anma": (8.5, 9.5)}


def test_builtin_names():
    assert builtin_names() == ["anma", "evening", "neck", "quick"]


@pytest.mark.parametrize("name", sorted(LENGTHS))
def test_each_builtin_validates_and_lasts_its_stated_minutes(name):
    from coach.script import build

    r = load(Path(__file__).resolve().parent.parent / "coach" / "routines" / f"{name}.toml")
    assert r == builtin(name)
    low, high = LENGTHS[name]
    assert low <= build(r).estimate_seconds() / 60 <= high


def test_quick_is_a_short_routine_of_its_own():
    anma, quick = builtin("anma"), builtin("quick")
    assert len(quick.steps) < len(anma.steps)
    reps = lambda r: sum(p.reps * len(p.sides or "x") for s in r.steps for p in s.phases)  # noqa: E731
    assert reps(quick) < reps(anma)
    # Fewer steps done properly: each still has its instruction and its own coaching.
    assert all(p.say and p.coaching for s in quick.steps for p in s.phases)


def test_evening_is_slower_with_longer_holds_and_a_wind_down():
    anma, evening = builtin("anma"), builtin("evening")
    same = {s.title: s for s in anma.steps}
    for step in evening.steps:
        if step.title in same and step.title != "Wind down":
            for mine, theirs in zip(step.phases, same[step.title].phases):
                assert mine.seconds >= theirs.seconds and mine.hold >= theirs.hold
                assert (mine.seconds, mine.hold) != (theirs.seconds, theirs.hold)
    assert evening.steps[-1].title == anma.steps[-1].title == "Wind down"
    length = lambda s: sum(p.reps * p.seconds for p in s.phases)  # noqa: E731
    assert length(evening.steps[-1]) > length(anma.steps[-1])
    assert len(evening.outro) > len(anma.outro)


def test_neck_strokes_go_down():
    neck = builtin("neck")
    strokes = [s for s in neck.steps for p in s.phases if p.motion is Motion.STROKE]
    assert len(strokes) >= 3
    assert all("down" in (s.say + " ".join(p.say for p in s.phases)) for s in strokes)


@pytest.mark.parametrize("value, code", [('"ja"', "ja"), ('"ja-JP"', "ja"), ('"EN"', "en")])
def test_language_is_a_bcp47_code_coach_speaks(value, code):
    assert loads(f"language = {value}\n" + GOOD).language == code
    assert loads(GOOD).language == "en"


@pytest.mark.parametrize(
    "value, said", [('"tlh"', "'tlh': coach speaks en, ja"), ("3", "must be text")]
)
def test_a_language_coach_cannot_speak_is_named(value, said):
    message = error(f"language = {value}\n" + GOOD)
    assert message.startswith("x.toml: line 1: language: ") and said in message


def test_breathe_resting_and_coaching_load():
    r = loads(
        'title = "T"\n[[steps]]\ntitle = "Rest"\n'
        '[[steps.phases]]\nsay = "Rub your palms."\nmotion = "breathe"\nreps = 2\n'
        '[[steps.phases]]\nmotion = "hold"\nresting = true\nreps = 2\nseconds = 11\n'
        'coaching = [\n  "Let your face soften.",  # a list over lines\n  "Breathe slowly.",\n]\n'
    )
    breathe, rest = r.steps[0].phases
    assert (breathe.motion, breathe.reps, breathe.seconds) == (Motion.BREATHE, 2, 0.0)
    assert (rest.resting, rest.coaching) == (True, ("Let your face soften.", "Breathe slowly."))


def test_a_list_over_several_lines_keeps_the_lines_after_it():
    text = GOOD + 'coaching = [\n  "One.",  # [not a bracket]\n  "Two ]",\n]\nhold = -1\n'
    assert (
        error(text) == "x.toml: line 12: steps[0].hold: must be a number of seconds from 0 to 120"
    )

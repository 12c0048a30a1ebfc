"""A corpus of broken and hostile routine files: each is refused with one clear line.

Every file in tests/corpus starts with ``# expect: <fragment>``: the fragment of the
message the file must produce (or ``ok`` for a hostile file that is valid, followed by
``# says: <text>`` that must reach a Say cue verbatim). The largest and the non-UTF-8
cases are generated here instead of being committed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.errors import InputError
from coach.routinefile import load
from coach.script import Say, build
from conftest import run_coach

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.toml"))


def header(path: Path, key: str) -> str:
    """The value of a ``# key: value`` comment line at the top of ``path``."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(f"# {key}: "):
            return line.removeprefix(f"# {key}: ")
    raise AssertionError(f"{path.name} has no '# {key}:' line at its top")


def refused(path: Path) -> str:
    """The one InputError loading and building ``path`` raises; any other exception fails."""
    with pytest.raises(InputError) as info:
        build(load(path))
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message and "\r" not in message
    assert len(message.splitlines()) == 1, message
    assert "Traceback" not in message
    return message


BAD = [p for p in FILES if header(p, "expect") != "ok"]
GOOD = [p for p in FILES if header(p, "expect") == "ok"]


def test_corpus_is_large_and_every_file_says_what_it_expects():
    assert len(BAD) >= 32
    assert len(GOOD) >= 2
    for path in FILES:
        assert header(path, "expect")
        assert path.stat().st_size < 20_000, f"{path.name}: corpus files stay small"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_file_is_refused_with_its_place(path: Path):
    message = refused(path)
    assert header(path, "expect") in message


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_markup_is_accepted_and_spoken_literally(path: Path):
    script = build(load(path))
    says = header(path, "says")
    spoken = [c.text for c in script.cues if isinstance(c, Say)]
    assert any(says in text for text in spoken), spoken


def test_ssml_reaches_the_say_cue_unchanged():
    script = build(load(CORPUS / "markup_ssml.toml"))
    assert Say('<speak><break time="3s"/></speak>') in script.cues


# ---- generated cases ---------------------------------------------------------------------


def test_non_utf8_bytes(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'title = "Hostile"\n\n[[steps]]\ntitle = "Caf\xe9 \xff"\n')
    message = refused(path)
    assert message == (
        f"{path}: line 4, column 13: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )


def test_non_utf8_in_first_line(tmp_path: Path):
    path = tmp_path / "bytes.toml"
    path.write_bytes(b"\x80\x81 = 1\n")
    assert "line 1, column 1: not UTF-8 text (byte 0x80)" in refused(path)


def test_ten_megabyte_file(tmp_path: Path):
    path = tmp_path / "huge.toml"
    line = "# " + "x" * 1021 + "\n"
    path.write_text('title = "Hostile"\n' + line * 10_240, encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    assert refused(path) == f"{path}: larger than 1 MB; a routine file is a few kilobytes"


@pytest.mark.parametrize(
    ("opening", "closing", "inner"),
    [("[", "]", ""), ("{a=", "}", "1")],
    ids=["arrays", "inline-tables"],
)
def test_5000_deep_nesting(tmp_path: Path, opening: str, closing: str, inner: str):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + opening * 5000 + inner + closing * 5000 + "\n", encoding="utf-8")
    assert refused(path) == f"{path}: nested too deeply to be a routine"


def test_5000_deep_table_header(tmp_path: Path):
    path = tmp_path / "header.toml"
    path.write_text("[" + ".".join(["a"] * 5000) + "]\nb = 1\n", encoding="utf-8")
    assert refused(path) == (
        f"{path}: line 1: a key of more than 16 dotted parts; nothing coach reads nests that deep"
    )


def test_nesting_just_parsed_is_still_a_plain_error(tmp_path: Path):
    path = tmp_path / "nest.toml"
    path.write_text('title = "T"\nsteps = ' + "[" * 100 + "]" * 100 + "\n", encoding="utf-8")
    assert refused(path) == f"{path}: steps[0]: must be a table ([[steps]]), not a list"


# ---- the real command line ---------------------------------------------------------------


def test_validate_prints_one_line_per_bad_file():
    names = ["reps_as_string", "deep_arrays", "over_4_hours", "unknown_key_with_newline"]
    paths = [CORPUS / f"{n}.toml" for n in names]
    result = run_coach("validate", *paths)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == len(paths), result.stderr
    for line, path in zip(lines, paths):
        assert line.startswith(f"{path}: ")
        assert header(path, "expect") in line
    assert result.stdout == ""


def test_validate_mixed_good_and_bad(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'title = "\xff"\n')
    good = CORPUS / "markup_ssml.toml"
    result = run_coach("validate", good, bad)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines() == [
        f"{bad}: line 1, column 10: not UTF-8 text (byte 0xff); save the file as UTF-8"
    ]
    assert result.stdout.startswith(f"{good}: ok (1 step,")

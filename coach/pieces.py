"""A long line in bounded pieces: the most a speech engine is handed at once.

An engine's memory and time grow faster than the text it is given (the neural voice
splits a sentence of over 400 phonemes only at ``, ; : —``: a line of 1,000 characters
of numbers took 6.6 GB, and even 2,000 characters in short sentences take 1.1 GB in one
call), and so do a clip's levelling and the memory a session keeps. So the script speaks
a long line as several, cut where a reader would pause: between sentences (a piece holds
at most PIECE_CHARS as read aloud, ``spoken.spoken_length``), and a sentence longer than
SENTENCE_CHARS at clause marks, then between words; a single "word" longer than that (a
long number, a run of letters) is cut inside. Each cut carries the pause coach puts
there, so the line still sounds like one. Every line of the built-in routines is one
piece, as before. Pure text: no audio here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.spoken import spoken_length

#: The most one sentence may hold, in characters as read aloud: what the neural voice
#: gets at once (it speaks a piece sentence by sentence), so what decides its memory.
#: Well under its 400 phonemes, so it never has to cut a sentence itself, and just over the
#: longest sentence of the built-in routines (129), so the longest line costs about what a
#: short session costs (measured: 240 took 1.45 times the memory of anma's export).
SENTENCE_CHARS = 140
#: The most a piece of whole sentences holds: more than the longest line of the built-in
#: routines (324), which are never cut.
PIECE_CHARS = 400
#: Silence coach puts between two sentences of one line, seconds (coach.speech.speaker),
#: and so after a piece cut between sentences; after one cut at a clause mark, between words.
SENTENCE_PAUSE = 0.35
CLAUSE_PAUSE = 0.2
WORD_PAUSE = 0.1

#: Where a sentence ends: end punctuation, then space, then no lower-case letter (as the
#: neural voice reads it: "e.g. this" goes on); or a full-width stop (Japanese writes no
#: space after it).
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?![a-z])|(?<=[。！？])\s*")
_FULL_WIDTH = "。！？、，；："
_LEVELS = ((re.compile(r"(?<=[,;:—–、，；：])\s*"), CLAUSE_PAUSE), (re.compile(r"\s+"), WORD_PAUSE))


@dataclass(frozen=True)
class Piece:
    """``text`` to hand an engine at once, and the silence after it (seconds; 0 last)."""

    text: str
    pause: float


def pieces(
    text: str, sentence_limit: int = SENTENCE_CHARS, limit: int = PIECE_CHARS
) -> list[Piece]:
    """``text`` in pieces: whole sentences of at most ``sentence_limit`` characters read
    aloud each, together up to ``limit``; a longer sentence cut alone into pieces of at
    most ``sentence_limit``. Each piece has the pause after it. The pieces hold all of
    ``text``, in order (whitespace collapsed)."""
    cut: list[tuple[str, float]] = []
    group = ""
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if not sentence.strip():
            continue
        if spoken_length(sentence) > sentence_limit:
            if group:
                cut.append((group, SENTENCE_PAUSE))
            cut += _then(_cut(sentence, sentence_limit, 0), SENTENCE_PAUSE)
            group = ""
            continue
        joined = _join(group, sentence)
        if group and spoken_length(joined) > limit:
            cut.append((group, SENTENCE_PAUSE))
            joined = sentence
        group = joined
    if group:
        cut.append((group, SENTENCE_PAUSE))
    return [Piece(t, 0.0 if i == len(cut) - 1 else pause) for i, (t, pause) in enumerate(cut)]


def _cut(text: str, limit: int, level: int) -> list[tuple[str, float]]:
    """``text`` (one sentence, or part of one) in pieces of at most ``limit``: cut at
    ``_LEVELS[level]`` and deeper, parts packed while they fit."""
    if spoken_length(text) <= limit:
        return [(text, 0.0)]
    if level == len(_LEVELS):
        return _inside(text, limit)
    pattern, pause = _LEVELS[level]
    out: list[tuple[str, float]] = []
    group = ""
    for part in (p for p in pattern.split(text) if p.strip()):
        joined = _join(group, part)
        if group and spoken_length(joined) > limit:
            out += _then(_cut(group, limit, level + 1), pause)
            joined = part
        group = joined
    out += _then(_cut(group, limit, level + 1), pause)
    return out


def _join(group: str, part: str) -> str:
    """``part`` after ``group``: with a space, but none after a full-width mark (Japanese
    writes none)."""
    if not group:
        return part
    return group + part if group[-1] in _FULL_WIDTH else f"{group} {part}"


def _then(cut: list[tuple[str, float]], pause: float) -> list[tuple[str, float]]:
    """``cut`` (the pieces of one part) with ``pause`` after its last piece."""
    return cut[:-1] + [(cut[-1][0], pause)]


def _inside(word: str, limit: int) -> list[tuple[str, float]]:
    """A word too long for one piece, cut between characters: each piece as long as fits
    (found by halving: a longer stretch reads at least as long, near enough)."""
    out: list[tuple[str, float]] = []
    start = 0
    while start < len(word):
        lo, hi = start + 1, len(word)  # word[start:lo] always goes, even if too long
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if spoken_length(word[start:mid]) <= limit else (lo, mid - 1)
        out.append((word[start:lo], WORD_PAUSE))
        start = lo
    return out

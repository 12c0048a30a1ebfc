"""Timed text from the same timeline as the audio: the spoken lines (``--cues``) and the
chapters (``--chapters``).

Spoken lines: WebVTT (.vtt) and SubRip (.srt) give each line its start and end; LRC (.lrc)
gives each line its start, which is what music players show lyrics by. Chapters:
Podcasting 2.0 JSON (.json) and a CUE sheet (.cue), for players that read chapters from a
file beside the audio rather than from inside it.

Each format is written so that a parser of that format reads back exactly the spoken line
or title: WebVTT escapes ``&``, ``<`` and ``>`` as character references (so neither markup
nor a ``-->`` can appear in a cue); cue text never holds a blank line (it would end the cue);
an LRC line is one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coach.clock import stamp
from coach.timeline import Speech, Timeline

CUE_FORMATS = (".vtt", ".srt", ".lrc")
CHAPTER_FORMATS = (".json", ".cue")

#: The Podcasting 2.0 JSON chapters format version written.
JSON_CHAPTERS_VERSION = "1.2.0"
#: A CUE sheet counts time in CD frames: 75 per second.
CUE_FRAMES_PER_SECOND = 75


def _one_block(text: str) -> str:
    """``text`` with no blank line (a blank line ends a WebVTT or SubRip cue) and no line
    ending in stray spaces; single line breaks are kept, as the speaker pauses on them."""
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def vtt_text(text: str) -> str:
    """Cue text escaped per the WebVTT spec: ``&``, ``<`` and ``>`` become ``&amp;``,
    ``&lt;`` and ``&gt;``, so nothing is taken as markup and no ``-->`` remains."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _one_block(escaped)


#: The longest line of Japanese cue text, in characters, before it is broken (after a
#: comma or full stop where there is one): Japanese has no spaces for a player to break at.
JA_LINE = 24


def wrap(text: str, language: str) -> str:
    """Cue text with its lines broken where the language needs it: Japanese lines longer
    than JA_LINE are broken after 、 or 。 (or at JA_LINE when a clause is longer); other
    languages keep their lines (players break them at spaces)."""
    if language != "ja":
        return text
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > JA_LINE:
            cut = max(line.rfind(mark, 0, JA_LINE) for mark in "、。，．！？")
            cut = cut + 1 if cut > 0 else JA_LINE
            out.append(line[:cut])
            line = line[cut:]
        if line:
            out.append(line)
    return "\n".join(out)


def render(tl: Timeline, fmt: str) -> str:
    """The spoken lines as a cue file in ``fmt`` ('.vtt', '.srt' or '.lrc'). A WebVTT file
    names its language in its header (``Language: ja``)."""
    lines = [e for e in tl.events if isinstance(e, Speech)]
    r = tl.rate
    if fmt == ".lrc":
        out = [f"[ti:{' '.join(tl.title.split())}]", "[by:coach]"]
        for e in lines:
            cs = e.start * 100 // r
            one_line = " ".join(e.text.split())
            out.append(f"[{cs // 6000:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}]{one_line}")
        return "\n".join(out) + "\n"
    out = ["WEBVTT", f"Language: {tl.language}", ""] if fmt == ".vtt" else []
    sep = "." if fmt == ".vtt" else ","
    for i, e in enumerate(lines, 1):
        # SubRip has no escapes (players take <b> as markup, as in WebVTT, but show
        # "&amp;" as written), so its text stays as spoken.
        text = wrap(vtt_text(e.text) if fmt == ".vtt" else _one_block(e.text), tl.language)
        out += [str(i), f"{stamp(e.start, r, sep)} --> {stamp(e.end, r, sep)}", text, ""]
    return "\n".join(out)


def _cue_string(text: str) -> str:
    """A CUE sheet string: quoted, one line, ``\\`` and ``"`` escaped with a backslash."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cue_time(samples: int, rate: int) -> str:
    """``mm:ss:ff`` at 75 frames per second, rounded down (minutes may pass 99)."""
    frames = samples * CUE_FRAMES_PER_SECOND // rate
    seconds, ff = divmod(frames, CUE_FRAMES_PER_SECOND)
    return f"{seconds // 60:02d}:{seconds % 60:02d}:{ff:02d}"


def render_chapters(tl: Timeline, fmt: str, audio_name: str) -> str:
    """The chapters as ``fmt`` ('.json' or '.cue'); ``audio_name`` is the audio file a CUE
    sheet's FILE line names (relative to the sheet's folder when possible)."""
    r = tl.rate
    if fmt == ".json":
        doc = {
            "version": JSON_CHAPTERS_VERSION,
            "title": tl.title,
            "chapters": [
                {
                    "startTime": round(c.start / r, 3),
                    "endTime": round(c.end / r, 3),
                    "title": c.title,
                }
                for c in tl.chapters
            ],
        }
        return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    kind = "MP3" if audio_name.lower().endswith(".mp3") else "WAVE"
    out = [
        'PERFORMER "coach"',
        f"TITLE {_cue_string(tl.title)}",
        f"FILE {_cue_string(audio_name)} {kind}",
    ]
    for i, c in enumerate(tl.chapters, 1):
        out += [
            f"  TRACK {i:02d} AUDIO",
            f"    TITLE {_cue_string(c.title)}",
            '    PERFORMER "coach"',
            f"    INDEX 01 {cue_time(c.start, r)}",
        ]
    return "\n".join(out) + "\n"


def audio_name_for(sheet: Path, audio: Path) -> str:
    """How a CUE sheet at ``sheet`` names ``audio``: relative to the sheet's folder."""
    try:
        return os.path.relpath(audio.resolve(), sheet.resolve().parent)
    except ValueError:  # another drive (Windows)
        return str(audio.resolve())

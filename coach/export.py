"""Encoding: PCM blocks -> an MP3, OGG or WAV file (or stream) with tags and chapters, by
piping raw samples into ffmpeg. Memory stays bounded by one block, whatever the length.

To a file, ffmpeg encodes the blocks as they are made (so speech synthesis and mixing
overlap the encoder); the tags and chapters, known only once every line has been spoken,
are added afterwards: MP3 gets an ID3v2.4 tag made with mutagen put before the encoded
frames; OGG and WAV a stream copy by ffmpeg with the tags, then WAV a ``cue `` chunk. All
of it happens in hidden temporaries that the caller (``coach.job``) made beside the
target and renames at the end. ffmpeg's LAME tag names LAME as the encoder, so readers
trust its encoder delay and padding and report the true length.

One module because it is one idea, the container: the ffmpeg passes, the ID3 frames, the
Vorbis chapter comments and the WAV ``cue ``/``labl`` chunks all describe the same tags
and chapters, each in one format's words.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import IO, BinaryIO

import numpy as np

from coach.clock import stamp
from coach.errors import InputError, OutputError
from coach.media import ffmpeg, file_arg
from coach.timeline import Timeline

#: Suffix -> ffmpeg muxer and codec arguments (``{kbps}``: the bit rate for the channels).
FORMATS: dict[str, tuple[str, list[str]]] = {
    ".mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "{kbps}k"]),
    ".ogg": ("ogg", ["-c:a", "libvorbis", "-b:a", "{kbps}k"]),
    ".wav": ("wav", ["-c:a", "pcm_s16le"]),
}
#: Bit rate in kbit/s by channel count. Mono is 64, not half of stereo's 96: at 48 the
#: first frame cannot hold ffmpeg's Xing/LAME header, so ffmpeg writes it at 64, and a
#: reader that takes a constant-rate file's frame size from its first frame (eyeD3 does,
#: for an "Info" header) reported 329.8 s for a 383.9 s session.
KBPS = {1: 64, 2: 96}
#: Muxer flags by suffix. OGG's muxer picks a random stream serial unless told to be
#: bit-exact, and the same session must be the same bytes, run after run.
MUX_FLAGS: dict[str, list[str]] = {".ogg": ["-fflags", "+bitexact"]}
CLOSED = "standard output was closed before the end of the session"
STDOUT_FULL = "standard output: the disk is full before the end of the session"


@dataclass(frozen=True)
class Tags:
    """What a file says about itself. MP3 gets ID3v2.4 frames (TIT2, TPE1, TALB, TCON,
    COMM, TLAN), OGG Vorbis comments (LANGUAGE among them), WAV a LIST/INFO chunk (ILNG).
    ``language``: the language spoken, BCP 47 (ID3 takes its ISO 639-2 code)."""

    title: str
    album: str
    comment: str
    artist: str = "coach"
    genre: str = "Spoken word"
    language: str = "en"

    def as_dict(self) -> dict[str, str]:
        return {
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "genre": self.genre,
            "comment": self.comment,
            "language": self.language,
        }


def least_bytes(fmt: str, seconds: float, rate: int, channels: int) -> int:
    """Bytes a ``fmt`` file of about ``seconds`` needs at the least, for the free-space check
    before work (so it never refuses an export that would fit): nine tenths of the exact
    size for WAV and constant-rate MP3 (the length is an estimate), a quarter of the
    nominal rate for Vorbis, whose variable rate falls far below it on speech and quiet."""
    if fmt == ".wav":
        exact = seconds * rate * channels * 2
    else:
        exact = seconds * KBPS[channels] * 1000 / 8
    return int(exact * (0.25 if fmt == ".ogg" else 0.9))


def _escape(text: str) -> str:
    for ch in "\\=;#\n":
        text = text.replace(ch, "\\" + ch)
    return text


def ffmetadata(tags: dict[str, str]) -> str:
    """An FFMETADATA1 document holding ``tags`` (ffmpeg's muxers for OGG and WAV write no
    chapters from one: OGG gets them as comments, WAV as a cue chunk)."""
    lines = [";FFMETADATA1"] + [f"{k}={_escape(v)}" for k, v in tags.items()]
    return "\n".join(lines) + "\n"


def vorbis_chapters(tl: Timeline) -> dict[str, str]:
    """The chapters as Vorbis comments (``CHAPTER001=HH:MM:SS.mmm``, ``CHAPTER001NAME``).

    ffmpeg writes no chapters into an Ogg Vorbis stream (the FFMETADATA chapters were
    silently dropped: ffprobe listed none), but it reads these comments back as chapters,
    as other players do.
    """
    out = {}
    for i, c in enumerate(tl.chapters, 1):
        out[f"CHAPTER{i:03d}"] = stamp(c.start, tl.rate)
        out[f"CHAPTER{i:03d}NAME"] = c.title
    return out


@functools.cache
def lame_version() -> str | None:
    """The version of the LAME library ffmpeg encodes MP3 with (``3.100``), or None.

    ffmpeg's MP3 muxer writes a LAME tag (encoder delay and padding) into the first frame
    but names the encoder ``Lavf`` in it; ordinary readers (mutagen, and players that
    follow LAME's own reader) trust the delay and padding only after a ``LAME3.xx`` name,
    and without it count the padding as sound (383.976 s for a 383.918 s session).
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("mp3lame")
    try:
        lib = ctypes.CDLL(name or "libmp3lame.so.0")
    except OSError:
        return None
    get = lib.get_lame_short_version
    get.restype = ctypes.c_char_p
    version = get()
    return version.decode("ascii", "replace") if version else None


def _codec(fmt: str, channels: int) -> tuple[list[str], list[str]]:
    """(the muxer's arguments, the codec's arguments) for ``fmt`` with ``channels``."""
    name, codec = FORMATS[fmt]
    muxer = ["-f", name, *MUX_FLAGS.get(fmt, [])]
    args = [a.format(kbps=KBPS[channels]) for a in codec]
    version = lame_version() if fmt == ".mp3" else None
    if version:
        # ffmpeg copies the stream's "encoder" into the LAME tag's 9-byte name.
        args += ["-metadata:s:a:0", "encoder=" + f"LAME{version}"[:9]]
    return muxer, args


def encode_file(
    blocks: Iterable[np.ndarray],
    fmt: str,
    rate: int,
    channels: int,
    tags: Tags,
    plan: Callable[[], Timeline],
    parts: tuple[Path, Path],
    progress: Callable[[int], None] | None = None,
) -> tuple[Path, Timeline]:
    """Encode ``blocks`` (int16, shape (n, channels), at ``rate``) as ``fmt`` into one of the
    two temporary files ``parts`` (made by the caller beside the target) and return it with
    the session's timeline.

    ``plan`` gives the Timeline once every block has been made. MP3: one ffmpeg pass, then
    mutagen writes the whole ID3v2.4 tag (chapters as CHAP/CTOC frames, the comment as
    COMM). OGG and WAV: a second ffmpeg pass copies the stream unchanged with the tags (OGG
    chapters as Vorbis comments); WAV then gets a ``cue `` chunk and ``labl`` labels.
    Raises MissingPartError when ffmpeg is missing, OutputError when it fails (a full disk
    included).
    """
    program = ffmpeg()
    muxer, codec = _codec(fmt, channels)
    encoded, final = parts
    with tempfile.TemporaryDirectory(prefix="coach-export-") as work:
        log = Path(work) / "ffmpeg.log"
        # An MP3 gets its ID3 tag from coach afterwards (ffmpeg cannot write COMM).
        untagged = ["-id3v2_version", "0"] if fmt == ".mp3" else []
        _ffmpeg(
            program,
            [
                *_pcm_input(rate, channels),
                *codec,
                *untagged,
                *muxer,
                file_arg(encoded),
            ],
            log,
            blocks,
            progress,
        )
        tl = plan()
        if fmt == ".mp3":
            _guard_disk(final, lambda: _prepend(id3_bytes(tags, tl), encoded, final))
            return final, tl
        meta = Path(work) / "chapters.txt"
        extra = vorbis_chapters(tl) if fmt == ".ogg" else {}
        meta.write_text(ffmetadata({**tags.as_dict(), **extra}), encoding="utf-8")
        _ffmpeg(
            program,
            [
                "-i",
                file_arg(encoded),
                *_tags_from(meta),
                "-c",
                "copy",
                *muxer,
                file_arg(final),
            ],
            log,
        )
    if fmt == ".wav":
        _guard_disk(final, lambda: add_wav_cues(final, tl))
    return final, tl


def encode_stream(
    blocks: Iterable[np.ndarray],
    fmt: str,
    rate: int,
    channels: int,
    tags: Tags,
    tl: Timeline,
    out: BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Encode ``blocks`` as ``fmt`` straight to ``out`` (standard output), in one pass.

    The timeline is known beforehand, so the tags and chapters go at the front: MP3 starts
    with the same ID3 tag as a file (mutagen), OGG carries tags and chapter comments. What
    needs a second look at the finished stream cannot be written: MP3's Xing/LAME header
    (length, gapless trim) and WAV's sizes (ffmpeg leaves them unknown) and cue chunk.
    """
    program = ffmpeg()
    muxer, codec = _codec(fmt, channels)
    with tempfile.TemporaryDirectory(prefix="coach-export-") as work:
        log = Path(work) / "ffmpeg.log"
        meta = Path(work) / "chapters.txt"
        if fmt == ".mp3":
            try:
                out.write(id3_bytes(tags, tl))
                out.flush()
            except BrokenPipeError:
                raise OutputError(CLOSED) from None
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise OutputError(STDOUT_FULL) from None
                raise
            meta.write_text(ffmetadata({}), encoding="utf-8")
            container = ["-id3v2_version", "0", "-write_xing", "0"]
        else:
            extra = vorbis_chapters(tl) if fmt == ".ogg" else {}
            meta.write_text(ffmetadata({**tags.as_dict(), **extra}), encoding="utf-8")
            container = []
        _ffmpeg(
            program,
            [
                *_pcm_input(rate, channels),
                *_tags_from(meta),
                *codec,
                *container,
                *muxer,
                "pipe:1",
            ],
            log,
            blocks,
            progress,
            stdout=out,
        )


def _tags_from(meta: Path) -> list[str]:
    """ffmpeg's second input, the FFMETADATA file ``meta``: its tags and chapters go on the
    first input's audio."""
    return ["-i", file_arg(meta), "-map", "0:a", "-map_metadata", "1"]


def _pcm_input(rate: int, channels: int) -> list[str]:
    """ffmpeg's first input: 16-bit PCM at ``rate`` Hz, ``channels`` channels, on its stdin."""
    return ["-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0"]


def id3_bytes(tags: Tags, tl: Timeline) -> bytes:
    """The MP3's ID3v2.4 tag, as bytes to put before the first frame: text frames, a real
    COMM comment (players show a TXXX frame named "comment" as no comment at all), and one
    CHAP per chapter under a CTOC, in the chapters' order.

    mutagen makes every frame; it stores them largest-last, so the frames are put back in
    order here (ffprobe and ffmpeg list CHAP frames in the order they stand)."""
    from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TIT2, TLAN, TPE1, TSSE, CTOCFlags

    from coach import languages

    tag = ID3()
    tag.add(TIT2(encoding=3, text=tags.title))
    tag.add(TPE1(encoding=3, text=tags.artist))
    tag.add(TALB(encoding=3, text=tags.album))
    tag.add(TCON(encoding=3, text=tags.genre))
    iso = languages.get(tags.language).iso639_2
    tag.add(COMM(encoding=3, lang=iso, desc="", text=tags.comment))
    tag.add(TLAN(encoding=3, text=iso))
    version = lame_version()
    tag.add(TSSE(encoding=3, text=f"LAME {version}" if version else "ffmpeg"))
    ids = [f"ch{i}" for i in range(len(tl.chapters))]
    tag.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=tags.title)],
        )
    )
    for cid, c in zip(ids, tl.chapters):
        tag.add(
            CHAP(
                element_id=cid,
                start_time=round(c.start * 1000 / tl.rate),
                end_time=round(c.end * 1000 / tl.rate),
                start_offset=0xFFFFFFFF,
                end_offset=0xFFFFFFFF,
                sub_frames=[TIT2(encoding=3, text=c.title)],
            )
        )
    buffer = io.BytesIO()
    tag.save(buffer, v2_version=4, padding=lambda info: 0)
    data = buffer.getvalue()
    frames: list[bytes] = []
    at, end = 10, 10 + _syncsafe(data[6:10])
    while at + 10 <= end and data[at] != 0:
        size = 10 + _syncsafe(data[at + 4 : at + 8])
        frames.append(data[at : at + size])
        at += size
    rank = {
        fid: i
        for i, fid in enumerate(
            [b"TIT2", b"TPE1", b"TALB", b"TCON", b"COMM", b"TLAN", b"TSSE", b"CTOC", b"CHAP"]
        )
    }

    def place(raw: bytes) -> tuple[int, int]:  # a frame's rank, then its chapter
        # A CHAP frame's body starts with its element id ("ch3"), NUL-terminated.
        chapter = int(raw[12 : raw.index(b"\0", 10)]) if raw[:4] == b"CHAP" else 0
        return rank.get(raw[:4], len(rank)), chapter

    frames.sort(key=place)
    return data[:10] + b"".join(frames)


def _syncsafe(four: bytes) -> int:
    """An ID3v2.4 size: four bytes of seven bits each."""
    return (four[0] << 21) | (four[1] << 14) | (four[2] << 7) | four[3]


def _prepend(head: bytes, source: Path, target: Path) -> None:
    """Write ``head`` then the whole of ``source`` into ``target``."""
    with open(target, "wb") as out, open(source, "rb") as src:
        out.write(head)
        shutil.copyfileobj(src, out, 1 << 20)


def add_wav_cues(path: Path, tl: Timeline) -> None:
    """Append the chapters to the WAV at ``path`` as a RIFF ``cue `` chunk (one cue point
    per chapter, at its first sample) and a ``LIST``/``adtl`` chunk with a ``labl`` (the
    title, UTF-8) per cue point, then fix the RIFF size. Readers that know these chunks
    (Audacity, Sound Forge, Reaper, Python's ``chunk``) show them as markers; others skip
    them, as RIFF requires."""
    cue = struct.pack("<I", len(tl.chapters))
    labels = b"adtl"
    for i, c in enumerate(tl.chapters, 1):
        cue += struct.pack("<II4sIII", i, c.start, b"data", 0, 0, c.start)
        text = c.title.encode("utf-8") + b"\0"
        labels += _chunk(b"labl", struct.pack("<I", i) + text)
    with open(path, "r+b") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise OutputError(f"ffmpeg wrote no RIFF WAVE header to {path}")
        f.seek(0, os.SEEK_END)
        if f.tell() % 2:
            f.write(b"\0")  # every chunk starts on an even offset
        f.write(_chunk(b"cue ", cue) + _chunk(b"LIST", labels))
        size = f.tell() - 8
        if size > 0xFFFFFFFF:
            raise InputError(f"{path}: over 4 GB, too long for a WAV file")
        f.seek(4)
        f.write(struct.pack("<I", size))


def _chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _guard_disk(path: Path, write: Callable[[], None]) -> None:
    """Run ``write`` (which changes ``path``); a full disk becomes OutputError."""
    try:
        write()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OutputError(f"{path.parent}: the disk is full; nothing was written") from None
        raise
    except Exception as exc:  # mutagen wraps its I/O errors
        cause = exc.__context__ or exc.__cause__
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OutputError(f"{path.parent}: the disk is full; nothing was written") from None
        raise


def _feed(
    pipe: IO[bytes], blocks: Iterable[np.ndarray], progress: Callable[[int], None] | None
) -> None:
    """Write ``blocks`` to ``pipe`` from a second thread, so that making the next block
    (levelling and mixing) overlaps ffmpeg encoding the last one; then close the pipe.
    A pipe that breaks (ffmpeg stopped) ends the feed quietly: ffmpeg's status says why."""
    queue: Queue[bytes | None] = Queue(maxsize=3)
    broken = threading.Event()

    def write() -> None:
        try:
            while (data := queue.get()) is not None:
                if not broken.is_set():
                    pipe.write(data)
            pipe.close()
        except (BrokenPipeError, ValueError):
            broken.set()
            while queue.get() is not None:  # let the producer finish or stop
                pass

    writer = threading.Thread(target=write, name="coach-ffmpeg-feed", daemon=True)
    writer.start()
    done = 0
    try:
        for block in blocks:
            if broken.is_set():
                break
            queue.put(np.ascontiguousarray(block, dtype="<i2").tobytes())
            done += len(block)
            if progress:
                progress(done)
    finally:
        queue.put(None)
        writer.join()


def _ffmpeg(
    program: str,
    args: list[str],
    log: Path,
    blocks: Iterable[np.ndarray] | None = None,
    progress: Callable[[int], None] | None = None,
    stdout: IO[bytes] | None = None,
) -> None:
    """Run ffmpeg with ``args`` (an argument list, never a shell), feeding ``blocks`` to its
    standard input when given; its standard output goes to ``stdout`` when given. Raises
    OutputError when it fails."""
    cmd = [program, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if blocks is not None else subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )  # Ctrl-C reaches coach, which stops ffmpeg
        try:
            if blocks is not None:
                assert proc.stdin is not None
                _feed(proc.stdin, blocks, progress)
            status = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    if status != 0:
        message = log.read_text("utf-8", "replace").strip().splitlines()
        last = message[-1] if message else f"exit status {status}"
        if stdout is not None and "Broken pipe" in "\n".join(message):
            raise OutputError(CLOSED)
        if "No space left" in "\n".join(message):
            if stdout is not None:
                raise OutputError(STDOUT_FULL)
            raise OutputError(f"{Path(args[-1]).parent}: the disk is full; nothing was written")
        raise OutputError(f"ffmpeg failed: {last}")

"""The exported audio, measured: through the real CLI, decoded with the real ffmpeg.

The anma routine is exported three times in this file (the shared MP3 fixture, then
--no-tones and --mono for loudness); everything else uses the MINI routine.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import mutagen.id3
import mutagen.mp3
import numpy as np
import pytest

from coach import tones
from coach.sounds import Sound
from conftest import (
    MINI,
    RATE,
    coach_bin,
    decode,
    ebur128,
    longest_silence,
    make_sound,
    plan,
    probe,
    run_coach,
)

MP3_FRAME = 1152
#: "-16 LUFS integrated ±1 LU, true peak at most -1 dBTP"
TARGET_LUFS, LUFS_TOLERANCE, MAX_TRUE_PEAK = -16.0, 1.0, -1.0
MONO_TARGET_LUFS = -19.0  # a mono file is played on two speakers
HEARD_DB, SILENT_DB, EDGE = -45.0, -60.0, 0.010
TONE_WINDOW = 0.25


def dbfs(x: np.ndarray) -> float:
    """RMS of int16 samples (any shape) in dB below full scale."""
    power = np.mean((np.asarray(x, dtype=np.float64) / 32768.0) ** 2) if x.size else 0.0
    return 10 * np.log10(power) if power > 0 else -np.inf


def samples(seconds: float) -> int:
    return round(seconds * RATE)


def window(e: dict, kind: str) -> tuple[int, int]:
    """The samples measured for an event: a speech line whole, a tone's first quarter
    second, a pause less EDGE at each end."""
    if kind == "tone":
        return samples(e["start"]), samples(min(e["end"], e["start"] + TONE_WINDOW))
    if kind == "pause":
        return samples(e["start"] + EDGE), samples(e["end"] - EDGE)
    return samples(e["start"]), samples(e["end"])


def tone_only(events: list[dict], kind: str = "tone") -> list[dict]:
    """Tone events (or, ``kind="timing"``, the slots a voice-only plan keeps for time)
    whose measured window overlaps no speech."""
    speech = [(e["start"], e["end"]) for e in events if e["kind"] == "speech"]
    out = []
    for e in events:
        if e["kind"] != kind:
            continue
        a, b = e["start"], min(e["end"], e["start"] + TONE_WINDOW)
        if not any(s < b and t > a for s, t in speech):
            out.append(e)
    return out


def power_mean_db(levels_db: list[float]) -> float:
    return float(10 * np.log10(np.mean(10 ** (np.array(levels_db) / 10))))


# ---- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anma(anma_export) -> tuple[Path, dict, np.ndarray]:
    path, p = anma_export
    return path, p, decode(path)


@pytest.fixture(scope="module")
def anma_variant(tmp_path_factory) -> Callable[[str], Path]:
    """The anma routine exported with one more option (each at most once)."""
    folder = tmp_path_factory.mktemp("anma-variants")
    made: dict[str, Path] = {}

    def get(option: str) -> Path:
        if option not in made:
            out = folder / f"anma{option}.mp3"
            r = run_coach("export", "anma", option, "-o", out)
            assert r.returncode == 0, r.stderr
            made[option] = out
        return made[option]

    return get


@pytest.fixture(scope="module")
def mini_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mini") / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mini_export(mini_file, tmp_path_factory) -> Callable[..., Path]:
    """MINI exported as ``name`` with ``args``, each combination once per module."""
    folder = tmp_path_factory.mktemp("mini-exports")
    made: dict[tuple, Path] = {}

    def get(name: str, *args: str) -> Path:
        key = (name, *args)
        if key not in made:
            out = folder / name
            r = run_coach("export", mini_file, "-o", out, *args)
            assert r.returncode == 0, r.stderr
            assert out.is_file()
            made[key] = out
        return made[key]

    return get


@pytest.fixture(scope="module")
def mini_plan(mini_file) -> Callable[..., dict]:
    made: dict[tuple, dict] = {}

    def get(*args: str) -> dict:
        if args not in made:
            made[args] = plan(mini_file, *args)
        return made[args]

    return get


# ---- the anma MP3 against its plan ----------------------------------------------------


def test_duration_matches_the_plan(anma):
    path, p, audio = anma
    fmt = probe(path)["format"]
    stream = probe(path)["streams"][0]
    # ffprobe counts the encoder's delay (reported as start_time) in the duration.
    delay = float(stream.get("start_time", 0.0))
    assert delay < 2 * MP3_FRAME / RATE
    assert abs(float(fmt["duration"]) - delay - p["duration"]) <= MP3_FRAME / RATE
    # Decoded (the decoder drops the delay and padding): the very samples of the plan.
    assert abs(len(audio) - p["duration"] * RATE) <= MP3_FRAME
    assert int(stream["sample_rate"]) == RATE and int(stream["channels"]) == 2
    assert stream["codec_name"] == "mp3"


def test_chapters_match_the_plan(anma):
    path, p, _ = anma
    found = probe(path)["chapters"]
    assert [c["tags"]["title"] for c in found] == [c["title"] for c in p["chapters"]]
    assert found[0]["tags"]["title"] == "Introduction" and found[-1]["tags"]["title"] == "Closing"
    assert len(found) == 8  # intro, six steps, closing
    for got, want in zip(found, p["chapters"]):
        assert float(got["start_time"]) == pytest.approx(want["start"], abs=0.001)
        assert float(got["end_time"]) == pytest.approx(want["end"], abs=0.001)
    # The chapters cover the session without gaps.
    assert p["chapters"][0]["start"] == 0.0
    assert p["chapters"][-1]["end"] == pytest.approx(p["duration"])
    for a, b in zip(p["chapters"], p["chapters"][1:]):
        assert a["end"] == b["start"]


def test_tags(anma):
    path, _, _ = anma
    tags = {k.lower(): v for k, v in probe(path)["format"]["tags"].items()}
    assert tags["title"] == "Anma facial massage"
    assert tags["artist"] == "coach"


def test_comment_is_a_real_id3_comm_frame(anma):
    # Players show COMM as the comment; a TXXX frame named "comment" they show as nothing.
    tags = mutagen.id3.ID3(anma[0])
    assert tags.version[:2] == (2, 4)
    comments = tags.getall("COMM")
    assert len(comments) == 1 and comments[0].text == ["pace normal, made with coach 0.1.0"]
    assert comments[0].lang == "eng" and comments[0].desc == ""
    assert not tags.getall("TXXX")
    # mutagen reads the chapters too, in order, inside one ordered table of contents.
    toc = tags.getall("CTOC")[0]
    chaps = tags.getall("CHAP")
    steps = len(anma[1]["chapters"])
    assert (
        [c.element_id for c in chaps] == toc.child_element_ids == [f"ch{i}" for i in range(steps)]
    )
    assert [c.sub_frames["TIT2"].text[0] for c in chaps][0] == "Introduction"


@pytest.mark.parametrize("option", ["", "--mono"])
def test_mutagen_reads_the_true_length(anma, anma_variant, option):
    # ffmpeg writes a Xing/LAME header with the encoder delay and padding; named as
    # LAME's (which encoded it), ordinary readers trust it and drop the padding: the
    # length they report is the decoded sample count exactly (it was 383.974 s for a
    # 383.918 s session).
    path = anma[0] if not option else anma_variant(option)
    info = mutagen.mp3.MP3(path).info
    assert info.channels == (1 if option else 2)
    assert info.encoder_info.startswith("LAME 3.")
    decoded = len(anma[2]) if not option else len(decode(path))
    assert info.length * RATE == pytest.approx(decoded, abs=0.5)
    assert abs(info.length - anma[1]["duration"]) <= MP3_FRAME / RATE


BITRATES_MPEG2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]


@pytest.mark.parametrize("option", ["", "--mono"])
def test_a_constant_rate_reader_gets_the_length_from_the_first_frame(anma, anma_variant, option):
    # eyeD3's way for a constant-rate file ("Info" header): audio bytes over the first
    # frame's size, times the time per frame. It held for stereo and read a mono file as
    # 329.8 s, because ffmpeg wrote the header frame at another bit rate than the rest.
    path = anma[0] if not option else anma_variant(option)
    data = path.read_bytes()
    start = mutagen.id3.ID3(path).size  # the tag, header included
    assert data[start] == 0xFF and data[start + 1] & 0xE0 == 0xE0

    def frame(at: int) -> tuple[int, int]:  # (kbit/s, bytes) of an MPEG-2 layer III frame
        kbps = BITRATES_MPEG2_L3[data[at + 2] >> 4]
        return kbps, 72 * kbps * 1000 // RATE + (data[at + 2] >> 1 & 1)

    first, size = frame(start)
    assert first == frame(start + size)[0] == (64 if option else 96)
    seconds = (len(data) - start) / size * (576 / RATE)
    # Counted in: the header frame, the encoder delay (a frame) and the padding (< 2).
    assert abs(seconds - anma[1]["duration"]) <= 4 * 576 / RATE


def test_every_line_and_tone_is_heard_and_every_pause_is_silent(anma):
    _, p, audio = anma
    counts = {"speech": 0, "tone": 0, "pause": 0}
    problems = []
    for e in p["events"]:
        kind = e["kind"]
        a, b = window(e, kind)
        if b <= a:
            continue
        level = dbfs(audio[a:b])
        counts[kind] += 1
        if kind in ("speech", "tone") and not level > HEARD_DB:
            problems.append(
                f"{kind} at {e['start']:.3f} s ({e.get('text') or e.get('sound')}): "
                f"{level:.1f} dBFS"
            )
        if kind == "pause" and not level < SILENT_DB:
            problems.append(f"pause {e['start']:.3f}-{e['end']:.3f} s: {level:.1f} dBFS")
    assert problems == []
    assert counts["speech"] > 30 and counts["tone"] > 80 and counts["pause"] > 20, counts


def test_no_silence_longer_than_five_seconds(anma):
    _, _, audio = anma
    longest, silent_frames = longest_silence(audio)
    assert longest <= 5.0, f"{longest:.2f} s of silence"
    # The scan does see silence: pauses exist and are found.
    assert silent_frames > 20


# ---- loudness -------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["", "--no-tones", "--mono"])
def test_loudness_and_true_peak(anma, anma_variant, option):
    path = anma[0] if not option else anma_variant(option)
    integrated, true_peak = ebur128(path)
    target = MONO_TARGET_LUFS if option == "--mono" else TARGET_LUFS
    assert abs(integrated - target) <= LUFS_TOLERANCE, f"{option or 'default'}: {integrated} LUFS"
    assert true_peak <= MAX_TRUE_PEAK, f"{option or 'default'}: {true_peak} dBTP"


def test_mono_export_has_one_channel(anma, anma_variant):
    path = anma_variant("--mono")
    stream = probe(path)["streams"][0]
    assert int(stream["channels"]) == 1
    mono = decode(path)
    assert mono.shape[1] == 1
    # Same session, same clock: the mono file is as long as the stereo one.
    assert len(mono) == len(anma[2])


def test_no_tones_export_has_only_the_voice(anma, anma_variant):
    # Its own plan: without tones the voice counts and says when to hold and release.
    p = plan("anma", "--no-tones")
    audio = decode(anma_variant("--no-tones"))
    assert len(audio) == round(p["duration"] * RATE)
    spoken = [e["text"] for e in p["events"] if e["kind"] == "speech"]
    assert {"one", "Hold.", "Release."} <= set(spoken)
    # The plan lists no tone: the slots it keeps for the time are timing, and silent.
    assert not [e for e in p["events"] if e["kind"] == "tone"]
    alone = tone_only(p["events"], "timing")
    assert len(alone) > 5  # (the voice counts or breathes over most of the rhythm)
    for e in alone:
        a, b = window(e, "tone")
        assert dbfs(audio[a:b]) < SILENT_DB, e


def test_tones_sit_well_below_the_voice(anma):
    _, p, audio = anma
    speech = [
        dbfs(audio[slice(*window(e, "speech"))]) for e in p["events"] if e["kind"] == "speech"
    ]
    tone = [dbfs(audio[slice(*window(e, "tone"))]) for e in tone_only(p["events"])]
    gap = power_mean_db(speech) - power_mean_db(tone)
    assert gap >= 10.0, f"tones only {gap:.1f} dB under the voice"
    # No kind of tone is as loud as a typical line.
    assert max(tone) < np.median(speech) - 6.0


def test_tone_volume_moves_the_tones_against_the_voice(mini_export, mini_plan):
    # --tone-volume moves the tones against the voice by exactly that much; the session's
    # gain then moves both together, so the whole stays at its loudness.
    p = mini_plan()
    base = decode(mini_export("mini.wav"))
    quiet = decode(mini_export("quiet.wav", "--tone-volume", "-10"))
    assert base.shape == quiet.shape
    tones_ = [e for e in p["events"] if e["kind"] == "tone"]
    speech = [
        slice(*window(e, "speech"))
        for e in p["events"]
        if e["kind"] == "speech"
        and not any(t["start"] < e["end"] and e["start"] < t["end"] for t in tones_)
    ]
    assert len(speech) >= 5
    shift = [dbfs(quiet[w]) - dbfs(base[w]) for w in speech]
    common = float(np.median(shift))  # the change of the session's gain
    # (A line the limiter bends changes its RMS a little more or less than its loudness.)
    assert all(s == pytest.approx(common, abs=0.5) for s in shift), shift
    alone = tone_only(p["events"])
    assert len(alone) >= 8
    for e in alone:
        w = slice(*window(e, "tone"))
        assert dbfs(quiet[w]) - dbfs(base[w]) - common == pytest.approx(-10.0, abs=0.3), e


# ---- panning --------------------------------------------------------------------------


def test_one_side_at_a_time_is_panned(mini_export, mini_plan):
    p = mini_plan()
    audio = decode(mini_export("mini.wav"))
    strokes = next(c for c in p["chapters"] if c["title"] == "Strokes")
    in_step = [e for e in p["events"] if strokes["start"] <= e["start"] < strokes["end"]]
    sides = {-1: [], 1: []}
    for e in tone_only(in_step):
        if e["pan"]:
            w = slice(*window(e, "tone"))
            sides[int(np.sign(e["pan"]))].append(dbfs(audio[w, 0]) - dbfs(audio[w, 1]))
    # Far side at 1 - 0.6 = 0.4 of the near side: 8 dB.
    expected = -20 * np.log10(0.4)
    assert len(sides[-1]) >= 6 and len(sides[1]) >= 6, sides
    assert all(d == pytest.approx(expected, abs=0.2) for d in sides[-1]), sides
    assert all(d == pytest.approx(-expected, abs=0.2) for d in sides[1]), sides
    # The side announcements follow their side; the step's own lines stay centred.
    for e in (e for e in in_step if e["kind"] == "speech"):
        w = slice(*window(e, "speech"))
        diff = dbfs(audio[w, 0]) - dbfs(audio[w, 1])
        if e["pan"] < 0:
            assert diff == pytest.approx(expected, abs=0.2), e
        elif e["pan"] > 0:
            assert diff == pytest.approx(-expected, abs=0.2), e
        else:
            assert diff == pytest.approx(0.0, abs=0.05), e
    centred = [e for e in p["events"] if e["kind"] == "speech" and e["pan"] == 0]
    assert len(centred) >= 5
    for e in centred:
        w = slice(*window(e, "speech"))
        assert np.array_equal(audio[w, 0], audio[w, 1]), e


# ---- pace -----------------------------------------------------------------------------


def _stroke_onsets_in_plan(p: dict) -> list[tuple[int, float]]:
    """(start sample, pan) of each stroke tone."""
    return [
        (samples(e["start"]), e["pan"])
        for e in p["events"]
        if e["kind"] == "tone" and e["sound"] == "stroke"
    ]


def _stroke_onsets_in_audio(audio: np.ndarray) -> list[int]:
    """Where the stroke tone starts, found by matched filtering: the normalised
    correlation of the mixed-down audio with the stroke sound peaks at each onset."""
    x = audio.astype(np.float64).sum(axis=1)
    t = tones.load(Sound.STROKE).astype(np.float64)
    n = len(x) + len(t)
    n_fft = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, n_fft) * np.conj(np.fft.rfft(t, n_fft)), n_fft)[: len(x)]
    energy = np.concatenate(([0.0], np.cumsum(x**2)))
    ends = np.minimum(np.arange(len(x)) + len(t), len(x))
    local = energy[ends] - energy[: len(x)]
    score = corr / (np.sqrt(np.maximum(local, 1e-9)) * np.linalg.norm(t))
    peaks = []
    for i in np.flatnonzero(score > 0.95):
        if peaks and i - peaks[-1] < RATE:
            if score[i] > score[peaks[-1]]:
                peaks[-1] = i
            continue
        peaks.append(int(i))
    return peaks


def test_pace_scales_the_rhythm(mini_export, mini_plan):
    found = {}
    for pace in ("slow", "fast"):
        p = mini_plan("--pace", pace)
        planned = _stroke_onsets_in_plan(p)
        heard = _stroke_onsets_in_audio(decode(mini_export(f"{pace}.wav", "--pace", pace)))
        assert len(planned) == 4  # two per side
        assert len(heard) == len(planned), (heard, planned)
        for (at, _), got in zip(planned, heard):
            assert abs(got - at) <= samples(0.002), (pace, got, at)
        found[pace] = (planned, heard)
    ratio = 1.25 / 0.8
    for i in (0, 2):  # consecutive strokes on the same side
        slow_plan = found["slow"][0][i + 1][0] - found["slow"][0][i][0]
        fast_plan = found["fast"][0][i + 1][0] - found["fast"][0][i][0]
        # Stroke, hold and release (time to return): (1.5 + 3.0 + 1.6) s at the normal pace.
        assert fast_plan == pytest.approx(6.1 * 0.8 * RATE, abs=2)
        assert abs(slow_plan - ratio * fast_plan) <= 2
        slow_heard = found["slow"][1][i + 1] - found["slow"][1][i]
        fast_heard = found["fast"][1][i + 1] - found["fast"][1][i]
        assert abs(slow_heard - ratio * fast_heard) <= samples(0.010)
        assert abs(slow_heard - slow_plan) <= samples(0.002)


# ---- formats and names ----------------------------------------------------------------


def test_wav_and_ogg_have_the_same_length(mini_export, mini_plan):
    p = mini_plan()
    wav, ogg = mini_export("mini.wav"), mini_export("mini.ogg")
    assert probe(wav)["streams"][0]["codec_name"] == "pcm_s16le"
    assert probe(ogg)["streams"][0]["codec_name"] == "vorbis"
    a, b = decode(wav), decode(ogg)
    assert a.shape[1] == b.shape[1] == 2
    assert len(a) == samples(p["duration"])
    assert abs(len(b) - len(a)) <= 1
    # Both carry the tags (OGG in its stream's comments, WAV in LIST/INFO) and the
    # chapters (OGG as CHAPTERnnn comments, WAV as cue points with labels).
    for path in (wav, ogg):
        info = probe(path)
        tags = {
            k.lower(): v
            for k, v in {
                **info["format"].get("tags", {}),
                **info["streams"][0].get("tags", {}),
            }.items()
        }
        assert tags["title"] == "Mini" and tags["artist"] == "coach", path
        found = info["chapters"]
        assert [c["tags"]["title"] for c in found] == [c["title"] for c in p["chapters"]], path
        for got, want in zip(found, p["chapters"]):
            assert float(got["start_time"]) == pytest.approx(want["start"], abs=0.001)


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A RIFF file's top-level chunks (id, body), walked by the RIFF rules."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    out, at = [], 12
    while at < len(data):
        fourcc, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        out.append((fourcc, data[at + 8 : at + 8 + size]))
        at += 8 + size + size % 2
    assert at == len(data)
    return out


def test_the_same_session_is_the_same_bytes_in_every_format(mini_export, mini_file, tmp_path):
    # OGG's muxer would pick a random stream serial: a session must be the same file twice.
    for name in ("mini.mp3", "mini.ogg", "mini.wav"):
        again = tmp_path / name
        r = run_coach("export", mini_file, "-o", again)
        assert r.returncode == 0, r.stderr
        assert again.read_bytes() == mini_export(name).read_bytes(), name
    command = [str(coach_bin()), "export", str(mini_file), "--format", "ogg", "-o", "-"]
    streamed = [subprocess.run(command, capture_output=True, check=True).stdout for _ in "12"]
    assert streamed[0] == streamed[1] and streamed[0].startswith(b"OggS")


def test_wav_chapters_are_cue_points_with_labels(mini_export, mini_plan):
    p = mini_plan()
    wav = mini_export("mini.wav")
    chunks = dict(riff_chunks(wav.read_bytes()))
    assert len(chunks[b"data"]) == len(decode(wav)) * 4  # the sound is all in "data"
    cue = chunks[b"cue "]
    count = struct.unpack("<I", cue[:4])[0]
    points = [struct.unpack("<II4sIII", cue[4 + 24 * i : 28 + 24 * i]) for i in range(count)]
    assert count == len(p["chapters"])
    for (_ident, position, chunk_id, _, _, offset), want in zip(points, p["chapters"]):
        assert chunk_id == b"data" and position == offset
        assert abs(offset - want["start"] * RATE) < 0.5
    adtl = chunks[b"LIST"] if chunks[b"LIST"][:4] == b"adtl" else None
    assert adtl is not None
    labels, at = {}, 4
    while at < len(adtl):
        fourcc, size = adtl[at : at + 4], struct.unpack("<I", adtl[at + 4 : at + 8])[0]
        body = adtl[at + 8 : at + 8 + size]
        assert fourcc == b"labl"
        labels[struct.unpack("<I", body[:4])[0]] = body[4:].rstrip(b"\0").decode("utf-8")
        at += 8 + size + size % 2
    assert [labels[ident] for ident, *_ in points] == [c["title"] for c in p["chapters"]]


RENDER_PCM = """
import sys
from coach.catalog import resolve
from coach.render import Renderer
from coach.session import Options, Session

session = Session(resolve(sys.argv[1]), Options())
tl = session.timeline()  # voice and tones only: without a bed
sys.stdout.buffer.write(Renderer(tl.events, session.clips, session.mix).pcm(0, tl.length).tobytes())
"""


def test_wav_is_the_rendered_pcm(mini_export, mini_file):
    # The WAV holds exactly the samples the renderer makes: nothing is lost or shifted
    # on the way through the ffmpeg pipe. (Rendered in a fresh process, like coach's:
    # eSpeak's noise source makes a process's later clips differ by a few samples.)
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", RENDER_PCM, str(mini_file)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pcm = np.frombuffer(r.stdout, dtype=np.int16).reshape(-1, 2)
    audio = decode(mini_export("mini.wav"))
    assert audio.shape == pcm.shape
    assert np.array_equal(audio, pcm)


def test_default_output_name(mini_file, tmp_path):
    r = run_coach("export", mini_file, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "mini.mp3"
    assert out.is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["mini.mp3"]
    assert "mini.mp3" in r.stdout
    assert probe(out)["streams"][0]["codec_name"] == "mp3"


# ---- cue sheets -----------------------------------------------------------------------


def _ms(seconds: float) -> int:
    return samples(seconds) * 1000 // RATE


def _parse_clock(text: str) -> int:
    h, m, s, ms = map(int, re.split(r"[:.,]", text))
    return ((h * 60 + m) * 60 + s) * 1000 + ms


@pytest.mark.parametrize("audio,cues", [("cued.wav", "cues.vtt"), ("cued.ogg", "cues.srt")])
def test_vtt_and_srt_cue_sheets(mini_file, mini_plan, tmp_path, audio, cues):
    p = mini_plan()
    r = run_coach("export", mini_file, "-o", tmp_path / audio, "--cues", tmp_path / cues)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / cues).read_text(encoding="utf-8")
    lines = [e for e in p["events"] if e["kind"] == "speech"]
    if cues.endswith(".vtt"):
        assert text.startswith("WEBVTT\nLanguage: en\n\n")
        text = text[len("WEBVTT\nLanguage: en\n") :]
    blocks = [b.splitlines() for b in text.strip().split("\n\n")]
    assert len(blocks) == len(lines)
    sep = "." if cues.endswith(".vtt") else ","
    for i, (block, e) in enumerate(zip(blocks, lines), 1):
        assert block[0] == str(i)
        m = re.fullmatch(
            rf"(\d\d:\d\d:\d\d{re.escape(sep)}\d\d\d) --> (\d\d:\d\d:\d\d{re.escape(sep)}\d\d\d)",
            block[1],
        )
        assert m, block
        assert _parse_clock(m.group(1)) == _ms(e["start"]), (block, e)
        assert _parse_clock(m.group(2)) == _ms(e["end"]), (block, e)
        assert "\n".join(block[2:]) == e["text"]
    assert not list(tmp_path.glob(".*.part"))


def test_lrc_cue_sheet(mini_file, mini_plan, tmp_path):
    p = mini_plan()
    r = run_coach("export", mini_file, "-o", tmp_path / "cued.mp3", "--cues", tmp_path / "cues.lrc")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "cues.lrc").read_text(encoding="utf-8").splitlines()
    assert text[0] == f"[ti:{p['title']}]"
    timed = [line for line in text if re.match(r"\[\d\d:\d\d\.\d\d\]", line)]
    lines = [e for e in p["events"] if e["kind"] == "speech"]
    assert len(timed) == len(lines)
    for line, e in zip(timed, lines):
        m = re.fullmatch(r"\[(\d\d):(\d\d)\.(\d\d)\](.*)", line)
        assert m, line
        cs = (int(m.group(1)) * 60 + int(m.group(2))) * 100 + int(m.group(3))
        assert cs == samples(e["start"]) * 100 // RATE, (line, e)
        assert m.group(4) == e["text"]


@pytest.mark.parametrize("name", ["cues.txt", "cues", "cues.VTT.bak"])
def test_bad_cue_suffix_exits_2_and_writes_nothing(mini_file, tmp_path, name):
    r = run_coach("export", mini_file, "-o", tmp_path / "out.mp3", "--cues", tmp_path / name)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "--cues" in r.stderr
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_plan_json_is_consistent(mini_plan):
    # What the tests above rely on: times in seconds on a 22,050 Hz clock, sorted events.
    p = mini_plan()
    assert p["sample_rate"] == RATE and p["routine"] == "mini"
    starts = [e["start"] for e in p["events"]]
    assert starts == sorted(starts)
    for e in p["events"]:
        for key in ("start", "end"):
            assert abs(e[key] * RATE - samples(e[key])) < 1e-6
    json.dumps(p)


# ---- the other built-in routines, and sound packs -----------------------------------------


@pytest.mark.parametrize("name", ["quick", "evening", "neck"])
def test_each_builtin_is_loud_enough_and_never_silent_for_long(name, tmp_path):
    out = tmp_path / f"{name}.mp3"
    result = run_coach("export", name, "-o", out)
    assert result.returncode == 0, result.stderr
    integrated, true_peak = ebur128(out)
    assert abs(integrated - TARGET_LUFS) <= LUFS_TOLERANCE, f"{name}: {integrated} LUFS"
    assert true_peak <= MAX_TRUE_PEAK, f"{name}: {true_peak} dBTP"
    audio = decode(out)
    frame = samples(0.05)
    n = len(audio) // frame
    power = np.mean(
        (audio[: n * frame].astype(np.float64) / 32768.0).reshape(n, frame, -1) ** 2, axis=(1, 2)
    )
    longest = run = 0
    for silent in 10 * np.log10(np.maximum(power, 1e-20)) < -55.0:
        run = run + 1 if silent else 0
        longest = max(longest, run)
    assert longest * 0.05 <= 5.0, f"{name}: {longest * 0.05:.2f} s of silence"


def _pack(folder: Path) -> Path:
    """A sound pack in OGG and FLAC, made with ffmpeg: steady tones, louder in loudness at
    the same peak than the decaying built-ins, so levelling must hold the session's loudness."""

    folder.mkdir()
    for name, source, suffix in (
        ("circle", "sine=frequency=300:duration=0.9", "ogg"),
        ("stroke", "sine=frequency=440:duration=0.6", "flac"),
        ("pluck", "sine=frequency=900:duration=0.15", "ogg"),
        ("bell", "sine=frequency=528:duration=2.4", "flac"),
    ):
        make_sound(folder / f"{name}.{suffix}", source, "-af", "volume=0.9")
    return folder


def test_a_sound_pack_is_heard_and_the_session_keeps_its_loudness(tmp_path, anma):
    pack = _pack(tmp_path / "pack")
    out = tmp_path / "packed.mp3"
    result = run_coach("export", "anma", "--sounds", pack, "-o", out)
    assert result.returncode == 0, result.stderr
    integrated, true_peak = ebur128(out)
    assert abs(integrated - TARGET_LUFS) <= LUFS_TOLERANCE
    assert true_peak <= MAX_TRUE_PEAK
    assert abs(integrated - ebur128(anma[0])[0]) <= 0.5
    # The first circle tone is the pack's 300 Hz, not the built-in 392 Hz.
    _, p, _ = anma
    circle = next(e for e in p["events"] if e["kind"] == "tone" and e["sound"] == "circle")
    audio = decode(out)[samples(circle["start"]) + 2000 : samples(circle["start"]) + 2000 + 4800, 0]
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64)))
    assert np.argmax(spectrum) * RATE / len(audio) == pytest.approx(300, abs=10)


def test_a_broken_sound_file_stops_export_before_any_audio(tmp_path):
    pack = _pack(tmp_path / "pack")
    (pack / "hold.ogg").write_bytes(b"OggS" + bytes(200))
    out = tmp_path / "out.mp3"
    out.write_bytes(b"the previous file")
    result = run_coach("export", "anma", "--sounds", pack, "-o", out)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"coach: {pack / 'hold.ogg'}: cannot be read as a sound "
        + result.stderr.split("cannot be read as a sound ", 1)[1]
    )
    assert result.stderr.count("\n") == 1
    assert out.read_bytes() == b"the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp3", "pack"]

"""The tones and bells: synthesis, the committed WAV files, loading and the sustain pad."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from coach import tones
from coach.clock import RATE
from coach.sounds import Sound

ONE_SHOTS = [s for s in Sound if s is not Sound.SUSTAIN]
LSB = 1 / 32767


@pytest.mark.parametrize("sound", list(Sound), ids=lambda s: s.value)
def test_synthesis_is_deterministic_finite_and_at_peak(sound):
    a, b = tones.synthesize(sound), tones.synthesize(sound)
    assert a.dtype == np.float32 and a.ndim == 1
    assert np.array_equal(a, b)
    assert np.all(np.isfinite(a))
    assert np.max(np.abs(a)) == pytest.approx(tones.PEAK, rel=1e-6)
    assert 0.1 * RATE <= len(a) <= 4 * RATE
    # No DC offset: the mean is a tiny fraction of the peak.
    assert abs(float(np.mean(a))) < 1e-3 * tones.PEAK


@pytest.mark.parametrize("sound", ONE_SHOTS, ids=lambda s: s.value)
def test_one_shot_sounds_start_and_end_at_rest(sound):
    # A sound that starts or stops on a non-zero sample clicks.
    x = tones.synthesize(sound)
    assert abs(x[0]) < 1e-6 and abs(x[-1]) < 1e-6
    assert np.max(np.abs(x[:5])) < 0.02 * tones.PEAK
    assert np.max(np.abs(x[-5:])) < 0.02 * tones.PEAK


def test_sustain_loop_is_seamless():
    # The loop is tiled end to start: the jump across the seam is no bigger than any
    # step inside the loop, and the loop is exactly one second.
    x = tones.synthesize(Sound.SUSTAIN).astype(np.float64)
    assert len(x) == RATE
    seam = abs(x[0] - x[-1])
    assert seam <= np.max(np.abs(np.diff(x))) * 1.01


@pytest.mark.parametrize("sound", list(Sound), ids=lambda s: s.value)
def test_committed_wav_is_what_make_sounds_writes(sound):
    """sounds/NAME.wav equals tones.synthesize within 1 LSB: rerun scripts/make-sounds
    after changing a sound."""
    path = tones.sounds_dir() / f"{sound.value}.wav"
    assert path.is_file(), f"{path} is missing: run scripts/make-sounds"
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        stored = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int32)
    made = tones.to_pcm16(tones.synthesize(sound)).astype(np.int32)
    assert len(stored) == len(made), f"{path}: stale, run scripts/make-sounds"
    assert np.max(np.abs(stored - made)) <= 1, f"{path}: stale, run scripts/make-sounds"


def test_sounds_folder_has_exactly_the_sounds():
    names = {p.stem for p in tones.sounds_dir().glob("*.wav")}
    assert names == {s.value for s in Sound}


@pytest.mark.parametrize("sound", list(Sound), ids=lambda s: s.value)
def test_load_reads_the_file(sound):
    loaded = tones.load(sound)
    assert loaded.dtype == np.float32
    assert np.max(np.abs(loaded - tones.synthesize(sound))) <= 1.5 * LSB


@pytest.fixture
def no_sound_files(tmp_path, monkeypatch):
    monkeypatch.setattr(tones, "sounds_dir", lambda: tmp_path)
    tones.load.cache_clear()
    yield tmp_path
    tones.load.cache_clear()


def test_load_falls_back_to_synthesis(no_sound_files):
    for sound in Sound:
        assert np.array_equal(tones.load(sound), tones.synthesize(sound))


def test_load_ignores_a_file_in_the_wrong_format(no_sound_files):
    # A stereo or 44.1 kHz file would play at the wrong speed or twice as long.
    tones.write_wav(no_sound_files / "bell.wav", np.zeros((100, 2), dtype=np.float32))
    tones.write_wav(no_sound_files / "pluck.wav", np.zeros(100, dtype=np.float32), rate=44_100)
    (no_sound_files / "press.wav").write_bytes(b"RIFF garbage")
    for sound in (Sound.BELL, Sound.PLUCK, Sound.PRESS):
        assert np.array_equal(tones.load(sound), tones.synthesize(sound))


def test_write_wav_round_trip(tmp_path):
    x = np.array([[0.0, 1.0], [-1.0, 0.5], [2.0, -2.0]], dtype=np.float32)
    tones.write_wav(tmp_path / "x.wav", x)
    with wave.open(str(tmp_path / "x.wav"), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (
            2,
            2,
            RATE,
            3,
        )
        data = np.frombuffer(w.readframes(3), dtype="<i2").reshape(3, 2)
    assert data.tolist() == [[0, 32767], [-32767, 16384], [32767, -32768]]


@pytest.mark.parametrize("n", [0, 1, 2, 100, int(0.3 * RATE), RATE, int(3.7 * RATE)])
def test_sustain_has_the_length_asked(n):
    x = tones.sustain(n)
    assert len(x) == n and x.dtype == np.float32
    assert np.all(np.isfinite(x))


def test_sustain_fades_in_and_out_and_loops_in_between():
    n = int(3.7 * RATE)
    x = tones.sustain(n)
    loop = tones.load(Sound.SUSTAIN)
    fade = int(0.25 * RATE)
    assert x[0] == 0.0 and x[-1] == 0.0
    tiled = np.resize(loop, n)
    # The fades are gains that rise (and fall) steadily from 0 to 1 over a quarter second.
    for edge, gains_from_edge in ((slice(0, fade), 1), (slice(n - fade, n), -1)):
        usable = np.abs(tiled[edge]) > 0.05
        gain = (x[edge][usable] / tiled[edge][usable])[::gains_from_edge]
        assert np.all(np.diff(gain) >= -1e-4)
        assert gain[0] < 0.01 and gain[-1] > 0.99
    # Between the fades the loop is tiled unchanged.
    middle = np.arange(fade, n - fade)
    assert np.array_equal(x[middle], loop[middle % len(loop)])


def test_sustain_short_fades_fit_the_length():
    # Shorter than two fades: each fade takes half, with no plateau and no overflow.
    n = int(0.3 * RATE)
    x = tones.sustain(n)
    assert x[0] == 0.0 and x[-1] == 0.0
    assert np.max(np.abs(x)) <= tones.PEAK + LSB
    assert np.argmax(np.abs(x)) in range(n // 4, 3 * n // 4)


# ---- sound packs ------------------------------------------------------------------------------

import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

from coach import levels  # noqa: E402
from coach.errors import InputError  # noqa: E402
from conftest import make_sound  # noqa: E402


def ffmpeg_sound(path: Path, source: str, seconds: float) -> Path:
    """A sound file made by ffmpeg from a lavfi ``source``; the format follows the suffix."""
    return make_sound(path, f"{source}:duration={seconds}", "-ar", "44100", "-ac", "2")


@pytest.fixture
def pack_folder(tmp_path):
    folder = tmp_path / "pack"
    folder.mkdir()
    ffmpeg_sound(folder / "bell.ogg", "sine=frequency=700", 2.0)  # Vorbis
    ffmpeg_sound(folder / "Circle.flac", "sine=frequency=250", 0.8)  # FLAC, name in any case
    (folder / "readme.txt").write_text("not a sound name: ignored")
    return folder


def test_pack_replaces_its_sounds_and_leaves_the_others(pack_folder):
    (pack_folder / "bell.ogg.bak").write_bytes(b"an old copy: not a second bell")
    pack = tones.sound_pack(pack_folder)
    assert pack.files == (
        (Sound.CIRCLE, pack_folder / "Circle.flac"),
        (Sound.BELL, pack_folder / "bell.ogg"),
    )
    assert pack.ignored == ("bell.ogg.bak", "readme.txt")
    bell = tones.load(Sound.BELL, pack)
    assert bell.dtype == np.float32 and len(bell) == pytest.approx(2.0 * RATE, abs=RATE // 100)
    # The pitch is the file's: most energy at 700 Hz.
    spectrum = np.abs(np.fft.rfft(bell))
    assert np.argmax(spectrum) * RATE / len(bell) == pytest.approx(700, abs=5)
    assert np.array_equal(tones.load(Sound.STROKE, pack), tones.load(Sound.STROKE))


@pytest.mark.parametrize("sound", [Sound.BELL, Sound.CIRCLE])
def test_pack_sounds_are_levelled_like_the_built_ins(pack_folder, sound):
    pack = tones.sound_pack(pack_folder)
    mine, builtin = tones.load(sound, pack), tones.load(sound)
    # A steady sine peaks low at the built-in's loudness; never above the built-in peak.
    assert np.max(np.abs(mine)) <= tones.PEAK + 1e-6
    ours = levels.loudness([mine.astype(np.float64)], RATE)
    theirs = levels.loudness([builtin.astype(np.float64)], RATE)
    assert ours == pytest.approx(theirs, abs=0.1)


def test_a_loud_file_is_turned_down_and_a_quiet_one_up(tmp_path):
    for name, volume in (("loud", "1.0"), ("quiet", "0.01")):
        folder = tmp_path / name
        folder.mkdir()
        make_sound(folder / "press.wav", "anoisesrc=duration=1:seed=3", "-af", f"volume={volume}")
    loud = tones.load(Sound.PRESS, tones.sound_pack(tmp_path / "loud"))
    quiet = tones.load(Sound.PRESS, tones.sound_pack(tmp_path / "quiet"))
    assert np.max(np.abs(loud)) == pytest.approx(np.max(np.abs(quiet)), rel=0.01)


def test_a_file_that_will_not_decode_is_named(pack_folder):
    (pack_folder / "stroke.mp3").write_bytes(b"ID3 but nothing else " * 10)
    with pytest.raises(InputError, match=r"^.*/pack/stroke\.mp3: cannot be read as a sound \("):
        tones.sound_pack(pack_folder)


def test_a_silent_file_is_named(pack_folder):
    make_sound(pack_folder / "end.wav", "anullsrc=duration=1")
    with pytest.raises(InputError, match=r"pack/end\.wav: is silent"):
        tones.sound_pack(pack_folder)


def test_two_files_for_one_sound(pack_folder):
    ffmpeg_sound(pack_folder / "bell.wav", "sine=frequency=700", 0.5)
    with pytest.raises(
        InputError,
        match=r"--sounds .*pack: 2 files for the bell sound \(bell\.ogg, bell\.wav\); keep one",
    ):
        tones.sound_pack(pack_folder)


def test_a_missing_folder(tmp_path):
    with pytest.raises(InputError, match=r"^--sounds .*/nowhere: no such folder$"):
        tones.sound_pack(tmp_path / "nowhere")


def test_a_pack_is_a_value_so_two_packs_do_not_share_a_cache(tmp_path):
    for name, freq in (("a", 300), ("b", 900)):
        (tmp_path / name).mkdir()
        ffmpeg_sound(tmp_path / name / "hold.ogg", f"sine=frequency={freq}", 1.0)
    a, b = tones.sound_pack(tmp_path / "a"), tones.sound_pack(tmp_path / "b")
    assert a != b and hash(a) != hash(b)
    assert not np.array_equal(tones.load(Sound.HOLD, a), tones.load(Sound.HOLD, b))


@pytest.mark.parametrize("sound", list(Sound))
def test_seconds_is_how_long_a_sound_sounds(sound):
    # What the script counts as sound when it keeps silences under 5 s: the stored
    # sound's length, at whose end it has died away.
    x = tones.load(sound)
    assert tones.seconds(sound) == len(x) / RATE
    assert 0.1 < tones.seconds(sound) <= 3.0
    if sound is not Sound.SUSTAIN:  # the loop is seamless, not faded
        assert np.max(np.abs(x[-RATE // 100 :])) < 0.1 * np.max(np.abs(x))  # 20 dB down


def test_the_listed_lengths_are_the_sounds_own():
    # The script engine times silences from sounds.SECONDS without loading any audio.
    from coach.sounds import SECONDS

    assert set(SECONDS) == set(Sound)
    for sound in Sound:
        assert len(tones.synthesize(sound)) == round(SECONDS[sound] * RATE), sound
        assert len(tones.load(sound)) == round(SECONDS[sound] * RATE), sound
        assert tones.seconds(sound) == SECONDS[sound]


def test_the_script_engine_needs_no_audio_library():
    import sys

    # The pure stages and the settings file load no audio library (nor any engine, bed or
    # renderer): python -c "import coach.timeline, coach.config, ..." loads no numpy.
    code = (
        "import sys, coach.timeline, coach.config, coach.script, coach.routine, "
        "coach.cuesheet, coach.options; print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

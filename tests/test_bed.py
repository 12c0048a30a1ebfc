"""The ambient bed, measured on rendered audio: exports decoded with ffmpeg, the bed alone
as the difference of the same export with and without it, the live player through ALSA,
and loudness with ffmpeg's ebur128. Plus the planning and looping rules on their own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.bed import ducking, seamless, synth
from conftest import RATE, decode, ebur128, make_sound, run_coach

# ---- helpers --------------------------------------------------------------------------


def dbfs(x: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-200 for digital silence)."""
    power = np.mean((x.astype(np.float64) / 32768.0) ** 2)
    return float(10 * np.log10(power)) if power > 0 else -200.0


def export(tmp: Path, name: str, *args: str | Path) -> np.ndarray:
    out = tmp / name
    result = run_coach("export", *args, "-o", out)
    assert result.returncode == 0, result.stderr
    return decode(out)


def bed_plan(*args: str | Path) -> dict:
    result = run_coach("script", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def full_level(plan: dict, length: int) -> np.ndarray:
    """Where the plan says the bed is at its full level: outside every ducking window and
    its ramps, and outside the fades."""
    bed = plan["bed"]
    free = np.ones(length, dtype=bool)
    for d in bed["ducking"]:
        a = max(0, int((d["start"] - bed["ramp_down"]) * RATE))
        free[a : int((d["end"] + bed["ramp_up"]) * RATE) + 1] = False
    free[: int(bed["fade_in"]["end"] * RATE) + 1] = False
    free[int(bed["fade_out"]["start"] * RATE) :] = False
    return free


def stretches(mask: np.ndarray, least: int) -> list[tuple[int, int]]:
    """[start, end) runs of True in ``mask`` at least ``least`` samples long."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= least]


def speech(plan: dict) -> list[tuple[int, int]]:
    return [
        (round(e["start"] * RATE), round(e["end"] * RATE))
        for e in plan["events"]
        if e["kind"] == "speech"
    ]


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The mini routine exported as WAV without a bed, with waves and with waves 10 dB
    down; the bed alone as the difference; the plan with the bed."""
    from conftest import MINI

    tmp = tmp_path_factory.mktemp("bed")
    routine = tmp / "mini.toml"
    routine.write_text(MINI, encoding="utf-8")
    plain = export(tmp, "plain.wav", routine)
    waves = export(tmp, "waves.wav", routine, "--bed", "waves")
    softer = export(tmp, "softer.wav", routine, "--bed", "waves", "--bed-volume", "-10")
    assert plain.shape == waves.shape == softer.shape
    plan = bed_plan(routine, "--bed", "waves")
    return {
        "routine": routine,
        "plain": plain,
        "waves": waves,
        "plan": plan,
        "bed": waves.astype(np.int32) - plain,
        "softer": softer.astype(np.int32) - plain,
    }


# ---- the bed in the export ------------------------------------------------------------


def test_the_bed_is_heard_where_no_one_speaks_and_leaves_voice_and_tones_alone(mini):
    bed, plan = mini["bed"], mini["plan"]
    free = stretches(full_level(plan, len(bed)), RATE)
    assert sum(b - a for a, b in free) > 20 * RATE, "the mini session has long free stretches"
    for a, b in free:
        level = dbfs(bed[a:b])
        # Heard: -35 LUFS of broadband noise is about -37 dBFS RMS; quieter than the tones.
        assert -42 < level < -30, (a / RATE, level)
    # Only the bed was added: the difference never carries a voice or a tone, whose peaks
    # reach -4.5 dBFS; the bed's own stay under -14.
    assert np.abs(bed).max() < 32768 * 10 ** (-14 / 20)
    # Both channels carry it, not identically: a gently wide stereo bed.
    left, right = bed[free[-1][0] : free[-1][1]].T.astype(np.float64)
    assert 0.2 < np.corrcoef(left, right)[0, 1] < 0.95


def test_the_bed_is_down_at_least_10_db_in_every_line_from_its_first_100_ms(mini):
    bed, plan = mini["bed"], mini["plan"]
    free = stretches(full_level(plan, len(bed)), RATE)
    reference = dbfs(np.concatenate([bed[a:b] for a, b in free]))
    lines = speech(plan)
    assert len(lines) >= 8
    for start, end in lines:
        whole, first = dbfs(bed[start:end]), dbfs(bed[start : start + RATE // 10])
        assert whole <= reference - 10, (start / RATE, whole, reference)
        assert first <= reference - 10, (start / RATE, first, reference)
    # And the ducking is not just "always down": between far-apart lines it comes back.
    assert len(plan["bed"]["ducking"]) >= 4


def test_close_lines_share_one_window_and_the_plan_covers_every_line(mini):
    plan = mini["plan"]
    windows = [(round(d["start"] * RATE), round(d["end"] * RATE)) for d in plan["bed"]["ducking"]]
    for start, end in speech(plan):
        # Every line is inside a window that starts before it (the bed is already down).
        assert any(a <= start - round(0.1 * RATE) and end <= b for a, b in windows), start / RATE
    gaps = [b2 - a1 for (_, a1), (b2, _) in zip(windows, windows[1:])]
    assert min(gaps) >= ducking.HOLD * RATE - 1  # never a short bob between lines
    assert plan["bed"]["depth_db"] >= 10


def test_fades_in_and_out(mini):
    bed, plan = mini["bed"], mini["plan"]
    reference = dbfs(
        np.concatenate([bed[a:b] for a, b in stretches(full_level(plan, len(bed)), RATE)])
    )
    quarter = RATE // 4
    first = [dbfs(bed[i : i + quarter]) for i in range(0, 2 * RATE, quarter)]
    last = [dbfs(bed[len(bed) - i - quarter : len(bed) - i]) for i in range(0, 2 * RATE, quarter)]
    assert first[0] < reference - 12 and last[0] < reference - 12
    # Rising from the very start, falling to the very end (half a second apart, so the
    # bed's own swells do not blur the steps).
    assert first[0] < first[2] < first[4] < first[7]
    assert last[0] < last[2] < last[4] < last[7]
    # Heard within the first second, so the start is not dead air.
    assert first[3] > -65


def test_bed_volume_moves_it_by_as_many_db(mini):
    bed, softer, plan = mini["bed"], mini["softer"], mini["plan"]
    free = np.concatenate([np.arange(a, b) for a, b in stretches(full_level(plan, len(bed)), RATE)])
    assert dbfs(bed[free]) - dbfs(softer[free]) == pytest.approx(10, abs=1)


def longest_silence(audio: np.ndarray) -> float:
    """Seconds of the longest run of 50 ms frames under -55 dBFS (as test_export counts)."""
    frame = RATE // 20
    n = len(audio) // frame
    x = audio[: n * frame].astype(np.float64) / 32768
    power = np.mean(x.reshape(n, frame, -1) ** 2, axis=(1, 2))
    silent = "".join("1" if p < 10**-5.5 else "0" for p in power)
    return max(len(run) for run in silent.split("0")) * 0.05


def test_no_silence_longer_than_a_second_with_a_bed(mini):
    assert longest_silence(mini["waves"]) < 1.0
    # Without the bed the same session has longer silences: the scan does find them.
    assert longest_silence(mini["plain"]) >= 1.0


def test_script_shows_the_bed_and_its_windows(mini):
    result = run_coach("script", mini["routine"], "--bed", "rain", "--bed-volume", "-4")
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    header = [line for line in out if line.startswith("== Bed: rain")]
    assert header and "-39 LUFS" in header[0] and "14 dB lower" in header[0]
    lowered = [line for line in out if line.strip().startswith("lowered")]
    assert len(lowered) == len(mini["plan"]["bed"]["ducking"])
    # Without --bed (or with --bed none) the script is the plain cue list, with no bed.
    plain = run_coach("script", mini["routine"])
    assert plain.returncode == 0 and "Bed" not in plain.stdout
    assert run_coach("script", mini["routine"], "--bed", "None").stdout == plain.stdout
    assert "bed" not in bed_plan(mini["routine"])
    assert "bed" not in bed_plan(mini["routine"], "--bed", "none")
    # The JSON as README describes it: every field side by side on `bed`.
    bed = mini["plan"]["bed"]
    assert set(bed) == {
        "name",
        "builtin",
        "volume_db",
        "level_lufs",
        "depth_db",
        "ramp_down",
        "ramp_up",
        "fade_in",
        "fade_out",
        "ducking",
    }
    assert set(bed["fade_in"]) == set(bed["ducking"][0]) == {"start", "end"}


# ---- your own bed ---------------------------------------------------------------------


def _tone_file(path: Path, seconds: float, stereo_left_only: bool = False) -> None:
    """A steady 220 Hz sine with a little pink noise, not a whole number of periods long,
    so a plain loop would click; with ``stereo_left_only`` the right channel is silent."""
    src = (
        f"sine=frequency=220:duration={seconds}:sample_rate=44100,volume=0.3[s];"
        f"anoisesrc=color=pink:duration={seconds}:sample_rate=44100:amplitude=0.02:seed=3[n];"
        "[s][n]amix=inputs=2:normalize=0"
    )
    if stereo_left_only:
        src += "[m];[m]pan=stereo|c0=c0|c1=0*c0"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-filter_complex", src, str(path)], check=True)


def test_a_7_second_file_loops_with_no_gap_and_no_click(tmp_path, mini):
    source = tmp_path / "hum.flac"
    _tone_file(source, 7.0)
    looped = export(tmp_path, "looped.wav", mini["routine"], "--bed", source)
    bed = looped.astype(np.int32) - mini["plain"]
    mono = bed.mean(axis=1)
    free = stretches(full_level(mini["plan"], len(bed)), 3 * RATE)
    # The loop is shorter than the file: within 30 s it repeats four or more times, and
    # the longest free stretches run across loop points.
    assert sum(b - a for a, b in free) > 20 * RATE
    frame = RATE // 20
    for a, b in free:
        x = mono[a:b]
        n = len(x) // frame
        levels = 10 * np.log10(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1))
        # No gap: every 50 ms stays within 1.5 dB of the stretch's median level.
        assert np.max(np.abs(levels - np.median(levels))) < 1.5, (a / RATE, levels.min())
        # No click: no sample-to-sample jump beyond what a 220 Hz sine and the noise make.
        step = np.abs(np.diff(x))
        assert step.max() < 3 * np.percentile(step, 99.9), a / RATE


def test_a_stereo_bed_stays_stereo_and_mono_sessions_fold_it(tmp_path, mini):
    source = tmp_path / "left.wav"
    _tone_file(source, 5.0, stereo_left_only=True)
    bed = (
        export(tmp_path, "out.wav", mini["routine"], "--bed", source).astype(np.int32)
        - mini["plain"]
    )
    free = np.concatenate(
        [np.arange(a, b) for a, b in stretches(full_level(mini["plan"], len(bed)), RATE)]
    )
    assert dbfs(bed[free, 0]) > -45
    assert dbfs(bed[free, 1]) < -80  # rounding only
    mono = export(tmp_path, "mono.wav", mini["routine"], "--bed", source, "--mono")
    assert mono.shape[1] == 1


def test_seamless_loop_of_a_sine_has_steady_level():
    t = np.arange(int(2.3 * RATE)) / RATE
    x = np.stack([np.sin(2 * np.pi * 331.7 * t)] * 2, axis=1).astype(np.float32)
    loop = seamless(x)
    assert len(x) - len(loop) <= (0.5 + 0.25) * RATE
    twice = np.concatenate([loop, loop])[:, 0]
    # Across the loop point the sine runs on: no jump and no dip.
    seam = twice[len(loop) - RATE // 10 : len(loop) + RATE // 10]
    assert np.abs(np.diff(seam)).max() < 2 * np.pi * 331.7 / RATE * 1.1
    n = len(twice) // (RATE // 50)
    rms = np.sqrt(np.mean(twice[: n * (RATE // 50)].reshape(n, -1) ** 2, axis=1))
    assert rms.min() > 0.9 * rms.max()


@pytest.mark.parametrize(
    "args,words",
    [
        (["--bed", "seaside"], ["--bed seaside", "not a built-in bed", "waves"]),
        (["--bed", "{tmp}/noise.txt"], ["--bed", "noise.txt", "decode"]),
        (["--bed", "{tmp}/empty.wav"], ["--bed", "empty.wav"]),
        (["--bed", "{tmp}"], ["--bed", "not a file"]),
        (["--bed", "{tmp}/silence.flac"], ["--bed", "silence.flac", "is silent"]),
        (["--bed", "waves", "--bed-volume", "15"], ["--bed-volume 15", "-30", "10"]),
        (["--bed-volume", "-40"], ["--bed-volume -40"]),
    ],
)
@pytest.mark.parametrize("command", ["export", "play", "script"])
def test_bad_bed_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, mini_path, args, words, command
):
    (tmp_path / "noise.txt").write_text("not audio\n" * 100)
    (tmp_path / "empty.wav").write_bytes(b"")
    make_sound(tmp_path / "silence.flac", "anullsrc=duration=5")
    out = tmp_path / "out"
    out.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    extra = ["-o", str(out / "x.mp3")] if command == "export" else []
    result = run_coach(
        command,
        mini_path,
        *[a.format(tmp=tmp_path) for a in args],
        *extra,
        env={"HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coach: "), result.stderr
    for word in words:
        assert word in lines[0]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# ---- levels ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["waves", "rain", "drone"])
def test_loudness_and_true_peak_with_each_builtin_bed(tmp_path, anma_export, name):
    path = tmp_path / f"anma-{name}.mp3"
    result = run_coach("export", "anma", "--bed", name, "-o", path)
    assert result.returncode == 0, result.stderr
    integrated, peak = ebur128(path)
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.0
    # The bed moves the session's loudness by well under 1 LU.
    without, _ = ebur128(anma_export[0])
    assert abs(integrated - without) < 0.7


# ---- live -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options", [["--bed", "rain"], ["--bed", "drone", "--mono", "--pace", "fast"]]
)
def test_play_sends_exactly_the_exported_audio_with_a_bed(tmp_path, mini_path, options):
    from test_player import assert_play_equals_export

    assert_play_equals_export(tmp_path, mini_path, options)


# ---- planning and synthesis -----------------------------------------------------------


@settings(deadline=None)  # examples: 60, 15 in the fast lane (tests/conftest.py)
@given(data=st.data())
def test_a_chapter_alone_gets_the_same_gain_as_inside_the_whole(data):
    # Lines in random places, the session cut into chapters at random points between
    # them: each chapter's envelope from its own lines plus the nearest line on either
    # side equals the whole session's envelope over that chapter, sample for sample.
    second = RATE
    gaps = data.draw(st.lists(st.integers(0, 8 * second), min_size=1, max_size=12))
    lengths = data.draw(
        st.lists(st.integers(second // 10, 6 * second), min_size=len(gaps), max_size=len(gaps))
    )
    lines, t = [], data.draw(st.integers(0, 3 * second))
    for gap, length in zip(gaps, lengths):
        lines.append((t, t + length))
        t += length + gap
    end = t + data.draw(st.integers(0, 4 * second))
    # A chapter ends anywhere after a line and before the next one starts.
    after_lines = data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=4, unique=True))
    cuts = sorted({lines[i][1] + data.draw(st.integers(0, gaps[i])) for i in after_lines} - {0})
    cuts = [c for c in cuts if c < end]
    bounds = [0, *cuts, end]
    chapters = list(zip(bounds, bounds[1:]))
    # The fade-in lasts at most the opening, up to the first line (always in chapter 0).
    opening = min(lines[0][0], chapters[0][1]) if lines else chapters[0][1]
    whole = ducking.envelope(lines, opening, chapters[-1])
    for k, (a, b) in enumerate(chapters):
        mine = [line for line in lines if a <= line[0] < b]
        before = [line for line in lines if line[0] < a][-1:]
        after = [(line[0], line[0] + 1) for line in lines if line[0] >= b][:1]
        alone = ducking.envelope(
            before + mine + after,
            opening if k == 0 else 0,
            (a, b) if k == len(chapters) - 1 else None,
        )
        assert np.array_equal(alone.gain(a, b), whole.gain(a, b)), k
        # Any window inside gives the same samples as the whole chapter.
        lo = data.draw(st.integers(a, b))
        hi = data.draw(st.integers(lo, b))
        assert np.array_equal(whole.gain(lo, hi), whole.gain(a, b)[lo - a : hi - a])


def test_ducking_windows_merge_close_lines_and_ramp_ahead():
    s = RATE
    env = ducking.envelope([(2 * s, 4 * s), (5 * s, 6 * s), (20 * s, 21 * s)], s, (90 * s, 100 * s))
    assert env.ducks == (
        ducking.Duck(2 * s - round(0.15 * s), 6 * s + round(0.3 * s)),
        ducking.Duck(20 * s - round(0.15 * s), 21 * s + round(0.3 * s)),
    )
    g = env.gain(0, 100 * s)
    depth = 10 ** (-ducking.DEPTH_DB / 20)
    assert g[20 * s - round(0.1 * s)] == pytest.approx(depth, rel=1e-5)  # down before the line
    assert g[4 * s + s // 2] == pytest.approx(depth, rel=1e-5)  # stays down in the gap
    assert g[12 * s] == pytest.approx(1.0)  # up between
    assert g[20 * s - s] == pytest.approx(1.0)  # not down too early
    assert np.all(np.abs(np.diff(g[10 * s : 30 * s].astype(np.float64))) < 0.002)  # smooth
    assert g[0] == 0.0 and g[-1] < 0.001  # fades


@pytest.mark.parametrize("name", list(synth.BUILTIN))
def test_builtin_beds_are_seamless_deterministic_and_wide(name):
    made = synth.BUILTIN[name]()
    assert made.shape == (synth.LOOP, 2) and made.dtype == np.float32
    assert np.array_equal(made, synth.BUILTIN[name]())
    x = made.astype(np.float64)
    # Across the loop point the step between samples is like any other step.
    steps = np.abs(np.diff(x, axis=0))
    wrap = np.abs(x[0] - x[-1])
    assert np.all(wrap <= np.percentile(steps, 99.99, axis=0))
    # The two channels differ, but not like two unrelated sounds in the mono sum.
    assert np.mean((x[:, 0] - x[:, 1]) ** 2) > 0.05 * np.mean(x**2)
    mono = np.mean(x.sum(axis=1) ** 2) / 4
    assert mono > 0.4 * np.mean(x**2)


def test_cached_loop_sounds_the_same_and_a_broken_cache_is_made_again(tmp_path, mini_path):
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    made = run_coach("export", mini_path, "--bed", "rain", "-o", tmp_path / "made.wav", env=env)
    assert made.returncode == 0, made.stderr
    stored = list((cache / "coach" / "beds").iterdir())
    assert len(stored) == 1 and stored[0].name.startswith("rain-")  # nothing else left there
    read = run_coach("export", mini_path, "--bed", "rain", "-o", tmp_path / "read.wav", env=env)
    assert read.returncode == 0, read.stderr
    stored[0].write_bytes(b"PK\x03\x04 not a zip")
    again = run_coach("export", mini_path, "--bed", "rain", "-o", tmp_path / "again.wav", env=env)
    assert again.returncode == 0, again.stderr
    first = decode(tmp_path / "made.wav")
    assert np.array_equal(first, decode(tmp_path / "read.wav"))
    assert np.array_equal(first, decode(tmp_path / "again.wav"))
    assert stored[0].stat().st_size > 1_000_000

"""Morae: counted exactly in kana readings, estimated for written Japanese."""

from __future__ import annotations

import pytest

from coach import morae


@pytest.mark.parametrize(
    "kana, n",
    [
        ("イチ", 2),
        ("キャ", 1),
        ("ガッコー", 4),
        ("コンニチワ", 5),
        ("ほっかいどう", 6),
        ("ジュー、イチ。", 4),
        ("", 0),
    ],
)
def test_count_reads_morae_in_kana(kana, n):
    assert morae.count(kana) == n


def test_estimate_counts_kana_as_read_and_kanji_by_the_fitted_mean():
    assert morae.estimate("ゆっくり") == 4
    assert morae.estimate("頬") == pytest.approx(morae.KANJI_MORAE)
    assert morae.estimate("、。！ ") == 0
    # Full-width Latin letters and digits are read out.
    assert morae.estimate("ＬＥＤ") == pytest.approx(3 * morae.OTHER_MORAE)


def test_estimate_is_near_the_reading_on_a_real_line():
    # ゆっくりと頬に円を描きましょう: ユックリトホーニエンオエガキマショー, 17 morae.
    assert morae.estimate("ゆっくりと頬に円を描きましょう。") == pytest.approx(17, abs=2)

from conftest import MINI, run_coach


def test_mini_exports(mini_path, tmp_path):
    r = run_coach("export", mini_path, "-o", tmp_path / "m.mp3")
    assert r.returncode == 0, r.stderr

"""The committed mypy settings ([tool.mypy] in pyproject.toml) mean something. scripts/test
type-checks the package with them before the tests run (so does CI, through it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mypy(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.slow  # runs mypy
def test_the_settings_are_in_force(tmp_path: Path):
    # The same settings refuse what they are meant to refuse: an untyped function, and a
    # value used as the wrong type.
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    return x\n\n\ndef g() -> int:\n    return 'one'\n")
    result = _mypy("--config-file", ROOT / "pyproject.toml", bad, cwd=tmp_path)
    assert result.returncode == 1
    assert "[no-untyped-def]" in result.stdout and "[return-value]" in result.stdout

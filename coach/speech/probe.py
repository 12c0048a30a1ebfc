"""Trying an engine where a native crash cannot take coach down: in a short-lived child
process, once per installed version, the answer remembered in coach's cache folder.

A Python exception in an engine's library is caught like any other, but a native crash
is not: onnxruntime dying with "illegal instruction" on an old CPU, or a broken build
that segfaults on import, would end coach itself (exit 139, temporary files left behind)
before it could fall back to another voice. So before an engine that runs native code
is loaded into coach's own process, the same load is tried in a child. The answer is
kept under ``<cache>/probes/``, keyed by everything that decides it (the Python
interpreter, and each package's version and the file it is imported from), so the child
runs once per installed version, not on every start: a warm start reads one small file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from coach.errors import MissingPartError

#: Seconds the child may take (import and load a model, speak a word) before the engine
#: is declared unable to start; a timeout is not remembered (the machine may just be busy).
TIMEOUT = 120.0
_OK = "ok"


def check(name: str, code: str, packages: tuple[str, ...]) -> None:
    """Run ``code`` (Python source) in a child process (with this process's environment)
    unless it has already run with these ``packages`` as installed now; MissingPartError
    naming ``name`` (the engine, as users know it) if it fails, crashes or hangs."""
    stamp = _stamp(packages)
    remembered = _remembered(stamp)
    if remembered is None:
        remembered = _run(code)
        if remembered is not None:
            _remember(stamp, remembered)
        else:
            raise MissingPartError(
                f"{name} cannot start: trying it took longer than {TIMEOUT:.0f} s"
            )
    if remembered != _OK:
        raise MissingPartError(f"{name} cannot start: {remembered}")


def _stamp(packages: tuple[str, ...]) -> str:
    """A name for what decides the probe's answer: the interpreter and, per package, its
    version and the file it loads from (a different build on PYTHONPATH is a new one)."""
    facts: dict[str, object] = {"python": sys.executable, "version": sys.version}
    for package in packages:
        spec = importlib.util.find_spec(package)
        origin = spec.origin if spec is not None else None
        try:
            st = os.stat(origin) if origin else None
        except OSError:
            st = None
        try:
            installed = version(package)
        except PackageNotFoundError:
            installed = None
        facts[package] = [installed, origin, st and st.st_mtime_ns, st and st.st_size]
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


#: An answer's name: the SHA-256 of its stamp.
_NAME = re.compile(r"[0-9a-f]{64}")


def folder() -> Path:
    """Where the answers are kept: ``probes/`` in coach's cache folder."""
    from coach import places

    return places.cache_dir() / "probes"


def _remembered(stamp: str) -> str | None:
    from coach import owned

    try:
        with owned.folder(folder()) as fd:
            handle = os.open(stamp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            with open(handle, "rb") as f:
                return f.read(4096).decode("utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _remember(stamp: str, answer: str) -> None:
    """Keep ``answer``; a cache that cannot be written only means probing again."""
    from coach import owned

    try:
        with owned.folder(folder(), create=True) as fd:
            owned.replace(fd, stamp, lambda f: f.write(f"{answer}\n".encode()))
    except OSError:
        pass


def clear() -> int:
    """Forget every answer (``coach cache --clear``; the next start probes again); how
    many. Only coach's own names are removed, and a symbolic link is never followed.
    OSError when the folder cannot be read."""
    from coach import owned

    try:
        with owned.folder(folder()) as fd:
            for part in owned.names(fd, lambda name: _NAME.fullmatch(owned.part_of(name) or "")):
                owned.remove(fd, part)
            return sum(owned.remove(fd, name) for name in owned.names(fd, _NAME.fullmatch))
    except FileNotFoundError:
        return 0


def _run(code: str) -> str | None:
    """ "ok", or why the child failed; None when it took too long."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return _OK
    if done.returncode < 0:
        try:
            signame = signal.Signals(-done.returncode).name
        except ValueError:
            signame = f"signal {-done.returncode}"
        return f"its native library crashed ({signame})"
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"

"""``coach serve`` as a process: the one line it prints, the QR code on a terminal, the
token kept across restarts, a busy port, and Ctrl-C while a session is being made."""

from __future__ import annotations

import http.client
import os
import pty
import select
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest

from coach.errors import MissingPartError
from conftest import coach_bin, user_routine

LINE = "coach: serving on http://127.0.0.1:{port}/?token="


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """``coach serve ARGS`` started with its output on pipes; stopped with SIGINT."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [str(coach_bin()), "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        assert self.proc.stdout is not None
        self.line = self.proc.stdout.readline().rstrip("\n")

    @property
    def token(self) -> str:
        return self.line.rsplit("token=", 1)[1]

    def stop(self, timeout: float = 60) -> tuple[int, str, str]:
        """SIGINT, as Ctrl-C sends; (status, the rest of stdout, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def test_serve_prints_one_line_and_keeps_its_token_across_restarts(own_folders):
    port = _free_port()
    first = Running("--port", str(port))
    try:
        assert first.line.startswith(LINE.format(port=port))
        token = first.token
        assert len(token) >= 22  # at least 128 bits in base64
        kept = own_folders["state"] / "serve-token"
        assert kept.read_text().strip() == token
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/api/routines?token={token}")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        status, out, err = first.stop()
    assert status == 130 and out == "" and err == "coach: interrupted\n"
    again = Running("--port", str(port))
    try:
        assert again.token == token
    finally:
        again.stop()
    renewed = Running("--port", str(port), "--new-token")
    try:
        assert renewed.token != token and kept.read_text().strip() == renewed.token
    finally:
        renewed.stop()


def test_a_busy_port_is_one_line_and_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = subprocess.run(
            [str(coach_bin()), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (
        f"coach: --port {port}: already in use on 127.0.0.1; stop what uses it "
        "or choose another port with --port\n"
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["--host", "example.com"], "--host example.com: not an IP address"),
        (["--host", "192.0.2.1"], "--host 192.0.2.1: not an address of this machine"),
        (["--port", "70000"], "--port 70000: must be from 1 to 65535"),
    ],
)
def test_bad_places_to_listen_are_one_line_and_status_2(args, words):
    r = subprocess.run(
        [str(coach_bin()), "serve", *args], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and r.stderr.startswith(f"coach: {words}")
    assert len(r.stderr.splitlines()) == 1


def test_on_a_terminal_a_qr_code_follows_the_line():
    port = _free_port()
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(coach_bin()), "serve", "--port", str(port)],
        stdout=follower,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Ctrl-C stops" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                seen += os.read(leader, 65536)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        os.close(leader)
    text = seen.decode("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith(LINE.format(port=port))
    blocks = [line for line in lines[1:] if "█" in line or "▀" in line or "▄" in line]
    assert len(blocks) >= 12  # a QR code of a 70-character URL is at least 29 modules high
    assert proc.returncode == 130


def test_ctrl_c_while_a_session_is_made_stops_it_and_leaves_no_file(tmp_path, own_folders):
    user_routine(own_folders)
    cache = tmp_path / "cache"  # cold: the session takes a while to make
    port = _free_port()
    running = Running("--port", str(port), env={"XDG_CACHE_HOME": str(cache)})
    answers: list[object] = []

    def ask() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("GET", f"/api/session.mp3?routine=mini&token={running.token}")
            answers.append(conn.getresponse().status)
        except (OSError, http.client.HTTPException) as exc:
            answers.append(exc)
        finally:
            conn.close()

    asking = threading.Thread(target=ask)
    asking.start()
    sessions = cache / "coach" / "sessions"
    deadline = time.monotonic() + 60
    while not (sessions.is_dir() and any(sessions.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(p.name.endswith(".part") for p in sessions.iterdir())  # under way
    status, out, err = running.stop()
    asking.join(60)
    assert status == 130 and err.endswith("coach: interrupted\n") and "Traceback" not in err
    assert list(sessions.iterdir()) == []  # no partial file, no half-kept session
    time.sleep(1)
    assert list(sessions.iterdir()) == []  # and nothing left running writes one
    assert answers and answers[0] != 200


def test_lan_listens_on_and_advertises_the_network_address():
    from coach.serve import access, address

    found = access.network_address()
    if found is None:  # no network: --lan says so (status 3)
        with pytest.raises(MissingPartError, match="--lan"):
            address("127.0.0.1", lan=True)
        return
    assert address("127.0.0.1", lan=True) == (found, found)  # (nothing is bound here)
    assert not found.startswith("127.") and found in access.machine_addresses()
    assert address("0.0.0.0", lan=False) == ("0.0.0.0", found)
    assert address("127.0.0.1", lan=False) == ("127.0.0.1", "127.0.0.1")

"""The token (random, kept, private, renewed) and the Host check."""

from __future__ import annotations

import stat

import pytest

from coach.serve import access


def test_the_token_is_random_kept_private_and_renewed(own_folders):
    first = access.token()
    assert len(first) == 32 and access.token() == first  # 24 bytes: 192 bits
    path = own_folders["state"] / "serve-token"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    renewed = access.token(renew=True)
    assert renewed != first and access.token() == renewed
    path.write_text("short\n")  # damaged: replaced
    assert len(access.token()) == 32


def test_a_token_folder_that_cannot_be_written_is_one_line(own_folders, tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    with pytest.raises(access.InputError, match="cannot keep the server's token"):
        access.token()


def test_the_token_comes_from_bearer_query_or_cookie():
    assert (
        access.presented({"token": "q"}, {access.COOKIE: "c"}, {"authorization": "Bearer b"}) == "b"
    )
    assert access.presented({"token": "q"}, {access.COOKIE: "c"}, {}) == "q"
    assert access.presented({}, {access.COOKIE: "c"}, {}) == "c"
    assert access.presented({}, {}, {}) == ""
    assert access.allowed("abc", "abc") and not access.allowed("", "abc")
    assert not access.allowed("abd", "abc")


@pytest.mark.parametrize(
    "header, name",
    [
        ("127.0.0.1:8765", "127.0.0.1"),
        ("LOCALHOST:80", "localhost"),
        ("[::1]:8765", "::1"),
        ("[::1]", "::1"),
        ("example.com", "example.com"),
        ("", ""),
    ],
)
def test_host_names_lose_their_port(header, name):
    assert access.host_name(header) == name


def test_only_our_own_addresses_pass_the_host_check():
    names = access.hosts("192.168.1.20")
    assert access.host_ok("192.168.1.20:8765", names) and access.host_ok("localhost:8765", names)
    assert not access.host_ok("evil.example:8765", names)
    assert not access.host_ok("192.168.1.21:8765", names)
    wildcard = access.hosts("0.0.0.0")
    assert "127.0.0.1" in wildcard and "0.0.0.0" in wildcard

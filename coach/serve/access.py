"""Who may use the server: the token, and the Host names it answers to.

The token is random (192 bits, URL-safe), kept in coach's state folder
(``serve-token``, readable by the user alone) so bookmarks and podcast subscriptions keep
working across restarts, and replaced on request (``coach serve --new-token``). A request
carries it as the ``token`` query parameter, the cookie the page gets on its first load,
or ``Authorization: Bearer``.

The Host check refuses every request whose ``Host`` header names anything but an address
the server listens on, or ``localhost``: a page elsewhere that points its own name at
this machine (DNS rebinding) gets 403, whatever it sends.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path

from coach.errors import InputError

#: The cookie the page is given after it was opened with the token.
COOKIE = "coach_token"
#: Bytes of randomness in a token (192 bits; the issue asks for at least 128).
TOKEN_BYTES = 24
#: Every name that reaches this machine's loopback.
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def token_file() -> Path:
    from coach.places import state_dir

    return state_dir() / "serve-token"


def token(renew: bool = False) -> str:
    """The server's token: the kept one, or a new one (made when there is none, or when
    ``renew``), kept for the next start."""
    from coach.owned import write_atomically

    path = token_file()
    if not renew:
        try:
            kept = path.read_text("ascii").strip()
            if len(kept) >= 22:  # 128 bits in base64 at the least
                return kept
        except (OSError, UnicodeDecodeError):
            pass
    made = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        write_atomically(path, made + "\n", mode=0o600)  # yours alone
    except OSError as exc:
        raise InputError(
            f"{path}: cannot keep the server's token there ({(exc.strerror or str(exc)).lower()})"
        ) from None
    return made


def presented(
    query: Mapping[str, str], cookies: Mapping[str, str], headers: Mapping[str, str]
) -> str:
    """The token a request carries (empty when none)."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return query.get("token") or cookies.get(COOKIE, "")


def allowed(given: str, expected: str) -> bool:
    """Whether ``given`` is the token (compared in constant time)."""
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def host_name(header: str) -> str:
    """The name in a Host header without its port (``[::1]:8765`` -> ``::1``), lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def hosts(listening: str) -> frozenset[str]:
    """The names a server listening on ``listening`` answers to: that address and the
    loopback names; for a wildcard (0.0.0.0, ::), every address of this machine."""
    names = {listening.lower(), *LOOPBACK}
    try:
        wildcard = ipaddress.ip_address(listening).is_unspecified
    except ValueError:
        wildcard = False
    if wildcard:
        names |= set(machine_addresses())
    return frozenset(names)


def machine_addresses() -> list[str]:
    """This machine's own addresses (from its name and its network address)."""
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.append(str(info[4][0]))
    except OSError:
        pass
    lan = network_address()
    return list(dict.fromkeys([*found, *([lan] if lan else [])]))


def network_address() -> str | None:
    """The address other machines on the network reach this one at: the source address
    the system would use for an outside destination. A UDP socket's ``connect`` only
    looks up the route; it sends nothing. None without a network."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("198.51.100.1", 9))  # TEST-NET-2 (RFC 5737): a documentation address
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def host_ok(header: str, names: Iterable[str]) -> bool:
    """Whether a request's Host header names one of ``names``."""
    return host_name(header) in set(names)

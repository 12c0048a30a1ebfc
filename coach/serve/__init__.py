"""``coach serve``: the second front door. A page, a JSON API and a podcast feed on the
local network, served by uvicorn from the same use cases as the command line.

Modules: ``app`` (the Starlette application: routes and the access guard), ``access``
(the token and the Host check), ``query`` (a request's options -> the core's values),
``renders`` (one render at a time, a bounded line), ``feed`` (the podcast feed),
``progress`` (the page's practice, into the history), and ``page/`` (the page's HTML, CSS
and JavaScript). Importing this package loads no web
framework; ``run`` does.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from types import FrameType
from typing import TextIO

from coach.errors import InputError, MissingPartError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Seconds the server gives requests under way to finish when told to stop.
GRACE = 5


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening; one InputError line when the port
    is taken or the address is not this machine's."""
    if not 0 < port < 65536:
        raise InputError(f"--port {port}: must be from 1 to 65535")
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        raise InputError(
            f"--host {host}: not an IP address (such as 127.0.0.1 or 0.0.0.0)"
        ) from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"--port {port}: already in use on {host}; stop what uses it "
                "or choose another port with --port"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InputError(f"--host {host}: not an address of this machine") from None
        if exc.errno == errno.EACCES:
            raise InputError(f"--port {port}: needs privileges; choose a port above 1023") from None
        raise InputError(
            f"--host {host} --port {port}: cannot listen there "
            f"({(exc.strerror or str(exc)).lower()})"
        ) from None
    sock.setblocking(False)
    return sock


def address(host: str, lan: bool) -> tuple[str, str]:
    """(the address to listen on, the address to advertise) for ``--host`` and ``--lan``."""
    from coach.serve.access import network_address

    if lan:
        found = network_address()
        if found is None:
            raise MissingPartError(
                "--lan: this machine has no network address; connect it "
                "to the network (or use --host)"
            )
        return found, found
    try:
        wildcard = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        wildcard = False
    return host, (network_address() or host) if wildcard else host


def url(advertised: str, port: int, token: str) -> str:
    shown = f"[{advertised}]" if ":" in advertised else advertised
    return f"http://{shown}:{port}/?token={token}"


def qr_code(text: str, out: TextIO) -> None:
    """``text`` as a QR code drawn with block characters, for a phone's camera."""
    import segno

    segno.make(text, error="m").terminal(out=out, compact=True, border=2)


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    lan: bool = False,
    new_token: bool = False,
    out: TextIO | None = None,
    debug: bool = False,
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM: KeyboardInterrupt, after the server
    stopped, its render stopped and its temporary files were removed). Prints the one
    line ``coach: serving on URL`` to ``out`` (standard output), and a QR code of the URL
    when that is a terminal."""
    import logging

    import uvicorn

    from coach.serve import access
    from coach.serve.app import Server, create
    from coach.sessions import store

    out = out or sys.stdout
    bind, advertised = address(host, lan)
    sock = listen(bind, port)
    token = access.token(renew=new_token)
    server = Server(token=token, hosts=access.hosts(bind) | {advertised}, store=store())
    app = create(server)
    logging.basicConfig(format="%(message)s", level=logging.INFO if debug else logging.WARNING)
    config = uvicorn.Config(
        app,
        log_level="info" if debug else "warning",
        access_log=debug,
        timeout_graceful_shutdown=GRACE,
        server_header=False,
        lifespan="off",
    )
    where = url(advertised, port, token)
    print(f"coach: serving on {where}", file=out, flush=True)
    if out.isatty():
        qr_code(where, out)
        print("Scan the code with a phone on the same network; Ctrl-C stops.", file=out, flush=True)

    class Uvicorn(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # At once, not after the requests that wait for a render have timed out.
            server.renders.stop.set()
            super().handle_exit(sig, frame)

    try:
        Uvicorn(config).run(sockets=[sock])
    finally:
        server.renders.close()
        server.progress.close()
        sock.close()

"""The web application: routes, the access guard and the answers, on Starlette.

Every route turns a request into the same values the command line makes (``query``) and
calls the same use cases: the export job through the sessions folder (``coach.sessions``,
one render at a time through ``renders``), the session's plan, the routine catalogue.
Failures come back as CoachError subclasses and become one JSON answer each, in one place
(``_failure``): 400 for bad input, 404 for an unknown routine, 503 when busy or missing a
part, with the command line's one-line message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from coach.errors import CoachError, InputError, MissingPartError
from coach.serve import access, query
from coach.serve.progress import Progress
from coach.serve.progress import event as progress_event
from coach.serve.renders import Busy, Renders
from coach.sessions import Kept, Stopped, Store, key

log = logging.getLogger("coach.serve")

#: Media types of the session formats.
MEDIA = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav"}
#: Seconds a client is told to wait when the line is full.
RETRY_AFTER = 30
#: Session plans (``/api/script``) kept in memory, most recent last.
PLANS_KEPT = 16
#: The page's files, by the name they are asked for under /page/.
PAGE_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
#: Headers on every answer: nothing is cached by shared caches, no referrer carries the
#: token elsewhere, no type is guessed.
SAFE_HEADERS = [
    (b"cache-control", b"private, no-cache"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]


@dataclass
class Server:
    """What the routes share: the token, the Host names, the line of work, the store."""

    token: str
    hosts: frozenset[str]
    store: Store
    renders: Renders = field(default_factory=Renders)
    plans: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    progress: Progress = field(default_factory=lambda: Progress(notify=_note))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _failure(exc: BaseException) -> Response:
    """The answer for a failure: the command line's one line, never a traceback."""
    if isinstance(exc, query.UnknownRoutine):
        return _error(404, str(exc))
    if isinstance(exc, InputError):
        return _error(400, str(exc))
    if isinstance(exc, Busy):
        return _error(503, str(exc), {"retry-after": str(RETRY_AFTER)})
    if isinstance(exc, (MissingPartError, Stopped)):
        return _error(503, str(exc))
    if isinstance(exc, CoachError):
        return _error(500, str(exc))
    log.exception("coach serve: internal error", exc_info=exc)
    return _error(500, f"internal error: {type(exc).__name__}: {exc}")


Handler = Callable[[Request], Awaitable[Response]]


def _answers(handler: Handler) -> Handler:
    """``handler`` with every failure turned into its JSON answer."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:  # one place for every failure
            return _failure(exc)

    wrapped.__name__ = handler.__name__
    return wrapped


class Guard:
    """ASGI middleware: 403 for a Host that is not ours, 401 without the token; the page
    opened with the token in its address gets it as a cookie for what it loads next."""

    def __init__(self, app: ASGIApp, server: Server) -> None:
        self.app, self.server = app, server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not access.host_ok(request.headers.get("host", ""), self.server.hosts):
            await _error(403, "this server answers only to its own address (Host refused)")(
                scope, receive, send
            )
            return
        given = access.presented(request.query_params, request.cookies, request.headers)
        if not access.allowed(given, self.server.token):
            await _error(
                401,
                "no token or a wrong one: open the address 'coach serve' printed, with its ?token=",
            )(scope, receive, send)
            return
        from_query = request.query_params.get("token") == given
        cookie = (
            f"{access.COOKIE}={given}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict"
        ).encode()

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in SAFE_HEADERS if h[0] not in names]
                if from_query and scope["path"] == "/":
                    headers.append((b"set-cookie", cookie))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except asyncio.CancelledError:
            if not self.server.renders.stop.is_set():
                raise
            # The server is stopping and has cut this request short: not an error.


def _server(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


async def _kept(server: Server, chosen: query.Chosen, fmt: str) -> Kept:
    """The session rendered and kept: from the folder, else made once in the line."""
    name = await run_in_threadpool(key, chosen.routine, chosen.options, fmt)
    found = await run_in_threadpool(server.store.find, name)
    if found is not None:
        return found
    future = server.renders.submit(
        name,
        lambda: server.store.render(
            name, chosen.routine, chosen.options, fmt, server.renders.stop, notify=_note
        ),
    )
    # shield: a client that goes away stops waiting, not the render others wait for.
    return await asyncio.shield(asyncio.wrap_future(future))


def _note(message: str) -> None:
    log.warning("coach: %s", message)


# ---- routes ---------------------------------------------------------------------------


async def page(request: Request) -> Response:
    text = resources.files("coach.serve").joinpath("page/index.html").read_text("utf-8")
    return Response(text, media_type="text/html; charset=utf-8")


async def page_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in PAGE_FILES:  # a fixed list: nothing else of the disk is reachable
        return _error(404, f"no such file: {name}")
    text = resources.files("coach.serve").joinpath(f"page/{name}").read_text("utf-8")
    return Response(text, media_type=f"{PAGE_FILES[name]}; charset=utf-8")


@_answers
async def routines(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool(routine_list))


def routine_list() -> list[dict[str, Any]]:
    """The routines as ``coach routines`` lists them: name, where from, languages, steps,
    minutes, title, and the one-line error of a broken one of yours."""
    from coach.catalog import catalog, languages_of
    from coach.script import build

    out: list[dict[str, Any]] = []
    for entry in catalog():
        row: dict[str, Any] = {
            "name": entry.name,
            "from": "yours" if entry.user else "built-in",
            "languages": [],
            "steps": None,
            "minutes": None,
            "title": "",
            "summary": "",
            "error": entry.error or None,
        }
        if entry.routine is not None:
            r = entry.routine
            row.update(steps=len(r.steps), title=r.title, summary=r.summary)
            try:
                row["minutes"] = round(build(r).estimate_seconds() / 60, 1)
                row["languages"] = languages_of(entry.name, r)
            except InputError as exc:
                row["error"] = str(exc)
        out.append(row)
    return out


@_answers
async def settings(request: Request) -> Response:
    """The saved settings, by the query's names: what the page's fields start at."""

    def saved() -> dict[str, Any]:
        from coach.bed import NONE, builtin_names

        values = query.saved()
        found = {name: values[name] for name in query.WEB}
        bed = found["bed"]
        if bed is not None and str(bed).casefold() not in (*builtin_names(), NONE):
            found["bed"] = "(your file)"  # a sound file of the settings file: not named here
        return found | {"beds": [*builtin_names(), NONE], "languages": language_names()}

    return JSONResponse(await run_in_threadpool(saved))


def language_names() -> dict[str, str]:
    """Each language coach speaks, by code: its name in itself (``ja``: ``日本語``)."""
    from coach import languages, phrases

    return {code: languages.get(code).own_name for code in phrases.available()}


@_answers
async def words(request: Request) -> Response:
    """The words the page shows while it plays the query's session, in the session's
    language: ``{"language": "ja", "words": {...}}``, coach.phrases' ``page_`` phrases by
    their names without it, and ``left`` (``{time}`` for the page to fill). Only the
    routine is looked up: nothing is rendered."""

    def made() -> dict[str, Any]:
        from coach.phrases import PHRASES, Phrases

        language = query.routine_of(_params(request)).language
        t = Phrases(language)
        shown = {k.removeprefix("page_"): t(k) for k in PHRASES if k.startswith("page_")}
        return {"language": language, "words": shown | {"left": t("time_left", time="{time}")}}

    return JSONResponse(await run_in_threadpool(made))


@_answers
async def script(request: Request) -> Response:
    """``coach script NAME --json`` for the query's options."""
    server = _server(request)
    chosen = await run_in_threadpool(query.chosen, _params(request))
    name = "plan-" + await run_in_threadpool(key, chosen.routine, chosen.options, ".json")
    plan = server.plans.get(name)
    if plan is None:

        def make() -> dict[str, Any]:
            from coach import report
            from coach.session import Session

            with Session(chosen.routine, chosen.options, notify=_note) as session:
                return report.plan(session)

        plan = await asyncio.shield(asyncio.wrap_future(server.renders.submit(name, make)))
        server.plans[name] = plan
        while len(server.plans) > PLANS_KEPT:
            server.plans.popitem(last=False)
    server.plans.move_to_end(name)
    text = json.dumps(plan, indent=1, ensure_ascii=False) + "\n"  # as the command prints it
    return Response(text, media_type="application/json")


@_answers
async def session(request: Request) -> Response:
    fmt = "." + request.path_params["fmt"]
    if fmt not in MEDIA:
        return _error(404, f"no such format: {fmt[1:]}; use mp3, ogg or wav")
    chosen = await run_in_threadpool(query.chosen, _params(request))
    kept = await _kept(_server(request), chosen, fmt)
    if kept.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"etag": kept.etag})
    return FileResponse(
        kept.audio,
        media_type=MEDIA[fmt],
        headers={"etag": kept.etag},
        filename=f"{chosen.routine.name}{fmt}",
        content_disposition_type="inline",
    )


@_answers
async def chapters(request: Request) -> Response:
    chosen = await run_in_threadpool(query.chosen, _params(request))
    kept = await _kept(_server(request), chosen, ".mp3")
    return FileResponse(
        kept.chapters, media_type="application/json+chapters", headers={"etag": kept.etag}
    )


@_answers
async def feed(request: Request) -> Response:
    """The podcast feed: every routine that loads, at the saved settings, rendered one
    after another (so the feed takes one place in the line at a time); with ``language``,
    the routines written in it, in it."""
    from coach import languages
    from coach.serve.feed import Episode, render

    server = _server(request)
    base = f"{request.url.scheme}://{request.headers['host']}"
    asked = request.query_params.get("language")
    language = None if asked is None else languages.get(asked).code
    episodes = []
    for row in await run_in_threadpool(routine_list):
        if row["error"] or (language is not None and language not in row["languages"]):
            continue
        wanted = {"routine": row["name"]} | ({"language": language} if language else {})
        chosen = await run_in_threadpool(query.chosen, wanted)
        kept = await _kept(server, chosen, ".mp3")
        r = chosen.routine
        episodes.append(
            Episode(row["name"], r.title, r.summary, kept, r.language, language is not None)
        )
    xml = render(episodes, base, server.token, language)
    return Response(xml, media_type="application/rss+xml; charset=utf-8")


#: The largest progress report taken, bytes.
PROGRESS_BYTES = 4096


@_answers
async def progress(request: Request) -> Response:
    """The page's practice (``coach.serve.progress``): ``POST /api/progress?routine=…&…``
    with the report as JSON; 204. The query names the session as for its audio."""
    if int(request.headers.get("content-length") or 0) > PROGRESS_BYTES:
        return _error(400, f"progress: a report is at most {PROGRESS_BYTES} bytes")
    body = await request.body()
    try:
        report = json.loads(body[: PROGRESS_BYTES + 1]) if len(body) <= PROGRESS_BYTES else None
    except ValueError:
        report = None
    uid, kind, chapter, seconds, finished = progress_event(report)
    followed = _server(request).progress
    if kind == "start":
        chosen = await run_in_threadpool(query.chosen, _params(request))
        await run_in_threadpool(followed.start, uid, chosen)
    elif kind == "chapter":
        await run_in_threadpool(followed.chapter, uid, chapter, seconds)
    else:
        await run_in_threadpool(followed.end, uid, finished, seconds)
    return Response(status_code=204)


def create(server: Server) -> ASGIApp:
    """The whole application for ``server``: routes behind the Guard."""
    app = Starlette(
        routes=[
            Route("/", page),
            Route("/page/{name}", page_file),
            Route("/api/routines", routines),
            Route("/api/settings", settings),
            Route("/api/script", script),
            Route("/api/words", words),
            Route("/api/session.{fmt}", session),
            Route("/api/chapters.json", chapters),
            Route("/api/progress", progress, methods=["POST"]),
            Route("/feed.xml", feed),
        ]
    )
    app.state.server = server
    return Guard(app, server)

"""The local control API: JSON over HTTP for OBS scripts, stream decks, curl and the pages.

``create_app(controls, token, library)`` is a Starlette app; ``server.ControlServer`` serves it
on loopback. Every endpoint but ``/openapi.json``, the pages and ``/events`` (``control.pages``:
read-only) wants ``Authorization: Bearer TOKEN``; bodies are JSON objects of at most 64 KiB
(an upload to the library, ``control.library_api``, has its own limit); requests whose Host is
not a loopback name are refused (DNS rebinding). Errors are JSON ``{"error": sentence}`` with
400, 401, 404, 405, 413 or 421. Handlers only read a status snapshot or queue a command, so no
request waits on a frame. Imports ``control.controls``, ``control.http``, ``control.pages``
and ``control.library_api``; never the session.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from posesim_cam.control.controls import Controls, LibraryControls
from posesim_cam.control.http import ApiError, checked, error_response, json_object
from posesim_cam.control.library_api import MAX_UPLOAD, UPLOAD_PATH, library_routes
from posesim_cam.control.openapi import openapi_document
from posesim_cam.control.pages import page_routes
from posesim_cam.settings import Kind, Setting

MAX_BODY = 64 * 1024
TARGET_BODY = (
    Setting("name", Kind.TEXT, optional=False, example='{"name": "dance"}'),
    Setting("index", Kind.INTEGER, optional=False, example='{"index": 1} (1 is the first target)'),
    Setting("step", Kind.CHOICE, choices=("next", "prev"), optional=False,
            example='{"step": "next"}'),
)  # fmt: skip
HUD_BODY = (Setting("visible", Kind.FLAG, optional=False, example='{"visible": false}'),)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

Handler = Callable[[Request], Awaitable[Response]]


def host_is_loopback(host_header: str) -> bool:
    """Whether a Host header names this machine's loopback (with or without a port)."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8765
        end = host.find("]")
        rest = host[end + 1 :] if end >= 0 else "x"
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return False
        host = host[: end + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host in LOOPBACK_HOSTS


class GuardMiddleware:
    """Refuses, before any handler runs, a Host that is not loopback (421) and a body over
    MAX_BODY (413: by its Content-Length, or as it streams in)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not host_is_loopback(headers.get("host", "")):
            await error_response(
                421, "Only loopback hosts are served (127.0.0.1, localhost, [::1])"
            )(scope, receive, send)
            return
        # An upload has a limit of its own (its handler counts what arrives); JSON has MAX_BODY.
        limit = MAX_UPLOAD if scope.get("path") == UPLOAD_PATH else MAX_BODY
        length = headers.get("content-length", "0").strip() or "0"
        if not length.isdigit() or int(length) > limit:
            status = 413 if length.isdigit() else 400
            message = (
                f"An upload may be at most {MAX_UPLOAD >> 20} MiB"
                if limit == MAX_UPLOAD
                else f"The body must be JSON of at most {MAX_BODY} bytes"
            )
            await error_response(status, message)(scope, receive, send)
            return
        received = 0

        async def bounded() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError(413, f"The body must be JSON of at most {MAX_BODY} bytes")
            return message

        await self.app(scope, bounded, send)


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


def create_app(controls: Controls, token: str, library: LibraryControls | None = None) -> ASGIApp:
    """The API over ``controls`` (and ``library``, for the control page), requiring
    ``token``; the pages and ``/events`` beside it need none."""

    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            if not _authorised(request, token):
                return error_response(
                    401,
                    "A valid token is required: send 'Authorization: Bearer TOKEN' "
                    "(`posesim-cam token` prints it)",
                    {"WWW-Authenticate": "Bearer"},
                )
            try:
                return await handler(request)
            except ApiError as error:
                return error_response(error.status, error.message)

        return endpoint

    def ok(**extra: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "status": controls.status().to_dict(), **extra})

    async def status(request: Request) -> Response:
        return JSONResponse(controls.status().to_dict())

    async def targets(request: Request) -> Response:
        names = controls.target_names()
        current = controls.status().target
        return JSONResponse(
            {
                "targets": [{"index": i, "name": n} for i, n in enumerate(names, start=1)],
                "current": current,
            }
        )

    async def target(request: Request) -> Response:
        data = await json_object(request)
        keys = set(data) & {"name", "index", "step"}
        if len(keys) != 1 or set(data) - keys:
            raise ApiError(400, 'Give exactly one of {"name": ...}, {"index": n}, {"step": ...}')
        data = checked(data, TARGET_BODY, "the body")
        names = controls.target_names()
        if "name" in data:
            name = data["name"]
            if name not in names:
                raise ApiError(404, f"There is no target called {name!r} in the library")
            controls.select_target(name)
            return ok(target=name)
        if "index" in data:
            index = data["index"]
            if not 1 <= index <= len(names):
                raise ApiError(404, f"There is no target {index}: the library holds {len(names)}")
            controls.select_target(names[index - 1])
            return ok(target=names[index - 1])
        step = data["step"]
        if not names:
            raise ApiError(404, "The library holds no targets")
        controls.step_target(1 if step == "next" else -1)
        return ok()

    def command(run: Callable[[], None]) -> Handler:
        async def endpoint(request: Request) -> Response:
            await json_object(request, required=False)  # a body, if any, must be JSON
            run()
            return ok()

        return endpoint

    async def hud(request: Request) -> Response:
        data = await json_object(request)
        if set(data) != {"visible"}:
            raise ApiError(400, 'Give {"visible": true} or {"visible": false}')
        visible = checked(data, HUD_BODY, "the body")["visible"]
        controls.set_hud_visible(visible)
        return ok(hud_visible=visible)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        messages = {
            404: "There is no such endpoint",
            405: "This endpoint does not take that method",
        }
        message = messages.get(error.status_code, str(error.detail))
        return error_response(error.status_code, message, dict(error.headers or {}) or None)

    async def api_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError)
        return error_response(error.status, error.message)

    routes = [
        Route("/status", guarded(status), methods=["GET"]),
        Route("/targets", guarded(targets), methods=["GET"]),
        Route("/target", guarded(target), methods=["POST"]),
        Route("/pause", guarded(command(controls.pause)), methods=["POST"]),
        Route("/resume", guarded(command(controls.resume)), methods=["POST"]),
        Route("/restart", guarded(command(controls.restart)), methods=["POST"]),
        Route("/hud", guarded(hud), methods=["POST"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *page_routes(controls),
        *(library_routes(library, guarded) if library is not None else []),
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error, ApiError: api_error}
    )
    return GuardMiddleware(app)

"""What a browser reads without the token: the overlay page, the control page's shell, their
static files, and the live events.

``GET /overlay`` is a transparent page for OBS's Browser Source; ``GET /`` is the control page,
which asks for the token itself and keeps it in the browser's storage, never in a URL.
``GET /events`` streams the session's status as Server-Sent Events: one JSON object per
``data:`` line, each new snapshot (one a frame while the session runs), at least one a second.
Everything is served from the package (no external scripts, fonts or CDNs), under a strict
Content-Security-Policy. Imports ``control.controls`` only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib import resources

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from posesim_cam.control.controls import Controls

# How often the event stream looks for a new snapshot, and the longest silence it keeps
# (a snapshot is sent at least this often, so a page knows the server is there).
EVENT_POLL_SECONDS = 0.01
EVENT_HEARTBEAT_SECONDS = 1.0
RECONNECT_MS = 1000  # asked of the browser's EventSource after a lost connection

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8"}  # fmt: skip
STATIC_FILES = ("overlay.js", "overlay.css", "control.js", "control.css")
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def asset(name: str, package: str = "posesim_cam.control") -> bytes:
    """A file of ``package``'s ``pages`` folder (the control package's by default)."""
    return resources.files(package).joinpath("pages", name).read_bytes()


def file_response(name: str, package: str = "posesim_cam.control") -> Response:
    """A page file of ``package``, with its type and the pages' strict headers."""
    suffix = name[name.rfind(".") :]
    return Response(asset(name, package), media_type=_TYPES[suffix], headers=PAGE_HEADERS)


async def event_stream(controls: Controls) -> AsyncIterator[str]:
    """``retry:``, then a ``data:`` line for each new status snapshot (the session makes one a
    frame), and the current one again after a second without any."""
    yield f"retry: {RECONNECT_MS}\n\n"
    loop = asyncio.get_running_loop()
    last = None
    sent_at = 0.0
    while True:
        status = controls.status()
        now = loop.time()
        if status is not last or now - sent_at >= EVENT_HEARTBEAT_SECONDS:
            last, sent_at = status, now
            yield f"data: {json.dumps(status.event(), separators=(',', ':'))}\n\n"
        await asyncio.sleep(EVENT_POLL_SECONDS)


def page_routes(controls: Controls) -> list[Route]:
    """The routes that need no token: pages, their files, and ``/events``."""

    async def overlay(request: Request) -> Response:
        return file_response("overlay.html")

    async def control_page(request: Request) -> Response:
        return file_response("control.html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:  # a fixed list: no path from the request reaches a file
            raise HTTPException(404)
        return file_response(name)

    async def events(request: Request) -> Response:
        return StreamingResponse(
            event_stream(controls),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return [
        Route("/", control_page, methods=["GET"]),
        Route("/overlay", overlay, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/events", events, methods=["GET"]),
    ]

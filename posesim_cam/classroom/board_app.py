"""The board's web app: ``GET /board`` (the page, transparent with ``?transparent``) and
``GET /board.json`` (the class's live state), served on loopback only.

Both only read: they show what the instructor's shared screen shows (names and scores), change
nothing, and need no token, like the overlay page. Requests whose Host is not loopback are
refused (``control.api.GuardMiddleware``). Imports ``classroom.board`` and ``control`` (api,
pages).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from posesim_cam.classroom.board import ClassBoard
from posesim_cam.control.api import GuardMiddleware
from posesim_cam.control.pages import file_response


def _asset(name: str) -> Response:
    return file_response(name, "posesim_cam.classroom")


def create_board_app(board: ClassBoard) -> ASGIApp:
    """The board's routes over ``board``."""

    async def page(request: Request) -> Response:
        return _asset("board.html")

    async def data(request: Request) -> Response:
        return JSONResponse(board.snapshot(), headers={"Cache-Control": "no-store"})

    async def stats(request: Request) -> Response:
        return JSONResponse(board.lag_stats(), headers={"Cache-Control": "no-store"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/board")

    routes = [
        Route("/", home),
        Route("/board", page),
        Route("/board.json", data),
        Route("/board/stats.json", stats),
        Route("/board.js", lambda request: _asset("board.js")),
        Route("/board.css", lambda request: _asset("board.css")),
    ]
    return GuardMiddleware(Starlette(routes=routes))

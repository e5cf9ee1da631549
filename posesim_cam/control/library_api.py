"""The control API's library endpoints, for the control page: list, add by path or upload,
remove, and the session history with personal bests. All want the token.

An upload streams into a hidden file in the library folder (at most MAX_UPLOAD bytes), is
prepared and copied into the library like ``targets add`` does (atomically), and is deleted
afterwards, whatever happened; a file that is not a video, or has nobody in it, is one
sentence. Preparing takes seconds, so it runs off the server's event loop. Imports
``control.controls``, ``control.http`` and ``errors``.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from posesim_cam.control.controls import LibraryControls
from posesim_cam.control.http import ApiError, checked, checked_query, json_object
from posesim_cam.errors import UserError
from posesim_cam.settings import Kind, Setting

MAX_UPLOAD = 512 * 1024 * 1024  # bytes: a few minutes of HD video
UPLOAD_PATH = "/library/upload"
MAX_HISTORY = 200
ADD_BODY = (
    Setting("path", Kind.PATH, optional=False, example='{"path": "/videos/dance.mp4"}'),
    Setting("name", Kind.TEXT, example='{"name": "dance"}'),
    Setting("replace", Kind.FLAG, example='{"replace": true}'),
)
UPLOAD_QUERY = (
    Setting("name", Kind.TEXT, optional=False, example="?name=dance"),
    Setting("replace", Kind.FLAG, example="?replace=1"),
    Setting("suffix", Kind.TEXT, example="?suffix=mp4"),
)
HISTORY_QUERY = (Setting("limit", Kind.INTEGER, 1, MAX_HISTORY, example="?limit=20"),)

Handler = Callable[[Request], Awaitable[Response]]


def library_routes(library: LibraryControls, guarded: Callable[[Handler], Handler]) -> list[Route]:
    """Routes over ``library``, each behind ``guarded`` (the token)."""

    async def call(function: Callable[..., Any], *args: Any) -> Any:
        try:
            return await run_in_threadpool(function, *args)
        except UserError as error:
            raise ApiError(400, str(error)) from None

    async def listing(request: Request) -> Response:
        items = await call(library.items)
        return JSONResponse({"targets": [item.to_dict() for item in items]})

    async def add(request: Request) -> Response:
        data = await json_object(request)
        if "path" not in data:
            raise ApiError(400, 'Give {"path": "VIDEO"} (and "name", "replace" if wanted)')
        data = checked(data, ADD_BODY, "the body")
        item = await call(library.add, data["path"], data.get("name") or None,
                          bool(data.get("replace")))  # fmt: skip
        return JSONResponse({"ok": True, "target": item.to_dict()}, status_code=201)

    async def upload(request: Request) -> Response:
        query = checked_query(request, UPLOAD_QUERY)
        name = str(query.get("name") or "").strip()
        if not name:
            raise ApiError(400, "Give the target's name: POST /library/upload?name=NAME")
        replace = bool(query.get("replace"))
        suffix = str(query.get("suffix") or "mp4").lower().lstrip(".")
        if not re.fullmatch(r"[a-z0-9]{1,5}", suffix):
            raise ApiError(400, '"suffix" must be a file extension such as mp4')
        folder = library.upload_folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            message = f"The library folder {folder} cannot be written ({error.strerror})"
            raise ApiError(500, message) from None
        partial = folder / f".upload-{secrets.token_hex(8)}.{suffix}"
        try:
            size = 0
            with open(partial, "wb") as handle:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > MAX_UPLOAD:
                        raise ApiError(413, f"An upload may be at most {MAX_UPLOAD >> 20} MiB")
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            if size == 0:
                raise ApiError(400, "The upload is empty: send the video file as the body")
            item = await call(library.add, partial, name, replace)
        finally:
            with contextlib.suppress(OSError):
                partial.unlink()
        return JSONResponse({"ok": True, "target": item.to_dict()}, status_code=201)

    async def remove(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in [item.name for item in await call(library.items)]:
            raise ApiError(404, f"There is no target called {name!r} in the library")
        await call(library.remove, name)
        return JSONResponse({"ok": True})

    async def history(request: Request) -> Response:
        limit = checked_query(request, HISTORY_QUERY).get("limit") or 20
        sessions = await call(library.history, limit)
        return JSONResponse({"sessions": sessions})

    return [
        Route("/library", guarded(listing), methods=["GET"]),
        Route("/library", guarded(add), methods=["POST"]),
        Route(UPLOAD_PATH, guarded(upload), methods=["POST"]),
        Route("/library/{name}", guarded(remove), methods=["DELETE"]),
        Route("/history", guarded(history), methods=["GET"]),
    ]

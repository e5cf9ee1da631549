"""What every endpoint of the control server shares: errors as JSON ``{"error": sentence}``,
and JSON bodies read strictly. Imports nothing of posesim_cam.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


class ApiError(Exception):
    """An error answered as JSON ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def json_object(request: Request, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object ({} when empty and not ``required``); ApiError 400 else."""
    body = await request.body()
    if not body.strip():
        if required:
            raise ApiError(400, "The body must be a JSON object")
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object")
    return data

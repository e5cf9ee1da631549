"""What every endpoint of the control server shares: errors as JSON ``{"error": sentence}``,
JSON bodies read strictly, and bodies and query strings checked against a ``settings`` schema.
Imports ``settings``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from posesim_cam.settings import Setting, SettingError, check_table, check_text_table

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ApiError(Exception):
    """An error answered as JSON ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    # A client's text echoed in a message (a path, a name) stays one line: control characters
    # are shown escaped, never as line breaks a log or a terminal would act on.
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", message)
    return JSONResponse({"error": shown}, status_code=status, headers=headers)


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


def checked(values: Mapping[str, Any], schema: Iterable[Setting], what: str) -> dict[str, Any]:
    """``values`` (a JSON body, or a query string's parameters) checked against ``schema``;
    ApiError 400 naming the field, the value and the fix, else the typed values by field."""
    try:
        return check_table(values, schema, what)
    except SettingError as error:
        raise ApiError(400, str(error)) from None


def checked_query(request: Request, schema: Iterable[Setting]) -> dict[str, Any]:
    """The query string's parameters named in ``schema``, read as text and checked; ApiError
    400 else."""
    try:
        return check_text_table(dict(request.query_params), schema, "the query string")
    except SettingError as error:
        raise ApiError(400, str(error)) from None

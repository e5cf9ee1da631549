"""The control API's OpenAPI 3.1 description, served at ``GET /openapi.json``.

Written out by hand (it is small) so clients and schema-driven testers see exactly the
contract of ``api``. Imports nothing of posesim_cam but its version.
"""

from __future__ import annotations

from typing import Any

from posesim_cam import __version__


def _command_op(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {
            "200": {"$ref": "#/components/responses/Ok"},
            **{code: _ERROR for code in ("400", "401", "405", "413", "421")},
        },
    }


_ERROR = {"$ref": "#/components/responses/Error"}


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI 3.1 description (``GET /openapi.json``)."""
    status_schema = {
        "type": "object",
        "required": ["target", "state", "score", "fps", "targets"],
        "properties": {
            "target": {"type": ["string", "null"]},
            "state": {
                "type": "string",
                "enum": ["idle", "countdown", "playing", "paused", "finished", "camera_lost"],
            },
            "score": {"type": ["number", "null"]},
            "grade": {"type": ["string", "null"]},
            "fps": {"type": "number", "description": "pictures out per second"},
            "pose_fps": {"type": "number", "description": "poses estimated per second"},
            "players": {
                "type": "array",
                "description": "with several players (run --players): id, name, score, grade",
                "items": {"type": "object"},
            },
            "targets": {"type": "integer"},
            "hud_visible": {"type": "boolean"},
            "position": {"type": "number"},
            "countdown": {"type": ["number", "null"]},
        },
    }
    target_body = {
        "oneOf": [
            {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            {
                "type": "object",
                "required": ["index"],
                "properties": {"index": {"type": "integer", "minimum": 1}},
            },
            {
                "type": "object",
                "required": ["step"],
                "properties": {"step": {"enum": ["next", "prev"]}},
            },
        ]
    }
    json_of = lambda schema: {"content": {"application/json": {"schema": schema}}}  # noqa: E731
    target_op = _command_op("Start a target by library name, 1-based index, or step")
    target_op["requestBody"] = {"required": True, **json_of(target_body)}
    target_op["responses"].update({"400": _ERROR, "404": _ERROR})
    hud_op = _command_op("Show or hide the HUD over the camera picture")
    hud_op["requestBody"] = {
        "required": True,
        **json_of(
            {
                "type": "object",
                "required": ["visible"],
                "properties": {"visible": {"type": "boolean"}},
            }
        ),
    }
    hud_op["responses"]["400"] = _ERROR
    return {
        "openapi": "3.1.0",
        "info": {"title": "posesim-cam control API", "version": __version__},
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Status": status_schema},
            "responses": {
                "Ok": {"description": "Done (applied before the next frame)", **json_of({})},
                "Error": {
                    "description": "One sentence saying what is wrong",
                    **json_of(
                        {
                            "type": "object",
                            "required": ["error"],
                            "properties": {"error": {"type": "string"}},
                        }
                    ),
                },
            },
        },
        "paths": {
            "/status": {
                "get": {
                    "summary": "The running session",
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": {
                            "description": "The status",
                            **json_of({"$ref": "#/components/schemas/Status"}),
                        },
                        "401": _ERROR,
                    },
                }
            },
            "/targets": {
                "get": {
                    "summary": "The library's targets, in index order",
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": {"description": "The targets", **json_of({})},
                        "401": _ERROR,
                    },
                }
            },
            "/target": {"post": target_op},
            "/pause": {"post": _command_op("Pause the target")},
            "/resume": {"post": _command_op("Resume the target")},
            "/restart": {"post": _command_op("Restart the target from its countdown")},
            "/hud": {"post": hud_op},
            **_page_paths(json_of),
        },
    }


def _page_paths(json_of: Any) -> dict[str, Any]:
    """The pages, the event stream (no token) and the library endpoints (token)."""
    page = {"description": "An HTML page", "content": {"text/html": {}}}

    def guarded(summary: str, ok: str = "200", **extra: Any) -> dict[str, Any]:
        return {
            "summary": summary,
            "security": [{"bearer": []}],
            "responses": {ok: {"description": "Done", **json_of({})}, "400": _ERROR,
                          "401": _ERROR, "404": _ERROR},
            **extra,
        }  # fmt: skip

    path_body = json_of(
        {
            "type": "object",
            "required": ["path"],
            "properties": {
                "path": {"type": "string"},
                "name": {"type": "string"},
                "replace": {"type": "boolean"},
            },
        }
    )
    upload = guarded("Upload a video (the body) as a target", "201")
    upload["parameters"] = [
        {"name": "name", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "suffix", "in": "query", "schema": {"type": "string", "default": "mp4"}},
        {"name": "replace", "in": "query", "schema": {"enum": ["0", "1"]}},
    ]
    upload["requestBody"] = {"content": {"application/octet-stream": {}}}
    upload["responses"]["413"] = _ERROR
    return {
        "/": {"get": {"summary": "The control page (asks for the token)",
                      "responses": {"200": page}}},
        "/overlay": {
            "get": {
                "summary": "The transparent score overlay for OBS's Browser Source",
                "responses": {"200": page},
            }
        },
        "/events": {
            "get": {
                "summary": "Server-Sent Events: the status, t and skeleton, one a frame",
                "responses": {"200": {"description": "A stream",
                                      "content": {"text/event-stream": {}}}},
            }
        },
        "/library": {
            "get": guarded("The library's targets with their personal bests"),
            "post": guarded("Prepare a video on this machine and add it", "201",
                            requestBody={"required": True, **path_body}),
        },
        "/library/upload": {"post": upload},
        "/library/{name}": {"delete": guarded("Remove a target from the library")},
        "/history": {"get": guarded("The latest session records with personal bests")},
    }  # fmt: skip

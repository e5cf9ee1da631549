"""Serving the control API: uvicorn in a thread of its own, on loopback only.

The socket is bound before the thread starts, so a port in use is one ``UserError`` naming the
port and the option, raised to the caller (``run`` reports it and goes on without the API).
Imports ``control.api`` and ``errors``.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import threading

import uvicorn
from starlette.types import ASGIApp

from posesim_cam.errors import UserError

DEFAULT_CONTROL_PORT = 8765
HOST = "127.0.0.1"
# Connections served at once; more wait in the kernel's backlog: no client can hold the
# process's memory or threads.
MAX_CONNECTIONS = 64


def bind_loopback(
    port: int, host: str = HOST, option: str = "--control-port", off: str = "--no-control"
) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one); ``option`` and ``off``
    name the command's options for another port and for no server, in the error.

    Raises:
        UserError: the port is in use or cannot be bound.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":  # there it would let a second program share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    without = f", or turn the API off with {off}" if off else ""
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise UserError(
                f"Port {port} on {host} is in use (another posesim-cam, or another program)",
                f"choose another with {option} PORT{without}",
            ) from None
        raise UserError(
            f"{'The control API' if off else 'The board'} cannot listen on {host}:{port} "
            f"({error.strerror or error})",
            f"choose another {option}{without}",
        ) from None
    return sock


class ControlServer:
    """An ASGI app served on loopback from a daemon thread.

    Args:
        app: the app (``api.create_app``).
        port: TCP port on 127.0.0.1; 0 picks a free one (see ``port`` after ``start``).
        option, off: the command's options for another port and for no server ("": none),
            named when the port cannot be had.
    """

    def __init__(
        self,
        app: ASGIApp,
        port: int = DEFAULT_CONTROL_PORT,
        option: str = "--control-port",
        off: str = "--no-control",
    ) -> None:
        self.app = app
        self.requested_port = port
        self.options = (option, off)
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> ControlServer:
        """Bind the port and start serving (returns once the server accepts connections)."""
        sock = bind_loopback(self.requested_port, option=self.options[0], off=self.options[1])
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            limit_concurrency=MAX_CONNECTIONS,
            timeout_keep_alive=5,
            # An open event stream never ends by itself: give it a second, then close it.
            timeout_graceful_shutdown=1,
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])),  # type: ignore[union-attr]
            name="control-api",
            daemon=True,
        )
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(timeout=0.01)
        if not self._server.started:
            raise UserError(
                f"The control API on {HOST}:{self.port} stopped as it started",
                "run again with --no-control, and report this with the console's output",
            )
        return self

    def close(self) -> None:
        """Stop serving; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

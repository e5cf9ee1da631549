"""Opening a connection to a class's Redis, and saying in one sentence why it failed.

Imports redis-py (lazily: only class mode needs it), ``errors`` and ``classroom.address``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from posesim_cam.classroom.address import ClassAddress
from posesim_cam.errors import UserError

TIMEOUT = 3.0  # seconds for a connect or a reply: a live loop never waits longer on Redis


def reason(error: BaseException) -> str:
    """An exception's text for inside a sentence: its first line, no final full stop."""
    text = (str(error).strip().splitlines() or [""])[0].strip().rstrip(".")
    return text[:200] or type(error).__name__


def connection_error(error: Exception, address: ClassAddress) -> UserError:
    """The one sentence for what went wrong talking to ``address`` (never its password)."""
    text = reason(error)
    upper = text.upper()
    where = f"The class server {address.host}:{address.port}"
    if "WRONGPASS" in upper or "INVALID PASSWORD" in upper or "INVALID USERNAME" in upper:
        return UserError(f"{where} refused the password", "check the password in the class URL")
    if "WITHOUT ANY PASSWORD CONFIGURED" in upper:
        return UserError(f"{where} has no password", "leave the password out of the class URL")
    if "NOAUTH" in upper or "AUTHENTICATION REQUIRED" in upper or "AUTHENTICATED" in upper:
        return UserError(
            f"{where} needs a password",
            "put it in the class URL: rediss://:PASSWORD@HOST:PORT/CLASS",
        )
    if "NOPERM" in upper or "NO PERMISSIONS" in upper:
        return UserError(
            f"{where} does not let this login use class '{address.name}'",
            "check the user and the class name in the class URL",
        )
    if "SSL" in upper or "CERTIFICATE" in upper or "TLS" in upper:
        return UserError(
            f"{where} could not agree on TLS ({text})",
            "use rediss:// for a TLS server and redis:// for a plain one",
        )
    if "TIMEOUT" in upper or "TIMED OUT" in upper:
        tls = ", and whether it speaks TLS (rediss://) or not (redis://)" if address.tls else ""
        return UserError(
            f"{where} did not answer within {TIMEOUT:g} s",
            f"check the host and port, that Redis runs there{tls}",
        )
    return UserError(
        f"{where} cannot be reached ({text})",
        "check the host and port, and that Redis runs there",
    )


def is_connection_problem(error: BaseException) -> bool:
    """Whether ``error`` came from talking to Redis (redis-py's errors, sockets, TLS)."""
    import redis

    return isinstance(error, redis.exceptions.RedisError | OSError)


def open_client(address: ClassAddress, timeout: float = TIMEOUT) -> Any:
    """A connected ``redis.Redis`` (answered a PING), else UserError."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(
        **address.connection_options(),  # type: ignore[arg-type]
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        decode_responses=True,
        # RESP2: what every Redis and hosted service speaks (RESP3's HELLO is Redis 6+ only).
        protocol=2,
        # No retries of its own: every call ends within ``timeout``, and the link and the board
        # reconnect themselves (redis-py would otherwise retry a dead host for half a minute).
        retry=Retry(NoBackoff(), 0),
        client_name="posesim-cam",
    )
    try:
        client.ping()
    except Exception as error:  # redis-py's own kinds, OSError, ssl errors
        client.close()
        raise connection_error(error, address) from None
    return client


@contextlib.contextmanager
def connected(address: ClassAddress, timeout: float = TIMEOUT) -> Iterator[Any]:
    """A connected client for one piece of work, closed after it; a Redis problem during the
    work becomes the one sentence of ``connection_error`` (other errors pass unchanged)."""
    client = open_client(address, timeout)
    try:
        yield client
    except Exception as error:
        if not is_connection_problem(error):
            raise
        raise connection_error(error, address) from None
    finally:
        client.close()

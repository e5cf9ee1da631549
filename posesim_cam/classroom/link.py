"""The student's side of a class: the live score a few times a second and each attempt's final
record, sent to the class's Redis from a thread of its own until ``close``.

Only names and scores leave the machine: the player's name, the target's name and content hash,
the phase, the score and grade, frame counts and times. Never a frame, a pose or a path.

Redis unreachable or gone mid-class: the session goes on; final records wait in a bounded queue
and are sent when it is back, and every record this session sent is sent again after a
reconnect (writes are idempotent), so a Redis that restarted empty gets them back. The console
gets one line per change, and ``badge`` is what the HUD shows meanwhile.

Imports ``classroom`` (address, connection, keys, names), ``control.controls`` (Status),
``records`` and ``errors``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum
from typing import Any, TextIO

from posesim_cam.classroom.address import ClassAddress
from posesim_cam.classroom.connection import TIMEOUT, connection_error, open_client, reason
from posesim_cam.classroom.keys import (
    CLAIM_TTL,
    LIVE_TTL,
    MESSAGE_VERSION,
    RESULTS_TTL,
    ClassKeys,
)
from posesim_cam.classroom.names import name_key
from posesim_cam.control.controls import Status
from posesim_cam.errors import UserError
from posesim_cam.records import AttemptRecord

LIVE_HZ = 5.0
MAX_QUEUED = 1000  # final records kept while Redis is away; the oldest go first beyond this
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
STABLE_SECONDS = 5.0  # a connection that lasted this long is retried at once when it drops


class LinkState(str, Enum):
    """How the link stands; the HUD badge says all but ONLINE."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    NAME_TAKEN = "name taken"


class NameTakenError(UserError):
    """Another machine holds the player's name in this class."""


def hold_name(client: Any, keys: ClassKeys, player: str, machine: str) -> bool:
    """Take ``player`` for ``machine``, or renew it where this machine holds it already (for
    CLAIM_TTL); False when another machine holds it."""
    key = keys.claim(player)
    pipe = client.pipeline(transaction=False)
    pipe.set(key, machine, nx=True, ex=CLAIM_TTL)
    pipe.get(key)
    _, holder = pipe.execute()
    if holder != machine:
        return False
    client.expire(key, CLAIM_TTL)
    return True


def claim_name(client: Any, keys: ClassKeys, player: str, machine: str, class_name: str) -> None:
    """Hold ``player`` for ``machine`` (``hold_name``); NameTakenError when another machine
    holds it."""
    if hold_name(client, keys, player, machine):
        return
    raise NameTakenError(
        f"The name '{player}' is taken in class '{class_name}' by another student",
        "choose another --player name (a name is free again a minute after its student stops)",
    )


def record_message(record: AttemptRecord, player: str, record_id: str) -> dict[str, Any]:
    """What the class keeps of a final record."""
    outcome = record.outcome
    return {
        "v": MESSAGE_VERSION,
        "id": record_id,
        "player": player,
        "target": record.target,
        "target_sha": record.target_sha,
        "score": record.score,
        "grade": record.grade,
        "frames": outcome.frames,
        "scored_frames": outcome.scored_frames,
        "finished": record.finished,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def live_message(status: Status, player: str) -> dict[str, Any]:
    """What the class sees live of a student."""
    score = None if status.score is None else round(float(status.score), 1)
    return {
        "v": MESSAGE_VERSION,
        "player": player,
        "score": score,
        "grade": status.grade,
        "target": status.target,
        "state": str(status.state.value),
        "sent": time.time(),
    }


class ClassLink:
    """Sends one student's scores to a class until ``close``.

    Args:
        address: the class.
        player: the student's name (checked with ``names.player_name``).
        machine: this machine's id, the holder of the name's claim.
        status: the live session's status (polled LIVE_HZ times a second).
        log: where changes are told, one line each.
        client_factory: opens a connected Redis client (a test seam; default ``open_client``).
    """

    def __init__(
        self,
        address: ClassAddress,
        player: str,
        machine: str,
        status: Callable[[], Status],
        log: TextIO | None = None,
        client_factory: Callable[[ClassAddress], Any] = open_client,
    ) -> None:
        self.address = address
        self.player = player
        self.machine = machine
        self.status = status
        self.log = log
        self.client_factory = client_factory
        self.keys = ClassKeys(address.name)
        self.state = LinkState.CONNECTING
        self.queued: deque[dict[str, Any]] = deque()
        self.sent: deque[dict[str, Any]] = deque(maxlen=MAX_QUEUED)
        self.dropped = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._told = ""

    @property
    def badge(self) -> str | None:
        """The HUD's word on the class, or None while all is well."""
        if self.state == LinkState.ONLINE:
            return None
        waiting = len(self.queued)
        suffix = f" ({waiting} waiting)" if waiting else ""
        return f"class {self.state.value}{suffix}"

    def start(self) -> ClassLink:
        self._thread = threading.Thread(target=self._run, name="class-link", daemon=True)
        self._thread.start()
        return self

    def submit(self, record: AttemptRecord) -> None:
        """Queue a final record (from the session's thread; never blocks)."""
        if record.score is None:
            return  # nothing to rank
        message = record_message(record, self.player, uuid.uuid4().hex)
        with self._lock:
            if len(self.queued) >= MAX_QUEUED:
                self.queued.popleft()
                self.dropped += 1
            self.queued.append(message)
        self._wake.set()

    def close(self, flush_seconds: float = 3.0) -> None:
        """Stop, after up to ``flush_seconds`` for the queued records to go out."""
        deadline = time.monotonic() + flush_seconds
        while self.queued and self.state == LinkState.ONLINE and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 2)  # every Redis call ends within TIMEOUT
        self._thread = None
        unsent = len(self.queued) + self.dropped
        if unsent:
            self._tell(f"{unsent} final scores could not be sent to class "
                       f"'{self.address.name}'; they are in this session's records.")  # fmt: skip

    # -- the thread -------------------------------------------------------------------------

    def _tell(self, message: str) -> None:
        if message == self._told:
            return
        self._told = message
        if self.log is not None:
            print(f"posesim-cam: {message}", file=self.log, flush=True)

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            client = None
            try:
                client = self.client_factory(self.address)
                claim_name(client, self.keys, self.player, self.machine, self.address.name)
            except NameTakenError as error:
                self.state = LinkState.NAME_TAKEN
                self._tell(f"{error} Scores are not sent.")
                _close(client)
                return
            except Exception as error:  # unreachable, refused, or the claim failed: try again
                _close(client)
                self.state = LinkState.OFFLINE
                problem = (
                    error if isinstance(error, UserError) else connection_error(error, self.address)
                )
                self._tell(f"{problem} Scores wait and are sent when it is back.")
                self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
                continue
            self.state = LinkState.ONLINE
            self._tell(f"in class '{self.address.name}' at {self.address.host}:"
                       f"{self.address.port} as {self.player}.")  # fmt: skip
            connected_at = time.monotonic()
            try:
                self._serve(client)
            except Exception as error:  # the connection broke, or a command was refused
                if self._stop.is_set():
                    return
                self.state = LinkState.OFFLINE
                self._tell(f"lost the class server ({reason(error)}); scores wait and are sent "
                           "when it is back.")  # fmt: skip
            finally:
                _close(client)
            # A failure that comes back at once (a refused command, a server going down) is
            # not retried in a tight loop.
            lasted = time.monotonic() - connected_at > STABLE_SECONDS
            attempt = 0 if lasted else attempt + 1
            if not lasted:
                self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])

    def _serve(self, client: Any) -> None:
        """Publish until the link closes; raises when the connection breaks."""
        with self._lock:
            again = list(self.sent)
        if again:  # a Redis that restarted empty gets this session's records back
            self._write_records(client, again)
        period = 1.0 / LIVE_HZ
        while not self._stop.is_set():
            started = time.monotonic()
            # Renewed only while still ours: another machine may have taken the name while this
            # one stalled for longer than CLAIM_TTL.
            if not hold_name(client, self.keys, self.player, self.machine):
                self.state = LinkState.NAME_TAKEN
                self._tell(f"the name '{self.player}' was taken in class '{self.address.name}' "
                           "by another student while this machine was away; scores are no longer "
                           "sent (they are in this session's records). Join again under another "
                           "--player name.")  # fmt: skip
                self._stop.set()
                return
            self._publish_live(client)
            while self.queued:
                with self._lock:
                    batch = list(self.queued)[:100]
                self._write_records(client, batch)
                written = {record["id"] for record in batch}
                with self._lock:  # by id: submit may have dropped the oldest meanwhile
                    self.sent.extend(batch)
                    self.queued = deque(r for r in self.queued if r["id"] not in written)
            self._wake.wait(max(0.0, period - (time.monotonic() - started)))
            self._wake.clear()
        self._publish_live(client, left=True)  # the board shows at once that the student left

    def _publish_live(self, client: Any, left: bool = False) -> None:
        message = live_message(self.status(), self.player)
        if left:
            message["state"] = "left"
        text = json.dumps(message)
        pipe = client.pipeline(transaction=False)
        pipe.publish(self.keys.live, text)
        pipe.hset(self.keys.players, name_key(self.player), text)
        pipe.expire(self.keys.players, LIVE_TTL)
        pipe.execute()

    def _write_records(self, client: Any, records: list[dict[str, Any]]) -> None:
        """Store final records (idempotent: the same record twice changes nothing)."""
        pipe = client.pipeline(transaction=True)
        for record in records:
            pipe.hset(self.keys.results, record["id"], json.dumps(record))
            rank = self.keys.rank(record["target_sha"])
            pipe.zadd(rank, {name_key(record["player"]): record["score"]}, gt=True)
            pipe.expire(rank, RESULTS_TTL)
            pipe.hsetnx(self.keys.targets, record["target_sha"], record["target"])
        pipe.expire(self.keys.results, RESULTS_TTL)
        pipe.expire(self.keys.targets, RESULTS_TTL)
        pipe.execute()


def _close(client: Any) -> None:
    if client is not None:
        with contextlib.suppress(Exception):  # a broken connection may raise: it is gone anyway
            client.close()

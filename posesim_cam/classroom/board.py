"""The instructor's side of a class: every student's live state, kept from the class's pub/sub
channel, and the final rankings, read every few seconds; ``snapshot`` is what the board shows.

A thread subscribes; a Redis that goes away is reconnected to (the players' last states are read
back from the ``players`` hash), and the board meanwhile says it is offline. Every message is
untrusted: names and text are cleaned, scores must be finite and within 0-100, and the number
of players kept is bounded.

Imports ``classroom`` (address, connection, keys, names, results) and ``errors``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from posesim_cam.classroom.address import ClassAddress
from posesim_cam.classroom.connection import TIMEOUT, open_client, reason
from posesim_cam.classroom.keys import ClassKeys
from posesim_cam.classroom.names import name_key, shown_name
from posesim_cam.classroom.results import TargetRanking, clean_score, clean_text, read_rankings
from posesim_cam.errors import UserError

STALE_SECONDS = 10.0  # a student silent this long shows as "away"
FORGET_SECONDS = 600.0  # and this long leaves the board (a board may run for days)
MAX_PLAYERS = 5000  # the board keeps at most this many students (the most recent)
RANKINGS_SECONDS = 2.0  # how often the final rankings are read again
STATES = frozenset({"idle", "countdown", "playing", "paused", "finished", "camera_lost", "left"})
BACKOFF = (0.5, 1.0, 2.0, 4.0)
LAG_SAMPLES = 2000
MAX_MESSAGE = 4096  # bytes of one live message: ours are about 150
STABLE_SECONDS = 5.0  # a connection that lasted this long is retried at once when it drops


@dataclass(frozen=True)
class BoardPlayer:
    """One student on the live board."""

    name: str
    score: float | None
    grade: str | None
    target: str | None
    state: str  # the session's phase, or "away" when silent for STALE_SECONDS
    updated: float  # time.time() of the student's last message, as the board received it


def sent_time(data: dict[str, Any], received: float) -> float | None:
    """The message's ``sent`` stamp where it is a time within an hour before ``received``."""
    sent = data.get("sent")
    if isinstance(sent, bool) or not isinstance(sent, int | float):
        return None
    try:
        sent = float(sent)
    except OverflowError:
        return None
    return sent if math.isfinite(sent) and 0.0 <= received - sent < 3600.0 else None


def _parse(text: object, received: float, seeded: bool) -> tuple[BoardPlayer, float | None] | None:
    data = json.loads(text) if isinstance(text, str | bytes) and len(text) < MAX_MESSAGE else None
    if not isinstance(data, dict):
        return None
    name = shown_name(data.get("player"))
    if name is None:
        return None
    state = data.get("state")
    state = state if isinstance(state, str) and state in STATES else "idle"
    sent = sent_time(data, received)
    # A state read back from the hash is as old as it was sent (an hour at most), not new.
    updated = (sent if sent is not None else received - STALE_SECONDS) if seeded else received
    player = BoardPlayer(name, clean_score(data.get("score")), clean_text(data.get("grade"), 20),
                         clean_text(data.get("target")), state, updated)  # fmt: skip
    return player, sent


def parse_live(
    text: object, received: float, seeded: bool = False
) -> tuple[BoardPlayer, float | None] | None:
    """A live message as the board keeps it, and its ``sent`` stamp; None when it is not one
    (any failure of untrusted input, e.g. JSON nested ten thousand deep, means "not one")."""
    try:
        return _parse(text, received, seeded)
    except Exception:
        return None


def ranked(players: list[BoardPlayer], now: float) -> list[BoardPlayer]:
    """Best live score first, those without a score after; silent ones marked away, and left
    out after FORGET_SECONDS."""
    shown = [
        p
        if now - p.updated <= STALE_SECONDS or p.state == "left"
        else BoardPlayer(**{**asdict(p), "state": "away"})
        for p in players
        if now - p.updated <= FORGET_SECONDS
    ]
    return sorted(shown, key=lambda p: (p.score is None, -(p.score or 0.0), p.name.casefold()))


class ClassBoard:
    """Follows one class until ``close``.

    Args:
        address: the class.
        log: where connection changes are told, one line each.
        client_factory: opens a connected Redis client (a test seam; default ``open_client``).
    """

    def __init__(
        self,
        address: ClassAddress,
        log: TextIO | None = None,
        client_factory: Callable[[ClassAddress], Any] = open_client,
    ) -> None:
        self.address = address
        self.keys = ClassKeys(address.name)
        self.log = log
        self.client_factory = client_factory
        self.online = False
        self.messages = 0
        self.lags: deque[float] = deque(maxlen=LAG_SAMPLES)  # seconds, student's clock to ours
        self._players: dict[str, BoardPlayer] = {}
        self._rankings: list[TargetRanking] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._told = ""

    def start(self) -> ClassBoard:
        self._thread = threading.Thread(target=self._run, name="class-board", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 2)  # every Redis call ends within TIMEOUT
        self._thread = None

    def snapshot(self) -> dict[str, Any]:
        """``GET /board.json``: the players best first, the final rankings, the link's state."""
        now = time.time()
        with self._lock:
            players = ranked(list(self._players.values()), now)
            rankings = list(self._rankings)
        return {
            "class": self.address.name,
            "online": self.online,
            "players": [asdict(p) for p in players],
            "finals": [r.to_dict() for r in rankings],
            "at": now,
        }

    def lag_stats(self) -> dict[str, float | int]:
        """Publish-to-board lag of recent messages (p50, p95, in seconds), for the bench."""
        lags = sorted(self.lags)
        if not lags:
            return {"messages": self.messages}
        pick = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]  # noqa: E731
        return {"messages": self.messages, "p50": pick(0.5), "p95": pick(0.95)}

    # -- the thread -------------------------------------------------------------------------

    def _tell(self, message: str) -> None:
        if message != self._told and self.log is not None:
            print(f"posesim-cam: {message}", file=self.log, flush=True)
        self._told = message

    def _run(self) -> None:
        attempt = 0
        lost = False  # the loss was told; the failed reconnects after it are not
        while not self._stop.is_set():
            try:
                client = self.client_factory(self.address)
            except UserError as error:
                self.online = False
                if not lost:
                    self._tell(f"{error} The board tries again in the background.")
                self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
                continue
            lost = False
            connected_at = time.monotonic()
            try:
                self._follow(client)
            except Exception as error:  # the connection broke: read everything again
                self.online = False
                if not self._stop.is_set():
                    self._tell(f"lost the class server ({reason(error)}); reconnecting.")
                    lost = True
            finally:
                client.close()
            # A failure that comes back at once (a refused command, a server going down) is
            # not retried in a tight loop.
            lasted = time.monotonic() - connected_at > STABLE_SECONDS
            attempt = 0 if lasted else attempt + 1
            if not lasted:
                self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])

    def _follow(self, client: Any) -> None:
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.keys.live)
        try:
            received = time.time()
            seeded = {}
            for text in client.hgetall(self.keys.players).values():
                parsed = parse_live(text, received, seeded=True)
                if parsed is not None:
                    seeded[name_key(parsed[0].name)] = parsed[0]
            with self._lock:
                for key, player in sorted(seeded.items(), key=lambda item: item[1].updated):
                    self._keep(key, player)
            self.online = True
            self._tell(f"following class '{self.address.name}' at {self.address.host}:"
                       f"{self.address.port}.")  # fmt: skip
            next_rankings = 0.0
            while not self._stop.is_set():
                if time.monotonic() >= next_rankings:
                    rankings = read_rankings(client, self.keys)
                    with self._lock:
                        self._rankings = rankings
                    next_rankings = time.monotonic() + RANKINGS_SECONDS
                message = pubsub.get_message(timeout=0.2)
                while message is not None:
                    self._take(message.get("data"))
                    message = pubsub.get_message(timeout=0.0)
        finally:
            pubsub.close()

    def _take(self, data: object) -> None:
        received = time.time()
        parsed = parse_live(data, received)
        if parsed is None:
            return
        player, sent = parsed
        self.messages += 1
        if sent is not None:
            self.lags.append(received - sent)
        with self._lock:
            self._keep(name_key(player.name), player)

    def _keep(self, key: str, player: BoardPlayer) -> None:
        """Keep ``player`` (the lock held), most recent last, at most MAX_PLAYERS."""
        self._players.pop(key, None)  # re-inserted last: the most recent survive the bound
        self._players[key] = player
        while len(self._players) > MAX_PLAYERS:
            self._players.pop(next(iter(self._players)))

"""Class mode's commands: joining a class from ``run``, the instructor's board, the final
results, and clearing a class.

Imports the classroom package, ``control.server`` (to serve the board), ``control.token`` (this
machine's id), ``records``, ``session`` and ``errors``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import Any, TextIO

from posesim_cam.classroom.address import ClassAddress, parse_class_url
from posesim_cam.classroom.board import ClassBoard
from posesim_cam.classroom.board_app import create_board_app
from posesim_cam.classroom.connection import connected, open_client
from posesim_cam.classroom.keys import ClassKeys
from posesim_cam.classroom.link import ClassLink, claim_name
from posesim_cam.classroom.names import player_name
from posesim_cam.classroom.results import TargetRanking, read_rankings
from posesim_cam.control.server import ControlServer
from posesim_cam.control.token import load_token
from posesim_cam.errors import UserError
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession


def machine_id() -> str:
    """This machine's id in a class: derived from its control token (never the token itself),
    so the same machine gets its name back after a restart."""
    return hashlib.sha256(b"posesim-cam class " + load_token().encode()).hexdigest()[:20]


def class_of_options(
    class_url: str | None, player: str | None, players: int
) -> tuple[ClassAddress, str] | None:
    """``run``'s class and player name, checked and joined before the session starts (UserError:
    a bad URL, a missing or bad name, several players, an unreachable class, a taken name)."""
    if class_url is None:
        if player is not None:
            raise UserError("--player names you in a class", "add --class URL, or leave it out")
        return None
    address = parse_class_url(class_url)
    if player is None:
        raise UserError("--class needs --player NAME", "add the name the class sees you by")
    if players > 1:
        raise UserError("--class takes one player per machine", "leave out --players, or --class")
    name = player_name(player)
    join_class(address, name, machine_id())
    return address, name


def start_class_link(
    joined: tuple[ClassAddress, str] | None,
    session: LiveSession,
    records: RecordStore,
    stack: contextlib.ExitStack,
    log: TextIO,
) -> None:
    """Send the session's live score and final records to the class it joined."""
    if joined is None:
        return
    address, player = joined
    link = ClassLink(address, player, machine_id(), session.status, log).start()
    records.listeners.append(link.submit)
    session.notices.append(lambda: link.badge)
    stack.callback(link.close)


def join_class(address: ClassAddress, player: str, machine: str) -> None:
    """Check, before a session starts, that the class can be reached and ``player`` is free
    (UserError otherwise: a wrong password, an unreachable host, a taken name)."""
    with connected(address) as client:
        claim_name(client, ClassKeys(address.name), player, machine, address.name)


def results(url: str) -> tuple[ClassAddress, list[TargetRanking]]:
    """The class at ``url`` and its final rankings."""
    address = parse_class_url(url, "The class URL")
    with connected(address) as client:
        return address, read_rankings(client, ClassKeys(address.name))


def clear_class(url: str) -> int:
    """Delete every key of the class at ``url``; returns how many there were."""
    address = parse_class_url(url, "The class URL")
    with connected(address) as client:
        keys = list(client.scan_iter(match=ClassKeys(address.name).pattern, count=500))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)


def serve_board(
    url: str, port: int, log: TextIO, ready: Any = None, stop: threading.Event | None = None
) -> None:
    """Follow the class at ``url`` and serve its board on 127.0.0.1:``port`` until Ctrl-C (or
    ``stop``); ``ready`` is called with the board's URL once it serves."""
    address = parse_class_url(url, "The class URL")
    open_client(address).close()  # a wrong password or host: one sentence, before serving
    board = ClassBoard(address, log=log)
    server = ControlServer(create_board_app(board), port, option="--port", off="")
    server.start()  # a port in use: one sentence, before the board follows anything
    board.start()
    try:
        page = f"{server.url}/board"
        data = f"{server.url}/board.json"
        print(f"posesim-cam: the board of class '{address.name}' is at {page} (data: {data}). "
              "Ctrl-C ends it.", file=log, flush=True)  # fmt: skip
        if ready is not None:
            ready(page)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        board.close()

"""The OBS link's pure parts, with numbers: addresses, scene names, the score text."""

from __future__ import annotations

import pytest

from posesim_cam.clock import Phase
from posesim_cam.control.controls import Status
from posesim_cam.control.obs import ObsSettings, parse_address, score_text
from posesim_cam.errors import UserError


@pytest.mark.parametrize(
    ("text", "host", "port", "address"),
    [
        ("localhost", "localhost", 4455, "localhost:4455"),
        (":4460", "localhost", 4460, "localhost:4460"),
        ("obs.lan:4461", "obs.lan", 4461, "obs.lan:4461"),
        ("[::1]:4462", "::1", 4462, "[::1]:4462"),
        ("::1", "::1", 4455, "[::1]:4455"),
        (" 10.0.0.2 ", "10.0.0.2", 4455, "10.0.0.2:4455"),
    ],
)
def test_addresses(text: str, host: str, port: int, address: str):
    assert parse_address(text) == (host, port)
    assert ObsSettings(host, port).address == address


@pytest.mark.parametrize("text", ["host:notaport", "host:0", "host:70000", "[::1]x"])
def test_bad_addresses_are_one_sentence(text: str):
    with pytest.raises(UserError, match="is not an OBS address"):
        parse_address(text)


def test_scenes_name_their_targets():
    settings = ObsSettings(scenes={"Squat challenge": "squats"})
    assert settings.target_of_scene("Squat challenge") == "squats"
    assert settings.target_of_scene("PoseSim: dance") == "dance"
    assert settings.target_of_scene("PoseSim:  warm up ") == "warm up"
    assert settings.target_of_scene("PoseSim: ") is None
    assert settings.target_of_scene("Just chatting") is None


def test_the_score_text():
    playing = Status("dance", Phase.PLAYING, 86.6, "Great", 30.0, 2)
    assert score_text(playing) == "87 Great\ndance"
    assert score_text(Status(None, Phase.IDLE, None, None, 0.0, 0)) == "--\nno target"
    counting = Status("dance", Phase.COUNTDOWN, None, None, 30.0, 2, countdown=2.01)
    assert score_text(counting) == "Get ready: 3\ndance"  # as the HUD counts: 3, 2, 1
    assert score_text(Status("dance", Phase.COUNTDOWN, None, None, 30.0, 2, countdown=0.2)) == (
        "Get ready: 1\ndance"
    )


def test_a_reset_connection_ends_the_receiver_quietly(monkeypatch: pytest.MonkeyPatch):
    import threading

    from posesim_cam.control.obs import _receiver

    class Receiver(threading.Thread):  # obs-websocket-py's RecvThread re-raises OSError
        def __init__(self, core: object) -> None:
            super().__init__(daemon=True)

        def run(self) -> None:
            raise ConnectionResetError(104, "Connection reset by peer")

    escaped: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: escaped.append(args.exc_value))
    thread = _receiver(Receiver)(None)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive() and escaped == []  # gone (the link reconnects), no traceback
    plain = Receiver(None)
    plain.start()
    plain.join(timeout=5)
    assert len(escaped) == 1  # the check can fail: the library's own thread would print one

"""A real OBS Studio for tests: Xvfb, a fresh OBS home with obs-websocket enabled, a scene
collection that loads the project's OBS script, and OBS started, stopped and restarted by pid.

OBS and Xvfb come from Debian (`.ci/run` installs obs-studio and xvfb). Nothing of the
user's own OBS is touched: HOME points at a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT
from tests.polling import wait_until

SCRIPT = REPO_ROOT / "obs_scripts" / "posesim_control.py"
PASSWORD = "obs-test-password-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_display() -> int:
    for number in range(90, 200):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


def scene_collection(name: str, media_file: Path, api_url: str, token: str) -> dict[str, Any]:
    """A scene collection: "Main" with the score text and the target Media Source, a
    "PoseSim: squats" scene, and the project's script loaded with its settings."""

    def scene(scene_name: str, items: list[str]) -> dict[str, Any]:
        return {
            "id": "scene",
            "versioned_id": "scene",
            "name": scene_name,
            "settings": {
                "id_counter": len(items),
                "items": [{"name": n, "id": k + 1, "visible": True} for k, n in enumerate(items)],
            },
        }

    return {
        "name": name,
        "current_scene": "Main",
        "current_program_scene": "Main",
        "scene_order": [{"name": "Main"}, {"name": "PoseSim: squats"}, {"name": "Other"}],
        "sources": [
            scene("Main", ["PoseSim Target", "PoseSim Score"]),  # the score drawn on top
            scene("PoseSim: squats", ["PoseSim Score"]),
            scene("Other", []),
            {
                "id": "text_ft2_source",
                "versioned_id": "text_ft2_source_v2",
                "name": "PoseSim Score",
                "settings": {"text": "", "font": {"face": "DejaVu Sans", "size": 48}},
            },
            {
                "id": "ffmpeg_source",
                "versioned_id": "ffmpeg_source",
                "name": "PoseSim Target",
                "settings": {"local_file": str(media_file), "looping": True},
            },
        ],
        "modules": {
            "scripts-tool": [
                {"path": str(SCRIPT), "settings": {"api_url": api_url, "token": token}}
            ]
        },
    }


class ObsStudio:
    """OBS under Xvfb with obs-websocket on ``port`` (password ``PASSWORD``)."""

    def __init__(self, home: Path, media_file: Path, api_url: str, token: str) -> None:
        self.home = home
        self.port = free_port()
        self.display = free_display()
        self.xvfb: subprocess.Popen | None = None
        self.obs: subprocess.Popen | None = None
        self.log = home / "obs.log"
        config = home / ".config" / "obs-studio"
        (config / "basic" / "scenes").mkdir(parents=True, exist_ok=True)
        (config / "basic" / "profiles" / "PoseSim").mkdir(parents=True, exist_ok=True)
        (config / "global.ini").write_text(
            "[General]\nFirstRun=true\nLastVersion=486539266\nConfirmOnExit=false\n\n"
            "[Basic]\nProfile=PoseSim\nProfileDir=PoseSim\nSceneCollection=PoseSim\n"
            "SceneCollectionFile=PoseSim\n\n"
            f"[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={self.port}\n"
            f"AlertsEnabled=false\nAuthRequired=true\nServerPassword={PASSWORD}\n"
        )
        (config / "basic" / "profiles" / "PoseSim" / "basic.ini").write_text(
            "[General]\nName=PoseSim\n\n[Video]\nBaseCX=640\nBaseCY=360\nOutputCX=640\n"
            "OutputCY=360\nFPSType=0\nFPSCommon=30\n"
        )
        collection = scene_collection("PoseSim", media_file, api_url, token)
        (config / "basic" / "scenes" / "PoseSim.json").write_text(json.dumps(collection))

    @property
    def env(self) -> dict[str, str]:
        # cv2 points Qt at its own plugins when imported (QT_QPA_PLATFORM_PLUGIN_PATH): OBS
        # must use Debian's.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "XDG_"))}
        return {
            **inherited,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "DISPLAY": f":{self.display}",
            "LIBGL_ALWAYS_SOFTWARE": "1",
            "QT_QPA_PLATFORM": "xcb",
        }

    def start(self, timeout: float = 60.0) -> ObsStudio:
        if self.xvfb is None:
            self.xvfb = subprocess.Popen(
                ["Xvfb", f":{self.display}", "-screen", "0", "1280x1024x24", "+extension", "GLX"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_for(lambda: Path(f"/tmp/.X11-unix/X{self.display}").exists(), 20, "Xvfb")
        with open(self.log, "a") as log:
            self.obs = subprocess.Popen(
                ["obs", "--disable-shutdown-check", "--multi", "--disable-missing-files-check"],
                cwd=self.home,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.websocket_up, timeout, "OBS's websocket", self.log)
        return self

    def websocket_up(self) -> bool:
        assert self.obs is not None
        if self.obs.poll() is not None:
            raise RuntimeError(f"OBS exited with {self.obs.returncode}: see {self.log}")
        try:
            client = self.client()
        except Exception:
            return False
        client.disconnect()
        return True

    def client(self) -> Any:
        from obswebsocket import obsws

        client = obsws("127.0.0.1", self.port, PASSWORD, timeout=10)
        client.connect()
        return client

    def kill(self) -> None:
        """OBS gone at once (a crash): SIGKILL."""
        if self.obs is not None:
            self.obs.kill()
            self.obs.wait(timeout=30)
            self.obs = None

    def stop(self) -> None:
        """OBS ended cleanly (SIGINT lets it save), then Xvfb."""
        if self.obs is not None:
            self.obs.send_signal(signal.SIGINT)
            try:
                self.obs.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.obs.kill()
                self.obs.wait(timeout=10)
            self.obs = None
        if self.xvfb is not None:
            self.xvfb.terminate()
            self.xvfb.wait(timeout=10)
            self.xvfb = None


def wait_for(check, timeout: float, what: str, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    if wait_until(check, timeout, interval=0.2):
        return
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise TimeoutError(f"{what} did not come up in {timeout:.0f} s\n{tail}")


def have_obs() -> bool:
    return bool(shutil.which("obs") and shutil.which("Xvfb"))

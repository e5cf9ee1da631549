"""Screenshots of a real OBS Studio steering posesim-cam, for docs/obs.md.

Starts Xvfb and OBS (the test suite's helper, tests/control/obs_studio.py: a fresh OBS home with
obs-websocket on and the project's script loaded), a `posesim-cam run` on a looping test clip
linked with it, then captures OBS's main window (the score in its text source) and the
Tools -> Scripts panel of obs_scripts/posesim_control.py. Needs obs-studio, xvfb, xdotool and
x11-apps (xwd) from Debian.

    python bench/obs_screenshots.py docs/   # writes obs_main.png and obs_script_panel.png
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posesim_cam.commands.workspace import Workspace
from posesim_cam.encoder import load_encoder
from tests.control.obs_studio import PASSWORD, ObsStudio, free_port

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata")).resolve()
TOKEN = "screenshot-token-0123456789"


def read_xwd(data: bytes) -> np.ndarray:
    """An xwd dump (ZPixmap, 24 or 32 bits a pixel, least significant byte first) as BGR."""
    header = struct.unpack(">25I", data[:100])
    header_size, width, height = header[0], header[4], header[5]
    byte_order, bits_per_pixel, bytes_per_line, colours = (
        header[7],
        header[11],
        header[12],
        header[19],
    )
    if byte_order != 0 or bits_per_pixel not in (24, 32):
        raise ValueError("only LSB-first 24/32-bit xwd dumps are read here")
    n = bits_per_pixel // 8
    rows = np.frombuffer(data, np.uint8, bytes_per_line * height, header_size + colours * 12)
    return rows.reshape(height, bytes_per_line)[:, : width * n].reshape(height, width, n)[:, :, :3]


def window(display: str, title: str) -> str:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", title],
        capture_output=True, text=True, env={**os.environ, "DISPLAY": display},
    ).stdout.split()  # fmt: skip
    if not found:
        raise RuntimeError(f"no window {title!r}")
    return found[0]


def capture(display: str, window_id: str, out: Path) -> None:
    # Each top-level window is captured on its own: under Xvfb a dump of the root leaves
    # dialogs black.
    dump = subprocess.run(
        ["xwd", "-silent", "-id", window_id],
        capture_output=True, check=True, env={**os.environ, "DISPLAY": display},
    ).stdout  # fmt: skip
    cv2.imwrite(str(out), read_xwd(dump))
    print(f"wrote {out}")


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, env={**os.environ, "DISPLAY": display})


def main(out_dir: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="posesim-obs-shots-"))
    library = root / "library"
    workspace = Workspace(library_dir=library)
    encoder = load_encoder()
    for name, clip in (("dance", "dance_1person_30fps.mp4"), ("squats", "squats_1person_5fps.mp4")):
        video = TESTDATA / "video" / clip
        workspace.prepare(video, encoder, name)
        workspace.library.add(video, name)
    api_port = free_port()
    obs = ObsStudio(root / "obs-home", TESTDATA / "video" / "dance_1person_30fps.mp4",
                    f"http://127.0.0.1:{api_port}", TOKEN)  # fmt: skip
    run = None
    try:
        obs.start()
        display = f":{obs.display}"
        command = [
            str(Path(sys.executable).parent / "posesim-cam"), "run",
            "--source", str(TESTDATA / "video" / "dance_1person_30fps.mp4"),
            "--loop", "--realtime", "--output", "null", "--library", str(library),
            "--control-port", str(api_port), "--token", TOKEN, "--target", "dance",
            "--obs", f"127.0.0.1:{obs.port}", "--obs-password", PASSWORD,
        ]  # fmt: skip
        run = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        time.sleep(12)  # models loaded, the target playing, the score in the text source
        main_window = window(display, "^OBS ")
        capture(display, main_window, out_dir / "obs_main.png")
        # Tools -> Scripts: the fourth entry of the Tools menu in OBS 29.
        xdotool(display, "mousemove", "378", "12", "click", "1")
        time.sleep(0.5)
        for _ in range(4):
            xdotool(display, "key", "Down")
        xdotool(display, "key", "Return")
        time.sleep(1.5)
        scripts = window(display, "^Scripts$")
        xdotool(display, "windowsize", scripts, "900", "560")
        time.sleep(1.0)
        capture(display, scripts, out_dir / "obs_script_panel.png")
    finally:
        if run is not None:
            run.send_signal(signal.SIGTERM)
            run.wait(timeout=30)
        obs.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))

"""A network camera for tests: real video frames as an MJPEG stream over HTTP on loopback
(``multipart/x-mixed-replace``, as IP cameras and phone webcam apps serve), that can be
unplugged (connections cut, new ones refused) and plugged back in."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import cv2
import numpy as np

BOUNDARY = b"posesimframe"


class MjpegCamera:
    def __init__(self, video: Path, fps: float = 15.0) -> None:
        self.frames = self._jpegs(video)
        self.fps = fps
        self.plugged = threading.Event()
        self.plugged.set()
        self.served = 0
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    @staticmethod
    def _jpegs(video: Path) -> list[bytes]:
        capture = cv2.VideoCapture(str(video))
        frames = []
        while True:
            ok, image = capture.read()
            if not ok:
                break
            frames.append(cv2.imencode(".jpg", image)[1].tobytes())
        capture.release()
        return frames

    def unplug(self) -> None:
        """Cut every connection and refuse new ones, as a camera pulled from the network."""
        self.plugged.clear()
        with self._lock:
            for client in self._clients:
                with _quiet():
                    client.shutdown(socket.SHUT_RDWR)
                    client.close()
            self._clients.clear()
            if self._listener is not None:
                self._listener.close()
                self._listener = None

    def plug(self) -> None:
        self.plugged.set()

    def close(self) -> None:
        self._stop.set()
        self.unplug()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not self.plugged.wait(0.05):
                continue
            with self._lock:
                if self._listener is None:
                    listener = socket.socket()
                    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    listener.bind(("127.0.0.1", self.port))
                    listener.listen(4)
                    listener.settimeout(0.1)
                    self._listener = listener
                listener = self._listener
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._clients.append(client)
            threading.Thread(target=self._stream, args=(client,), daemon=True).start()

    def _stream(self, client: socket.socket) -> None:
        with _quiet():
            client.recv(4096)  # the request
            client.sendall(
                b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary="
                + BOUNDARY
                + b"\r\n\r\n"
            )
            index = 0
            while not self._stop.is_set() and self.plugged.is_set():
                jpeg = self.frames[index % len(self.frames)]
                client.sendall(
                    b"--"
                    + BOUNDARY
                    + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(jpeg)).encode()
                    + b"\r\n\r\n"
                    + jpeg
                    + b"\r\n"
                )
                self.served += 1
                index += 1
                time.sleep(1.0 / self.fps)


class _quiet:
    """Suppress the socket errors of a connection being cut on purpose."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, OSError)


def first_frame(url: str) -> np.ndarray | None:
    capture = cv2.VideoCapture(url)
    ok, image = capture.read()
    capture.release()
    return image if ok else None

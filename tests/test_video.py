"""TargetVideo: frames by index from a real video, and closing it while another thread reads."""

from __future__ import annotations

import threading
from pathlib import Path

from posesim_cam.video import TargetVideo


def test_frames_by_index_forward_and_back(testdata: Path):
    video = TargetVideo(testdata / "video" / "dance_1person_30fps.mp4")
    tenth = video.frame(10)
    assert tenth is not None and tenth.shape == (576, 576, 3)
    assert video.frame(10) is tenth  # the same frame again costs nothing
    assert video.frame(3) is not None and video.frame(11) is not None
    video.close()
    assert video.frame(0) is None  # closed: no reopening behind the owner's back
    video.close()


def test_closing_while_the_render_thread_reads_is_safe(testdata: Path):
    # The session closes a target's video when it switches targets while the render thread
    # may still read it: that must neither crash the decoder nor reopen the file.
    def reader(video: TargetVideo, results: list[object]) -> None:
        for index in range(0, 120, 3):
            results.append(video.frame(index))

    for _ in range(5):
        video = TargetVideo(testdata / "video" / "dance_1person_30fps.mp4")
        results: list[object] = []
        thread = threading.Thread(target=reader, args=(video, results))
        thread.start()
        video.close()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert video.frame(5) is None

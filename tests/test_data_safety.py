"""Nothing a user made is lost or corrupted: the library index, caches, records and personal
bests under concurrent processes, a process killed with SIGKILL at many points, and a records
folder that cannot be written. Real processes, real files."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.files import atomic_write_bytes, locked, remove_orphans
from posesim_cam.records import RecordStore
from posesim_cam.sequence import PoseSequence
from posesim_cam.targets import TargetCache, TargetLibrary
from tests.test_cli import SCRIPT
from tests.test_records import record

CONTEXT = multiprocessing.get_context("spawn")  # a fresh interpreter, as a second `run` is


def _add_under_names(root: str, video: str, names: list[str], start: float) -> None:
    while time.time() < start:  # all processes begin together
        time.sleep(0.001)
    library = TargetLibrary(Path(root))
    for name in names:
        library.add(Path(video), name)


def test_processes_adding_at_once_all_keep_their_entries(testdata: Path, tmp_path: Path):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    other = tmp_path / "other.mp4"
    other.write_bytes(squats.read_bytes() + b"\0")  # another video: another copy
    root = tmp_path / "lib"
    start = time.time() + 1.5
    jobs = [
        CONTEXT.Process(
            target=_add_under_names,
            args=(
                str(root),
                str(squats if i % 2 else other),
                [f"p{i}-{k}" for k in range(5)],
                start,
            ),
        )
        for i in range(6)
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(60)
        assert job.exitcode == 0
    entries = TargetLibrary(root).entries()
    assert sorted(e.name for e in entries) == sorted(
        f"p{i}-{k}" for i in range(6) for k in range(5)
    )
    copies = sorted(p.name for p in (root / "videos").iterdir())
    assert len(copies) == 2 and {e.video.name for e in entries} == set(copies)
    assert not [p for p in root.rglob("*.tmp")]


def test_two_targets_add_commands_at_once_both_land(testdata: Path, tmp_path: Path):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    library = tmp_path / "lib"
    command = [str(SCRIPT), "targets", "add", str(squats), "--library", str(library), "--name"]
    runs = [subprocess.Popen([*command, name], env=env, stderr=subprocess.PIPE, text=True)
            for name in ("first", "second")]  # fmt: skip
    for run in runs:
        assert run.wait(300) == 0, run.stderr.read() if run.stderr else ""
    assert [e.name for e in TargetLibrary(library).entries()] == ["first", "second"]


def _keep_adding(root: str, video: str) -> None:
    library = TargetLibrary(Path(root))
    cache = TargetCache(Path(root) / "cache")
    poses = PoseSequence(
        np.ones((50, 17, 2), np.float32), np.ones((50, 17), np.float32), 15.0, (64, 48)
    )
    for step in range(10_000):
        name = f"t{step % 7}"
        library.add(Path(video), name, replace=True)
        cache.save_poses(f"sha{step % 3}", "blazepose", poses)
        cache.save_latents(f"sha{step % 3}", "blazepose", "v", np.ones((50, 32), np.float32))
        if step % 3 == 0:
            library.remove(name)


def test_sigkill_at_any_point_leaves_nothing_corrupt_and_adding_again_works(
    testdata: Path, tmp_path: Path
):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    other = tmp_path / "other.mp4"
    other.write_bytes(squats.read_bytes() + b"\1")
    root = tmp_path / "lib"
    rng = random.Random(7)
    for round_ in range(12):
        job = CONTEXT.Process(
            target=_keep_adding, args=(str(root), str(other if round_ % 2 else squats))
        )
        job.start()
        time.sleep(0.8 + rng.random() * 1.5)  # start-up, then somewhere in the writes
        os.kill(job.pid, signal.SIGKILL)
        job.join(10)
        assert job.exitcode == -signal.SIGKILL
        # Everything on disk reads as whole: the index, every copy it names, every cache file.
        entries = TargetLibrary(root).entries()
        for entry in entries:
            assert entry.video.stat().st_size in (squats.stat().st_size, other.stat().st_size)
        cache = TargetCache(root / "cache")
        for sha in ("sha0", "sha1", "sha2"):
            poses = cache.load_poses(sha, "blazepose")
            assert poses is None or len(poses) == 50
            latents = cache.load_latents(sha, "blazepose", "v")
            assert latents is None or latents.shape == (50, 32)
        # The next start removed what the killed writer left half-written.
        assert not list(root.rglob("*.tmp")), list(root.rglob("*.tmp"))
    entry, changed = TargetLibrary(root).add(squats, "again")
    assert changed and entry.video.is_file()
    assert "again" in [e.name for e in TargetLibrary(root).entries()]


def test_sigkill_of_the_real_command_mid_add(testdata: Path, tmp_path: Path):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    library = tmp_path / "lib"
    command = [str(SCRIPT), "targets", "add", str(squats), "--library", str(library), "--name", "s"]
    for delay in (0.5, 1.5, 3.0, 5.0):
        job = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        job.send_signal(signal.SIGKILL)
        job.wait(10)
        assert [e.name for e in TargetLibrary(library).entries()] in ([], ["s"])
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [e.name for e in TargetLibrary(library).entries()] == ["s"]
    assert not list(library.rglob("*.tmp")) and not list((tmp_path / "cache").rglob("*.tmp"))


def test_only_a_dead_writers_temporary_files_are_removed(tmp_path: Path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f".library.json.{dead.pid}.abc_123.tmp"
    mine = tmp_path / f".library.json.{os.getpid()}.def456.tmp"
    unrelated = tmp_path / "notes.tmp"
    for path in (orphan, mine, unrelated):
        path.write_text("x")
    assert remove_orphans(tmp_path) == 1
    assert not orphan.exists() and mine.exists() and unrelated.exists()
    # A temporary made by atomic_write_bytes carries the pid that remove_orphans reads.
    atomic_write_bytes(tmp_path / "a.json", b"{}")
    assert (tmp_path / "a.json").read_bytes() == b"{}"


def _save_bests(root: str, scores: list[float], start: float) -> None:
    from posesim_cam.scoring.outcome import Outcome

    while time.time() < start:
        time.sleep(0.001)
    store = RecordStore(Path(root))
    for score in scores:
        store.save(record(outcome=Outcome(score, 0.5, 10, 10, False, [])))


def test_sessions_saving_at_once_keep_the_highest_best_and_every_record(tmp_path: Path):
    scores = [[10.0 + 7 * i + k for k in range(6)] for i in range(5)]
    start = time.time() + 1.5
    jobs = [CONTEXT.Process(target=_save_bests, args=(str(tmp_path), s, start)) for s in scores]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(60)
        assert job.exitcode == 0
    assert RecordStore(tmp_path).personal_best("abc123") == max(max(s) for s in scores)
    assert len(list((tmp_path / "sessions").glob("*.json"))) == 30


def test_an_unwritable_records_folder_keeps_records_in_memory_until_it_can(tmp_path: Path):
    blocked = tmp_path / "data"
    blocked.write_text("a file where the folder should be")  # even root cannot write in it
    said: list[str] = []
    store = RecordStore(blocked, warn=said.append)
    first = store.save(record())
    second = store.save(record())
    assert not first.written and not second.written and first.new_record
    assert len(store.pending) == 2 and store.personal_best("abc123") == 87.46
    assert len(said) == 1 and "cannot be written to" in said[0] and "kept in memory" in said[0]
    blocked.unlink()
    assert store.flush() == 0
    assert len(list((blocked / "sessions").glob("*.json"))) == 2
    assert RecordStore(blocked).personal_best("abc123") == 87.46


@pytest.mark.parametrize(
    "text", ["[]", '{"targets": []}', '{"targets": {"abc123": {"score": "high"}}}', "", "{"]
)
def test_personal_bests_of_the_wrong_shape_are_kept_aside(tmp_path: Path, text: str):
    (tmp_path / "personal_bests.json").write_text(text)
    store = RecordStore(tmp_path)
    assert store.personal_bests() == {}
    aside = list(tmp_path.glob("personal_bests.broken-*.json"))
    assert len(aside) == 1 and aside[0].read_text() == text
    assert store.save(record()).new_record
    assert (
        json.loads((tmp_path / "personal_bests.json").read_text())["targets"]["abc123"]["score"]
        == 87.46
    )


def test_the_lock_makes_processes_take_turns(tmp_path: Path):
    lock = tmp_path / ".lock"
    counter = tmp_path / "counter"
    counter.write_text("0")
    code = (
        "import sys, time; from pathlib import Path; from posesim_cam.files import locked\n"
        f"p = Path({str(counter)!r})\n"
        "for _ in range(50):\n"
        f"    with locked(Path({str(lock)!r})):\n"
        "        n = int(p.read_text()); time.sleep(0.001); p.write_text(str(n + 1))\n"
    )
    jobs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
    for job in jobs:
        assert job.wait(60) == 0
    assert counter.read_text() == "200"
    with locked(lock):  # released by all
        pass


def test_damaged_cache_files_are_recomputed_not_misread(tmp_path: Path):
    cache = TargetCache(tmp_path)
    poses = PoseSequence(
        np.ones((5, 17, 2), np.float32), np.ones((5, 17), np.float32), 15.0, (64, 48)
    )
    cache.save_poses("s", "b", poses)
    cache.save_latents("s", "b", "v", np.ones((5, 32), np.float32))
    pose_file = next(tmp_path.glob("*.poses.npz"))
    latent_file = next(tmp_path.glob("*.latents.npy"))
    whole = pose_file.read_bytes()
    for damaged in (b"", whole[: len(whole) // 2], b"PK\x03\x04junk", json.dumps([1]).encode()):
        pose_file.write_bytes(damaged)
        assert cache.load_poses("s", "b") is None
    wrong = PoseSequence(
        np.ones((5, 17, 2), np.float32), np.ones((5, 17), np.float32), 15.0, (64, 48)
    )
    import io

    buffer = io.BytesIO()
    np.savez(
        buffer, keypoints=np.ones((5, 3, 2)), scores=wrong.scores, fps=15.0, frame_size=[64, 48]
    )
    pose_file.write_bytes(buffer.getvalue())
    assert cache.load_poses("s", "b") is None
    for damaged in (b"", b"\x93NUMPY", latent_file.read_bytes()[:100]):
        latent_file.write_bytes(damaged)
        assert cache.load_latents("s", "b", "v") is None
    np.save(latent_file, np.full((5, 32), np.nan, np.float32))
    assert cache.load_latents("s", "b", "v") is None


def test_a_lost_library_copy_is_named_and_adding_the_video_again_brings_it_back(
    testdata: Path, tmp_path: Path
):
    from posesim_cam.errors import UserError

    squats = testdata / "video" / "squats_1person_5fps.mp4"
    library = TargetLibrary(tmp_path)
    entry, _ = library.add(squats, "squats")
    entry.video.unlink()
    with pytest.raises(UserError, match=r"The library's copy of 'squats' .* is missing\. Add the"):
        library.resolve("squats")
    again, _ = library.add(squats, "squats")  # not "a different video"
    assert again.video.is_file() and library.resolve("squats")[1] == again.video


def test_a_full_disk_keeps_the_record_in_memory_and_writes_it_when_space_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import errno

    import posesim_cam.records as records_module

    real_write = records_module.atomic_write_bytes
    full = {"disk": True}

    def write(path: Path, data: bytes, mode: int | None = None) -> None:
        if full["disk"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, data, mode)

    monkeypatch.setattr(records_module, "atomic_write_bytes", write)
    said: list[str] = []
    store = RecordStore(tmp_path, warn=said.append)
    saved = store.save(record())
    assert not saved.written and said and "No space left on device" in said[0]
    full["disk"] = False
    later = store.save(record(outcome=record().outcome))  # the next attempt writes both
    assert later.written and not store.pending
    assert len(list((tmp_path / "sessions").glob("*.json"))) == 2

"""LiveSession: capture -> pose -> live scoring -> HUD -> outputs.

The only module that knows all the parts: it may import capture, pose, scoring, the HUD,
outputs, records, targets and the pipeline; only the ``run`` command imports it. Three threads
do the work. The calling thread reads every frame, hands it to the pose thread
(``pipeline.PoseWorker``), scores the poses that have come back since (each at its own frame's
time) and queues the picture, drawn with the latest pose and score, for the render thread
(``pipeline.Renderer``), which composes it and sends it to the outputs. So the picture goes out
at the source's rate whatever the model costs, and pose estimation, composing and encoding
overlap on the cores. With ``pose_every_frame`` (a file processed as fast as it goes) each
frame's pose is estimated before its picture instead, so that nothing is skipped.

Control methods (pause, resume, restart, next/previous/select target, stop) may be called from
any thread; they are queued and applied by the processing thread between frames.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from posesim_cam.capture import Frame, FrameSource
from posesim_cam.clock import Phase
from posesim_cam.control.controls import Joint, Status
from posesim_cam.encoder import Encoder
from posesim_cam.errors import UserError
from posesim_cam.hud import Compositor, HudState
from posesim_cam.outputs import Output
from posesim_cam.pipeline import (
    PoseResult,
    PoseWorker,
    Rate,
    Renderer,
    RenderJob,
    StageTimes,
    estimate,
)
from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.records import AttemptRecord, RecordStore, SessionSummary
from posesim_cam.round import LiveSettings, Round
from posesim_cam.scoring.outcome import grade
from posesim_cam.targets import Target

TargetLoader = Callable[[str], Target]
GIL_SWITCH_INTERVAL = 0.0005  # seconds; see LiveSession.run
# Following an outside player: the clock is moved when it is this far off (seconds), and a
# jump back of more than REWIND_SECONDS is a new attempt (the player looped or was rewound).
SYNC_TOLERANCE = 0.2
REWIND_SECONDS = 1.0
# A pose older than this (seconds behind the picture) is not drawn: the skeleton would trail
# the person visibly, and nobody may be there any more.
STALE_POSE_SECONDS = 0.5
SUMMARY_HOLD_SECONDS = 2.0  # a file source that ends with the target: its card, this long
# A target selection waits this long for its target in the session thread; longer (a new video
# being prepared) and the picture goes on while it loads.
INSTANT_LOAD_SECONDS = 0.05


class LiveSession:
    """One running session: a frame source, a pose backend, targets, and outputs.

    Args:
        source: frames from a camera or a file.
        estimator: the pose backend (stream mode); the session's pose thread owns it while
            it runs.
        encoder: embeds poses for scoring.
        outputs: where the composited frames go.
        compositor: draws the HUD.
        load_target: prepares a target by library name or path.
        targets: the names that next/previous step through.
        records: where session records and personal bests go.
        settings: behaviour.
        log: where --stats lines and notices go.

    ``notices``: callables giving a line for the HUD's badges, or None (a link's state).
    """

    def __init__(
        self,
        source: FrameSource,
        estimator: PoseEstimator,
        encoder: Encoder,
        outputs: list[Output],
        compositor: Compositor,
        load_target: TargetLoader,
        targets: list[str],
        records: RecordStore,
        settings: LiveSettings | None = None,
        log: TextIO | None = None,
    ) -> None:
        self.source = source
        self.estimator = estimator
        self.encoder = encoder
        self.outputs = outputs
        self.compositor = compositor
        self.load_target = load_target
        self.targets = list(targets)
        self.records = records
        self.settings = settings or LiveSettings()
        self.log = log or sys.stderr
        self.times = StageTimes()
        self.frames = 0  # frames read from the source
        self.poses = 0  # frames whose pose was estimated
        self.person_frames = 0  # ... and in which somebody was found
        self._pose_seconds = 0.0  # time spent estimating them
        self.attempts: list[AttemptRecord] = []
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._renderer = Renderer(compositor, outputs, self.times, self.settings.drop_frames)
        self._worker = None if self.settings.pose_every_frame else PoseWorker(estimator)
        self._stop = threading.Event()
        self._attempt: Round | None = None
        # A target being prepared off the session thread (``_select_name``): its thread, its
        # name, and what it gave (a Target, or the UserError to report).
        self._loading: threading.Thread | None = None
        self._loading_name = ""
        self._loaded: Target | UserError | None = None
        self._target_index = 0
        self._now = 0.0
        self._pose: PoseResult | None = None  # the latest pose estimated
        self._hud_visible = True
        self.notices: list[Callable[[], str | None]] = []
        self._frame_rate = Rate()
        self._pose_rate = Rate()
        self._status = Status(None, Phase.IDLE, None, None, 0.0, len(self.targets))

    # -- control (any thread) ---------------------------------------------------------------
    def pause(self) -> None:
        self._commands.put(lambda: self._attempt and self._attempt.clock.pause(self._now))

    def resume(self) -> None:
        self._commands.put(lambda: self._attempt and self._attempt.clock.resume(self._now))

    def restart(self) -> None:
        self._commands.put(self._restart)

    def step_target(self, step: int) -> None:
        """Start the target ``step`` places on in ``targets`` (wrapping round)."""
        self._commands.put(lambda: self._select_index(self._target_index + step))

    def next_target(self) -> None:
        self.step_target(1)

    def previous_target(self) -> None:
        self.step_target(-1)

    def select_target(self, name: str) -> None:
        self._commands.put(lambda: self._select_name(name))

    def set_targets(self, names: list[str]) -> None:
        """Replace the names that next/previous step through (the library changed)."""
        names = list(names)
        self._commands.put(lambda: self._set_targets(names))

    def set_hud_visible(self, visible: bool) -> None:
        """Draw the HUD over the camera picture, or the camera picture alone."""
        self._commands.put(lambda: setattr(self, "_hud_visible", bool(visible)))

    def follow_media(self, position: float, playing: bool, measured_at: float) -> None:
        """Let an outside player drive the target clock (see ``_follow``)."""
        self._commands.put(lambda: self._follow(position, playing, measured_at))

    def status(self) -> Status:
        """The latest snapshot (updated every frame; safe from any thread)."""
        return self._status

    def stop(self) -> None:
        self._stop.set()

    # -- state ---------------------------------------------------------------------------------
    @property
    def target_name(self) -> str | None:
        return None if self._attempt is None else self._attempt.name

    def _restart(self) -> None:
        if self._attempt is not None:
            self._finish(save=self._attempt.record is None)
            self._attempt.restart(self._now)

    def _follow(self, position: float, playing: bool, measured_at: float) -> None:
        """The target clock follows a player: seeks when it drifts more than SYNC_TOLERANCE,
        pauses and resumes with it, and a jump back (a loop, a rewind) starts a new attempt."""
        attempt = self._attempt
        if attempt is None:
            return
        clock = attempt.clock
        if playing:
            position += max(time.monotonic() - measured_at, 0.0)
        current = clock.position(self._now)
        if position < current - REWIND_SECONDS and current > 0:
            self._restart()
        if abs(clock.position(self._now) - position) > SYNC_TOLERANCE:
            clock.seek(self._now, position)
        if playing and clock.paused:
            clock.resume(self._now)
        elif not playing and not clock.paused:
            clock.pause(self._now)

    def _set_targets(self, names: list[str]) -> None:
        current = self.target_name
        self.targets = names
        if current in names:
            self._target_index = names.index(current)

    def _select_index(self, index: int) -> None:
        if self.targets:
            self._select_name(self.targets[index % len(self.targets)])

    def _select_name(self, name: str) -> None:
        """Prepare the target in a thread (a new video can take seconds; the picture goes on
        meanwhile) and start it once ready; later commands wait for it, in order."""

        def load() -> None:
            try:
                self._loaded = self.load_target(name)
            except UserError as error:
                self._loaded = error
            except Exception as error:  # a damaged file the checks missed: the same, told
                self._loaded = UserError(
                    f"The target {name!r} could not be loaded ({type(error).__name__}: {error})",
                    "the current target goes on; check that its video plays, or add it again",
                )

        self._loaded, self._loading_name = None, name
        self._loading = threading.Thread(target=load, name="load target", daemon=True)
        self._loading.start()
        # A target loaded before (most switches) is ready at once: start it on this frame.
        self._loading_done(wait=INSTANT_LOAD_SECONDS)

    def _select_now(self, name: str) -> None:
        """Load the target in this thread and start it (before the loop runs)."""
        self._select_name(name)
        while not self._loading_done(wait=0.1):
            pass

    def _loading_done(self, wait: float = 0.0) -> bool:
        """Whether no target is being prepared; one that is ready is started here."""
        thread = self._loading
        if thread is None:
            return True
        thread.join(wait)
        if thread.is_alive():
            return False
        self._loading, loaded = None, self._loaded
        if isinstance(loaded, UserError):
            print(f"posesim-cam: {loaded}", file=self.log)
        elif loaded is not None:
            self._start(self._loading_name, loaded)
        return True

    def _start(self, name: str, target: Target) -> None:
        if self._attempt is not None:
            self._finish(save=self._attempt.record is None)
            self._attempt.close()
        if name in self.targets:
            self._target_index = self.targets.index(name)
        self._attempt = Round(
            target, self.encoder, self.settings.attempt, self.settings.players, self._now
        )

    def _finish(self, save: bool = True) -> AttemptRecord | None:
        """End the attempt: its record, saved with the personal best (if anything scored)."""
        attempt = self._attempt
        if attempt is None or attempt.record is not None:
            return None if attempt is None else attempt.record
        self.attempts.extend(attempt.finish(self._now, self.records, save))
        return attempt.record

    # -- the loop ----------------------------------------------------------------------------
    def run(self, first_target: str | None = None) -> SessionSummary:
        """Process frames until the source ends or ``stop()``; returns the session summary."""
        if first_target is not None:
            self._select_now(first_target)
            if self._attempt is None:
                raise UserError(f"The target {first_target!r} could not be loaded", "see above")
        elif self.targets:
            self._select_now(self.targets[0])
        attempt = self._attempt
        self._publish_status(Phase.IDLE if attempt is None else attempt.phase(self._now))
        # The pose thread spends most of its time in MediaPipe (no GIL) and must get the GIL
        # back quickly when it returns; the default 5 ms switch interval let the other
        # threads' numpy work delay it (measured: ~4% of throughput at 1280x720).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        sent_before = self._renderer.sent
        self._renderer.start()
        if self._worker is not None:
            self._worker.start()
        started = time.perf_counter()
        last_stats = time.monotonic()
        last: Frame | None = None
        held = (0, 0.0)  # the end card's pictures and seconds, left out of the rates
        try:
            while not self._stop.is_set():
                self._apply_commands()
                frame = self.source.read(timeout=0.25)
                if frame is None:
                    if self.source.ended:
                        self._drain_poses()
                        held = self._end_of_source(last)
                        break
                    self._collect_poses()
                    if getattr(self.source, "lost", False):
                        self._publish_status(Phase.CAMERA_LOST)
                        self._renderer.submit(RenderJob(None, HudState(phase=Phase.CAMERA_LOST)))
                    continue
                self._process(frame)
                last = frame
                self._renderer.raise_error()
                if (
                    self.settings.stats_every
                    and time.monotonic() - last_stats >= self.settings.stats_every
                ):
                    print(self.times.line(), file=self.log, flush=True)
                    last_stats = time.monotonic()
                if any(getattr(o, "quit_requested", False) for o in self.outputs):
                    break
        except KeyboardInterrupt:
            pass  # Ctrl-C ends the session cleanly: the record is still written below
        finally:
            if self._worker is not None:
                self._worker.stop()
            self._renderer.stop()
            sys.setswitchinterval(switch_interval)
            self._finish()
            self.records.flush()  # what could not be written earlier, one more try
            if self.settings.stats_every:
                print(self.times.line(), file=self.log, flush=True)
        elapsed = time.perf_counter() - started - held[1]
        return self._session_summary(elapsed, max(self._renderer.sent - sent_before - held[0], 0))

    def _apply_commands(self) -> None:
        """Apply the commands queued so far, not those that arrive meanwhile: however fast
        they come, a frame is processed between batches. While a target is being prepared,
        the commands after its selection wait (in order) and frames go on."""
        for _ in range(self._commands.qsize()):
            if not self._loading_done():
                return
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()
        self._loading_done()

    def _process(self, frame: Frame) -> None:
        self._now = frame.timestamp
        self.frames += 1
        self._frame_rate.tick(time.perf_counter())
        self.times.add("capture_age", max(time.monotonic() - frame.captured_at, 0.0))
        if self._worker is None:
            self._score(estimate(self.estimator, frame))
        else:
            self._worker.offer(frame)
            self._collect_poses()
        self._show(frame)

    def _end_of_source(self, last: Frame | None) -> tuple[int, float]:
        """A file that ends with the target's last frame finishes it: its summary card is
        shown on the last picture for SUMMARY_HOLD_SECONDS (in real time where the file is
        paced; at once into a file processed as fast as it goes). Returns the pictures and
        seconds that took."""
        attempt, fps = self._attempt, self.source.fps or 30.0
        if attempt is None or last is None:
            return 0, 0.0
        self._now = attempt.end_time(self._now, 1.0 / fps)
        if attempt.phase(self._now) != Phase.FINISHED:
            return 0, 0.0
        began, count = time.perf_counter(), round(SUMMARY_HOLD_SECONDS * fps)
        for index in range(count):
            if not self.settings.pose_every_frame:
                time.sleep(max(began + index / fps - time.perf_counter(), 0.0))
            # A picture made now, not a late one: it stays out of the latency percentiles' tail.
            self._show(replace(last, timestamp=self._now, captured_at=time.monotonic()))
        return count, time.perf_counter() - began

    def _drain_poses(self) -> None:
        """Score the pose still being estimated when the source ends (its last frames)."""
        if self._worker is not None and self._worker.wait_idle(timeout=2.0):
            self._collect_poses()

    def _collect_poses(self) -> None:
        if self._worker is not None:
            for result in self._worker.take():
                self._score(result)

    def _score(self, result: PoseResult) -> None:
        """Take in one estimated pose: scored at its own frame's time."""
        self.poses += 1
        self.person_frames += result.pose is not None or bool(result.poses)
        self._pose = result
        self._pose_rate.tick(time.perf_counter())
        self._pose_seconds += result.seconds
        self.times.add("pose", result.seconds)
        self.times.add("pose_latency", result.latency)
        if self._attempt is not None:
            t0 = time.perf_counter()
            width = result.frame.image.shape[1]
            self._attempt.score(result.pose, result.poses, result.frame.timestamp, width)
            self.times.add("scoring", time.perf_counter() - t0)

    def _latest_pose(self) -> Pose | None:
        result = self._pose
        if result is None or self._now - result.frame.timestamp > STALE_POSE_SECONDS:
            return None
        return result.pose

    def _show(self, frame: Frame) -> None:
        """Queue the picture of ``frame`` with the latest pose and score."""
        attempt = self._attempt
        pose = self._latest_pose()
        target_index: int | None = None
        if attempt is None:
            hud = HudState(phase=Phase.IDLE, user_pose=pose, message=self._idle_message())
            self._publish_status(Phase.IDLE)
        else:
            phase = attempt.phase(self._now)
            target_index = attempt.frame_index(self._now)
            if phase == Phase.FINISHED and attempt.record is None:
                self._finish()
            hud = attempt.hud(self._now, pose)
            self._publish_status(phase)
        notices = tuple(text for text in (notice() for notice in self.notices) if text)
        if notices or not self._hud_visible:
            hud = replace(hud, notices=notices, visible=self._hud_visible)
        video = attempt.video if attempt else None
        self._renderer.submit(RenderJob(frame, hud, video, target_index))

    def _publish_status(self, phase: Phase) -> None:
        attempt = self._attempt
        score: float | None = None
        position, countdown = 0.0, None
        if attempt is not None:
            position = attempt.clock.position(self._now)
            score = attempt.live_score(phase)
            if phase == Phase.COUNTDOWN:
                countdown = -position
        self._status = Status(
            target=self.target_name,
            state=phase,
            score=score,
            grade=None if score is None else grade(score),
            fps=self._frame_rate.per_second,
            targets=len(self.targets),
            hud_visible=self._hud_visible,
            position=position,
            countdown=countdown,
            pose_fps=self._pose_rate.per_second,
            skeleton=self._skeleton(),
            at=time.time(),
            players=() if attempt is None else attempt.live(phase),
        )

    def _skeleton(self) -> tuple[Joint, ...] | None:
        """The latest pose as fractions of its frame, for the overlay page."""
        result = self._pose
        pose = self._latest_pose()
        if result is None or pose is None:
            return None
        height, width = result.frame.image.shape[:2]
        return tuple(
            (float(x) / width, float(y) / height, float(c))
            for (x, y), c in zip(pose.keypoints, pose.scores, strict=True)
        )

    def _idle_message(self) -> str:
        if self.targets:
            return "No target selected"
        return "No targets yet: posesim-cam targets add VIDEO"

    def _session_summary(self, elapsed: float, sent: int) -> SessionSummary:
        def ms(stage: str, q: float) -> float | None:
            value = self.times.percentile(stage, q)
            return None if value is None else round(value * 1000, 1)

        return SessionSummary(
            frames=self.frames,
            # Rates over the run loop (model loading and target preparation excluded).
            fps=round(sent / elapsed, 2) if elapsed > 0 else 0.0,
            pose_fps=round(self.poses / elapsed, 2) if elapsed > 0 else 0.0,
            processing_ms_per_frame=round(self._pose_seconds / self.poses * 1000, 2)
            if self.poses
            else None,
            latency_p50_ms=ms("latency", 50),
            latency_p95_ms=ms("latency", 95),
            pose_latency_p50_ms=ms("pose_latency", 50),
            pose_latency_p95_ms=ms("pose_latency", 95),
            attempts=tuple(self.attempts),
            pose_frames=self.poses,
            person_frames=self.person_frames,
            players=() if self._attempt is None else self._attempt.summary(),
        )

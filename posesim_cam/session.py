"""LiveSession: capture -> pose -> live scoring -> HUD -> outputs.

The only module that knows all the parts: it may import capture, pose, scoring, the HUD,
outputs, records, targets and the pipeline; only the ``run`` command imports it. Two threads
do the work: the calling thread reads frames, estimates poses and scores them; a render thread
(``pipeline.Renderer``) composes the picture and sends it to the outputs, so composing and
sending overlap with the next frame's inference on a second core.

Control methods (pause, resume, restart, next/previous/select target, stop) may be called from
any thread; they are queued and applied by the processing thread between frames.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TextIO

from posesim_cam.capture import Frame, FrameSource
from posesim_cam.clock import Phase, TargetClock
from posesim_cam.control.controls import Status
from posesim_cam.encoder import Encoder
from posesim_cam.errors import UserError
from posesim_cam.hud import Compositor, HudState, SummaryCard
from posesim_cam.outputs import Output
from posesim_cam.pipeline import Renderer, RenderJob, StageTimes
from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.records import AttemptRecord, RecordStore, SessionSummary
from posesim_cam.scoring.online import LiveScore, LiveScorer
from posesim_cam.scoring.outcome import grade
from posesim_cam.targets import Target
from posesim_cam.video import TargetVideo

TargetLoader = Callable[[str], Target]
GIL_SWITCH_INTERVAL = 0.0005  # seconds; see LiveSession.run
FPS_WINDOW = 30  # frames the reported fps is measured over
# Following an outside player: the clock is moved when it is this far off (seconds), and a
# jump back of more than REWIND_SECONDS is a new attempt (the player looped or was rewound).
SYNC_TOLERANCE = 0.2
REWIND_SECONDS = 1.0
BROKEN_TRACK = (
    "in most frames the keypoints formed no body (a broken pose track); film one person, "
    "whole body, in good light"
)


@dataclass(frozen=True)
class LiveSettings:
    """How a live session behaves.

    Attributes:
        countdown: seconds counted down before the target plays.
        mirror: accept the mirror image of the target when scoring.
        max_lag: seconds the user may trail the target.
        stats_every: print per-stage timings every this many seconds (0 = never).
        drop_frames: render only the newest frame (cameras) instead of every frame (files).
    """

    countdown: float = 3.0
    mirror: bool = True
    max_lag: float = 2.0
    stats_every: float = 0.0
    drop_frames: bool = True


@dataclass
class _Attempt:
    target: Target
    scorer: LiveScorer
    clock: TargetClock
    video: TargetVideo
    record: AttemptRecord | None = None  # set when the attempt has been finished


class LiveSession:
    """One running session: a frame source, a pose backend, targets, and outputs.

    Args:
        source: frames from a camera or a file.
        estimator: the pose backend (stream mode).
        encoder: embeds poses for scoring.
        outputs: where the composited frames go.
        compositor: draws the HUD.
        load_target: prepares a target by library name or path.
        targets: the names that next/previous step through.
        records: where session records and personal bests go.
        settings: behaviour.
        log: where --stats lines and notices go.
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
        self.frames = 0
        self.attempts: list[AttemptRecord] = []
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._renderer = Renderer(compositor, outputs, self.times, self.settings.drop_frames)
        self._stop = threading.Event()
        self._attempt: _Attempt | None = None
        self._target_index = 0
        self._now = 0.0
        self._last: LiveScore | None = None
        self._hud_visible = True
        self._frame_times: deque[float] = deque(maxlen=FPS_WINDOW)
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
        return None if self._attempt is None else self._attempt.target.name

    def _restart(self) -> None:
        if self._attempt is not None:
            self._finish(save=self._attempt.record is None)
            self._attempt.record = None
            self._attempt.scorer.reset()
            self._attempt.clock.start(self._now)
            self._last = None

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
        try:
            target = self.load_target(name)
        except UserError as error:
            print(f"posesim-cam: {error}", file=self.log)
            return
        if self._attempt is not None:
            self._finish(save=self._attempt.record is None)
            self._attempt.video.close()
        if name in self.targets:
            self._target_index = self.targets.index(name)
        clock = TargetClock(target.duration, self.settings.countdown)
        clock.start(self._now)
        scorer = LiveScorer(
            target.poses, self.encoder, mirror=self.settings.mirror, max_lag=self.settings.max_lag
        )
        self._attempt = _Attempt(target, scorer, clock, TargetVideo(target.video))
        self._last = None

    def _finish(self, save: bool = True) -> AttemptRecord | None:
        """End the attempt: its record, saved with the personal best (if anything scored)."""
        attempt = self._attempt
        if attempt is None or attempt.record is not None:
            return None if attempt is None else attempt.record
        outcome = attempt.scorer.summary()
        if outcome.frames == 0:
            return None
        record = AttemptRecord(
            target=attempt.target.name,
            target_sha=attempt.target.sha,
            encoder=self.encoder.version,
            finished=attempt.clock.phase(self._now) == Phase.FINISHED,
            outcome=outcome,
            # Most poses formed no body: no score, and nothing that could become a best.
            cannot_score=BROKEN_TRACK if attempt.scorer.broken_track else None,
        )
        if save and record.cannot_score is None and outcome.scored_frames > 0:
            record = replace(record, saved=self.records.save(record))
        attempt.record = record
        self.attempts.append(record)
        return record

    # -- the loop ----------------------------------------------------------------------------
    def run(self, first_target: str | None = None) -> SessionSummary:
        """Process frames until the source ends or ``stop()``; returns the session summary."""
        if first_target is not None:
            self._select_name(first_target)
            if self._attempt is None:
                raise UserError(f"The target {first_target!r} could not be loaded", "see above")
        elif self.targets:
            self._select_index(0)
        attempt = self._attempt
        self._publish_status(Phase.IDLE if attempt is None else attempt.clock.phase(self._now))
        # The processing thread spends most of its time in MediaPipe (no GIL) and must get the
        # GIL back quickly when it returns; the default 5 ms switch interval let the render
        # thread's numpy work delay it (measured: ~4% of throughput at 1280x720).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        self._renderer.start()
        started = time.perf_counter()
        processing = 0.0
        last_stats = time.monotonic()
        try:
            while not self._stop.is_set():
                self._apply_commands()
                frame = self.source.read(timeout=0.25)
                if frame is None:
                    if self.source.ended:
                        break
                    if getattr(self.source, "lost", False):
                        self._publish_status(Phase.CAMERA_LOST)
                        self._renderer.submit(RenderJob(None, HudState(phase=Phase.CAMERA_LOST)))
                    continue
                begin = time.perf_counter()
                self._process(frame)
                processing += time.perf_counter() - begin
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
            self._renderer.stop()
            sys.setswitchinterval(switch_interval)
            self._finish()
            if self.settings.stats_every:
                print(self.times.line(), file=self.log, flush=True)
        elapsed = time.perf_counter() - started
        return self._session_summary(elapsed, processing)

    def _apply_commands(self) -> None:
        """Apply the commands queued so far, not those that arrive meanwhile: however fast
        they come, a frame is processed between batches."""
        for _ in range(self._commands.qsize()):
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    def _process(self, frame: Frame) -> None:
        self._now = frame.timestamp
        self.times.add("capture_age", max(time.monotonic() - frame.captured_at, 0.0))
        t0 = time.perf_counter()
        poses = self.estimator.estimate(frame.image)
        pose = poses[0] if poses else None
        t1 = time.perf_counter()
        self.times.add("pose", t1 - t0)
        self.frames += 1
        self._frame_times.append(t1)
        attempt = self._attempt
        target_index: int | None = None
        if attempt is None:
            hud = HudState(phase=Phase.IDLE, user_pose=pose, message=self._idle_message())
            self._publish_status(Phase.IDLE)
        else:
            clock, target = attempt.clock, attempt.target
            phase = clock.phase(self._now)
            target_index = clock.frame_index(self._now, target.fps, len(target.poses))
            if phase == Phase.PLAYING:
                position = clock.position(self._now)
                self._last = attempt.scorer.step(pose, target_index, position)
            elif phase == Phase.FINISHED and attempt.record is None:
                self._finish()
            self.times.add("scoring", time.perf_counter() - t1)
            hud = self._hud(attempt, phase, pose, target_index)
            self._publish_status(phase)
        if not self._hud_visible:
            hud = replace(hud, visible=False)
        video = attempt.video if attempt else None
        self._renderer.submit(RenderJob(frame, hud, video, target_index))

    def _publish_status(self, phase: Phase) -> None:
        attempt, last = self._attempt, self._last
        score: float | None = None
        position, countdown = 0.0, None
        if attempt is not None:
            position = attempt.clock.position(self._now)
            if phase == Phase.FINISHED:
                score = None if attempt.record is None else attempt.record.score
            elif phase in (Phase.PLAYING, Phase.PAUSED) and last is not None:
                score = last.score
            if phase == Phase.COUNTDOWN:
                countdown = -position
        times = self._frame_times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        self._status = Status(
            target=self.target_name,
            state=phase,
            score=score,
            grade=None if score is None else grade(score),
            fps=(len(times) - 1) / span if span > 0 else 0.0,
            targets=len(self.targets),
            hud_visible=self._hud_visible,
            position=position,
            countdown=countdown,
        )

    def _idle_message(self) -> str:
        if self.targets:
            return "No target selected"
        return "No targets yet: posesim-cam targets add VIDEO"

    def _hud(
        self, attempt: _Attempt, phase: Phase, pose: Pose | None, target_index: int
    ) -> HudState:
        target, clock = attempt.target, attempt.clock
        position = clock.position(self._now)
        return HudState.for_attempt(
            phase,
            target_name=target.name,
            progress=position / max(target.duration, 1e-6),
            user_pose=pose,
            target_pose=target.poses.pose(target_index),
            score=None if self._last is None else self._last.score,
            limb_warnings=None if self._last is None else self._last.limb_warnings,
            countdown=-position,
            summary=_summary_card(attempt.record) if phase == Phase.FINISHED else None,
        )

    def _session_summary(self, elapsed: float, processing: float) -> SessionSummary:
        p50 = self.times.percentile("latency", 50)
        p95 = self.times.percentile("latency", 95)
        return SessionSummary(
            frames=self.frames,
            # Throughput over the run loop (model loading and target preparation excluded).
            fps=round(self.frames / elapsed, 2) if elapsed > 0 else 0.0,
            processing_ms_per_frame=round(processing / self.frames * 1000, 2)
            if self.frames
            else None,
            latency_p50_ms=None if p50 is None else round(p50 * 1000, 1),
            latency_p95_ms=None if p95 is None else round(p95 * 1000, 1),
            attempts=tuple(self.attempts),
        )


def _summary_card(record: AttemptRecord | None) -> SummaryCard:
    """The end card of a finished attempt (nothing scored: "--" and the lowest grade)."""
    if record is None:
        return SummaryCard(score=None, grade=grade(0.0))
    # The moments as the record shows them (two decimals), as the card always drew them.
    best, worst = (tuple((s, round(v, 2)) for s, v in m) for m in record.outcome.moments())
    saved = record.saved
    return SummaryCard(
        score=record.score,
        grade=record.grade,
        best=best,
        worst=worst,
        personal_best=None if saved is None else saved.personal_best,
        new_record=False if saved is None else saved.new_record,
        hint="Film one person, whole body" if record.cannot_score else None,
    )

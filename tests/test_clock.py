from __future__ import annotations

import pytest

from posesim_cam.clock import TargetClock


def test_countdown_then_play_then_finish():
    clock = TargetClock(duration=10.0, countdown=3.0)
    assert clock.phase(0.0) == "idle"
    clock.start(100.0)
    assert clock.phase(101.0) == "countdown" and clock.position(101.0) == pytest.approx(-2.0)
    assert clock.phase(103.5) == "playing" and clock.frame_index(103.5, 30, 300) == 15
    assert clock.phase(113.0) == "finished"
    assert clock.frame_index(200.0, 30, 300) == 299


def test_pause_freezes_the_target_and_resume_continues_where_it_was():
    clock = TargetClock(duration=10.0, countdown=0.0)
    clock.start(0.0)
    clock.pause(4.0)
    assert clock.phase(9.0) == "paused" and clock.position(9.0) == pytest.approx(4.0)
    clock.resume(9.0)
    assert clock.position(10.0) == pytest.approx(5.0)
    assert clock.phase(14.9) == "playing" and clock.phase(15.0) == "finished"


def test_restart_counts_down_again():
    clock = TargetClock(duration=5.0, countdown=2.0)
    clock.start(0.0)
    clock.start(6.0)
    assert clock.phase(7.0) == "countdown" and clock.position(8.5) == pytest.approx(0.5)


def test_seek_moves_the_target_and_keeps_a_pause():
    clock = TargetClock(duration=10.0, countdown=3.0)
    clock.start(100.0)
    clock.seek(101.0, 4.0)  # an outside player is at 4 s: no countdown left
    assert clock.phase(101.0) == "playing" and clock.position(102.0) == pytest.approx(5.0)
    clock.pause(102.0)
    clock.seek(103.0, 7.5)
    assert clock.phase(109.0) == "paused" and clock.position(109.0) == pytest.approx(7.5)
    clock.resume(110.0)
    assert clock.position(111.0) == pytest.approx(8.5)
    clock.seek(111.0, 10.0)
    assert clock.phase(111.0) == "finished"

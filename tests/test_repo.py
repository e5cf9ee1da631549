"""The README's promises about the repository itself."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT


def bash_blocks() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)


def test_readme_first_screen_has_exactly_two_commands_and_ci_runs_the_second():
    head = (REPO_ROOT / "README.md").read_text().split("\n---\n", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", head, flags=re.S)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert "posesim-cam run" in blocks[0]
    assert blocks[1] in (REPO_ROOT / ".ci" / "run").read_text()
    assert "pytest" in blocks[1]


def test_no_test_media_is_committed():
    import subprocess

    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [f for f in files if f.endswith((".mp4", ".bvh", ".avi", ".mov", ".mkv"))]


def test_only_one_opencv_distribution_provides_cv2():
    from importlib import metadata

    providers = sorted(
        dist.metadata["Name"].lower()
        for dist in metadata.distributions()
        if any(str(f).startswith("cv2/") for f in (dist.files or []))
    )
    assert providers == ["opencv-contrib-python"], providers

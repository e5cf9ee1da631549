"""The runtime needs no torch: `score`, `run`, `pose`, `targets` and `eval`'s code work in a
process where importing torch fails, and never import it; what does need it (training, the
FastPose network) says so in one sentence with the install line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

# Runs the real CLI in a fresh interpreter in which `import torch` raises ImportError, as on a
# machine where `pip install posesim-cam` left torch out; prints what each command returned.
BLOCKED = """
import json, sys
sys.modules["torch"] = None
from click.testing import CliRunner
from posesim_cam.cli import main
results = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(main, args)
    results.append([result.exit_code, result.output, repr(result.exception)])
results.append(sorted(m for m, v in sys.modules.items()
                      if v is not None and (m == "torch" or m.startswith("torch."))))
print(json.dumps(results))
"""


def run_without_torch(*commands: list[str]) -> list:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED, json.dumps(list(commands))],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_runtime_runs_without_torch_and_never_imports_it(testdata: Path, tmp_path: Path):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    image = str(testdata / "images" / "person_full_body.jpg")
    library = str(tmp_path / "lib")
    *results, torch_modules = run_without_torch(
        ["score", squats, squats, "--json"],
        ["targets", "add", squats, "--name", "squats", "--library", library],
        ["run", "--source", squats, "--target", "squats", "--library", library,
         "--output", "null", "--no-control", "--json"],
        ["pose", image, "--json"],
        ["targets", "list", "--library", library],
    )  # fmt: skip
    for code, output, error in results:
        assert code == 0, (output, error)
    assert json.loads(results[0][1])["score"] >= 85
    assert json.loads(results[2][1].strip().splitlines()[-1])["score"] >= 85
    assert torch_modules == []  # `torch` is None in sys.modules: blocked, never imported


def test_what_needs_torch_says_so_with_the_install_line(tmp_path: Path):
    checkpoint = tmp_path / "fast_res50.pth"
    checkpoint.write_bytes(b"not read")
    *results, _ = run_without_torch(
        ["train", "--out", str(tmp_path / "e.npz")],
        ["check-checkpoint", str(checkpoint)],
        ["pose", str(checkpoint), "--backend", "alphapose", "--checkpoint", str(checkpoint)],
    )
    for (code, output, _), extra in zip(results, ("train", "alphapose", "alphapose"),
                                        strict=True):  # fmt: skip
        assert code == 2, output
        assert "needs torch, which this install of posesim-cam leaves out" in output, output
        assert f"-m pip install -e '{REPO_ROOT}[{extra}]'" in output, output  # this clone's


def test_eval_and_the_training_data_pipeline_import_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import posesim_cam.commands.model, posesim_cam.training.evaluate\n"
        "import posesim_cam.training.calibration, posesim_cam.training.mocap_data\n"
        "print(sorted(m for m, v in sys.modules.items() if v is not None and 'torch' in m))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_cli_imports_no_pose_stack_opencv_network_or_torch_until_a_command_needs_it():
    heavy = ("torch", "cv2", "mediapipe", "numpy", "uvicorn", "starlette", "obswebsocket",
             "socket", "posesim_cam.pose.blazepose")  # fmt: skip
    code = (
        "import sys; from click.testing import CliRunner; from posesim_cam.cli import main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0 and 'Commands:' in result.output, result.output\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

"""Install size and start-up: a release before the lean install against this one, in one run.

Both are installed as a user installs them (`pip install SRC`, no extras) into fresh virtualenvs
from `git archive` of their commits; then, alternating so that the machine's load falls on both
alike:

* the virtualenv's size on disk;
* `posesim-cam --help`;
* `posesim-cam score IMAGE IMAGE --json` with an empty cache: start-up, the encoder's load and two
  poses (a one-frame target and attempt), i.e. the time from start to the first result;
* which heavy modules importing the CLI pulls in.

    python bench/install_bench.py [--before 3434eed] [--after HEAD] [--repeats 5]

Prints a Markdown table (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", REPO.parent / "shared" / "testdata"))
# The last commit whose runtime needed torch (the encoder was a torch file).
BEFORE = "3434eed"
HEAVY = ("torch", "cv2", "mediapipe", "uvicorn", "starlette", "obswebsocket")
IMPORTED = (
    f"import sys, posesim_cam.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules) or '-')"
)


def install(ref: str, root: Path) -> tuple[Path, float]:
    """A virtualenv holding posesim-cam at ``ref``; and how long pip took."""
    source, venv = root / f"src-{ref}", root / f"venv-{ref}"
    source.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    started = time.perf_counter()
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(source)],
        check=True,
    )
    return venv, time.perf_counter() - started


def size_mb(path: Path) -> float:
    return (
        sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    )


def wall(command: list[str], root: Path) -> float:
    """Seconds ``command`` took, with a user folder of its own (an empty cache)."""
    home = Path(tempfile.mkdtemp(dir=root))
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home / "d"),
           "XDG_CONFIG_HOME": str(home / "config")}  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")
    shutil.rmtree(home, ignore_errors=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    image = TESTDATA / "images" / "person_full_body.jpg"
    if not image.is_file():
        raise SystemExit(f"{image} is missing: set POSESIM_TESTDATA to the shared testdata folder")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        venvs, pip_seconds = {}, {}
        for label, ref in (("before", args.before), ("after", args.after)):
            venvs[label], pip_seconds[label] = install(ref, root)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeats):
            for label, venv in venvs.items():
                cli = str(venv / "bin" / "posesim-cam")
                for measure, command in (
                    ("help", [cli, "--help"]),
                    ("score", [cli, "score", str(image), str(image), "--json"]),
                ):
                    times.setdefault((measure, label), []).append(wall(command, root))
        imported = {
            label: subprocess.run(
                [str(venv / "bin" / "python"), "-c", IMPORTED], capture_output=True, text=True
            ).stdout.strip()
            for label, venv in venvs.items()
        }
        sizes = {label: size_mb(venv) for label, venv in venvs.items()}
        torch_sizes = {
            label: size_mb(next((venv / "lib").glob("python*/site-packages")) / "torch")
            for label, venv in venvs.items()
        }

    def ratio(before: float, after: float) -> str:
        return f"{after / before:.2f}"

    rows = [
        ("virtualenv size (`pip install .`)", f"{sizes['before']:.0f} MB",
         f"{sizes['after']:.0f} MB", ratio(sizes["before"], sizes["after"])),
        ("of which torch", f"{torch_sizes['before']:.0f} MB", f"{torch_sizes['after']:.0f} MB", ""),
        ("`pip install .` (local wheel cache)", f"{pip_seconds['before']:.0f} s",
         f"{pip_seconds['after']:.0f} s", ratio(pip_seconds["before"], pip_seconds["after"])),
    ]  # fmt: skip
    for measure, name in (
        ("help", "`posesim-cam --help`"),
        ("score", "`score` start to first result (one-frame pair, no cache)"),
    ):
        before = statistics.median(times[(measure, "before")])
        after = statistics.median(times[(measure, "after")])
        rows.append((name, f"{before:.2f} s", f"{after:.2f} s", ratio(before, after)))
    rows.append(("heavy modules imported by the CLI", imported["before"], imported["after"], ""))
    print(f"before = {args.before}, after = {args.after}; median of {args.repeats} runs each, "
          "alternating\n")  # fmt: skip
    print("| measure | before | after | after / before |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

"""Resolve posesim-cam's pinned dependencies for the platforms it supports, installing nothing.

`pip install --dry-run --only-binary=:all: --platform TAG --python-version 3.11` reads the index's
metadata only, so a pin that has no wheel for Windows or macOS fails here, on Linux, before a
user there finds out. pip evaluates environment markers (`; platform_system == "Linux"`) for the
machine it runs on, whatever --platform says; RESOLVE runs it with the target's marker values, so
torch's Linux-only CUDA libraries are not asked for on Windows.

A package that ships only an sdist is listed in SDIST_ONLY with why it still installs everywhere;
its sdist is checked to exist. Combinations known not to resolve are listed with the package that
blocks them (docs/platforms.md says the same to users): failing for another reason fails the
check, and starting to resolve is reported, not failed.

    python .ci/platforms.py            # a table; exit 1 when an expected combination fails
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"

# Packages with no wheel at all, and why each installs on every platform regardless.
SDIST_ONLY = {
    "fastdtw": "pure Python: its C++ speed-up is optional and its setup falls back without a "
    "compiler",
}


# pip, with the environment markers of the target platform instead of this machine's.
RESOLVE = """
import json, sys
from pip._vendor.packaging import markers
here, target = markers.default_environment, json.loads(sys.argv[1])
markers.default_environment = lambda: {**here(), **target}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""

WINDOWS = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
           "platform_machine": "AMD64"}  # fmt: skip
MAC_ARM = {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
           "platform_machine": "arm64"}  # fmt: skip
MAC_INTEL = {**MAC_ARM, "platform_machine": "x86_64"}
LINUX_ARM = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
             "platform_machine": "aarch64"}  # fmt: skip


@dataclass(frozen=True)
class Check:
    """One dependency set on one platform, and whether it is meant to resolve there."""

    platform: str
    tags: tuple[str, ...]
    markers: dict[str, str]
    extra: str  # "" for the runtime
    expected: bool = True
    why_not: str = ""  # starts with the package that has no wheel there


NO_TORCH_INTEL_MAC = "torch 2.13.0 ships no wheel for Intel macOS"
NO_MEDIAPIPE_ARM_LINUX = "mediapipe 0.10.21 ships no Linux ARM64 wheel"
LINUX_ARM64 = ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")

CHECKS = (
    Check("Windows x86-64", ("win_amd64",), WINDOWS, ""),
    Check("Windows x86-64", ("win_amd64",), WINDOWS, "train"),
    Check("Windows x86-64", ("win_amd64",), WINDOWS, "alphapose"),
    # macOS 13 is the oldest that OpenCV 4.11's wheels run on; torch 2.13 needs macOS 14.
    Check("macOS 13+ Apple silicon", ("macosx_13_0_arm64",), MAC_ARM, ""),
    Check("macOS 14+ Apple silicon", ("macosx_14_0_arm64",), MAC_ARM, "train"),
    Check("macOS 14+ Apple silicon", ("macosx_14_0_arm64",), MAC_ARM, "alphapose"),
    Check("macOS 13+ Intel", ("macosx_13_0_x86_64",), MAC_INTEL, ""),
    Check("macOS 14+ Intel", ("macosx_14_0_x86_64",), MAC_INTEL, "train", False,
          NO_TORCH_INTEL_MAC),
    Check("macOS 14+ Intel", ("macosx_14_0_x86_64",), MAC_INTEL, "alphapose", False,
          NO_TORCH_INTEL_MAC),
    Check("Linux ARM64", LINUX_ARM64, LINUX_ARM, "", False, NO_MEDIAPIPE_ARM_LINUX),
)  # fmt: skip


def requirement_name(requirement: str) -> str:
    """The distribution name a requirement string starts with, normalised."""
    name = requirement.split(";")[0]
    for stop in "<>=!~[ ":
        name = name.split(stop)[0]
    return name.strip().lower().replace("_", "-")


def requirements(project: dict, extra: str) -> list[str]:
    """The runtime requirements, plus ``extra``'s, minus the sdist-only packages."""
    listed = list(project["dependencies"])
    if extra:
        listed += project["optional-dependencies"][extra]
    return [r for r in listed if requirement_name(r) not in SDIST_ONLY]


def resolve(check: Check, project: dict) -> tuple[bool, str]:
    """(resolved, the pinned wheels' names or pip's last error line)."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-c", RESOLVE, json.dumps(check.markers),
                   "install", "--dry-run", "--ignore-installed",
                   "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
                   "--target", str(Path(scratch) / "target"), "--report", str(report),
                   "--python-version", PYTHON_VERSION, "--implementation", "cp"]  # fmt: skip
        for tag in check.tags:
            command += ["--platform", tag]
        done = subprocess.run(
            command + requirements(project, check.extra), capture_output=True, text=True
        )
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
            missing = [line for line in errors if "No matching distribution" in line]
            if check.why_not.split(" ")[0] in done.stderr:  # the documented blocker is named
                return False, check.why_not
            return False, (missing or errors or ["pip failed"])[-1]
        installed = json.loads(report.read_text())["install"]
    return True, f"{len(installed)} wheels"


def sdist_exists(name: str, project: dict) -> tuple[bool, str]:
    """Whether the pinned sdist of ``name`` is on the index (its file list, nothing fetched or
    built)."""
    pinned = next(r for r in project["dependencies"] if requirement_name(r) == name)
    version = pinned.split("==", 1)[1].split(";")[0].strip()
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    request = urllib.request.Request(
        f"{index}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            files = [f["filename"] for f in json.load(response)["files"]]
    except (OSError, ValueError, KeyError) as error:
        return False, f"the index's file list of {name} could not be read ({error})"
    wanted = [f"{name}-{version}{suffix}" for suffix in (".tar.gz", ".zip")]
    found = [f for f in files if f in wanted]
    return bool(found), ", ".join(found) or f"no sdist of {name} {version} on {index}"


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with ThreadPoolExecutor(max_workers=len(CHECKS) + len(SDIST_ONLY)) as pool:
        resolved = [pool.submit(resolve, check, project) for check in CHECKS]
        sdists = {name: pool.submit(sdist_exists, name, project) for name in SDIST_ONLY}
    failures = 0
    print(f"Dependency resolution for Python {PYTHON_VERSION} (pip --dry-run, wheels only)")
    print(f"{'platform':26} {'install':22} {'result':9} detail")
    for check, future in zip(CHECKS, resolved, strict=True):
        ok, detail = future.result()
        install = f"posesim-cam[{check.extra}]" if check.extra else "posesim-cam"
        blocker = check.why_not.split(" ")[0]
        if ok and check.expected:
            result = "ok"
        elif not ok and not check.expected and blocker in detail:
            result, detail = "no (known)", check.why_not
        elif ok:
            result = "now ok"  # news: docs/platforms.md can drop the limitation
            detail = f"resolves now, though documented as not ({check.why_not})"
        else:
            result, failures = "FAILED", failures + 1
        print(f"{check.platform:26} {install:22} {result:9} {detail}")
    for name, future in sdists.items():
        ok, detail = future.result()
        failures += not ok
        print(f"{'every platform':26} {name + ' (sdist)':22} {'ok' if ok else 'FAILED':9} "
              f"{detail}; {SDIST_ONLY[name]}")  # fmt: skip
    if failures:
        print(f"{failures} platform checks failed: a pin above has no wheel there. Choose a "
              "version that ships one, or document the platform as unsupported in CHECKS and "
              "docs/platforms.md.")  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``auto`` backend choice: BlazePose heavy where it is installed and has the cores to keep
up, else BlazePose full. Deterministic: the same installed models and cores give the same
choice on every run, and ``doctor`` reports it.

Why (the numbers are in docs/method.md, "Which backend by default"): heavy agrees better with
itself across camera views (lab_dance cross-view 0.866 / 0.821 / 0.792 against full's 0.725 /
0.805 / 0.741, the same encoder) at the same squat-rep and different-movement scores; on two
cores, with its inference on both (``pose.graph``), it estimates 51-57 poses a second here
beside a 60 fps picture, where one core gives it 34: below a camera's 30 fps on a machine half
as fast. The picture never waits for the pose either way; the pose rate is what a core buys.

``auto`` is resolved to a concrete name before anything is keyed on it (target caches,
``create_backend``), so a target prepared under ``auto`` is never read for another backend.
Imports ``pose.graph`` (the core count) and ``pose.models`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from posesim_cam.pose.graph import pose_threads
from posesim_cam.pose.models import HEAVY, installed_model

AUTO = "auto"
FULL = "blazepose"
# Heavy needs two cores: one thread gives it 28-30 ms a call here (34 Hz), about 15 Hz on a
# machine half as fast; two give it 17 ms (57 Hz).
HEAVY_MIN_THREADS = 2


@dataclass(frozen=True)
class BackendChoice:
    """What ``auto`` stands for here, and why, in words for ``doctor``."""

    name: str
    reason: str


def choose_backend() -> BackendChoice:
    """Heavy if its model is installed (``models list``) and pose inference gets at least
    HEAVY_MIN_THREADS threads (``pose.graph.pose_threads``), else full."""
    threads = pose_threads()
    if installed_model(HEAVY) is None:
        return BackendChoice(
            FULL, "the heavy model is not installed (posesim-cam models add installs it)"
        )
    if threads < HEAVY_MIN_THREADS:
        return BackendChoice(
            FULL,
            f"the heavy model is installed, but pose inference gets {threads} thread here "
            f"and heavy needs {HEAVY_MIN_THREADS} to keep up",
        )
    return BackendChoice(
        HEAVY.backend, f"the heavy model is installed and pose inference gets {threads} threads"
    )


def resolve_backend(name: str) -> str:
    """``name``, with ``auto`` replaced by what it stands for here."""
    return choose_backend().name if name == AUTO else name

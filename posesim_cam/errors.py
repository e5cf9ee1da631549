"""Errors a user can cause: each carries one sentence saying what is wrong and what to do.

Imports nothing of posesim_cam: every layer may raise these.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or machine, reported without a traceback.

    The CLI prints ``str(error)`` and exits with code 2.
    """

    exit_code = 2

    def __init__(self, problem: str, remedy: str = "") -> None:
        self.problem = problem.rstrip(".")
        remedy = remedy.strip().rstrip(".")
        # A remedy is its own sentence after the problem's full stop.
        self.remedy = remedy[:1].upper() + remedy[1:]
        super().__init__(f"{self.problem}. {self.remedy}." if remedy else f"{self.problem}.")


class NoPersonError(UserError):
    """No person was found where one was needed (a target video, an attempt, an image)."""


class CannotScoreError(UserError):
    """A person was found, but too few of their poses are usable to give a fair score."""


def install_line(extra: str) -> str:
    """The command that adds ``extra`` to this very install: this interpreter's pip, and the clone
    it was installed from in editable mode, else the package index."""
    import sys
    from pathlib import Path

    clone = Path(__file__).resolve().parent.parent
    pip = f"{sys.executable} -m pip install"
    if (clone / "pyproject.toml").is_file() and (clone / "posesim_cam").is_dir():
        return f"{pip} -e '{clone}[{extra}]'"
    return f"{pip} 'posesim-cam[{extra}]'"


def require_module(module: str, extra: str, what: str) -> None:
    """UserError unless ``module`` can be imported: ``what`` needs the ``extra`` that a plain
    ``pip install posesim-cam`` leaves out (torch, for training and the FastPose network)."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UserError(
            f"{what} needs {module}, which this install of posesim-cam leaves out",
            f"install it with: {install_line(extra)}",
        )

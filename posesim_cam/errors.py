"""Errors a user can cause: each carries one sentence saying what is wrong and what to do.

Imports nothing: every layer may raise these.
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

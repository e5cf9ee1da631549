"""Where a class keeps what in Redis, and for how long: every key has an expiry, refreshed by
each write, so a class that stops leaves nothing behind. docs/class.md is the user's copy of this.

    posesim:class:<class>:live           pub/sub channel: live scores, a few a second per student
    posesim:class:<class>:players        hash  name key -> latest live state (JSON)   LIVE_TTL
    posesim:class:<class>:claim:<name>   string: which machine holds the name           CLAIM_TTL
    posesim:class:<class>:results        hash  record id -> final record (JSON)         RESULTS_TTL
    posesim:class:<class>:rank:<sha>     sorted set  name -> best final score on the target
    posesim:class:<class>:targets        hash  target sha -> target name                RESULTS_TTL

Pure: imports ``names`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from posesim_cam.classroom.names import name_key

PREFIX = "posesim:class"
LIVE_TTL = 2 * 3600  # the live board's state: two hours after the class's last score
CLAIM_TTL = 60  # a name is free again a minute after its student stops
RESULTS_TTL = 30 * 24 * 3600  # final records and ranks: thirty days after the last one
MESSAGE_VERSION = 1


@dataclass(frozen=True)
class ClassKeys:
    """The key names of one class."""

    name: str

    @property
    def base(self) -> str:
        return f"{PREFIX}:{self.name}"

    @property
    def live(self) -> str:
        return f"{self.base}:live"

    @property
    def players(self) -> str:
        return f"{self.base}:players"

    def claim(self, player: str) -> str:
        return f"{self.base}:claim:{name_key(player)}"

    @property
    def results(self) -> str:
        return f"{self.base}:results"

    def rank(self, target_sha: str) -> str:
        return f"{self.base}:rank:{target_sha}"

    @property
    def targets(self) -> str:
        return f"{self.base}:targets"

    @property
    def pattern(self) -> str:
        """Every key of the class (for ``class clear``)."""
        return f"{self.base}:*"

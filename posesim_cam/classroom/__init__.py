"""Class mode: students' live scores and final records over Redis, one board for the instructor.

``address`` (the class URL), ``names`` (player names), ``keys`` (the key layout and its expiry)
are pure; ``link`` is the student side, ``board`` and ``board_app`` the instructor's, ``results``
the final ranking. docs/class.md describes what is stored and for how long. The package
imports ``control`` (Status, the HTTP guard, the server), ``records`` and redis-py (lazily);
never the session, the commands or the CLI.
"""

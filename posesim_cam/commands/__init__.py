"""The use cases behind the CLI, one module per command family: ``score`` (and ``render``, its
``--render`` video), ``targets``, ``pose``, ``run`` and ``doctor``, ``model`` (train, eval).

Each takes a ``Workspace`` (where the library, cache and model are; which pose backend) and
plain options, and returns a value or text; the CLI only parses and prints, and tests call these
directly. Commands may import anything below them (session, HUD, scoring, targets, I/O); no
module below imports a command, and commands never import the CLI or the console.
"""

"""Steering a running session from outside the process: the local control API (``api``,
served by ``server`` on loopback, guarded by the ``token``), and the link to OBS Studio over
obs-websocket (``obs``).

Nothing here knows the session's class: everything speaks to a ``Controls`` value
(``controls.py``), which ``posesim-cam run`` builds over its ``LiveSession``. Imports
``errors``, ``config``, ``files`` and the clock; never the session, the HUD or the commands.
"""

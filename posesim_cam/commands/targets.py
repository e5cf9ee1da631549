"""``posesim-cam targets add | list | remove``: the target library, as text for the CLI.

Imports the workspace and the progress seam only.
"""

from __future__ import annotations

from pathlib import Path

from posesim_cam.commands.workspace import Workspace
from posesim_cam.progress import ProgressFactory


def add_target(
    workspace: Workspace,
    video: Path,
    name: str | None = None,
    replace: bool = False,
    progress: ProgressFactory | None = None,
) -> str:
    library = workspace.library
    # Prepare first: a video with nobody in it never enters the library.
    workspace.prepare(video, workspace.encoder(), name, progress)
    entry, changed = library.add(video, name, replace)
    verb = "Added" if changed else "Already in the library:"
    return f"{verb} {entry.name!r} ({entry.duration:.1f} s) in {library.root}"


def list_targets(workspace: Workspace) -> str:
    library = workspace.library
    entries = library.entries()
    if not entries:
        return f"No targets in {library.root} yet. Add one with `posesim-cam targets add VIDEO`."
    width = max(len(e.name) for e in entries)
    return "\n".join(f"{e.name:<{width}}  {e.duration:6.1f} s  added {e.added}" for e in entries)


def remove_target(workspace: Workspace, name: str) -> str:
    workspace.library.remove(name)
    return f"Removed {name!r}."

"""The package's shape, checked from its source: layers that import only downwards, no import
cycles, modules of one job (at most 500 lines), each saying what it is for, and every package
installed. docs/architecture.md draws the same layers."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACKAGE = REPO_ROOT / "posesim_cam"
MAX_LINES = 500

# Bottom first. A module may import modules of its own layer or of layers below it, never
# above. Names are module paths under posesim_cam; a package name covers its modules.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "skeleton", "clock", "progress", "files", "registry", "settings", "config"),
    ("features", "pose", "video", "sequence", "encoder"),
    ("scoring", "targets", "capture", "outputs", "records", "players"),
    ("control", "classroom", "hud", "training"),
    ("pipeline", "attempt", "round", "session"),
    ("commands",),
    ("console", "cli", "cli_class", "__main__", "__init__", "models"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """posesim_cam modules ``path`` imports anywhere in it (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.startswith("posesim_cam."):
                inner = name.removeprefix("posesim_cam.")
                if inner in known:
                    found.add(inner)
    return found


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"posesim_cam.{module} is in no layer of LAYERS: add it")


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def test_every_module_sits_in_a_layer_and_imports_only_downwards():
    upward = [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, targets in graph().items()
        for b in targets
        if layer_of(b) > layer_of(a) and not b.startswith(a.split(".")[0] + ".") and b != "models"
    ]
    assert not upward, upward


def test_no_import_cycles():
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, cycles


def test_the_layer_check_finds_an_upward_import_and_a_cycle(tmp_path: Path):
    # The checks above must be able to fail: a numeric module importing the session is upward.
    assert layer_of("scoring.offline") < layer_of("session") < layer_of("commands.run")
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from posesim_cam.session import LiveSession\n")
    assert imports_of(source, set(modules())) == {"session"}


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_are_short_and_say_what_they_are_for(name: str):
    path = modules()[name]
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path} has {lines} lines: split it"
    tree = ast.parse(path.read_text())
    if name != "__main__" and (lines > 5 or name.endswith("__init__")):
        docstring = ast.get_docstring(tree) or ""
        assert len(docstring) >= 40, f"{path} needs a docstring saying its job"
        assert "import" in docstring.lower(), f"{path}: say in its docstring what it may import"


def test_every_package_is_installed():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {
        "posesim_cam" + "".join("." + p for p in init.parent.relative_to(PACKAGE).parts)
        for init in PACKAGE.rglob("__init__.py")
    }
    assert packages <= listed, sorted(packages - listed)


def test_the_architecture_page_names_every_module_of_the_layers():
    page = (REPO_ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for name in sorted(modules()):
        top = name.split(".")[0]
        shown = f"{top}/" if (PACKAGE / top).is_dir() else f"{top}.py"
        if top not in ("__init__", "models") and shown not in page:
            missing.append(shown)
    assert not missing, f"docs/architecture.md does not show {sorted(set(missing))}"

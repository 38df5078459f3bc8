"""The shape of sdsetup/: no import cycle among its modules, and never torch, diffusers or gradio.

Imports are read from the source (every ``import`` statement, those inside functions too: an import
put off until call time to dodge a cycle is still a cycle). Importing ``a.b.c`` from outside ``a.b``
runs ``a/b/__init__.py`` first, so that counts as an edge to the package as well.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sdsetup

ROOT = Path(sdsetup.__file__).parent
HEAVY = ("torch", "diffusers", "gradio")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        # data/ holds files shipped with the package (the lock regenerator), not importable modules
        if "data" not in path.relative_to(ROOT).parts:
            found[_module_name(path)] = path
    return found


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The sdsetup modules ``name`` imports, with the package __init__ files that run on the way."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & known
            targets.update(submodules)
            if len(submodules) < len(node.names):  # names defined by the module (or package) itself
                targets.add(node.module)
    own = set(_ancestors(name)) | {name}
    edges = set()
    for target in targets:
        if target in known:
            edges.add(target)
            edges.update(a for a in _ancestors(target) if a in known and a not in own)
    edges.discard(name)
    return edges


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of module names, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_sdsetup_modules():
    graph = _graph()
    assert "sdsetup.mirrors.probe" in graph and "sdsetup.install.pipeline" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_sdsetup_never_names_torch_diffusers_or_gradio():
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            roots = ([a.name.split(".")[0] for a in node.names] if isinstance(node, ast.Import) else
                     [node.module.split(".")[0]] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not set(roots) & set(HEAVY), f"{name} imports {roots}"


def test_importing_every_sdsetup_module_loads_no_heavy_library():
    names = sorted(n for n in _modules() if not n.endswith("__main__"))  # __main__ runs the CLI
    code = ("import importlib, sys\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

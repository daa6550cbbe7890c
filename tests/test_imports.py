"""No import cycle inside lightning_gans: the module import graph is acyclic."""

import ast
import importlib
import pkgutil
from pathlib import Path

import lightning_gans

PACKAGE = Path(lightning_gans.__file__).parent


def _modules():
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="lightning_gans."):
        yield info.name


def _path(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    return PACKAGE / relative / "__init__.py" if (PACKAGE / relative).is_dir() else PACKAGE / f"{relative}.py"


def _imports(module: str) -> set[str]:
    """The lightning_gans modules ``module`` imports at import time (TYPE_CHECKING blocks count too)."""
    tree = ast.parse(_path(module).read_text())
    package = module if _path(module).name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {n for n in names if n.startswith("lightning_gans")}
    known = set(_modules()) | {"lightning_gans"}
    return {n for n in found if n in known and n != module}


def _edges(module: str) -> set[str]:
    # Importing a.b.c runs a/__init__ and a/b/__init__ first: a module depends on its parents' __init__ as well.
    edges = set()
    for target in _imports(module):
        parts = target.split(".")
        edges |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    parents = {".".join(module.split(".")[:i]) for i in range(1, len(module.split(".")))}
    return {e for e in edges if e != module and e not in parents and e in set(_modules()) | {"lightning_gans"}}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of nodes, or None (depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_lightning_gans_has_no_import_cycle():
    modules = sorted(set(_modules()) - {"lightning_gans"})
    graph = {module: _edges(module) - {"lightning_gans"} for module in modules}
    assert len(graph) > 30 and graph["lightning_gans.gan"]  # the graph is real: the engine imports its parts
    assert find_cycle(graph) is None, find_cycle(graph)


def test_every_module_imports():
    for module in _modules():
        importlib.import_module(module)

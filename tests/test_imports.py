"""The import rules of docs/architecture.md: the floors of lightning_gans (a module imports only from lower floors or
its own package), the engine's internals and the command line kept to themselves, callbacks / evaluation / metrics
free of the engine, benchmarks on the public API, and no import cycle."""

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


#: The floors of docs/architecture.md, bottom first: a top-level module or package imports only from lower floors
#: (and from inside itself). lightning_gans/__init__.py, the public API, gathers names from any floor.
FLOORS = (
    ("checks", "convert", "option_group"),
    ("data", "nets", "losses", "regularizers", "augment", "noise"),
    ("metrics", "options", "sampling"),
    ("engine",),
    ("gan",),
    ("variants",),
    ("evaluation",),
    ("callbacks",),
    ("cli",),
)
FLOOR = {name: level for level, names in enumerate(FLOORS) for name in names}
#: Parts that work with any LightningModule: they never import the engine or the variants ...
ANY_MODULE = ("metrics", "evaluation", "callbacks")
#: ... except the health monitor's one question "is this module ours?", asked inside a function.
MAY_ASK_IF_OURS = {"lightning_gans.callbacks.health.watched"}


def _part(module: str) -> str:
    """``lightning_gans.engine.guard`` -> ``engine``; ``lightning_gans`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_top_level_module_is_on_a_floor():
    parts = {_part(m) for m in _modules()} - {""}
    assert parts == set(FLOOR), f"place these in FLOORS (and docs/architecture.md): {sorted(parts ^ set(FLOOR))}"


def test_modules_import_only_from_lower_floors():
    wrong = [
        f"{module} -> {target}"
        for module in _modules()
        if _part(module)
        for target in _imports(module)
        if _part(target) not in ("", _part(module)) and FLOOR[_part(target)] >= FLOOR[_part(module)]
    ]
    assert not wrong, wrong


def test_the_parts_for_any_module_do_not_import_the_engine():
    wrong = [
        f"{module} -> {target}"
        for module in _modules()
        if _part(module) in ANY_MODULE and module not in MAY_ASK_IF_OURS
        for target in _imports(module)
        if _part(target) in ("gan", "variants", "engine")
    ]
    assert not wrong, wrong


def _benchmark_imports() -> dict[str, set[str]]:
    root = PACKAGE.parent / "benchmarks"
    found = {}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
        found[str(path.relative_to(root.parent))] = {n for n in names if n.startswith("lightning_gans")}
    return found


def test_benchmarks_use_the_public_library_not_its_internals():
    found = _benchmark_imports()
    assert len(found) > 20 and any(found.values())  # the walk is real
    wrong = {path: sorted(n for n in names if n.startswith("lightning_gans.engine")) for path, names in found.items()}
    assert not any(wrong.values()), {path: names for path, names in wrong.items() if names}


def test_the_library_never_imports_benchmarks_or_tests():
    for module in _modules():
        tree = ast.parse(_path(module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith(("benchmarks", "tests")), module

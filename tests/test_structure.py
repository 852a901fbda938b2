"""Small structure rules (issue 23, part 5).

* No submodule is shadowed by a package attribute of the same name (``import fmtrials.meta.pool`` used to give
  the function ``pool``), and no module defines a function or class named like the module itself.
* The graph of imports among fmtrials modules, counting imports inside functions (they run too, later) and
  leaving out ``if TYPE_CHECKING:`` blocks, has no cycle.
* No module of the package offers pytest a ``test_*`` function to collect.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import fmtrials

SRC = Path(fmtrials.__file__).parent

#: import cycles accepted, each with its reason (none today)
ALLOWED_CYCLES: dict[tuple[str, ...], str] = {}


def _module_files() -> dict[str, Path]:
    """Every module of the package: dotted name -> file (packages by their ``__init__.py``)."""
    files: dict[str, Path] = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


FILES = _module_files()
PACKAGES = sorted(name for name, path in FILES.items() if path.name == "__init__.py")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: module level and inside functions, not under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        visit(node)

    visit(tree)
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The fmtrials modules an import statement in ``module`` executes.

    An import runs the named module and every package above it, except those already running: the packages
    that contain ``module`` itself (``from . import sibling`` runs the sibling only).
    """
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module if FILES[module].name == "__init__.py" else module.rpartition(".")[0]
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            stem = ".".join(base + ([node.module] if node.module else []))
        else:
            stem = node.module or ""
        names = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
    parts = module.split(".")
    running = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    executed = set()
    for name in names:
        pieces = name.split(".")
        executed |= {".".join(pieces[:i]) for i in range(1, len(pieces) + 1)}
    return {name for name in executed - running if name in FILES}


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in FILES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set().union(*(_targets(module, node) for node in _imports(tree))) - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_cycle_finder_finds_a_known_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [("a", "b", "c")]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_graph_sees_relative_function_level_imports():
    graph = import_graph()
    # a function-level import of a sibling (plots.baujat imports meta's influence diagnostics when called)
    assert any(t.startswith("fmtrials.meta.") for t in graph["fmtrials.plots.baujat"])
    # a package import through "from .. import name"
    assert "fmtrials.meta" in graph["fmtrials.analysis._pooling"]
    # TYPE_CHECKING imports are not runtime imports
    assert "fmtrials.analysis" not in graph["fmtrials.decision.absolute"]


def test_no_runtime_import_cycles():
    found = {cycle: ALLOWED_CYCLES.get(cycle) for cycle in cycles(import_graph())}
    assert {cycle for cycle, reason in found.items() if reason is None} == set()


def _submodules(package: str) -> list[str]:
    return [info.name for info in pkgutil.iter_modules([str(FILES[package].parent)]) if info.name != "__main__"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_attribute_shadows_a_submodule(package):
    pkg = importlib.import_module(package)
    for name in _submodules(package):
        module = importlib.import_module(f"{package}.{name}")
        assert getattr(pkg, name) is module is sys.modules[f"{package}.{name}"], f"{package}.{name}"
        # and through the top-level lazy names too
        if package == "fmtrials":
            assert name not in fmtrials._LAZY, name


def test_no_module_defines_its_own_name():
    offenders = []
    for module, path in FILES.items():
        stem = module.rpartition(".")[2]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {
            node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        if stem in defined:
            offenders.append(module)
    assert offenders == []


def test_no_module_offers_pytest_a_test_function():
    """``pytest src/fmtrials/meta/fit.py`` once collected ``test_step`` as a test."""
    offenders = []
    for module in FILES:
        if module.endswith("__main__"):
            continue
        mod = importlib.import_module(module)
        if getattr(mod, "__test__", True) and any(
            name.startswith("test") and callable(getattr(mod, name)) for name in vars(mod)
        ):
            offenders.append(module)
    assert offenders == []

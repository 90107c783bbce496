"""The shape of the package, read with `ast`: modules, classes and functions small enough to read whole, and no
import cycles between the modules of `qa` (what a module imports at its top level, as Python runs it)."""

from __future__ import annotations

import ast
from pathlib import Path

QA = Path(__file__).resolve().parent.parent / "qa"
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 200
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, ast.Module]:
    """Every module of the package by its dotted name, parsed."""
    return {f"qa.{path.stem}" if path.stem != "__init__" else "qa": ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(QA.glob("*.py"))}


def lines(node: ast.stmt) -> int:
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def test_no_module_is_over_450_lines() -> None:
    long = {p.name: n for p in QA.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines()))
            > MAX_MODULE_LINES}
    assert long == {}


def test_no_class_is_over_200_lines_and_no_function_over_80() -> None:
    classes, functions = {}, {}
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and lines(node) > MAX_CLASS_LINES:
                classes[f"{name}:{node.name}"] = lines(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and lines(node) > MAX_FUNCTION_LINES:
                functions[f"{name}:{node.name}"] = lines(node)
    assert (classes, functions) == ({}, {})


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _top_level_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module is imported: the module's own, and those inside top-level
    `if` (not `if TYPE_CHECKING:`), `try` and `with` blocks; not those inside functions or classes."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            found += _top_level_imports(node.body) + _top_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            found += _top_level_imports([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                found += _top_level_imports(handler.body)
        elif isinstance(node, ast.With):
            found += _top_level_imports(node.body)
    return found


def import_graph() -> dict[str, set[str]]:
    """qa module -> the qa modules it imports at its top level."""
    trees = modules()
    graph: dict[str, set[str]] = {name: set() for name in trees}
    for name, tree in trees.items():
        for node in _top_level_imports(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = "qa" if node.level else (node.module or "")
                if node.level and node.module:
                    base = f"qa.{node.module}"
                # `from . import x` and `from qa import x` import the module qa.x when there is one
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in trees else base for alias in node.names]
            graph[name] |= {t for t in targets if t in trees and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that is on a cycle (depth-first search), each as a path back to its start."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_no_import_cycles_between_qa_modules() -> None:
    graph = import_graph()
    assert graph["qa.search"] >= {"qa.channels", "qa.fusion", "qa.coverage", "qa.index"}  # the graph is read
    assert cycles(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []

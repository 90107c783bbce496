"""Manifests of documents to import: one document per row, JSON Lines or CSV, each row checked on its own.

Columns are those of `documents.json`: `file` (relative to the manifest), `title`, `title_en`,
`submitted_by` (a list, or `;`-separated in CSV), `author`, `date`, `meeting`, `symbol`, `language`, `kind`,
and optionally `id`, `notes`. A row that breaks a rule becomes a `Refusal` naming the row, the rule and the
fix; the good rows go on to `corpus.add_documents`, which writes nothing until every file has been read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import InputError
from qa.text.scripts import is_date

COLUMNS = ("file", "id", "title", "title_en", "submitted_by", "author", "date", "meeting", "symbol", "language",
           "kind", "notes")
LANGUAGES = ("zh", "en")
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class Metadata:
    """What a user says about a document: everything `documents.json` records except what is computed."""

    title: str
    submitted_by: tuple[str, ...] = ()
    author: str = ""
    date: str = ""
    meeting: str = ""
    symbol: str = ""
    title_en: str = ""
    language: str = ""  # '' = detect from the text
    kind: str = ""
    id: str = ""  # '' = made from the submitter and the year
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Entry:
    """A row that passed its checks: the file to read and what to record about it."""

    row: int
    path: Path
    source: str  # the file as the manifest names it, e.g. 'texts/CHN_76_2021.txt'
    metadata: Metadata


@dataclass(frozen=True)
class Refusal:
    row: int
    source: str
    reason: str


def check_metadata(m: Metadata) -> Metadata:
    """Trimmed metadata, or InputError naming the first rule it breaks and how to fix it."""
    m = Metadata(title=m.title.strip(), submitted_by=tuple(s.strip() for s in m.submitted_by if s and s.strip()),
                 author=m.author.strip(), date=m.date.strip(), meeting=m.meeting.strip(), symbol=m.symbol.strip(),
                 title_en=m.title_en.strip(), language=m.language.strip().lower(), kind=m.kind.strip(),
                 id=m.id.strip(), notes=m.notes.strip(), extra=m.extra)
    if not m.title:
        raise InputError("the title is empty; give the document's title as it appears in it")
    if not m.submitted_by and not m.author:
        raise InputError("give submitted_by (a state or body) or author, so citations can say who said it")
    if m.date and not is_date(m.date):
        raise InputError(f"date {m.date!r} is not YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2019-04-29)")
    if m.language and m.language not in LANGUAGES:
        raise InputError(f"language {m.language!r} is not one of {', '.join(LANGUAGES)} (leave it out to detect it)")
    if m.id and not ID.match(m.id):
        raise InputError(f"id {m.id!r} must be lower-case letters, digits and '-', at most 64 characters")
    return m


def read_manifest(path: Path) -> tuple[list[Entry], list[Refusal]]:
    """The rows of a JSON Lines (.jsonl) or CSV (.csv) manifest: those that pass their checks, and those refused."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"Cannot read the manifest {path}: {e.strerror}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"The manifest {path} is not UTF-8; save it as UTF-8 and retry.") from None
    if path.suffix.lower() == ".csv":
        rows: Iterable[tuple[int, Any]] = _csv_rows(text)
    elif path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = _jsonl_rows(text)
    else:
        raise InputError(f"{path.name}: a manifest is JSON Lines (.jsonl) or CSV (.csv), not {path.suffix or 'no suffix'}.")
    entries: list[Entry] = []
    refused: list[Refusal] = []
    base = path.resolve().parent  # '../shared/…/manifest.jsonl' is fine; '..' inside a row is not
    for row, record in rows:
        try:
            entries.append(_entry(row, record, base))
        except InputError as e:
            source = str(record.get("file", "")) if isinstance(record, Mapping) else ""
            refused.append(Refusal(row, source, e.message))
    if not entries and not refused:
        raise InputError(f"The manifest {path} has no rows.")
    return entries, refused


def _jsonl_rows(text: str) -> Iterable[tuple[int, Any]]:
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                yield n, _Unreadable(f"not valid JSON ({e.msg} at column {e.colno})")


def _csv_rows(text: str) -> Iterable[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    for record in reader:
        row = reader.line_num
        if None in record:
            yield row, _Unreadable("has more cells than the header has columns")
        else:
            yield row, {k: v for k, v in record.items() if v not in (None, "")}


class _Unreadable(dict[str, Any]):
    """A row that could not be parsed at all; `_entry` refuses it with its reason."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _entry(row: int, record: Any, base: Path) -> Entry:
    if isinstance(record, _Unreadable):
        raise InputError(record.reason)
    if not isinstance(record, dict):
        raise InputError("is not an object with named columns")
    unknown = sorted(set(record) - set(COLUMNS))
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    source = str(record.get("file", "")).strip()
    if not source:
        raise InputError("no file: every row names its document's file, relative to the manifest")
    path = base / source
    if ".." in Path(source).parts or Path(source).is_absolute():
        raise InputError(f"file {source!r} must be a path below the manifest's folder, without '..'")
    if not path.is_file():
        raise InputError(f"file {source!r} does not exist next to the manifest")
    submitted = record.get("submitted_by", ())
    if isinstance(submitted, str):
        submitted = tuple(s for s in submitted.split(";"))
    if not isinstance(submitted, list | tuple) or not all(isinstance(s, str) for s in submitted):
        raise InputError("submitted_by must be a list of names (or ';'-separated in CSV)")
    values = {k: record.get(k, "") for k in COLUMNS if k not in ("file", "submitted_by")}
    if not all(isinstance(v, str) for v in values.values()):
        raise InputError("every column but submitted_by holds text")
    return Entry(row, path, source, check_metadata(Metadata(submitted_by=tuple(submitted), **values)))

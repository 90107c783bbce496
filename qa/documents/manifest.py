"""Manifests of documents to import: one document per row, JSON Lines or CSV, each row checked on its own.

Columns are those of `documents.json`: `file` (relative to the manifest; the only column required, since
`qa add` reads the rest from the document's first page), `title`, `title_en`,
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

from qa.documents.un_header import Header
from qa.errors import InputError
from qa.text.scripts import is_date

COLUMNS = ("file", "id", "title", "title_en", "submitted_by", "author", "date", "meeting", "symbol", "language",
           "kind", "notes")
LANGUAGES = ("zh", "en")
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class Metadata:
    """What a user says about a document: everything `documents.json` records except what is computed."""

    title: str = ""  # '' = read from the document
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


def check_metadata(m: Metadata, complete: bool = True) -> Metadata:
    """Trimmed metadata, or InputError naming the first rule it breaks and how to fix it.

    With `complete=False` a title and a submitter or author may be missing: `qa add` reads them from the
    document's first page, and checks the merged metadata again (`complete=True`) before anything is written.
    """
    m = Metadata(title=m.title.strip(), submitted_by=tuple(s.strip() for s in m.submitted_by if s and s.strip()),
                 author=m.author.strip(), date=m.date.strip(), meeting=m.meeting.strip(), symbol=m.symbol.strip(),
                 title_en=m.title_en.strip(), language=m.language.strip().lower(), kind=m.kind.strip(),
                 id=m.id.strip(), notes=m.notes.strip(), extra=m.extra)
    if complete and not m.title:
        raise InputError("no title: none was read from the first page; give --title (or a title column)")
    if complete and not m.submitted_by and not m.author:
        raise InputError("no submitter or author: none was read from the first page; give --submitted-by (a state "
                         "or body) or --author, so citations can say who said it")
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
    return Entry(row, path, source, check_metadata(Metadata(submitted_by=tuple(submitted), **values), complete=False))


# --- what the user gave, completed by what the document prints -------------------------------------------------

GIVEN = "given"


def merge_header(given: Metadata, header: Header) -> tuple[Metadata, tuple[tuple[str, str], ...]]:
    """The user's metadata completed field by field by what the document's first page prints (a flag or a
    manifest column always wins), and where each field came from: 'given', 'read' or 'derived'."""
    read = {
        "title": header.title, "title_en": header.title_en, "submitted_by": header.submitted_by,
        "author": header.author, "date": header.date, "meeting": header.meeting.name, "symbol": header.symbol,
        "language": header.language if header.language in LANGUAGES else "", "kind": header.kind,
    }
    values: dict[str, Any] = {}
    sources: list[tuple[str, str]] = []
    for name, value in read.items():
        mine = getattr(given, name)
        if mine:
            values[name] = mine
            sources.append((name, GIVEN))
        else:
            values[name] = value
            if value:
                sources.append((name, header.source(name)))
    if given.submitted_by or given.author:  # who spoke is given: the header's reading of it is not used
        values["submitted_by"], values["author"] = given.submitted_by, given.author
        sources = [(k, v) for k, v in sources if k not in ("submitted_by", "author")]
        sources += [(k, GIVEN) for k in ("submitted_by", "author") if getattr(given, k)]
    extra = dict(given.extra)
    header_extra = {"on_behalf_of": "; ".join(header.on_behalf_of), "original_language": header.original_language,
                    "meeting_zh": header.meeting.name_zh if header.language == "zh" else "",
                    "meeting_dates": header.meeting.dates}
    for key, value in header_extra.items():
        if value and key not in extra and not (key.startswith("meeting") and given.meeting):
            extra[key] = value
    merged = Metadata(extra=extra, id=given.id, notes=given.notes, **values)
    order = {name: i for i, name in enumerate(read)}
    return merged, tuple(sorted(sources, key=lambda s: order[s[0]]))

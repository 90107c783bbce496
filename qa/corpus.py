"""The corpus: `corpus/documents.json` plus the source files it describes, segmented into paragraphs.

Loading checks every file against its recorded sha256, so an edited source is an error, not a silently
different citation. `add_document` validates a user's file completely before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .document import Document
from .errors import Busy, CorpusError, InputError, NotFound
from .ingest import read_text
from .paragraph import Paragraph
from .segment import paragraphs as segment_paragraphs
from .storage import atomic_write_bytes, sha256_bytes, writer_lock

MANIFEST = "documents.json"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_DATE = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$")


@dataclass(frozen=True)
class Corpus:
    """All documents and their paragraphs, in manifest order; `fingerprint` identifies this exact corpus."""

    path: Path
    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...]
    fingerprint: str
    _by_doc: dict[str, tuple[Paragraph, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        known = ", ".join(d.id for d in self.documents)
        raise NotFound(f"No document {doc_id!r} in {self.path}; known documents: {known} (see `qa documents`).")

    def paragraphs_of(self, doc_id: str) -> tuple[Paragraph, ...]:
        self.document(doc_id)
        return self._by_doc.get(doc_id, ())

    def searchable(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.searchable)

    def paragraph(self, paragraph_id: str) -> Paragraph:
        doc_id = paragraph_id.partition(":")[0]
        for p in self.paragraphs_of(doc_id):
            if p.id == paragraph_id:
                return p
        raise NotFound(f"No paragraph {paragraph_id!r}; list them with `qa paragraphs {doc_id}`.")


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read the manifest, verify every file's sha256 and segment each document."""
    corpus_dir = Path(corpus_dir)
    manifest_bytes, documents = _read_manifest(corpus_dir)
    h = hashlib.sha256(manifest_bytes)
    paragraphs: list[Paragraph] = []
    by_doc: dict[str, tuple[Paragraph, ...]] = {}
    for doc in documents:
        path = corpus_dir / doc.file
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CorpusError(f"{path} listed in {MANIFEST} cannot be read ({e.strerror}); restore it or remove "
                              f"its entry.") from None
        digest = sha256_bytes(data)
        if doc.sha256 and digest != doc.sha256:
            raise CorpusError(f"{path} does not match the sha256 recorded in {MANIFEST} (file was changed); "
                              f"restore the original, or add the new version with `qa add`.")
        h.update(doc.file.encode() + b"\0" + data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CorpusError(f"{path} is not UTF-8 text; corpus files are stored as UTF-8 by `qa add`.") from None
        ps = tuple(_attribute(p, doc) for p in segment_paragraphs(doc.id, text))
        by_doc[doc.id] = ps
        paragraphs.extend(ps)
    return Corpus(corpus_dir, tuple(documents), tuple(paragraphs), h.hexdigest(), by_doc)


def _attribute(p: Paragraph, doc: Document) -> Paragraph:
    return replace(p, author=doc.author_of(p.part))


def _read_manifest(corpus_dir: Path) -> tuple[bytes, list[Document]]:
    path = corpus_dir / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"No {MANIFEST} in {corpus_dir}: point --corpus-dir (or QA_CORPUS_DIR) at the corpus "
                          f"folder.") from None
    except OSError as e:
        raise CorpusError(f"Cannot read {path}: {e.strerror}.") from None
    try:
        entries = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorpusError(f"{path} is not valid JSON ({e}); restore it from git.") from None
    if not isinstance(entries, list):
        raise CorpusError(f"{path} must hold a JSON array of documents; restore it from git.")
    documents = [_document(e, path, i) for i, e in enumerate(entries)]
    seen: set[str] = set()
    for d in documents:
        if d.id in seen:
            raise CorpusError(f"{path}: document id {d.id!r} appears twice; ids must be unique.")
        seen.add(d.id)
    return raw, documents


def _document(entry: Any, path: Path, i: int) -> Document:
    if not isinstance(entry, dict) or not entry.get("id") or not entry.get("file"):
        raise CorpusError(f"{path}: entry {i} needs at least 'id' and 'file'.")
    name = str(entry["file"])
    if Path(name).name != name or name.startswith("."):
        raise CorpusError(f"{path}: entry {entry['id']!r} names file {name!r}; it must be a plain file name in "
                          f"the corpus folder.")
    try:
        return Document(
            id=str(entry["id"]), file=name, title=str(entry.get("title", "")),
            title_en=str(entry.get("title_en", "")), submitted_by=tuple(entry.get("submitted_by") or ()),
            author=str(entry.get("author", "")), date=str(entry.get("date", "")),
            meeting=str(entry.get("meeting", "")), symbol=str(entry.get("symbol", "")),
            language=str(entry.get("language", "zh")), kind=str(entry.get("kind", "working paper")),
            sha256=str(entry.get("sha256", "")), notes=str(entry.get("notes", "")),
            part_authors=tuple((str(k), str(v)) for k, v in (entry.get("part_authors") or {}).items()),
            speaker_aliases=tuple((str(k), tuple(str(x) for x in v))
                                  for k, v in (entry.get("speaker_aliases") or {}).items()),
            extra={str(k): str(v) for k, v in (entry.get("extra") or {}).items()},
        )
    except (TypeError, AttributeError) as e:
        raise CorpusError(f"{path}: entry {entry.get('id')!r} is malformed ({e}).") from None


def document_json(d: Document) -> dict[str, Any]:
    """A document as it is written to documents.json (and shown by `qa documents --json`)."""
    out: dict[str, Any] = {
        "id": d.id, "file": d.file, "title": d.title, "title_en": d.title_en, "submitted_by": list(d.submitted_by),
        "author": d.author, "date": d.date, "meeting": d.meeting, "symbol": d.symbol, "language": d.language,
        "kind": d.kind, "sha256": d.sha256, "notes": d.notes,
    }
    if d.part_authors:
        out["part_authors"] = dict(d.part_authors)
    if d.speaker_aliases:
        out["speaker_aliases"] = {k: list(v) for k, v in d.speaker_aliases}
    if d.extra:
        out["extra"] = dict(d.extra)
    return out


# --- adding a document -------------------------------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def add_document(
    corpus_dir: Path,
    path: Path,
    *,
    title: str,
    submitted_by: Iterable[str],
    author: str = "",
    date: str = "",
    symbol: str = "",
    meeting: str = "",
    title_en: str = "",
    language: str = "",
) -> Document:
    """Copy a user's document into the corpus as UTF-8 text and record it in documents.json.

    Everything is validated first (file, text, metadata, duplicates); only then are the text file and the
    manifest written, each atomically. A refusal leaves the corpus folder byte-identical.
    """
    corpus_dir = Path(corpus_dir)
    manifest_bytes, documents = _read_manifest(corpus_dir)
    states = tuple(s.strip() for s in submitted_by if s and s.strip())
    title, author = title.strip(), author.strip()
    if not title:
        raise InputError("--title is empty; give the document's title as it appears in it.")
    if not states and not author:
        raise InputError("Give --submitted-by (a state or body) or --author, so citations can say who said it.")
    if date and not _DATE.match(date):
        raise InputError(f"--date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD; e.g. --date 2019-04-29.")
    text = read_text(Path(path))
    digest = sha256_bytes(text.encode("utf-8"))
    for d in documents:
        if d.sha256 == digest:
            raise InputError(f"{Path(path).name} is already in the corpus as {d.id!r}; nothing to add.")
    doc_id = _new_id(states[0] if states else author, date, {d.id for d in documents})
    paras = segment_paragraphs(doc_id, text)
    if not any(p.searchable for p in paras):
        raise InputError(f"{Path(path).name} has no paragraphs of text (only headings or boilerplate); nothing "
                         f"to add.")
    number = 1 + max((int(m.group(1)) for d in documents if (m := re.match(r"(\d+)_", d.file))), default=-1)
    file_name = f"{number:03d}_{digest[:16]}.txt"
    lang = language or ("zh" if re.search(r"[\u4e00-\u9fff]", text) else "en")
    doc = Document(id=doc_id, file=file_name, title=title, title_en=title_en.strip(), submitted_by=states,
                   author=author, date=date, meeting=meeting.strip(), symbol=symbol.strip(), language=lang,
                   sha256=digest, notes=f"Added with `qa add` from {Path(path).name}.")
    manifest = json.loads(manifest_bytes.decode("utf-8"))
    manifest.append(document_json(doc))
    target = corpus_dir / file_name
    with writer_lock(corpus_dir, "adding a document"):
        if (corpus_dir / MANIFEST).read_bytes() != manifest_bytes:  # another `qa add` finished meanwhile
            raise Busy(f"{corpus_dir / MANIFEST} changed while {Path(path).name} was being read (another `qa add`?); "
                       f"nothing was added: run the command again.")
        if target.exists():
            raise InputError(f"{target} already exists; remove the stray file or retry.")
        atomic_write_bytes(target, text.encode("utf-8"))
        try:
            atomic_write_bytes(corpus_dir / MANIFEST,
                               (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return doc


def _new_id(who: str, date: str, taken: set[str]) -> str:
    base = "-".join(x for x in (slug(who) or "doc", date[:4]) if x)
    base = base if _ID.match(base) else "doc"
    doc_id, n = base, 1
    while doc_id in taken:
        n += 1
        doc_id = f"{base}-{n}"
    return doc_id


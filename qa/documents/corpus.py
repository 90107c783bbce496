"""The corpus: `corpus/documents.json` plus the source files it describes, segmented into paragraphs.

Loading checks every file against its recorded sha256, so an edited source is an error, not a silently
different citation. `add_document` validates a user's file completely before it writes anything.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qa.documents.document import Document
from qa.documents.ingest import read_text
from qa.documents.manifest import Entry, Metadata, Refusal, check_metadata, merge_header
from qa.documents.paragraph import Paragraph
from qa.documents.segmentation import paragraphs as segment_paragraphs
from qa.documents.un_header import read_header
from qa.errors import Busy, CorpusError, InputError, NotFound
from qa.files import atomic_write_bytes, sha256_bytes, write_error, writer_lock
from qa.parties.table import Parties, load_parties
from qa.text.scripts import detect_language

MANIFEST = "documents.json"


@dataclass(frozen=True)
class Corpus:
    """The documents of a corpus folder, in manifest order; their paragraphs are segmented when first asked for.

    `fingerprint` identifies this exact corpus: documents.json and the SHA-256 it records for each file, so an
    index can tell it is stale without reading (or segmenting) any document.
    """

    path: Path
    documents: tuple[Document, ...]
    fingerprint: str
    _by_doc: dict[str, tuple[Paragraph, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        known = ", ".join(d.id for d in self.documents[:20]) + (" …" if len(self.documents) > 20 else "")
        raise NotFound(f"No document {doc_id!r} in {self.path}; known documents: {known} (see `qa documents`).")

    def paragraphs_of(self, doc_id: str) -> tuple[Paragraph, ...]:
        """A document's paragraphs, segmented from its file (checked against its SHA-256) on first use."""
        if doc_id not in self._by_doc:
            doc = self.document(doc_id)
            text = _read_checked(self.path, doc)
            self._by_doc[doc_id] = tuple(_attribute(p, doc) for p in segment_paragraphs(doc.id, text))
        return self._by_doc[doc_id]

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(p for d in self.documents for p in self.paragraphs_of(d.id))

    def searchable(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.searchable)

    def paragraph(self, paragraph_id: str) -> Paragraph:
        doc_id = paragraph_id.partition(":")[0]
        for p in self.paragraphs_of(doc_id):
            if p.id == paragraph_id:
                return p
        raise NotFound(f"No paragraph {paragraph_id!r}; list them with `qa paragraphs {doc_id}`.")


def closest_ids(doc_id: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The few document ids nearest a mistyped one, for a message: never the whole list (a corpus has
    thousands)."""
    return difflib.get_close_matches(doc_id.lower(), list(known), n=n, cutoff=0.5)


def load_corpus(corpus_dir: Path, verify: bool = True) -> Corpus:
    """Read the manifest; with `verify`, also read every file and check its SHA-256 (documents are segmented
    later, when their paragraphs are asked for)."""
    corpus_dir = Path(corpus_dir)
    manifest_bytes, documents = read_documents(corpus_dir)
    h = hashlib.sha256(manifest_bytes)
    for doc in documents:
        if doc.sha256:
            h.update(doc.sha256.encode())
        else:  # a hand-written entry without a checksum: its size and time stand in for it
            with contextlib.suppress(OSError):
                st = (corpus_dir / doc.file).stat()
                h.update(f"{doc.file}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        if verify:
            _read_checked(corpus_dir, doc)
    return Corpus(corpus_dir, tuple(documents), h.hexdigest())


def _read_checked(corpus_dir: Path, doc: Document) -> str:
    path = corpus_dir / doc.file
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"{path} listed in {MANIFEST} cannot be read ({e.strerror}); restore it or remove "
                          f"its entry.") from None
    if doc.sha256 and sha256_bytes(data) != doc.sha256:
        raise CorpusError(f"{path} does not match the sha256 recorded in {MANIFEST} (file was changed); "
                          f"restore the original, or add the new version with `qa add`.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8 text; corpus files are stored as UTF-8 by `qa add`.") from None


def _attribute(p: Paragraph, doc: Document) -> Paragraph:
    return replace(p, author=doc.author_of(p.part))


def read_documents(corpus_dir: Path) -> tuple[bytes, list[Document]]:
    """The bytes of documents.json (to detect a concurrent change) and its documents, checked."""
    path = corpus_dir / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CorpusError(f"No {MANIFEST} in {corpus_dir}: point --corpus-dir (or QA_CORPUS_DIR) at the corpus "
                          f"folder, or create one with `qa init {corpus_dir}`.") from None
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
            language=str(entry.get("language", "zh")), kind=str(entry.get("kind", "")),
            source=str(entry.get("source", "")),
            sha256=str(entry.get("sha256", "")), notes=str(entry.get("notes", "")),
            part_authors=tuple((str(k), str(v)) for k, v in (entry.get("part_authors") or {}).items()),
            speaker_aliases=tuple((str(k), tuple(str(x) for x in v))
                                  for k, v in (entry.get("speaker_aliases") or {}).items()),
            metadata_source=tuple((str(k), str(v)) for k, v in (entry.get("metadata_source") or {}).items()),
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
    if d.source:
        out["source"] = d.source
    if d.part_authors:
        out["part_authors"] = dict(d.part_authors)
    if d.speaker_aliases:
        out["speaker_aliases"] = {k: list(v) for k, v in d.speaker_aliases}
    if d.metadata_source:
        out["metadata_source"] = dict(d.metadata_source)
    if d.extra:
        out["extra"] = dict(d.extra)
    return out


# --- adding documents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One file of an import as `qa add` shows it: what was read or given for it, and what became of it.

    `status` is 'added' ('to add' after a dry run, or when another file's refusal stopped the import),
    'skipped' (its text is already in the corpus) or 'refused' (`reason` says why)."""

    row: int
    source: str
    status: str
    reason: str = ""
    document: Document | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    """What an import did, row by row: documents added, rows skipped (already in the corpus) and refused, and
    every row in order with what was read for it (`rows`). `written` is False after a dry run, or when a
    refusal stopped the import."""

    added: tuple[Document, ...]
    skipped: tuple[Refusal, ...]
    refused: tuple[Refusal, ...]
    rows: tuple[ImportRow, ...] = ()
    written: bool = True


CORPUS_INFO = "corpus.json"


def init_corpus(corpus_dir: Path, title: str = "") -> bool:
    """Make `corpus_dir` an empty corpus (a folder with an empty documents.json, and its title in corpus.json
    when given); False if it already was one (a title given is recorded all the same)."""
    corpus_dir = Path(corpus_dir)
    exists = (corpus_dir / MANIFEST).exists()
    if exists and not title:
        return False
    try:
        corpus_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(corpus_dir, e) from e
    with writer_lock(corpus_dir, "creating the corpus"):
        if not (corpus_dir / MANIFEST).exists():
            atomic_write_bytes(corpus_dir / MANIFEST, b"[]\n")
        if title:
            info = json.dumps({"title": title.strip()}, ensure_ascii=False, indent=2) + "\n"
            atomic_write_bytes(corpus_dir / CORPUS_INFO, info.encode("utf-8"))
    return not exists


def corpus_title(corpus_dir: Path) -> str:
    """The title `qa init --title` gave the corpus; '' when none was given (or corpus.json is unreadable)."""
    try:
        info = json.loads((Path(corpus_dir) / CORPUS_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(info.get("title", "")).strip() if isinstance(info, dict) else ""


def add_document(corpus_dir: Path, path: Path, **metadata: Any) -> Document:
    """Add one file (see `add_documents`); a refusal or a document already present is an InputError."""
    entry = Entry(1, Path(path), Path(path).name, check_metadata(Metadata(**metadata)))
    report = add_documents(corpus_dir, [entry])
    for r in (*report.refused, *report.skipped):
        raise InputError(f"{Path(path).name}: {r.reason}.")
    return report.added[0]


def add_documents(corpus_dir: Path, entries: Sequence[Entry], progress: bool = False, *, dry_run: bool = False,
                  skip_bad: bool = False, parties: Parties | None = None) -> ImportReport:
    """Read and check every entry's file, complete its metadata from the document's first page
    (`un_header.read_header`; what the entry gives wins, field by field), then write the new texts and
    documents.json once, atomically.

    A file whose text is already in the corpus (by SHA-256) is skipped, so importing a folder again is a
    no-op. A file is refused, with its reason, when it cannot be read, has no text, repeats the symbol of a
    document already in the corpus in the same language, names a submitter no party has, or lacks a title or a
    submitter that was neither read nor given. Nothing is written when any file is refused, unless `skip_bad`;
    nor in a `dry_run`. documents.json is written only if it did not change while the files were read (another
    `qa add`), else Busy and nothing is written.
    """
    from tqdm import tqdm

    corpus_dir = Path(corpus_dir)
    if (corpus_dir / MANIFEST).exists():
        manifest_bytes, documents = read_documents(corpus_dir)
    else:  # a corpus `_write` creates, or that a dry run leaves uncreated
        manifest_bytes, documents = b"[]\n", []
    parties = parties or load_parties()
    by_sha = {d.sha256: d for d in documents if d.sha256}
    by_symbol = {(d.symbol, d.language): d for d in documents if d.symbol}
    taken = {d.id for d in documents}
    number = 1 + max((int(m.group(1)) for d in documents if (m := re.match(r"(\d+)_", d.file))), default=-1)
    added: list[tuple[Document, bytes]] = []
    skipped: list[Refusal] = []
    refused: list[Refusal] = []
    rows: list[ImportRow] = []

    def refuse(entry: Entry, reason: str, doc: Document | None = None, problems: tuple[str, ...] = ()) -> None:
        refused.append(Refusal(entry.row, entry.source, reason))
        rows.append(ImportRow(entry.row, entry.source, "refused", reason, doc, problems))

    for entry in tqdm(entries, desc="Reading", unit="doc", disable=not progress or len(entries) < 2):
        try:
            text = read_text(entry.path)
        except InputError as e:
            refuse(entry, e.message)
            continue
        data = text.encode("utf-8")
        digest = sha256_bytes(data)
        if digest in by_sha:
            reason = f"already in the corpus as {by_sha[digest].id!r}"
            skipped.append(Refusal(entry.row, entry.source, reason))
            rows.append(ImportRow(entry.row, entry.source, "skipped", reason, by_sha[digest]))
            continue
        doc, reason, problems = _document_of(entry, text, digest, f"{number:03d}_{digest[:16]}.txt", taken,
                                             by_symbol, parties)
        if reason:
            refuse(entry, reason, doc, problems)
            continue
        added.append((doc, data))
        rows.append(ImportRow(entry.row, entry.source, "added", "", doc))
        by_sha[digest], number = doc, number + 1
        if doc.symbol:
            by_symbol[(doc.symbol, doc.language)] = doc
        taken.add(doc.id)
    write = bool(added) and not dry_run and (skip_bad or not refused)
    if write:
        init_corpus(corpus_dir)
        _write(corpus_dir, manifest_bytes, added)
    else:
        rows = [replace(r, status="to add") if r.status == "added" else r for r in rows]
    rows.sort(key=lambda r: r.row)
    return ImportReport(tuple(d for d, _ in added) if write else (), tuple(skipped), tuple(refused), tuple(rows),
                        write)


def _document_of(entry: Entry, text: str, digest: str, file: str, taken: set[str],
                 by_symbol: dict[tuple[str, str], Document], parties: Parties
                 ) -> tuple[Document, str, tuple[str, ...]]:
    """The document an entry becomes, its metadata completed from the text's first page, and why it is refused
    ('' when it is not), with every problem found in its submitters."""
    header = read_header(text, parties)
    meta, sources = merge_header(entry.metadata, header)
    if not meta.language:
        meta = replace(meta, language=detect_language(text))
        sources = (*sources, ("language", "derived"))
    doc_id = meta.id or new_id(meta.submitted_by[0] if meta.submitted_by else meta.author, meta.date, taken)
    doc = Document(id=doc_id, file=file, title=meta.title, title_en=meta.title_en, submitted_by=meta.submitted_by,
                   author=meta.author, date=meta.date, meeting=meta.meeting, symbol=meta.symbol,
                   language=meta.language, kind=meta.kind, sha256=digest,
                   notes=meta.notes or f"Added with `qa add` from {Path(entry.source).name}.", source=entry.source,
                   metadata_source=sources, extra=dict(meta.extra))
    if header.problems and not (entry.metadata.submitted_by or entry.metadata.author):
        return doc, header.problems[0], header.problems
    try:
        check_metadata(meta)
    except InputError as e:
        return doc, e.message, ()
    if meta.symbol and (meta.symbol, meta.language) in by_symbol:
        return doc, (f"duplicate of {by_symbol[(meta.symbol, meta.language)].id!r}, which has the same symbol "
                     f"{meta.symbol} in the same language; leave one out, or give --symbol if this one was misread"), ()
    if doc_id in taken:
        return doc, f"id {doc_id!r} is taken by another document", ()
    if not any(p.searchable for p in segment_paragraphs(doc_id, text)):
        return doc, "has no paragraphs of text (only headings or boilerplate)", ()
    return doc, "", ()


def _write(corpus_dir: Path, manifest_bytes: bytes, added: list[tuple[Document, bytes]]) -> None:
    """The new text files, then documents.json (the commit point); on failure, the text files are removed."""
    manifest = json.loads(manifest_bytes.decode("utf-8"))
    manifest.extend(document_json(d) for d, _ in added)
    written: list[Path] = []
    with writer_lock(corpus_dir, "adding documents"):
        if (corpus_dir / MANIFEST).read_bytes() != manifest_bytes:
            raise Busy(f"{corpus_dir / MANIFEST} changed while the files were being read (another `qa add`?); "
                       f"nothing was added: run the command again.")
        try:
            for doc, data in added:
                target = corpus_dir / doc.file
                if target.exists() and target.read_bytes() != data:
                    raise InputError(f"{target} already exists with other text; remove the stray file or retry.")
                atomic_write_bytes(target, data)
                written.append(target)
            atomic_write_bytes(corpus_dir / MANIFEST,
                               (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        except BaseException:
            for target in written:
                target.unlink(missing_ok=True)
            raise


def new_id(who: str, date: str, taken: set[str]) -> str:
    """A short, readable id: the submitter and the year ('sweden-2019'), numbered when taken ('sweden-2019-2')."""
    slug = re.sub(r"[^a-z0-9]+", "-", who.lower()).strip("-")[:40].strip("-")
    base = "-".join(x for x in (slug or "doc", date[:4]) if x)
    doc_id, n = base, 1
    while doc_id in taken:
        n += 1
        doc_id = f"{base}-{n}"
    return doc_id

"""`qa` commands that build and read the corpus: init, add, documents, paragraphs.

They need no model and no index, so they answer in well under a second.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from qa.cli.terminal import fail_cleanly, inert, with_settings
from qa.documents.corpus import (
    MANIFEST,
    ImportReport,
    ImportRow,
    add_documents,
    document_json,
    init_corpus,
    load_corpus,
    read_documents,
)
from qa.documents.document import Document
from qa.documents.ingest import SUPPORTED
from qa.documents.manifest import Entry, Metadata, Refusal, check_metadata, read_manifest
from qa.errors import InputError
from qa.parties.citation import speaker, where
from qa.parties.speakers import NEW_PARTY_FLAG, unknown_party_message
from qa.parties.table import Parties, load_parties
from qa.settings import Settings


@click.command("init")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="", help="What the corpus is, as the web page names it (e.g. 'NPT 2014 "
                                          "Preparatory Committee: national reports'); default: its meetings.")
@with_settings
@fail_cleanly
def init_cmd(settings: Settings, folder: Path | None, title: str) -> None:
    """Create an empty corpus folder (FOLDER, else --corpus-dir / QA_CORPUS_DIR), ready for `qa add`.

    \b
    Examples (from the repository's folder; `qa add --help` and `qa index --help` go on with the same corpus):
      qa init /tmp/npt2014 --title "NPT 2014 Preparatory Committee: national reports"
      qa add ../shared/corpora/npt2014-reports/texts --corpus-dir /tmp/npt2014
      qa index --corpus-dir /tmp/npt2014
    """
    folder = folder or settings.corpus_dir
    made = init_corpus(folder, title)
    click.echo(f"{'Created an empty corpus in' if made else 'Already a corpus:'} {folder}. Next: "
               f"`qa add FILES-OR-FOLDERS --corpus-dir {folder}` (metadata is read from each document's first page; "
               f"`--dry-run` shows it first), then `qa index --corpus-dir {folder}`.")


@click.command("add")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Import every document a JSON Lines (.jsonl) or CSV (.csv) manifest lists, one row each "
                   "(columns as in documents.json; only `file` is required, relative to the manifest).")
@click.option("--title", default="", help="Title as in the document (files given on the command line).")
@click.option("--submitted-by", "submitted_by", multiple=True,
              help="Submitting state or body (repeat for several); any name the parties table knows.")
@click.option(NEW_PARTY_FLAG, "new_party", is_flag=True,
              help="Accept submitters and authors the parties table lacks (from --submitted-by, --author or a "
                   "manifest's columns) as new parties of this corpus; without it such a name is refused with the "
                   "closest names.")
@click.option("--author", default="", help="Whose text it is, when not the submitter's own (a party or body the "
                                           "parties table knows, e.g. UNIDIR).")
@click.option("--date", default="", help="YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--symbol", default="", help="Document symbol, e.g. NPT/CONF.2020/PC.II/WP.37 (leave out if unsure).")
@click.option("--meeting", default="", help="Meeting, e.g. 'Preparatory Committee for the 2020 NPT Review "
                                            "Conference, second session, Geneva'.")
@click.option("--title-en", default="", help="English title.")
@click.option("--kind", default="", help="working paper, statement, report, resolution, … (also a manifest column).")
@click.option("--language", default="", type=click.Choice(["", "zh", "en"]), help="zh or en; detected when left out.")
@click.option("--dry-run", is_flag=True, help="Show what would be read and added; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON (one object per file).")
@click.option("--skip-bad", is_flag=True, help="Add the good files even when others are refused.")
@with_settings
@fail_cleanly
def add_cmd(settings: Settings, paths: tuple[Path, ...], manifest: Path | None, title: str,
            submitted_by: tuple[str, ...], author: str, date: str, symbol: str, meeting: str, title_en: str,
            kind: str, language: str, dry_run: bool, as_json: bool, skip_bad: bool, new_party: bool) -> None:
    """Add documents (.txt, .md, .pdf, .docx; folders are searched recursively); run `qa index` afterwards.

    Each document's symbol, title, submitters, author, kind, meeting, date and language are read from its first
    page (UN layout, English or Chinese); a flag or a manifest column wins over what is read, field by field.
    Every file is checked before anything is written, and nothing is written if any file is refused (unless
    --skip-bad). Importing the same files again is a no-op. A missing corpus folder is created.

    \b
    Examples (from the repository's folder):
      qa add ../shared/corpora/npt2014-reports/texts --corpus-dir /tmp/npt2014 --dry-run
      qa add ../shared/corpora/npt2014-reports/texts --corpus-dir /tmp/npt2014
      qa add ../shared/corpora/npt2014-reports/texts/2.txt --date 2014-05-02 --corpus-dir /tmp/de --dry-run
      qa add ../shared/corpora/npt2014-reports/texts/2.txt --submitted-by Freedonia --new-party --corpus-dir /tmp/de
      qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl --corpus-dir /tmp/ungdc
    """
    if manifest is not None and paths:
        raise InputError("Give either files or folders, or --manifest, not both.")
    given = check_metadata(Metadata(title=title, submitted_by=submitted_by, author=author, date=date,
                                    meeting=meeting, symbol=symbol, title_en=title_en, language=language,
                                    kind=kind), complete=False)
    parties = None if new_party else corpus_parties(settings.corpus_dir)
    if parties is not None:
        for name in given.submitted_by:
            if parties.resolve(name) is None:
                raise InputError(unknown_party_message(parties, name, "flag") + ".")
        if given.author and parties.resolve(given.author) is None:
            raise InputError(unknown_party_message(parties, given.author, "author flag") + ".")
    if manifest is not None:
        entries, refused = read_manifest(manifest)
        entries = [replace(e, metadata=_given_wins(given, e.metadata)) for e in entries]
        if parties is not None:
            entries, unknown = _known_submitters(entries, parties)
            refused += unknown
    elif paths:
        entries, refused = [], []
        for path, source in files_in(paths):
            entries.append(Entry(len(entries) + len(refused) + 1, path, source, given))
    else:
        raise InputError("Nothing to add: give files or folders (their metadata is read from them), or "
                         "--manifest FILE.")
    # a row the manifest refused stops the import as a file refused on reading does
    report = add_documents(settings.corpus_dir, entries, progress=not as_json,
                           dry_run=dry_run or (bool(refused) and not skip_bad), skip_bad=skip_bad)
    single_file = len(paths) == 1 and not paths[0].is_dir()
    if single_file and report.refused and not as_json:  # one file named on the command line: one line
        raise InputError(report.refused[0].reason)
    rows = sorted([*(ImportRow(r.row, r.source, "refused", r.reason) for r in refused), *report.rows],
                  key=lambda r: r.row)
    if as_json:
        click.echo(json.dumps([import_row_json(r) for r in rows], ensure_ascii=False, indent=2))
    else:
        _print_table(rows, report, settings, dry_run, skip_bad, with_rows=manifest is not None)
    if refused or report.refused:
        sys.exit(1)


def corpus_parties(corpus_dir: Path) -> Parties:
    """The parties table plus the names this corpus's documents already use (a party added with --new-party
    before is known from then on)."""
    parties = load_parties()
    if not (corpus_dir / MANIFEST).exists():
        return parties
    _, documents = read_documents(corpus_dir)
    return parties.with_names({n for d in documents for n in (*d.submitted_by, d.author) if n})


def _known_submitters(entries: list[Entry], parties: Parties) -> tuple[list[Entry], list[Refusal]]:
    """The manifest rows whose submitted_by and author name only known parties, and a refusal for each other row
    (a misspelt author would otherwise become a party of its own, and its text would be attributed to no one)."""
    kept: list[Entry] = []
    refused: list[Refusal] = []
    for e in entries:
        unknown = [n for n in e.metadata.submitted_by if parties.resolve(n) is None]
        if e.metadata.author and parties.resolve(e.metadata.author) is None:
            refused.append(Refusal(e.row, e.source, unknown_party_message(parties, e.metadata.author, "author column")))
        elif unknown:
            refused.append(Refusal(e.row, e.source, unknown_party_message(parties, unknown[0], "column")))
        else:
            kept.append(e)
    return kept, refused


def _given_wins(given: Metadata, row: Metadata) -> Metadata:
    """A manifest row with the command line's flags laid over it, field by field."""
    fields = {f.name: getattr(given, f.name) or getattr(row, f.name) for f in dataclasses.fields(Metadata)
              if f.name != "extra"}
    return Metadata(extra=row.extra, **fields)


def files_in(paths: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """The files to add, as (path, name to show): each file as given, and a folder's supported files, recursively,
    in name order (hidden files and folders left out). A path that does not exist is kept, to be refused."""
    out: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            found = sorted((f for f in path.rglob("*") if f.suffix.lower() in SUPPORTED and f.is_file()
                            and not any(part.startswith(".") for part in f.relative_to(path).parts)),
                           key=lambda f: _natural(str(f.relative_to(path))))
            out += [(f, str(Path(path.name) / f.relative_to(path))) for f in found]
        else:
            out.append((path, str(path)))
    return out


def _natural(name: str) -> list[object]:
    """'texts/2.txt' before 'texts/10.txt'."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


TABLE_FIELDS = ("symbol", "title", "submitted_by", "author", "kind", "meeting", "date", "language")
MISSING = "—"


def import_row_json(r: ImportRow) -> dict[str, Any]:
    """One file of `qa add --json`: its status and reason, and each field's value and source ('read',
    'derived', 'given', or '' when neither read nor given)."""
    out: dict[str, Any] = {"file": r.source, "row": r.row, "status": r.status, "reason": r.reason}
    d = r.document
    if d is not None:
        out["id"] = d.id
        out["fields"] = {name: {"value": list(value) if isinstance(value, tuple) else value,
                                "source": d.source_of(name) if value else ""}
                         for name in (*TABLE_FIELDS, "title_en") for value in [getattr(d, name)]}
        if d.extra:
            out["extra"] = dict(d.extra)
    if r.problems[1:]:
        out["problems"] = list(r.problems)
    return out


def _cell(d: Document, name: str, width: int) -> str:
    value = getattr(d, name)
    text = ", ".join(value) if isinstance(value, tuple) else str(value)
    if not text:
        return MISSING
    if len(text) > width:
        text = text[:width - 1] + "…"
    return text


def _print_table(rows: list[ImportRow], report: ImportReport, settings: Settings, dry_run: bool,
                 skip_bad: bool, with_rows: bool = False) -> None:
    """Per file: status, then each field and where it came from: read (printed in the document), derived (from
    the symbol, or the meeting's dates), given (a flag or a manifest column), or missing ('—')."""
    for r in rows:
        d = r.document
        where = f"row {r.row}  {r.source or '-'}" if with_rows else r.source
        line = f"{r.status:<8} {where}" + (f": {r.reason}" if r.reason else "")
        line += f"  → {d.id}" if d is not None and r.status in ("added", "to add") else ""
        click.echo(inert(line), err=r.status == "refused")
        if d is None or r.status == "skipped":
            continue
        for name in TABLE_FIELDS:
            width = 100
            source = d.source_of(name) or "missing"
            label = name.replace("_", " ")
            click.echo(inert(f"         {label:<13}{_cell(d, name, width)}  ({source})"))
    n_refused = sum(r.status == "refused" for r in rows)
    n_new = sum(r.status in ("added", "to add") for r in rows)
    n_skipped = sum(r.status == "skipped" for r in rows)
    if report.written:
        outcome = f"{n_new} added"
    elif dry_run:
        outcome = f"{n_new} to add (dry run: nothing written)"
    elif n_refused and not skip_bad:
        outcome = f"{n_new} to add, but nothing written because of the refusals (fix them, or give --skip-bad)"
    else:
        outcome = "0 added"
    click.echo(f"{outcome}, {n_skipped} already in the corpus, {n_refused} refused ({settings.corpus_dir})."
               + (" Run `qa index` to make them searchable." if report.written else ""))


@click.command("documents")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with every field and paragraph counts.")
@with_settings
@fail_cleanly
def documents_cmd(settings: Settings, as_json: bool) -> None:
    """List the documents with who submitted them, when, where, and their paragraph counts.

    \b
    Examples:
      qa documents
      qa documents --json --corpus-dir /tmp/npt2014
    """
    corpus = load_corpus(settings.corpus_dir)
    rows = []
    for d in corpus.documents:
        ps = corpus.paragraphs_of(d.id)
        rows.append({**document_json(d), "speaker": speaker(d), "paragraphs": sum(p.searchable for p in ps),
                     "segments": len(ps)})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for d, row in zip(corpus.documents, rows):
        click.echo(inert(f"{d.id}  {d.title}"))
        if d.title_en and d.title_en != d.title:
            click.echo(inert(f"    {d.title_en}"))
        click.echo(inert(f"    by {speaker(d) or '(unknown)'} · {d.date or 'n.d.'}" + (f" · {d.symbol}" if d.symbol else "")))
        if d.meeting:
            click.echo(inert(f"    {d.meeting}"))
        click.echo(f"    {row['paragraphs']} searchable paragraphs ({row['segments']} segments) · {d.file}")


@click.command("paragraphs")
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of paragraph objects.")
@click.option("--all", "show_all", is_flag=True, help="Also show headings and boilerplate (always in --json).")
@with_settings
@fail_cleanly
def paragraphs_cmd(settings: Settings, doc: str, as_json: bool, show_all: bool) -> None:
    """Print a document's paragraphs with their labels and sections (DOC is an id from `qa documents`).

    \b
    Examples:
      qa paragraphs japan-2018
      qa paragraphs sweden-2019 --json
      qa paragraphs germany-2014 --corpus-dir /tmp/npt2014
    """
    corpus = load_corpus(settings.corpus_dir)
    document = corpus.document(doc)
    ps = corpus.paragraphs_of(document.id)
    if as_json:
        out = [{**dataclasses.asdict(p), "display": where(p), "speaker": speaker(document, p)}
               for p in ps]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in ps:
        if not (p.searchable or show_all):
            continue
        section = f"  [{p.section}]" if p.section else ""
        click.echo(inert(f"{p.label} · {where(p)}{section}" + ("" if p.searchable else f" ({p.kind})")))
        click.echo(inert(f"    {p.text}") + "\n")


COMMANDS = (init_cmd, add_cmd, documents_cmd, paragraphs_cmd)

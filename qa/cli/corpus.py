"""`qa` commands that build and read the corpus: init, add, documents, paragraphs.

They need no model and no index, so they answer in well under a second.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from qa.cli.terminal import fail_cleanly, inert, with_settings
from qa.documents.corpus import ImportReport, add_documents, document_json, init_corpus, load_corpus
from qa.documents.manifest import Entry, Metadata, check_metadata, read_manifest
from qa.errors import InputError
from qa.parties.citation import speaker, where
from qa.settings import Settings


@click.command("init")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_settings
@fail_cleanly
def init_cmd(settings: Settings, folder: Path | None) -> None:
    """Create an empty corpus folder (FOLDER, else --corpus-dir / QA_CORPUS_DIR), ready for `qa add`.

    \b
    Examples:
      qa init /tmp/ungdc
      qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl --corpus-dir /tmp/ungdc
      qa index --corpus-dir /tmp/ungdc
    """
    folder = folder or settings.corpus_dir
    made = init_corpus(folder)
    click.echo(f"{'Created an empty corpus in' if made else 'Already a corpus:'} {folder}. Next: "
               f"`qa add FILE --title T --submitted-by S --corpus-dir {folder}` or "
               f"`qa add --manifest FILE.jsonl --corpus-dir {folder}`, then `qa index --corpus-dir {folder}`.")


@click.command("add")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Import every document a JSON Lines (.jsonl) or CSV (.csv) manifest lists, one row each "
                   "(columns as in documents.json; `file` relative to the manifest).")
@click.option("--title", default="", help="Title as in the document (files given on the command line).")
@click.option("--submitted-by", "submitted_by", multiple=True,
              help="Submitting state or body (repeat for several); any name the parties table knows.")
@click.option("--author", default="", help="Whose text it is, when not the submitter's own.")
@click.option("--date", default="", help="YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--symbol", default="", help="Document symbol, e.g. NPT/CONF.2020/PC.II/WP.37 (leave out if unsure).")
@click.option("--meeting", default="", help="Meeting, e.g. 'Preparatory Committee for the 2020 NPT Review "
                                            "Conference, second session, Geneva'.")
@click.option("--title-en", default="", help="English title.")
@click.option("--kind", default="", help="working paper, statement, report, resolution, … (also a manifest column).")
@click.option("--language", default="", type=click.Choice(["", "zh", "en"]), help="zh or en; detected when left out.")
@with_settings
@fail_cleanly
def add_cmd(settings: Settings, files: tuple[Path, ...], manifest: Path | None, title: str,
            submitted_by: tuple[str, ...], author: str, date: str, symbol: str, meeting: str, title_en: str,
            kind: str, language: str) -> None:
    """Add documents (.txt, .md, .pdf, .docx) with their metadata; run `qa index` afterwards.

    Every file and row is checked before anything is written. Importing the same files again is a no-op.
    A missing corpus folder is created.

    \b
    Examples:
      qa add paper.pdf --title "减少战略风险" --submitted-by China --submitted-by France --date 2021-12-07
      qa add wp37.docx --title "…" --submitted-by Japan --author "Group of Eminent Persons…" --kind "working paper"
      qa add --manifest ../shared/corpora/ungdc-2021/manifest.jsonl --corpus-dir /tmp/ungdc
    """
    if manifest is not None and files:
        raise InputError("Give either files or --manifest, not both.")
    if manifest is not None:
        entries, refused = read_manifest(manifest)
    elif files:
        metadata = check_metadata(Metadata(title=title, submitted_by=submitted_by, author=author, date=date,
                                           meeting=meeting, symbol=symbol, title_en=title_en, language=language,
                                           kind=kind))
        entries, refused = [Entry(i, f, f.name, metadata) for i, f in enumerate(files, start=1)], []
    else:
        raise InputError("Nothing to add: give files (with --title and --submitted-by) or --manifest FILE.")
    report = add_documents(settings.corpus_dir, entries, progress=True)
    if len(files) == 1 and report.refused:  # one file named on the command line: one line, as any refusal
        raise InputError(report.refused[0].reason)
    _print_report(report, refused, settings)
    if refused or report.refused:
        sys.exit(1)


def _print_report(report: ImportReport, refused_rows: list, settings: Settings) -> None:
    for d in report.added:
        click.echo(inert(f"added    {d.id}  {d.source}  ({speaker(d)}, {d.language})"))
    for r in report.skipped:
        click.echo(inert(f"skipped  row {r.row}  {r.source}: {r.reason}"))
    for r in sorted([*refused_rows, *report.refused], key=lambda r: r.row):
        click.echo(inert(f"refused  row {r.row}  {r.source or '-'}: {r.reason}"), err=True)
    n_refused = len(refused_rows) + len(report.refused)
    click.echo(f"{len(report.added)} added, {len(report.skipped)} already in the corpus, {n_refused} refused "
               f"({settings.corpus_dir})." + (" Run `qa index` to make them searchable." if report.added else ""))


@click.command("documents")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with every field and paragraph counts.")
@with_settings
@fail_cleanly
def documents_cmd(settings: Settings, as_json: bool) -> None:
    """List the documents with who submitted them, when, where, and their paragraph counts.

    \b
    Examples:
      qa documents
      qa documents --json --corpus-dir /tmp/ungdc
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

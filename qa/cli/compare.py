"""`qa compare`: who said what on a question, party by party, in the terminal or as a table to take away.

The same comparison as the web page's and `/api/compare`: every party of the corpus (or of the filter) is
accounted for, those whose passages are judged to answer first, each with its best passage and citation; the
others are listed by name, so a page stays readable with 200 states.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from qa.cli.terminal import fail_cleanly, inert, mark, open_engine, require_documents, with_settings
from qa.settings import Settings

FORMATS = ("text", "json", "csv", "markdown")
SNIPPET = 240  # characters of an answering passage shown around its marked sentence


@click.command("compare")
@click.argument("question")
@click.option("-k", "k", type=int, default=1, show_default=True, help="Passages shown per party (at most 50).")
@click.option("--state", "states", multiple=True, help="Only this state, group or body (repeatable; groups such "
              "as EU or NAM count their members).")
@click.option("--doc", "docs", multiple=True, help="Only this document id (repeatable; see `qa documents`).")
@click.option("--from", "date_from", default="", help="Only documents dated on or after YYYY[-MM[-DD]].")
@click.option("--to", "date_to", default="", help="Only documents dated on or before YYYY[-MM[-DD]].")
@click.option("--page", type=int, default=1, show_default=True, help="Page of parties, from 1.")
@click.option("--per-page", type=int, default=None, help="Parties per page (default 20; at most 200).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for reading; json as /api/compare; csv or markdown as the page's export (one row per "
              "party, with an addressed / not addressed column).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the csv or markdown table's headings, names and citations.")
@with_settings
@fail_cleanly
def compare_cmd(settings: Settings, question: str, k: int, states: tuple[str, ...], docs: tuple[str, ...],
                date_from: str, date_to: str, page: int, per_page: int | None, fmt: str, lang: str) -> None:
    """What each state, group or body said on a question, side by side (Chinese or English).

    \b
    Examples:
      qa compare "negative security assurances"
      qa compare "各国如何看待减少战略风险？" --state P5 -k 2
      qa compare "Treaty on the Prohibition of Nuclear Weapons" --corpus-dir /tmp/ungdc --per-page 200
      qa compare "disarmament education" --corpus-dir /tmp/npt2014 --format csv > education.csv
    """
    import json

    from qa.cli.handoff import compare_server
    from qa.search.engine import Filters, validate_k, validate_page, validate_question
    from qa.text.scripts import detect_language

    validate_question(question, settings)  # before loading anything: a bad flag costs no index build
    validate_k(k, settings)
    validate_page(page, per_page, settings)
    require_documents(settings)
    filters = Filters(states, docs, date_from, date_to)
    # a running `qa serve` over this index answers in a fraction of a second (the tables are made here)
    data = None if fmt in ("csv", "markdown") else compare_server(settings, {
        "q": question, "k": k, "state": states, "doc": docs, "date_from": date_from, "date_to": date_to,
        "page": page, "per_page": per_page})
    if data is None:
        engine = open_engine(settings, question_language=detect_language(question))
        comparison = engine.compare(question, k, filters, page, per_page)
        if fmt in ("csv", "markdown"):
            from qa.web.tables import export_table

            sys.stdout.buffer.write(export_table(comparison, fmt, lang))
            sys.stdout.flush()
            return
        data = comparison.to_json()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    show(data, color=sys.stdout.isatty())


def show(data: dict[str, Any], color: bool) -> None:
    """The comparison for a reader: the count, each addressing party with its passages, then the others by name."""
    pages = data["pages"]
    where = f" (page {data['page']} of {pages})" if pages > 1 else ""
    click.echo(f"{data['covered_total']} of {data['total']} parties address the question{where}.")
    if data["message"]:
        click.echo(inert(data["message"]))
    silent = []
    for g in data["groups"]:
        if not g["covered"]:
            silent.append(g["speaker"])
            continue
        click.echo("\n" + click.style(inert(g["speaker"]), bold=True))
        for r in g["results"]:
            if not r.get("answers", True):
                continue
            click.echo("    " + _snippet(inert(r["text"]), r["answer_start"], r["answer_end"], color))
            click.echo(click.style("    Cite: ", dim=True) + inert(r["citation"]))
    if silent:
        click.echo(f"\nNot addressing it on this page ({len(silent)}): " + ", ".join(inert(s) for s in silent))
    if data["without_documents"]:
        click.echo("No documents in this corpus: " + ", ".join(inert(s) for s in data["without_documents"]))


def _snippet(text: str, start: int, end: int, color: bool) -> str:
    """The marked sentence with some of its context, cut to about `SNIPPET` characters."""
    if end <= start:
        return text if len(text) <= SNIPPET else text[:SNIPPET].rstrip() + " …"
    room = max(0, SNIPPET - (end - start)) // 2
    a, b = max(0, start - room), min(len(text), end + room)
    return ("… " if a else "") + mark(text[a:b], start - a, end - a, color) + (" …" if b < len(text) else "")

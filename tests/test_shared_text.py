"""Shared text: a passage another party's document also carries is cited with where else it stands, and as
quoted words, in the answer, its JSON, the page, the exports and `qa ask`. Three small reports, built with the
real model: Japan and Australia each quote the same action of an action plan; Japan's second report repeats
one of Japan's own paragraphs, which is not a quotation of another party."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from qa.search.shared_text import MIN_CHARS, letters, same_text

ACTION = ("The nuclear-weapon States commit to accelerate concrete progress on the steps leading to nuclear "
          "disarmament, in a way that promotes international stability, peace and undiminished security.")
JAPAN_OWN = ("Japan hosted a meeting of the Non-Proliferation and Disarmament Initiative in Hiroshima, where "
             "foreign ministers visited the Peace Memorial Museum and met survivors of the atomic bombing.")
REPORTS = {
    "japan.txt": ("Japan", f"Report of Japan\n\nAction 5\n\n{ACTION}\n\n{JAPAN_OWN}\n"),
    # the same action, wrapped differently and with its number run in: still the same text
    "australia.txt": ("Australia", "Report of Australia\n\nAction 5\n\n" + ACTION.replace(" leading to", "\nleading to")
                      + ("\n\nAustralia funded verification research with partners in the region and trained "
                         "inspectors from three neighbouring States in safeguards practice.\n\nAustralia urges the "
                         "nuclear-weapon States to make concrete progress on nuclear disarmament, and reports its own "
                         "steps in support of it in this report.\n")),
    "japan-2.txt": ("Japan", (f"Second report of Japan\n\n{JAPAN_OWN}\n\nJapan also supported disarmament "
                              "education in schools through a programme of testimony by survivors.\n")),
}


@pytest.fixture(scope="module")
def reports(engine, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from qa.documents.corpus import add_document, load_corpus
    from qa.search.engine import Engine
    from qa.settings import Settings
    from qa.store.index import build_index

    folder = tmp_path_factory.mktemp("shared")
    corpus_dir = folder / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "documents.json").write_text("[]\n", encoding="utf-8")
    for name, (party, text) in REPORTS.items():
        (folder / name).write_text(text, encoding="utf-8")
        title = text.splitlines()[0]  # an English report's English title is its title, as its masthead gives both
        add_document(corpus_dir, folder / name, title=title, title_en=title, submitted_by=[party], date="2014-04-21")
    corpus = load_corpus(corpus_dir)
    store = build_index(folder / "index", corpus, engine.encoder, progress=False)
    return Engine(Settings.load().with_(corpus_dir=corpus_dir, index_dir=folder / "index"), store, engine.encoder,
                  corpus=corpus)


def hit_of(answer: Any, party: str, start: str) -> Any:
    return next(h for h in answer.hits if h.document.submitted_by == (party,) and h.paragraph.text.startswith(start))


def test_texts_are_the_same_through_wraps_case_and_a_run_in_number_but_not_when_short() -> None:
    assert same_text(letters(ACTION), letters("Action 5: " + ACTION.upper().replace(" ", "\n")))
    assert not same_text(letters(ACTION), letters(ACTION[: len(ACTION) // 2]))  # half a paragraph: its own words
    short = "Thank you, Mr. President, for your leadership."
    assert len(letters(short)) < MIN_CHARS and not same_text(letters(short), letters(short))


def test_a_quoted_action_names_the_other_party_that_carries_it(reports) -> None:
    answer = reports.ask("Which States commit to accelerate concrete progress on nuclear disarmament?", 5)
    japan, australia = hit_of(answer, "Japan", "The nuclear"), hit_of(answer, "Australia", "The nuclear")
    assert [(d.submitted_by, p.doc) for p, d in japan.also_in] == [(("Australia",), australia.paragraph.doc)]
    assert [d.submitted_by for _, d in australia.also_in] == [("Japan",)]
    shared = japan.to_json()["also_in"]
    assert [s["speaker"] for s in shared] == ["Australia"] and shared[0]["url"].startswith("/documents/")
    assert japan.to_json()["quoted_note"].startswith("The same text is in Australia")
    assert japan.to_json()["quoted_note_zh"].startswith("相同文字亦见于澳大利亚，")


def test_who_said_what_shows_a_partys_own_words_before_the_text_it_quotes(reports) -> None:
    comparison = reports.compare("steps leading to nuclear disarmament", per_party=3)
    australia = next(g for g in comparison.groups if g.submitted_by == ("Australia",))
    answering = [h for h in australia.hits if h.answers]
    assert len(answering) >= 2 and answering[0].also_in == () and answering[0].paragraph.text.startswith("Australia urges")
    assert any(h.also_in for h in answering[1:])


def test_a_partys_own_paragraph_repeated_in_its_second_report_is_not_called_quoted(reports) -> None:
    answer = reports.ask("Where did Japan host the Non-Proliferation and Disarmament Initiative meeting?", 5)
    own = [h for h in answer.hits if h.paragraph.text.startswith("Japan hosted")]
    assert len(own) == 2 and all(h.also_in == () and h.to_json()["also_in"] == [] for h in own)
    assert all(h.to_json()["quoted_note"] == h.to_json()["quoted_note_zh"] == "" for h in own)


def test_the_page_and_the_exports_say_the_words_are_quoted(reports) -> None:
    from fastapi.testclient import TestClient

    from qa.web.app import create_app

    with TestClient(create_app(reports.settings, reports)) as client:
        page = client.get("/", params={"q": "accelerate concrete progress on nuclear disarmament", "lang": "en"})
        assert page.status_code == 200
        assert "The same text is in" in page.text and "not necessarily Japan&#39;s own words" in page.text
        titles = re.findall(r'<p class="title">(.*?)</p>', page.text, re.DOTALL)
        assert titles and all(t.count("<span") == 1 for t in titles)  # an English title is not shown twice
        zh = client.get("/", params={"q": "accelerate concrete progress on nuclear disarmament", "lang": "zh"})
        assert "相同文字亦见于" in zh.text and "澳大利亚，" in zh.text
        japan = hit_of(reports.ask("accelerate concrete progress on nuclear disarmament", 5), "Japan", "The nuclear")
        md = client.post("/api/export", json={"ids": [japan.paragraph.id], "format": "markdown", "lang": "zh"})
        assert md.status_code == 200 and "相同文字亦见于澳大利亚，" in md.text and "不一定是日本自己的措辞" in md.text
        table = client.get("/api/compare/export", params={"q": "accelerate concrete progress on nuclear disarmament",
                                                          "format": "csv"})
        assert table.status_code == 200 and "a quoted text, not necessarily Australia's own words" in table.text


def test_qa_ask_prints_where_else_the_text_stands(reports, capsys: pytest.CaptureFixture[str]) -> None:
    from click.testing import CliRunner

    from qa.cli.main import cli

    settings = reports.settings
    result = CliRunner().invoke(cli, ["--corpus-dir", str(settings.corpus_dir), "--index-dir",
                                      str(Path(settings.index_dir)), "ask", "-k", "3",
                                      "accelerate concrete progress on nuclear disarmament"])
    assert result.exit_code == 0, result.output
    assert "The same text is in Australia" in result.output and "not necessarily Japan's own words" in result.output

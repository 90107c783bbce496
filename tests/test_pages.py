"""The HTML pages and the export API, through TestClient, on the real corpus, model and index.

Each view is checked by its template context (what the page was given) and its HTML (what the reader sees),
including XSS probes in the question and in a document's own text.
"""

from __future__ import annotations

import csv
import html
import inspect
import io
import re

import pytest
from docx import Document as WordDocument

from qa.parties.citation import citation
from qa.web.i18n import LANGS, STRINGS, choose_language, parse_accept_language, translator
from qa.web.pages import split_text

STEPPING_STONE = "Which state proposed a stepping-stone approach?"
P5_RISK = "五核国如何看待减少战略风险？"
NSA = "negative security assurances"
# Off-topic in Chinese: the engine flags it reliably; English off-topic detection is weaker (see README).
OFF_TOPIC = "北京烤鸭的最佳做法是什么？要烤多久？"
P5 = {"China", "France", "Russian Federation", "United Kingdom", "United States"}
XSS_Q = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def doc_of(engine, submitter: str):
    return next(d for d in engine.documents.values() if submitter in d.submitted_by)


def first_searchable(engine, doc_id: str):
    return next(p for p in engine.all_paragraphs(doc_id) if p.searchable)


# --- ask ---------------------------------------------------------------------------------------------------------


def test_home_shows_question_box_and_filters_populated_from_the_documents(app_client, engine):
    r = app_client.get("/", headers={"accept-language": "en"})
    assert r.status_code == 200 and r.template.name == "ask.html"
    ctx = r.context
    assert ctx["answer"] is None and ctx["error"] == ""
    assert {c.value for c in ctx["choices"]["docs"]} == set(engine.documents)
    assert {"Sweden", "Japan", "China", "Nuclear-weapon States"} <= {c.value for c in ctx["choices"]["states"]}
    assert 'name="q"' in r.text and '<option value="Sweden">' in r.text and 'name="date_from"' in r.text


def test_english_question_is_answered_server_side_by_a_cited_sweden_paragraph(app_client, engine):
    r = app_client.get("/", params={"q": STEPPING_STONE, "lang": "en"})
    assert r.status_code == 200
    answer, cards = r.context["answer"], r.context["cards"]
    assert cards and cards[0].submitted_by == ("Sweden",)
    assert answer.covered, f"the engine judged the question not covered (channels {answer.hits[0].channels})"
    top = cards[0]
    assert top.submitted_by == ("Sweden",) and top.speaker == "Sweden"
    assert top.answer and top.before + top.answer + top.after == answer.hits[0].paragraph.text
    sweden = engine.documents[top.doc]
    assert top.citation_en == citation(sweden, answer.hits[0].paragraph, "en")
    html = r.text
    assert f"<mark title=\"answering sentence\">{top.answer}</mark>" in html.replace("&#34;", '"')
    assert "Unlocking disarmament diplomacy" in html  # English title next to the Chinese one
    assert sweden.title in html
    assert f'href="/documents/{top.doc}?hl={top.label}#p-{top.label}"' in html
    assert 'data-action="copy"' in html and 'data-action="add"' in html
    assert f"data-citation-en=\"{top.citation_en}\"" in html.replace("&#34;", '"').replace("&#39;", "'")


def test_answers_are_listed_before_a_heading_over_the_closest_passages_that_do_not_answer(app_client):
    r = app_client.get("/", params={"q": STEPPING_STONE, "lang": "en", "k": 10})
    cards = r.context["cards"]
    answering = sum(c.answers for c in cards)
    assert 0 < answering < len(cards), "the test needs answers and passages that do not answer"
    html = r.text
    heading = html.index('<h3 class="closest-h">Closest passages (not answers)</h3>')
    first_weak = html.index(f'id="r-{cards[answering].id}"')
    assert all(html.index(f'id="r-{c.id}"') < heading < first_weak for c in cards[:answering])
    assert f'<ol class="cards weak" start="{answering + 1}">' in html
    assert f"{len(cards)} passages: {answering} judged to answer, {len(cards) - answering} closest" in html


def test_chinese_question_on_strategic_risk_reduction_cites_the_five_nuclear_weapon_states(app_client):
    r = app_client.get("/", params={"q": P5_RISK, "lang": "zh"})
    assert r.status_code == 200
    cards = r.context["cards"]
    assert r.context["answer"].covered
    assert set(cards[0].submitted_by) == P5
    assert "提交方" in r.text and "回答问题的句子" in r.text  # Chinese interface
    assert cards[0].citation_zh in r.text


def test_transmitted_text_says_whose_text_it_is_and_who_transmitted_it(app_client, engine):
    japan = doc_of(engine, "Japan")
    r = app_client.get("/", params={"q": "名人小组建议采取哪些建桥措施？", "doc": japan.id, "lang": "en"})
    assert r.status_code == 200
    top = r.context["cards"][0]
    assert japan.author, "the Japan paper transmits the Group of Eminent Persons' text"
    assert top.speaker.endswith("transmitted by Japan") and top.author_shown
    assert "Text of" in r.text and "transmitted by Japan" in r.text


def test_question_the_documents_do_not_cover_says_so_instead_of_listing_answers(app_client):
    r = app_client.get("/", params={"q": OFF_TOPIC, "lang": "en"})
    assert r.status_code == 200
    assert r.context["answer"].covered is False
    assert "Not covered by these documents" in r.text
    assert 'class="cards weak"' in r.text and "<details" in r.text  # closest passages only, folded away
    assert 'class="cards">' not in r.text


def test_the_page_says_why_a_question_is_not_covered_in_the_readers_language(app_client):
    question = "这些文件如何看待“小型模块化反应堆”？"
    chinese = app_client.get("/", params={"q": question, "lang": "zh"})
    english = app_client.get("/", params={"q": question, "lang": "en"})
    assert '<span class="reason">没有文件提到“小型模块化反应堆”。</span>' in chinese.text
    assert '<span class="reason">No document mentions “小型模块化反应堆”.</span>' in english.text
    compared = app_client.get("/compare", params={"q": question, "lang": "zh"})
    assert '<span class="reason">没有文件提到“小型模块化反应堆”。</span>' in compared.text
    api = app_client.get("/api/compare", params={"q": question}).json()
    assert api["covered"] is False and api["reason"]["zh"] == "没有文件提到“小型模块化反应堆”。"


def test_filters_restrict_results_and_stay_ticked(app_client, engine):
    sweden = doc_of(engine, "Sweden")
    r = app_client.get("/", params={"q": NSA, "state": "Sweden", "lang": "en"})
    assert r.status_code == 200
    assert {c.doc for c in r.context["cards"]} == {sweden.id}
    assert [c.value for c in r.context["choices"]["states"] if c.checked] == ["Sweden"]
    assert 'name="state" list="state-choices" value="Sweden"' in r.text
    r = app_client.get("/", params={"q": NSA, "state": "瑞典, 日本", "lang": "en"})
    assert {c.submitted_by for c in r.context["cards"]} <= {("Sweden",), ("Japan",)} and r.context["cards"]
    r = app_client.get("/", params={"q": NSA, "date_from": "2022", "lang": "en"})
    assert r.context["cards"] and all(c.date >= "2022" for c in r.context["cards"])


@pytest.mark.parametrize("params, rule", [
    ({"q": "x", "k": "0"}, "out of range"),
    ({"q": "x", "k": "many"}, "not a whole number"),
    ({"q": "x", "state": "Narnia"}, "Unknown state or body 'Narnia'"),
    ({"q": "x", "doc": "no-such-doc"}, "No document has the id “no-such-doc”"),
    ({"q": "x", "date_from": "last year"}, "not a date"),
    ({"q": "x" * 1001}, "the limit is 1000"),
    ({"q": "   "}, "The question is empty"),
])
def test_invalid_input_shows_the_rule_in_the_page_with_400(app_client, params, rule):
    r = app_client.get("/", params={**params, "lang": "en"})
    assert r.status_code == 400 and r.template.name == "ask.html"
    assert rule in r.context["error"] and rule.replace("'", "&#39;") in r.text
    assert 'role="alert"' in r.text and "Traceback" not in r.text


@pytest.mark.parametrize("path, params, message", [
    ("/", {"q": "x", "k": "many"}, "段落数 'many' 不是整数；请使用 1 至"),
    ("/", {"q": "x", "k": "0"}, "段落数 0 超出范围"),
    ("/", {"q": "x", "state": "Narnia"}, "未知的国家或机构“Narnia”。"),
    ("/compare", {"q": "x", "date_from": "last year"}, "起始日期“last year”无效"),
    ("/", {"q": "   "}, "问题为空"),
    ("/compare", {"q": "x", "page": "two"}, "页码“two”无效"),
])
def test_chinese_interface_states_a_broken_rule_in_chinese(app_client, path, params, message):
    r = app_client.get(path, params={**params, "lang": "zh"})
    assert r.status_code == 400 and message in r.context["error"]
    assert "<strong>无法回答该请求。</strong>" in r.text


def test_not_addressed_banner_follows_the_interface_language_not_the_questions(app_client):
    question = "What did Japan say about the stepping-stone approach?"
    r = app_client.get("/", params={"q": question, "lang": "zh"})
    assert r.context["answer"].addressed_by, "the test needs a question its party does not address"
    assert "<strong>所问的发言方未论及。</strong> 本语料中日本的文件未论及这一问题" in r.text
    assert "do not address this question" not in r.text
    assert re.search(r'<span class="addressed-by"><a href="[^"]*state=Sweden[^"]*">瑞典</a>', r.text)
    english = app_client.get("/", params={"q": question, "lang": "en"})
    assert "<strong>Not addressed by the party asked about.</strong> Japan&#39;s documents" in english.text


def test_question_is_escaped_everywhere_it_is_shown(app_client):
    for path in ("/", "/compare"):
        r = app_client.get(path, params={"q": XSS_Q, "lang": "en"})
        assert r.status_code == 200
        assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in r.text


@pytest.fixture(scope="module")
def statements_client(statements_engine):
    """A client on an app over six English statements of the 2021 general debate."""
    from fastapi.testclient import TestClient

    from qa.web.app import create_app

    with TestClient(create_app(statements_engine.settings, statements_engine)) as client:
        yield client


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_english_passages_and_titles_are_marked_english_whatever_the_interface(statements_client, app_client, lang):
    r = statements_client.get("/", params={"q": "nuclear disarmament", "lang": lang})
    assert r.context["cards"] and {c.text_lang for c in r.context["cards"]} == {"en"}
    assert 'class="text" lang="zh-Hans"' not in r.text and '<span class="t-zh"' not in r.text
    assert r.text.count('<blockquote class="text" lang="en"') == len(r.context["cards"])
    assert len(re.findall(r'<article [^>]*data-lang="en">', r.text)) == len(r.context["cards"])
    top = r.context["cards"][0]
    page = statements_client.get(f"/documents/{top.doc}", params={"lang": lang})
    assert '<h1 lang="en">' in page.text and '<div class="doc-body" lang="en">' in page.text
    listing = statements_client.get("/documents", params={"lang": lang})
    assert f'<a href="/documents/{top.doc}" lang="en">' in listing.text
    chinese = app_client.get("/", params={"q": STEPPING_STONE, "lang": lang})
    assert {c.text_lang for c in chinese.context["cards"]} == {"zh-Hans"}
    assert '<blockquote class="text" lang="zh-Hans"' in chinese.text


def test_general_assembly_statements_are_exported_and_shown_without_npt_wording_or_a_symbol(statements_client):
    r = statements_client.get("/", params={"q": "nuclear disarmament", "lang": "en"})
    cards = r.context["cards"]
    assert cards and not any(c.has_symbol for c in cards)
    assert "not confirmed" not in r.text and "<dt>Symbol</dt>" not in r.text
    listing = statements_client.get("/documents", params={"lang": "en"})
    assert "not confirmed" not in listing.text and "working paper" not in listing.text
    for fmt, suffix in (("markdown", "md"), ("docx", "docx")):
        export = statements_client.post("/api/export", json={"ids": [cards[0].id], "format": fmt, "lang": "en"})
        assert export.headers["content-disposition"] == f'attachment; filename="passages.{suffix}"'
    md = statements_client.post("/api/export", json={"ids": [cards[0].id], "format": "markdown", "lang": "zh"})
    assert md.text.startswith("# 大会摘录\n") and "不扩散" not in md.text and "NPT" not in md.text
    en = statements_client.post("/api/export", json={"ids": [cards[0].id], "format": "markdown", "lang": "en"})
    assert en.text.startswith("# Passages from General Assembly\n")


# --- compare ---------------------------------------------------------------------------------------------------


def test_compare_lists_every_voice_those_addressing_first_each_with_its_own_passages(app_client, engine):
    r = app_client.get("/compare", params={"q": NSA, "lang": "en"})
    assert r.status_code == 200 and r.template.name == "compare.html"
    comparison, groups = r.context["comparison"], r.context["groups"]
    assert not comparison.side_by_side and comparison.total == len(groups) >= 6  # every voice of the seeds
    addressing = [g for g in groups if g.covered]
    assert groups[:len(addressing)] == addressing, "a voice that addresses the question comes first"
    assert [g.best_rank for g in addressing] == sorted(g.best_rank for g in addressing)
    assert any("Sweden" in g.submitted_by for g in addressing), "no voice judged to cover NSAs"
    assert 0 < comparison.covered_total == len(addressing) < comparison.total
    for g in groups:
        assert all(set(c.submitted_by) == set(g.submitted_by) and c.author == g.author for c in g.cards)
        assert len(g.cards) <= 3 and all(c.answers for c in g.cards[:1]) == g.covered
    assert r.text.count('<li class="party') == len(groups)
    assert r.text.count('data-addresses="no"') == comparison.total - comparison.covered_total
    assert "parties address the question" in r.text and "format=csv" in r.text


def test_compare_naming_parties_shows_them_side_by_side(app_client):
    r = app_client.get("/compare", params={"q": "What do Sweden and Russia say about risk reduction?", "lang": "en"})
    comparison, groups = r.context["comparison"], r.context["groups"]
    assert comparison.side_by_side and r.text.count('<section class="group') == len(groups)
    assert {g.submitted_by for g in groups} >= {("Sweden",), ("Russian Federation",)}


def test_compare_pages_through_parties(app_client):
    r = app_client.get("/compare", params={"q": NSA, "lang": "en"})
    total = r.context["comparison"].total
    data = app_client.get("/api/compare", params={"q": NSA, "per_page": 2, "page": 2}).json()
    assert data["page"] == 2 and data["total"] == total and len(data["groups"]) == min(2, total - 2)
    assert [g["best_rank"] for g in data["groups"]] == sorted(g["best_rank"] for g in data["groups"])


@pytest.mark.parametrize("fmt, magic", [("csv", b"\xef\xbb\xbf"), ("markdown", b"# "), ("docx", b"PK")])
def test_comparison_exports_one_row_per_party(app_client, fmt, magic):
    r = app_client.get("/api/compare/export", params={"q": NSA, "format": fmt, "lang": "zh"})
    assert r.status_code == 200 and r.content.startswith(magic), r.text[:200]
    total = app_client.get("/api/compare", params={"q": NSA}).json()["total"]
    if fmt == "csv":
        import csv

        table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert table[0][:3] == ["排名", "发言方", "是否论及"] and len(table) == total + 1
        assert all(row[6].startswith("http://testserver/documents/") for row in table[1:] if row[2] == "论及")
        assert all(row[4] == row[6] == "" for row in table[1:] if row[2] == "未论及")
        assert {row[2] for row in table[1:]} == {"论及", "未论及"}
    elif fmt == "markdown":
        assert r.content.decode().count("\n| ") == total + 1
    else:
        tables = WordDocument(io.BytesIO(r.content)).tables
        assert len(tables[0].rows) == total + 1


def test_export_link_of_the_compare_page_downloads_the_table(app_client):
    """The page's own link carries its empty filter fields (``state=&doc=``): they mean no filter, not an error."""
    page = app_client.get("/compare", params={"q": NSA, "lang": "en", "state": "", "doc": ""})
    href = re.search(r'href="(/api/compare/export\?[^"]*format=csv[^"]*)"', page.text).group(1)
    r = app_client.get(html.unescape(href))
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('"comparison.csv"'), r.text[:200]


def test_export_links_of_a_page_filtered_by_several_comma_separated_parties_export_those_parties(app_client):
    """The page splits "Sweden, Japan" into two parties; its export links must name them one by one, since the
    API reads each `state=` as one name."""
    page = app_client.get("/compare", params={"q": NSA, "lang": "en", "state": "Sweden, Japan,China"})
    parties = {g.speaker for g in page.context["groups"]}
    assert page.status_code == 200 and len(parties) >= 3
    for fmt in ("csv", "markdown", "docx"):
        href = re.search(rf'href="(/api/compare/export\?[^"]*format={fmt}[^"]*)"', page.text).group(1)
        assert "state=Sweden&amp;state=Japan&amp;state=China" in href
        r = app_client.get(html.unescape(href))
        assert r.status_code == 200, r.text[:300]
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]
            assert {row[1] for row in rows} == parties


@pytest.fixture(scope="module")
def paged_client(engine):
    """A client on an app whose compare view shows two parties a page, so the six voices of the seed corpus span
    three pages."""
    import copy

    from fastapi.testclient import TestClient

    from qa.web.app import create_app

    paged = copy.copy(engine)
    paged.settings = engine.settings.with_(compare_page=2)
    with TestClient(create_app(paged.settings, paged)) as client:
        yield client


def test_side_by_side_view_pages_through_parties_like_the_list(paged_client):
    seen = []
    for page in (1, 2, 3):
        r = paged_client.get("/compare", params={"q": NSA, "lang": "en", "page": page,
                                                 "state": "China, France, Russian Federation, United Kingdom, "
                                                          "United States, Sweden, Japan"})
        comparison = r.context["comparison"]
        assert comparison.side_by_side and comparison.total == 6
        assert r.text.count('<section class="group') == len(r.context["groups"]) == 2
        pager = re.search(r'<nav class="pager".*?</nav>', r.text, re.DOTALL)
        assert pager and pager.group(0).count("<a href=") == 2 and f'aria-current="page">{page}<' in pager.group(0)
        seen += [g.speaker for g in r.context["groups"]]
    assert len(set(seen)) == 6


@pytest.mark.parametrize("lang, line", [("en", "{n} more parties on the next pages; {a} of them address the question."),
                                        ("zh", "后续页面还有 {n} 个发言方，其中 {a} 个论及此问题。")])
def test_more_parties_line_counts_the_parties_left_and_how_many_of_them_address_the_question(paged_client, lang,
                                                                                              line):
    r = paged_client.get("/compare", params={"q": NSA, "lang": lang})
    comparison = r.context["comparison"]
    assert comparison.total > 2 and comparison.covered_total < comparison.total - 2
    left = comparison.total - 2
    expected = line.format(n=left, a=max(0, comparison.covered_total - 2))
    assert f'<p class="more-parties">{expected}</p>' in r.text
    later = [paged_client.get("/api/compare", params={"q": NSA, "per_page": 2, "page": p}).json()
             for p in range(2, comparison.total // 2 + 2)]
    assert sum(g["covered"] for page in later for g in page["groups"]) == max(0, comparison.covered_total - 2)


def test_markdown_table_separates_a_partys_passages_with_a_line_break_and_escapes_their_text():
    from qa.web.tables import Row, to_markdown

    row = Row(1, "Ireland", "addressed", "irl-76", ("[para. 3] a <b>bold</b> | claim", "[para. 9] second"),
              ("Ireland, para. 3", "Ireland, para. 9"), ("", ""))
    line = to_markdown([row], "en", "q").decode().splitlines()[-1]
    assert "a \\<b\\>bold\\</b\\> \\| claim <br> \\[para. 9\\] second" in line
    assert "Ireland, para. 3 <br> Ireland, para. 9" in line and "\\<br\\>" not in line


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_says_when_no_document_matches_the_filters_instead_of_counting_zero_parties(app_client, lang):
    r = app_client.get("/compare", params={"q": NSA, "lang": lang, "date_from": "2090"})
    assert r.status_code == 200 and r.context["comparison"].total == 0
    t = translator(lang)
    assert t("no_party_in_filters") in r.text
    assert t("compare_summary", n=0, total=0) not in r.text and t("not_covered") not in r.text


def test_compare_of_one_party_does_not_speak_of_the_others(app_client):
    r = app_client.get("/compare", params={"q": NSA, "lang": "en", "state": "Sweden"})
    assert r.context["comparison"].total == 1
    assert "The one party in scope addresses the question." in r.text and "the others" not in r.text


def test_a_page_past_the_last_says_so_and_links_to_the_last(app_client):
    r = app_client.get("/compare", params={"q": NSA, "lang": "en", "page": "40"})
    last = len(r.context["pages"])
    assert r.status_code == 200 and not r.context["groups"]
    assert f"Page 40 is past the last page, {last}." in r.text and f"Go to page {last}</a>" in r.text
    docs = app_client.get("/documents", params={"lang": "zh", "page": "7"})
    assert "第 7 页超出了最后一页（第 1 页）。" in docs.text and "转到第 1 页</a>" in docs.text


def test_compare_without_question_explains_itself(app_client):
    r = app_client.get("/compare", params={"lang": "zh"})
    assert r.status_code == 200 and r.context["groups"] is None
    assert "并排比较" in r.text


# --- documents -------------------------------------------------------------------------------------------------


def test_documents_page_lists_every_document_with_its_metadata(app_client, engine):
    r = app_client.get("/documents", params={"lang": "en"})
    assert r.status_code == 200 and r.template.name == "documents.html"
    assert len(r.context["rows"]) == len(engine.documents)
    for d in engine.documents.values():
        assert f'href="/documents/{d.id}"' in r.text and d.date in r.text
    assert "Sweden" in r.text


def test_document_page_shows_every_paragraph_with_an_anchor_and_highlights_the_cited_one(app_client, engine):
    sweden = doc_of(engine, "Sweden")
    p = first_searchable(engine, sweden.id)
    r = app_client.get(f"/documents/{sweden.id}", params={"hl": p.label, "lang": "en"})
    assert r.status_code == 200 and r.template.name == "document.html"
    paragraphs = engine.all_paragraphs(sweden.id)
    assert len(r.context["items"]) == len(paragraphs)
    for q in paragraphs:
        assert f'id="p-{q.label}"' in r.text
    assert re.search(rf'class="para kind-\w+ cited" id="p-{re.escape(p.label)}"', r.text)
    assert r.text.count(" cited\"") == 1
    assert citation(sweden, None, "en").replace('"', "&#34;").replace("'", "&#39;") in r.text


def test_unknown_document_is_a_404_page_not_a_stack_trace(app_client):
    r = app_client.get("/documents/no-such-doc", params={"lang": "en"})
    assert r.status_code == 404 and r.template.name == "error.html"
    assert "No document" in r.text and "/documents" in r.text and "Traceback" not in r.text
    r = app_client.get("/documents/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert r.status_code == 404 and "<script>alert(1)" not in r.text


@pytest.mark.parametrize("path", ["/", "/compare"])
def test_unknown_document_filter_suggests_the_closest_ids_and_links_to_the_documents_page(app_client, engine, path):
    known = sorted(engine.documents)
    typo = known[0][:-1] + "x"
    r = app_client.get(path, params={"q": NSA, "doc": typo, "lang": "en"})
    assert r.status_code == 400
    message = r.context["error"]
    assert message.startswith(f"No document has the id “{typo}”; the closest ids are {known[0]}")
    assert len(message) < 300 and "qa documents" not in message
    assert 'Find a document\'s id in the list of documents' in html.unescape(r.text) and 'href="/documents"' in r.text
    zh = app_client.get(path, params={"q": NSA, "doc": typo, "lang": "zh"})
    assert f"没有编号为“{typo}”的文件；最接近的编号是 {known[0]}" in zh.text


def test_unknown_document_page_suggests_the_closest_ids_in_a_short_message(app_client, engine):
    known = sorted(engine.documents)
    r = app_client.get(f"/documents/{known[0]}x", params={"lang": "en"})
    assert r.status_code == 404
    assert f"No document has the id “{known[0]}x”; the closest ids are {known[0]}" in r.text
    assert "qa documents" not in r.text and 'href="/documents">Find a document' in r.text


def test_unknown_paragraph_label_in_a_document_link_is_a_404(app_client, engine):
    sweden = doc_of(engine, "Sweden")
    r = app_client.get(f"/documents/{sweden.id}", params={"hl": "9999"})
    assert r.status_code == 404 and "no paragraph &#39;9999&#39;" in r.text


def test_unknown_page_is_an_html_404_and_unknown_api_path_json(app_client):
    r = app_client.get("/nowhere")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert app_client.get("/api/nowhere").json()["status"] == 404


@pytest.mark.slow
def test_document_text_is_escaped(xss_client):
    client, doc_id = xss_client
    r = client.get(f"/documents/{doc_id}", params={"lang": "en"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img src=x" not in r.text and "<svg" not in r.text
    assert "<b>" not in r.text and "<i>Evil" not in r.text
    assert "&lt;script&gt;alert(&#34;doc&#34;)&lt;/script&gt;" in r.text
    assert "&lt;script&gt;alert(&#39;state&#39;)&lt;/script&gt;" in r.text  # the submitter's name, too
    for path in ("/", "/compare"):
        r = client.get(path, params={"q": "泄露机密的恶意脚本", "lang": "en"})
        assert r.status_code == 200
        assert "<script>alert" not in r.text and "<img src=x" not in r.text and "<svg" not in r.text
    r = client.get("/", params={"q": "泄露机密的恶意脚本", "lang": "en"})
    assert r.context["cards"]
    assert r.text.count("<mark") == sum(1 for c in r.context["cards"] if c.answer)
    r = client.get("/documents", params={"lang": "en"})
    assert r.status_code == 200 and "<script>alert" not in r.text and "<b>" not in r.text


# --- basket page and export --------------------------------------------------------------------------------------


def test_basket_page_has_export_controls_and_a_no_js_note(app_client):
    r = app_client.get("/basket", params={"lang": "zh"})
    assert r.status_code == 200 and r.template.name == "basket.html"
    assert 'id="export-md"' in r.text and 'id="export-docx"' in r.text and "<noscript>" in r.text
    assert "导出 Markdown" in r.text


def three_passages(app_client) -> list[dict]:
    out = []
    for q in (STEPPING_STONE, P5_RISK, NSA):
        out.append(app_client.get("/api/ask", params={"q": q, "k": 1}).json()["results"][0])
    return out


def test_export_markdown_quotes_each_passage_verbatim_followed_by_its_citation(app_client):
    picked = three_passages(app_client)
    r = app_client.post("/api/export", json={"ids": [p["id"] for p in picked], "format": "markdown", "lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "attachment" in r.headers["content-disposition"]
    md = r.text
    at = 0
    for p in picked:
        first_line = p["text"].splitlines()[0]
        quote = md.index(first_line[:20], at)
        cite = md.index(p["citation"].replace("*", "\\*").replace("_", "\\_"), quote)
        at = cite
    assert md.count("\n> ") >= 3


def test_export_in_chinese_and_as_word(app_client):
    picked = three_passages(app_client)
    ids = [p["id"] for p in picked]
    md = app_client.post("/api/export", json={"ids": ids, "format": "markdown", "lang": "zh"}).text
    assert all(p["citation_zh"] in md for p in picked)
    r = app_client.post("/api/export", json={"ids": ids, "format": "docx", "lang": "zh"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    texts = [p.text for p in WordDocument(io.BytesIO(r.content)).paragraphs]
    for p in picked:
        assert texts[texts.index(p["citation_zh"]) - 1] == p["text"].splitlines()[-1]


def test_export_never_trusts_client_text_and_refuses_unknown_or_too_many_ids(app_client):
    r = app_client.post("/api/export", json={"ids": ["no-such-doc:1"], "format": "markdown"})
    assert r.status_code == 404 and "no-such-doc:1" in r.json()["error"]
    r = app_client.post("/api/export", json={"ids": ["x:1"] * 201})
    assert r.status_code == 400 and "at most 200" in r.json()["error"]
    r = app_client.post("/api/export", json={"ids": []})
    assert r.status_code == 400
    r = app_client.post("/api/export", json={"ids": ["a"], "format": "pdf"})
    assert r.status_code == 400 and "format" in r.json()["error"]
    r = app_client.post("/api/export", json={"ids": ["a"], "text": "forged", "lang": "fr"})
    assert r.status_code == 400


# --- language, safety, plumbing ------------------------------------------------------------------------------


def test_language_follows_query_then_cookie_then_browser(app_client):
    app_client.cookies.clear()
    r = app_client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert r.context["lang"] == "zh" and '<html lang="zh-Hans"' in r.text and "提问" in r.text
    r = app_client.get("/", headers={"accept-language": "fr-FR,en;q=0.5"})
    assert r.context["lang"] == "en"
    r = app_client.get("/", params={"lang": "zh"}, headers={"accept-language": "en"})
    assert r.context["lang"] == "zh" and r.cookies.get("lang") == "zh"
    r = app_client.get("/documents", headers={"accept-language": "en"})
    assert r.context["lang"] == "zh"  # the cookie remembers the choice
    assert 'href="/documents?lang=en"' in r.text  # the switch keeps the page
    app_client.cookies.clear()


def test_language_choice_rules():
    assert parse_accept_language("en-GB,en;q=0.9,zh;q=0.8") == "en"
    assert parse_accept_language("zh-TW;q=0.9, en;q=0.2") == "zh"
    assert parse_accept_language("de, fr") is None
    assert parse_accept_language("zh;q=abc, en") == "en"
    assert choose_language("xx", {"lang": "zh"}, "en") == "zh"
    assert choose_language(None, {}, "") == "en"


def test_every_interface_string_exists_in_both_languages():
    assert LANGS == ("en", "zh")
    for key, (en, zh) in STRINGS.items():
        assert en.strip() and zh.strip(), key
        assert sorted(re.findall(r"\{\w+\}", en)) == sorted(re.findall(r"\{\w+\}", zh)), key


def test_pages_send_a_strict_content_security_policy(app_client):
    r = app_client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text  # no inline script: everything is in /static/app.js
    assert app_client.get("/static/app.js").status_code == 200
    assert app_client.get("/static/app.css").status_code == 200


def test_templates_never_mark_text_safe():
    from qa.web.pages import TEMPLATES_DIR

    for path in TEMPLATES_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, path.name


def test_highlight_pieces_are_clamped_to_the_text():
    assert split_text("abcdef", (2, 4)) == ("ab", "cd", "ef")
    assert split_text("abc", (5, 9)) == ("abc", "", "")
    assert split_text("abc", (2, 1)) == ("ab", "", "c")
    assert split_text("abc", (-3, 1)) == ("", "a", "bc")


def test_page_routes_run_in_the_thread_pool():
    from qa.web import api
    from qa.web import pages as page_routes

    pages = {"/", "/compare", "/documents", "/documents/{doc_id}", "/basket", "/api/export"}
    # The app's own route list holds the two routers, not their routes: look in the routers it includes.
    routes = {route.path: route for router in (api.router, page_routes.router) for route in router.routes
              if route.path in pages}
    assert set(routes) == pages
    for path, route in routes.items():
        assert not inspect.iscoroutinefunction(route.endpoint), path


def test_documents_page_pages_and_finds_documents(app_client, engine, monkeypatch):
    import qa.web.pages

    monkeypatch.setattr(qa.web.pages, "DOCS_PER_PAGE", 2)
    r = app_client.get("/documents", params={"lang": "en"})
    assert len(r.context["rows"]) == 2 and len(r.context["pages"]) == 3 and r.context["total"] == 5
    r = app_client.get("/documents", params={"lang": "en", "page": "3"})
    assert len(r.context["rows"]) == 1
    r = app_client.get("/documents", params={"lang": "en", "find": "瑞典"})
    assert [row["doc"].id for row in r.context["rows"]] == ["sweden-2019"] and r.context["pages"] == []


def test_documents_page_says_which_documents_it_shows_and_lists_them_by_submitter(app_client, monkeypatch):
    import qa.web.pages

    monkeypatch.setattr(qa.web.pages, "DOCS_PER_PAGE", 2)
    first = app_client.get("/documents", params={"lang": "en"})
    assert '<p class="count-line">1–2 of 5 documents</p>' in first.text
    last = app_client.get("/documents", params={"lang": "zh", "page": "3"})
    assert '<p class="count-line">共 5 份文件，显示第 5–5 份</p>' in last.text
    found = app_client.get("/documents", params={"lang": "en", "find": "瑞典"})
    assert "1–1 of the 1 documents matching “瑞典” (5 in all)" in found.text
    none = app_client.get("/documents", params={"lang": "en", "find": "zzz"})
    assert "No document of the 5 matches “zzz”." in none.text
    listed = [row["speaker"] for page in ("1", "2", "3")
              for row in app_client.get("/documents", params={"lang": "en", "page": page}).context["rows"]]
    assert listed == sorted(listed, key=str.casefold) and len(listed) == 5


def test_footer_api_link_opens_a_page_served_offline_listing_every_endpoint(app_client):
    home = app_client.get("/", params={"lang": "en"})
    link = re.search(r'<footer class="foot">.*?<a href="([^"]+)">JSON API</a>', home.text, re.DOTALL).group(1)
    r = app_client.get(link)
    assert r.status_code == 200 and r.template.name == "endpoints.html"
    assert "cdn" not in r.text.lower() and "<script src=\"http" not in r.text
    paths = {(e.method, e.path) for e in r.context["endpoints"]}
    assert {("GET", "/api/ask"), ("GET", "/api/compare"), ("POST", "/api/export"), ("GET", "/healthz")} <= paths
    assert "<code>GET /api/ask</code>" in r.text and 'href="/openapi.json"' in r.text


@pytest.mark.parametrize(("lang", "said"), [("en", "No document of Sweden is in this collection"),
                                            ("zh", "本资料库中没有瑞典的文件")])
def test_compare_says_which_filtered_party_has_no_document_here(statements_client, lang: str, said: str) -> None:
    r = statements_client.get("/compare", params={"q": "Treaty on the Prohibition of Nuclear Weapons",
                                                  "state": "Ireland,Sweden", "lang": lang})
    assert r.status_code == 200 and said in r.text


def test_the_api_comparison_names_the_filtered_parties_that_have_no_document_here(app_client):
    data = app_client.get("/api/compare", params={"q": "nuclear", "state": ["Sweden", "Iran"]}).json()
    assert data["without_documents"] == ["Iran"]  # named by the filter, as the user named it; absent from the corpus
    assert [g["speaker"] for g in data["groups"]] == ["Sweden"]

"""The document view says where each field came from, leaves out fields a kind of document does not have, and
the pages name the corpus they serve."""

from __future__ import annotations

from qa.documents.document import Document
from qa.web.naming import corpus_name
from qa.web.pages import metadata_rows


def _doc(**fields: object) -> Document:
    values: dict = {"id": "d", "file": "d.txt", "title": "T", "title_en": "T", "submitted_by": ("Angola",)}
    values.update(fields)
    return Document(**values)


def test_a_speech_has_no_symbol_row_but_a_working_paper_without_one_says_so() -> None:
    speech = _doc(kind="statement", meeting="General Assembly, seventy-sixth session, general debate, New York")
    assert "symbol" not in [r.key for r in metadata_rows(speech, "en", "Angola", speech.meeting)]
    paper = _doc(kind="working paper")
    rows = {r.key: r for r in metadata_rows(paper, "en", "Angola", "")}
    assert rows["symbol"].value == "" and "meeting" not in rows  # no meeting recorded: no empty row


def test_each_row_carries_where_its_value_came_from() -> None:
    d = _doc(kind="working paper", symbol="NPT/CONF.2020/PC.III/WP.1", date="2019-04-29",
             metadata_source=(("symbol", "read"), ("submitted_by", "given"), ("kind", "read"), ("date", "derived")))
    rows = {r.key: r.source for r in metadata_rows(d, "en", "Angola", "")}
    assert rows == {"col_speaker": "given", "kind": "read", "date": "derived", "symbol": "read"}


def test_the_corpus_is_named_by_its_title_else_by_its_meetings() -> None:
    speeches = [_doc(id=f"s{i}", meeting="General Assembly, seventy-sixth session, general debate, New York")
                for i in range(3)]
    assert corpus_name("My record", speeches, "en") == "My record"
    assert corpus_name("", speeches, "en") == "General Assembly"
    many = [_doc(id=f"m{i}", meeting=f"Meeting {i}, New York") for i in range(5)]
    assert corpus_name("", many, "en").endswith("and 3 other meetings")
    assert corpus_name("", [_doc()], "en") == ""


def test_document_page_shows_metadata_as_recorded_and_the_title_names_the_meetings(app_client, engine) -> None:
    sweden = next(d for d in engine.documents.values() if d.submitted_by == ("Sweden",))
    r = app_client.get(f"/documents/{sweden.id}", params={"lang": "en"})
    assert r.status_code == 200 and r.context["recorded"] is True
    assert "as recorded in the corpus" in r.text and "NPT working papers" not in r.text
    assert "Preparatory Committee for the 2020 NPT Review Conference" in r.context["brand"]
    assert [row.key for row in r.context["meta"]][:2] == ["col_speaker", "kind"]
    r = app_client.get(f"/documents/{sweden.id}", params={"lang": "zh"})
    assert "有出处的答案" in r.context["brand"]

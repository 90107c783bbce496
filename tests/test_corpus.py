"""The real corpus: metadata and attribution of each document, checksums, start-up speed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli.main import cli
from qa.documents.corpus import Corpus, load_corpus
from qa.errors import CorpusError, NotFound
from qa.parties.citation import speaker

P5 = ("China", "France", "Russian Federation", "United Kingdom", "United States")
GEP = "Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament"


def test_five_documents_with_their_submitters(corpus: Corpus) -> None:
    subs = {d.id: d.submitted_by for d in corpus.documents}
    assert subs == {"unidir-2021": (), "p5-2021": P5, "japan-2018": ("Japan",), "sweden-2019": ("Sweden",),
                    "russia-2022": ("Russian Federation",)}


def test_unidir_paper_is_spoken_by_unidir(corpus: Corpus) -> None:
    d = corpus.document("unidir-2021")
    assert speaker(d) == "UNIDIR" and d.symbol == "" and d.date == "2021"


def test_japan_paper_transmits_the_group_and_its_chair(corpus: Corpus) -> None:
    d = corpus.document("japan-2018")
    assert d.author == GEP and d.symbol == "NPT/CONF.2020/PC.II/WP.37" and d.date == "2018-04-20"
    assert d.meeting == "Preparatory Committee for the 2020 NPT Review Conference, second session, Geneva"
    assert corpus.paragraph("japan-2018:1").author == "Japan"  # the note verbale is Japan's own text
    assert speaker(d, corpus.paragraph("japan-2018:1")) == "Japan"
    assert corpus.paragraph("japan-2018:I.12").author == GEP
    assert corpus.paragraph("japan-2018:II.12").author == f"Chair of the {GEP}"


def test_dates_and_meetings_come_from_the_documents(corpus: Corpus) -> None:
    assert corpus.document("p5-2021").date == "2021-12-07"
    assert "New York" in corpus.document("p5-2021").meeting
    assert "third session, New York" in corpus.document("sweden-2019").meeting
    assert corpus.document("russia-2022").meeting.startswith("Tenth Review Conference")
    assert all(d.symbol == "" for d in corpus.documents if d.id != "japan-2018")


def test_unknown_document_names_the_known_ones(corpus: Corpus) -> None:
    with pytest.raises(NotFound, match="japan-2018"):
        corpus.document("japan")


def test_paragraphs_are_in_document_order(corpus: Corpus) -> None:
    assert [p.doc for p in corpus.paragraphs] == sorted((p.doc for p in corpus.paragraphs),
                                                        key=[d.id for d in corpus.documents].index)
    assert all(p.searchable for p in corpus.searchable())


def test_loading_twice_gives_identical_ids_and_fingerprint(corpus: Corpus) -> None:
    again = load_corpus(corpus.path)
    assert [p.id for p in again.paragraphs] == [p.id for p in corpus.paragraphs]
    assert again.fingerprint == corpus.fingerprint


def test_changed_source_file_is_refused_by_name(corpus_copy: Path) -> None:
    f = corpus_copy / "003_b870c8805095604d.txt"
    f.write_text(f.read_text(encoding="utf-8") + "x", encoding="utf-8")
    with pytest.raises(CorpusError, match="003_b870c8805095604d.txt"):
        load_corpus(corpus_copy)


def test_missing_manifest_says_where_to_point(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="QA_CORPUS_DIR"):
        load_corpus(tmp_path)


def test_documents_json_lists_metadata_and_counts() -> None:
    result = CliRunner().invoke(cli, ["documents", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert rows["japan-2018"]["author"] == GEP and rows["japan-2018"]["paragraphs"] > 100
    assert rows["p5-2021"]["submitted_by"] == list(P5)


def test_paragraphs_json_has_id_label_section_text() -> None:
    result = CliRunner().invoke(cli, ["paragraphs", "japan-2018", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    row = next(r for r in rows if r["label"] == "II.36")
    assert row["id"] == "japan-2018:II.36" and row["section"] == "2. 多边核裁军" and "也很重要" in row["text"]


def test_paragraphs_of_unknown_document_is_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["paragraphs", "nope"])
    assert result.exit_code != 0 and "known documents" in result.output

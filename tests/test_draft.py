"""Export of the drafting basket: quotations verbatim, each followed by its own citation, in English or Chinese."""

import io
from datetime import date

import pytest
from docx import Document as WordDocument

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.errors import InputError, NotFound
from qa.parties.citation import citation
from qa.web.draft import MAX_IDS, export, md_escape, quotations, resolve, to_markdown

SWEDEN = Document(
    id="sweden-2019", file="003.txt", title="采取“垫脚石”办法开启裁军外交",
    title_en="Unlocking disarmament diplomacy through a 'stepping stone' approach", submitted_by=("Sweden",),
    date="2019-04-29", meeting="Preparatory Committee for the 2020 NPT Review Conference, third session",
)
GEP = Document(
    id="japan-2018", file="002.txt", title="架起通往切实核裁军的桥梁", title_en="Building bridges",
    submitted_by=("Japan",), author="Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament",
    date="2018-04-20", meeting="Preparatory Committee, second session", symbol="NPT/CONF.2020/PC.II/WP.37",
)
P12 = Paragraph(id="sweden-2019:12", doc="sweden-2019", label="12", section="", position=12,
                text="瑞典提议采取“垫脚石”办法。这是第二句。")
P_GEP = Paragraph(id="japan-2018:I.3", doc="japan-2018", label="I.3", section="", position=3,
                  text="名人小组建议各国紧急采取建桥措施。", part="I", author=GEP.author)
P_XSS = Paragraph(id="sweden-2019:13", doc="sweden-2019", label="13", section="", position=13,
                  text="<script>alert(1)</script> *not bold* # not a heading")
LOOKUP = {p.id: (p, d) for p, d in ((P12, SWEDEN), (P_GEP, GEP), (P_XSS, SWEDEN))}
TODAY = date(2024, 5, 1)


def test_each_quotation_is_followed_by_its_own_citation_in_order():
    md = to_markdown(quotations(resolve(["japan-2018:I.3", "sweden-2019:12"], LOOKUP), "en"), "en", TODAY)
    gep_quote = md.index("> 名人小组建议各国紧急采取建桥措施。")
    gep_cite = md.index(citation(GEP, P_GEP, "en"))
    sweden_quote = md.index("> 瑞典提议采取“垫脚石”办法。这是第二句。")
    sweden_cite = md.index(citation(SWEDEN, P12, "en"))
    assert gep_quote < gep_cite < sweden_quote < sweden_cite


def test_english_citation_names_submitter_title_meeting_date_and_paragraph():
    md = export(resolve(["sweden-2019:12"], LOOKUP), "markdown", "en", TODAY).decode()
    assert "Sweden, \"Unlocking disarmament diplomacy through a 'stepping stone' approach\"" in md
    assert "third session, 29 April 2019), para. 12." in md


def test_transmitted_text_is_attributed_to_its_author_and_the_transmitting_state():
    md = export(resolve(["japan-2018:I.3"], LOOKUP), "markdown", "en", TODAY).decode()
    assert "Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament, transmitted by Japan" in md
    assert "NPT/CONF.2020/PC.II/WP.37" in md and "annex I, para. 3." in md


def test_chinese_export_uses_chinese_headings_and_citations():
    md = export(resolve(["sweden-2019:12", "japan-2018:I.3"], LOOKUP), "markdown", "zh", TODAY).decode()
    assert md.startswith("# 文件摘录")
    assert "瑞典，《采取“垫脚石”办法开启裁军外交》" in md and "第12段。" in md
    assert "切实推动核裁军名人小组（日本转递）" in md and "附件一第3段" in md


def test_markdown_syntax_and_html_in_the_text_are_escaped():
    md = export(resolve(["sweden-2019:13"], LOOKUP), "markdown", "en", TODAY).decode()
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\*not bold\\*" in md
    assert md_escape("# heading") == "\\# heading" and md_escape("1. item") == "1\\. item"


def test_duplicates_are_dropped_and_order_kept():
    items = resolve(["sweden-2019:12", "japan-2018:I.3", "sweden-2019:12"], LOOKUP)
    assert [p.id for p, _ in items] == ["sweden-2019:12", "japan-2018:I.3"]


def test_unknown_id_is_not_found_and_names_the_id():
    with pytest.raises(NotFound, match="no-such:1"):
        resolve(["sweden-2019:12", "no-such:1"], LOOKUP)


def test_empty_and_oversized_baskets_are_refused():
    with pytest.raises(InputError, match="Nothing to export"):
        resolve([], LOOKUP)
    with pytest.raises(InputError, match=f"at most {MAX_IDS}"):
        resolve(["sweden-2019:12"] * (MAX_IDS + 1), LOOKUP)


def test_docx_has_quotations_in_quote_style_followed_by_citations():
    data = export(resolve(["sweden-2019:12", "japan-2018:I.3"], LOOKUP), "docx", "en", TODAY)
    word = WordDocument(io.BytesIO(data))
    paras = [(p.style.name, p.text) for p in word.paragraphs]
    texts = [t for _, t in paras]
    q = texts.index("瑞典提议采取“垫脚石”办法。这是第二句。")
    assert paras[q][0] == "Quote"
    assert texts[q + 1] == citation(SWEDEN, P12, "en")
    q2 = texts.index("名人小组建议各国紧急采取建桥措施。")
    assert texts[q2 + 1] == citation(GEP, P_GEP, "en")
    assert word.core_properties.title == "Passages from the documents"


def test_docx_in_chinese_cites_in_chinese():
    data = export(resolve(["sweden-2019:12"], LOOKUP), "docx", "zh", TODAY)
    texts = [p.text for p in WordDocument(io.BytesIO(data)).paragraphs]
    assert citation(SWEDEN, P12, "zh") in texts


def test_unknown_format_is_refused():
    with pytest.raises(InputError, match="pdf"):
        export(resolve(["sweden-2019:12"], LOOKUP), "pdf", "en")


def test_export_is_headed_with_the_corpus_name_it_is_given():
    items = resolve(["sweden-2019:12"], LOOKUP)
    assert export(items, "markdown", "en", TODAY, corpus="UN General Debate 2021").decode().startswith(
        "# Passages from UN General Debate 2021\n")
    assert export(items, "markdown", "zh", TODAY, corpus="联合国大会").decode().startswith("# 联合国大会摘录\n")
    word = WordDocument(io.BytesIO(export(items, "docx", "en", TODAY, corpus="My *corpus*")))
    assert word.core_properties.title == "Passages from My *corpus*"


def test_docx_export_of_a_corpus_with_a_long_name_keeps_it_in_the_heading():
    name = "; ".join(["Preparatory Committee for the 2020 NPT Review Conference"] * 5)  # several meetings
    word = WordDocument(io.BytesIO(export(resolve(["sweden-2019:12"], LOOKUP), "docx", "en", TODAY, corpus=name)))
    assert len(word.core_properties.title) <= 255 and word.paragraphs[0].text == f"Passages from {name}"

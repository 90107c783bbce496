from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.parties.citation import citation, display_label, speaker, where
from qa.search.answer import PASSAGE_FIELDS, best_span, passage_json
from qa.text.sentences import sentence_spans

SWEDEN = Document(
    id="sweden-2019", file="003.txt", title="采取“垫脚石”办法开启裁军外交",
    title_en="Unlocking disarmament diplomacy through a 'stepping stone' approach", submitted_by=("Sweden",),
    date="2019-04-29", meeting="Preparatory Committee for the 2020 NPT Review Conference, third session, New York",
)
JAPAN = Document(
    id="japan-2018", file="002.txt", title="t", title_en="Bridges", submitted_by=("Japan",),
    author="Group of Eminent Persons", date="2018-04-20", meeting="m", symbol="NPT/CONF.2020/PC.II/WP.37",
)


def para(label: str, text: str = "x", doc: str = "sweden-2019") -> Paragraph:
    return Paragraph(id=f"{doc}:{label}", doc=doc, label=label, section="", text=text, position=0)


def test_citation_names_submitter_title_meeting_date_and_paragraph():
    c = citation(SWEDEN, para("12"))
    assert c.startswith('Sweden, "Unlocking')
    assert "third session" in c and "29 April 2019" in c and c.endswith("para. 12.")


def test_citation_without_symbol_has_no_empty_slot():
    assert ", ," not in citation(SWEDEN, para("3")) and "()" not in citation(SWEDEN, para("3"))


def test_citation_includes_symbol_when_known_and_says_whose_text():
    c = citation(JAPAN, para("I.12", doc="japan-2018"))
    assert "NPT/CONF.2020/PC.II/WP.37" in c
    assert c.startswith("Group of Eminent Persons, transmitted by Japan")
    assert c.endswith("annex I, para. 12.")


def test_chinese_citation_uses_chinese_names_and_paragraph_form():
    c = citation(SWEDEN, para("12"), "zh")
    assert c.startswith("瑞典，《采取“垫脚石”办法开启裁军外交》") and "第12段" in c and "2019年4月29日" in c


def test_a_chinese_citation_of_an_english_statement_names_its_kind_and_meeting_in_chinese():
    angola = Document(id="ago", file="f", title="Statement by Angola", title_en="", submitted_by=("Angola",), kind="statement",
                      date="2021-09", meeting="General Assembly, seventy-sixth session, general debate, New York")
    report = Document(id="deu", file="f", title="Report", title_en="", submitted_by=("Germany",), kind="report", date="2014-03-17",
                      meeting="Preparatory Committee for the 2015 Review Conference of the Parties to the Treaty on "
                              "the Non-Proliferation of Nuclear Weapons, third session, New York")
    assert "（发言，大会第七十六届会议，一般性辩论，纽约，2021年9月）" in citation(angola, para("4", doc="ago"), "zh")
    assert "（报告，不扩散核武器条约缔约国 2015 年审议大会筹备委员会第三届会议，纽约，" in citation(report, None, "zh")
    # a meeting outside the UN series' words keeps its English name whole, not half translated
    council = Document(id="hrc", file="f", title="t", title_en="", submitted_by=("Angola",), meeting="Human Rights Council, Geneva")
    assert "Human Rights Council, Geneva" in citation(council, None, "zh")
    assert "(statement, General Assembly, seventy-sixth session, general debate, New York," in citation(angola, None)


def test_speaker_is_submitter_when_text_is_its_own():
    assert speaker(SWEDEN, para("1")) == "Sweden"


def test_display_label_forms():
    assert display_label("12") == "para. 12"
    assert display_label("II.5") == "annex II, para. 5"
    assert display_label("23.a") == "para. 23 (a)"
    assert display_label("I.23.a", "zh") == "附件一第23段(a)项"


def test_sentence_spans_split_on_chinese_sentence_ends_and_keep_text_verbatim():
    text = "第一句话。第二句话；第三句“引语。”最后"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["第一句话。", "第二句话；", "第三句“引语。”", "最后"]


def test_best_span_picks_highest_scoring_sentence():
    spans = [(0, 5), (5, 10), (10, 15)]
    assert best_span(spans, [0.1, 0.9, 0.2], 15) == (5, 10)


def test_double_quotes_inside_a_title_become_single_in_the_citation():
    doc = Document(id="d", file="f", title="t", title_en='Through a "stepping stone" approach', submitted_by=("Sweden",))
    assert "\"Through a 'stepping stone' approach\"" in citation(doc, para("1", doc="d"))


def test_unnumbered_paragraph_is_cited_by_page_section_and_place_never_as_a_number():
    p = Paragraph(id="d:7", doc="d", label="7", section="Background › Introduction", text="x", position=9,
                  numbered=False, ordinal=3, page=4)
    assert where(p) == "p. 4, 3rd paragraph under “Introduction”"
    assert where(p, "zh") == "第4页，“Introduction”下第3自然段"
    assert "para." not in citation(SWEDEN, p) and "第7段" not in citation(SWEDEN, p, "zh")


def test_unnumbered_paragraph_of_an_unpaged_text_without_headings_is_cited_by_its_place():
    p = Paragraph(id="d:12", doc="d", label="12", section="", text="x", position=12, numbered=False, ordinal=12)
    assert where(p) == "12th paragraph" and where(p, "zh") == "第12自然段"


def test_numbered_paragraph_keeps_its_printed_number():
    p = Paragraph(id="d:I.12", doc="d", label="I.12", section="s", text="x", position=1, numbered=True, ordinal=2,
                  page=3, part="I")
    assert where(p) == "annex I, para. 12" and where(p, "zh") == "附件一第12段"


def test_real_documents_cite_unnumbered_paragraphs_by_place_and_numbered_ones_by_number(corpus):
    stepping = corpus.paragraph("sweden-2019:27")
    assert not stepping.numbered and where(stepping).endswith("paragraph under “采取“垫脚石”办法的理由”")
    assert where(corpus.paragraph("japan-2018:I.26.a")) == "annex I, para. 26 (a)"


def test_a_passage_has_the_one_shape_the_api_declares(corpus) -> None:
    from qa.web.api import Passage

    p = corpus.searchable()[0]
    shaped = passage_json(p, corpus.document(p.doc), (0, 5))
    assert list(shaped) == [name for name, _, _ in PASSAGE_FIELDS] == list(Passage.model_fields)
    assert Passage(**shaped).model_dump() == shaped

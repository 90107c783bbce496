"""Segmentation on the real working papers, and properties that hold for any text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import shared_file
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.documents.corpus import Corpus
from qa.documents.paragraph import Paragraph
from qa.documents.segmentation import paragraphs, segment
from qa.parties.citation import display_label

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
UNGDC_DEV = ROOT.parent / "shared" / "eval" / "ungdc-2021-dev.jsonl"


def _ws(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _find(corpus: Corpus, doc: str, fragment: str) -> list[str]:
    """Labels of the searchable paragraphs of `doc` that contain `fragment` (whitespace ignored)."""
    return [p.label for p in corpus.paragraphs_of(doc) if p.searchable and _ws(fragment) in _ws(p.text)]


# --- page breaks and paragraph boundaries ------------------------------------------------------------------


def test_paragraph_cut_mid_word_by_page_break_is_whole(corpus: Corpus) -> None:
    assert _find(corpus, "japan-2018", "促进《条约》生效的努力也很重要，特别是在让朝鲜") == ["II.36"]
    assert _find(corpus, "japan-2018", "核武器只是威慑武器，不是战争武器") == ["II.26"]
    assert _find(corpus, "japan-2018", "各国及其他行为体感到不需要拥有核武器") == ["II.47"]


def test_paragraph_cut_by_page_break_with_footnote_between_is_whole(corpus: Corpus) -> None:
    assert _find(corpus, "japan-2018", "核武器的继续存在可能导致巨大的人道主义后果") == ["II.15"]
    footnote = corpus.paragraph("japan-2018:II.fn1")
    assert footnote.kind == "footnote" and footnote.text.startswith("[1] 如何界定")
    assert "如何界定" not in corpus.paragraph("japan-2018:II.15").text


def test_page_break_continuation_that_starts_with_a_space_is_joined(corpus: Corpus) -> None:
    assert _find(corpus, "russia-2022", "只有在广泛的国际战线上在这一领域取得进展") == ["25"]


def test_numbered_paragraph_continued_after_semicolon_on_next_page_is_whole(corpus: Corpus) -> None:
    assert _find(corpus, "japan-2018", "扭转当前的消极趋势；第二步") == ["II.20"]


def test_hard_wrapped_lines_join_into_one_paragraph(corpus: Corpus) -> None:
    assert _find(corpus, "sweden-2019", "是当今全球安全环境最令人忧心的一个方面") == ["1"]
    assert _find(corpus, "unidir-2021", "本文件中列出的所有行动并非都可以同时进行") == ["1"]


def test_separate_paragraphs_stay_separate(corpus: Corpus) -> None:
    p = corpus.paragraph("russia-2022:7")
    assert p.text.endswith("这一看似显而易见的公理常常受到质疑。")
    assert corpus.paragraph("russia-2022:8").text.startswith("对整体裁军问题")
    assert corpus.paragraph("sweden-2019:8").text.endswith("提案必须考虑到现有的安全环境。")
    assert corpus.paragraph("sweden-2019:9").text.startswith("《不扩散条约》是全球裁军")


def test_list_items_are_their_own_passages(corpus: Corpus) -> None:
    items = [p for p in corpus.paragraphs_of("russia-2022") if p.kind == "item"]
    assert len(items) == 5 and all(p.text.startswith("–") for p in items)
    assert corpus.paragraph("p5-2021:3").text.endswith("有助于在适用和适当情况下确定最终达成军备控制协定的途径。")


def test_plain_short_lines_are_headings_with_parent_for_repeated_ones(corpus: Corpus) -> None:
    p = corpus.paragraph("unidir-2021:8")
    assert p.section == "巩固不使用核武器 › 为什么？"
    assert corpus.paragraph("sweden-2019:20").section == "采取“垫脚石”办法的理由"
    assert not any(p.searchable for p in corpus.paragraphs_of("unidir-2021") if p.text in ("为什么？", "参与者"))


def test_boilerplate_is_not_searchable(corpus: Corpus) -> None:
    searchable = " ".join(p.text for p in corpus.searchable())
    for junk in ("www.unidir.org", "@unidirgeneva", "Nobumasa Akiyama", "Original: English", "---", "©",
                 "提交的工作文件", "https://doi.org"):
        assert junk not in searchable, junk


def test_markup_is_stripped(corpus: Corpus) -> None:
    for p in corpus.paragraphs:
        assert "**" not in p.text and "<sup>" not in p.text and not p.text.startswith("#"), p.id
    assert corpus.paragraph("p5-2021:4").text.startswith("增强清晰度、沟通和谅解。某些")


# --- labels and ids ----------------------------------------------------------------------------------------


def test_seed_paragraph_ids_are_those_of_the_chinese_segmenter(corpus: Corpus) -> None:
    """The ids cited in answers, drafts and the dev set stay valid: the list was written by the segmenter
    before English support (tests/seed_ids.txt)."""
    expected = (Path(__file__).parent / "seed_ids.txt").read_text(encoding="utf-8").split()
    assert [p.id for p in corpus.paragraphs] == expected


def test_numbered_paragraphs_keep_their_number_and_restart_in_annex(corpus: Corpus) -> None:
    p = corpus.paragraph("japan-2018:I.12")
    assert p.text.startswith("12. 不扩散条约的所有缔约国") and p.part == "I"
    assert corpus.paragraph("japan-2018:II.12").text.startswith("12. 另一未决难题")
    assert corpus.paragraph("japan-2018:I.23.b").text.startswith("(b) 合作开发")
    assert corpus.paragraph("japan-2018:II.33.e.2").text.startswith("(二)")
    assert corpus.paragraph("japan-2018:II.33.f").text.startswith("(f)")


def test_unnumbered_documents_count_paragraphs_in_order(corpus: Corpus) -> None:
    labels = [p.label for p in corpus.paragraphs_of("russia-2022") if p.searchable]
    assert labels == [str(i) for i in range(1, len(labels) + 1)]


def test_labels_are_anchor_safe_and_unique(corpus: Corpus) -> None:
    for d in corpus.documents:
        labels = [p.label for p in corpus.paragraphs_of(d.id)]
        assert len(labels) == len(set(labels)), d.id
        assert all(re.fullmatch(r"[A-Za-z0-9.-]+", x) for x in labels), d.id
        assert all(p.id == f"{d.id}:{p.label}" for p in corpus.paragraphs_of(d.id))


def test_display_label_reads_as_a_citation() -> None:
    assert display_label("II.12") == "annex II, para. 12"
    assert display_label("II.12", "zh") == "附件二第12段"
    assert display_label("23.a") == "para. 23 (a)"
    assert display_label("I.fn1") == "annex I, footnote 1"
    assert display_label("7") == "para. 7"


# --- gold quotes (diagnostic from the shared dev set) ------------------------------------------------------


def test_every_gold_quote_lies_inside_one_searchable_paragraph(corpus: Corpus) -> None:
    files = {d.file: d.id for d in corpus.documents}
    missing = []
    for line in shared_file(DEV).read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        for quote, file in zip(q["gold"], q["docs"]):
            if not _find(corpus, files[file], quote):
                missing.append((q["id"], quote))
    assert missing == []


# --- properties for any text -------------------------------------------------------------------------------

_MARKUP = re.compile(r"<sup>|</sup>|\*\*|\\(?=[*#_\-\\])")


def _source_lines(text: str) -> dict[int, str]:
    """Each non-blank line's characters minus whitespace and markup (leading #, list dash, rules)."""
    out = {}
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if re.fullmatch(r"([-*_])(\s*\1){2,}", s):
            out[no] = ""  # a rule is markup: it must be accounted for, but has no characters to keep
            continue
        s = re.sub(r"^#{1,6}(?=\s|$)", "", s)
        s = re.sub(r"^[-*+]\s+", "", s)
        s = re.sub(r"(?<=[A-Za-z])-$", "", s)  # a hyphen at a line end may be dropped when the word is joined
        out[no] = _ws(_MARKUP.sub("", s)).replace("\t", "")
    return out


def _is_subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(c in it for c in needle)


_alphabet = st.sampled_from(list("核武器国家条约。，；：？“”（）()abc ABC12. \t") + ["\n", "\n\n", " 1. ", "(a) ", "– ",
                                                                          "• ", "# ", "**", "<sup>1</sup>", "---\n",
                                                                          "\\* ", "附件一\n", "www.x.org"])


_english = st.sampled_from([
    "Mr. President,\n", "Excellencies,\n", "The Treaty", " is key", ". ", "the ", "of ", "and", "transpa-\n",
    "rency", "nuclear-\n", "weapon", "Non-\n", "Proliferation", "\n", "\n\n", "\f", "2/11      14-26773\n",
    "NPT/CONF.2015/PC.III/2\n", "1.\t", "17.", "(1) ", "(a) ", "o Word", "...", "… ", "• ", "-\t", "- ",
    "I. Nuclear disarmament\n", "Action 1\n", "Report submitted by Germany\n", "Third session\n", "www.un.org",
    "mankind.2 It", ";", ":", "?", "!", "“", "”", "(", ")", "A", "b", " ", "\t", "**", "<sup>1</sup>", "3/11  GE.14",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=200).map("".join))
def test_segmentation_loses_no_character_and_keeps_order(text: str) -> None:
    _assert_no_character_lost(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_english, max_size=200).map("".join))
def test_english_segmentation_loses_no_character_and_keeps_order(text: str) -> None:
    _assert_no_character_lost(text)


def _assert_no_character_lost(text: str) -> None:
    """Every non-blank source line is in exactly one segment, whose text holds the line's characters in order
    (whitespace and the markup `clean_markup` drops aside), and segments come in source order."""
    lines = _source_lines(text)
    segs = segment(text)
    covered = [n for s in segs for n in s.lines]
    assert sorted(covered) == sorted(lines), "every non-blank source line belongs to exactly one segment"
    assert len(covered) == len(set(covered)), "a source line used twice"
    for s in segs:
        expected = "".join(lines.get(n, "") for n in s.lines)
        assert _is_subsequence(expected, _ws(s.text)), (expected, s.text)
    firsts = [s.lines[0] for s in segs]
    assert firsts == sorted(firsts)


@settings(max_examples=100, deadline=None)
@given(st.lists(_alphabet, max_size=150).map("".join))
def test_ids_are_identical_on_rerun(text: str) -> None:
    assert [p.id for p in paragraphs("doc", text)] == [p.id for p in paragraphs("doc", text)]


def test_real_documents_lose_no_character(corpus: Corpus) -> None:
    for d in corpus.documents:
        text = (corpus.path / d.file).read_text(encoding="utf-8")
        lines = _source_lines(text)
        segs = segment(text)
        assert sorted(n for s in segs for n in s.lines) == sorted(lines), d.id
        for s in segs:
            assert _is_subsequence("".join(lines[n] for n in s.lines), _ws(s.text)), (d.id, s.lines)


# --- English documents: the NPT 2014 PDF export ------------------------------------------------------------

GERMANY = "texts/2.txt"


def _label_map(ps: tuple[Paragraph, ...]) -> dict[str, Paragraph]:
    return {p.label: p for p in ps}


def test_numbered_labels_equal_the_printed_numbers(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    numbered = [(file, p) for file, ps in npt.items() for p in ps if p.numbered and p.kind == "paragraph"]
    assert len(numbered) > 500
    for file, p in numbered:
        printed = re.match(r"(\d+)\.", p.text)
        assert printed is not None and p.label == printed.group(1), (file, p.label, p.text[:30])
    items = [(file, p) for file, ps in npt.items() for p in ps if p.numbered and p.kind == "item"]
    assert len(items) > 50
    for file, p in items:  # an item hangs under the printed number of its paragraph: '3.1', '13.4'
        assert any(q.label == p.label.split(".")[0] and q.kind == "paragraph" for q in npt[file]), (file, p.label)
    germany = [p.label for p in npt[GERMANY] if p.numbered]
    assert germany == [str(i) for i in range(1, 57)]


def test_every_printed_paragraph_number_starts_its_own_paragraph(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    for file, ps in npt.items():
        numbers = sorted(int(p.label) for p in ps if p.numbered and p.label.isdigit())
        assert numbers == list(range(1, len(numbers) + 1)), file


def test_un_header_block_and_title_are_not_searchable(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    germany = npt[GERMANY]
    searchable = " ".join(p.text for p in germany if p.searchable)
    for junk in ("Third session", "New York, 28 April-9 May 2014", "Report submitted by Germany",
                 "previous Review Conference outcomes"):
        assert junk not in searchable, junk
    assert [p.text for p in germany if p.kind == "heading"][:4] == [
        "Introduction", "Article-by-article review, including the 13 practical steps", "I. Nuclear disarmament",
        "Action 1"]


def test_numbered_sub_heading_is_a_heading_not_paragraph_1(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    usa = _label_map(npt["texts/16.txt"])
    assert usa["2"].section == "1. Nuclear policy" and usa["2"].text.startswith("2. United States policy is")
    assert "1-2" not in usa


def test_wrapped_list_items_and_a_dash_inside_a_sentence(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    russia = _label_map(npt["texts/17.txt"])
    assert russia["108"].text.endswith("from 5 countries - Germany, Poland, Uzbekistan, Kazakhstan and Belarus.")
    items = [p for p in npt["texts/16.txt"] if p.kind == "item" and p.label.startswith("3.")]
    assert len(items) == 6 and items[0].text.startswith("• The fundamental role")


def test_ordinal_counts_paragraphs_under_their_heading(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    germany = _label_map(npt[GERMANY])
    assert [(germany[x].section, germany[x].ordinal) for x in ("1", "3", "6", "7", "8")] == [
        ("Introduction", 1), ("Introduction", 3), ("Introduction", 6), ("Action 1", 1), ("Action 2", 1)]
    assert all(p.ordinal == 0 for p in npt[GERMANY] if not p.searchable)


# --- English documents: the UN General Debate statements ---------------------------------------------------


def test_paragraph_broken_mid_sentence_is_joined(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    for file, fragment in (("texts/PNG_76_2021.txt", "join other global leaders in addressing the General"),
                           ("texts/TLS_76_2021.txt", "feel increasingly confident in our right"),
                           ("texts/KOR_76_2021.txt", "love of humankind and by solidarity"),
                           ("texts/TUR_76_2021.txt", "so that the General Assembly can carry out")):
        assert len([p for p in ungdc[file] if p.searchable and fragment in p.text]) == 1, file


def test_ellipsis_fragments_one_per_line_join_into_one_paragraph(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    hits = [p for p in ungdc["texts/AUS_76_2021.txt"] if "The changes we face are many" in p.text]
    assert len(hits) == 1 and hits[0].text.endswith("... and indeed, economic coercion.")


def test_salutations_are_not_searchable(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    searchable = {p.text for ps in ungdc.values() for p in ps if p.searchable}
    for salutation in ("Mr. President,", "Mr President,", "Excellencies,", "Ladies and Gentlemen,",
                       "Distinguished Delegates", "Mr. President, Distinguished delegates,"):
        assert salutation not in searchable, salutation
    benin = ungdc["texts/BEN_76_2021.txt"]
    assert [p.kind for p in benin[:5]] == ["salutation"] * 4 + ["paragraph"]
    assert benin[9].kind == "salutation" and benin[10].text.startswith("For some time now")
    assert sum(p.kind == "salutation" for ps in ungdc.values() for p in ps) > 500


def test_bullets_after_a_tab_are_items(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    benin = [p for p in ungdc["texts/BEN_76_2021.txt"] if p.kind == "item"]
    assert benin[0].text == "Terrorism, which is a genuine threat on its northern borders,"
    assert "health care via the system of insurance for the strengthening of human capital" in benin[4].text


def test_stray_paragraph_number_does_not_make_a_speech_numbered(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    thailand = [p for p in ungdc["texts/THA_76_2021.txt"] if p.searchable]
    assert [p.label for p in thailand] == [str(i) for i in range(1, len(thailand) + 1)]
    assert not any(p.numbered for p in thailand)
    assert not any(p.numbered for ps in ungdc.values() for p in ps)


def test_glued_footnote_number_is_kept_as_text(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    assert any("mankind.2 It sees" in p.text for p in ungdc["texts/VAT_76_2021.txt"] if p.searchable)


def test_every_ungdc_gold_quote_lies_inside_one_searchable_paragraph(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    missing = []
    for line in shared_file(UNGDC_DEV).read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        for quote, file in zip(q["gold"], q["docs"]):
            if len([p for p in ungdc[file] if p.searchable and _ws(quote) in _ws(p.text)]) != 1:
                missing.append((q["id"], quote))
    assert missing == []


def test_chinese_seed_paragraphs_are_never_numbered_by_count(corpus: Corpus) -> None:
    assert corpus.paragraph("japan-2018:I.12").numbered and corpus.paragraph("japan-2018:I.23.b").numbered
    assert not any(p.numbered for p in corpus.paragraphs_of("russia-2022"))
    assert not corpus.paragraph("japan-2018:II.fn1").numbered


def test_un_document_header_lines_are_boilerplate() -> None:
    text = ("A/76/123\n\nDistr.: General\n17 March 2021\n\nOriginal: English\n\nSeventy-sixth session\n"
            "Item 98 of the provisional agenda\nGeneral and complete disarmament\n\n"
            "Report submitted by Germany\n\n1. Germany considers the Treaty the cornerstone of disarmament.\n")
    ps = paragraphs("d", text)
    assert [p.text for p in ps if p.searchable] == ["1. Germany considers the Treaty the cornerstone of disarmament."]
    kinds = {p.text: p.kind for p in ps}
    for line in ("A/76/123", "Distr.: General", "17 March 2021", "Original: English", "Seventy-sixth session",
                 "Item 98 of the provisional agenda", "Report submitted by Germany"):
        assert kinds[line] == "boilerplate", line


# --- UN layout rules, on tiny texts in the layout of a UN document's PDF export ----------------------------

_SYMBOL = "NPT/CONF.2015/PC.III/99"
_MASTHEAD = f"{_SYMBOL}\n\nThird session\n\nNew York, 28 April-9 May 2014\n\n"


def _page_break(page: int) -> str:
    return f"\n\n{page}/20                                                  14-30999\n\n{_SYMBOL}\n\n"


def _section_of(text: str, start: str) -> str:
    """The section of the one searchable paragraph of `text` that starts with `start`."""
    [section] = [p.section for p in paragraphs("d", text) if p.searchable and p.text.startswith(start)]
    return section


def test_short_heading_just_before_the_page_footer_heads_the_next_page() -> None:
    text = (_MASTHEAD + "Report submitted by Ruritania\n\nAction 1\n\n"
            "All States parties commit to pursue policies that are fully compatible with\n"
            "the Treaty and the objective of achieving a world without nuclear weapons.\n\n"
            "(1) The Government continues to adhere to a basic policy of observing the\n"
            "principles of not possessing, not manufacturing or not permitting the\n"
            "introduction of nuclear weapons into its territory at any time.\n\n"
            "Action 2\n" + _page_break(1) +
            "All States parties commit to apply the principles of irreversibility,\n"
            "verifiability and transparency in relation to the implementation of their\n"
            "treaty obligations.\n\n"
            "(1) The Government submits this report on the implementation of the action\n"
            "plan in order to enhance transparency and to build confidence among States.\n")
    ps = paragraphs("d", text)
    assert [p.text for p in ps if p.kind == "heading"] == ["Action 1", "Action 2"]
    assert _section_of(text, "All States parties commit to apply") == "Action 2"
    assert _section_of(text, "(1) The Government submits") == "Action 2"


# Action 5 of a report's action plan, up to the clause its last line completes, and action 6's text
_ACTION_5 = (_MASTHEAD + "Report submitted by Ruritania\n\nAction 5\n\n"
             "The nuclear-weapon States commit to accelerate concrete progress on the\n"
             "steps leading to nuclear disarmament, in a way that promotes international\n")
_CD_BODY = ("All States agree that the Conference on Disarmament should immediately\n"
            "establish a subsidiary body to deal with nuclear disarmament, within the\n"
            "context of an agreed, comprehensive and balanced programme of work.\n")


def test_short_heading_after_a_paragraph_that_ends_in_a_colon_starts_its_own_section() -> None:
    text = (_ACTION_5 + "stability. To that end, they are called upon to promptly engage with a\n"
            "view to, inter alia:\n\n"
            "Action 6\n\n" + _CD_BODY + "\n"
            "(1) The Government supports the programme of work of the Conference on\n"
            "Disarmament adopted in 2009 and makes every effort to adopt a programme.\n")
    ps = paragraphs("d", text)
    assert [p.text for p in ps if p.kind == "heading"] == ["Action 5", "Action 6"]
    assert next(p.text for p in ps if p.searchable).endswith("with a view to, inter alia:")
    assert _section_of(text, "All States agree") == "Action 6"
    assert _section_of(text, "(1) The Government supports") == "Action 6"


def test_lines_after_a_colon_that_read_as_a_list_stay_in_the_paragraph() -> None:
    text = (_ACTION_5 + "stability. To that end, they are called upon to engage with the following\n"
            "States, inter alia:\n\n"
            "Austria\n\nBrazil\n\n" + _CD_BODY)
    ps = paragraphs("d", text)
    assert [p.text for p in ps if p.kind == "heading"] == ["Action 5"]


def _actions(count: int) -> str:
    """`count` unnumbered sections, each a short heading over two paragraphs, every line distinct."""
    return "".join(
        f"Action {n}\n\n"
        f"All States parties commit under action {n} to pursue policies that are fully\n"
        "compatible with the Treaty and the objective of a world without nuclear weapons.\n\n"
        f"The Government reports on action {n} that it continues to adhere to a basic\n"
        "policy of not possessing, not manufacturing or not permitting the introduction\n"
        "of nuclear weapons into its territory.\n\n" for n in range(1, count + 1))


def test_numbered_introduction_before_unnumbered_sections_is_cited_by_its_numbers() -> None:
    text = (_MASTHEAD + "Report submitted by Ruritania\n\n"
            "1. Ruritania is committed to the Treaty as the essential foundation for the\n"
            "achievement of nuclear disarmament and of the peaceful uses of nuclear energy.\n\n"
            "2. Ruritania submits the present report pursuant to action 20 of the action\n"
            "plan regarding regular reports, contained in the Final Document.\n\n"
            "3. Ruritania calls upon all States parties that have not yet done so to submit\n"
            "regular reports during this review process.\n\n" + _actions(6))
    ps = [p for p in paragraphs("d", text) if p.searchable]
    assert [(p.label, p.numbered) for p in ps[:3]] == [("1", True), ("2", True), ("3", True)]
    assert [display_label(p.label) for p in ps[:3]] == ["para. 1", "para. 2", "para. 3"]
    assert not any(p.numbered for p in ps[3:]) and len(ps) == 15


def test_short_numbered_list_of_phrases_in_prose_does_not_number_the_text() -> None:
    text = (_MASTHEAD + "Report submitted by Ruritania\n\n"
            "The Government has three priorities for the recovery of the country, which\n"
            "it pursues with its partners in the region and beyond. They are to:\n\n"
            "1. Preserve the livelihoods of the poorest and those who lost their jobs;\n\n"
            "2. Put in place short-, medium- and long-term recovery measures;\n\n"
            "3. Put technology at the centre of all social activities.\n\n" + _actions(6))
    assert not any(p.numbered for p in paragraphs("d", text))


def test_session_line_of_the_masthead_in_title_case_is_boilerplate_not_a_heading() -> None:
    text = (f"{_SYMBOL}\n\nThird Session\n\nNew York, 28 April-9 May 2014\n\n"
            "Implementation of the Treaty on the Non-Proliferation of Nuclear Weapons\n\n"
            "Submitted by Ruritania\n\n"
            "As called for in the action plan of the 2010 Review Conference, the States\n"
            "parties are working to implement action 5 and to submit national reports on\n"
            "their implementation of action 5 and other undertakings.\n\n" + _actions(2))
    ps = paragraphs("d", text)
    assert next(p for p in ps if p.text == "Third Session").kind == "boilerplate"
    assert _section_of(text, "As called for") == ""


def test_inline_list_wrapped_onto_a_line_that_starts_with_its_next_marker_stays_one_paragraph() -> None:
    text = (_MASTHEAD + "Report submitted by Ruritania\n\n"
            "11. Ruritania participates actively in the United Nations forums that deal\n"
            "with the issue of nuclear disarmament. It has submitted the following draft\n"
            "texts: (i) Taking forward multilateral nuclear disarmament negotiations; (ii)\n"
            "Towards a nuclear-weapon-free world (iii) Comprehensive Nuclear-Test-Ban Treaty;\n"
            "(iv) Consolidation of the regime established by the Treaty of Tlatelolco;\n"
            "(v) United Nations study on disarmament and non-proliferation education, and\n"
            "(vi) United Nations Disarmament Information Programme.\n\n"
            "12. In addition, the impasse in the Conference on Disarmament has directly\n"
            "affected compliance with the Treaty on the Non-Proliferation of Nuclear Weapons.\n\n"
            "13. The Government considers that the Conference should adopt a programme of\n"
            "work and begin negotiations on a treaty banning nuclear weapons without delay.\n\n"
            "14. The Government will continue to promote the work of the Conference in all\n"
            "the forums of the United Nations that deal with nuclear disarmament.\n")
    ps = [p for p in paragraphs("d", text) if p.searchable]
    assert [p.label for p in ps] == ["11", "12", "13", "14"]
    assert ps[0].text.endswith("(vi) United Nations Disarmament Information Programme.")


def test_list_that_starts_at_a_line_start_is_split_into_items() -> None:
    text = (_MASTHEAD + "Report submitted by Ruritania\n\n"
            "11. Ruritania participates actively in the United Nations forums that deal\n"
            "with the issue of nuclear disarmament. It has submitted the following texts:\n"
            "(i) Taking forward multilateral nuclear disarmament negotiations;\n"
            "(ii) Towards a nuclear-weapon-free world;\n"
            "(iii) Comprehensive Nuclear-Test-Ban Treaty.\n\n"
            "12. In addition, the impasse in the Conference on Disarmament has directly\n"
            "affected compliance with the Treaty on the Non-Proliferation of Nuclear Weapons.\n\n"
            "13. The Government considers that the Conference should adopt a programme of\n"
            "work and begin negotiations on a treaty banning nuclear weapons without delay.\n")
    assert [p.label for p in paragraphs("d", text) if p.searchable] == ["11", "11.i", "11.ii", "11.iii", "12", "13"]


def test_a_verbatim_records_note_on_the_speakers_language_is_neither_a_heading_nor_the_speakers_text() -> None:
    text = ("We thank the President for his leadership. That appeal is very special for us all.\n"
            "(spoke in Russian)\n"
            "“That could lead to the collapse of the entire architecture of international relations. Then we would "
            "indeed be left with no rules beyond might is right.”\n"
            "(spoke in Ukrainian; English interpretation provided by the delegation)\n"
            "I spoke in Russian because I was quoting a statement delivered in Munich in 2007.\n")
    ps = paragraphs("d", text)
    assert {p.text for p in ps if p.kind == "boilerplate"} == {
        "(spoke in Russian)", "(spoke in Ukrainian; English interpretation provided by the delegation)"}
    assert all("spoke in Ukrainian" not in p.text for p in ps if p.searchable)
    assert _section_of(text, "“That could") == "" and _section_of(text, "I spoke in Russian") == ""
    zh = "我们感谢主席。\n（以法语发言）\n我们支持这项倡议。\n"
    assert [p.text for p in paragraphs("d", zh) if p.kind == "boilerplate"] == ["（以法语发言）"]

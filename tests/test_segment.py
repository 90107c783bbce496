"""Segmentation on the real working papers, and properties that hold for any text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.citation import display_label
from qa.corpus import Corpus
from qa.segment import paragraphs, segment

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


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


@pytest.mark.skipif(not DEV.exists(), reason="shared dev set not present")
def test_every_gold_quote_lies_inside_one_searchable_paragraph(corpus: Corpus) -> None:
    files = {d.file: d.id for d in corpus.documents}
    missing = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
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
        out[no] = _ws(_MARKUP.sub("", s)).replace("\t", "")
    return out


def _is_subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(c in it for c in needle)


_alphabet = st.sampled_from(list("核武器国家条约。，；：？“”（）()abc ABC12. \t") + ["\n", "\n\n", " 1. ", "(a) ", "– ",
                                                                          "• ", "# ", "**", "<sup>1</sup>", "---\n",
                                                                          "\\* ", "附件一\n", "www.x.org"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_alphabet, max_size=200).map("".join))
def test_segmentation_loses_no_character_and_keeps_order(text: str) -> None:
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

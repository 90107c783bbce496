"""Page layout: page furniture, pages and hyphenation, on the real NPT 2014 export and tiny texts."""

from __future__ import annotations

import io
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from test_add import _pdf_bytes

from qa.documents.ingest import read_text
from qa.documents.layout import classify, split_lines
from qa.documents.paragraph import Paragraph
from qa.documents.segmentation import paragraphs

GERMANY = "texts/2.txt"  # NPT/CONF.2015/PC.III/2, 11 pages


def _by_label(ps: tuple[Paragraph, ...]) -> dict[str, Paragraph]:
    return {p.label: p for p in ps}


# --- page furniture on the real export ---------------------------------------------------------------------


def test_running_footer_and_header_are_furniture_not_text(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    germany = npt[GERMANY]
    furniture = [p.text for p in germany if p.kind == "furniture"]
    assert len(furniture) == 21  # 10 page breaks x (footer + symbol header) + the symbol on page 1
    assert all(not p.searchable for p in germany if p.kind == "furniture")
    assert sum(bool(re.fullmatch(r"\d+/11\s+14-26773", t)) for t in furniture) == 10


def test_no_searchable_npt_paragraph_holds_page_furniture(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    for file, ps in npt.items():
        for p in ps:
            if p.searchable:
                assert not re.search(r"\b\d{1,2}/\d{1,2}\s{5,}\d\d-\d{5}\b", p.text), (file, p.label)
                assert not re.search(r"NPT/CONF\.2015/PC\.III/\d+$", p.text), (file, p.label)


def test_paragraph_cut_by_page_break_is_whole_and_clean(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    p3 = _by_label(npt[GERMANY])["3"]
    assert "should increase transparency with respect to their arsenals" in p3.text
    assert p3.text.endswith("is in serious doubt.")
    assert "14-26773" not in p3.text and "PC.III" not in p3.text


def test_paragraphs_know_the_page_they_start_on(npt: dict[str, tuple[Paragraph, ...]]) -> None:
    germany = _by_label(npt[GERMANY])
    assert [germany[x].page for x in ("1", "3", "4", "8", "56")] == [1, 1, 2, 3, 11]
    assert all(p.page >= 1 for ps in npt.values() for p in ps if p.searchable)


def test_text_without_pages_has_page_zero(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    assert {p.page for ps in ungdc.values() for p in ps} == {0}


# --- pages from form feeds and from footers, on tiny texts -------------------------------------------------


def test_form_feeds_number_the_pages() -> None:
    text = "First page text ends here.\n\fSecond page text.\n\nStill page two.\fThird page."
    assert [p.page for p in paragraphs("d", text)] == [1, 2, 2, 3]


def test_paragraph_continued_over_a_form_feed_keeps_its_first_page() -> None:
    text = "1. The first paragraph runs over the\fpage break and ends here.\n2. The second one."
    ps = _by_label(paragraphs("d", text))
    assert ps["1"].text == "1. The first paragraph runs over the page break and ends here."
    assert (ps["1"].page, ps["2"].page) == (1, 2)


def _paged(pages: list[list[str]], footer: str) -> str:
    lines: list[str] = []
    for k, page in enumerate(pages, 1):
        lines += page + ["", footer.format(k=k, n=len(pages)), ""]
    return "\n".join(lines)


def test_page_number_footer_of_any_shape_is_furniture_and_breaks_pages() -> None:
    body = [f"{i}. Paragraph number {i} says something about the Treaty and ends here." for i in range(1, 31)]
    pages = [body[i:i + 10] for i in range(0, 30, 10)]
    for footer in ("- {k} -", "Page {k} of {n}", "{k}", "GE.18-06285    {k}/{n}"):
        ps = paragraphs("d", _paged(pages, footer))
        assert [p.page for p in ps if p.searchable] == [1] * 10 + [2] * 10 + [3] * 10, footer
        assert sum(p.kind == "furniture" for p in ps) == 3, footer


def test_numbers_in_a_table_are_not_page_numbers() -> None:
    text = "Contributions by year\n\n2010\n\n2011\n\n2012\n\nThe table shows the totals.\n\n1\n\n2\n\n3\n"
    assert not any(p.kind == "furniture" for p in paragraphs("d", text))
    assert {p.page for p in paragraphs("d", text)} == {0}


def test_repeated_salutation_is_not_page_furniture() -> None:
    text = "\n".join(["Mr. President,"] + [f"Paragraph {i} of the speech ends here." for i in range(20)]
                     + ["Mr. President,", "The last paragraph ends here.", "Mr. President,", "Thank you."])
    ps = paragraphs("d", text)
    assert [p.kind for p in ps if p.text == "Mr. President,"] == ["salutation"] * 3
    assert {p.page for p in ps} == {0}


def test_two_page_pdf_gives_each_paragraph_its_page(tmp_path: Path) -> None:
    writer = PdfWriter()
    for lines in (["1. The first page says one thing."], ["2. The second page says another."]):
        writer.add_page(PdfReader(io.BytesIO(_pdf_bytes(lines))).pages[0])
    path = tmp_path / "two.pdf"
    with path.open("wb") as f:
        writer.write(f)
    text = read_text(path)
    assert "\f" in text
    assert [(p.label, p.page) for p in paragraphs("d", text)] == [("1", 1), ("2", 2)]


# --- hyphenation across line ends --------------------------------------------------------------------------


def test_word_broken_by_a_hyphen_is_joined_when_the_text_knows_it_whole() -> None:
    text = "States should increase transpa-\nrency at once. Transparency builds trust and more transparency helps."
    assert paragraphs("d", text)[0].text.startswith("States should increase transparency at once.")


def test_real_hyphen_at_a_line_end_is_kept() -> None:
    text = "All nuclear-\nweapon States met. The nuclear-weapon States agreed, as the Non-\nProliferation Treaty asks."
    t = paragraphs("d", text)[0].text
    assert "All nuclear-weapon States met." in t and "the Non-Proliferation Treaty" in t


def test_broken_word_whose_halves_are_no_words_loses_its_hyphen() -> None:
    text = "We renew our com-\nmitment to the Treaty and to disarmament today."
    assert paragraphs("d", text)[0].text == "We renew our commitment to the Treaty and to disarmament today."


def test_hard_wrapped_english_lines_join_with_one_space() -> None:
    text = ("1. While Germany is firmly committed to its obligations within the North Atlantic\n"
            "Treaty Organization\n(NATO) alliance, it is resolved to help create the conditions for a world\n"
            "without nuclear weapons in accordance with the goals of the Non-Proliferation\n"
            "Treaty. Within this context, a new disarmament round between the United States\n"
            "of America and the Russian Federation should begin as soon as possible and\n"
            "should also address substrategic nuclear weapons.\n\n2. It is resolved to help.")
    first = paragraphs("d", text)[0].text
    assert "North Atlantic Treaty Organization (NATO) alliance, it is" in first
    assert "the Non-Proliferation Treaty. Within" in first and first.endswith("substrategic nuclear weapons.")


def test_chinese_pdf_export_ends_a_paragraph_at_a_short_line_before_a_blank_one() -> None:
    """A Chinese PDF export: lines filled to 30 characters, blank lines between paragraphs, the running header
    and footer every 12 lines, inside paragraphs too. An unpunctuated paragraph and the heading 序言 stand
    alone; a paragraph cut by a page break, or a line stopping on 和 before a blank line, goes on."""
    sentence = "核武器国家认识到自身有责任合作努力减少核冲突风险，包括减少核国家之间发生武装冲突的风险。"
    title = "建立信任措施和危机管理工具及其在五核国进程中的作用与前景展望以及各方的贡献"
    blocks = [title, "序言", *(f"第{n}段" + "各国" * n + sentence * 3 for n in range(1, 7))]
    lines: list[str] = []
    for block in blocks:
        lines += [block[i:i + 30] for i in range(0, len(block), 30)] + [""]
    cut = lines.index("第4段" + "各国" * 4 + sentence[:19]) + 1  # a short line that stops on 和, then a blank line
    lines[cut:cut] = ["动用核武器的国家和", ""]
    pages = [lines[i:i + 12] for i in range(0, len(lines), 12)]
    text: list[str] = ["NPT/CONF.2020/PC.III/WP.99", ""]
    for k, page in enumerate(pages, 1):
        text += page + (["", f"{k}/{len(pages)}" + " " * 40 + "19-07001 (C)", "", "NPT/CONF.2020/PC.III/WP.99", ""]
                        if k < len(pages) else [])
    found = [(p.label, p.text) for p in paragraphs("d", "\n".join(text))]
    texts = [t for _, t in found]
    assert title in texts and any(t == "序言" and label.startswith("h") for label, t in found), found
    body = [t for t in texts if t.startswith("第")]
    assert len(body) == 6 and all(t.endswith(sentence) and "NPT" not in t for t in body), found
    assert "动用核武器的国家和" + sentence[19:] in body[3], body[3]


def test_a_wrapped_chinese_line_opening_on_a_names_middle_dot_goes_on_with_its_sentence() -> None:
    words = "国际社会对无核武器国家表明核野心的企图原则上应作出强烈反应而各国在裁军领域负有共同责任需要通过对话增进相互谅解并审查各种办法"
    filler = "".join(words[i % len(words)] + words[(3 * i) % len(words)] for i in range(200))  # no two lines alike
    paragraph = filler[:115] + "弗拉基米尔·泽连斯基的声明几乎没有得到回应。" + filler[:80] + "。"
    text = "\n".join([paragraph[i:i + 30] for i in range(0, len(paragraph), 30)] + ["", "· 第二项措施是加强透明度。"])
    assert text.splitlines()[4].startswith("·泽连斯基")
    found = [p.text for p in paragraphs("d", text)]
    assert found[0] == paragraph and found[1].endswith("第二项措施是加强透明度。"), found


# --- properties --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab \t.1") + ["\n", "\r\n", "\r", "\f", "\x0b", "\x1c", "\x85",
                                                           "\u2028", "\u2029"]), max_size=60).map("".join))
def test_split_lines_is_str_splitlines_and_counts_form_feeds(text: str) -> None:
    lines, feeds = split_lines(text)
    assert lines == text.splitlines()
    assert len(feeds) == len(lines) and feeds == sorted(feeds)
    assert (feeds[-1] if feeds else 0) <= text.count("\f")


def test_classify_marks_the_blank_line_and_page_break_before_a_line() -> None:
    layout = classify("First line of text.\n\nSecond line.\nThird line.\f\nFourth line.")
    assert [(ln.blank_before, ln.page) for ln in layout.lines] == [(False, 1), (True, 1), (False, 1), (True, 2)]

"""Sentence splitting of Chinese, English and mixed paragraphs; on tiny texts and the real corpora."""

from __future__ import annotations

import json
import re

from conftest import SHARED, shared_file
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.documents.corpus import Corpus
from qa.documents.paragraph import Paragraph
from qa.text.sentences import LIST_CHARS, sentence_spans


def _split(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


# --- Chinese -----------------------------------------------------------------------------------------------


def test_chinese_sentence_ends_keep_their_closing_quotes() -> None:
    assert _split("第一句话。第二句话；第三句“引语。”最后") == ["第一句话。", "第二句话；", "第三句“引语。”", "最后"]


def test_chinese_exclamation_and_question_marks_end_sentences_full_or_half_width() -> None:
    assert _split("真的吗？是的！核武器!然后?再说") == ["真的吗？", "是的！", "核武器!", "然后?", "再说"]


def test_ascii_semicolon_between_chinese_clauses_ends_a_sentence() -> None:
    assert _split("加紧建设;制定核政策。") == ["加紧建设;", "制定核政策。"]


def test_mixed_chinese_and_english_split_by_each_language_rule() -> None:
    assert _split("中国支持《不扩散条约》。The U.S. agreed. 俄罗斯也同意。") == [
        "中国支持《不扩散条约》。", "The U.S. agreed.", "俄罗斯也同意。"]


# --- English -----------------------------------------------------------------------------------------------


def test_english_abbreviations_do_not_end_sentences() -> None:
    text = ("Mr. Smith met Dr. Jones and Prof. Lee on 3 Jan. 2021 at 10 a.m. in St. Louis. See para. 12, "
            "paras. 3-4, art. 6, Art. VI, vol. 2, p. 4, pp. 5-9, No. 7 and Nos. 8-9. The U.N. and the U.S. "
            "agreed, e.g. France, i.e. the host. It ended.")
    assert _split(text) == [
        "Mr. Smith met Dr. Jones and Prof. Lee on 3 Jan. 2021 at 10 a.m. in St. Louis.",
        "See para. 12, paras. 3-4, art. 6, Art. VI, vol. 2, p. 4, pp. 5-9, No. 7 and Nos. 8-9.",
        "The U.N. and the U.S. agreed, e.g. France, i.e. the host.",
        "It ended."]


def test_etc_ends_a_sentence_only_before_a_capital() -> None:
    assert _split("Arms, ammunition, etc. are listed. We note tanks, etc. The list is long.") == [
        "Arms, ammunition, etc. are listed.", "We note tanks, etc.", "The list is long."]


def test_initials_decimals_and_list_markers_do_not_end_sentences() -> None:
    assert _split("1. As Lewis A. Dunn wrote, 3.5 per cent. Version 2.0 of the text followed.") == [
        "1. As Lewis A. Dunn wrote, 3.5 per cent.", "Version 2.0 of the text followed."]
    assert _split("IV. Nuclear disarmament is the aim. It is near.") == [
        "IV. Nuclear disarmament is the aim.", "It is near."]


def test_question_and_exclamation_marks_and_quotes_end_english_sentences() -> None:
    assert _split('What future do we want? We can do good! "It demands," he said, "that we row." Then he left.') \
        == ["What future do we want?", "We can do good!", '"It demands," he said, "that we row."', "Then he left."]


def test_sentence_continues_after_a_stop_before_a_lower_case_word() -> None:
    assert _split("The talks opened at 9 a.m. and closed late. The U.S. delegation left.") == [
        "The talks opened at 9 a.m. and closed late.", "The U.S. delegation left."]


def test_ellipsis_inside_a_sentence_does_not_end_it() -> None:
    assert _split("The changes we face are many ... whether it is cyber ... or coercion. We act.") == [
        "The changes we face are many ... whether it is cyber ... or coercion.", "We act."]


def test_footnote_number_glued_to_a_stop_stays_with_its_sentence() -> None:
    assert _split("Hope is the most divine gift of mankind.2 It sees what will be.3 Hope “is fervent.”4 Amen.") == [
        "Hope is the most divine gift of mankind.2", "It sees what will be.3", "Hope “is fervent.”4", "Amen."]


def test_english_semicolon_does_not_end_a_short_sentence() -> None:
    assert _split("We must act; and act swiftly to close the gap. Then we rest.") == [
        "We must act; and act swiftly to close the gap.", "Then we rest."]


def test_long_english_list_splits_at_its_semicolons() -> None:
    items = [f"measure number {i} taken by the Government in the course of the year under review" for i in range(5)]
    text = "The measures include " + "; ".join(items) + ". That is all."
    assert len(text) > LIST_CHARS
    parts = _split(text)
    assert len(parts) == 6 and parts[0].endswith(";") and parts[-2].endswith("review.") and parts[-1] == "That is all."


# --- no text lost ------------------------------------------------------------------------------------------

_PIECES = st.sampled_from([
    "Mr.", "Dr.", "U.S.", "e.g.", "A.", "3.5", "1.", "...", "…", "etc.", "The", "treaty", "we", "2", " ", "  ", "\n",
    ".", "!", "?", ";", "”", "“", "\"", "(", ")", "。", "！", "？", "；", "核武器", "条约", "（", "）", "\t",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=80).map("".join))
def test_sentence_spans_lose_no_character_and_keep_order(text: str) -> None:
    spans = sentence_spans(text)
    pos = 0
    for s, e in spans:
        assert pos <= s < e and not text[pos:s].strip(), "only whitespace between sentences"
        assert text[s:e] == text[s:e].strip(), "spans are trimmed"
        pos = e
    assert not text[pos:].strip()
    assert re.sub(r"\s", "", "".join(text[s:e] for s, e in spans)) == re.sub(r"\s", "", text)


# --- real paragraphs ---------------------------------------------------------------------------------------


def test_seed_paragraphs_split_into_sentences_that_end_with_a_chinese_stop(corpus: Corpus) -> None:
    spans = [(p, s, e) for p in corpus.searchable() for s, e in sentence_spans(p.text)]
    ends = [p.text[s:e][-1] for p, s, e in spans if e < len(p.text)]  # every sentence but a paragraph's last
    assert len(ends) > 300 and set(ends) <= set("。！？；;!?”’」』）)")


def test_every_ungdc_gold_quote_lies_inside_one_sentence(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    missing = []
    for line in shared_file(SHARED / "eval" / "ungdc-2021-dev.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        for quote, file in zip(q["gold"], q["docs"]):
            needle = re.sub(r"\s+", "", quote)
            sentences = [re.sub(r"\s+", "", p.text[s:e]) for p in ungdc[file] if p.searchable
                         for s, e in sentence_spans(p.text)]
            if not any(needle in x for x in sentences):
                missing.append((q["id"], quote))
    assert missing == []


def test_english_abbreviations_never_end_a_real_sentence(ungdc: dict[str, tuple[Paragraph, ...]]) -> None:
    ends = [p.text[s:e] for ps in ungdc.values() for p in ps if p.searchable for s, e in sentence_spans(p.text)]
    assert len(ends) > 15000
    bad = [x[-20:] for x in ends if re.search(r"\b(?:Mr|Mrs|Ms|Dr|H\.E|U\.S|e\.g|i\.e|No|para|pp?)\.$", x)]
    assert bad == []


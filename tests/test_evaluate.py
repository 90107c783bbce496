"""The evaluator's judgement of the marked answering sentence: right when the sentence marked in the first passage
that hits holds a gold quote whole (whitespace aside, as passages are judged)."""

from __future__ import annotations

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.search.answer import Answer, Hit
from qa.search.evaluate import Question, score_question, summarise

TEXT = ("We welcome the entry into force of the Treaty on the Prohibition of Nuclear Weapons. "
        "The review conference must\nreach consensus on a final document.")
DOC = Document("d1", "a.txt", "t", "t", ("Ireland",), language="en", source="texts/IRL.txt")
OTHER = Paragraph("d1:1", "d1", "1", "", "Climate change is the defining issue of our time.", 0)
GOLD = Paragraph("d1:2", "d1", "2", "", TEXT, 1)
QUESTION = Question("q1", "en", "factual", "What must the review conference do?", "texts/IRL.txt",
                    ("texts/IRL.txt",), ("must reach consensus on a final document",), "Ireland")


def answer(span: tuple[int, int]) -> Answer:
    return Answer("q", (Hit(1, 1.0, OTHER, DOC), Hit(2, 0.9, GOLD, DOC, span)))


def test_the_marked_sentence_is_right_when_it_holds_the_quote() -> None:
    second = TEXT.index("The review")
    right = score_question(QUESTION, answer((second, len(TEXT))), {"d1": "texts/IRL.txt"})
    wrong = score_question(QUESTION, answer((0, second - 1)), {"d1": "texts/IRL.txt"})
    assert right["first_hit"] == wrong["first_hit"] == 2
    assert right["answer_sentence"] and not wrong["answer_sentence"]
    summary = summarise([right, wrong], [QUESTION], {})
    assert summary["answer_sentence"] == 0.5 and summary["answer_sentence_found"] == 2


def test_a_question_whose_passage_is_not_found_does_not_count() -> None:
    missed = score_question(QUESTION, Answer("q", (Hit(1, 1.0, OTHER, DOC, (0, 10)),)), {"d1": "texts/IRL.txt"})
    assert missed["first_hit"] == 0 and not missed["answer_sentence"]
    assert summarise([missed], [QUESTION], {})["answer_sentence_found"] == 0


def test_the_judgement_is_scored_on_the_passage_that_holds_the_answer() -> None:
    span = (TEXT.index("The review"), len(TEXT))
    marked = Answer("q", (Hit(1, 1.0, OTHER, DOC, answers=False), Hit(2, 0.9, GOLD, DOC, span, answers=True)))
    unmarked = Answer("q", (Hit(1, 1.0, OTHER, DOC, answers=False), Hit(2, 0.9, GOLD, DOC, span, answers=False)))
    rows = [score_question(QUESTION, a, {"d1": "texts/IRL.txt"}) for a in (marked, unmarked)]
    assert [r["gold_judged_answering"] for r in rows] == [True, False] and [r["answered"] for r in rows] == [True, False]
    summary = summarise(rows, [QUESTION], {})
    assert summary["gold_judged_answering"] == 0.5 and summary["answerable_none_judged_answering"] == 1

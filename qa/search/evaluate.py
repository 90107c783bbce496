"""The evaluator: recall@k, MRR@10, attribution, comparison coverage, "not covered" handling and the marked
answering sentence on a JSONL set.

Scoring follows `../shared/eval/README.md`: a passage hits a quote when the passage with all whitespace
removed contains the quote with all whitespace removed; no other normalisation on either side. The marked
sentence is judged the same way: it is right when the sentence(s) marked in the first passage that hits holds
a gold quote whole.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.documents.document import Document
from qa.errors import InputError
from qa.search.answer import Answer

_WS = re.compile(r"\s+")
KS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    type: str
    question: str
    doc: str
    docs: tuple[str, ...]
    gold: tuple[str, ...]
    state: str


def load_questions(path: Path) -> list[Question]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"Cannot read evaluation set {path}: {e}. Give a JSONL file as in ../shared/eval/.") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            docs = tuple(d.get("docs", []))
            out.append(Question(d["id"], d["lang"], d["type"], d["question"], d.get("doc") or (docs[0] if docs else ""),
                                docs, tuple(d.get("gold", [])), d.get("state", "")))
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{n} is not a valid question ({e}); see ../shared/eval/README.md.") from None
    if not out:
        raise InputError(f"{path} holds no questions.")
    return out


def squeeze(text: str) -> str:
    return _WS.sub("", text)


def hits_quote(passage: str, quote: str) -> bool:
    return squeeze(quote) in squeeze(passage)


def score_question(q: Question, answer: Answer, doc_files: dict[str, str]) -> dict[str, Any]:
    """Per-question figures: first hit rank, quote coverage at each k, attribution, not-covered decision."""
    texts = [h.paragraph.text for h in answer.hits]
    first = next((i + 1 for i, t in enumerate(texts) if any(hits_quote(t, g) for g in q.gold)), 0)
    coverage = {k: (sum(any(hits_quote(t, g) for t in texts[:k]) for g in q.gold) / len(q.gold)) if q.gold else 0.0
                for k in KS}
    top_file = doc_files.get(answer.hits[0].document.id, "") if answer.hits else ""
    marked = answer.hits[first - 1].answer if first else ""
    return {
        "id": q.id, "lang": q.lang, "type": q.type, "first_hit": first,
        "coverage": coverage, "covered": answer.covered, "top_doc_file": top_file,
        "answer_sentence": bool(marked) and any(hits_quote(marked, g) for g in q.gold),
        # the relevance judgement's verdict on the passage that holds the answer (None when it was not found)
        "gold_judged_answering": answer.hits[first - 1].answers if first else None,
        "answered": answer.answered,
    }


def document_files(documents: Iterable[Document]) -> dict[str, str]:
    """Document id -> the file a question set names it by: the path it was imported from (a manifest's
    'texts/CHN_76_2021.txt'), else its file in the corpus folder (the seed sets name those)."""
    return {d.id: d.source or d.file for d in documents}


def attribution_ok(row: dict[str, Any], q: Question, speakers_by_file: dict[str, tuple[Any, ...]]) -> bool:
    """The top hit's submitter and author are those of the gold document."""
    return bool(row["top_doc_file"]) and speakers_by_file.get(row["top_doc_file"]) == speakers_by_file.get(q.doc)


def summarise(rows: Sequence[dict[str, Any]], questions: Sequence[Question],
              speakers_by_file: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    by_id = {q.id: q for q in questions}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["type"] == "negative":
            continue
        for key in ("all", r["lang"], r["type"], f"{r['lang']}/{r['type']}"):
            groups[key].append(r)

    def metrics(rs: list[dict[str, Any]]) -> dict[str, float]:
        out: dict[str, float] = {"n": len(rs)}
        for k in KS:
            out[f"recall@{k}"] = _mean(
                r["coverage"][k] if r["type"] == "comparison" else float(0 < r["first_hit"] <= k) for r in rs
            )
        out["mrr@10"] = _mean(1.0 / r["first_hit"] if 0 < r["first_hit"] <= 10 else 0.0 for r in rs)
        return out

    answerable = [r for r in rows if r["type"] != "negative"]
    single = [r for r in answerable if r["type"] != "comparison"]
    negatives = [r for r in rows if r["type"] == "negative"]
    found = [r for r in single if r["first_hit"]]
    return {
        "by_group": {k: metrics(v) for k, v in sorted(groups.items())},
        "attribution@1": _mean(float(attribution_ok(r, by_id[r["id"]], speakers_by_file)) for r in single),
        "attribution@1_attribution_questions": _mean(
            float(attribution_ok(r, by_id[r["id"]], speakers_by_file)) for r in single if r["type"] == "attribution"
        ),
        "comparison_coverage@5": _mean(r["coverage"][5] for r in answerable if r["type"] == "comparison"),
        "comparison_coverage@10": _mean(r["coverage"][10] for r in answerable if r["type"] == "comparison"),
        "negative_said_not_covered": sum(1 for r in negatives if not r["covered"]),
        "negative_total": len(negatives),
        "answerable_said_not_covered": sum(1 for r in answerable if not r["covered"]),
        "answerable_total": len(answerable),
        # of the single-passage questions whose passage was found, the share whose marked sentence holds the quote
        "answer_sentence": _mean(float(r.get("answer_sentence", False)) for r in found),
        "answer_sentence_found": len(found),
        # how the judgement's marks read on real questions: of those found, the share whose answering passage is
        # marked as answering; and the questions with no passage marked as answering at all
        "gold_judged_answering": _mean(float(bool(r.get("gold_judged_answering"))) for r in found),
        "answerable_none_judged_answering": sum(1 for r in answerable if not r.get("answered", True)),
        "negative_none_judged_answering": sum(1 for r in negatives if not r.get("answered", True)),
    }


def _mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return round(sum(xs) / len(xs), 4) if xs else 0.0


def evaluate(questions: Sequence[Question], ask: Callable[[str], Answer], doc_files: dict[str, str],
             speakers_by_file: dict[str, tuple[Any, ...]], progress: bool = False) -> dict[str, Any]:
    """Run every question through `ask` (top 10) and score it."""
    from tqdm import tqdm

    rows = []
    for q in tqdm(questions, desc="evaluating", unit="q", disable=not progress):
        rows.append(score_question(q, ask(q.question), doc_files))
    return {"summary": summarise(rows, questions, speakers_by_file), "questions": rows}


def format_report(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = [f"{'group':<24}{'n':>4}{'R@1':>8}{'R@5':>8}{'R@10':>8}{'MRR@10':>8}"]
    order = ["all", "zh", "en"] + sorted(k for k in s["by_group"] if k not in ("all", "zh", "en"))
    for key in order:
        if key in s["by_group"]:
            m = s["by_group"][key]
            lines.append(f"{key:<24}{int(m['n']):>4}{m['recall@1']:>8.3f}{m['recall@5']:>8.3f}"
                         f"{m['recall@10']:>8.3f}{m['mrr@10']:>8.3f}")
    lines += [
        "",
        f"attribution@1: {s['attribution@1']:.3f} (attribution questions: {s['attribution@1_attribution_questions']:.3f})",
        f"comparison coverage@5: {s['comparison_coverage@5']:.3f}   @10: {s['comparison_coverage@10']:.3f}",
        f"negative questions said not covered: {s['negative_said_not_covered']}/{s['negative_total']}",
        f"answerable questions said not covered: {s['answerable_said_not_covered']}/{s['answerable_total']}",
        (f"marked sentence holds the quote: {s['answer_sentence']:.3f} (of {s['answer_sentence_found']} questions "
         f"whose passage is found)"),
        (f"passage found and judged to answer: {s['gold_judged_answering']:.3f}; no passage judged to answer: "
         f"{s['answerable_none_judged_answering']}/{s['answerable_total']} answerable, "
         f"{s['negative_none_judged_answering']}/{s['negative_total']} negative"),
    ]
    return "\n".join(lines)


# --- who said what: a topic file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A topic as `../shared/eval/topics/*.jsonl` gives it: the parties whose documents match `pattern`."""

    id: str
    lang: str
    question: str
    pattern: str
    parties: frozenset[str]


def is_topic_file(path: Path) -> bool:
    """A topic file's rows carry `pattern` and `parties` instead of gold quotes."""
    try:
        first = next(line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip())
        row = json.loads(first)
    except (OSError, UnicodeDecodeError, StopIteration, ValueError):
        return False
    return isinstance(row, dict) and "pattern" in row and "parties" in row


def load_topics(path: Path) -> list[Topic]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            re.compile(d["pattern"])
            out.append(Topic(d["id"], d.get("lang", ""), d["question"], d["pattern"], frozenset(d["parties"])))
        except (ValueError, KeyError, TypeError, re.error) as e:
            raise InputError(f"{path}:{n} is not a valid topic ({e}); see ../shared/eval/README.md.") from None
    if not out:
        raise InputError(f"{path} holds no topics.")
    return out


def score_topic(topic: Topic, reported: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Party precision, recall and F1, and passage precision, for the parties a comparison reports as
    addressing the topic, each as (party name, text of its first shown passage)."""
    pattern = re.compile(topic.pattern, re.IGNORECASE)
    names = [name for name, _ in reported]
    right = sum(1 for name in names if name in topic.parties)
    precision = right / len(names) if names else 0.0
    recall = len(set(names) & topic.parties) / len(topic.parties) if topic.parties else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    passages = sum(1 for _, text in reported if pattern.search(text)) / len(reported) if reported else 0.0
    return {"id": topic.id, "lang": topic.lang, "question": topic.question, "reported": len(names),
            "expected": len(topic.parties), "party_precision": round(precision, 4), "party_recall": round(recall, 4),
            "f1": round(f1, 4), "passage_precision": round(passages, 4),
            "wrong": sorted(set(names) - topic.parties)[:20], "missed": sorted(topic.parties - set(names))[:20]}


def evaluate_topics(topics: Sequence[Topic], reported: Callable[[str], list[tuple[str, str]]],
                    progress: bool = False) -> dict[str, Any]:
    """Run every topic through `reported` (the parties a comparison says address it) and score it."""
    from tqdm import tqdm

    rows = [score_topic(t, reported(t.question)) for t in tqdm(topics, desc="comparing", unit="topic",
                                                                 disable=not progress)]
    summary: dict[str, Any] = {}
    for key in ("all", *sorted({r["lang"] for r in rows})):
        rs = [r for r in rows if key in ("all", r["lang"])]
        summary[key] = {"n": len(rs), **{m: _mean(r[m] for r in rs) for m in (
            "party_precision", "party_recall", "f1", "passage_precision")}}
    return {"summary": summary, "topics": rows}


def format_topic_report(result: dict[str, Any]) -> str:
    lines = [f"{'topic':<8}{'lang':<6}{'reported':>9}{'expected':>9}{'P':>7}{'R':>7}{'F1':>7}{'passage P':>11}"]
    for r in result["topics"]:
        lines.append(f"{r['id']:<8}{r['lang']:<6}{r['reported']:>9}{r['expected']:>9}{r['party_precision']:>7.3f}"
                     f"{r['party_recall']:>7.3f}{r['f1']:>7.3f}{r['passage_precision']:>11.3f}")
    lines.append("")
    for key, m in result["summary"].items():
        lines.append(f"mean ({key}, {int(m['n'])} topics): party precision {m['party_precision']:.3f}, recall "
                     f"{m['party_recall']:.3f}, F1 {m['f1']:.3f}, passage precision {m['passage_precision']:.3f}")
    return "\n".join(lines)

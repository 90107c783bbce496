"""Build the relevance judgement's model (`corpus/relevance.json`) from questions made out of the corpora.

No evaluation question is read. For each corpus folder named, questions are made from its own paragraphs and
the field's terminology, in both languages, and labelled by what the paragraphs say:
- topic questions: a field concept (`corpus/terminology.tsv`) or a content word or two-word phrase of the corpus,
  bare or in a question frame, asked in the corpus's language or translated (terminology, CC-CEDICT); a paragraph
  addresses it when it carries the concept, or all the words, in its own language;
- sentence questions: a sentence of a paragraph with a third of its content words dropped (or translated word by
  word), answered by the paragraphs that hold that sentence;
- questions the corpus does not answer: concepts and words of the other corpora that this one never mentions.
Each question is run through the real search; the top candidates' features (`qa.relevance.FEATURES`) and labels
train a logistic regression, written with its feature names. Deterministic for a given seed and corpora.

Usage:
  python scripts/train_relevance.py corpus ../shared/corpora-built/ungdc ../shared/corpora-built/npt14
  (each argument a corpus folder as `qa init`/`qa add` make it; its index is built when missing)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.search.engine import Engine
from qa.search.relevance import FEATURES, RelevanceModel, candidate_features, fit
from qa.search.units import english_forms, passage_tokens
from qa.settings import Settings
from qa.store.base import ALL
from qa.text.analyzers import chinese_words, tokenize
from qa.text.cedict import cedict, translate_phrase
from qa.text.english import STOPWORDS, WORD, stem
from qa.text.sentences import sentence_spans
from qa.text.terminology import CONCEPT, concept, load_terminology

HEAD = 30  # candidates judged per question, as the search judges them
# How a user frames a topic (generic frames of questions about what was said, in both languages)
EN_FRAMES = ("{t}", "What did states say about {t}?", "positions on {t}", "What was said about {t}?",
             "How do countries view {t}?", "Who mentioned {t}?", "statements on {t}", "views expressed on {t}")
ZH_FRAMES = ("{t}", "各国对{t}说了什么？", "关于{t}的立场", "有关{t}的论述", "各方如何看待{t}？", "谁提到了{t}？",
             "{t}问题上各方的立场", "各国就{t}发表了哪些看法？")
_WS = re.compile(r"\s+")


def frame(text: str, language: str, rng: random.Random) -> str:
    return rng.choice(EN_FRAMES if language == "en" else ZH_FRAMES).format(t=text)


def to_chinese(words: list[str]) -> str:
    out = []
    for w in words:
        found = translate_phrase((stem(w),), cedict())
        out.append(found[0][0] if found else w)
    return "".join(out)


def to_english(words: list[str]) -> str:
    out = []
    for w in words:
        senses = english_forms(w)
        if senses:
            out.extend(sorted(senses[0]))
    return " ".join(out)


class Maker:
    """Questions with their labelling rule, made from one corpus."""

    def __init__(self, engine: Engine, rng: random.Random) -> None:
        self.engine = engine
        self.rng = rng
        self.paragraphs = [p for d in sorted(engine.documents) for p in engine.store.searchable(d)]
        self.n = max(len(self.paragraphs), 1)
        languages = Counter(engine.documents[p.doc].language for p in self.paragraphs)
        self.language = languages.most_common(1)[0][0] if languages else "en"

    def df(self, token: str) -> int:
        return self.engine.store.document_frequency(token)

    def concepts(self) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
        """(key, English name, a Chinese name) of the field concepts this corpus mentions, and of those it does not."""
        present, absent = [], []
        for term in load_terminology():
            key = concept(term)
            df = self.df(CONCEPT + key)
            row = (key, term.english, term.chinese[0])
            if 2 <= df <= 0.3 * self.n:
                present.append(row)
            elif df == 0:
                absent.append(row)
        return present, absent

    def words(self, count: int) -> list[tuple[list[str], frozenset[str]]]:
        """Content words or two-word phrases of the corpus's paragraphs: (surface words, tokens required)."""
        out: list[tuple[list[str], frozenset[str]]] = []
        for _ in range(count * 20):
            if len(out) >= count:
                break
            p = self.rng.choice(self.paragraphs)
            if self.language == "en":
                ws = [w for w in WORD.findall(p.text) if w.lower() not in STOPWORDS and w.isalpha() and len(w) > 3]
                if len(ws) < 2:
                    continue
                i = self.rng.randrange(len(ws) - 1)
                pick = ws[i:i + 2] if self.rng.random() < 0.5 else ws[i:i + 1]
                tokens = frozenset(stem(w) for w in pick)
            else:
                ws = [w for w in chinese_words(p.text) if len(w) >= 2]
                if not ws:
                    continue
                pick = [self.rng.choice(ws)]
                tokens = frozenset(tokenize(pick[0]))
            dfs = [self.df(t) for t in tokens]
            if tokens and min(dfs) >= 3 and max(dfs) <= 0.2 * self.n:
                out.append((pick, tokens))
        return out

    def sentences(self, count: int) -> list[tuple[str, str]]:
        """(question, the sentence it was made from) for random paragraphs' sentences."""
        out: list[tuple[str, str]] = []
        for _ in range(count * 20):
            if len(out) >= count:
                break
            p = self.rng.choice(self.paragraphs)
            spans = [(s, e) for s, e in sentence_spans(p.text) if 40 <= e - s <= 300]
            if not spans:
                continue
            s, e = self.rng.choice(spans)
            sentence = p.text[s:e]
            if self.language == "en":
                ws = [w for w in WORD.findall(sentence) if w.lower() not in STOPWORDS]
            else:
                ws = chinese_words(sentence)
            if len(ws) < 5:
                continue
            kept = [w for w in ws if self.rng.random() > 0.35][:14]
            if len(kept) < 3:
                continue
            if self.rng.random() < 0.5:
                question = to_chinese(kept) if self.language == "en" else to_english(kept)
            else:
                question = " ".join(kept) if self.language == "en" else "".join(kept)
            if question.strip():
                out.append((question, sentence))
        return out


def rows_for(engine: Engine, question: str, label: callable) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[valid-type]
    query = engine.analyse(question)
    ranking = engine.rank(query, ALL, engine.ranking.candidates)
    head = ranking.fused[:HEAD]
    if not head:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    x = candidate_features(engine.store, query, head, ranking.lists)
    y = np.array([label(p) for p in engine.store.paragraphs([pid for pid, _ in head])], dtype=float)
    return x, y


def make(engine: Engine, others: list[Maker], maker: Maker, per_kind: int, log: callable) -> tuple[list, list]:  # type: ignore[valid-type]
    rng = maker.rng
    xs, ys = [], []

    def add(question: str, label: callable) -> None:  # type: ignore[valid-type]
        x, y = rows_for(engine, question, label)
        xs.append(x)
        ys.append(y)

    present, _ = maker.concepts()
    for key, english, chinese in rng.sample(present, min(per_kind, len(present))):
        lang = rng.choice(("en", "zh"))
        add(frame(english if lang == "en" else chinese, lang, rng),
            lambda p, key=key: CONCEPT + key in passage_tokens(p.text))
    for words, tokens in maker.words(per_kind):
        if rng.random() < 0.5:
            text, lang = (" ".join(words), "en") if maker.language == "en" else ("".join(words), "zh")
        else:
            text, lang = (to_chinese(words), "zh") if maker.language == "en" else (to_english(words), "en")
        if text.strip():
            add(frame(text, lang, rng), lambda p, tokens=tokens: tokens <= passage_tokens(p.text))
    for question, sentence in maker.sentences(per_kind):
        squeezed = _WS.sub("", sentence)
        add(question, lambda p, squeezed=squeezed: squeezed in _WS.sub("", p.text))
    # questions this corpus does not answer: what the other corpora talk about and this one never mentions
    _, absent = maker.concepts()
    foreign: list[tuple[str, str]] = []
    for other in others:
        foreign += [(" ".join(w) if other.language == "en" else "".join(w), other.language)
                    for w, _ in other.words(per_kind // 2)]
    foreign = [(t, lang) for t, lang in foreign
               if all(maker.df(tok) == 0 for tok in tokenize(t))]
    pool = [(e if rng.random() < 0.5 else c, "") for _, e, c in absent] + foreign
    for text, _lang in rng.sample(pool, min(per_kind, len(pool))):
        lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
        add(frame(text, lang, rng), lambda p: False)
    log(f"  {sum(len(y) for y in ys)} candidates, {int(sum(y.sum() for y in ys))} answering")
    return xs, ys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+", type=Path, help="corpus folders (the bundled one is `corpus`)")
    ap.add_argument("--out", type=Path, default=ROOT / "corpus" / "relevance.json")
    ap.add_argument("--per-kind", type=int, default=150, help="questions of each kind per corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--features", default=",".join(FEATURES), help="the features the model uses (comma-separated)")
    ap.add_argument("--save-rows", type=Path, help="also write the feature rows and labels (.npz), to refit")
    ap.add_argument("--from-rows", type=Path, help="refit from rows saved by --save-rows (no search is run)")
    args = ap.parse_args()
    names = [n for n in args.features.split(",") if n]
    if args.from_rows:
        saved = np.load(args.from_rows)
        write(fit_with_threshold(saved["x"], saved["y"], saved["group"], args.l2, names), saved["x"], saved["y"],
              args, [str(c) for c in args.corpora])
        return
    engines = []
    # the search runs without a judgement of its own while the judgement is trained (any previous model may
    # compute other features): a model that judges nothing, only so that the engine opens
    neutral = Path(tempfile.mkdtemp()) / "neutral.json"
    n = len(FEATURES)
    neutral.write_text(json.dumps(RelevanceModel(FEATURES, np.zeros(n), np.ones(n), np.zeros(n), 0.0).to_json()))
    for i, folder in enumerate(args.corpora):
        base = {"relevance_model": str(neutral)}
        settings = Settings.load({**base, "corpus_dir": folder.resolve()}) if folder.resolve() != (ROOT / "corpus") \
            else Settings.load(base)
        engine = Engine.open(settings, build_missing=True, log=lambda m: print(m, file=sys.stderr))
        engines.append((folder, engine, Maker(engine, random.Random(args.seed + i))))
    xs, ys = [], []
    for folder, engine, maker in engines:
        print(f"{folder}: {len(maker.paragraphs)} paragraphs ({maker.language})", file=sys.stderr)
        others = [m for f, _, m in engines if f != folder]
        x, y = make(engine, others, maker, args.per_kind, lambda m: print(m, file=sys.stderr))
        xs += x
        ys += y
    x_all, y_all = np.vstack(xs), np.concatenate(ys)
    group = np.concatenate([np.full(len(y), i) for i, y in enumerate(ys)])
    if args.save_rows:
        np.savez(args.save_rows, x=x_all, y=y_all, group=group)
    write(fit_with_threshold(x_all, y_all, group, args.l2, names), x_all, y_all, args,
          [str(f) for f, _, _ in engines])


def fit_with_threshold(x: np.ndarray, y: np.ndarray, group: np.ndarray, l2: float,
                       names: list[str]) -> RelevanceModel:
    """The model on all rows, with the threshold that maximises F1 on questions it was not fitted on (two folds
    by question, the two folds' thresholds averaged): the operating point for "answers"."""
    thresholds = []
    for fold in (0, 1):
        train, held = group % 2 != fold, group % 2 == fold
        p = fit(x[train], y[train], l2=l2, names=names).probability(x[held])
        best = max(np.arange(0.05, 0.95, 0.01), key=lambda t: f1(p >= t, y[held] > 0))
        thresholds.append(float(best))
    model = fit(x, y, l2=l2, names=names)
    return RelevanceModel(model.names, model.mean, model.scale, model.coef, model.bias,
                          round(sum(thresholds) / 2, 3))


def f1(said: np.ndarray, truth: np.ndarray) -> float:
    tp = float((said & truth).sum())
    return 2 * tp / (said.sum() + truth.sum()) if said.sum() + truth.sum() else 0.0


def write(model: RelevanceModel, x: np.ndarray, y: np.ndarray, args: argparse.Namespace, corpora: list[str]) -> None:
    data = {**model.to_json(), "trained_on": [Path(c).name for c in corpora], "seed": args.seed,
            "per_kind": args.per_kind, "l2": args.l2, "candidates": len(y), "answering": int(y.sum())}
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(y)} candidates, {int(y.sum())} answering, threshold {model.threshold}; coefficients "
          + ", ".join(f"{n} {c:+.2f}" for n, c in zip(model.names, model.coef)), file=sys.stderr)


if __name__ == "__main__":
    main()

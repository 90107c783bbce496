"""The scale bench's synthetic corpus (bench/synthetic.py): recombined, language-true, and not made of copies.

A stand-in pool of tiny paragraphs with deterministic vectors is enough here: these tests are about how the
corpus is assembled, not about retrieval quality.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
synthetic = importlib.import_module("synthetic")  # bench/synthetic.py: the bench is a folder of scripts


def stand_in_pool(docs: int = 12, per_doc: int = 6, dim: int = 16) -> object:
    """Documents alternating English and Chinese, each paragraph of two or three sentences, unit vectors drawn
    from a fixed seed (a paragraph's vector near the mean of its sentences')."""
    rng = np.random.default_rng(0)
    paragraphs, documents, language, sentence_row, texts, tokens = [], [], [], [], [], []
    vectors, sentences = [], []
    for d in range(docs):
        lang = "en" if d % 2 == 0 else "zh"
        doc = Document(id=f"d{d}", file=f"d{d}.txt", title="t", title_en="t", submitted_by=(f"State {d}",),
                       language=lang)
        rows = []
        for j in range(per_doc):
            row = len(paragraphs)
            parts = [f"{lang} sentence {row}.{s}." if lang == "en" else f"第{row}段第{s}句。" for s in range(2 + j % 2)]
            gap = " " if lang == "en" else ""
            paragraphs.append(Paragraph(id=f"d{d}:{j + 1}", doc=f"d{d}", label=str(j + 1), section="",
                                        text=gap.join(parts), position=j))
            own = rng.normal(size=(len(parts), dim))
            for part, v in zip(parts, own):
                sentence_row.append(row)
                texts.append(part)
                tokens.append([f"w{row}", lang])
                sentences.append(v / np.linalg.norm(v))
            mean = own.mean(axis=0)
            vectors.append(mean / np.linalg.norm(mean))
            language.append(lang)
            rows.append(row)
        documents.append((doc, np.asarray(rows)))
    return synthetic.Pool(paragraphs, documents, np.asarray(language), np.asarray(vectors, dtype=np.float32),
                          np.asarray(sentences, dtype=np.float32), np.asarray(sentence_row), texts, tokens,
                          np.zeros((0, dim), dtype=np.float32), {})


def test_synthetic_paragraphs_are_their_sentences_joined_in_their_own_language() -> None:
    pool = stand_in_pool()
    syn = synthetic.synthesize(pool, 200, np.random.default_rng(1), synthetic.neighbours(pool.vectors, pool.language, 4))
    assert len(syn.paragraphs) == 200 and len(syn.vectors) == 200
    languages = {d.id: d.language for d in syn.documents}
    starts = np.searchsorted(syn.sentence_row, np.arange(201))
    for row, p in enumerate(syn.paragraphs):
        sources = syn.sentence_source[starts[row]:starts[row + 1]]
        spans = syn.sentence_span[starts[row]:starts[row + 1]]
        assert [p.text[a:b] for a, b in spans] == [pool.sentence_text[s] for s in sources]
        assert {pool.language[pool.sentence_row[s]] for s in sources} == {languages[p.doc]}
        assert syn.tokens[row] == [t for s in sources for t in pool.sentence_tokens[s]]
        assert pool.language[syn.base[row]] == languages[p.doc]


def test_synthetic_vectors_are_unit_length_and_farther_from_their_source_than_a_re_encoding() -> None:
    pool = stand_in_pool()
    syn = synthetic.synthesize(pool, 300, np.random.default_rng(2), synthetic.neighbours(pool.vectors, pool.language, 4))
    assert np.allclose(np.linalg.norm(syn.vectors, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(syn.sentences, axis=1), 1, atol=1e-5)
    assert np.max(np.sum(syn.vectors * pool.vectors[syn.base], axis=1)) < 0.999
    assert np.max(np.sum(syn.sentences * pool.sentences[syn.sentence_source], axis=1)) < 0.999


def test_copies_in_top_counts_the_largest_group_of_one_source_per_list() -> None:
    source = np.asarray([7, 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 8])
    tops = np.asarray([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [5, 6, 7, 8, 9, 10, 11, 0, 1, 2]])
    assert synthetic.copies_in_top(tops, source) == {"mean": 4.0, "p90": 4.8, "half_or_more": 0.5}

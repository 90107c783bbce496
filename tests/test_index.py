"""Building the index: vectors of unchanged texts are reused, and a changed corpus or terminology makes the index
stale, so `Engine.open` rebuilds it.

The corpus is one or two seed documents copied to a temporary folder. The encoder is a deterministic stand-in
that records what it embeds: which vectors are reused and when an index is stale is storage logic, the same
whatever the vectors are (retrieval quality is tested with the real model elsewhere).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import qa.store.faiss.store
import qa.store.freshness
import qa.store.index
from qa.documents.corpus import Corpus, load_corpus
from qa.errors import IndexMissing
from qa.files import sha256_bytes
from qa.search.engine import Engine
from qa.settings import Settings
from qa.store.faiss.store import FaissStore, salvage_vectors
from qa.store.freshness import staleness
from qa.store.index import background_texts, build_index, passage_text
from qa.text.sentences import sentence_spans
from qa.text.terminology import TERMINOLOGY_PATH

SEED = Path(__file__).resolve().parent.parent / "corpus"
FIRST, SECOND = "p5-2021", "russia-2022"  # the two smallest seed documents


class RecordingEncoder:
    """Unit vectors from a hash of the text; remembers every passage text it was asked to embed."""

    name = "stand-in:sha256"
    dim = 16

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def identity(self) -> dict[str, object]:
        return {"name": self.name, "dim": self.dim, "prompts": {"query": "query: ", "passage": "passage: "},
                "normalize": True, "weights_sha256": "0" * 64}

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        raw = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], dtype=np.uint8) for t in texts]
        v = np.asarray(raw, dtype=np.float32).reshape(len(texts), self.dim) - 127.5
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 16, progress: bool = False) -> np.ndarray:
        self.embedded += texts
        return self._vectors(texts)


def write_corpus(folder: Path, doc_ids: Sequence[str]) -> Path:
    """A corpus folder holding these seed documents, with their entries and files exactly as in corpus/."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = [e for e in json.loads((SEED / "documents.json").read_text(encoding="utf-8")) if e["id"] in doc_ids]
    assert [e["id"] for e in entries] == list(doc_ids)
    for e in entries:
        shutil.copyfile(SEED / e["file"], folder / e["file"])
    (folder / "documents.json").write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def texts_of(corpus: Corpus, doc_id: str) -> list[str]:
    """What the build embeds for one document: each searchable paragraph (with its heading) and each sentence."""
    doc = corpus.document(doc_id)
    paragraphs = [p for p in corpus.paragraphs_of(doc_id) if p.searchable]
    return ([passage_text(p, doc) for p in paragraphs]
            + [p.text[s:e] for p in paragraphs for s, e in sentence_spans(p.text)])


def first_build_texts(corpus: Corpus) -> list[str]:
    """What a first build embeds: every document's texts and the everyday background of the corpus's languages."""
    return ([t for d in corpus.documents for t in texts_of(corpus, d.id)]
            + background_texts({d.language for d in corpus.documents}))


def build(index_dir: Path, corpus: Corpus, **kw: bool) -> tuple[FaissStore, RecordingEncoder]:
    encoder = RecordingEncoder()
    return build_index(index_dir, corpus, encoder, progress=False, **kw), encoder


@pytest.fixture
def one_doc(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", [FIRST])


def add_second_document(corpus_dir: Path) -> Corpus:
    write_corpus(corpus_dir, [FIRST, SECOND])
    return load_corpus(corpus_dir)


# --- incremental reuse -------------------------------------------------------------------------------------


def test_second_build_of_the_same_corpus_embeds_nothing_and_commits_nothing(one_doc: Path, tmp_path: Path) -> None:
    corpus = load_corpus(one_doc)
    first, encoder = build(tmp_path / "index", corpus)
    wanted = first_build_texts(corpus)
    assert sorted(encoder.embedded) == sorted(wanted)
    assert first.manifest["counts"]["embedded"] == len(wanted) and first.manifest["counts"]["reused"] == 0
    current = (tmp_path / "index" / "CURRENT").read_bytes()

    _, encoder = build(tmp_path / "index", corpus)
    assert encoder.embedded == [] and (tmp_path / "index" / "CURRENT").read_bytes() == current

    again, encoder = build(tmp_path / "index", corpus, rebuild=True)
    assert again.manifest["counts"]["embedded"] == len(wanted) and sorted(encoder.embedded) == sorted(wanted)


def test_adding_a_document_adds_a_segment_and_embeds_only_its_paragraphs_and_sentences(one_doc: Path,
                                                                                       tmp_path: Path) -> None:
    _, recorder = build(tmp_path / "index", load_corpus(one_doc))
    old_vectors = salvage_vectors(tmp_path / "index", "", recorder.identity())

    corpus = add_second_document(one_doc)
    after, encoder = build(tmp_path / "index", corpus)
    new_texts = texts_of(corpus, SECOND)
    assert sorted(encoder.embedded) == sorted(new_texts)
    assert not set(encoder.embedded) & set(texts_of(corpus, FIRST))
    assert after.manifest["counts"]["embedded"] == len(new_texts)
    assert len(list((tmp_path / "index").glob("seg-*"))) == 2 and set(after.documents) == {FIRST, SECOND}
    kept = salvage_vectors(tmp_path / "index", "", encoder.identity())
    assert old_vectors and all(np.array_equal(kept[key], vector) for key, vector in old_vectors.items())
    assert after.size == sum(1 for d in (FIRST, SECOND) for p in corpus.paragraphs_of(d) if p.searchable)


def test_removing_a_document_retires_its_paragraphs_without_rewriting_the_others(one_doc: Path,
                                                                               tmp_path: Path) -> None:
    corpus = add_second_document(one_doc)
    build(tmp_path / "index", corpus)
    write_corpus(one_doc, [FIRST])
    after, encoder = build(tmp_path / "index", load_corpus(one_doc))
    assert encoder.embedded == [] and set(after.documents) == {FIRST}
    assert after.searchable(SECOND) == () and after.size == len(load_corpus(one_doc).searchable())
    assert all(pid.startswith(FIRST) for pid, _ in after.search_lexical([("核", 1.0)], 50))
    query = np.ones(RecordingEncoder.dim, dtype=np.float32) / 4
    for _ in range(2):  # the second time from the kept masks
        assert all(pid.startswith(FIRST) for pid, _ in after.search_sentences(query, 50))
        assert all(pid.startswith(FIRST) for pid, _ in after.search_paragraphs(query, 50))


# --- stale indexes -----------------------------------------------------------------------------------------


def test_index_is_fresh_right_after_its_build(one_doc: Path, tmp_path: Path) -> None:
    corpus = load_corpus(one_doc)
    store, encoder = build(tmp_path / "index", corpus)
    assert staleness(store.manifest, corpus, encoder.identity()) == ""


def test_adding_a_document_makes_the_index_stale_and_open_rebuilds_it(
    one_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tmp_path / "index", load_corpus(one_doc))
    corpus = add_second_document(one_doc)
    encoder = RecordingEncoder()
    old = qa.store.index.load_index(tmp_path / "index")
    assert staleness(old.manifest, corpus, encoder.identity()) == "the corpus changed"

    log: list[str] = []
    engine = Engine.open(Settings().with_(corpus_dir=one_doc, index_dir=tmp_path / "index",
                                          cache_dir=tmp_path / "cache"), log=log.append, encoder=encoder)
    assert "The index is out of date (the corpus changed)" in log[0]
    assert sorted(encoder.embedded) == sorted(texts_of(corpus, SECOND))
    assert set(engine.documents) == {FIRST, SECOND}
    assert staleness(engine.store.manifest, corpus, encoder.identity()) == ""


def test_changed_terminology_makes_the_index_stale_and_open_rebuilds_it(
    one_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = load_corpus(one_doc)
    build(tmp_path / "index", corpus)
    terminology = tmp_path / "terminology.tsv"
    terminology.write_text(TERMINOLOGY_PATH.read_text(encoding="utf-8") + "stepping stone test\t垫脚石测试\n",
                           encoding="utf-8")
    monkeypatch.setattr(qa.store.freshness, "TERMINOLOGY_PATH", terminology)
    encoder = RecordingEncoder()
    old = qa.store.index.load_index(tmp_path / "index")
    assert staleness(old.manifest, corpus, encoder.identity()) == "the lexical analyzer or terminology changed"

    log: list[str] = []
    engine = Engine.open(Settings().with_(corpus_dir=one_doc, index_dir=tmp_path / "index",
                                          cache_dir=tmp_path / "cache"), log=log.append, encoder=encoder)
    assert "The index is out of date (the lexical analyzer or terminology changed)" in log[0]
    assert encoder.embedded == []  # the same texts: the tokens are rebuilt, the vectors reused
    assert engine.store.manifest["analyzer"]["terminology_sha256"] == sha256_bytes(terminology.read_bytes())
    assert staleness(engine.store.manifest, corpus, encoder.identity()) == ""


def test_open_builds_a_missing_index_and_refuses_to_without_build_missing(
    one_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = RecordingEncoder()
    settings = Settings().with_(corpus_dir=one_doc, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    with pytest.raises(IndexMissing):
        Engine.open(settings, build_missing=False, log=lambda s: None, encoder=encoder)
    log: list[str] = []
    engine = Engine.open(settings, log=log.append, encoder=encoder)
    assert log[0].startswith(f"No index in {tmp_path / 'index'} yet")
    assert sorted(encoder.embedded) == sorted(first_build_texts(load_corpus(one_doc)))
    assert set(engine.documents) == {FIRST}


def test_identical_builds_in_one_second_each_get_their_own_segment(
    one_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three `qa index --rebuild` in one second with identical contents: each switches to a new commit and segment,
    and the kept previous commit's segment is never overwritten or removed by the next one."""

    class FrozenClock:
        @staticmethod
        def strftime(form: str, t: object = None) -> str:
            return "2024-01-01T00:00:00Z" if "T" in form else "20240101000000"

        gmtime = staticmethod(lambda: None)
        perf_counter = staticmethod(lambda: 0.0)

    monkeypatch.setattr(qa.store.index, "time", FrozenClock)
    monkeypatch.setattr(qa.store.faiss.store, "time", FrozenClock)
    corpus = load_corpus(one_doc)
    for _ in range(3):
        build(tmp_path / "index", corpus, rebuild=True)
    index = tmp_path / "index"
    assert (index / "CURRENT").read_text().startswith("commit-000003.json")
    segments = sorted(p.name for p in index.glob("seg-*"))
    assert len(segments) == 2  # the live commit's and the previous one's, two distinct folders
    live = qa.store.faiss.store.read_commit(index)
    assert {e["name"] for e in live["segments"]} <= set(segments)
    qa.store.index.load_index(index)


def test_a_sentence_that_is_its_whole_paragraph_is_embedded_once(tmp_path: Path) -> None:
    from qa.documents.corpus import add_document

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "documents.json").write_text("[]\n", encoding="utf-8")
    source = tmp_path / "statement.txt"
    source.write_text("Nuclear disarmament remains the goal of every State party to the Treaty.\n\n"
                      "We support the entry into force of the Test-Ban Treaty. We call on all States to sign it.\n",
                      encoding="utf-8")
    add_document(corpus_dir, source, title="Statement", title_en="Statement", submitted_by=["Ireland"],
                 date="2021-09", meeting="General Assembly, seventy-sixth session")
    corpus = load_corpus(corpus_dir)
    wanted = first_build_texts(corpus)
    assert len(wanted) > len(set(wanted))  # the first paragraph is one sentence: the same text twice
    store, encoder = build(tmp_path / "index", corpus)
    assert sorted(encoder.embedded) == sorted(set(wanted))  # each text encoded once
    counts = store.manifest["counts"]
    assert counts["added_paragraphs"] == 2 and counts["sentences"] == 3 and counts["embedded"] == len(wanted)


def test_a_segment_past_the_exact_size_is_approximate_and_opens_memory_mapped(
    one_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large corpora get IVF indexes; they must read back (IVF refuses the flat-codes mmap flag)."""
    import faiss

    import qa.store.faiss.segments

    monkeypatch.setattr(qa.store.faiss.segments, "ANN_MIN", 8)
    built, _ = build(tmp_path / "index", load_corpus(one_doc))
    store = qa.store.faiss.store.load(tmp_path / "index", full_check=True)
    segment = store._segments[0]
    assert isinstance(segment.dense, faiss.IndexIVFRaBitQ) and segment.dense.nprobe == qa.store.faiss.segments.NPROBE
    row = store.paragraphs([p.id for p in built.searchable(built.documents[next(iter(built.documents))].id)])[0]
    vector = np.asarray(segment.arrays["vectors"][0], dtype=np.float32)
    assert store.search_paragraphs(vector, 1)[0][0] == row.id


def test_an_approximate_segment_scores_exactly_and_answers_a_narrow_filter_exactly(
    one_doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IVF candidates are re-scored from the stored vectors, and a filter admitting few rows is an exact scan:
    the order is the exact one, whatever the RaBitQ codes say."""
    import qa.store.faiss.segments
    from qa.store.base import Filter

    monkeypatch.setattr(qa.store.faiss.segments, "ANN_MIN", 8)
    build(tmp_path / "index", load_corpus(one_doc))
    store = qa.store.faiss.store.load(tmp_path / "index")
    segment = store._segments[0]
    vectors = np.asarray(segment.arrays["vectors"], dtype=np.float32)
    rng = np.random.default_rng(3)
    for _ in range(5):
        q = rng.normal(size=vectors.shape[1]).astype(np.float32)
        q /= np.linalg.norm(q)
        exact = np.argsort(-(vectors @ q), kind="stable")[:3]
        got = store.search_paragraphs(q, 3)
        assert [pid for pid, _ in got] == [segment.row_id(int(r)) for r in exact]
        assert np.allclose([s for _, s in got], (vectors @ q)[exact], atol=1e-5)
    doc = next(iter(store.documents))
    narrow = Filter(frozenset({doc}), None, "", "")
    q = vectors[1]
    assert store.search_paragraphs(q, 1, narrow)[0][0] == segment.row_id(1)


def test_filters_admit_exactly_the_rows_and_sentences_a_per_paragraph_predicate_admits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vectorised masks (documents, languages, dates, submitters, authors of annexes) agree with the
    predicate read paragraph by paragraph, and a narrow filter over an approximate segment finds the exact
    best sentences among the admitted ones."""
    import qa.store.faiss.segments
    from qa.parties.citation import paragraph_author
    from qa.store.base import Filter

    monkeypatch.setattr(qa.store.faiss.segments, "ANN_MIN", 8)
    ids = [e["id"] for e in json.loads((SEED / "documents.json").read_text(encoding="utf-8"))]
    build(tmp_path / "index", load_corpus(write_corpus(tmp_path / "corpus", ids)))
    store = qa.store.faiss.store.load(tmp_path / "index")
    segment = store._segments[0]
    annex = next(a for d in store.documents.values() for _, a in d.part_authors)
    filters = [Filter(frozenset({"japan-2018", "p5-2021"}), None, "", ""),
               Filter(None, frozenset({"Russian Federation"}), "", ""),
               Filter(None, frozenset({annex}), "", ""), Filter(None, frozenset({"UNIDIR"}), "", ""),
               Filter(None, frozenset({"Japan", "Sweden"}), "2019", ""),
               Filter(None, None, "", "2019-12", frozenset({"zh"})),
               Filter(None, None, "", "", frozenset({"en"}))]
    rows = [segment.row_paragraph(r) for r in range(segment.size)]
    for where in filters:
        want = [where.admits_document(store.documents[p.doc]) and (
            where.speakers is None or bool(set(store.documents[p.doc].submitted_by) & where.speakers)
            or paragraph_author(store.documents[p.doc], p) in where.speakers) for p in rows]
        assert list(store._admitted.rows(where)[0]) == want, where
        admitted = np.flatnonzero(np.asarray(want)[segment.arrays["sentence_row"]])
        if not len(admitted):
            assert store.search_sentences(np.ones(16, dtype=np.float32) / 4, 3, where) == []
            continue
        q = np.asarray(segment.arrays["sentences"][admitted[0]], dtype=np.float32)
        scores = np.asarray(segment.arrays["sentences"][admitted], dtype=np.float32) @ q
        best_row = int(segment.arrays["sentence_row"][admitted[int(np.argmax(scores))]])
        assert store.search_sentences(q, 1, where)[0][0] == segment.row_id(best_row)


def test_a_file_read_by_row_reads_what_numpy_loads(tmp_path: Path) -> None:
    """Vectors and paragraphs are read by pread, not mapped: every way the store indexes them agrees with numpy."""
    from qa.store.faiss.segments import ReadByRow

    array = np.arange(7 * 3, dtype=np.float16).reshape(7, 3)
    np.save(tmp_path / "v.npy", array)
    rows = ReadByRow(tmp_path / "v.npy")
    assert len(rows) == 7 and rows.shape == (7, 3) and rows.dtype == np.float16
    assert np.array_equal(rows[2], array[2]) and np.array_equal(rows[-1], array[-1])
    assert np.array_equal(rows[1:5], array[1:5]) and np.array_equal(rows[5:2], array[5:2])
    assert np.array_equal(rows[np.asarray([6, 0, 3])], array[[6, 0, 3]])
    assert np.array_equal(np.asarray(rows, dtype=np.float32), array.astype(np.float32))
    with pytest.raises(IndexError):
        rows[7]
    (tmp_path / "p.jsonl").write_bytes(b'{"a": 1}\n{"b": 2}\n')
    raw = ReadByRow(tmp_path / "p.jsonl")
    assert bytes(raw[9:18]) == b'{"b": 2}\n' and len(raw) == 18
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert len(ReadByRow(tmp_path / "empty.jsonl")) == 0

"""The Milvus store against Milvus Lite: the same answers, rows and scores as the FAISS store, incremental commits
that show all at once, and damage refused with the FAISS store's one-line messages.

The corpus is three seed documents (Chinese: one of several voices, one from five states) and two 2021 General
Assembly statements (English), indexed with the real model into both stores. Vectors come from the session's
FAISS indexes through an embedding cache, so no build here embeds anything.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import UNGDC_DIR
from test_index import write_corpus

import qa.store.milvus.commit
from qa.cli.main import cli
from qa.documents.corpus import Corpus, add_documents, load_corpus
from qa.documents.document import Document
from qa.documents.manifest import read_manifest
from qa.documents.paragraph import Paragraph
from qa.embedding.vectors import VectorCache
from qa.errors import IndexDamaged, IndexMissing, InputError
from qa.search.engine import Engine, Filters
from qa.store.base import Change, Filter, Segment, Sentences, Store
from qa.store.factory import backend
from qa.store.faiss.store import read_commit
from qa.store.faiss.store import salvage_vectors as faiss_vectors
from qa.store.index import build_index, embed_key, lexical_tokens, load_index, passage_text, verify_index
from qa.store.milvus.schema import encode_name, parse_location, release
from qa.text.sentences import sentence_spans
from qa.text.terminology import CONCEPT

ROOT = Path(__file__).resolve().parent.parent
CHAIR = "Chair of the Group of Eminent Persons for Substantive Advancement of Nuclear Disarmament"
NO_FILTERS = Filters()
SEEDS = ("p5-2021", "japan-2018", "russia-2022")
STATEMENTS = ("AUT", "IRL")
QUESTIONS = ("五核国如何看待减少战略风险？", "What does Russia say about strategic stability?",
             "What did Austria say about the Treaty on the Prohibition of Nuclear Weapons?",
             "名人小组对核裁军提出了哪些建议？", "How should the climate crisis be addressed?")
FILTERS = {
    "none": Filter(),
    "doc": Filter(docs=frozenset({"japan-2018", "aut-76"})),
    "submitter": Filter(speakers=frozenset({"Russian Federation"})),
    "author": Filter(speakers=frozenset({CHAIR})),
    "to 2021-12": Filter(date_to="2021-12"),  # '2021-12-07' is in it, though it sorts after '2021-12'
    "from 2021-09 to 2021": Filter(date_from="2021-09", date_to="2021"),
    "english": Filter(languages=frozenset({"en"})),
    "nobody": Filter(speakers=frozenset({"Atlantis"})),
    "nothing": Filter(docs=frozenset()),
}


def statement_entries(codes: tuple[str, ...]) -> list[Any]:
    entries, refused = read_manifest(UNGDC_DIR / "manifest.jsonl")
    chosen = [e for e in entries if Path(e.source).name.split("_")[0] in codes]
    assert not refused and len(chosen) == len(codes)
    return chosen


def mixed_corpus(folder: Path, seeds: tuple[str, ...] = SEEDS, statements: tuple[str, ...] = STATEMENTS) -> Corpus:
    write_corpus(folder, list(seeds))
    add_documents(folder, statement_entries(statements))
    return load_corpus(folder)


@pytest.fixture(scope="session")
def cache(engine, statements_engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedding cache holding the session's FAISS vectors (seeds and statements): builds here embed nothing."""
    folder = tmp_path_factory.mktemp("vectors")
    identity = engine.encoder.identity()
    vectors = VectorCache(folder, str(identity["name"]), int(identity["dim"]))
    for e in (engine, statements_engine):
        vectors.put_many(faiss_vectors(e.settings.index_dir, "", identity).items())
    vectors.close()
    return folder


@pytest.fixture(scope="session")
def pair(encoder, cache: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Engine]:
    """(FAISS engine, Milvus engine) over the same mixed corpus."""
    from qa.settings import Settings

    folder = tmp_path_factory.mktemp("mixed")
    mixed_corpus(folder / "corpus")
    entries = json.loads((folder / "corpus" / "documents.json").read_text(encoding="utf-8"))
    for e in entries:
        e["date"] = "" if e["id"] == "irl-76" else e["date"]  # a document without a date passes no date bound
    (folder / "corpus" / "documents.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    corpus = load_corpus(folder / "corpus")
    engines = []
    for kind in ("faiss", f"milvus:{folder / 'qa.db'}"):
        index_dir = folder / f"index-{kind[:6]}"
        store = build_index(index_dir, corpus, encoder, progress=False, cache_dir=cache, store_kind=kind)
        settings = Settings.load().with_(corpus_dir=folder / "corpus", index_dir=index_dir, store=kind)
        engines.append(Engine(settings, store, encoder, corpus=corpus))
    return engines[0], engines[1]


def answer_rows(engine: Engine, question: str, filters: Filters = NO_FILTERS) -> list[Any]:
    a = engine.ask(question, 10, filters)
    return [a.covered, a.message] + [(h.paragraph.id, round(h.score, 6), h.answer_span,
                                      round(h.channels["dense_score"], 4)) for h in a.hits]


# --- the same answers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", QUESTIONS)
def test_milvus_answers_as_faiss_does_in_both_languages(pair: tuple[Engine, Engine], question: str) -> None:
    faiss_engine, milvus_engine = pair
    assert type(milvus_engine.store).__name__ == "MilvusStore"
    expected = answer_rows(faiss_engine, question)
    assert len(expected) == 12  # covered, message and ten hits: the comparison compares something
    assert answer_rows(milvus_engine, question) == expected


@pytest.mark.parametrize("filters", [Filters(states=("Russia",)), Filters(states=("奥地利",)),
                                     Filters(docs=("japan-2018",), date_from="2018-04"),
                                     Filters(date_to="2021-12")], ids=repr)
def test_user_filters_give_the_same_answers(pair: tuple[Engine, Engine], filters: Filters) -> None:
    faiss_engine, milvus_engine = pair
    for question in QUESTIONS[:3]:
        expected = answer_rows(faiss_engine, question, filters)
        # "What did Austria say …" under a filter that leaves none of Austria's passages answers with no passage
        assert len(expected) > 2 or "has no passages under these filters" in str(expected)
        assert answer_rows(milvus_engine, question, filters) == expected


@pytest.mark.parametrize("name", FILTERS)
def test_every_channel_admits_the_same_rows_under_a_filter(pair: tuple[Engine, Engine], name: str) -> None:
    faiss_store, milvus_store = pair[0].store, pair[1].store
    where = FILTERS[name]
    q = pair[0].encoder.encode_queries(["nuclear disarmament and strategic risk reduction"])[0]
    terms = [("nuclear", 1.0), ("disarm", 0.7), ("核裁军", 0.5), ("风险", 0.4), (CONCEPT + "npt", 0.3)]
    for search, arg in (("search_paragraphs", q), ("search_sentences", q), ("search_lexical", terms)):
        expected = getattr(faiss_store, search)(arg, 1000, where)
        got = getattr(milvus_store, search)(arg, 1000, where)
        assert [pid for pid, _ in got] == [pid for pid, _ in expected], (search, name)
        assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
    if name in ("nobody", "nothing"):
        assert expected == []
    elif name != "none":
        assert 0 < len(expected) < faiss_store.size


def test_lexical_statistics_are_the_same(pair: tuple[Engine, Engine]) -> None:
    faiss_store, milvus_store = pair[0].store, pair[1].store
    tokens = ["nuclear", "treati", "核武器", "风险", "减少", CONCEPT + "npt", "nowhere-at-all", "2021"]
    assert [milvus_store.document_frequency(t) for t in tokens] == [faiss_store.document_frequency(t) for t in tokens]
    assert faiss_store.document_frequency("nuclear") > 0 and faiss_store.document_frequency("核武器") > 0
    for group in (["nuclear", "weapon"], ["核武器", "风险"], ["减少", "战略", "风险"], ["nuclear", "核武器"], []):
        assert milvus_store.count_matching(group) == faiss_store.count_matching(group), group
    assert faiss_store.count_matching(["核武器", "风险"]) > 0
    assert milvus_store.size == faiss_store.size
    assert [p.id for p in milvus_store.searchable("japan-2018")] == [p.id for p in faiss_store.searchable("japan-2018")]
    assert milvus_store.documents == faiss_store.documents
    assert np.array_equal(milvus_store.background, faiss_store.background)


def test_verify_passes_on_a_sound_milvus_index(pair: tuple[Engine, Engine]) -> None:
    settings = pair[1].settings
    store = verify_index(settings.index_dir, pair[1].corpus, pair[1].encoder.identity(), settings.store)
    assert store.manifest["store"] == "milvus" and store.manifest["collections"]


# --- commits -------------------------------------------------------------------------------------------------


def segment_of(corpus: Corpus, doc_ids: set[str], cache: Path, name: str) -> tuple[Segment, list[str], list[str]]:
    """The paragraphs of some documents as `build_index` makes them (vectors from the cache), and their keys."""
    docs = {d.id: d for d in corpus.documents}
    paragraphs = tuple(p for d in corpus.documents if d.id in doc_ids for p in corpus.paragraphs_of(d.id))
    searchable = [p for p in paragraphs if p.searchable]
    keys = [embed_key(passage_text(p, docs[p.doc]), name) for p in searchable]
    spans = [(r, s, e) for r, p in enumerate(searchable) for s, e in sentence_spans(p.text)]
    skeys = [embed_key("sentence\n" + searchable[r].text[s:e], name) for r, s, e in spans]
    found = VectorCache(cache, name, 384).get_many(keys + skeys)
    assert len(found) == len(set(keys + skeys))
    vectors = np.asarray([found[k] for k in keys], dtype=np.float32).reshape(-1, 384)
    sentences = Sentences(np.asarray([found[k] for k in skeys], dtype=np.float32).reshape(-1, 384),
                          *(np.asarray([x[i] for x in spans], dtype=np.int32) for i in range(3)))
    tokens = [lexical_tokens(p, docs[p.doc]) for p in searchable]
    return Segment(paragraphs, vectors, sentences, tokens), keys, skeys


def change_to(corpus: Corpus, reference: Store, added: set[str], removed: set[str], cache: Path) -> Change:
    """The incremental change to `corpus`, with the manifest of a FAISS build of it (`reference`)."""
    segment, keys, skeys = segment_of(corpus, added, cache, reference.manifest["model"]["name"])
    manifest = {k: v for k, v in reference.manifest.items() if k not in ("files", "store", "versions")}
    return Change({**manifest, "embed_keys": keys, "sentence_keys": skeys}, corpus.documents, segment,
                  frozenset(removed), reference.background)


def ranked_ids(store: Store, question_vector: np.ndarray) -> tuple[list[str], list[str]]:
    return ([pid for pid, _ in store.search_paragraphs(question_vector, 500)],
            [pid for pid, _ in store.search_sentences(question_vector, 500)])


@pytest.mark.slow
def test_incremental_change_shows_all_at_once_and_removed_documents_go(
        encoder, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    location = f"milvus:{tmp_path / 'inc.db'}"
    before = mixed_corpus(tmp_path / "before", ("p5-2021",), ("AUT",))
    old = build_index(tmp_path / "index", before, encoder, progress=False, cache_dir=cache, store_kind=location)
    after_dir = mixed_corpus(tmp_path / "after", ("p5-2021", "russia-2022"), ()).path
    entries = json.loads((after_dir / "documents.json").read_text(encoding="utf-8"))
    entries[0]["submitted_by"] += ["Côte d'Ivoire", "50%_|club"]  # a metadata change: p5's rows move
    (after_dir / "documents.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    after = load_corpus(after_dir)
    reference = build_index(tmp_path / "reference", after, encoder, progress=False, cache_dir=cache)
    change = change_to(after, reference, {"russia-2022"}, {"aut-76"}, cache)
    q = encoder.encode_queries(["Russia strategic stability and the climate"])[0]
    old_ids = ranked_ids(old, q)
    assert any(pid.startswith("aut-76") for pid in old_ids[0])

    def killed(*args: Any) -> None:
        raise KeyboardInterrupt  # the rows are in, the state row is not: as a kill at that moment

    module, where = backend(location)
    with monkeypatch.context() as m:
        m.setattr(qa.store.milvus.commit, "_write_state", killed)
        with pytest.raises(KeyboardInterrupt):
            module.commit(tmp_path / "index", where, change)
    assert ranked_ids(module.load(tmp_path / "index", where), q) == old_ids  # the old state, sound

    module.commit(tmp_path / "index", where, change)
    new = module.load(tmp_path / "index", where)
    assert ranked_ids(new, q) == ranked_ids(reference, q)  # the new state, exactly as a fresh FAISS build
    assert ranked_ids(old, q) == old_ids  # a reader that loaded before still sees the old state whole
    assert set(new.documents) == {"p5-2021", "russia-2022"} and new.size == reference.size
    for group in (["nuclear"], ["核武器", "风险"], ["减少", "战略"], [CONCEPT + "npt"]):
        assert new.count_matching(group) == reference.count_matching(group), group
    lexical = [("核武器", 1.0), ("风险", 0.5), ("nuclear", 1.0)]
    assert {p for p, _ in new.search_lexical(lexical, 500)} == {p for p, _ in reference.search_lexical(lexical, 500)}
    for name in ("Côte d'Ivoire", "50%_|club"):
        assert {p for p, _ in new.search_paragraphs(q, 500, Filter(speakers=frozenset({name})))} == \
            {p.id for p in new.searchable("p5-2021")}
    assert new.search_paragraphs(q, 5, Filter(speakers=frozenset({"50%"}))) == []
    verify_index(tmp_path / "index", after, encoder.identity(), location)

    client = new._client  # type: ignore[attr-defined]
    raw = client.query(new.manifest["collections"]["para"], filter="", output_fields=["count(*)"])[0]["count(*)"]
    assert raw > new.size  # the removed and moved rows wait for the next commit
    module.commit(tmp_path / "index", where, replace(change, added=segment_of(after, set(), cache, reference.manifest["model"]["name"])[0],
                                                     removed=frozenset()))
    raw = client.query(new.manifest["collections"]["para"], filter="", output_fields=["count(*)"])[0]["count(*)"]
    assert raw == new.size == module.load(tmp_path / "index", where).size
    assert ranked_ids(new, q) == ranked_ids(reference, q)


@pytest.mark.slow
def test_a_rebuild_switches_the_alias_and_keeps_one_previous_build(encoder, cache: Path, tmp_path: Path) -> None:
    location = f"milvus:{tmp_path / 'qa.db'}"
    corpus = mixed_corpus(tmp_path / "corpus", ("russia-2022",), ())
    builds = [build_index(tmp_path / "index", corpus, encoder, progress=False, cache_dir=cache, store_kind=location)
              for _ in range(3)]
    client = builds[-1]._client  # type: ignore[attr-defined]
    assert client.describe_alias("qa")["collection_name"] == builds[2].manifest["collections"]["meta"]
    kept = {c.split("__")[1] for c in client.list_collections()}
    assert kept == {b.path.name.split("__")[1] for b in builds[1:]}


def test_best_sentence_search_looks_wider_when_grouping_comes_back_short(tmp_path: Path) -> None:
    """One paragraph's sixty sentences fill the window Lite groups from: the other paragraphs must still come.
    (Storage logic, so stand-in vectors: the query, and directions further from it.)"""
    dim, n = 8, 6
    doc = Document("d", "d.txt", "标题", "Title", ("Testland",), date="2024", language="en")
    paragraphs = tuple(Paragraph(f"d:{i}", "d", str(i), "", f"paragraph {i} " * 3, i) for i in range(n))
    q = np.eye(dim, dtype=np.float32)[0]
    others = [np.eye(dim, dtype=np.float32)[1] * 0.1 * i + q * (1 - 0.1 * i) for i in range(1, n)]
    others = [v / np.linalg.norm(v) for v in others]
    rows = [0] * 60 + list(range(1, n))
    sentences = Sentences(np.asarray([q] * 60 + others, dtype=np.float32), np.asarray(rows, dtype=np.int32),
                          np.zeros(len(rows), dtype=np.int32), np.ones(len(rows), dtype=np.int32))
    change = Change({"model": {"name": "stand-in", "dim": dim}, "counts": {}}, (doc,),
                    Segment(paragraphs, np.asarray([q, *others]), sentences, [["paragraph"]] * n),
                    frozenset(), np.asarray([np.eye(dim, dtype=np.float32)[2]]), rebuild=True)
    module, where = backend(f"milvus:{tmp_path / 'qa.db'}")
    module.commit(tmp_path / "index", where, change)
    store = module.load(tmp_path / "index", where)
    assert [pid for pid, _ in store.search_sentences(q, 3)] == ["d:0", "d:1", "d:2"]
    assert [pid for pid, _ in store.search_sentences(q, 10)] == [p.id for p in paragraphs]


# --- damage and bad settings ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def small_db(encoder, cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built one-document Milvus Lite database, released so that tests can copy and damage it."""
    folder = tmp_path_factory.mktemp("small")
    corpus = mixed_corpus(folder / "corpus", ("russia-2022",), ())
    build_index(folder / "index", corpus, encoder, progress=False, cache_dir=cache, store_kind=f"milvus:{folder}/qa.db")
    release(f"{folder}/qa.db")
    return folder / "qa.db"


def damaged_copy(small_db: Path, tmp_path: Path, damage: str) -> str:
    """A copy of the small database with one kind of damage done through Milvus itself; its location."""
    from pymilvus import MilvusClient

    shutil.copytree(small_db, tmp_path / "qa.db")
    client = MilvusClient(str(tmp_path / "qa.db"))
    cols = {c.rsplit("__", 1)[1]: c for c in client.list_collections()}
    if damage == "missing collection":
        client.drop_collection(cols["sent"])
    elif damage == "lost rows":
        client.load_collection(cols["para"])
        client.delete(cols["para"], filter='pid like "russia-2022:1%"')
    elif damage == "unreadable state":
        client.load_collection(cols["meta"])
        client.insert(cols["meta"], [{"pk": 99 << 20, "segment": 0, "version": 99, "chunk": -1,
                                      "blob": json.dumps({"chunks": 0, "sha256": "0" * 64}), "dense": [1.0, 0.0]}])
    elif damage == "alias missing":
        client.drop_alias("qa")
    elif damage == "renamed row":
        client.load_collection(cols["para"])
        row = client.query(cols["para"], filter='pid == "russia-2022:1"', output_fields=["*"])[0]
        client.upsert(cols["para"], [{**row, "pid": "russia-2022:1a"}])
    elif damage == "changed record":
        client.load_collection(cols["para"])
        row = client.query(cols["para"], filter='pid == "russia-2022:1"', output_fields=["*"])[0]
        client.upsert(cols["para"], [{**row, "record": row["record"].replace("核", "氢")}])
    release(str(tmp_path / "qa.db"))
    return f"milvus:{tmp_path / 'qa.db'}"


@pytest.mark.parametrize("damage, why", [("missing collection", r"collection qa__\w+__sent is missing"),
                                         ("lost rows", r"counts disagree \(paragraphs \d+ of 28"),
                                         ("unreadable state", "its state row is unreadable"),
                                         ("renamed row", "its paragraphs do not match their fingerprint")])
def test_damaged_milvus_index_is_refused_in_one_line(small_db: Path, tmp_path: Path, damage: str, why: str) -> None:
    location = damaged_copy(small_db, tmp_path, damage)
    with pytest.raises(IndexDamaged) as e:
        load_index(tmp_path / "index", store_kind=location)
    pattern = rf"Index in {re.escape(str(tmp_path / 'qa.db'))} is damaged: {why}[^\n]*; run `qa index --rebuild`\."
    assert re.fullmatch(pattern, e.value.message), e.value.message


def test_missing_milvus_index_is_refused_as_missing(small_db: Path, tmp_path: Path) -> None:
    for location in (damaged_copy(small_db, tmp_path, "alias missing"), f"milvus:{tmp_path / 'never.db'}"):
        with pytest.raises(IndexMissing) as e:
            load_index(tmp_path / "index", store_kind=location)
        assert e.value.message == f"No index in {location.removeprefix('milvus:')}: run `qa index` first."
    assert not (tmp_path / "never.db").exists()  # looking did not create it


def test_a_changed_paragraph_is_refused_when_read(small_db: Path, tmp_path: Path) -> None:
    store = load_index(tmp_path / "index", store_kind=damaged_copy(small_db, tmp_path, "changed record"))
    assert store.paragraphs(["russia-2022:2"])[0].id == "russia-2022:2"
    with pytest.raises(IndexDamaged, match="paragraph russia-2022:1 does not match its checksum"):
        store.paragraphs(["russia-2022:1"])


@pytest.mark.slow
def test_qa_verify_refuses_damaged_milvus_and_faiss_indexes_in_the_same_words(
        small_db: Path, engine, tmp_path: Path) -> None:
    location = damaged_copy(small_db, tmp_path, "missing collection")
    faiss_dir = tmp_path / "faiss"
    shutil.copytree(engine.settings.index_dir, faiss_dir, ignore=shutil.ignore_patterns(".lock"))
    (faiss_dir / read_commit(faiss_dir)["segments"][0]["name"] / "sentences.faiss").write_bytes(b"broken")
    lines = []
    for store, index_dir in ((location, tmp_path / "index"), ("faiss", faiss_dir)):
        proc = subprocess.run([sys.executable, "-m", "qa.cli.main", "verify", "--index-dir", str(index_dir)],
                              capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                              env={**_env(), "QA_STORE": store})
        assert proc.returncode == 1 and proc.stdout == "", proc.stderr
        lines.append(proc.stderr.strip())
    for line in lines:
        assert "\n" not in line and re.fullmatch(r"error: Index in \S+ is damaged: .+; run `qa index --rebuild`\.", line)


@pytest.mark.parametrize("value, message", [
    ("milvus:", "names no store"), ("mongo:x", "names no store"),
    ("milvus:/tmp/qa.sqlite", "must end in .db"), ("milvus:/tmp/qa.db#not-a-name", "index name 'not-a-name'"),
    ("milvus:http://localhost:19530?index=DISKANN", "index=DISKANN is not one of FLAT, HNSW, IVF_FLAT"),
])
def test_a_bad_store_setting_is_one_clean_line(value: str, message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", "--index-dir", str(tmp_path)], env={"QA_STORE": value})
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("error: QA_STORE") and message in result.output


def test_milvus_store_without_pymilvus_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.store

    for name in ("qa.store.milvus", "qa.store.milvus.store", "qa.store.milvus.schema", "qa.store.milvus.commit"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.delattr(qa.store, "milvus", raising=False)
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=re.escape("pip install -e '.[milvus]'")):
        backend("milvus:./index/qa.db")


def test_speaker_names_are_stored_so_like_matches_them_exactly() -> None:
    assert encode_name("Côte d'Ivoire") == "Côte d~27Ivoire"
    assert encode_name("50%_|~") == "50~25~5F~7C~7E"
    assert parse_location("http://root:Milvus@host:19530#ungdc").token == "root:Milvus"
    assert parse_location("http://root:Milvus@host:19530#ungdc").display == "http://host:19530#ungdc"


# --- the commands, and a server ------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("QA_")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.mark.slow
def test_qa_index_ask_eval_and_serve_work_on_a_milvus_lite_server(cache: Path, tmp_path: Path) -> None:
    """`milvus-lite server` on loopback stands in for a Milvus server: the http:// path, shared by processes,
    two read-only `qa serve` replicas with no corpus folder among them."""
    corpus_dir = mixed_corpus(tmp_path / "corpus", ("russia-2022",), ("IRL",)).path
    port, webs = _free_port(), (_free_port(), _free_port())
    server = subprocess.Popen([str(Path(sys.executable).parent / "milvus-lite"), "server", "--data-dir",
                               str(tmp_path / "server.db"), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**_env(), "QA_STORE": f"milvus:http://127.0.0.1:{port}#small", "QA_CACHE_DIR": str(cache),
           "QA_CORPUS_DIR": str(corpus_dir), "QA_INDEX_DIR": str(tmp_path / "index")}
    serves: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(2)
        run = [sys.executable, "-m", "qa.cli.main"]
        for args in (["index"], ["verify"], ["ask", "What does Ireland say about nuclear weapons?", "--json"]):
            proc = subprocess.run(run + args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
                                  check=False)
            assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["results"][0]["id"].startswith("irl-76")
        questions = tmp_path / "q.jsonl"
        questions.write_text(json.dumps({"id": "q1", "lang": "en", "type": "factual", "question": "Ireland and nuclear",
                                         "doc": "texts/IRL_76_2021.txt", "docs": ["texts/IRL_76_2021.txt"], "gold": ["nuclear"],
                                         "state": "Ireland"}) + "\n", encoding="utf-8")
        proc = subprocess.run(run + ["eval", str(questions)], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=300, check=False)
        assert proc.returncode == 0 and re.search(r"^all\s+1\s+1\.000", proc.stdout, re.MULTILINE), proc.stdout + proc.stderr
        replica = {**env, "QA_CORPUS_DIR": str(tmp_path / "no-corpus-here")}  # a replica needs the URI and the model
        serves = [subprocess.Popen(run + ["serve", "--read-only", "--port", str(p)], cwd=ROOT, env=replica,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in webs]
        for p in webs:
            _wait_for(f"http://127.0.0.1:{p}/healthz")
            with urllib.request.urlopen(f"http://127.0.0.1:{p}/api/ask?q=Ireland%20nuclear&k=2", timeout=60) as r:
                body = json.loads(r.read())
            assert len(body["results"]) == 2 and body["results"][0]["id"].startswith("irl-76")
    finally:
        for proc in [*serves, server]:
            proc.terminate()
            proc.wait(timeout=30)

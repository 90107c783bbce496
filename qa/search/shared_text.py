"""Shared text: a paragraph whose words are also in another party's document.

National reports quote the texts they report on. Australia's and Japan's 2014 reports each repeat the actions
of the 2010 action plan word for word, so a passage that reads as Australia's commitment is the Review
Conference's text, quoted. Citing it as Australia's own words would attribute it wrongly; the answer says
where else the same text stands instead, and the reader judges whose words they are.

Found at answer time, for the passages shown only: the paragraph's rarest words through the lexical channel,
then the candidates' text compared with its own (letters and digits, case folded). No index format of its own,
so every store and every index already built can answer it.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping

from qa.documents.document import Document
from qa.documents.paragraph import Paragraph
from qa.parties.citation import speaks_for
from qa.store.base import Store
from qa.text.analyzers import tokenize

MIN_CHARS = 50  # shorter texts (a heading, "Thank you, Mr. President") recur without being quoted
SAME = 0.8  # the shorter text is within the longer and at least this share of it ("Action 5: …" vs "…")
PROBE_WORDS = 8  # the paragraph's rarest words that find its copies
CANDIDATES = 10


def letters(text: str) -> str:
    """The text as compared: letters, digits and Chinese characters only, case folded, so a hard wrap, a
    full-width comma or a capital does not make two copies differ."""
    return re.sub(r"[\W_]+", "", text.casefold())


def same_text(a: str, b: str) -> bool:
    """Whether two compared texts (`letters`) are one text: one holds the other, nearly all of it."""
    short, long = sorted((a, b), key=len)
    return len(short) >= MIN_CHARS and short in long and len(short) >= SAME * len(long)


# The paragraphs of the same text found for a paragraph id, per store: a store never changes (an update opens a
# new one), and the same passages come back page after page; documents are looked up afresh, as metadata may.
_COPIES: weakref.WeakKeyDictionary[Store, dict[str, tuple[Paragraph, ...]]] = weakref.WeakKeyDictionary()
MAX_REMEMBERED = 100_000


def also_in(store: Store, documents: Mapping[str, Document], p: Paragraph,
            limit: int = 5) -> tuple[tuple[Paragraph, Document], ...]:
    """The paragraphs of other parties' documents that carry `p`'s text, with their documents, at most `limit`
    (the first of each document); () when the text is short or its own."""
    if p.doc not in documents:
        return ()
    remembered = _COPIES.setdefault(store, {})
    if p.id not in remembered:
        if len(remembered) >= MAX_REMEMBERED:
            remembered.clear()
        remembered[p.id] = copies(store, p)
    speakers = speaks_for(documents[p.doc], p)
    out: dict[str, tuple[Paragraph, Document]] = {}
    for other in remembered[p.id]:
        d = documents.get(other.doc)
        if d and other.doc != p.doc and other.doc not in out and not speaks_for(d, other) & speakers:
            out[other.doc] = (other, d)
    return tuple(out.values())[:limit]


def copies(store: Store, p: Paragraph) -> tuple[Paragraph, ...]:
    """The other paragraphs of the store with `p`'s text, found through its rarest words."""
    own = letters(p.text)
    if len(own) < MIN_CHARS:
        return ()
    words = sorted(set(tokenize(p.text)), key=lambda t: (store.document_frequency(t), t))[:PROBE_WORDS]
    ids = [pid for pid, _ in store.search_lexical([(w, 1.0) for w in words], CANDIDATES) if pid != p.id]
    return tuple(other for other in store.paragraphs(ids) if same_text(own, letters(other.text)))

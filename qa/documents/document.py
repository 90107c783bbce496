"""Documents of the corpus and their metadata: who submitted each, whose text it is, when and where."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document as described in `corpus/documents.json`.

    `submitted_by` is who put the document before the meeting (states, or empty for a body's own paper);
    `author` is set only when the text is not the submitter's own (e.g. Japan transmitting the Group of
    Eminent Persons' recommendations), so a citation never attributes that text to the wrong party
    (`citation.speaker` words it).
    """

    id: str
    file: str
    title: str
    title_en: str
    submitted_by: tuple[str, ...]
    author: str = ""
    date: str = ""  # ISO 8601, yyyy-mm-dd
    meeting: str = ""
    symbol: str = ""
    language: str = "zh"
    kind: str = ""
    source: str = ""  # the file as the user named it when adding it (e.g. 'texts/CHN_76_2021.txt')
    sha256: str = ""
    notes: str = ""
    # Whose words each part is, where that differs from `author`: (('body', 'Japan'), ('II', 'Chair of …')).
    # 'body' is the text before the first annex; annexes are named by their Roman numeral.
    part_authors: tuple[tuple[str, str], ...] = ()
    # Names this corpus's readers use for its parties beyond the parties table: (('Chair of …', ("Chair's summary",)),).
    speaker_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Where each field came from when `qa add` recorded it: (('title', 'read'), ('date', 'derived'), ('kind',
    # 'given')); empty for a document described by hand in documents.json.
    metadata_source: tuple[tuple[str, str], ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Document:
        """A document as a store wrote it (JSON lists for tuples); keys of other versions are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        d["submitted_by"] = tuple(d.get("submitted_by", ()))
        d["part_authors"] = tuple(tuple(x) for x in d.get("part_authors", ()))
        d["speaker_aliases"] = tuple((k, tuple(v)) for k, v in d.get("speaker_aliases", ()))
        d["metadata_source"] = tuple((str(k), str(v)) for k, v in d.get("metadata_source", ()))
        return cls(**d)

    def author_of(self, part: str) -> str:
        """The author of the text in `part` ('' for the body, 'I', 'II' for annexes): override or `author`."""
        return dict(self.part_authors).get(part or "body", self.author)

    def source_of(self, name: str) -> str:
        """'read', 'derived' or 'given' for a field `qa add` recorded; '' when not known."""
        return dict(self.metadata_source).get(name, "")

    @property
    def year(self) -> str:
        return self.date[:4]


def document_id(paragraph_id: str) -> str:
    """The document of a paragraph id: ids are `<doc>:<label>` (see `Paragraph`), so nothing needs reading to know
    it. (Here, not in paragraph.py: that file's text is part of the segmenter's identity, see `freshness`.)"""
    return paragraph_id.partition(":")[0]

"""Paragraphs: the unit the product answers with, each carrying its document, label and section."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Paragraph:
    """One paragraph as its author laid it out.

    `id` is `<doc>:<label>`, derived from the document and the paragraph's label, so it is stable across
    runs. `label` is anchor-safe (letters, digits, `.`, `-`). Only `searchable` paragraphs are indexed;
    headings and boilerplate are kept for display and context.

    `part` is the annex the paragraph sits in ('I', 'II'; '' for the body). `author` is whose words these
    are, resolved per part by the corpus (Japan's note verbale vs. the Group's recommendations vs. the
    Chair's own summary); '' means the submitters' own text and None "as the document says" (a paragraph
    built without a corpus). `line` is the first source line (1-based).

    `page` is the 1-based page of the first line in a paged source (form feeds or running headers/footers),
    0 when the source has no pages. `numbered` is True when the label's leading number is printed in the
    document ('12.' -> label '12'), False for a counted label ('u3', or '3' in a part without numbers).
    `ordinal` is the 1-based place of a body paragraph or item among those under the same heading (0 for
    headings, footnotes, rows and boilerplate), for citations such as "3rd paragraph under 'Introduction'".
    """

    id: str
    doc: str
    label: str
    section: str
    text: str
    position: int
    kind: str = "paragraph"  # paragraph | item | note | row | heading | footnote | boilerplate | salutation | furniture
    searchable: bool = True
    part: str = ""
    author: str | None = None
    line: int = 0
    page: int = 0
    numbered: bool = False
    ordinal: int = 0

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Paragraph:
        """A paragraph as a store wrote it (`dataclasses.asdict`); keys of other versions are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

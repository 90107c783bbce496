"""Documents of the corpus and their metadata: who submitted each, whose text it is, when and where."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One source document as described in `corpus/documents.json`.

    `submitted_by` is who put the document before the meeting (states, or empty for a body's own paper);
    `author` is set only when the text is not the submitter's own (e.g. Japan transmitting the Group of
    Eminent Persons' recommendations), so a citation never attributes that text to the wrong party.
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
    kind: str = "working paper"
    sha256: str = ""
    notes: str = ""
    # Whose words each part is, where that differs from `author`: (('body', 'Japan'), ('II', 'Chair of …')).
    # 'body' is the text before the first annex; annexes are named by their Roman numeral.
    part_authors: tuple[tuple[str, str], ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def author_of(self, part: str) -> str:
        """The author of the text in `part` ('' for the body, 'I', 'II' for annexes): override or `author`."""
        return dict(self.part_authors).get(part or "body", self.author)

    @property
    def speaker(self) -> str:
        """Whose words these are, in plain English: 'Group of Eminent Persons, transmitted by Japan'."""
        subs = join_names(self.submitted_by)
        if self.author and subs and self.author not in self.submitted_by:
            return f"{self.author}, transmitted by {subs}"
        return self.author or subs

    def speaker_for(self, author: str | None) -> str:
        """`speaker` for a passage whose own author is `author` (see `Paragraph.author`; None: the document's)."""
        author = self.author if author is None else author
        subs = join_names(self.submitted_by)
        if author and subs and author not in self.submitted_by:
            return f"{author}, transmitted by {subs}"
        return author or subs

    @property
    def year(self) -> str:
        return self.date[:4]


def join_names(names: tuple[str, ...] | list[str]) -> str:
    """'China, France and United States' — readable for one, two or many names."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]

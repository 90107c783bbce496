"""Paragraphs: the unit the product answers with, each carrying its document, label and section."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    """One paragraph as its author laid it out.

    `id` is `<doc>:<label>`, derived from the document and the paragraph's label, so it is stable across
    runs. `label` is anchor-safe (letters, digits, `.`, `-`). Only `searchable` paragraphs are indexed;
    headings and boilerplate are kept for display and context.
    """

    id: str
    doc: str
    label: str
    section: str
    text: str
    position: int
    kind: str = "paragraph"  # paragraph | item | heading | footnote | boilerplate
    searchable: bool = True

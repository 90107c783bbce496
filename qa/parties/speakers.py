"""Who speaks in a corpus: the names its documents use, resolved to the parties table.

Documents name their submitters and authors as their source writes them ("United Kingdom", "Iran (Islamic
Republic of)"); questions and filters name parties any way a reader does ("英国", "Iran", "P5"). `Speakers`
joins the two, so a filter, a question and a citation all mean the same party, and a group means its members
as well as its own documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qa.errors import InputError
from qa.parties.table import Parties, Party, load_parties


class Speakers:
    """The parties one corpus's documents speak for, by the names those documents use."""

    def __init__(self, names: Iterable[str], parties: Parties | None = None,
                 aliases: Mapping[str, Iterable[str]] | None = None) -> None:
        names = sorted({n for n in names if n})
        self.parties = (parties or load_parties()).with_names(names, aliases)
        self.names = tuple(names)
        self._names_of: dict[str, set[str]] = {}  # canonical party name -> the corpus's names for it
        for n in names:
            party = self.parties.resolve(n)
            if party is not None:
                self._names_of.setdefault(party.name, set()).add(n)

    def own_names(self, name: str) -> frozenset[str]:
        """The corpus's names of the party `name` itself, not of its members (a group's own documents)."""
        return frozenset(self._names_of.get(name, ()))

    def names_for(self, party: Party) -> frozenset[str]:
        """The corpus's names of `party`; for a group, also those of its members."""
        out = set(self._names_of.get(party.name, ()))
        for member in self.parties.expand(party.name):
            out |= self._names_of.get(member, set())
        return frozenset(out)

    def named_in(self, question: str) -> tuple[frozenset[str], ...]:
        """The parties a question names as speakers, each as the corpus's names for it ('China–US dialogue'
        names a topic, not a speaker). Parties without documents in this corpus are left out."""
        out: list[frozenset[str]] = []
        for m in self.parties.mentions(question):
            names = self.names_for(m.party) if m.role == "speaker" else frozenset()
            if names and names not in out:
                out.append(names)
        return tuple(out)

    def resolve(self, text: str) -> frozenset[str]:
        """The corpus's names for a party a user named in a filter (any alias, either language, or a group).

        An unknown name is an InputError that suggests the closest known names; a known party with no
        documents here resolves to an empty set (the filter then matches nothing).
        """
        party = self.parties.resolve(text)
        if party is None:
            close = self.parties.suggest(text, 5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise InputError(f"Unknown state or body {text.strip()[:80]!r}.{hint} Names may be given in English or "
                             f"Chinese, with common short forms ('Iran', '伊朗') and groups ('P5', 'NAM').")
        return self.names_for(party)

    def groups(self) -> list[str]:
        """The groups of the parties table that have members speaking in this corpus (for pick lists)."""
        return sorted(p.name for p in self.parties if p.kind == "group" and self.names_for(p))

    def zh(self, name: str) -> str:
        return self.parties.zh(name)


NEW_PARTY_FLAG = "--new-party"


def unknown_party_message(parties: Parties, name: str, given_as: str) -> str:
    """Why a submitter no party has is refused, with the closest names and the two fixes: a name the table
    knows, or `qa add --new-party`, which keeps the name as a party of this corpus (in its documents.json; the
    parties table inside the package is not the user's to edit). `given_as` says where the name came from:
    "read" (a document's first page), "flag" (--submitted-by), "column" (a manifest's submitted_by), "author flag"
    (--author) or "author column" (a manifest's author)."""
    close = parties.suggest(name, 3)
    hint = f"closest parties: {', '.join(close)}" if close else "no party comes close"
    flag = {"flag": "--submitted-by", "author flag": "--author"}.get(given_as)
    if flag:
        return (f"{flag} {name!r} is not in the parties table ({hint}); give a name it knows (any name or alias, in "
                f"English or Chinese), or add {NEW_PARTY_FLAG} to add {name!r} as a party of this corpus")
    column = {"column": ("submitter", "submitted_by"), "author column": ("author", "author")}.get(given_as)
    if column:
        return (f"{column[0]} {name!r} is not in the parties table ({hint}); correct the {column[1]} column, or give "
                f"{NEW_PARTY_FLAG} to add it as a party of this corpus")
    return (f"submitter {name!r} is not in the parties table ({hint}); give --submitted-by with a name it knows, "
            f"or --submitted-by {name!r} {NEW_PARTY_FLAG} to add it as a party of this corpus")

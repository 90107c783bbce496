"""The parties of the UN disarmament field in both languages: states, observers, groups and bodies.

Every name a corpus, a question or a page uses for a party ("Russia", "俄方", "Iran (Islamic Republic of)", "P5")
resolves here to one canonical party, so the search, the filters, the answers and the pages agree on who spoke.
The table is data, `corpus/parties.json`, rebuilt by `scripts/make_parties.py`; this module reads and matches it.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from qa.errors import CorpusError
from qa.resources import data_file

PARTIES_PATH = data_file("parties.json")
KINDS = ("state", "observer", "group", "body")
CORPUS_ONLY_SOURCE = "named by a corpus; not in corpus/parties.json"


@dataclass(frozen=True)
class Party:
    """A state, observer State, group or body, with its UN names in English and Chinese.

    `name` is the canonical English name (the UN short name for states); every other form a reader uses is in
    `aliases`. A group lists its `members` by canonical name, as they were at `as_of`.
    """

    name: str
    name_zh: str
    kind: str
    iso3: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]
    source: str
    as_of: str = ""
    # how English writes "of this country" ("Palestinian"): not a name (a text naming "the Japanese delegation"
    # is not Japan speaking) but a sign that a text is about the country
    demonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """Where a text names a party. `role` is "topic" when the name only modifies another noun ("China–US
    dialogue", "中美对话") or is the object of a preposition ("what did Germany say about Ukraine",
    "德国对乌克兰说了什么"), and "speaker" otherwise: a question naming a speaker asks what that party said."""

    start: int
    end: int
    party: Party
    text: str
    role: str


@dataclass(frozen=True)
class Abbreviation:
    """A one-character Chinese abbreviation of a state (中, 美, 俄), found only inside compounds such as 中美.

    The characters in `not_preceded_by` / `not_followed_by` join it into another word (今日, 美洲), where it
    abbreviates nothing."""

    char: str
    party: str
    not_preceded_by: str = ""
    not_followed_by: str = ""


def _fold_table() -> dict[int, str]:
    """One character for one character, so that offsets in the folded text are offsets in the original."""
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):  # Latin-1 Supplement, Latin Extended-A and -B: accents off (Türkiye, Côte)
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base != chr(cp) and base.isascii():
            table[cp] = base
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII: （ＵＳ） -> (US)
        table[cp] = chr(cp - 0xFEE0)
    for c in "\u2018\u2019\u201a\u201b\u2032\u00b4":
        table[ord(c)] = "'"
    for c in "\u201c\u201d\u201e\u201f\u2033":
        table[ord(c)] = '"'
    for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63":
        table[ord(c)] = "-"
    for c in "\t\n\r\f\v\u00a0\u2002\u2003\u2009\u202f\u3000":
        table[ord(c)] = " "
    return table


_FOLD = _fold_table()
_QUOTES = "'\"《》「」『』〈〉"


def fold(text: str) -> str:
    """Lower case, accents off, full-width to half-width, curly quotes and dashes straight: the form names are
    compared in. Same length as `text` (İ, the one letter whose lower case is two characters, loses its dot)."""
    return text.translate(_FOLD).lower()


def clean_name(text: str) -> str:
    """A name as typed or printed, made comparable: widths, quotes and dashes folded, spaces collapsed,
    surrounding quotes and a leading "the " dropped. Case is kept, since acronyms are case-sensitive."""
    name = " ".join(text.translate(_FOLD).split()).strip(_QUOTES).strip()
    if name[:4].lower() == "the ":
        name = name[4:].lstrip()
    return name


def is_acronym(form: str) -> bool:
    """Capitals and no small letters ("US", "P5", "U.S."): matched in exactly that case, so "us" is not the US."""
    return any(c.isupper() for c in form) and not any(c.islower() for c in form)


def _is_word(c: str) -> bool:
    """A letter or digit of an alphabetic script: names in those scripts end on word boundaries. Han characters
    are not, since Chinese has no spaces between words."""
    return c < "\u2e80" and c.isalnum()


def _is_han(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


# A trie node: child nodes by character, and under _END the names that end there.
_END = ""
_Entry = tuple[int, str | None, bool, bool, bool]  # party index (-1: not a name), exact form, boundaries, X方
_SEPARATORS = {"-", "/"}
# A name right after one of these prepositions is what is spoken about, not who speaks.
_OBJECT_OF = re.compile(r"(?:(?:对于|对|关于|有关|针对|就)\s*|\b(?:about|on|regarding|concerning|towards?|against)\s+"
                        r"(?:the\s+)?)$", re.IGNORECASE)
_Found = tuple[int, int, int, bool]  # start, end, party index, named as a topic


class _NameMatcher:
    """Where a text names parties: every name and alias in a trie of folded forms, plus the one-character Chinese
    abbreviations that only name states inside compounds. Works on party indexes; `Parties.mentions` turns them
    into `Mention` records."""

    def __init__(self, forms: Iterable[tuple[str, int]], side_stop: frozenset[str],
                 abbreviations: Mapping[str, tuple[Abbreviation, int]]) -> None:
        """`forms`: (name, party index), index -1 for a phrase that names nobody; `abbreviations`: character ->
        (the abbreviation, the index of its state)."""
        self._trie: dict[str, Any] = {}
        self._side_stop = side_stop
        self._abbreviations = dict(abbreviations)
        for form, index in forms:
            self._add(form, index)

    def _add(self, form: str, index: int) -> None:
        exact = " ".join(form.translate(_FOLD).split())
        key = exact.lower()
        if not key:
            return
        node = self._trie
        for c in key:
            node = node.setdefault(c, {})
        entry: _Entry = (index, exact if is_acronym(exact) else None, _is_word(key[0]), _is_word(key[-1]),
                         len(key) >= 2 and key[-1] == "方" and _is_han(key[-2]))
        entries: list[_Entry] = node.setdefault(_END, [])
        if entry not in entries:
            entries.append(entry)

    def find(self, text: str) -> list[_Found]:
        """The names in `text` in order, without overlaps (the longest wins), each marked as a topic or not."""
        folded = text.translate(_FOLD)
        low = folded.lower()
        n = len(low)
        found: list[tuple[int, int, int]] = []
        trie = self._trie
        for i in range(n):
            node = trie.get(low[i])
            if node is None:
                continue
            after_word = i > 0 and _is_word(low[i - 1])
            j = i
            while True:
                j += 1
                ends = node.get(_END)
                if ends:
                    for index, exact, left, right, side in ends:
                        if left and after_word:
                            continue
                        if j < n and ((right and _is_word(low[j])) or (side and low[j] in self._side_stop)):
                            continue
                        if exact is not None and folded[i:j] != exact:
                            continue
                        found.append((i, j, index))
                if j >= n:
                    break
                node = node.get(low[j])
                if node is None:
                    break
        taken = bytearray(n)
        chosen: list[_Found] = []
        for start, end, index in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            if index >= 0:
                chosen.append((start, end, index, False))
        if self._abbreviations:
            chosen.extend(self._compounds(low, taken))
        chosen.sort()
        topic = [is_topic for _, _, _, is_topic in chosen]
        for k in range(1, len(chosen)):
            between = low[chosen[k - 1][1]:chosen[k][0]]
            if between.strip() in _SEPARATORS and len(between) <= 3:
                topic[k - 1] = topic[k] = True
        return [(start, end, index, topic[k]) for k, (start, end, index, _) in enumerate(chosen)]

    def _compounds(self, low: str, taken: bytearray) -> list[_Found]:
        """Runs of two or more one-character abbreviations of different states in text no name took."""
        abbreviations = self._abbreviations
        out: list[_Found] = []
        n = len(low)
        i = 0
        while i < n:
            if taken[i] or low[i] not in abbreviations:
                i += 1
                continue
            j = i
            while j < n and not taken[j] and low[j] in abbreviations:
                j += 1
            start, end = i, j
            if start > 0 and low[start - 1] in abbreviations[low[start]][0].not_preceded_by:
                start += 1
            if end < n and end > start and low[end] in abbreviations[low[end - 1]][0].not_followed_by:
                end -= 1
            states = [abbreviations[c][1] for c in low[start:end]]
            if len(states) >= 2 and len(set(states)) == len(states):
                out.extend((k, k + 1, index, True) for k, index in zip(range(start, end), states, strict=True))
            i = j
        return out


class Parties:
    """The table, with the look-ups and the matcher built once. Immutable: `with_names` returns a new one."""

    def __init__(self, parties: Iterable[Party], not_names: Iterable[str] = (), side_not_followed_by: str = "",
                 abbreviations: Iterable[Abbreviation] = ()) -> None:
        self.parties: tuple[Party, ...] = tuple(parties)
        self._not_names = tuple(not_names)
        self._side_stop = frozenset(side_not_followed_by)
        self._abbreviations = {a.char: a for a in abbreviations}
        self._by_name = {p.name: i for i, p in enumerate(self.parties)}
        if len(self._by_name) != len(self.parties):
            raise CorpusError("Two parties share one canonical name: keep each name once in corpus/parties.json.")
        self._exact: dict[str, int] = {}  # acronyms, by their cleaned form
        self._folded: dict[str, int] = {}  # every other name, by its folded form
        forms: list[tuple[str, int]] = []
        for i, party in enumerate(self.parties):
            for form in (party.name, party.name_zh, *party.aliases):
                if self._add_name(form, i):
                    forms.append((form, i))
        forms += [(phrase, -1) for phrase in self._not_names]
        for a in self._abbreviations.values():
            if a.party not in self._by_name:
                raise CorpusError(f"Abbreviation {a.char} stands for {a.party!r}, which is no party.")
        self._matcher = _NameMatcher(forms, self._side_stop,
                                     {c: (a, self._by_name[a.party]) for c, a in self._abbreviations.items()})
        self._groups_of: dict[str, tuple[str, ...]] | None = None
        self._suggestion_keys = (*self._folded.items(), *((k.lower(), i) for k, i in self._exact.items()))

    # --- building ----------------------------------------------------------------------------------------------

    def _add_name(self, form: str, index: int) -> bool:
        """Index a name for `resolve`; False when it is empty once cleaned (nothing to match)."""
        cleaned = clean_name(form)
        if not cleaned:
            return False
        table, key = (self._exact, cleaned) if is_acronym(cleaned) else (self._folded, cleaned.lower())
        other = table.setdefault(key, index)
        if other != index:
            raise CorpusError(f"{form!r} names both {self.parties[other].name!r} and {self.parties[index].name!r}: "
                              "keep it on one party in corpus/parties-curated.json and rerun scripts/make_parties.py.")
        return True

    # --- look-ups ----------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.parties)

    def __iter__(self) -> Iterator[Party]:
        return iter(self.parties)

    def get(self, name: str) -> Party | None:
        """The party whose canonical name is exactly `name`."""
        i = self._by_name.get(name)
        return None if i is None else self.parties[i]

    def resolve(self, text: str) -> Party | None:
        """The party any of its names or aliases in either language stands for ("Russia", "俄方", "the US",
        "ＩＲＡＮ"); None if none does. Case-insensitive except for acronyms: "us" is no party."""
        name = clean_name(text)
        i = self._exact.get(name)
        if i is None:
            i = self._folded.get(name.lower())
        return None if i is None else self.parties[i]

    def _party(self, name: str) -> Party | None:
        return self.get(name) or self.resolve(name)

    def zh(self, name: str) -> str:
        """The Chinese name of a party given by any of its names; the name itself when no party has it, so a
        caller can always print something."""
        party = self._party(name)
        return party.name_zh if party else name

    def expand(self, name: str) -> tuple[str, ...]:
        """The member states of a group, through groups inside it, in the group's order; a state or body is
        itself. Empty when no party has the name: a filter on an unknown name matches nothing."""
        party = self._party(name)
        if party is None:
            return ()
        if party.kind != "group":
            return (party.name,)
        out: dict[str, None] = {}
        self._expand_into(party, out, {party.name})
        return tuple(out)

    def _expand_into(self, group: Party, out: dict[str, None], path: set[str]) -> None:
        for member in group.members:
            party = self.get(member)
            if party is None or party.kind != "group":
                out[member] = None
            elif member not in path:
                self._expand_into(party, out, path | {member})

    def groups_of(self, name: str) -> tuple[str, ...]:
        """The groups a party belongs to, directly or through another group, in table order."""
        party = self._party(name)
        if party is None:
            return ()
        if self._groups_of is None:
            table: dict[str, list[str]] = {}
            for group in self.parties:
                if group.kind == "group":
                    inside: dict[str, None] = {}
                    self._closure(group, inside, {group.name})
                    for member in inside:
                        table.setdefault(member, []).append(group.name)
            self._groups_of = {k: tuple(v) for k, v in table.items()}
        return self._groups_of.get(party.name, ())

    def _closure(self, group: Party, out: dict[str, None], path: set[str]) -> None:
        for member in group.members:
            out[member] = None
            party = self.get(member)
            if party is not None and party.kind == "group" and member not in path:
                self._closure(party, out, path | {member})

    def suggest(self, text: str, n: int = 5) -> list[str]:
        """Canonical names closest to an unknown name, for a "did you mean" message: "Iren" -> Iran (Islamic
        Republic of), "伊郎" -> Iran. Compares with every name and alias in either language."""
        query = clean_name(text).lower()
        if not query or n <= 0:
            return []
        cutoff = 0.5
        best: dict[int, float] = {}
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(query)
        for key, i in self._suggestion_keys:
            score = 0.9 if len(query) >= 3 and query in key else 0.0
            matcher.set_seq1(key)
            if matcher.real_quick_ratio() >= max(cutoff, score) and matcher.quick_ratio() >= max(cutoff, score):
                score = max(score, matcher.ratio())
            if score >= cutoff and score > best.get(i, 0.0):
                best[i] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], self.parties[item[0]].name))
        return [self.parties[i].name for i, _ in ranked[:n]]

    def with_names(self, names: Iterable[str], aliases: Mapping[str, Iterable[str]] | None = None) -> Parties:
        """The table plus the names a corpus uses that no party has, each kept as a body, so that every
        submitter and author of any corpus is a party (and can be filtered on and printed); `aliases` adds the
        names a corpus's readers use for its parties (e.g. "Chair's summary" for the author of that annex)."""
        parties = list(self.parties)
        for raw in names:
            name = " ".join(raw.split())
            if name and self.resolve(name) is None and all(p.name != name for p in parties):
                parties.append(Party(name=name, name_zh=name, kind="body", iso3="", aliases=(), members=(),
                                     source=CORPUS_ONLY_SOURCE))
        index = {p.name: i for i, p in enumerate(parties)}
        for name, forms in (aliases or {}).items():
            party = self.resolve(name)
            i = index.get(party.name if party else " ".join(name.split()))
            if i is not None:
                parties[i] = replace(parties[i], aliases=(*parties[i].aliases, *forms))
        if len(parties) == len(self.parties) and not aliases:
            return self
        return Parties(parties, self._not_names, "".join(sorted(self._side_stop)), self._abbreviations.values())

    # --- matching ----------------------------------------------------------------------------------------------

    def mentions(self, text: str) -> list[Mention]:
        """The parties a text names, in order, without overlaps: where names overlap the longest wins
        ("名人小组主席总结" names the Chair, not the Group). Names in alphabetic scripts match whole words only,
        acronyms in their own case only ("US", not "us"). One-character Chinese abbreviations (中, 美, 俄…) are
        never matched alone, only as compounds such as 中美 or 美俄, and there as topics, like names joined by a
        dash or slash ("China–US dialogue", "US/Russia talks") and names after a preposition ("about Ukraine",
        "对乌克兰")."""
        return [Mention(start, end, self.parties[index], text[start:end],
                        "topic" if topic or _OBJECT_OF.search(text[max(0, start - 24):start]) else "speaker")
                for start, end, index, topic in self._matcher.find(text)]


def parties_from_json(data: Mapping[str, Any], origin: str = "parties.json") -> Parties:
    """The table from the parsed JSON of corpus/parties.json (see scripts/make_parties.py for its shape)."""
    try:
        parties = [Party(name=p["name"], name_zh=p["name_zh"], kind=p["kind"], iso3=p.get("iso3", ""),
                         aliases=tuple(p.get("aliases", ())), members=tuple(p.get("members", ())),
                         source=p["source"], as_of=p.get("as_of", ""), demonyms=tuple(p.get("demonyms", ())))
                   for p in data["parties"]]
        abbreviations = [Abbreviation(char, a["party"], a.get("not_preceded_by", ""), a.get("not_followed_by", ""))
                         for char, a in data.get("zh_abbreviations", {}).get("states", {}).items()]
        not_names = data.get("not_names", {}).get("phrases", ())
        side_stop = data.get("zh_side_forms", {}).get("not_followed_by", "")
    except (KeyError, TypeError, AttributeError) as e:
        raise CorpusError(f"{origin} is not a parties table ({type(e).__name__}: {e}); "
                          "rebuild it with `python scripts/make_parties.py`.") from None
    for p in parties:
        if p.kind not in KINDS:
            raise CorpusError(f"{origin}: {p.name!r} has kind {p.kind!r}; use one of {', '.join(KINDS)}.")
    return Parties(parties, not_names, side_stop, abbreviations)


@lru_cache(maxsize=8)
def _load(path: Path) -> Parties:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CorpusError(f"Cannot read the parties table {path}: {e}. "
                          "Rebuild it with `python scripts/make_parties.py`.") from None
    return parties_from_json(data, str(path))


def load_parties(path: Path | None = None) -> Parties:
    """The parties table, read once per process and path (corpus/parties.json by default)."""
    return _load((path or PARTIES_PATH).resolve())

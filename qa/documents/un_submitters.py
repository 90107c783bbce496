"""Who a UN document is by, as its first page says: the submitters of "Working paper submitted by Ireland, on
behalf of …" and "中国、法国……提交的工作文件", the author of "Note by the Secretariat" or of a text a note
verbale transmits, each name resolved through the parties table (an unknown name is a problem that names the
closest parties, never a silent new party).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from qa.parties.speakers import unknown_party_message
from qa.parties.table import Parties, Party, clean_name, fold
from qa.text.scripts import HAN, has_han

_KINDS_EN = (("note verbale", "note verbale"), ("working paper", "working paper"),
             ("national report", "national report"), ("report", "report"), ("statement", "statement"),
             ("draft resolution", "draft resolution"), ("resolution", "resolution"), ("decision", "decision"),
             ("letter", "letter"), ("note", "report"))
_KINDS_ZH = (("普通照会", "note verbale"), ("工作文件", "working paper"), ("国家报告", "national report"),
             ("报告", "report"), ("发言", "statement"), ("声明", "statement"), ("决议草案", "draft resolution"),
             ("决议", "resolution"), ("决定", "decision"), ("信", "letter"), ("说明", "report"),
             ("研究报告", "research paper"))


def kind_zh(kind: str) -> str:
    """A document kind as a Chinese citation names it ('working paper' is 工作文件); '' for one it does not."""
    return next((zh for zh, en in _KINDS_ZH if en == kind), "")



# --- who: submitters and authors ----------------------------------------------------------------------------------

_SPLIT_NAMES = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|、|，|和|及|以及)\s*")
_FILLER = re.compile(r"^(?:the|of|government of|delegation of|permanent mission of|政府|代表团)$", re.IGNORECASE)


def resolve_loose(parties: Parties, name: str) -> Party | None:
    """A party by any of its names; failing that, the one party whose name or an alias begins with `name`
    ("the facilitator" -> the Facilitator for the Conference on … Middle East zone …)."""
    name = clean_name(name)
    party = parties.resolve(name)
    if party is not None or len(name) < 4:
        return party
    key = fold(name)
    found = {p.name: p for p in parties for form in (p.name, p.name_zh, *p.aliases)
             if fold(form).startswith(key + (" " if key.isascii() else ""))}
    return next(iter(found.values())) if len(found) == 1 else None


def _names(parties: Parties, text: str) -> tuple[list[Party], list[str]]:
    """The parties a list of names ("Brazil, Egypt and Ireland", "中国、法国和俄罗斯联邦") names, and the
    names no party has. Words around a name in the same list item qualify it ("the members of the Vienna Group
    of Ten", "Group of Non-Aligned States Parties to the Treaty …"): they are not names of their own."""
    text = re.sub(r"\([^)]*\)$|（[^）]*）$", "", text.strip()).strip(" .;:，。")
    text = re.sub(r"^由", "", text)
    found: list[Party] = []
    unknown: list[str] = []
    mentions = parties.mentions(text)
    rest = text
    for m in reversed(mentions):
        rest = rest[:m.start] + "\x00" + rest[m.end:]
    for m in mentions:
        if m.party not in found:
            found.append(m.party)
    for piece in _SPLIT_NAMES.split(rest):
        piece = piece.strip(" ,.;:")
        piece = re.sub(r"^(?:the|and)\s+", "", piece, flags=re.IGNORECASE).strip()
        if not piece or "\x00" in piece or _FILLER.match(piece):
            continue
        party = resolve_loose(parties, piece)
        if party is not None:
            found.append(party)
        else:
            unknown.append(piece)
    return found, unknown


def _unknown_message(parties: Parties, name: str) -> str:
    return unknown_party_message(parties, name, "read")


# --- the kind line --------------------------------------------------------------------------------------------------

_COLON_KIND_EN = re.compile(r"^(?P<who>[^:]{2,300}): (?P<kind>(?:[Rr]evised )?[Dd]raft (?:resolution|decision))$")
SUBMITTED_EN = re.compile(r"^(?P<kind>.*?)\b(?:[Ss]ubmitted|[Pp]resented) by (?P<who>.+)$")
_BY_EN = re.compile(r"^(?P<kind>(?:[A-Z][a-z]+ )?(?:[Rr]eport|[Nn]ote|[Ss]tatement|[Ww]orking paper|[Ll]etter))"
                    r"(?: (?:on the activities|on the implementation))? (?:by|of) (?:the )?(?P<who>.+?)"
                    r"(?= (?:to|on|under|pursuant|in|at|for|concerning|regarding)\b|,|$)")
_NOTE_VERBALE_EN = re.compile(r"^(?P<kind>Note verbale|Letter) dated .+? from (?:the )?(?:Permanent Mission|"
                              r"Permanent Representative|Government|Chargé d'affaires a\.i\.|Minister)[^,]*? of "
                              r"(?:the )?(?P<who>.+?) to the (?:United Nations|Conference|Chair|President|"
                              r"Secretary)")
_SUBMITTED_ZH = re.compile(rf"^(?P<who>[^“”《》]+?)(?:代表(?P<behalf>.+?))?(?:提交|提出)的(?P<kind>[{HAN}]*)$")
_BY_ZH = re.compile(r"^(?P<who>秘书处|秘书长|主席|协调人|.{2,30}?)(?:的)?(?P<kind>说明|报告|发言)$")
_NOTE_VERBALE_ZH = re.compile(r"(?P<who>[^\d年月日]{2,30}?)(?:常驻联合国(?:日内瓦办事处)?代表团|政府|常驻代表)"
                              r".{0,40}?的(?P<kind>普通照会|信)$")
_TRANSMIT = re.compile(r"transmit|转递|转交", re.IGNORECASE)


def kind_of(words: str, zh: bool) -> str:
    low = words.lower()
    for key, kind in (_KINDS_ZH if zh else _KINDS_EN):
        if key in low:
            return kind
    return ""


@dataclass
class Who:
    submitted_by: list[Party] = field(default_factory=list)
    on_behalf_of: list[Party] = field(default_factory=list)
    author: Party | None = None
    kind: str = ""
    problems: list[str] = field(default_factory=list)
    before_title: bool = False  # a line printed above the title ("X, Y and Z: draft resolution")

    def add(self, parties: Parties, names: str, behalf: str = "") -> None:
        found, unknown = _names(parties, names)
        self.submitted_by += [p for p in found if p not in self.submitted_by]
        self.problems += [_unknown_message(parties, u) for u in unknown]
        if behalf:
            found, _ = _names(parties, behalf)
            self.on_behalf_of += [p for p in found if p not in self.on_behalf_of]


def who_line(line: str, parties: Parties) -> Who | None:
    """The submitters, author and kind a kind line prints ("Working paper submitted by Ireland, on behalf of
    the New Agenda Coalition", "Note by the Secretariat", "瑞典提交的工作文件"); None if it is no kind line."""
    who = Who()
    if has_han(line):
        if m := _SUBMITTED_ZH.match(line):
            who.kind = kind_of(m.group("kind"), True) or "working paper"
            who.add(parties, m.group("who"), m.group("behalf") or "")
            return who
        if m := _NOTE_VERBALE_ZH.search(line):
            who.kind = kind_of(m.group("kind"), True)
            who.add(parties, m.group("who"))
            return who if who.submitted_by else None
        if m := _BY_ZH.match(line):
            party = resolve_loose(parties, m.group("who"))
            if party is None:
                return None
            who.kind = kind_of(m.group("kind"), True)
            if party.kind in ("body",):
                who.author = party
            else:
                who.submitted_by.append(party)
            return who
        return None
    if m := _COLON_KIND_EN.match(line):  # "Austria, Brazil and Mexico: draft resolution"
        who.kind = m.group("kind").lower()
        who.add(parties, m.group("who"))
        who.before_title = True
        return who if who.submitted_by else None
    if m := SUBMITTED_EN.match(line):
        names, _, behalf = re.split(r",? on behalf of ", m.group("who"), maxsplit=1)[0], None, ""
        parts = re.split(r",? on behalf of ", m.group("who"), maxsplit=1)
        names, behalf = parts[0], (parts[1] if len(parts) > 1 else "")
        names = re.split(r"\s+(?:pursuant|under|in accordance|in its capacity)\b", names)[0]
        behalf = re.split(r"\s+(?:pursuant|under|in accordance)\b", behalf)[0]
        who.kind = kind_of(m.group("kind"), False)
        who.add(parties, names, behalf)
        return who
    if m := _NOTE_VERBALE_EN.match(line):
        who.kind = kind_of(m.group("kind"), False)
        who.add(parties, m.group("who"))
        return who if who.submitted_by else None
    if m := _BY_EN.match(line):
        party = resolve_loose(parties, m.group("who"))
        if party is None:
            found = [x.party for x in parties.mentions(m.group("who")[:80])]
            if not found:
                return None
            party = found[0]
        who.kind = kind_of(m.group("kind"), False)
        if party.kind == "body":
            who.author = party
        else:
            who.submitted_by.append(party)
        return who
    return None


def transmitted_author(lines: list[str], parties: Parties, submitters: set[str], zh: bool) -> str:
    """Whose text a note verbale or letter transmits: the first body or group named after "transmit"/"转递" in
    the sentence that transmits it, other than the submitter (a chair's summary, a group's recommendations)."""
    text = ("" if zh else " ").join(x for x in lines if x)
    m = _TRANSMIT.search(text[:3000])
    if not m:
        return ""
    end = re.search(r"[。.](?:\s|$)", text[m.end():])
    sentence = text[m.end(): m.end() + (end.start() if end else 400)]
    sentence = re.sub(r"“[^”]*”|\"[^\"]*\"|《[^》]*》", "", sentence)
    for mention in parties.mentions(sentence):
        if mention.party.kind in ("body", "group") and mention.party.name not in submitters:
            return mention.party.name
    return ""


def compare_names(parties: Parties, a: Iterable[str], b: Iterable[str]) -> bool:
    """Two lists of names name the same parties (in any of their names), in any order."""
    def canon(names: Iterable[str]) -> set[str]:
        out = set()
        for x in names:
            p = resolve_loose(parties, x) if x else None
            out.add(p.name if p else clean_name(x))
        return out - {""}
    return canon(a) == canon(b)

"""What a question is about, as units a paragraph either carries or not: the relevance judgement's view of it.

A unit is one piece of the topic (a field concept, a content word, a party spoken about) with the forms that show
it in a paragraph of either language: the terminology's concept token, the word's stem, its CC-CEDICT
translations, a compound's two words. Words that frame a question about what was said ("How did countries talk
about …", "各方对……的立场") are not units.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.text.analyzers import chinese_parts, han_runs, normalise, token_set, tokenize
from qa.text.cedict import STOP_STEMS, cedict, dictionary_words, translate_phrase
from qa.text.english import STOPWORDS, WORD, is_acronym, stem
from qa.text.terminology import (
    CONCEPT,
    QUOTE_MARKS,
    Term,
    chinese_matches,
    concept,
    concepts_in,
    match_terminology,
)

# Words that frame a question about what was said rather than name its topic ("How did countries talk about the
# situation in …", "各方对……的立场"): left out of its units, beside the question words of `query`.
SCAFFOLD_EN = frozenset({
    "state", "states", "country", "countries", "nation", "nations", "party", "parties", "delegation",
    "delegations", "government", "governments", "speaker", "speakers", "talk", "talked", "talks", "discuss",
    "discussed", "discusses", "address", "addressed", "addresses", "position", "positions", "stance",
    "stances", "statement", "statements", "remark", "remarks", "comment", "comments", "situation", "issue",
    "issues", "question", "questions", "matter", "matters", "topic", "topics", "subject", "how", "what",
    "which", "who", "whom", "whose",
    # words that ask for parties side by side ("What do A and B each say", "How do A and B differ")
    "respectively", "compare", "compares", "compared", "comparison", "differ", "differs", "difference",
    "differences", "versus", "vs", "contrast",
})
SCAFFOLD_ZH = frozenset({
    "各国", "各方", "国家", "哪些", "哪些国家", "谈论", "论及", "谈及", "讨论", "发言", "表态", "看待", "看法",
    "立场", "态度", "观点", "意见", "局势", "情况", "问题", "议题", "事项", "方面", "论述", "声明",
    # verbs of saying, as `query.QUESTION_WORDS` has them in English (propose, suggest, recommend, describe …)
    "建议", "提出", "提议", "描述", "解释", "称",
    # words that ask for parties side by side (A和B分别/各自……, ……有何异同)
    "分别", "各自", "比较", "对比", "异同", "区别", "相比",
})
# Closed-class words of a Chinese question that jieba keeps as words but that name no topic, as English
# stopwords do: interrogatives (哪项, 几成, 多少), pronouns and determiners (它, 该国, 某国, 本届, 其他) and
# numbers with their measure words (第七, 三十周年, 一项); an absent one would count against every answer.
_ZH_CLOSED = re.compile(r"^(?:[哪几][\u4e00-\u9fff]?|多少|它|它们|该|该国|该项|本国|本届|本身|此次|某|某国|某些|别国|"
                        r"其他|其它|其中|自己|自身|"
                        r"第?[零一二三四五六七八九十百千万两0-9]+[届次年月日天周项个名位件座成倍条款段点期批轮种类]{0,2}|"
                        r"[年月日])$")  # a date's measure word, cut from its number by jieba (2021 / 年)
# A month as a Chinese question writes it (4月) and as English text names it (April): not the count "4"
_MONTH_ZH = re.compile(r"(?<![0-9])(1[0-2]|0?[1-9])\s*月")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
ANY = "*"  # a unit form that matches in a paragraph of any language (a concept token)
TRANSLATIONS = 4  # forms kept per word in the other language


@dataclass(frozen=True)
class Unit:
    """One piece of what a question is about, and the forms that show a paragraph carries it.

    `forms` maps a paragraph language (or `ANY`) to alternatives, each a set of tokens that must all be present
    (a Chinese word that jieba splits in one text and not in another is matched by its parts)."""

    label: str
    forms: tuple[tuple[str, tuple[frozenset[str], ...]], ...]
    whole: bool = False  # only a whole form counts: a name ("Republic of the Union of Myanmar") is not carried by
    # its parts ("People's Republic of China")

    def alternatives(self, language: str) -> tuple[frozenset[str], ...]:
        found: tuple[frozenset[str], ...] = ()
        for lang, alts in self.forms:
            if lang in (language, ANY):
                found += alts
        return found

    def found_in(self, tokens: frozenset[str], language: str) -> bool:
        return any(alt <= tokens for alt in self.alternatives(language))

    def share_in(self, tokens: frozenset[str], language: str, weight: Callable[[str], float]) -> float:
        """How much of the unit a paragraph carries: 1 for a whole form, else the largest weighted share of one
        form's tokens (a paragraph on "cyber threats" carries most of "cybersecurity": the rare part)."""
        best = 0.0
        for alt in self.alternatives(language):
            if alt <= tokens:
                return 1.0
            if self.whole:
                continue
            total = sum(weight(t) for t in alt)
            if len(alt) > 1 and total > 0:
                best = max(best, sum(weight(t) for t in alt & tokens) / total)
        return best


def _unit(label: str, en: Sequence[frozenset[str]] = (), zh: Sequence[frozenset[str]] = (),
          anywhere: Sequence[frozenset[str]] = (), whole: bool = False) -> Unit:
    forms = tuple((lang, tuple(dict.fromkeys(a for a in alts if a)))
                  for lang, alts in (("en", en), ("zh", zh), (ANY, anywhere)) if any(alts))
    return Unit(label, forms, whole)


def _zh_forms(word: str) -> frozenset[str]:
    """A Chinese word as paragraph tokens: the whole word when jieba keeps it whole, else all of its parts."""
    tokens = tokenize(word)
    whole = normalise(word)
    return frozenset({whole}) if whole in tokens else frozenset(tokens)


def chinese_forms(word: str, known: Callable[[str], bool] = lambda token: False) -> list[frozenset[str]]:
    """An English word as Chinese paragraph tokens: CC-CEDICT's confident translations, and its less confident
    ones that the corpus uses ("nuclear" is 核子 first, a word no disarmament paper writes, then 核武器): a
    translation the corpus never uses cannot show that a paragraph carries the word."""
    found = [(_zh_forms(zh), score) for zh, score in translate_phrase((stem(word),), cedict())]
    forms = [f for f, score in found if score >= 0.5]
    forms += [f for f, score in found if score < 0.5 and len(f) == 1 and known(next(iter(f)))]
    return forms[:TRANSLATIONS]


def english_forms(word: str, senses: int = 3) -> list[frozenset[str]]:
    """A Chinese word as English paragraph tokens: each of its first CC-CEDICT senses, all of that sense's
    content words together (核冬天 is "nuclear winter", not "nuclear" alone)."""
    out = []
    for sense in cedict().by_chinese.get(word, ())[: senses * 2]:
        words = [w for w in sense.stems if w not in STOP_STEMS and not w.isdigit()]
        if sense.order < senses and words:  # the dictionary keeps glosses of up to four words
            out.append(frozenset(words))
            if len(words) == 1:
                out.extend(kindred(words[0]))
            if len(words) > 1:  # the gloss's head noun alone: "novel coronavirus" is also just "coronavirus"
                out.append(frozenset(words[-1:]))
    # and the acronyms its glosses give ("COVID-19" for 新冠): how English text often writes the thing
    acronyms = [frozenset(w for w in sense.stems if not w.isdigit()) or frozenset(sense.stems)
                for sense in cedict().acronyms.get(word, ()) if sense.order < senses]
    return list(dict.fromkeys(out))[:TRANSLATIONS] + [a for a in dict.fromkeys(acronyms) if a not in out]


def kindred(word: str) -> list[frozenset[str]]:
    """The stem of an English word's -ism/-ist sibling ("terrorism": "terrorist"; "racists": "racism"): a text on
    terrorism speaks of terrorists, and the stemmer keeps the two apart."""
    low = word.lower()
    for end, other in (("ists", "ism"), ("ism", "ist"), ("ist", "ism")):
        if low.endswith(end) and len(low) >= len(end) + 3:
            return [frozenset({stem(low[: -len(end)] + other)})]
    return []


def _concept_unit(term: Term) -> Unit:
    """A field concept: its concept token in a paragraph of either language, or a one-word English term's stem
    (so that a compound carries it: "cyberattacks" carries "cyber")."""
    words = WORD.findall(term.english)
    return _unit(term.english, en=[frozenset({stem(words[0])}), *kindred(words[0])] if len(words) == 1 else (),
                 anywhere=[frozenset({CONCEPT + concept(term)})])


def _party_unit(text: str, names: Sequence[str], name_zh: str) -> Unit:
    """A party spoken about ("about Ukraine"): any of its names (and its demonym: "Ukrainian"), in either
    language: its Chinese name and its other Chinese names of two characters or more (美国 beside 美利坚合众国)."""
    en = [frozenset(stem(w) for w in WORD.findall(n) if w.lower() not in STOPWORDS) for n in names]
    zh = [_zh_forms(n) for n in dict.fromkeys((name_zh, *names)) if n and len(n) > 1 and han_runs(n) == [n]]
    return _unit(text, en=en, zh=zh, whole=True)


def _compounds(word: str, known: Callable[[str], bool]) -> list[frozenset[str]]:
    """An English compound as the corpus may write it in two words ("cybersecurity", "cyber-security")."""
    low = word.lower()
    return [frozenset({stem(low[:i]), stem(low[i:])}) for i in range(3, len(low) - 2)
            if known(stem(low[:i])) and known(stem(low[i:]))][:2]


def topic_units(question: str, language: str, mentions: Sequence[tuple[int, int, str, tuple[str, ...], str]],
                skip_words: frozenset[str], skip_words_zh: frozenset[str],
                known: Callable[[str], bool] = lambda token: False) -> tuple[Unit, ...]:
    """The units of a question's topic: its field terms, its parties spoken about, and its other content words.

    `mentions` are the parties the question names, as (start, end, role, names and demonyms, name_zh): a
    speaker is a condition on who said the passage, not part of its topic, so its words are left out; a party
    spoken about is one unit in all its names. `skip_words` are words about documents rather than their topic
    ('say')."""
    units: list[Unit] = []
    taken = [(s, e) for s, e, *_ in mentions]
    for s, e, role, names, name_zh in mentions:
        if role == "topic":
            units.append(_party_unit(question[s:e], names, name_zh))

    def free(a: int, b: int) -> bool:
        return not any(s < b and a < e for s, e in taken)

    if language == "en":
        spans = [(m.start(), m.end(), m.group()) for m in WORD.finditer(question)]
        words = [w for _, _, w in spans]
        in_terms: set[int] = set()
        for i, j, term in match_terminology(words, skip_words):
            if free(spans[i][0], spans[j - 1][1]):
                units.append(_concept_unit(term))
            in_terms.update(range(i, j))
        for i, (a, b, w) in enumerate(spans):
            low = w.lower()
            if i in in_terms or not free(a, b) or low in STOPWORDS or low in skip_words or low in SCAFFOLD_EN:
                continue
            own = frozenset({stem(w)})
            zh = [own] if (is_acronym(w) or w.isdigit()) else chinese_forms(w, known)
            split = _compounds(w, known) if len(w) >= 8 and not is_acronym(w) else []
            units.append(_unit(w, en=[own, *kindred(w), *split], zh=zh))
        for run in han_runs(question):
            units.append(_unit(run, zh=[_zh_forms(run)]))
        return _distinct(units)
    rest = question
    for a, b, term in sorted(_matches_across_quotes(question), key=lambda m: m[0], reverse=True):
        if free(a, b):
            units.append(_concept_unit(term))
        rest = rest[:a] + "，" * (b - a) + rest[b:]
    for s, e in taken:
        rest = rest[:s] + "，" * (e - s) + rest[e:]
    for m in _MONTH_ZH.finditer(rest):
        units.append(_unit(m.group(), en=[frozenset({stem(MONTHS[int(m.group(1)) - 1])})], zh=[_zh_forms(m.group())]))
        rest = rest[:m.start()] + "，" * (m.end() - m.start()) + rest[m.end():]
    for word in dictionary_words(rest, cedict()):
        if word in skip_words_zh or word in SCAFFOLD_ZH or _ZH_CLOSED.match(word):
            continue
        en = english_forms(word)
        if en or len(word) < 3:
            units.append(_unit(word, en=en, zh=[_zh_forms(word)]))
            continue
        # a word CC-CEDICT does not have (新冠疫苗): its dictionary parts, each a unit of its own
        for part in chinese_parts(word) or [word]:
            if part not in skip_words_zh and part not in SCAFFOLD_ZH and not _ZH_CLOSED.match(part):
                units.append(_unit(part, en=english_forms(part), zh=[_zh_forms(part)]))
    for m in WORD.finditer(rest):
        w = m.group()
        if w.lower() not in STOPWORDS and w.lower() not in skip_words and w.lower() not in SCAFFOLD_EN:
            units.append(_unit(w, en=[frozenset({stem(w)})], zh=[frozenset({stem(w)})]))
    return _distinct(units)


def _matches_across_quotes(text: str) -> list[tuple[int, int, Term]]:
    """The terminology's Chinese terms in a text, quotation marks inside a term ignored (“垫脚石”办法 is the
    term 垫脚石办法), with their places in the text as written."""
    kept = [i for i, c in enumerate(text) if c not in QUOTE_MARKS]
    clean = "".join(text[i] for i in kept)
    return [(kept[a], kept[b - 1] + 1, term) for a, b, term in chinese_matches(clean) if b > a]


def _distinct(units: list[Unit]) -> tuple[Unit, ...]:
    seen: dict[tuple[tuple[str, tuple[frozenset[str], ...]], ...], Unit] = {}
    for u in units:
        if u.forms:
            seen.setdefault(u.forms, u)
    return tuple(seen.values())


@functools.lru_cache(maxsize=16384)
def passage_tokens(text: str) -> frozenset[str]:
    """A paragraph's tokens as the index holds them (its words and one token per field concept it names), and
    the two words of each English closed compound in it ("cyberattacks" also carries "cyber" and "attack")."""
    parts = {part for w in WORD.findall(text) if len(w) >= 8 and w.isascii() and w.isalpha()
             for part in compound_parts(w.lower())}
    return token_set(text) | parts | {CONCEPT + c for c in concepts_in(text)}


@functools.lru_cache(maxsize=65536)
def compound_parts(word: str) -> frozenset[str]:
    """A lower-case English word's two stems when it is a closed compound of two dictionary words, the first of
    four letters or more and the second of five or more ("cyberspace", "peacekeeping"; the dictionary: the stems
    of CC-CEDICT's English glosses)."""
    words = english_words()
    for i in range(4, len(word) - 4):
        head, rest = stem(word[:i]), stem(word[i:])
        if head in words and rest in words:
            return frozenset({head, rest})
    return frozenset()


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The stems of CC-CEDICT's English glosses: an English vocabulary that ships with the dictionary."""
    return frozenset(w for senses in cedict().by_chinese.values() for sense in senses for w in sense.stems
                     if w.isalpha())

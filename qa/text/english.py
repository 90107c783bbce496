"""English words and their stems: the one normaliser of English for the index, the terminology, CC-CEDICT and questions.

Stems are Snowball's English stemmer (PyStemmer, MIT/BSD), so "assurances", "assurance" and "assured" meet as
'assur' wherever they are compared. Acronyms (US, CD, P5) are kept apart by `is_acronym`, because their stems
would collide with ordinary words ("US" / "us").
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")

STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "as", "into", "onto", "upon", "about", "over", "under", "between", "among", "through",
    "during", "before", "after", "above", "below", "up", "down", "out", "off", "than", "then", "so",
    "such", "too", "very", "can", "could", "may", "might", "must", "shall", "should", "will", "would",
    "do", "does", "did", "done", "doing", "is", "are", "was", "were", "be", "been", "being", "am",
    "has", "have", "had", "having", "it", "its", "it's", "this", "that", "these", "those", "there",
    "here", "their", "theirs", "them", "they", "he", "she", "his", "her", "him", "we", "our", "ours",
    "us", "you", "your", "i", "me", "my", "mine", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "whether", "if", "not", "no", "yes", "all", "any", "both", "each", "few",
    "more", "most", "other", "some", "own", "same", "only", "also", "just", "s", "t",
})

_stemmer = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Latin words and numbers in their original case; hyphens and slashes separate words."""
    return WORD.findall(text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of a lower-cased word ('Assurances' -> 'assur'); numbers stay as they are."""
    w = word.lower().removesuffix("'s")
    return w if w.isdigit() else _stemmer.stemWord(w)


def is_acronym(word: str) -> bool:
    """'US', 'P5', 'NPT': two or more characters, capitals and digits only, at least one capital."""
    return len(word) >= 2 and any(c.isupper() for c in word) and not any(c.islower() for c in word)


STOP_STEMS = frozenset(stem(w) for w in STOPWORDS)  # to drop stopwords from lists that hold stems already

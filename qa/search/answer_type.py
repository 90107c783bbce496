"""What kind of answer a question expects, and whether a passage can give it: the answer-type check of classic
question answering, used by "not covered".

A question that asks for an amount of money ("How much do they spend on …", "花费多少资金") is answered only by a
passage that states one (a number with a currency: "$10 billion", "2.5 million euros", "100亿美元"). When no
passage near the top of the ranking states an amount, the documents do not answer the question, however close
their passages on the same subject come. Other answer types (a date, a count) are not checked: a count is often
answered by a list of names, a date by the name of a meeting.
"""

from __future__ import annotations

import re

MONEY = "money"

_SPENDING_EN = (r"(?:spend|spends|spent|spending|cost|costs|costing|pay|pays|paid|pledg\w*|contribut\w*|donat\w*|"
                r"fund|funds|funded|funding|financ\w*|budget\w*|invest\w*|allocat\w*)")
_ASKS_MONEY_EN = re.compile(
    rf"\bhow\s+much\s+(?:money|funding|financ\w*|aid)\b|\bhow\s+much\b[^?.;]*\b{_SPENDING_EN}\b|"
    rf"\bwhat\s+(?:amount|sum)\s+of\s+(?:money|funding)\b|\bhow\s+many\s+(?:dollars|euros|pounds)\b",
    re.IGNORECASE)
_SPENDING_ZH = r"(?:钱|资金|经费|花费|开支|支出|投入|出资|捐款|捐助|拨款|预算|费用|成本|援助|美元|欧元)"
_ASKS_MONEY_ZH = re.compile(rf"多少{_SPENDING_ZH}|{_SPENDING_ZH}[^，。？；]*多少|多少[^，。？；]*{_SPENDING_ZH}")

_CURRENCY_WORDS = r"(?:dollars?|euros?|pounds?|yuan|renminbi|yen|francs?|rupees?|USD|EUR|GBP|CNY)"
_STATES_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b(?:US|USD|EUR|CHF|GBP|CNY|RMB)\s?\$?\s?\d|"
    rf"\d[\d,.]*(?:\s|-)*(?:thousand|million|billion|trillion)?\s*{_CURRENCY_WORDS}\b|"
    r"[\d０-９一二三四五六七八九十百千万亿两][\d０-９,.，一二三四五六七八九十百千万亿两]*\s*(?:美元|欧元|英镑|日元|元|人民币)",
    re.IGNORECASE)


def expected_answer(question: str) -> str:
    """The kind of answer the question asks for when it is one a passage must state (`MONEY`), else ''."""
    return MONEY if _ASKS_MONEY_EN.search(question) or _ASKS_MONEY_ZH.search(question) else ""


def states_answer(kind: str, text: str) -> bool:
    """Whether a passage states an answer of that kind (any passage can answer a question of no checked kind)."""
    return bool(_STATES_MONEY.search(text)) if kind == MONEY else True

"""What the pages say about a request in the interface's language: the rules a form breaks (checked before the
engine, whose messages are English, as the API keeps them) and the counts and verdicts of a result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from qa.documents.corpus import closest_ids
from qa.errors import InputError
from qa.parties.citation import name_in
from qa.search.answer import Answer
from qa.search.compare import Comparison
from qa.search.engine import Engine, Filters
from qa.search.query import asked_parties
from qa.search.relevance import not_addressed
from qa.text.scripts import is_date
from qa.web.i18n import EXAMPLES_ASK, translator


def unknown_document(doc_id: str, known: Iterable[str], lang: str) -> str:
    """The web's message for an unknown document id: the few closest ids rather than all of them (a corpus has
    hundreds), pointing at the documents page (the CLI's message points at `qa documents`)."""
    close = closest_ids(doc_id, known)
    t = translator(lang)
    shown = ("、" if lang == "zh" else ", ").join(close)
    return t("unknown_document_close", doc=doc_id[:100], close=shown) if close else t("unknown_document",
                                                                                       doc=doc_id[:100])


class UnknownDocumentFilter(InputError):
    """A `doc` filter naming no document: the page shows the message with a link to the documents page."""


def check_documents(eng: Engine, filters: Filters, lang: str) -> None:
    """Refuse an unknown `doc` filter with the web's message, before the engine's (which lists every id)."""
    for doc_id in filters.docs:
        if doc_id not in eng.documents:
            raise UnknownDocumentFilter(unknown_document(doc_id, eng.documents, lang))


def check_input(eng: Engine, q: str, k: str, filters: Filters, lang: str) -> None:
    """The rules of `engine.validate_question`, `validate_k` and `validate_filters` for what the page's form sends,
    checked first so that the page states a broken rule in its own language (the API keeps the engine's English
    messages); anything else the engine refuses still reaches the page in English."""
    t = translator(lang)
    question = q.strip()
    if not question:
        raise InputError(t("err_question_empty", example=EXAMPLES_ASK[0 if lang == "en" else 1]))
    if len(question) > eng.settings.max_question_chars:
        raise InputError(t("err_question_long", n=len(question), limit=eng.settings.max_question_chars))
    if k:
        try:
            n = int(k)
        except ValueError:
            raise InputError(t("err_k", value=repr(k[:20]), max=eng.settings.max_k)) from None
        if not 1 <= n <= eng.settings.max_k:
            raise InputError(t("err_k_range", value=n, max=eng.settings.max_k))
    for key, value in (("date_from", filters.date_from), ("date_to", filters.date_to)):
        if value and not is_date(value):
            raise InputError(t("err_date", field=t("field_" + key), value=value[:40]))
    for name in filters.states:
        if eng.speakers.parties.resolve(name) is None:
            close = eng.speakers.parties.suggest(name, 5)
            hint = t("err_state_hint", names=("、" if lang == "zh" else ", ").join(close)) if close else ""
            raise InputError(t("err_state", name=name.strip()[:80], hint=hint))
    check_documents(eng, filters, lang)


def compare_summary(comparison: Comparison, t: Callable[..., str]) -> str:
    """How many of the parties in scope address the question, said so that it is true when all, none or the only
    one do ("1 of 1 parties ...; the others do not" is not)."""
    n, total = comparison.covered_total, comparison.total
    if total == 1:
        return t("compare_summary_one" if n else "compare_summary_one_not")
    if n == total:
        return t("compare_summary_all", total=total)
    if n == 0:
        return t("compare_summary_none", total=total)
    return t("compare_summary", n=n, total=total)


def not_addressed_message(eng: Engine, answer: Answer, lang: str) -> str:
    """The answer's "not addressed by the party asked about" message in the interface's language (the engine
    writes it in the question's), from the same parties the engine found the question asking about."""
    if not answer.addressed_by:
        return ""
    asked = tuple(name for _, name in asked_parties(answer.query, eng.speakers))
    if not asked:
        return answer.message
    return not_addressed(asked, [name_in(n, lang) for n in answer.addressed_by], lang)


def page_number(value: str, lang: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise InputError(translator(lang)("err_page", value=value[:20]))
    return n

"""What the pages and exports call the corpus: the title `qa init --title` gave it, else the meetings its
documents come from. Worked out once per app and language; used by the page title and the basket's export."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from fastapi import Request

from qa.documents.corpus import corpus_title
from qa.documents.document import Document
from qa.parties.citation import meeting_in
from qa.web.i18n import translator

_SESSION_ZH = re.compile(r"第[一二三四五六七八九十]+届会议$")
MEETINGS_NAMED = 2  # meetings named in the page title before "and N other meetings"


def corpus_name(title: str, documents: Iterable[Document], lang: str) -> str:
    """What the pages call the corpus: the title `qa init --title` gave it, else the meetings (their bodies, without
    session and place) its documents come from, most documents first ('' when no document names a meeting)."""
    if title:
        return title
    # the body is the name up to its first comma, and in Chinese before the session it runs into (大会第七十六届会议)
    counts = Counter(_SESSION_ZH.sub("", re.split(r"[,，]", meeting_in(d, lang))[0]).strip()
                     for d in documents if d.meeting)
    names = [name for name, _ in counts.most_common()]
    if len(names) <= MEETINGS_NAMED + 1:
        return "; ".join(names)
    more = len(names) - MEETINGS_NAMED
    return translator(lang)("brand_more_meetings", names="; ".join(names[:MEETINGS_NAMED]), n=more)


def corpus_label(request: Request, lang: str) -> str:
    """The corpus's name for this app (the corpus does not change under a running server: a new one is a new
    index), '' while the engine is not loaded."""
    state = request.app.state
    cache: dict[str, str] | None = getattr(state, "corpus_names", None)
    if cache is None:
        cache = state.corpus_names = {}
    if lang not in cache:
        eng = state.engine
        if eng is None:
            return ""
        cache[lang] = corpus_name(corpus_title(eng.settings.corpus_dir), eng.documents.values(), lang)
    return cache[lang]

"""Interface strings in Chinese and English, and the choice of interface language for a request.

The language comes from `?lang=`, then the `lang` cookie, then the browser's Accept-Language, then English.
Document text is never translated here: only labels, messages and help.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
COOKIE = "lang"

# key -> (English, Chinese). `{name}` placeholders are filled by `translator(lang)(key, name=...)`.
STRINGS: dict[str, tuple[str, str]] = {
    "brand": ("UN disarmament documents — cited answers", "联合国裁军文件 — 有出处的答案"),
    "brand_of": ("{name} — cited answers", "{name} — 有出处的答案"),
    "brand_more_meetings": ("{names} and {n} other meetings", "{names}等 {n} 个会议"),
    "kind": ("Kind", "类型"),
    "author": ("Whose text", "文本作者"),
    "metadata_from": ("Metadata", "元数据"),
    "source_read": ("read from the document", "读自文件"),
    "source_derived": ("derived from its symbol or meeting", "由文号或会议推出"),
    "source_given": ("given when it was added", "添加时提供"),
    "source_recorded": ("as recorded in the corpus's documents.json", "按语料库 documents.json 所记"),
    "source_missing": ("not printed in the document", "文件未载"),
    "stop": (".", "。"),  # after a bold title: the sentence that follows is in the interface's language
    "colon": (":", "："),
    "comma": (", ", "，"),
    "brand_short": ("Site", "站点导航"),
    "nav_ask": ("Ask", "提问"),
    "nav_compare": ("Compare", "比较"),
    "nav_documents": ("Documents", "文件"),
    "nav_basket": ("Drafting basket", "摘录篮"),
    "switch_to": ("中文", "English"),
    "switch_title": ("切换到中文界面", "Switch to the English interface"),
    "skip": ("Skip to content", "跳到正文"),
    "ask_label": ("Your question, in Chinese or English", "您的问题（中文或英文）"),
    "ask_placeholder": ("e.g. Which state proposed a stepping-stone approach?", "例如：五核国如何看待减少战略风险？"),
    "ask_button": ("Ask", "提问"),
    "compare_label": ("Topic or question to compare across parties", "要在各发言方之间比较的议题或问题"),
    "compare_placeholder": ("e.g. negative security assurances", "例如：消极安全保证"),
    "compare_button": ("Compare", "比较"),
    "filters": ("Filters", "筛选"),
    "filters_active": ("Filters ({n} active)", "筛选（已启用 {n} 项）"),
    "filter_states": ("Submitted or written by", "提交方或作者"),
    "filter_docs": ("Documents", "文件"),
    "filter_dates": ("Date range", "日期范围"),
    "filter_states_hint": ("e.g. Iran, P5, 日本", "例如：伊朗、五核国、Japan"),
    "filter_states_help": (
        "States, groups or bodies, in English or Chinese, separated by commas; a group means its members too.",
        "国家、国家集团或机构，中英文均可，用逗号分隔；国家集团包括其成员国。"),
    "filter_docs_hint": ("document ids, e.g. sweden-2019", "文件编号，例如 sweden-2019"),
    "filter_docs_help": ("Document ids separated by commas; find them in", "文件编号，用逗号分隔；可在此查找："),
    "documents_find": ("Find documents", "查找文件"),
    "documents_find_hint": ("title, symbol, state or id", "标题、文号、国家或编号"),
    "documents_find_button": ("Find", "查找"),
    "documents_count": ("{first}–{last} of {n} documents", "共 {n} 份文件，显示第 {first}–{last} 份"),
    "documents_count_all": ("{n} documents", "共 {n} 份文件"),
    "documents_found": ("{first}–{last} of the {n} documents matching “{find}” ({all} in all)",
                        "共 {all} 份文件，{n} 份符合“{find}”，显示第 {first}–{last} 份"),
    "documents_none": ("No document of the {all} matches “{find}”.", "{all} 份文件中没有符合“{find}”的文件。"),
    "date_from": ("From", "自"),
    "date_to": ("To", "至"),
    "date_hint": ("YYYY, YYYY-MM or YYYY-MM-DD", "格式：YYYY、YYYY-MM 或 YYYY-MM-DD"),
    "k_label": ("Passages", "段落数"),
    "k_per_group": ("Passages per party", "每个发言方的段落数"),
    "clear_filters": ("Clear filters", "清除筛选"),
    "help_ask": (
        ("Answers are paragraphs quoted verbatim from the documents, best first. The sentence that answers is "
         "highlighted; each paragraph carries its exact citation."),
        "答案是逐字引自文件的段落，按相关性排列。回答问题的句子以高亮标出；每个段落都附有准确出处。",
    ),
    "help_compare": (
        ("What each state, group or body said on the question, in one search: parties ranked by how directly "
         "their best passage answers, each with its passages and citations. Name a few parties (in the "
         "question or the filter) to see them side by side."),
        "一次检索，列出各国、国家集团或机构对该问题的表述：按其最切题段落的相关程度排序，并附段落和出处。在问题或筛选中指明几个发言方，即可并排比较。",
    ),
    "examples": ("Try", "示例"),
    "results_for": ("Passages answering", "回答以下问题的段落"),
    "n_results": ("{n} passages", "{n} 个段落"),
    "n_answering": ("{n} passages: {a} judged to answer, {c} closest", "{n} 个段落：{a} 个判定为回答，{c} 个最接近"),
    "not_covered_title": ("Not covered by these documents", "这些文件未涉及此问题"),
    "not_covered": (
        ("The documents in this collection do not appear to address this question. The closest passages are "
         "listed below for reference only; they are not answers."),
        "本资料库中的文件似乎没有涉及这个问题。下列最接近的段落仅供参考，并非答案。",
    ),
    "closest": ("Closest passages (not answers)", "最接近的段落（并非答案）"),
    "does_not_answer": ("closest; does not answer", "最接近，但未回答"),
    "verdict_help": ("The relevance judgement finds that this passage does not answer the question.",
                     "相关性判断认为该段落并未回答这一问题。"),
    "not_addressed_title": ("Not addressed by the party asked about", "所问的发言方未论及"),
    "party_silent": ("does not address this", "未论及此问题"),
    "no_results": ("No paragraphs match the filters.", "没有符合筛选条件的段落。"),
    "submitted_by": ("Submitted by", "提交方"),
    "text_of": ("Text of", "作者"),
    "transmitted_by": ("transmitted by", "转递方"),
    "date": ("Date", "日期"),
    "meeting": ("Meeting", "会议"),
    "symbol": ("Symbol", "文号"),
    "paragraph": ("Paragraph", "段落"),
    "section": ("Section", "章节"),
    "open_in_document": ("Open in document", "在原文中查看"),
    "copy_citation": ("Copy citation", "复制出处"),
    "copied": ("Citation copied.", "出处已复制。"),
    "copy_failed": ("Could not copy; select the citation and copy it by hand.", "无法复制，请手动选择出处后复制。"),
    "add_to_basket": ("Add to basket", "加入摘录篮"),
    "in_basket": ("In basket", "已在摘录篮"),
    "added": ("Added to the drafting basket.", "已加入摘录篮。"),
    "citation": ("Citation", "出处"),
    "same_text_in": ("The same text is in", "相同文字亦见于"),
    "quoted_note": ("a quoted text, not necessarily {speaker}'s own words.", "系引用的文字，不一定是{speaker}自己的措辞。"),
    "citation_en": ("Citation (English)", "出处（英文）"),
    "citation_zh": ("Citation (Chinese)", "出处（中文）"),
    "answering_sentence": ("answering sentence", "回答问题的句子"),
    "rank": ("Result {n}", "第 {n} 条"),
    "group_nothing": (
        "Nothing in this party's documents addresses the question.",
        "该发言方的文件中没有涉及此问题的内容。",
    ),
    "group_docs": ("Documents: {n}", "文件数：{n}"),
    "compare_summary": ("{n} of {total} parties address the question; the others do not.",
                        "{total} 个发言方中有 {n} 个论及这一问题，其余未论及。"),
    "compare_summary_all": ("All {total} parties address the question.", "全部 {total} 个发言方均论及这一问题。"),
    "compare_summary_none": ("None of the {total} parties addresses the question.",
                             "{total} 个发言方均未论及这一问题。"),
    "compare_summary_one": ("The one party in scope addresses the question.", "范围内唯一的发言方论及这一问题。"),
    "compare_summary_one_not": ("The one party in scope does not address the question.",
                                "范围内唯一的发言方未论及这一问题。"),
    "no_party_in_filters": ("No document matches the filters, so there is no party to compare: change or clear them.",
                            "没有符合筛选条件的文件，因此没有可比较的发言方：请修改或清除筛选条件。"),
    "without_documents": ("No document of {names} is in this collection, so they are not compared.",
                          "本资料库中没有{names}的文件，因此未列入比较。"),
    "page_past_last": ("Page {n} is past the last page, {last}.", "第 {n} 页超出了最后一页（第 {last} 页）。"),
    "go_to_page": ("Go to page {n}", "转到第 {n} 页"),
    "export_table": ("Export the table", "导出表格"),
    "party_docs": ("{n} document(s)", "{n} 份文件"),
    "closest_only": ("closest passage only, not an answer", "仅为最接近的段落，并非答案"),
    "more_passages": ("{n} more passage(s)", "另有 {n} 个段落"),
    "more_parties": ("{n} more parties on the next pages; {a} of them address the question.",
                     "后续页面还有 {n} 个发言方，其中 {a} 个论及此问题。"),
    "pages": ("Pages", "页码"),
    "documents_title": ("Documents in the collection", "资料库中的文件"),
    "documents_help": (
        "Every document the answers are drawn from, with who submitted or delivered it and whose text it is.",
        "答案所依据的全部文件，注明提交方或发言方及文本作者。",
    ),
    "col_title": ("Title", "标题"),
    "col_speaker": ("Submitted or delivered by", "提交方或发言方"),
    "col_date": ("Date", "日期"),
    "col_meeting": ("Meeting", "会议"),
    "col_symbol": ("Symbol", "文号"),
    "col_paragraphs": ("Paragraphs", "段落"),
    "symbol_unknown": ("not confirmed", "未确认"),
    "document_paragraphs": ("{n} paragraphs", "{n} 个段落"),
    "document_citation": ("Cite the document as", "文件引用格式"),
    "back_to_documents": ("All documents", "全部文件"),
    "cited_paragraph": ("Cited paragraph", "被引段落"),
    "basket_title": ("Drafting basket", "摘录篮"),
    "basket_help": (
        ("Collect passages from any page, put them in order, and export them with their citations as Markdown "
         "or as a Word document. The basket is kept in this browser."),
        "从任何页面收集段落，调整顺序，然后连同出处导出为 Markdown 或 Word 文档。摘录篮保存在本浏览器中。",
    ),
    "basket_empty": (
        "The basket is empty. Use “Add to basket” on any passage.",
        "摘录篮是空的。请在任意段落上点击“加入摘录篮”。",
    ),
    "basket_count": ("{n} passages", "{n} 个段落"),
    "move_up": ("Move up", "上移"),
    "move_down": ("Move down", "下移"),
    "remove": ("Remove", "移除"),
    "clear_basket": ("Empty basket", "清空摘录篮"),
    "export_lang": ("Citation language", "出处语言"),
    "export_markdown": ("Export Markdown", "导出 Markdown"),
    "export_docx": ("Export Word (.docx)", "导出 Word（.docx）"),
    "export_preview": ("Markdown preview", "Markdown 预览"),
    "export_failed": ("Export failed: {message}", "导出失败：{message}"),
    "lang_en": ("English", "英文"),
    "lang_zh": ("Chinese", "中文"),
    "needs_js": (
        "The drafting basket needs JavaScript. Without it, export passages with POST /api/export.",
        "摘录篮需要 JavaScript。若不使用 JavaScript，请通过 POST /api/export 导出段落。",
    ),
    "error_title": ("Something is wrong with this request", "请求有误"),
    "error_400": ("The request could not be answered", "无法回答该请求"),
    "error_404": ("Not found", "未找到"),
    "error_500": ("Internal error", "内部错误"),
    "error_503": ("The index is not available", "索引不可用"),
    "unknown_document": ("No document has the id “{doc}”.", "没有编号为“{doc}”的文件。"),
    "unknown_document_close": ("No document has the id “{doc}”; the closest ids are {close}.",
                               "没有编号为“{doc}”的文件；最接近的编号是 {close}。"),
    "find_documents": ("Find a document's id in the list of documents", "在文件列表中查找文件编号"),
    "err_question_empty": ("The question is empty: ask something, e.g. “{example}”",
                           "问题为空：请提一个问题，例如“{example}”"),
    "err_question_long": ("The question is {n} characters long; the limit is {limit}. Shorten it.",
                          "问题长 {n} 个字符，上限为 {limit} 个。请缩短。"),
    "err_k": ("k = {value} is not a whole number; use 1 to {max}.", "段落数 {value} 不是整数；请使用 1 至 {max}。"),
    "err_k_range": ("k = {value} is out of range; use 1 to {max}.", "段落数 {value} 超出范围；请使用 1 至 {max}。"),
    "err_date": ("{field} = “{value}” is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.",
                 "{field}日期“{value}”无效；请使用 YYYY、YYYY-MM 或 YYYY-MM-DD 格式。"),
    "err_state": (("Unknown state or body '{name}'.{hint} Names may be given in English or Chinese, with common "
                   "short forms ('Iran', '伊朗') and groups ('P5', 'NAM')."),
                  "未知的国家或机构“{name}”。{hint}名称可用中文或英文，也可用常见简称（“伊朗”“Iran”）和国家集团（“五核国”“NAM”）。"),
    "err_state_hint": (" Did you mean {names}?", "您是否指：{names}？"),
    "field_date_from": ("date_from", "起始"),
    "field_date_to": ("date_to", "截止"),
    "err_page": ("page = “{value}” is not a page number; pages count from 1.", "页码“{value}”无效；页码从 1 开始。"),
    "error_back": ("Back to the search page", "返回搜索页"),
    "footer": (
        ("Passages are quoted verbatim from the documents, in the language each was filed in. Check the cited "
         "source before relying on a quotation."),
        "段落逐字引自各文件的原文。引用前请核对原始出处。",
    ),
    "api_link": ("JSON API", "JSON 接口"),
    "api_title": ("JSON API", "JSON 接口"),
    "api_help": ("The endpoints this server answers, with their parameters. The full schema:",
                 "本服务器提供的接口及其参数。完整的接口描述："),
    "api_docs_online": ("interactive, needs the internet", "交互式页面，需联网"),
}

EXAMPLES_ASK = (
    "Which state proposed a stepping-stone approach?",
    "五核国如何看待减少战略风险？",
    "What did the Group of Eminent Persons recommend on transparency?",
)
EXAMPLES_COMPARE = ("negative security assurances", "减少战略风险")


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **values)` for one interface language; an unknown key is a bug, so it raises KeyError."""
    i = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str, **values: object) -> str:
        text = STRINGS[key][i]
        return text.format(**values) if values else text

    return t


def parse_accept_language(header: str) -> str | None:
    """The first supported language by the header's q-values ('zh-CN,zh;q=0.9,en;q=0.8' -> 'zh'), or None."""
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in LANGS and q > 0:
            choices.append((-q, i, base))
    return min(choices)[2] if choices else None


def choose_language(query: str | None, cookies: Mapping[str, str], accept_language: str) -> str:
    """`?lang=` beats the cookie beats Accept-Language; unsupported values are ignored, not errors."""
    for candidate in (query, cookies.get(COOKIE)):
        if candidate in LANGS:
            return str(candidate)
    return parse_accept_language(accept_language or "") or DEFAULT_LANG

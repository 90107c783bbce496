"""The web edge: the JSON API and the HTML pages as routers assembled by `create_app`, their interface
strings in two languages, and the exports (comparison tables, the drafting basket).
"""

__all__ = ["api", "app", "draft", "i18n", "pages", "tables"]

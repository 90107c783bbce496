"""The search: a question analysed once into a `Query`, ranked by channels and fused, judged covered or
not, its answering sentence marked, grouped by party, and evaluated against a gold set.
"""

__all__ = ["answer", "channels", "compare", "coverage", "engine", "evaluate", "fusion", "query"]

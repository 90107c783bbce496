"""Who speaks: the parties table (states, groups, bodies in both languages), the speakers of a corpus, and
how a paragraph is cited and whose voice it is.
"""

__all__ = ["citation", "speakers", "table"]

"""The `qa` command line: the commands that need the model or the index, the corpus commands, what they
share at the terminal, and handing a one-shot question to a running `qa serve`.
"""

__all__ = ["corpus", "handoff", "main", "terminal"]

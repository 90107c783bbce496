"""The FAISS store: immutable, memory-mapped segments of vectors and postings on one machine, behind a
commit point that switches atomically.
"""

__all__ = ["segments", "store"]

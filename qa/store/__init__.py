"""The index and its stores: a build or an update as a `Change` committed to a store behind the `Store`
protocol (FAISS segments or Milvus), BM25 postings, filter masks, and freshness of what shaped it.
"""

__all__ = ["base", "factory", "freshness", "index", "lexical", "masks"]  # and the backends: faiss/, milvus/ (optional)

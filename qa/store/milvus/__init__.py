"""The Milvus store: paragraphs, sentences and BM25 weights in Milvus (Lite or a server), with the
schema, filter expressions and commits that keep it in step with the FAISS store.
"""

__all__ = ["commit", "schema", "store"]

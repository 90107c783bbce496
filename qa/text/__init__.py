"""Text and language: scripts and language detection, English stems, jieba words, the field's curated terms,
CC-CEDICT both ways and one sentence splitter; the tokens index and question share.
"""

__all__ = ["analyzers", "cedict", "english", "scripts", "sentences", "terminology"]

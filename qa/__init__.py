"""Bilingual question answering with exact citations over NPT review-process working papers."""

__version__ = "0.1.0"

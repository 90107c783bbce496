"""Documents: user files read safely, manifests checked, the corpus folder and its metadata, and extracted
text segmented into the paragraphs its author wrote, with their labels, pages and headings.
"""

__all__ = ["corpus", "document", "ingest", "layout", "lines", "manifest", "paragraph", "segmentation", "un_header", "un_submitters",
           "un_symbols"]

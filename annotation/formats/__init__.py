"""The field's corpus formats in and out of khabar gold: CoNLL-style columns (flat and nested multi-tag),
Hugging Face token-classification sets, brat standoff, spaCy DocBin and khabar gold JSON lines.

:func:`annotation.formats.convert.convert` runs a conversion; ``khabar convert`` is its command line.
"""

"""Mapping a system's entity labels onto the scheme's labels before scoring.

The maps and their loader are part of the data model (``annotation.labelmaps``, which ``khabar convert``
uses too); this module keeps the names the scorer imports.
"""

from __future__ import annotations

from annotation.labelmaps import IDENTITY, NAMED, WOJOOD_EXTRA, LabelMap, load_label_map

__all__ = ["IDENTITY", "NAMED", "WOJOOD_EXTRA", "LabelMap", "load_label_map"]

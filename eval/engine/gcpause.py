"""Pausing the cyclic garbage collector while the fast paths build millions of small objects.

The readers and the counting make many small, acyclic objects (numbers, tuples, short lists): each
collection pass would walk all of them again, for nothing to free.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (restored afterwards, also on an error)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""`gc_paused()`: the cyclic garbage collector held off while a load builds its objects.

A load allocates hundreds of thousands of facts, dicts and dates, none of them in a
reference cycle; left on, the collector walks all of them again and again (a third of the
CPU time of a 200 MB instance). Reference counting still frees everything as usual, and the
collector runs normally once the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (re-enabled after, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

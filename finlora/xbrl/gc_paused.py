"""`gc_paused()`: the cyclic garbage collector held off while a load builds its objects.

A load allocates hundreds of thousands of facts, dicts and dates, none of them in a
reference cycle; left on, the collector walks all of them again and again (a third of the
CPU time of a 200 MB instance). Reference counting still frees everything as usual, and the
collector runs normally once the block ends.

What the block built is young to the collector; its next collection would walk all of it
(0.23 s for the 200 MB instance's 1.5 million objects), and walk it again as it ages. With
`keep=True` (the block's objects are the caller's result, kept) they go straight to the
oldest generation on success: walked once, at the next full collection, if any.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(keep: bool = False) -> Iterator[None]:
    """Disable the cyclic collector for the block (re-enabled after, if it was on); `keep`:
    move every tracked object (the block's, and whatever else was young) to the oldest
    generation at the end, unless the caller holds frozen objects (`gc.freeze`, left as is)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if keep and gc.get_freeze_count() == 0:
            gc.freeze()  # every generation into the permanent one, then back into the oldest
            gc.unfreeze()
    finally:
        if enabled:
            gc.enable()

"""`Deferred`: a part of a filing read on first use instead of during the load (its labels,
its calculation relationships), once, whichever thread asks first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Deferred(Generic[T]):
    """`get()` calls `read` once (other threads wait for it) and keeps what it returns; if
    `read` raises, the error comes again at each `get()`. Pickles and copies as its value."""

    def __init__(self, read: Callable[[], T]):
        self._read = read
        self._value: T | None = None
        self._done = False
        self._lock = threading.Lock()

    def get(self) -> T:
        if not self._done:
            with self._lock:
                if not self._done:
                    self._value = self._read()
                    self._done = True
        return self._value  # type: ignore[return-value]

    def __reduce__(self) -> tuple[Callable[[Any], Any], tuple[T]]:
        return _same, (self.get(),)


def _same(value: Any) -> Any:
    return value

"""Pausing Python's cyclic garbage collector while many small objects are built.

Reading a large dataset builds millions of objects that all stay alive; each generation-2
collection walks all of them again, which took more than half of the reading time of a large
city and grows with it. Nothing read contains reference cycles that must be collected while
reading, so the collector is paused for the duration and then restored. Pauses nest and are safe
from several threads: the collector is restored when the last pause ends, and only if it was
running when the first began.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["collector_paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector paused (reference counting still frees)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()

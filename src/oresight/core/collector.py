"""Pausing Python's cyclic garbage collector around work that makes many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block (or decorated function) runs.

    Its full passes walk every tracked object of the process: over a million loaded events, or
    as a screening run's caches grow, they cost more than the work itself. Reference counting
    still frees everything that work lets go; only reference cycles wait for the collector,
    which resumes (if it was running) when the block ends. Forked worker processes inherit the
    pause, which also keeps them from writing to, and so copying, the parent's pages.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

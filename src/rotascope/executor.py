"""One executor interface for embarrassingly parallel work (many as-of dates, many symbols).

Local processes by default: on Linux the workers are forked, so they share the parent's computed
monitor panel copy-on-write and nothing big is pickled; only the small per-item results travel back.
Falls back to a plain loop for small jobs, one worker, platforms without ``fork``, and processes that run
other Python threads (the web server's request threads): forking a threaded process copies any lock another
thread holds, and a worker can hang on it forever (seen: the server's first calibrated analysis).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_TASK: Callable[[int], object] | None = None


def _run(i: int) -> object:
    assert _TASK is not None
    return _TASK(i)


def workers_default() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def parallel_map(
    fn: Callable[[T], R], items: Sequence[T], workers: int | None = None, min_items: int = 64
) -> list[R]:
    """``[fn(x) for x in items]``, in forked worker processes when it pays off; order is preserved."""
    global _TASK
    n = workers or workers_default()
    threaded = threading.active_count() > 1
    if n <= 1 or len(items) < min_items or threaded or "fork" not in mp.get_all_start_methods():
        return [fn(x) for x in items]
    _TASK = lambda i: fn(items[i])  # noqa: E731 (read by the forked workers)
    try:
        with mp.get_context("fork").Pool(n) as pool:
            out = pool.map(_run, range(len(items)), chunksize=max(1, len(items) // (n * 8)))
    finally:
        _TASK = None
    return out  # type: ignore[return-value]

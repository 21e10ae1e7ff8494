"""Fetch ahead on a few threads, consume in order: how `update` batches ~2,600 Yahoo members.

The network waits overlap (``threads`` requests in flight, spaced by the transport's rate limiter, as
yfinance's own ``download(threads=...)`` does), while every result is still checked and written one item at a
time in the caller's thread, in its own transaction. At most ``window`` results wait in memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Generic, TypeVar

__all__ = ["Prefetch"]

T = TypeVar("T")


class Prefetch(Generic[T]):
    """``fetch(item, start)`` for each ``(item, start)`` of ``plan``, ``threads`` at a time, ahead of use."""

    def __init__(
        self,
        fetch: Callable[[str, date], T],
        plan: Sequence[tuple[str, date]],
        threads: int,
        window: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._plan = deque(plan)
        self._window = window or threads * 4
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rotascope-fetch")
        self._ahead: deque[tuple[str, date, Future[T]]] = deque()
        self._queued = {item for item, _ in plan}
        self.submitted = 0

    def _fill(self) -> None:
        while self._plan and len(self._ahead) < self._window:
            item, start = self._plan.popleft()
            self._ahead.append((item, start, self._pool.submit(self._fetch, item, start)))
            self.submitted += 1

    def get(self, item: str, start: date) -> T:
        """The result for ``item`` from ``start`` (its exception re-raised); planned items before it that the
        caller passed over are dropped. An item not planned is fetched here, in the caller's thread."""
        if item not in self._queued:
            return self._fetch(item, start)
        self._fill()
        while self._ahead:
            head, head_start, future = self._ahead.popleft()
            self._queued.discard(head)
            if head == item and head_start == start:
                self._fill()
                return future.result()
            if head == item:  # planned from another date: ask again
                future.cancel()
                break
            future.cancel()  # skipped by the caller (resumed, up to date or aborted)
            self._fill()
        return self._fetch(item, start)

    def close(self) -> None:
        """Cancel what has not started; requests in flight finish in the background."""
        for _, _, future in self._ahead:
            future.cancel()
        self._ahead.clear()
        self._plan.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)

"""One executor interface for embarrassingly parallel work (many as-of dates, many symbols).

Local processes by default: on Linux the workers are forked, so they share the parent's computed
monitor panel copy-on-write and nothing big is pickled; only the small per-item results travel back.
Falls back to a plain loop for small jobs, one worker, platforms without ``fork``, and processes that run
other Python threads (the web server's request threads): forking a threaded process copies any lock another
thread holds, and a worker can hang on it forever (seen: the server's first calibrated analysis).

``run_tasks`` does the same for a few heavy tasks that share one big input (parameter sweeps), on local
processes or on Ray (``ray.init(address=...)`` from the ``ray_address`` setting, else a local Ray).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from rotascope.errors import ConfigError
from rotascope.interrupts import ignore_in_worker

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

_TASK: Callable[[int], object] | None = None


def _run(i: int) -> object:
    assert _TASK is not None
    return _TASK(i)


def workers_default() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _can_fork(workers: int) -> bool:
    """Whether forked workers may run here (see the module docstring): more than one worker, no other
    Python thread, ``fork`` available, and not inside a daemonic worker (which may not have children)."""
    return (
        workers > 1
        and threading.active_count() <= 1
        and "fork" in mp.get_all_start_methods()
        and not mp.current_process().daemon
    )


def parallel_map(
    fn: Callable[[T], R], items: Sequence[T], workers: int | None = None, min_items: int = 64
) -> list[R]:
    """``[fn(x) for x in items]``, in forked worker processes when it pays off; order is preserved."""
    global _TASK
    n = workers or workers_default()
    if len(items) < min_items or not _can_fork(n):
        return [fn(x) for x in items]
    _TASK = lambda i: fn(items[i])  # noqa: E731 (read by the forked workers)
    try:
        with mp.get_context("fork").Pool(n, initializer=ignore_in_worker) as pool:
            out = pool.map(_run, range(len(items)), chunksize=max(1, len(items) // (n * 8)))
    finally:
        _TASK = None
    return out  # type: ignore[return-value]


# ------------------------------------------------------------------------------ tasks with shared input
ExecutorName = Literal["local", "ray"]
EXECUTORS: tuple[ExecutorName, ...] = ("local", "ray")

_SHARED: object = None
_SHARED_FN: Callable[[object, object], object] | None = None
_SHARED_ITEMS: Sequence[object] = ()


def _run_shared(i: int) -> tuple[int, object]:
    assert _SHARED_FN is not None
    return i, _SHARED_FN(_SHARED, _SHARED_ITEMS[i])


def run_tasks(
    fn: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    *,
    executor: ExecutorName = "local",
    workers: int | None = None,
    ray_address: str = "",
    ray_timeout: float = 15.0,
    on_done: Callable[[], None] | None = None,
) -> list[R]:
    """``[fn(shared, x) for x in items]`` on local processes or on Ray; order is preserved.

    ``shared`` is the big read-only input (a computed panel): forked workers see it copy-on-write, Ray
    puts it once in its object store (one copy per node). ``on_done`` is called in this process after
    each item finishes (a progress bar). Whichever executor runs them, the results are the same values.
    """
    if executor == "ray":
        return _run_ray(fn, shared, items, workers, ray_address, ray_timeout, on_done)
    return _run_local(fn, shared, items, workers, on_done)


def _run_local(
    fn: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    workers: int | None,
    on_done: Callable[[], None] | None,
) -> list[R]:
    global _SHARED, _SHARED_FN, _SHARED_ITEMS
    n = min(workers or workers_default(), len(items))
    if not _can_fork(n):
        results: list[R] = []
        for x in items:
            results.append(fn(shared, x))
            if on_done is not None:
                on_done()
        return results
    _SHARED, _SHARED_FN, _SHARED_ITEMS = shared, fn, items  # type: ignore[assignment]
    out: dict[int, object] = {}
    try:
        with mp.get_context("fork").Pool(n, initializer=ignore_in_worker) as pool:
            for i, value in pool.imap_unordered(_run_shared, range(len(items))):
                out[i] = value
                if on_done is not None:
                    on_done()
    finally:
        _SHARED, _SHARED_FN, _SHARED_ITEMS = None, None, ()
    return [out[i] for i in range(len(items))]  # type: ignore[misc]


def _check_reachable(address: str, timeout: float) -> None:
    """One sentence, within ``timeout`` seconds, when nothing answers at a ``host:port`` Ray address."""
    if address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(
            f"Setting ray_address must be host:port (the head's GCS port, like 10.0.0.5:6379), "
            f"ray://host:port or auto; got {address!r}."
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        reason = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else exc.strerror
        raise ConfigError(
            f"Cannot reach the Ray cluster at {address} ({reason or type(exc).__name__}); start it with "
            "`ray start --head` or leave ray_address empty for a local Ray."
        ) from None


def _within(seconds: float, fn: Callable[[], object]) -> object:
    """``fn()``, interrupted by TimeoutError after ``seconds`` (SIGALRM; ray.init must run on the main
    thread, so the deadline cannot be a helper thread). Off the main thread it simply runs ``fn``."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return fn()

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_ray(address: str, timeout: float) -> None:
    """Before any work: Ray is installed and, when an address is set, something answers there."""
    try:
        import ray  # noqa: F401  # deferred: Ray is optional (rotascope[ray]); this checks it is installed
    except ImportError:
        raise ConfigError(
            "--executor ray needs Ray: install it with `pip install 'rotascope[ray]'`."
        ) from None
    if address:
        _check_reachable(address, timeout)


def _ray_init(address: str, workers: int | None, timeout: float) -> bool:
    """Connect to ``address`` (or start a local Ray when empty) within ``timeout``; True if we did."""
    check_ray(address, timeout)
    import ray  # deferred: Ray is optional (rotascope[ray]); check_ray has just made sure it is there

    if ray.is_initialized():
        return False
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    try:
        _within(
            timeout if address else max(timeout, 120.0),
            lambda: (
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
                if address
                else ray.init(
                    num_cpus=workers or workers_default(),
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.ERROR,
                )
            ),
        )
    except TimeoutError:
        with contextlib.suppress(Exception):
            ray.shutdown()
        raise ConfigError(
            f"Could not connect to {where} within {timeout:g} s (setting ray_connect_timeout)."
        ) from None
    except Exception as exc:  # ray raises ConnectionError, RuntimeError, ValueError…
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ConfigError(f"Could not start or join {where}: {first}.") from None
    return True


_RAY_SHARED: dict[str, object] = {}
"""The shared input, deserialised once per Ray worker process (not once per task)."""


def _ray_call(fn: Callable[[S, T], R], boxed: list[Any], item: T) -> R:
    import ray  # deferred: Ray is optional (rotascope[ray]); this runs inside a Ray worker

    key = boxed[0].hex()
    if key not in _RAY_SHARED:
        _RAY_SHARED.clear()
        _RAY_SHARED[key] = ray.get(boxed[0])
    return fn(_RAY_SHARED[key], item)  # type: ignore[arg-type]


def _run_ray(
    fn: Callable[[S, T], R],
    shared: S,
    items: Sequence[T],
    workers: int | None,
    address: str,
    timeout: float,
    on_done: Callable[[], None] | None,
) -> list[R]:
    started = _ray_init(address, workers, timeout)
    import ray  # deferred: Ray is optional (rotascope[ray]); _ray_init has checked it

    try:
        boxed = [ray.put(shared)]  # in a list, so Ray hands the task the reference, not a fresh copy
        task: Any = ray.remote(_ray_call)
        pending = {task.remote(fn, boxed, x): i for i, x in enumerate(items)}
        out: dict[int, R] = {}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for r in done:
                out[pending.pop(r)] = ray.get(r)
                if on_done is not None:
                    on_done()
        return [out[i] for i in range(len(items))]
    finally:
        if started:
            ray.shutdown()

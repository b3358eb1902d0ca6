"""Work that keeps a core busy for seconds, done in a process of its own.

The threads of a web process share one interpreter lock.  A results workbook written by
one of them (about 2.5 s for 1,000 projects) holds up everything else the process does
meanwhile: the job saving those same results, the pages it serves.  Written in a process
of its own it runs on another core beside them, and the memory it took (hundreds of
megabytes for a large workbook) goes back to the system when that process ends.

Each web process has one such helper process at a time
(:class:`~concurrent.futures.ProcessPoolExecutor` with one worker that ends after each
piece of work); ``make worker``'s processes have none (huey makes them daemonic, and a
daemonic process may not start processes: :func:`available`).  Helpers are forked from
multiprocessing's *forkserver*, a clean process that each web process starts once (78 MB
measured, with the workbook writer already imported), so a helper starts in milliseconds,
not after a second of imports, and inherits none of the web process's threads, locks or
connections.  Arguments and results travel pickled: a 1,000-project
run's results are 8 MB and take 0.02 s.

:func:`submit` gives a :class:`Work`; whoever submitted it says once what to do when it
is done (:meth:`Work.then`), and the work counts as under way (:func:`busy`, which
:func:`froi.web.uploads.jobs.wait_for_jobs` waits for) until that has been done.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

#: What the forkserver imports once, so that each helper it forks starts ready
#: (``__main__`` first, as multiprocessing does by default, so a helper does not import
#: the main script again).
PRELOAD = ["__main__", "froi.workbook.results"]

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_under_way: set[Work] = set()


class Work:
    """One piece of work in a helper process, and what to do once it is done."""

    def __init__(self, future: Future[Any]) -> None:
        self.future = future
        self.settled = threading.Event()
        self.given = False  # whether what to do when it is done was said (then)
        with _lock:
            _under_way.add(self)

    def then(self, callback: Callable[[Future[Any]], None]) -> None:
        """Call ``callback(future)`` when the work is done (at once if it is), then count
        the work as settled.  Say it once; the callback runs in the pool's own thread,
        so it must not need a request or an app context."""
        if self.given:
            raise RuntimeError("what to do with this work was said already")
        self.given = True
        self.future.add_done_callback(self._settle(callback))

    def _settle(self, callback: Callable[[Future[Any]], None]) -> Callable[[Future[Any]], None]:
        def settle(future: Future[Any]) -> None:
            try:
                callback(future)
            except Exception:
                log.warning("finishing work of a helper process failed", exc_info=True)
            finally:
                with _lock:
                    _under_way.discard(self)
                self.settled.set()

        return settle

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the work is done and its callback has run; whether it has."""
        return self.settled.wait(timeout)


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # no fork server (Windows)


def _new_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=_context(), max_tasks_per_child=1)


def available() -> bool:
    """Whether this process can have a helper: a daemonic process (each of huey's worker
    processes under ``make worker``) may not start processes of its own."""
    return not multiprocessing.current_process().daemon


def _current_pool(broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
    """This process's pool, made when there is none or when it is ``broken``."""
    global _pool
    with _lock:
        if _pool is None or _pool is broken:
            _pool = _new_pool()
        return _pool


def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Work:
    """Run ``fn(*args, **kwargs)`` in this process's helper (a module-level function, its
    arguments picklable).  A helper that died (killed for its memory, say) broke the pool:
    a new one takes the work."""
    pool = _current_pool()
    try:  # outside the lock: a first submit starts the fork server (half a second)
        return Work(pool.submit(fn, *args, **kwargs))
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        return Work(_current_pool(broken=pool).submit(fn, *args, **kwargs))


def busy() -> int:
    """How many pieces of work of this process are under way (not yet settled)."""
    with _lock:
        return len(_under_way)


def wait_all(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the work under way to settle; whether it did."""
    deadline = time.monotonic() + timeout
    with _lock:
        pending = list(_under_way)
    return all(work.wait(max(0.0, deadline - time.monotonic())) for work in pending)

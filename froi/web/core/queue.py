"""The task queue behind background jobs: huey, embedded or on Redis.

Two modes, one code path (the tasks themselves are registered by
:mod:`froi.web.uploads.jobs`):

- **Embedded** (the default, nothing to install): huey's ``SqliteHuey`` keeps the queue in
  ``<instance>/queue.sqlite`` and each web process runs a huey consumer in its own
  threads (``JOB_WORKERS`` of them), so ``make run`` and ``make serve`` need nothing
  else.  Several web processes on one machine share the file; each takes tasks from it.
- **Redis** (``REDIS_URL`` set): ``RedisHuey`` keeps the queue in Redis, web processes
  only put tasks on it, and ``make worker`` (``huey_consumer`` with worker processes) runs
  them, on any number of machines.  ``FROI_QUEUE_NAME`` keeps two deployments (or two
  test runs) on one Redis apart.

Huey gives delivery, not safety: a task taken off the queue by a worker that is then
killed is gone from the queue.  That is why a job's row in the database is a lease on
the work (claimed, renewed, fenced, swept: see :mod:`froi.web.uploads.jobs`), and the
queue only says "look at job 42".

huey's ``Consumer`` installs signal handlers, which only the main thread may do and
which belong to gunicorn or Flask in a web process: :class:`InProcessConsumer` leaves
them alone.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Worker
from redis import ConnectionPool

log = logging.getLogger(__name__)

#: Seconds an idle embedded worker waits at most before looking at the queue again
#: (huey backs off from 0.1 s; its own default of 10 s would make a job wait that long).
EMBEDDED_MAX_DELAY = 0.5


def queue_path(app: Flask) -> Path:
    """The embedded queue's file, created readable by the service's user only."""
    folder = Path(app.instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "queue.sqlite"
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return path


def make_huey(app: Flask) -> Huey:
    """The queue of ``app``'s settings: Redis when ``REDIS_URL`` is set, else SQLite."""
    name = str(app.config.get("QUEUE_NAME") or "froi")
    url = app.config.get("REDIS_URL")
    if url:
        pool = ConnectionPool.from_url(str(url), socket_connect_timeout=3, socket_timeout=10)
        return RedisHuey(name, connection_pool=pool, results=False, utc=True)
    return SqliteHuey(name, filename=str(queue_path(app)), results=False, utc=True)


def embedded(app: Flask) -> bool:
    """Whether ``app``'s queue is the embedded one (its web processes work it)."""
    return not app.config.get("REDIS_URL")


def huey_of(app: Flask) -> Huey:
    huey: Huey = app.extensions["froi"]["huey"]
    return huey


class WakeableWorker(Worker):  # type: ignore[misc]
    """A huey worker thread that a task queued by its own process wakes at once.

    Huey's worker looks at a queue that cannot wake it (SQLite) every ``delay`` seconds,
    backing off to ``max_delay`` while idle: a job queued by a request would wait up to
    that long.  This one also wakes when its process has just queued something
    (:func:`wake`); tasks queued by other processes are still found by looking.
    """

    queued: threading.Event
    delay: float
    default_delay: float
    max_delay: float
    backoff: float

    def sleep(self) -> None:
        if self.queued.wait(min(self.delay, self.max_delay)):
            if not self.stop_flag.is_set():  # stopping: the other workers must wake too
                self.queued.clear()  # each worker that wakes looks at the queue next
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class InProcessConsumer(Consumer):  # type: ignore[misc]
    """A huey consumer whose workers are threads of a web process.

    It installs no signal handlers (they belong to the web server, and only a main
    thread may install them) and is stopped by :func:`stop_consumer`.  Its workers wake
    when this process queues a task (:class:`WakeableWorker`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.queued = threading.Event()
        super().__init__(*args, **kwargs)

    def _create_worker(self) -> WakeableWorker:
        worker: WakeableWorker = super()._create_worker()
        worker.queued = self.queued
        return worker

    worker_class = WakeableWorker

    def stop(self, graceful: bool = False) -> None:
        self.stop_flag.set()
        self.queued.set()  # an idle worker stops now, not when it would next look
        super().stop(graceful)

    def _set_signal_handlers(self) -> None:
        return None


def wake(app: Flask) -> None:
    """Wake this process's idle workers: it has just queued a task."""
    consumer: InProcessConsumer | None = app.extensions["froi"].get("consumer")
    if consumer is not None:
        consumer.queued.set()


def start_consumer(app: Flask, workers: int) -> InProcessConsumer:
    """Start ``workers`` worker threads and the periodic-task scheduler in this process."""
    consumer = InProcessConsumer(
        huey_of(app),
        workers=workers,
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        max_delay=EMBEDDED_MAX_DELAY,
        check_worker_health=False,
    )
    consumer.start()
    app.extensions["froi"]["consumer"] = consumer
    return consumer


def stop_consumer(app: Flask, timeout: float = 60) -> None:
    """Let the tasks under way finish (up to ``timeout`` seconds), then stop."""
    consumer: InProcessConsumer | None = app.extensions["froi"].pop("consumer", None)
    if consumer is None:
        return
    consumer.shutdown_timeout = timeout
    consumer.stop(graceful=True)


def reachable(app: Flask) -> None:
    """Raises unless the queue's storage answers (``/readyz``)."""
    huey = huey_of(app)
    storage: Any = huey.storage
    if hasattr(storage, "conn") and hasattr(storage.conn, "ping"):
        storage.conn.ping()  # Redis
    else:
        huey.pending_count()  # SQLite: reads the queue's table

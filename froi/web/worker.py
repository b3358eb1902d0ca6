"""``make worker``: a huey consumer that works the job queue in processes of its own.

    REDIS_URL=redis://queue.internal:6379/0 DATABASE_URL=postgresql+psycopg://... make worker

With ``REDIS_URL`` set, web processes only put tasks on the queue and these workers run
them, on this machine or any other that reaches the same Redis and database: start as
many as the work needs.  ``FROI_JOB_WORKERS`` worker processes (2 unless set) are forked
from this one; a worker that dies (killed, out of memory) is replaced within a few
seconds, and the job it was doing is tried again by the sweeper (see
:mod:`froi.web.uploads.jobs`).  SIGINT or SIGTERM stop it after the tasks under way (huey's
own signal handling); a second one stops it at once.

Without ``REDIS_URL`` it works the embedded SQLite queue in the instance folder beside
the web processes (which also work it themselves): useful for a heavy batch on one
machine, not needed otherwise.
"""

from __future__ import annotations

from huey.consumer import Consumer

from . import create_app
from .core import queue

#: Seconds between the consumer's checks that its worker processes are alive.
HEALTH_CHECK_INTERVAL = 2.0


def main() -> None:
    app = create_app(queue_consumer=False)
    consumer = Consumer(
        queue.huey_of(app),
        workers=int(app.config["JOB_WORKERS"]),
        worker_type="process",
        periodic=True,
        check_worker_health=True,
        health_check_interval=HEALTH_CHECK_INTERVAL,
        max_delay=queue.EMBEDDED_MAX_DELAY,
    )
    # the workers are forked from this process: they must not share its connections
    app.extensions["froi"]["db"].engine.dispose()
    consumer.run()


if __name__ == "__main__":
    main()

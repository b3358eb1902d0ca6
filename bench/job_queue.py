"""Task queues compared on no-op tasks: latency from enqueue to start, and throughput.

    python -m bench.job_queue [--latency 100] [--tasks 1000] [--redis redis://127.0.0.1:6379/9]

(Run as a file, it re-runs itself as a module, so that RQ's worker can import its task as
``bench.job_queue.rq_task``.)

Candidates, each with one worker:

- **huey, SQLite** (the service's embedded default): ``SqliteHuey`` on a temporary file,
  the consumer's worker as a thread of this process, polling as the service sets it
  (``max_delay`` 0.5 s);
- **huey, Redis** (``REDIS_URL``): ``RedisHuey``, the consumer's worker a thread, blocking
  reads;
- **RQ, Redis**: ``rq worker`` in its own process, as RQ is run, which forks a work
  horse for every job (its default ``Worker``), and again with ``SimpleWorker`` (no fork).

Celery and Dramatiq are not measured: Celery's SQLite broker (kombu's SQLAlchemy transport)
is experimental and Dramatiq has no SQLite broker, so neither meets the embedded need.

Each task records ``time.time()`` minus the moment it was queued in a Redis list (the
same side channel for every candidate).  **Latency**: ``--latency`` tasks one at a time,
each queued once the previous one has started, on an idle worker (median and 95th
percentile).  **Throughput**: ``--tasks`` tasks queued back to back; tasks a second from
the first enqueue to the last start.  Ratios are against huey on SQLite in the same run.
Bounded: every wait gives up after 120 s (throughput is then the rate until then).
Redis must answer at ``--redis`` (its database number keeps the bench's keys apart; they
are deleted after).
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and not __package__:  # run as a file: run as a module instead
    import os
    from pathlib import Path

    os.chdir(Path(__file__).resolve().parents[1])
    os.execv(sys.executable, [sys.executable, "-m", "bench.job_queue", *sys.argv[1:]])

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from rq import Queue

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 120.0
#: Where every task records how long it waited: set from --redis by main().
SIDE = {"url": "redis://127.0.0.1:6379/9", "key": "froi-bench:starts"}


def record(sent: float) -> None:
    """The no-op task's only work: say when it started (seconds after it was queued)."""
    waited = time.time() - sent
    client = redis.Redis.from_url(SIDE["url"])
    client.rpush(SIDE["key"], waited)
    client.close()


def rq_task(sent: float, url: str, key: str) -> None:
    """RQ's task (RQ imports it by name in its worker process)."""
    SIDE["url"], SIDE["key"] = url, key
    record(sent)


class Quiet(Consumer):  # type: ignore[misc]
    def _set_signal_handlers(self) -> None:
        return None


def _wait_for(side: redis.Redis, count: int, give_up: bool = True) -> int:
    """Wait until ``count`` tasks have started; how many had (fewer only when, not
    ``give_up``, the time limit came first)."""
    deadline = time.monotonic() + LIMIT
    while (started := int(side.llen(SIDE["key"]))) < count:
        if time.monotonic() > deadline:
            if give_up:
                raise SystemExit(f"gave up: {started} of {count} tasks in {LIMIT} s")
            return started
        time.sleep(0.0005)
    return started


def measure(enqueue: Callable[[float], None], latency_n: int, tasks: int) -> dict[str, float]:
    side = redis.Redis.from_url(SIDE["url"])
    side.delete(SIDE["key"])
    enqueue(time.time())  # warm up: the worker is running and connected
    _wait_for(side, 1)
    side.delete(SIDE["key"])
    time.sleep(1.0)  # idle, as a worker mostly is when a person presses a button
    for n in range(latency_n):
        enqueue(time.time())
        _wait_for(side, n + 1)
    waits = sorted(float(w) for w in side.lrange(SIDE["key"], 0, -1))
    side.delete(SIDE["key"])
    started = time.perf_counter()
    for _ in range(tasks):
        enqueue(time.time())
    done = _wait_for(side, tasks, give_up=False)  # the rate so far, if the limit came first
    elapsed = time.perf_counter() - started
    side.delete(SIDE["key"])
    side.close()
    return {
        "p50_ms": statistics.median(waits) * 1000,
        "p95_ms": waits[int(0.95 * (len(waits) - 1))] * 1000,
        "per_s": done / elapsed,
    }


def huey_run(huey: Huey, latency_n: int, tasks: int) -> dict[str, float]:
    task = huey.task(name="noop")(record)
    consumer = Quiet(huey, workers=1, worker_type="thread", initial_delay=0.05, max_delay=0.5)
    consumer.start()
    try:
        return measure(lambda sent: task(sent), latency_n, tasks)
    finally:
        consumer.stop(graceful=True)
        huey.storage.flush_all()


def rq_run(url: str, worker_class: str, latency_n: int, tasks: int) -> dict[str, float]:
    name = f"froi-bench-{uuid.uuid4().hex[:8]}"
    connection = redis.Redis.from_url(url)
    queue = Queue(name, connection=connection)
    rq = Path(sys.executable).parent / "rq"
    command = [str(rq), "worker", "--url", url, "--worker-class", worker_class, name]
    worker = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        return measure(
            lambda sent: queue.enqueue(
                "bench.job_queue.rq_task", sent, SIDE["url"], SIDE["key"], result_ttl=0
            ),
            latency_n,
            tasks,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        queue.delete(delete_jobs=True)
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=int, default=100, help="tasks timed one at a time")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks for throughput")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", SIDE["url"]))
    args = parser.parse_args()
    SIDE["url"], SIDE["key"] = args.redis, f"froi-bench:{uuid.uuid4().hex[:8]}"
    try:
        redis.Redis.from_url(args.redis, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        print(f"Redis at {args.redis} does not answer ({error}); start redis-server first")
        return 1
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        lite = SqliteHuey("bench", filename=str(Path(folder) / "q.sqlite"), results=False)
        results["huey, SQLite (embedded)"] = huey_run(lite, args.latency, args.tasks)
    pool: Any = redis.ConnectionPool.from_url(args.redis)
    red = RedisHuey(f"bench-{uuid.uuid4().hex[:8]}", connection_pool=pool, results=False)
    results["huey, Redis"] = huey_run(red, args.latency, args.tasks)
    results["RQ, Redis (fork per job)"] = rq_run(
        args.redis, "rq.worker.Worker", args.latency, args.tasks
    )
    results["RQ, Redis (SimpleWorker)"] = rq_run(
        args.redis, "rq.worker.SimpleWorker", args.latency, args.tasks
    )
    base = results["huey, SQLite (embedded)"]
    print(f"no-op tasks, one worker: latency of {args.latency} tasks one at a time, "
          f"throughput of {args.tasks}")  # fmt: skip
    print("| queue | latency p50 | p95 | throughput | throughput / huey SQLite |")
    print("|---|---|---|---|---|")
    for name, got in results.items():
        print(
            f"| {name} | {got['p50_ms']:.1f} ms | {got['p95_ms']:.1f} ms | "
            f"{got['per_s']:,.0f} tasks/s | {got['per_s'] / base['per_s']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

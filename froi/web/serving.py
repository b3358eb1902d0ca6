"""gunicorn's settings for ``make serve`` (``gunicorn -c python:froi.web.serving app:app``).

Every value comes from the environment (docs/deployment.md lists them):

- ``HOST`` and ``PORT``: where to listen, 127.0.0.1:8000 unless set.  Behind an HTTPS
  proxy on the same machine keep 127.0.0.1; behind a load balancer on another machine set
  ``HOST=0.0.0.0`` and let only the balancer reach the port.
- ``WEB_CONCURRENCY``: worker processes, one per core unless set; ``WEB_THREADS``:
  threads in each (gthread workers), 8 unless set (:data:`.core.db.THREADS`).  A worker
  gives each request it takes a thread of its own, and the requests under way share the
  process's time, so a page that costs a few milliseconds is not queued behind a save
  or a workbook check that costs tens: with 4, twenty people at once queued the short
  pages behind the long ones (bench/load.py; README "Under load").  ``WEB_TIMEOUT``:
  seconds a request may take before its worker is restarted, 120 (a workbook at the
  row limit checked within the request takes tens of seconds; larger work goes to the
  job queue).
- ``FORWARDED_ALLOW_IPS`` (gunicorn's own): the proxies whose ``X-Forwarded-*`` headers
  are believed, 127.0.0.1 unless set.

The master process prepares the database once before starting the workers
(:func:`on_starting`: migrations, default data, the first administrator, printed with
the address to sign in at), so workers starting together never race to create tables.
gunicorn's own log lines are JSON like the app's (``FROI_LOG_FORMAT``; the handler is
named ``froi`` so the app's own set-up replaces it rather than doubling each line); each
request is logged once, by the app, with its request id, so gunicorn's access log is
off.  Responses say ``Server: froi``, not gunicorn's name and version.
"""

from __future__ import annotations

import os
from typing import Any

import gunicorn.http.wsgi

from .core import observe
from .core.db import THREADS
from .core.security import SERVER_NAME

gunicorn.http.wsgi.SERVER = SERVER_NAME  # the Server header, instead of gunicorn's


def _number(name: str, default: int, what: str, maximum: int | None = None) -> int:
    """The whole number in environment variable ``name`` (``default`` when unset or
    empty); a value that is not one from 1 to ``maximum`` stops gunicorn before it starts,
    with a message naming the variable, what it sets and what it accepts."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    accepted = f"a whole number from 1 to {maximum}" if maximum else "a whole number, 1 or more"
    # ASCII digits only: int() would take "٣" or "1_000", which no one means here
    number = int(value) if value.isascii() and value.isdigit() else 0
    if not 1 <= number <= (maximum or number):
        raise SystemExit(f"{name} ({what}) must be {accepted}, not {value!r}")
    return number


host = os.environ.get("HOST", "").strip() or "127.0.0.1"
port = _number("PORT", 8000, "the port gunicorn listens on", 65535)
bind = [f"{host}:{port}"]
workers = _number("WEB_CONCURRENCY", os.cpu_count() or 1, "gunicorn worker processes")
threads = _number("WEB_THREADS", THREADS, "threads in each worker process")
worker_class = "gthread"
timeout = _number("WEB_TIMEOUT", 120, "seconds a request may take")
graceful_timeout = 30
keepalive = 5
accesslog = None
control_socket_disable = True  # no socket in the home folder; signals do what it would
errorlog = "-"
_log_format = os.environ.get("FROI_LOG_FORMAT", "json")
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": observe.ContextFilter}},
    "formatters": {"froi": {"()": observe.formatter, "kind": _log_format}},
    "handlers": {
        "froi": {
            "class": "logging.StreamHandler",
            "formatter": "froi",
            "filters": ["context"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["froi"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["froi"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    """Prepare the database once, in the master, and print how to sign in."""
    os.environ.setdefault("FROI_PUBLIC_URL", f"http://{host}:{port}")
    from . import create_app

    app = create_app(queue_consumer=False)
    # the workers are forked from this process: they must not share its connections
    app.extensions["froi"]["db"].engine.dispose()


def worker_exit(server: Any, worker: Any) -> None:
    """A worker stopping (a restart, a deploy) lets the jobs its queue threads are doing
    finish within the graceful timeout; a job still going after that is swept and done
    again by another worker (see froi/web/uploads/jobs.py)."""
    from .core import queue

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        queue.stop_consumer(app, timeout=graceful_timeout)

"""What the service tells whoever runs it: structured logs with a request id, and health.

**Request id.**  Every request gets an id: the ``X-Request-ID`` header a proxy or load
balancer sent, when it is a plausible id (1 to 128 letters, digits and ``._:-``), or a new
random one.  It is sent back in the response's ``X-Request-ID`` and attached to every log
line written while the request is handled, so one person's complaint ("it failed at
10:02") leads to the lines of that request on whichever machine served it.  A background
job's log lines carry its job id instead (:func:`job_context`).

**Logs.**  With ``FROI_LOG_FORMAT=json`` (the default for ``make serve`` and
``make worker``) each line is one JSON object (python-json-logger): ``time``, ``level``,
``logger``, ``message``, ``request_id`` or ``job_id``, and for the one line each request
ends with, ``method``, ``path``, ``status`` and ``duration_ms``.  ``text`` gives the same
in plain words for a person at a terminal (``make run``).  Tests configure nothing:
pytest captures the records as they are.

**Health.**  ``/healthz`` answers 200 while the process can answer at all (a load
balancer's liveness check); ``/readyz`` answers 200 only when the database answers a
query and the job queue's storage is reachable, and 503 with the failing part named
otherwise (take the machine out of rotation until it recovers).  Neither needs signing in,
and neither says more than ``ok`` or the name of what failed.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Blueprint, Flask, current_app, g, has_request_context, jsonify, request
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import text
from werkzeug.wrappers import Response

log = logging.getLogger("froi.request")
bp = Blueprint("health", __name__)

HEADER = "X-Request-ID"
#: An id from outside is kept only when it is this: no spaces, quotes or control
#: characters can reach a log line through it.
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Endpoints that need no signing in (the sign-in check reads this).
PUBLIC = frozenset({"health.healthz", "health.readyz"})

#: The job whose work is running in this thread (set by the job runner).
_job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("froi_job_id", default=None)


def request_id() -> str:
    """This request's id ("" outside a request)."""
    return str(g.get("request_id", "")) if has_request_context() else ""


@contextmanager
def job_context(job_id: int) -> Iterator[None]:
    """Log lines written inside carry ``job_id``."""
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``job_id`` to every record (empty when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        if not hasattr(record, "job_id"):
            record.job_id = _job_id.get()
        return True


class TextFormatter(logging.Formatter):
    """One plain line: time, level, logger, message, then the request's or job's id."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid, job = getattr(record, "request_id", ""), getattr(record, "job_id", None)
        tail = f" [request {rid}]" if rid else f" [job {job}]" if job else ""
        return line + tail


def formatter(kind: str) -> logging.Formatter:
    """The formatter of ``FROI_LOG_FORMAT`` (``json`` or ``text``)."""
    if kind == "text":
        return TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure(kind: str = "json", level: str = "INFO") -> None:
    """Send every log record to standard error in ``kind``'s format, with the context.

    Replaces the handler an earlier call added (so calling it twice does not double
    lines) and leaves any other handler alone.
    """
    if kind not in ("json", "text"):
        raise ValueError(f"FROI_LOG_FORMAT must be json or text, not {kind!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(kind))
    handler.addFilter(ContextFilter())
    handler.set_name("froi")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "froi":
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # each process's start-up migration check, and huey's line for every task it runs
    # (the sweeper's every minute), are not news; their warnings and errors still are
    for noisy in ("alembic", "huey"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.WARNING))


def _start() -> None:
    sent = request.headers.get(HEADER, "")
    g.request_id = sent if VALID_ID.fullmatch(sent) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    started = g.get("request_started")
    if started is not None and request.endpoint != "static":
        duration = round((time.perf_counter() - started) * 1000, 1)
        log.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            duration,
            extra={
                "request_id": request_id(),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
            },
        )
    return response


#: A readiness check: returns nothing when its part is reachable, raises otherwise.
Check = Callable[[Flask], None]


def _database(app: Flask) -> None:
    with app.extensions["froi"]["db"].engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def add_readiness_check(app: Flask, name: str, check: Check) -> None:
    """``/readyz`` answers 503 while ``check`` raises."""
    app.extensions["froi"].setdefault("ready_checks", {})[name] = check


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    return jsonify(status="ok"), 200


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    failed: dict[str, str] = {}
    checks: dict[str, Check] = app.extensions["froi"].get("ready_checks", {})
    for name, check in checks.items():
        try:
            check(app)
        except Exception as error:  # any failure means "not ready"; the log says which
            logging.getLogger("froi.health").warning("readiness: %s failed: %s", name, error)
            failed[name] = "unreachable"
    if failed:
        response = jsonify(status="unavailable", failed=failed)
        response.headers["Retry-After"] = "10"
        return response, 503
    return jsonify(status="ok", checked=sorted(checks)), 200


def init_app(app: Flask) -> None:
    """Request ids and the request log on every request (registered before anything else
    so a request refused early is logged too), the health routes, and the log format
    outside tests."""
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)
    add_readiness_check(app, "database", _database)
    if not app.testing and app.config.get("LOG_FORMAT"):
        configure(str(app.config["LOG_FORMAT"]), str(app.config.get("LOG_LEVEL") or "INFO"))

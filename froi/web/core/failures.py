"""When the database or the disk fails: a clear 503 page for the person, the reason in the log.

A full disk, a read-only database file, a database server that is down or restarting,
or a SQLite file locked for too long are not the person's fault and not a bug in the
page: the request cannot be done now and may work later.  Each is recognised from the
driver's error (SQLite's messages; PostgreSQL's SQLSTATE codes), answered with 503
``Service Unavailable`` and ``Retry-After`` in plain words, and logged with the
underlying reason so whoever runs the service can mend it.  The request's transaction is
rolled back first, so nothing is half-saved.  Anything else stays a 500.

Start-up has the same problem one level down: an instance folder that cannot be written
(a read-only disk, wrong permissions) would end in a traceback; :class:`StartupFailure`
says which path and what to do instead.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass

from flask import Flask, g
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.wrappers import Response

log = logging.getLogger("froi.storage")

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 30


@dataclass(frozen=True)
class Failure:
    """What went wrong, for the person (``title``, ``advice``) and for the log (``kind``)."""

    kind: str
    title: str
    advice: str


DISK_FULL = Failure(
    "disk full",
    "The service cannot save anything at the moment",
    "The service's storage is full, so nothing was saved. Your work on this page has not "
    "been lost from your browser: go back, wait a few minutes and try again. If it keeps "
    "happening, tell whoever runs the service that its disk is full.",
)
READ_ONLY = Failure(
    "read-only storage",
    "The service cannot save anything at the moment",
    "The service's database can be read but not changed just now, so nothing was saved. "
    "Go back and try again later; if it keeps happening, tell whoever runs the service "
    "that its database is read-only.",
)
UNAVAILABLE = Failure(
    "database unavailable",
    "The service is not available at the moment",
    "The service cannot reach its database, so nothing was read or saved. Try again in a "
    "few minutes; if it keeps happening, tell whoever runs the service.",
)
BUSY = Failure(
    "database busy",
    "The service is busy",
    "The service's database was busy for too long, so nothing was saved. Go back and try "
    "again in a moment.",
)

#: PostgreSQL SQLSTATE codes (Appendix A of its manual) and what they mean here.
POSTGRES_CODES = {
    "53100": DISK_FULL,  # disk_full
    "53000": DISK_FULL,  # insufficient_resources
    "25006": READ_ONLY,  # read_only_sql_transaction
    "57P01": UNAVAILABLE,  # admin_shutdown
    "57P02": UNAVAILABLE,  # crash_shutdown
    "57P03": UNAVAILABLE,  # cannot_connect_now
    "08000": UNAVAILABLE,  # connection_exception
    "08001": UNAVAILABLE,  # sqlclient_unable_to_establish_sqlconnection
    "08003": UNAVAILABLE,  # connection_does_not_exist
    "08006": UNAVAILABLE,  # connection_failure
    "55P03": BUSY,  # lock_not_available
}
#: Words of SQLite's (and the drivers') messages, lower case.
MESSAGE_WORDS = (
    ("database or disk is full", DISK_FULL),
    ("no space left on device", DISK_FULL),
    ("attempt to write a readonly database", READ_ONLY),
    ("readonly database", READ_ONLY),
    ("read-only file system", READ_ONLY),
    ("database is locked", BUSY),
    ("unable to open database file", UNAVAILABLE),
    ("connection refused", UNAVAILABLE),
    ("could not connect", UNAVAILABLE),
    ("connection is closed", UNAVAILABLE),
    ("server closed the connection", UNAVAILABLE),
    ("terminating connection", UNAVAILABLE),
)


def classify(error: BaseException) -> Failure | None:
    """The storage failure ``error`` is, or None for anything else (a bug: a 500)."""
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            return DISK_FULL
        if error.errno == errno.EROFS:
            return READ_ONLY
        return None
    if isinstance(error, PoolTimeout):  # every connection of the pool busy for too long
        return BUSY
    if not isinstance(error, DBAPIError):
        return None
    code = getattr(error.orig, "sqlstate", None)
    if code in POSTGRES_CODES:
        return POSTGRES_CODES[code]
    if error.connection_invalidated:
        return UNAVAILABLE
    text = str(error.orig).lower()
    for words, failure in MESSAGE_WORDS:
        if words in text:
            return failure
    return None


class StartupFailure(RuntimeError):
    """The service cannot start, in one sentence that says what to change."""


def writable_folder_failure(path: str, error: OSError) -> StartupFailure:
    """The sentence for an instance folder the service cannot write."""
    reason = error.strerror or str(error)
    return StartupFailure(
        f"the service cannot write to its instance folder {path} ({reason}); it keeps its "
        "SQLite database and secret key there. Make the folder writable by the user the "
        "service runs as, or set FROI_INSTANCE_PATH to a writable folder (and "
        "FROI_SECRET_KEY and DATABASE_URL to use no local files at all)"
    )


def startup_failure(app: Flask, error: OSError | DBAPIError) -> StartupFailure:
    """The sentence for a database that cannot be prepared on start."""
    failure = classify(error)
    if failure is None:
        raise error
    reason = str(error.orig if isinstance(error, DBAPIError) else error).strip()
    where = app.config.get("DATABASE_URL") or f"the SQLite file in {app.instance_path}"
    if isinstance(where, str) and "@" in where:  # never print a password
        where = where.split("://", 1)[0] + "://..." + where.rsplit("@", 1)[1]
    return StartupFailure(
        f"the service cannot prepare its database ({where}): {failure.kind}, {reason}. "
        "Check that the database is reachable and writable, then start the service again"
    )


def init_app(app: Flask) -> None:
    """Answer storage failures with the 503 page and log why."""

    def unavailable(error: Exception) -> tuple[str, int, dict[str, str]] | Response:
        failure = classify(error)
        if failure is None:
            raise error
        session = g.pop("db_session", None)
        if session is not None:  # nothing half-saved: the transaction is abandoned
            try:
                session.rollback()
                session.close()
            except Exception:  # the connection may be the thing that failed
                log.debug("rollback after a storage failure failed too", exc_info=True)
        log.error("storage failure (%s): %s", failure.kind, error)
        # a feature may answer in its own format (the JSON API: a problem document)
        answer = app.extensions["froi"].get("failure_answer")
        answered: Response | None = answer(failure) if answer is not None else None
        if answered is not None:
            answered.headers["Retry-After"] = str(RETRY_AFTER)
            return answered
        # drawn without the context processors: they may ask the failed database for the
        # signed-in user
        page = app.jinja_env.get_template("unavailable.html").render(failure=failure)
        return page, 503, {"Retry-After": str(RETRY_AFTER)}

    app.register_error_handler(DBAPIError, unavailable)
    app.register_error_handler(PoolTimeout, unavailable)
    app.register_error_handler(OSError, unavailable)

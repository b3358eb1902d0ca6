"""The FROI web service: a Flask application factory in the shape of Flask's tutorial.

``create_app`` builds an app from configuration, attaches each shared part of
:mod:`.core` with its ``init_app`` (the database, formatting filters, CSRF protection)
and registers the blueprints of each feature package (``accounts``, ``projects``,
``runs``, ``unit_costs``, ``uploads``, ``portfolio``; each lists them in
``blueprints``) and the JSON API (:mod:`.api`, ``/api/v1``).  It migrates the database
and loads the default data on start (see :mod:`.core.db`), and a first start creates an
administrator to sign in with (:mod:`.accounts.first_start`), so ``flask --app app run``
on a fresh clone opens a working service.

The web layer imports the engine (``calculator``); the engine imports nothing of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from froi.workbook.limits import DEFAULT_LIMITS

from .core import backup, csrf, db, failures, formatting, observe, retention, secret, security
from .core.models import LOCAL_USER

ROOT = Path(__file__).resolve().parents[2]
#: Largest request accepted: a workbook at the reader's limit (20 MB) with room for the
#: form around it; larger uploads are refused with 413 before they are read.
MAX_UPLOAD_BYTES = DEFAULT_LIMITS.max_bytes + 1024 * 1024
#: The largest id a table's integer key holds (PostgreSQL ``integer``); a larger number
#: in an address is no row, not a database error (SQLite and PostgreSQL both raise).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number too large for an id does not match (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


#: Page titles for errors, in the words GOV.UK services use.
ERROR_TITLES = {
    400: "There is a problem with what was sent",
    401: "Sign in to continue",
    403: "You do not have permission to do this",
    404: "Page not found",
    405: "Page not found",
    409: "That cannot be changed",
    413: "The file is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
}


def create_app(
    test_config: Mapping[str, Any] | None = None,
    instance_path: str | None = None,
    *,
    queue_consumer: bool = True,
) -> Flask:
    """Build the app.  ``test_config`` replaces the instance config (tests pass their own);
    ``instance_path`` replaces the instance folder (tests and tools keep theirs apart).
    ``queue_consumer=False`` starts no in-process job worker even on the embedded default
    (a process that only prepares the database, or only enqueues)."""
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("FROI_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_mapping(
        SECRET_KEY=secret.UNSET,  # made and kept in the instance folder unless configured
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        # the job queue: Redis when set, else SQLite in the instance folder (core/queue.py)
        REDIS_URL=os.environ.get("REDIS_URL"),
        REFERENCE_DIR=None,
        RUN_USER=LOCAL_USER,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        # the session cookie says who is signed in and carries the CSRF token: never
        # readable by scripts, never sent on another site's POST, and only over HTTPS
        # when FROI_HTTPS=true says the service is served over it (core/security.py)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        # one JSON object a line, with the request id (core/observe.py); tests log nothing
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("FROI")  # FROI_SECRET_KEY -> SECRET_KEY, ...
    else:
        app.config.from_mapping(test_config)
    app.extensions["froi"] = {}
    app.url_map.converters["int"] = IdConverter  # before any route is added
    observe.init_app(app)  # first: every request gets its id before anything can refuse it

    try:
        secret.init_app(app)
        db.init_app(app)
    except OSError as error:  # a read-only or missing instance folder: say so, no traceback
        raise failures.writable_folder_failure(app.instance_path, error) from None
    formatting.init_app(app)
    for command in (backup.backup_command, backup.restore_command, retention.purge_command):
        app.cli.add_command(command)
    csrf.init_app(app)
    security.init_app(app)
    failures.init_app(app)

    from . import accounts, api, guide, portfolio, projects, runs, unit_costs, uploads

    for feature in (accounts, guide, projects, runs, unit_costs, uploads, portfolio):
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)
    api.init_app(app)  # the JSON API under /api/v1, its document and its tokens
    portfolio.init_app(app)  # summaries of projects a save changed, stored at once

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | Response:
        """Errors as pages of the service, in plain words, with the service's navigation;
        an API request's as a problem document (application/problem+json)."""
        problem = api.handle_http_exception(error)
        if problem is not None:
            return problem
        code = error.code or 500
        title = ERROR_TITLES.get(code, error.name)
        return render_template("error.html", title=title, error=error), code

    # a first start creates the database and loads the defaults: no manual step
    try:
        app.extensions["froi"]["started"] = db.init_db(app)
    except (OSError, DBAPIError) as error:
        raise failures.startup_failure(app, error) from None
    accounts.init_app(app)  # sign-in on every page; a first start's administrator
    from .uploads import jobs

    jobs.init_app(app, consumer=queue_consumer)  # the job queue (and its worker if embedded)
    return app
